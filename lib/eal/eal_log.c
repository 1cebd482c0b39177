/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eal_log.c - mpdp_log: per-component levels and a replaceable sink.
 *
 * Process-local. The component table only grows (a component is never
 * removed), so readers scan it without a lock: an entry is published by a
 * release store of the count after its fields are written.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pthread.h>
#include <time.h>

#include <mpdp/mpdp_log.h>

#define LOG_MAX_COMPONENTS 64
#define LOG_COMPONENT_SIZE 32

struct log_component {
	char name[LOG_COMPONENT_SIZE];
	_Atomic int level;
};

static struct log_component components[LOG_MAX_COMPONENTS];
static _Atomic unsigned int nb_components;  /* release: pairs with acquire in find */
static pthread_mutex_t components_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic int global_level = MPDP_LOG_NOTICE;

static pthread_mutex_t sink_lock = PTHREAD_MUTEX_INITIALIZER;
static mpdp_log_sink_t sink;
static void *sink_arg;

static const char *const level_names[] = {
	[MPDP_LOG_ERR] = "err",	  [MPDP_LOG_WARNING] = "warning", [MPDP_LOG_NOTICE] = "notice",
	[MPDP_LOG_INFO] = "info", [MPDP_LOG_DEBUG] = "debug",
};

static struct log_component *find_component(const char *name)
{
	unsigned int n = atomic_load_explicit(&nb_components, memory_order_acquire);
	for (unsigned int i = 0; i < n; i++)
		if (strcmp(components[i].name, name) == 0)
			return &components[i];
	return NULL;
}

/*
 * A component "pmd.virtio" falls back to "pmd" before the global level, so
 * "--log-level pmd:debug" covers every driver.
 */
static int component_level(const char *component)
{
	char parent[LOG_COMPONENT_SIZE];
	struct log_component *c;
	const char *dot;

	if (component == NULL)
		return atomic_load_explicit(&global_level, memory_order_relaxed);
	c = find_component(component);
	if (c != NULL)
		return atomic_load_explicit(&c->level, memory_order_relaxed);
	dot = strchr(component, '.');
	if (dot != NULL && (size_t)(dot - component) < sizeof(parent)) {
		memcpy(parent, component, (size_t)(dot - component));
		parent[dot - component] = '\0';
		c = find_component(parent);
		if (c != NULL)
			return atomic_load_explicit(&c->level, memory_order_relaxed);
	}
	return atomic_load_explicit(&global_level, memory_order_relaxed);
}

int mpdp_log_enabled(enum mpdp_log_level level, const char *component)
{
	return (int)level <= component_level(component);
}

static void default_sink(enum mpdp_log_level level, const char *component, const char *message,
			 void *arg)
{
	const char *tag = "";
	char line[1200];

	(void)arg;
	if (level == MPDP_LOG_ERR)
		tag = "error: ";
	else if (level == MPDP_LOG_WARNING)
		tag = "warning: ";
	/* one write per message, so lines from threads never interleave */
	snprintf(line, sizeof(line), "mpdp: %s: %s%s\n", component ? component : "app", tag,
		 message);
	fputs(line, stderr); /* mpdp-allow-print: the default log sink is the one writer */
}

void mpdp_vlog(enum mpdp_log_level level, const char *component, const char *fmt, va_list ap)
{
	char message[1024];
	mpdp_log_sink_t s;
	void *a;

	if (!mpdp_log_enabled(level, component))
		return;
	vsnprintf(message, sizeof(message), fmt, ap);
	pthread_mutex_lock(&sink_lock);
	s = sink ? sink : default_sink;
	a = sink_arg;
	s(level, component, message, a);
	pthread_mutex_unlock(&sink_lock);
}

void mpdp_log(enum mpdp_log_level level, const char *component, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mpdp_vlog(level, component, fmt, ap);
	va_end(ap);
}

int mpdp_log_set_level(const char *component, enum mpdp_log_level level)
{
	struct log_component *c;
	unsigned int n;
	int rc = 0;

	if (level < MPDP_LOG_ERR || level > MPDP_LOG_DEBUG)
		return -EINVAL;
	if (component == NULL) {
		atomic_store_explicit(&global_level, (int)level, memory_order_relaxed);
		return 0;
	}
	if (component[0] == '\0' || strlen(component) >= LOG_COMPONENT_SIZE)
		return -EINVAL;
	pthread_mutex_lock(&components_lock);
	c = find_component(component);
	if (c == NULL) {
		n = atomic_load_explicit(&nb_components, memory_order_relaxed);
		if (n == LOG_MAX_COMPONENTS) {
			rc = -ENOSPC;
			goto out;
		}
		c = &components[n];
		snprintf(c->name, sizeof(c->name), "%s", component);
		atomic_store_explicit(&c->level, (int)level, memory_order_relaxed);
		/* pairs with the acquire in find_component() */
		atomic_store_explicit(&nb_components, n + 1, memory_order_release);
	} else {
		atomic_store_explicit(&c->level, (int)level, memory_order_relaxed);
	}
out:
	pthread_mutex_unlock(&components_lock);
	return rc;
}

static int parse_level_name(const char *s)
{
	char *end;
	long v;

	for (int i = MPDP_LOG_ERR; i <= MPDP_LOG_DEBUG; i++)
		if (strcasecmp(s, level_names[i]) == 0)
			return i;
	if (strcasecmp(s, "error") == 0)
		return MPDP_LOG_ERR;
	if (strcasecmp(s, "warn") == 0)
		return MPDP_LOG_WARNING;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno == 0 && *s != '\0' && *end == '\0' && v >= MPDP_LOG_ERR && v <= MPDP_LOG_DEBUG)
		return (int)v;
	return -EINVAL;
}

int mpdp_log_parse_level(const char *spec)
{
	char component[LOG_COMPONENT_SIZE];
	const char *colon = strrchr(spec, ':');
	int level;

	if (colon == NULL) {
		level = parse_level_name(spec);
		return level < 0 ? level : mpdp_log_set_level(NULL, (enum mpdp_log_level)level);
	}
	if (colon == spec || (size_t)(colon - spec) >= sizeof(component))
		return -EINVAL;
	memcpy(component, spec, (size_t)(colon - spec));
	component[colon - spec] = '\0';
	level = parse_level_name(colon + 1);
	if (level < 0)
		return level;
	return mpdp_log_set_level(component, (enum mpdp_log_level)level);
}

mpdp_log_sink_t mpdp_log_set_sink(mpdp_log_sink_t new_sink, void *arg)
{
	mpdp_log_sink_t old;

	pthread_mutex_lock(&sink_lock);
	old = sink;
	sink = new_sink;
	sink_arg = arg;
	pthread_mutex_unlock(&sink_lock);
	return old;
}

/*
 * state[0]: start of the current one-second window (ns), state[1]: messages
 * in it. Races between threads of one call site only blur the count.
 */
int mpdp_log_ratelimit_pass(uint64_t state[2], unsigned int burst)
{
	struct timespec ts;
	uint64_t now;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	if (now - state[0] >= 1000000000ULL) {
		if (state[1] > burst)
			mpdp_log(MPDP_LOG_WARNING, "log", "%llu messages suppressed",
				 (unsigned long long)(state[1] - burst));
		state[0] = now;
		state[1] = 0;
	}
	return ++state[1] <= burst;
}
