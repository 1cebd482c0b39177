/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * app_test.c - helpers of the tool tests, see app_test.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app_test.h"

const char *const at_ring_quad[] = {
	"--vdev", "net_ring0",
	"--vdev", "net_ring1",
	"--vdev", "net_ring2,peer=net_ring0",
	"--vdev", "net_ring3,peer=net_ring1",
	NULL,
};

const char *const at_ring_quad_q2[] = {
	"--vdev", "net_ring0,queues=2",
	"--vdev", "net_ring1,queues=2",
	"--vdev", "net_ring2,queues=2,peer=net_ring0",
	"--vdev", "net_ring3,queues=2,peer=net_ring1",
	NULL,
};

const char *at_bin(const char *tool)
{
	if (strcmp(tool, "l2fwd") == 0)
		return mt_getenv_path("MPDP_APP_L2FWD");
	if (strcmp(tool, "proc-info") == 0)
		return mt_getenv_path("MPDP_APP_PROC_INFO");
	if (strcmp(tool, "mp-worker") == 0)
		return mt_getenv_path("MPDP_APP_MP_WORKER");
	if (strcmp(tool, "pktgen") == 0)
		return mt_getenv_path("MPDP_APP_PKTGEN");
	MT_FAIL("no tool '%s'", tool);
}

static void at_vargv(struct mt_argv *a, const char *tool, const struct mt_env *env,
		     const char *proc_type, const char *const *runtime_extra, va_list ap)
{
	const char *s;

	mt_argv_init(a, at_bin(tool));
	mt_argv_runtime(a, env, proc_type, 0);
	if (proc_type != NULL && strcmp(proc_type, "primary") == 0)
		mt_argv_add(a, "--no-pci", "--mem", "64M", NULL);
	for (unsigned int i = 0; runtime_extra != NULL && runtime_extra[i] != NULL; i++)
		mt_argv_add(a, runtime_extra[i], NULL);
	mt_argv_add(a, "--", NULL);
	while ((s = va_arg(ap, const char *)) != NULL)
		mt_argv_add(a, s, NULL);
}

void at_argv(struct mt_argv *a, const char *tool, const struct mt_env *env, const char *proc_type,
	     const char *const *runtime_extra, ...)
{
	va_list ap;

	va_start(ap, runtime_extra);
	at_vargv(a, tool, env, proc_type, runtime_extra, ap);
	va_end(ap);
}

void at_start_l2fwd(struct mt_proc *p, const struct mt_env *env, const char *const *vdevs,
		    char *ready, ...)
{
	struct mt_argv a;
	char line[256];
	va_list ap;
	int rc;

	va_start(ap, ready);
	at_vargv(&a, "l2fwd", env, "primary", vdevs, ap);
	va_end(ap);
	mt_spawn(p, "l2fwd", &a);
	mt_argv_fini(&a);
	rc = mt_wait_line(p, "ready ", line, sizeof(line), 10000);
	MT_ASSERT(rc == 1, "mpdp-l2fwd did not print 'ready' within 10 s (%s); stderr: %s",
		  rc == 0 ? "timeout" : "exited", mt_stderr(p));
	if (ready != NULL)
		snprintf(ready, 256, "%s", line);
}

void at_run_expect(struct mt_proc *p, const char *label, const struct mt_argv *a, int code,
		   int timeout_ms, const char *prefix, char *line, size_t size)
{
	mt_spawn(p, label, a);
	if (mt_wait_exit(p, timeout_ms) != 0)
		MT_FAIL("%s did not exit within %d ms", label, timeout_ms);
	if (mt_exit_code(p) != code)
		MT_FAIL("%s: expected exit %d, got %s; stderr: %s", label, code, mt_status_str(p),
			mt_stderr(p));
	if (line != NULL) {
		const char *l = NULL;

		for (unsigned int i = 0; i < p->nb_lines; i++)
			if (strncmp(p->lines[i].text, prefix, strlen(prefix)) == 0)
				l = p->lines[i].text;
		MT_ASSERT(l != NULL, "%s printed no '%s' line", label, prefix);
		snprintf(line, size, "%s", l);
	}
}

/*
 * Write text (or, text NULL, p's stdout lines) to a temporary file and run
 * the python3 program py on it. Returns the exit status (256 when it did not
 * exit), or -1 when python3 is not there.
 */
static int python_on(const char *py, const char *text, const struct mt_proc *p)
{
	char path[] = "/tmp/mpdp-test-json-XXXXXX";
	char cmd[1024];
	FILE *f;
	int fd, st;

	if (system("command -v python3 >/dev/null 2>&1") != 0)
		return -1;
	fd = mkstemp(path);
	MT_ASSERT(fd >= 0, "mkstemp: %s", strerror(errno));
	f = fdopen(fd, "w");
	MT_ASSERT(f != NULL, "fdopen: %s", strerror(errno));
	if (text != NULL)
		fputs(text, f);
	else
		for (unsigned int i = 0; i < p->nb_lines; i++)
			fprintf(f, "%s\n", p->lines[i].text);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "python3 -c '%s' %s 2>/dev/null", py, path);
	st = system(cmd);
	unlink(path);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 256;
}

int at_json_valid(const char *text)
{
	int rc = python_on("import json,sys; json.load(open(sys.argv[1]))", text, NULL);

	return rc < 0 ? -1 : rc == 0;
}

int at_json_lines_invalid(const struct mt_proc *p)
{
	/* exit status: the number of bad lines (at most 100) */
	int rc = python_on("\n"
			   "import json,sys\n"
			   "bad=0\n"
			   "for l in open(sys.argv[1]):\n"
			   "    try: json.loads(l)\n"
			   "    except ValueError: bad+=1\n"
			   "sys.exit(min(bad,100))",
			   NULL, p);

	return rc > 100 ? 100 : rc;
}

int at_json_port_u64(const char *doc, const char *section, unsigned int port, const char *key,
		     unsigned long long *out)
{
	char pat[64], kpat[80];
	const char *s, *end, *obj, *obj_end, *k;

	snprintf(pat, sizeof(pat), "\"%s\":[", section);
	s = strstr(doc, pat);
	if (s == NULL)
		return 0;
	s += strlen(pat);
	end = strchr(s, ']'); /* the arrays hold flat objects: no ']' inside */
	if (end == NULL)
		return 0;
	snprintf(pat, sizeof(pat), "{\"port\":%u,", port);
	obj = strstr(s, pat);
	if (obj == NULL || obj > end)
		return 0;
	obj_end = strchr(obj, '}');
	snprintf(kpat, sizeof(kpat), "\"%s\":", key);
	k = strstr(obj, kpat);
	if (k == NULL || obj_end == NULL || k > obj_end)
		return 0;
	*out = strtoull(k + strlen(kpat), NULL, 10);
	return 1;
}

unsigned int at_count_lines(const struct mt_proc *p, const char *prefix)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < p->nb_lines; i++)
		n += strncmp(p->lines[i].text, prefix, strlen(prefix)) == 0;
	return n;
}

const char *at_line(const struct mt_proc *p, const char *prefix, unsigned int i)
{
	for (unsigned int k = 0; k < p->nb_lines; k++)
		if (strncmp(p->lines[k].text, prefix, strlen(prefix)) == 0 && i-- == 0)
			return p->lines[k].text;
	return NULL;
}
