/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bus_devargs.c - device argument strings: "name,key=value,key=value".
 *
 * Pure functions: no state, no logging. Every error is explained by one line
 * in the caller's buffer, which the caller logs with its own context
 * ("--vdev ...: <line>"), so the line names the device, the key and the
 * value, and says what was expected.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <mpdp/mpdp_bus.h>

#include "bus_private.h"

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t err_size, const char *fmt,
						      ...)
{
	va_list ap;

	if (err != NULL && err_size > 0) {
		va_start(ap, fmt);
		vsnprintf(err, err_size, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int name_char_ok(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.' || c == ':' || c == '-';
}

/* Parse the pair [p, p + len) into da->kv[da->nb_kv]. */
static int parse_kv(const char *s, const char *p, size_t len, struct mpdp_devargs *da, char *err,
		    size_t err_size)
{
	const char *eq = memchr(p, '=', len);
	size_t klen, vlen;

	if (len == 0) {
		fail(err, err_size,
		     "device '%s': empty argument (two commas in a row, or a comma at the end) in '%s'",
		     da->name, s);
		return -EINVAL;
	}
	if (eq == NULL) {
		fail(err, err_size, "device '%s': argument '%.*s' has no '=' (expected KEY=VALUE)",
		     da->name, (int)len, p);
		return -EINVAL;
	}
	klen = (size_t)(eq - p);
	vlen = len - klen - 1;
	if (klen == 0) {
		fail(err, err_size, "device '%s': argument '%.*s' has an empty key", da->name,
		     (int)len, p);
		return -EINVAL;
	}
	if (klen >= MPDP_DEVARGS_KEY_SIZE) {
		fail(err, err_size, "device '%s': key '%.*s' is longer than %d characters",
		     da->name, (int)klen, p, MPDP_DEVARGS_KEY_SIZE - 1);
		return -ENAMETOOLONG;
	}
	for (unsigned int i = 0; i < da->nb_kv; i++) {
		if (strlen(da->kv[i].key) == klen && memcmp(da->kv[i].key, p, klen) == 0) {
			fail(err, err_size, "device '%s': key '%.*s' given twice", da->name,
			     (int)klen, p);
			return -EINVAL;
		}
	}
	if (vlen >= MPDP_DEVARGS_VALUE_SIZE) {
		fail(err, err_size,
		     "device '%s': value of key '%.*s' is longer than %d characters: '%.*s'",
		     da->name, (int)klen, p, MPDP_DEVARGS_VALUE_SIZE - 1, (int)vlen, eq + 1);
		return -ENAMETOOLONG;
	}
	if (da->nb_kv == MPDP_DEVARGS_MAX_KV) {
		fail(err, err_size, "device '%s': more than %d KEY=VALUE arguments (at '%.*s')",
		     da->name, MPDP_DEVARGS_MAX_KV, (int)len, p);
		return -E2BIG;
	}
	memcpy(da->kv[da->nb_kv].key, p, klen);
	da->kv[da->nb_kv].key[klen] = '\0';
	memcpy(da->kv[da->nb_kv].value, eq + 1, vlen);
	da->kv[da->nb_kv].value[vlen] = '\0';
	da->nb_kv++;
	return 0;
}

int mpdp_devargs_parse(const char *s, struct mpdp_devargs *da, char *err, size_t err_size)
{
	const char *p, *comma;
	size_t len, nlen;
	int rc;

	if (err != NULL && err_size > 0)
		err[0] = '\0';
	if (s == NULL || da == NULL)
		return fail(err, err_size, "no device string");
	len = strnlen(s, MPDP_DEVARGS_STR_SIZE);
	if (len >= MPDP_DEVARGS_STR_SIZE) {
		fail(err, err_size, "device string '%.40s...' is longer than %d characters", s,
		     MPDP_DEVARGS_STR_SIZE - 1);
		return -E2BIG;
	}
	memset(da, 0, sizeof(*da));

	comma = strchr(s, ',');
	nlen = comma != NULL ? (size_t)(comma - s) : len;
	if (nlen == 0)
		return fail(err, err_size,
			    "device string '%s' has an empty name (expected NAME[,KEY=VALUE,...])",
			    s);
	if (nlen >= MPDP_NAME_SIZE) {
		fail(err, err_size, "device name '%.*s' is longer than %d characters", (int)nlen, s,
		     MPDP_NAME_SIZE - 1);
		return -ENAMETOOLONG;
	}
	for (size_t i = 0; i < nlen; i++)
		if (!name_char_ok(s[i]))
			return fail(
				err, err_size,
				"device name '%.*s' has character '%c' (0x%02x) outside [A-Za-z0-9_.:-]",
				(int)nlen, s, isprint((unsigned char)s[i]) ? s[i] : '?',
				(unsigned char)s[i]);
	memcpy(da->name, s, nlen);
	da->name[nlen] = '\0';

	/* "name" alone has no pairs; "name," has one empty pair, which is an error */
	for (p = comma; p != NULL; p = comma) {
		p++;
		comma = strchr(p, ',');
		rc = parse_kv(s, p, comma != NULL ? (size_t)(comma - p) : strlen(p), da, err,
			      err_size);
		if (rc != 0)
			return rc;
	}
	return 0;
}

const char *mpdp_devargs_get(const struct mpdp_devargs *da, const char *key)
{
	if (da == NULL || key == NULL)
		return NULL;
	for (unsigned int i = 0; i < da->nb_kv && i < MPDP_DEVARGS_MAX_KV; i++)
		if (strcmp(da->kv[i].key, key) == 0)
			return da->kv[i].value;
	return NULL;
}

/* Decimal, or hex with 0x; nothing else (no sign, space, suffix or octal). */
static int parse_u64(const char *v, uint64_t *out)
{
	if (v[0] == '0' && (v[1] == 'x' || v[1] == 'X'))
		return bus_parse_digits(v + 2, 16, out);
	return bus_parse_digits(v, 10, out);
}

int mpdp_devargs_get_uint(const struct mpdp_devargs *da, const char *key, uint64_t min,
			  uint64_t max, uint64_t def, uint64_t *out, char *err, size_t err_size)
{
	const char *v = mpdp_devargs_get(da, key);
	uint64_t x;

	if (v == NULL) {
		*out = def;
		return 0;
	}
	if (parse_u64(v, &x) != 0 || x < min || x > max)
		return fail(
			err, err_size,
			"device '%s': invalid value '%s' for key '%s': expected an integer in [%llu, %llu]",
			da->name, v, key, (unsigned long long)min, (unsigned long long)max);
	*out = x;
	return 0;
}

int mpdp_devargs_check_keys(const struct mpdp_devargs *da, const char *const *known, char *err,
			    size_t err_size)
{
	if (da == NULL)
		return fail(err, err_size, "no device arguments");
	for (unsigned int i = 0; i < da->nb_kv && i < MPDP_DEVARGS_MAX_KV; i++) {
		char list[256] = "";
		size_t used = 0;
		int found = 0;

		for (const char *const *k = known; k != NULL && *k != NULL; k++) {
			int n;

			if (strcmp(*k, da->kv[i].key) == 0) {
				found = 1;
				break;
			}
			n = snprintf(list + used, sizeof(list) - used, "%s%s", used ? ", " : "",
				     *k);
			if (n > 0)
				used = (size_t)n >= sizeof(list) - used ? sizeof(list) - 1 :
									  used + (size_t)n;
		}
		if (found)
			continue;
		/* the list is complete: we only get here after walking all of it */
		return fail(err, err_size, "device '%s': unknown key '%s' (accepted: %s)", da->name,
			    da->kv[i].key, used ? list : "none");
	}
	return 0;
}
