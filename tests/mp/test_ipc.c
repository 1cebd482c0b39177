/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_ipc.c - IPC between a primary and a secondary, both directions.
 *
 *  - request/reply with payload (small, and MPDP_IPC_MAX_DATA)
 *  - -ENOENT for an action the peer does not have; -EINVAL / -ENOTCONN for
 *    bad peers
 *  - -ETIMEDOUT on "test.slow" (2 s) with a 200 ms timeout, and the late
 *    reply is not taken for the reply of the next request
 *  - asynchronous messages: all 100 arrive (counted by the primary)
 *  - the primary requests an action registered in the secondary, and
 *    broadcasts an asynchronous message to it
 *  - fds: the primary hands a memfd and an eventfd to the secondary, which
 *    reads the memfd and signals the eventfd; the primary sees the count
 *  - many fds in one message, more than SCM_MAX_FD (253): 300 and 1000
 *    from the primary, 300 from the secondary; all arrive, valid, in order
 */
#include <stdio.h>
#include <string.h>

#include "mpdp_test.h"

static void expect_err(struct mt_proc *p, const char *err, char *line, size_t size, const char *cmd)
{
	MT_CHECK(mt_cmd(p, line, size, 10000, "%s", cmd) != 0 &&
			 strncmp(line + 4, err, strlen(err)) == 0,
		 "%s: '%s' answered '%s', want %s", p->label, cmd, line, err);
}

static void expect_data(const char *line, const char *data, const char *what)
{
	char v[256];

	MT_CHECK(mt_field_ll(line, "status") == 0 && mt_field(line, "data", v, sizeof(v)) &&
			 strcmp(v, data) == 0,
		 "%s: want status 0 and data '%s', got: %s", what, data, line);
}

int main(void)
{
	struct mt_env env;
	struct mt_proc p, s;
	struct mt_ready rp, rs;
	char line[1024], want[128], name[64];
	long long ms;
	unsigned int n_fds[] = { 1, 253, 254, 300, 1000 };

	mt_init("ipc", 25);
	mt_raise_nofile();
	mt_env_init(&env, "ipc");
	mt_start_primary(&p, "p", &env, &rp, NULL);
	mt_start_secondary(&s, "s", &env, &rs, NULL);

	/* request/reply */
	mt_cmd_ok(&s, line, sizeof(line), 5000, "request primary test.echo hello-primary 1000");
	expect_data(line, "hello-primary", "echo");
	MT_CHECK(mt_field(line, "name", name, sizeof(name)) && strcmp(name, "test.echo") == 0,
		 "reply name: %s", line);
	mt_cmd_ok(&s, line, sizeof(line), 5000, "ipc-big");

	/* no such action, bad peers */
	expect_err(&s, "ENOENT", line, sizeof(line), "request primary test.nope x 1000");
	expect_err(&s, "EINVAL", line, sizeof(line), "request 2 test.echo x 1000");
	expect_err(&p, "EINVAL", line, sizeof(line), "request 0 test.echo x 1000");
	expect_err(&p, "ENOTCONN", line, sizeof(line), "request 63 sec.echo x 1000");

	/* timeout, and the late reply does not confuse the next request */
	expect_err(&s, "ETIMEDOUT", line, sizeof(line), "request primary test.slow - 200");
	ms = mt_field_ll(line, "ms");
	MT_CHECK(ms >= 190 && ms < 1500, "-ETIMEDOUT after %lld ms, want about 200", ms);
	mt_cmd_ok(&s, line, sizeof(line), 10000, "request primary test.echo after-slow 5000");
	expect_data(line, "after-slow", "echo after a timed-out request");
	mt_cmd_ok(&s, line, sizeof(line), 10000, "request primary test.slow 10 2000");
	expect_data(line, "slow-done", "a quick test.slow");

	/* asynchronous messages: every one arrives, before the next request */
	mt_cmd_ok(&s, line, sizeof(line), 5000, "send primary test.count - 100");
	mt_cmd_ok(&s, line, sizeof(line), 5000, "request primary test.get_count - 2000");
	expect_data(line, "100", "count of 100 asynchronous messages");
	mt_cmd_ok(&p, line, sizeof(line), 5000, "count");
	MT_CHECK(mt_field_ll(line, "count") == 100, "the primary counted: %s", line);

	/* primary -> secondary */
	mt_cmd_ok(&p, line, sizeof(line), 5000, "request %d sec.echo ping 2000", rs.proc_id);
	snprintf(want, sizeof(want), "sec%d:ping", (int)rs.pid);
	expect_data(line, want, "the primary's request to the secondary");
	MT_CHECK(mt_field_ll(line, "peer") == rs.proc_id, "reply from peer: %s", line);
	snprintf(want, sizeof(want), "request %d sec.nope x 1000", rs.proc_id);
	expect_err(&p, "ENOENT", line, sizeof(line), want);
	mt_cmd_ok(&p, line, sizeof(line), 5000, "send all sec.note to-all");
	MT_CHECK(mt_field_ll(line, "last") == 1, "broadcast reached: %s", line);
	MT_CHECK(mt_wait_line(&s, "NOTE", line, sizeof(line), 2000) == 1 &&
			 strstr(line, "from=0 data=to-all") != NULL,
		 "broadcast not received: %s", line);
	mt_cmd_ok(&p, line, sizeof(line), 5000, "send %d sec.note direct", rs.proc_id);
	MT_CHECK(mt_wait_line(&s, "NOTE", line, sizeof(line), 2000) == 1 &&
			 strstr(line, "data=direct") != NULL,
		 "direct message not received: %s", line);

	/* a memfd and an eventfd, from the primary to the secondary and back */
	mt_cmd_ok(&s, line, sizeof(line), 5000, "ipc-fds 42");
	MT_CHECK(mt_wait_line(&p, "EVENTFD", line, sizeof(line), 2000) == 1 &&
			 mt_field_ll(line, "value") == 42,
		 "the primary did not see the secondary's eventfd write of 42: %s", line);

	/* many fds in one message, both directions */
	for (unsigned int i = 0; i < sizeof(n_fds) / sizeof(n_fds[0]); i++) {
		mt_cmd_ok(&s, line, sizeof(line), 15000, "ipc-nfds %u", n_fds[i]);
		MT_CHECK(mt_field_ll(line, "valid") == n_fds[i], "%u fds: %s", n_fds[i], line);
	}
	mt_cmd_ok(&s, line, sizeof(line), 15000, "ipc-send-fds 300");
	MT_CHECK(strstr(line, "reply=valid=300") != NULL, "300 fds to the primary: %s", line);

	/* both still healthy */
	mt_cmd_ok(&p, line, sizeof(line), 5000, "procs");
	MT_CHECK(mt_field_ll(line, "n") == 2, "process table: %s", line);
	mt_cmd_ok(&s, line, sizeof(line), 5000, "request primary test.echo still-there 1000");
	expect_data(line, "still-there", "final echo");

	mt_stop(&s, 10000);
	mt_proc_fini(&s);
	mt_stop(&p, 10000);
	mt_proc_fini(&p);
	return mt_done();
}
