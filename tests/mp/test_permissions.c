/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_permissions.c - modes of the runtime files.
 *
 * By default the instance directory is 0700 and every file in it (lock,
 * config, heap segments, the IPC socket) 0600, whatever the umask (the
 * primary runs with umask 0). With --group root: 0770 and 0660 owned by
 * that group, whatever the umask (the primary runs with umask 077), and a
 * secondary attaches.
 */
#include <dirent.h>
#include <limits.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpdp_test.h"

static void check_modes(const struct mt_env *env, mode_t dir_mode, mode_t file_mode, int gid,
			const char *what)
{
	char path[PATH_MAX + 256];
	struct dirent *de;
	struct stat st;
	unsigned int nb_files = 0;
	int seen_lock = 0, seen_config = 0, seen_ipc = 0, seen_heap = 0;
	DIR *d;

	MT_ASSERT(stat(env->dir, &st) == 0, "%s: no runtime directory %s", what, env->dir);
	MT_CHECK((st.st_mode & 07777) == dir_mode, "%s: %s has mode %04o, want %04o", what,
		 env->dir, (unsigned int)(st.st_mode & 07777), (unsigned int)dir_mode);
	MT_CHECK(gid < 0 || st.st_gid == (gid_t)gid, "%s: %s has group %d, want %d", what, env->dir,
		 (int)st.st_gid, gid);
	d = opendir(env->dir);
	MT_ASSERT(d != NULL, "%s: cannot list %s", what, env->dir);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", env->dir, de->d_name);
		if (lstat(path, &st) != 0)
			continue;
		nb_files++;
		seen_lock |= strcmp(de->d_name, "lock") == 0;
		seen_config |= strcmp(de->d_name, "config") == 0;
		seen_ipc |= strcmp(de->d_name, "ipc") == 0 && S_ISSOCK(st.st_mode);
		seen_heap |= strncmp(de->d_name, "heap.", 5) == 0;
		MT_CHECK((st.st_mode & 07777) == file_mode, "%s: %s has mode %04o, want %04o", what,
			 path, (unsigned int)(st.st_mode & 07777), (unsigned int)file_mode);
		MT_CHECK(gid < 0 || st.st_gid == (gid_t)gid, "%s: %s has group %d, want %d", what,
			 path, (int)st.st_gid, gid);
	}
	closedir(d);
	MT_CHECK(seen_lock && seen_config && seen_ipc && seen_heap,
		 "%s: expected lock, config, ipc (a socket) and heap.N; %u entries", what,
		 nb_files);
	mt_log("%s: %u files checked", what, nb_files);
}

/* With --group NAME under umask 077: 0770/0660, group NAME; a secondary attaches. */
static void check_group(const struct mt_env *env, const char *name, gid_t gid)
{
	struct mt_proc p, s;
	struct mt_argv a;
	char what[64];

	snprintf(what, sizeof(what), "--group %s", name);
	umask(077);
	mt_start_primary(&p, "pg", env, NULL, "--group", name, NULL);
	check_modes(env, 0770, 0660, (int)gid, what);
	mt_helper_argv(&a, mt_secondary_bin(), "secondary", env, NULL, "check-mz");
	mt_spawn(&s, "sec", &a);
	mt_argv_fini(&a);
	MT_CHECK(mt_wait_line(&s, "CHECK ok", NULL, 0, 10000) == 1,
		 "a secondary cannot attach to a %s instance", what);
	mt_expect_exit(&s, 0, 10000);
	mt_proc_fini(&s);
	mt_stop(&p, 10000);
	mt_proc_fini(&p);
	umask(022);
}

int main(void)
{
	static const char *const others[] = { "daemon", "nogroup", "users", "bin" };
	struct mt_env env;
	struct mt_proc p;
	struct group *g;

	mt_init("permissions", 25);
	mt_env_init(&env, "perm");

	/* default: private to the user, even with umask 0 */
	umask(0);
	mt_start_primary(&p, "p", &env, NULL, NULL);
	check_modes(&env, 0700, 0600, -1, "default");
	mt_stop(&p, 10000);
	mt_proc_fini(&p);

	/* --group: group-accessible, even with umask 077 */
	g = getgrnam("root");
	if (g == NULL)
		mt_skip("no group 'root' to test --group with");
	check_group(&env, "root", g->gr_gid);

	/* a group that is not the user's own, when there is one (and we may chown) */
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		g = getgrnam(others[i]);
		if (g == NULL || g->gr_gid == getegid())
			continue;
		if (geteuid() != 0) {
			mt_log("not root: --group %s not tried", others[i]);
			break;
		}
		check_group(&env, others[i], g->gr_gid);
		break;
	}
	return mt_done();
}
