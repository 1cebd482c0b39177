/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_devargs.c - device argument strings (mpdp_devargs_*), no runtime:
 *
 *   the happy paths (name alone, pairs, values holding '=' and ':', empty
 *   values, MPDP_DEVARGS_MAX_KV pairs, names, keys and values of the longest
 *   allowed length); every malformed input, each refused with its errno and
 *   one line in err that names what was wrong; err of size 0 and NULL;
 *   get/get_uint (absent key, ranges, bounds, overflow, hex, garbage, *out
 *   untouched on error); check_keys (the line names the unknown key and
 *   lists the accepted ones).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <mpdp/mpdp_bus.h>

#include "unit_util.h"

/* s parses; returns the result in *da */
static void parse_ok(const char *s, struct mpdp_devargs *da, int line)
{
	char err[256] = "";
	int rc = mpdp_devargs_parse(s, da, err, sizeof(err));

	if (rc != 0) {
		fprintf(stderr, "  line %d: '%s' refused: %d %s\n", line, s, rc, err);
		unit_fail(__FILE__, line, "parse_ok");
	}
}
#define PARSE_OK(s, da) parse_ok((s), (da), __LINE__)

/*
 * s is refused with want and an error line that contains every string of
 * the NULL-terminated list `has` (a line, no newline).
 */
static void parse_bad(const char *s, int want, const char *const *has, int line)
{
	struct mpdp_devargs da;
	char err[256];
	int rc;

	memset(err, 'X', sizeof(err));
	rc = mpdp_devargs_parse(s, &da, err, sizeof(err));
	if (rc != want) {
		fprintf(stderr, "  line %d: '%.80s' gave %d, expected %d (%s)\n", line, s, rc, want,
			rc ? err : "");
		unit_fail(__FILE__, line, "parse_bad: errno");
		return;
	}
	if (memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0' || strchr(err, '\n') != NULL) {
		unit_fail(__FILE__, line, "parse_bad: no single error line");
		return;
	}
	for (; has != NULL && *has != NULL; has++) {
		if (strstr(err, *has) == NULL) {
			fprintf(stderr, "  line %d: error '%s' lacks '%s'\n", line, err, *has);
			unit_fail(__FILE__, line, "parse_bad: message");
		}
	}
}
#define PARSE_BAD(s, want, ...) \
	parse_bad((s), (want), (const char *const[]){ __VA_ARGS__, NULL }, __LINE__)

static void repeat(char *buf, char c, size_t n)
{
	memset(buf, c, n);
	buf[n] = '\0';
}

static void test_happy(void)
{
	struct mpdp_devargs da;
	char s[MPDP_DEVARGS_STR_SIZE], name[64], key[64], value[256];

	PARSE_OK("net_null0", &da);
	CHECK(strcmp(da.name, "net_null0") == 0);
	CHECK_EQ(da.nb_kv, 0);
	CHECK(mpdp_devargs_get(&da, "size") == NULL);

	/* every character the name may have */
	PARSE_OK("Az09_.:-", &da);
	CHECK(strcmp(da.name, "Az09_.:-") == 0);

	PARSE_OK("net_ring0,size=1024,nodeaction=r1:0:CREATE", &da);
	CHECK(strcmp(da.name, "net_ring0") == 0);
	CHECK_EQ(da.nb_kv, 2);
	CHECK(strcmp(da.kv[0].key, "size") == 0 && strcmp(da.kv[0].value, "1024") == 0);
	CHECK(strcmp(da.kv[1].key, "nodeaction") == 0);
	CHECK(strcmp(mpdp_devargs_get(&da, "nodeaction"), "r1:0:CREATE") == 0);

	/* the value runs from the first '=': it may hold more of them */
	PARSE_OK("net_pcap0,rx_pcap=/tmp/a=b.pcap,filter=x==y", &da);
	CHECK(strcmp(mpdp_devargs_get(&da, "rx_pcap"), "/tmp/a=b.pcap") == 0);
	CHECK(strcmp(mpdp_devargs_get(&da, "filter"), "x==y") == 0);

	/* empty values, including one that is a lone "=" after the key */
	PARSE_OK("net_x,a=,b==", &da);
	CHECK_EQ(da.nb_kv, 2);
	CHECK(mpdp_devargs_get(&da, "a") != NULL && mpdp_devargs_get(&da, "a")[0] == '\0');
	CHECK(strcmp(mpdp_devargs_get(&da, "b"), "=") == 0);
	CHECK(mpdp_devargs_get(&da, "c") == NULL);
	CHECK(mpdp_devargs_get(&da, "") == NULL);
	CHECK(mpdp_devargs_get(NULL, "a") == NULL);
	CHECK(mpdp_devargs_get(&da, NULL) == NULL);

	/* keys are case-sensitive and distinct from prefixes of each other */
	PARSE_OK("d,k=1,K=2,kk=3", &da);
	CHECK(strcmp(mpdp_devargs_get(&da, "k"), "1") == 0);
	CHECK(strcmp(mpdp_devargs_get(&da, "K"), "2") == 0);
	CHECK(strcmp(mpdp_devargs_get(&da, "kk"), "3") == 0);

	/* MPDP_DEVARGS_MAX_KV pairs */
	snprintf(s, sizeof(s), "d");
	for (int i = 0; i < MPDP_DEVARGS_MAX_KV; i++)
		snprintf(s + strlen(s), sizeof(s) - strlen(s), ",k%d=v%d", i, i);
	PARSE_OK(s, &da);
	CHECK_EQ(da.nb_kv, MPDP_DEVARGS_MAX_KV);
	CHECK(strcmp(mpdp_devargs_get(&da, "k15"), "v15") == 0);
	CHECK(strcmp(da.kv[7].key, "k7") == 0);

	/* longest name, key and value */
	repeat(name, 'n', MPDP_NAME_SIZE - 1);
	repeat(key, 'k', MPDP_DEVARGS_KEY_SIZE - 1);
	repeat(value, 'v', MPDP_DEVARGS_VALUE_SIZE - 1);
	snprintf(s, sizeof(s), "%s,%s=%s", name, key, value);
	PARSE_OK(s, &da);
	CHECK(strcmp(da.name, name) == 0);
	CHECK(strcmp(mpdp_devargs_get(&da, key), value) == 0);

	/* longest string: MPDP_DEVARGS_STR_SIZE - 1 characters (4 pairs of 120) */
	snprintf(s, sizeof(s), "d");
	for (int i = 0; i < 4; i++) {
		repeat(value, 'a' + i, 120);
		snprintf(s + strlen(s), sizeof(s) - strlen(s), ",k%d=%s", i, value);
	}
	repeat(value, 'z', MPDP_DEVARGS_STR_SIZE - 1 - strlen(s) - 3);
	snprintf(s + strlen(s), sizeof(s) - strlen(s), ",z=%s", value);
	CHECK_EQ(strlen(s), MPDP_DEVARGS_STR_SIZE - 1);
	PARSE_OK(s, &da);
	CHECK_EQ(da.nb_kv, 5);

	/* a successful parse with no room for a message leaves err alone */
	char err[4] = "abc";
	CHECK_EQ(mpdp_devargs_parse("x,a=1", &da, err, sizeof(err)), 0);
	CHECK_EQ(mpdp_devargs_parse("x,a=1", &da, NULL, 0), 0);
}

static void test_malformed(void)
{
	char s[2 * MPDP_DEVARGS_STR_SIZE], long_part[MPDP_DEVARGS_STR_SIZE];

	PARSE_BAD("", -EINVAL, "empty name");
	PARSE_BAD(",a=1", -EINVAL, "empty name", "',a=1'");
	PARSE_BAD("net null", -EINVAL, "'net null'", "' '", "[A-Za-z0-9_.:-]");
	PARSE_BAD("net/null,a=1", -EINVAL, "'net/null'", "'/'");
	PARSE_BAD("net\tnull", -EINVAL, "'?'", "0x09");
	PARSE_BAD("net=null", -EINVAL, "'net=null'", "'='");
	PARSE_BAD("null0,size", -EINVAL, "'null0'", "'size'", "no '='");
	PARSE_BAD("null0,a=1,size", -EINVAL, "'size'", "no '='");
	PARSE_BAD("null0,=5", -EINVAL, "'null0'", "'=5'", "empty key");
	PARSE_BAD("null0,,a=1", -EINVAL, "'null0'", "empty argument");
	PARSE_BAD("null0,", -EINVAL, "'null0'", "empty argument");
	PARSE_BAD("null0,a=1,", -EINVAL, "empty argument");
	PARSE_BAD("null0,size=1,size=2", -EINVAL, "'null0'", "'size'", "twice");
	PARSE_BAD("null0,size=1,size=1", -EINVAL, "'size'", "twice");
	PARSE_BAD("null0,a=,a=", -EINVAL, "'a'", "twice");

	/* too long: name, key, value */
	repeat(long_part, 'n', MPDP_NAME_SIZE);
	PARSE_BAD(long_part, -ENAMETOOLONG, long_part, "longer than 31");
	repeat(long_part, 'k', MPDP_DEVARGS_KEY_SIZE);
	snprintf(s, sizeof(s), "dev,%s=1", long_part);
	PARSE_BAD(s, -ENAMETOOLONG, "'dev'", long_part, "longer than 31");
	repeat(long_part, 'v', MPDP_DEVARGS_VALUE_SIZE);
	snprintf(s, sizeof(s), "dev,key=%s", long_part);
	PARSE_BAD(s, -ENAMETOOLONG, "'dev'", "'key'", "longer than 127");

	/* too many pairs: the first one past the limit is named */
	snprintf(s, sizeof(s), "d");
	for (int i = 0; i <= MPDP_DEVARGS_MAX_KV; i++)
		snprintf(s + strlen(s), sizeof(s) - strlen(s), ",k%d=v", i);
	PARSE_BAD(s, -E2BIG, "'d'", "more than 16", "'k16=v'");

	/* the whole string too long */
	repeat(long_part, 'x', MPDP_DEVARGS_STR_SIZE - 4);
	snprintf(s, sizeof(s), "d,k=%s", long_part);
	CHECK_EQ(strlen(s), MPDP_DEVARGS_STR_SIZE);
	PARSE_BAD(s, -E2BIG, "longer than 511");

	/* the first error wins */
	PARSE_BAD("bad name,a", -EINVAL, "'bad name'");
	PARSE_BAD("d,a,=1", -EINVAL, "'a'", "no '='");

	/* no string, no output: refused, nothing written */
	struct mpdp_devargs da;
	char err[8] = "keep";

	CHECK_EQ(mpdp_devargs_parse(NULL, &da, NULL, 0), -EINVAL);
	CHECK_EQ(mpdp_devargs_parse("", &da, NULL, 0), -EINVAL);
	CHECK_EQ(mpdp_devargs_parse("a,b", &da, err, 0), -EINVAL);
	CHECK(strcmp(err, "keep") == 0);
	/* a small buffer gets a truncated, terminated line */
	CHECK_EQ(mpdp_devargs_parse("a,b", &da, err, sizeof(err)), -EINVAL);
	CHECK_EQ(strlen(err), sizeof(err) - 1);
}

static void test_get_uint(void)
{
	struct mpdp_devargs da;
	char err[256];
	uint64_t v;

	PARSE_OK("net_x,size=1024,zero=0,hex=0x1F,max=18446744073709551615,"
		 "over=18446744073709551616,neg=-1,plus=+5,sp= 5,suffix=5k,empty=,"
		 "octal=010,hexonly=0x,hexbad=0xg,hexhex=0x0x5,big=0xffffffffffffffff,"
		 "bighex=0x10000000000000000",
		 &da);

	/* absent: the default, whatever the range */
	v = 7;
	CHECK_EQ(mpdp_devargs_get_uint(&da, "nope", 1, 2, 99, &v, err, sizeof(err)), 0);
	CHECK_EQ(v, 99);

	CHECK_EQ(mpdp_devargs_get_uint(&da, "size", 64, 4096, 512, &v, err, sizeof(err)), 0);
	CHECK_EQ(v, 1024);
	/* bounds are inclusive */
	CHECK_EQ(mpdp_devargs_get_uint(&da, "size", 1024, 1024, 0, &v, err, sizeof(err)), 0);
	CHECK_EQ(mpdp_devargs_get_uint(&da, "zero", 0, 1, 5, &v, err, sizeof(err)), 0);
	CHECK_EQ(v, 0);
	CHECK_EQ(mpdp_devargs_get_uint(&da, "hex", 0, 100, 5, &v, err, sizeof(err)), 0);
	CHECK_EQ(v, 31);
	CHECK_EQ(mpdp_devargs_get_uint(&da, "max", 0, UINT64_MAX, 5, &v, err, sizeof(err)), 0);
	CHECK(v == UINT64_MAX);
	CHECK_EQ(mpdp_devargs_get_uint(&da, "big", 0, UINT64_MAX, 5, &v, err, sizeof(err)), 0);
	CHECK(v == UINT64_MAX);
	/* octal is not a thing: 010 is ten */
	CHECK_EQ(mpdp_devargs_get_uint(&da, "octal", 0, 100, 5, &v, err, sizeof(err)), 0);
	CHECK_EQ(v, 10);

	/* out of range, overflow, garbage: -EINVAL, *out untouched, one line */
	static const struct {
		const char *key, *value;
		uint64_t min, max;
		const char *range;
	} bad[] = {
		{ "size", "1024", 0, 1023, "[0, 1023]" },
		{ "size", "1024", 1025, 2048, "[1025, 2048]" },
		{ "zero", "0", 1, 10, "[1, 10]" },
		{ "over", "18446744073709551616", 0, UINT64_MAX, "[0, 18446744073709551615]" },
		{ "bighex", "0x10000000000000000", 0, UINT64_MAX, "[0, 18446744073709551615]" },
		{ "neg", "-1", 0, 10, "[0, 10]" },
		{ "plus", "+5", 0, 10, "[0, 10]" },
		{ "sp", " 5", 0, 10, "[0, 10]" },
		{ "suffix", "5k", 0, 10000, "[0, 10000]" },
		{ "empty", "", 0, 10, "[0, 10]" },
		{ "hexonly", "0x", 0, 10, "[0, 10]" },
		{ "hexbad", "0xg", 0, 10, "[0, 10]" },
		{ "hexhex", "0x0x5", 0, 10, "[0, 10]" },
	};
	for (size_t i = 0; i < MPDP_DIM(bad); i++) {
		char want_value[160];

		v = 12345;
		err[0] = '\0';
		CHECK_EQ(mpdp_devargs_get_uint(&da, bad[i].key, bad[i].min, bad[i].max, 1, &v, err,
					       sizeof(err)),
			 -EINVAL);
		CHECK_EQ(v, 12345);
		snprintf(want_value, sizeof(want_value), "'%s'", bad[i].value);
		if (strstr(err, "'net_x'") == NULL || strstr(err, want_value) == NULL ||
		    strstr(err, bad[i].key) == NULL || strstr(err, bad[i].range) == NULL) {
			fprintf(stderr, "  key %s: message '%s'\n", bad[i].key, err);
			CHECK(!"get_uint message names device, key, value and range");
		}
	}
	/* no room for the message is fine */
	CHECK_EQ(mpdp_devargs_get_uint(&da, "neg", 0, 10, 1, &v, NULL, 0), -EINVAL);
}

static void test_check_keys(void)
{
	static const char *const known[] = { "size", "count", "mode", NULL };
	static const char *const none[] = { NULL };
	struct mpdp_devargs da;
	char err[256];

	PARSE_OK("net_x,size=1,mode=a", &da);
	CHECK_EQ(mpdp_devargs_check_keys(&da, known, err, sizeof(err)), 0);
	PARSE_OK("net_x", &da);
	CHECK_EQ(mpdp_devargs_check_keys(&da, none, err, sizeof(err)), 0);

	PARSE_OK("net_x,size=1,colour=red", &da);
	err[0] = '\0';
	CHECK_EQ(mpdp_devargs_check_keys(&da, known, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "'net_x'") != NULL);
	CHECK(strstr(err, "unknown key 'colour'") != NULL);
	CHECK(strstr(err, "size, count, mode") != NULL);
	CHECK(strchr(err, '\n') == NULL);

	CHECK_EQ(mpdp_devargs_check_keys(&da, none, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "unknown key 'size'") != NULL);
	CHECK(strstr(err, "accepted: none") != NULL);
	CHECK_EQ(mpdp_devargs_check_keys(&da, NULL, NULL, 0), -EINVAL);
}

int main(void)
{
	test_happy();
	test_malformed();
	test_get_uint();
	test_check_keys();
	unit_exit();
}
