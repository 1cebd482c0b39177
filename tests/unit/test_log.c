/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_log.c - mpdp_log: per-component and global thresholds, the
 * "parent.child" fallback, level parsing, sink replacement and the default
 * sink's format, and the rate-limited form.
 *
 * The log is process-local and works without mpdp_init(), so this test never
 * starts the runtime.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "unit_util.h"

static void test_default_global(void)
{
	/* notice by default: warnings and notices pass, info does not */
	CHECK(mpdp_log_enabled(MPDP_LOG_ERR, "eal"));
	CHECK(mpdp_log_enabled(MPDP_LOG_NOTICE, "eal"));
	CHECK(!mpdp_log_enabled(MPDP_LOG_INFO, "eal"));
	CHECK(mpdp_log_enabled(MPDP_LOG_NOTICE, NULL));
	CHECK(!mpdp_log_enabled(MPDP_LOG_DEBUG, NULL));
}

static void test_component_levels(void)
{
	CHECK_EQ(mpdp_log_set_level("ring", MPDP_LOG_DEBUG), 0);
	CHECK(mpdp_log_enabled(MPDP_LOG_DEBUG, "ring"));
	CHECK(!mpdp_log_enabled(MPDP_LOG_DEBUG, "eal")); /* others keep the global one */
	CHECK(!mpdp_log_enabled(MPDP_LOG_DEBUG, "ringx"));
	CHECK_EQ(mpdp_log_set_level("ring", MPDP_LOG_ERR), 0); /* update in place */
	CHECK(!mpdp_log_enabled(MPDP_LOG_WARNING, "ring"));
	CHECK(mpdp_log_enabled(MPDP_LOG_ERR, "ring"));
	/* a component level wins over the global one, both ways */
	CHECK_EQ(mpdp_log_set_level(NULL, MPDP_LOG_DEBUG), 0);
	CHECK(mpdp_log_enabled(MPDP_LOG_DEBUG, "eal"));
	CHECK(!mpdp_log_enabled(MPDP_LOG_WARNING, "ring"));
	CHECK_EQ(mpdp_log_set_level(NULL, MPDP_LOG_NOTICE), 0);

	/* bad arguments */
	CHECK_EQ(mpdp_log_set_level("ring", (enum mpdp_log_level)0), -EINVAL);
	CHECK_EQ(mpdp_log_set_level("ring", (enum mpdp_log_level)6), -EINVAL);
	CHECK_EQ(mpdp_log_set_level(NULL, (enum mpdp_log_level)0), -EINVAL);
	CHECK_EQ(mpdp_log_set_level("", MPDP_LOG_INFO), -EINVAL);
	CHECK_EQ(mpdp_log_set_level("0123456789012345678901234567890123", MPDP_LOG_INFO), -EINVAL);
	CHECK(mpdp_log_enabled(MPDP_LOG_ERR, "ring")); /* unchanged by the failures */
	CHECK(!mpdp_log_enabled(MPDP_LOG_WARNING, "ring"));
}

static void test_parent_fallback(void)
{
	CHECK(!mpdp_log_enabled(MPDP_LOG_DEBUG, "pmd.virtio"));
	CHECK_EQ(mpdp_log_parse_level("pmd:debug"), 0);
	CHECK(mpdp_log_enabled(MPDP_LOG_DEBUG, "pmd"));
	CHECK(mpdp_log_enabled(MPDP_LOG_DEBUG, "pmd.virtio"));
	CHECK(mpdp_log_enabled(MPDP_LOG_DEBUG, "pmd.null"));
	CHECK(!mpdp_log_enabled(MPDP_LOG_DEBUG, "pmdx.virtio")); /* a prefix is not a parent */
	CHECK(!mpdp_log_enabled(MPDP_LOG_DEBUG, "pmdx"));
	/* the child's own level wins over its parent's */
	CHECK_EQ(mpdp_log_parse_level("pmd.virtio:err"), 0);
	CHECK(!mpdp_log_enabled(MPDP_LOG_WARNING, "pmd.virtio"));
	CHECK(mpdp_log_enabled(MPDP_LOG_DEBUG, "pmd.null"));
	/* a component without a parent of its own level falls back to the global */
	CHECK(!mpdp_log_enabled(MPDP_LOG_INFO, "mempool.cache"));
}

static void test_parse(void)
{
	static const struct {
		const char *spec;
		enum mpdp_log_level level;
	} good[] = {
		{ "err", MPDP_LOG_ERR },         { "error", MPDP_LOG_ERR },
		{ "warning", MPDP_LOG_WARNING }, { "warn", MPDP_LOG_WARNING },
		{ "notice", MPDP_LOG_NOTICE },   { "info", MPDP_LOG_INFO },
		{ "debug", MPDP_LOG_DEBUG },     { "DEBUG", MPDP_LOG_DEBUG },
		{ "Info", MPDP_LOG_INFO },       { "1", MPDP_LOG_ERR },
		{ "2", MPDP_LOG_WARNING },       { "3", MPDP_LOG_NOTICE },
		{ "4", MPDP_LOG_INFO },          { "5", MPDP_LOG_DEBUG },
	};
	static const char *const bad[] = {
		"",         "0",          "6",      "-1",
		"nonsense", "3x",         "debug ", "ring:",
		":debug",   "ring:bogus", "ring:0", "0123456789012345678901234567890123:debug",
	};
	char spec[64], comp[32];

	for (size_t i = 0; i < MPDP_DIM(good); i++) {
		/* component form: exactly that level and nothing more */
		snprintf(comp, sizeof(comp), "parse.t%zu", i);
		snprintf(spec, sizeof(spec), "%s:%s", comp, good[i].spec);
		CHECK_EQ(mpdp_log_parse_level(spec), 0);
		CHECK(mpdp_log_enabled(good[i].level, comp));
		if (good[i].level < MPDP_LOG_DEBUG)
			CHECK(!mpdp_log_enabled(good[i].level + 1, comp));
		/* global form */
		CHECK_EQ(mpdp_log_parse_level(good[i].spec), 0);
		CHECK(mpdp_log_enabled(good[i].level, "parse.other"));
		if (good[i].level < MPDP_LOG_DEBUG)
			CHECK(!mpdp_log_enabled(good[i].level + 1, "parse.other"));
	}
	CHECK_EQ(mpdp_log_parse_level("notice"), 0);
	for (size_t i = 0; i < MPDP_DIM(bad); i++) {
		if (mpdp_log_parse_level(bad[i]) != -EINVAL) {
			fprintf(stderr, "  spec '%s' accepted\n", bad[i]);
			CHECK_EQ(mpdp_log_parse_level(bad[i]), -EINVAL);
		}
	}
	/* a refused spec changed nothing */
	CHECK(mpdp_log_enabled(MPDP_LOG_NOTICE, NULL));
	CHECK(!mpdp_log_enabled(MPDP_LOG_INFO, NULL));
	CHECK(mpdp_log_enabled(MPDP_LOG_ERR, "ring"));
	CHECK(!mpdp_log_enabled(MPDP_LOG_WARNING, "ring"));
}

static int sink_calls;
static void *sink_seen_arg;

static void counting_sink(enum mpdp_log_level level, const char *component, const char *message,
			  void *arg)
{
	(void)level;
	(void)component;
	(void)message;
	sink_calls++;
	sink_seen_arg = arg;
}

/* Run fn with stderr redirected to a file; return what it wrote. */
static size_t capture_stderr(void (*fn)(void), char *buf, size_t size)
{
	FILE *tmp = tmpfile();
	int saved;
	size_t n = 0;

	if (tmp == NULL)
		return 0;
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(fileno(tmp), STDERR_FILENO);
	fn();
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, size - 1, tmp);
	buf[n] = '\0';
	fclose(tmp);
	return n;
}

static void log_three(void)
{
	mpdp_log(MPDP_LOG_ERR, "ring", "broken %d", 7);
	mpdp_log(MPDP_LOG_WARNING, NULL, "careful");
	mpdp_log(MPDP_LOG_NOTICE, "eal", "plain");
	mpdp_log(MPDP_LOG_DEBUG, "eal", "filtered");
}

static void test_sink(void)
{
	const struct unit_log_line *l;
	char out[1024];
	char big[3000];
	int marker = 0;

	/* the default sink: one line per message, on stderr */
	capture_stderr(log_three, out, sizeof(out));
	CHECK(strcmp(out, "mpdp: ring: error: broken 7\n"
			  "mpdp: app: warning: careful\n"
			  "mpdp: eal: plain\n") == 0);
	if (strstr(out, "mpdp: ring: error: broken 7\n") == NULL)
		fprintf(stderr, "  default sink wrote: <%s>\n", out);

	/* replacing returns the previous sink (NULL: the default), with its arg */
	CHECK(mpdp_log_set_sink(counting_sink, &marker) == NULL);
	mpdp_log(MPDP_LOG_ERR, "eal", "to the counter");
	mpdp_log(MPDP_LOG_DEBUG, "eal", "filtered before the sink");
	CHECK_EQ(sink_calls, 1);
	CHECK(sink_seen_arg == &marker);
	unit_log_capture();
	CHECK_EQ(sink_calls, 1);
	mpdp_log(MPDP_LOG_ERR, "eal", "formatted %s %u", "value", 42u);
	CHECK_EQ(sink_calls, 1); /* replaced: the counter sees nothing more */
	CHECK_EQ(unit_log_count(), 1);
	l = unit_log_get(0);
	if (l != NULL) {
		CHECK_EQ(l->level, MPDP_LOG_ERR);
		CHECK(strcmp(l->component, "eal") == 0);
		CHECK(strcmp(l->message, "formatted value 42") == 0); /* no newline */
	}
	/* an overlong message arrives truncated, not overflowing */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	unit_log_clear();
	mpdp_log(MPDP_LOG_ERR, "eal", "%s", big);
	l = unit_log_get(0);
	CHECK(l != NULL && strlen(l->message) == 1023);
	unit_log_release(); /* back to the counter */
	mpdp_log(MPDP_LOG_ERR, "eal", "to the counter again");
	CHECK_EQ(sink_calls, 2);

	/* NULL restores the default; it returns the one it replaced */
	CHECK(mpdp_log_set_sink(NULL, NULL) == counting_sink);
	capture_stderr(log_three, out, sizeof(out));
	CHECK(strstr(out, "mpdp: ring: error: broken 7\n") == out);
	CHECK_EQ(sink_calls, 2);
}

static void rl_burst(unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		MPDP_LOG_RATELIMIT(MPDP_LOG_ERR, "rl", 5, "event %u", i);
}

static void test_ratelimit(void)
{
	struct timespec pause = { 1, 200 * 1000 * 1000 };
	const struct unit_log_line *l;
	unsigned int n;

	unit_log_capture();
	rl_burst(100); /* a burst of 5 passes, the rest is counted */
	n = unit_log_count();
	CHECK_EQ(n, 5);
	for (unsigned int i = 0; i < n && i < 5; i++) {
		char want[32];

		snprintf(want, sizeof(want), "event %u", i);
		l = unit_log_get(i);
		CHECK(strcmp(l->message, want) == 0 && strcmp(l->component, "rl") == 0);
	}
	/* next window: first the count of what was dropped, then the burst again */
	nanosleep(&pause, NULL);
	unit_log_clear();
	rl_burst(7);
	CHECK_EQ(unit_log_count(), 6);
	l = unit_log_get(0);
	if (l != NULL) {
		CHECK_EQ(l->level, MPDP_LOG_WARNING);
		CHECK(strstr(l->message, "95 messages suppressed") != NULL);
	}
	l = unit_log_get(1);
	CHECK(l != NULL && strcmp(l->message, "event 0") == 0);

	/* a filtered level is not emitted even within the burst */
	unit_log_clear();
	for (int i = 0; i < 3; i++)
		MPDP_LOG_RATELIMIT(MPDP_LOG_DEBUG, "rl", 5, "quiet %d", i);
	CHECK_EQ(unit_log_count(), 0);

	/* the state function itself */
	uint64_t state[2] = { 0, 0 };
	unsigned int passed = 0;

	for (int i = 0; i < 10; i++)
		passed += (unsigned int)mpdp_log_ratelimit_pass(state, 3);
	CHECK_EQ(passed, 3);
	unit_log_release();
}

static void test_table_full(void)
{
	char name[32];
	int rc = 0, i;

	/* the table holds a bounded number of components; then -ENOSPC */
	for (i = 0; i < 1000 && rc == 0; i++) {
		snprintf(name, sizeof(name), "full.%d", i);
		rc = mpdp_log_set_level(name, MPDP_LOG_DEBUG);
	}
	CHECK_EQ(rc, -ENOSPC);
	CHECK(i > 16);
	/* documented as 0 or -EINVAL; a full table is reported as -ENOSPC */
	rc = mpdp_log_parse_level("full.new:debug");
	CHECK(rc == -ENOSPC || rc == -EINVAL);
	/* existing components can still change, and the global level too */
	CHECK_EQ(mpdp_log_set_level("ring", MPDP_LOG_INFO), 0);
	CHECK(mpdp_log_enabled(MPDP_LOG_INFO, "ring"));
	CHECK_EQ(mpdp_log_set_level(NULL, MPDP_LOG_ERR), 0);
	CHECK(!mpdp_log_enabled(MPDP_LOG_WARNING, "full.new"));
}

int main(void)
{
	test_default_global();
	test_component_levels();
	test_parent_fallback();
	test_parse();
	test_sink();
	test_ratelimit();
	test_table_full();
	unit_exit();
}
