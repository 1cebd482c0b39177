/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eal_runtime.c - the runtime directory, the primary lock and the config
 * region.
 *
 * Files in <runtime-dir>/<prefix>/:
 *   lock    flock()ed LOCK_EX by the primary for its whole life; holds its
 *           pid as text. Never unlinked while a primary runs.
 *   config  the config region (eal_config.h), published by rename()
 *   ipc     the primary's SOCK_SEQPACKET listening socket
 *   heap.N  heap segments when the heap is on tmpfs
 *
 * Liveness of the primary is the kernel's lock: a process that dies, even by
 * SIGKILL, drops its flock. A secondary tests it with LOCK_SH|LOCK_NB; a new
 * primary that gets LOCK_EX on a directory with files in it recovers them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "eal_private.h"
#include "mpdp_build_config.h"

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

#define CONFIG_WAIT_MS 3000

int eal_path(char *buf, size_t size, const char *name)
{
	int n = snprintf(buf, size, "%s/%s", eal.dir, name);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int eal_proc_start_time(pid_t pid, uint64_t *start_time)
{
	char path[64], buf[1024];
	unsigned long long v;
	char *p;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	/* the comm field may hold spaces and parentheses: start after the last ')' */
	p = strrchr(buf, ')');
	if (p == NULL)
		return -EIO;
	/* fields after comm start at 3 (state); starttime is field 22 */
	for (field = 2; field < 22 && p != NULL; field++)
		p = strchr(p + 1, ' ');
	if (p == NULL || sscanf(p + 1, "%llu", &v) != 1)
		return -EIO;
	*start_time = v;
	return 0;
}

/*
 * pidfd of pid, only if it is still the process that started at start_time
 * (pids are reused). The check after pidfd_open() closes the race: if the
 * pid was reused before the open, the start time differs.
 */
int eal_pidfd_open_checked(pid_t pid, uint64_t start_time)
{
	uint64_t now;
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (fd < 0)
		return -errno;
	if (eal_proc_start_time(pid, &now) != 0 || now != start_time) {
		close(fd);
		return -ESRCH;
	}
	return fd;
}

static int is_tmpfs(const char *path)
{
	struct statfs sfs;

	return statfs(path, &sfs) == 0 && sfs.f_type == TMPFS_MAGIC;
}

static int make_dir(const char *path, mode_t mode)
{
	if (mkdir(path, mode) == 0) {
		if (eal.opts.has_group && chown(path, (uid_t)-1, eal.opts.group) != 0)
			return -errno;
		/* mkdir honours the umask; the mode we promise is the one we set */
		return chmod(path, mode) == 0 ? 0 : -errno;
	}
	return errno == EEXIST ? 0 : -errno;
}

static int resolve_dir(int create)
{
	char base[PATH_MAX];
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int n, rc;

	if (eal.opts.runtime_dir[0] != '\0')
		snprintf(base, sizeof(base), "%s", eal.opts.runtime_dir);
	else if (geteuid() == 0 && is_tmpfs("/run"))
		snprintf(base, sizeof(base), "/run/mpdp");
	else if (geteuid() != 0 && xdg != NULL && xdg[0] == '/' && strlen(xdg) < 64)
		snprintf(base, sizeof(base), "%s/mpdp", xdg);
	else if (geteuid() == 0)
		snprintf(base, sizeof(base), "/dev/shm/mpdp");
	else
		snprintf(base, sizeof(base), "/dev/shm/mpdp-%u", (unsigned int)geteuid());
	n = snprintf(eal.dir, sizeof(eal.dir), "%s/%s", base, eal.opts.prefix);
	/* the socket path <dir>/ipc must fit sockaddr_un.sun_path */
	if (n < 0 || n + 5 >= 108) {
		EAL_LOG(ERR, "runtime directory '%s/%s' is too long for a unix socket path", base,
			eal.opts.prefix);
		return -ENAMETOOLONG;
	}
	if (!create)
		return 0;
	rc = make_dir(base, eal.opts.has_group ? 0775 : 0755);
	if (rc == 0)
		rc = make_dir(eal.dir, eal.dir_mode);
	if (rc != 0)
		EAL_LOG(ERR, "cannot create runtime directory %s: %s", eal.dir, strerror(-rc));
	return rc;
}

static pid_t read_lock_pid(int fd)
{
	char buf[32] = { 0 };

	if (pread(fd, buf, sizeof(buf) - 1, 0) <= 0)
		return 0;
	return (pid_t)atoi(buf);
}

/*
 * The pid in the lock file of a primary that holds the lock. It writes it
 * right after taking the lock, so a reader may come in between: wait for it
 * briefly. 0 when it does not come.
 */
static pid_t read_lock_pid_held(int fd)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = 1000 * 1000 };
	pid_t pid = 0;

	for (int i = 0; i < 100 && (pid = read_lock_pid(fd)) <= 0; i++)
		nanosleep(&ts, NULL);
	return pid > 0 ? pid : 0;
}

/*
 * LOCK_EX without waiting for a live primary, but patient with a process
 * that only tests the lock: a secondary's LOCK_SH probe (see
 * eal_runtime_primary_running()) holds it for microseconds, a primary for
 * its life. Returns 0 or -errno of the last attempt.
 */
static int lock_exclusive(int fd)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = 1000 * 1000 };

	for (int i = 0;; i++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK || i == 100)
			return -errno;
		nanosleep(&ts, NULL);
	}
}

/* 1 when the process that published config c is still running. */
static int config_primary_alive(const struct eal_config_shm *c)
{
	uint64_t start;

	if (eal_proc_start_time((pid_t)c->primary_pid, &start) != 0)
		return 0;
	return c->primary_start_time == 0 || start == c->primary_start_time;
}

/* Check a mapped config region against this binary. */
static int config_compatible(const struct eal_config_shm *c)
{
	if (c->magic != MPDP_CONFIG_MAGIC) {
		EAL_LOG(ERR, "%s/config is not an mpdp config region (magic %#llx)", eal.dir,
			(unsigned long long)c->magic);
		return -EPROTO;
	}
	if (c->layout_version != MPDP_LAYOUT_VERSION || c->config_size != sizeof(*c) ||
	    strncmp(c->version, MPDP_VERSION, sizeof(c->version)) != 0) {
		EAL_LOG(ERR,
			"version mismatch: this secondary is mpdp %s layout %u (%s), the primary "
			"(pid %d) is mpdp %.16s layout %u (%.64s)",
			MPDP_VERSION, (unsigned int)MPDP_LAYOUT_VERSION, MPDP_BUILD_ID,
			(int)c->primary_pid, c->version, (unsigned int)c->layout_version,
			c->build_id);
		return -EPROTO;
	}
	return 0;
}

/* Remove what a dead primary left: its heap segments, config, socket. */
static void recover_stale(void)
{
	char path[PATH_MAX];
	struct eal_config_shm *old;
	struct stat st;
	int fd;

	if (eal_path(path, sizeof(path), "config") != 0)
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (fstat(fd, &st) == 0 && (size_t)st.st_size >= sizeof(*old)) {
			old = mmap(NULL, sizeof(*old), PROT_READ, MAP_SHARED, fd, 0);
			if (old != MAP_FAILED) {
				if (old->magic == MPDP_CONFIG_MAGIC &&
				    old->layout_version == MPDP_LAYOUT_VERSION) {
					EAL_LOG(NOTICE,
						"recovering %s left by a dead primary (pid %d)",
						eal.dir, (int)old->primary_pid);
					eal_heap_unlink_stale(old);
				} else {
					EAL_LOG(NOTICE, "recovering %s (unknown config layout)",
						eal.dir);
				}
				munmap(old, sizeof(*old));
			}
		}
		close(fd);
		unlink(path);
	}
	if (eal_path(path, sizeof(path), "config.new") == 0)
		unlink(path);
	if (eal_path(path, sizeof(path), "ipc") == 0)
		unlink(path);
	/* tmpfs segments of any layout live in the directory */
	for (unsigned int i = 0; i < MPDP_MAX_SEGMENTS; i++) {
		char name[32];

		snprintf(name, sizeof(name), "heap.%u", i);
		if (eal_path(path, sizeof(path), name) == 0 && unlink(path) != 0 && errno == ENOENT)
			break;
	}
}

/*
 * Take the primary lock. The lock file is opened, then locked, then checked
 * to still be the file at its path: a primary that is leaving unlinks it, and
 * a lock on an unlinked file protects nothing.
 */
static int take_primary_lock(void)
{
	char path[PATH_MAX], pidbuf[32];
	struct stat a, b;
	int fd, n;

	for (int attempt = 0; attempt < 20; attempt++) {
		int rc = resolve_dir(1);

		if (rc != 0)
			return rc;
		if (eal_path(path, sizeof(path), "lock") != 0)
			return -ENAMETOOLONG;
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, eal.file_mode);
		if (fd < 0) {
			if (errno == ENOENT)
				continue; /* directory removed by a leaving primary */
			rc = -errno;
			EAL_LOG(ERR, "cannot open %s: %s", path, strerror(errno));
			return rc;
		}
		rc = lock_exclusive(fd);
		if (rc != 0) {
			if (rc == -EWOULDBLOCK) {
				pid_t pid = read_lock_pid_held(fd);
				/* auto: mpdp_init() attaches to the winner as a secondary */
				int auto_type = eal.opts.proc_type == MPDP_PROC_AUTO;

				mpdp_log(auto_type ? MPDP_LOG_INFO : MPDP_LOG_ERR, "eal",
					 "another primary (pid %d) is running with prefix '%s' in %s",
					 (int)pid, eal.opts.prefix, eal.dir);
				rc = -EBUSY;
			} else {
				EAL_LOG(ERR, "cannot lock %s: %s", path, strerror(-rc));
			}
			close(fd);
			return rc;
		}
		if (fstat(fd, &a) != 0 || stat(path, &b) != 0 || a.st_ino != b.st_ino ||
		    a.st_dev != b.st_dev) {
			close(fd);
			continue;
		}
		if (eal.opts.has_group)
			(void)!fchown(fd, (uid_t)-1, eal.opts.group);
		(void)!fchmod(fd, eal.file_mode);
		n = snprintf(pidbuf, sizeof(pidbuf), "%d\n", (int)getpid());
		if (ftruncate(fd, 0) != 0 || pwrite(fd, pidbuf, (size_t)n, 0) != n) {
			rc = -errno;
			close(fd);
			return rc;
		}
		eal.lock_fd = fd;
		return 0;
	}
	EAL_LOG(ERR, "runtime directory %s keeps changing under us", eal.dir);
	return -EAGAIN;
}

static int config_create(void)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	struct eal_config_shm *c;
	size_t len = MPDP_ALIGN_UP(sizeof(*c), (size_t)4096);
	uint64_t gen = 0;
	int fd, rc;

	if (eal_path(tmp, sizeof(tmp), "config.new") != 0 ||
	    eal_path(path, sizeof(path), "config") != 0)
		return -ENAMETOOLONG;
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, eal.file_mode);
	if (fd < 0)
		return -errno;
	if (eal.opts.has_group)
		(void)!fchown(fd, (uid_t)-1, eal.opts.group);
	(void)!fchmod(fd, eal.file_mode);
	if (ftruncate(fd, (off_t)len) != 0) {
		rc = -errno;
		goto err_unlink;
	}
	c = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (c == MAP_FAILED) {
		rc = -errno;
		goto err_unlink;
	}
	c->magic = MPDP_CONFIG_MAGIC;
	c->layout_version = MPDP_LAYOUT_VERSION;
	c->config_size = sizeof(*c);
	snprintf(c->version, sizeof(c->version), "%s", MPDP_VERSION);
	snprintf(c->build_id, sizeof(c->build_id), "%s", MPDP_BUILD_ID);
	c->primary_pid = (int32_t)getpid();
	c->file_mode = (uint32_t)eal.file_mode;
	if (eal_proc_start_time(getpid(), &c->primary_start_time) != 0)
		c->primary_start_time = 0;
	if (getrandom(&gen, sizeof(gen), 0) != sizeof(gen))
		gen = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	c->generation = gen;
	for (unsigned int i = 0; i < MPDP_MAX_LCORES; i++) {
		c->lcores[i].proc_id = -1;
		c->lcores[i].cpu = -1;
	}
	rc = eal_lock_init(&c->lock);
	if (rc != 0)
		goto err_unmap;
	eal.cfg = c;
	eal.config_fd = fd;
	return 0;

err_unmap:
	munmap(c, len);
err_unlink:
	close(fd);
	unlink(tmp);
	return rc;
}

/*
 * Publish the finished config region under its real name: the last step of
 * a primary's init, once its IPC socket listens, so that a secondary that
 * finds the config can always say hello.
 */
int eal_runtime_publish(void)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	int rc = 0;

	if (eal_path(tmp, sizeof(tmp), "config.new") != 0 ||
	    eal_path(path, sizeof(path), "config") != 0)
		return -ENAMETOOLONG;
	if (rename(tmp, path) != 0) {
		rc = -errno;
		EAL_LOG(ERR, "cannot publish %s: %s", path, strerror(errno));
	}
	return rc;
}

static void config_unmap(void)
{
	if (eal.cfg != NULL)
		munmap(eal.cfg, MPDP_ALIGN_UP(sizeof(*eal.cfg), (size_t)4096));
	eal.cfg = NULL;
	if (eal.config_fd >= 0)
		close(eal.config_fd);
	eal.config_fd = -1;
}

static void remove_files(void)
{
	char path[PATH_MAX];
	static const char *const names[] = { "config", "config.new", "ipc" };

	for (size_t i = 0; i < MPDP_DIM(names); i++)
		if (eal_path(path, sizeof(path), names[i]) == 0)
			unlink(path);
}

int eal_runtime_primary_init(void)
{
	int rc = take_primary_lock();

	if (rc != 0)
		return rc;
	recover_stale();
	rc = config_create();
	if (rc != 0) {
		EAL_LOG(ERR, "cannot create the config region in %s: %s", eal.dir, strerror(-rc));
		goto err_unlock;
	}
	rc = eal_heap_create();
	if (rc != 0)
		goto err_config;
	return 0;

err_config:
	config_unmap();
	remove_files();
err_unlock:
	eal_runtime_fini();
	return rc;
}

/* 1 when a live primary holds the lock of this instance. */
int eal_runtime_primary_running(void)
{
	char path[PATH_MAX];
	int fd, held;

	if (resolve_dir(0) != 0 || eal_path(path, sizeof(path), "lock") != 0)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	held = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
	close(fd);
	return held;
}

/*
 * Map the config region of the running primary. The primary may be starting
 * (no config yet) or a stale config of a dead primary may still be in place
 * while a new primary builds its own: wait, boundedly, for a config whose
 * primary is alive.
 */
int eal_runtime_secondary_attach(void)
{
	char path[PATH_MAX];
	struct eal_config_shm *c = NULL;
	struct timespec ts;
	struct stat st;
	int lock_fd = -1, fd = -1, rc, waited_ms = 0;
	pid_t pid;

	rc = resolve_dir(0);
	if (rc != 0)
		return rc;
	if (eal_path(path, sizeof(path), "lock") != 0)
		return -ENAMETOOLONG;
	lock_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (lock_fd < 0) {
		EAL_LOG(ERR, "no primary is running with prefix '%s' (no %s)", eal.opts.prefix,
			path);
		return -ENOENT;
	}
	if (flock(lock_fd, LOCK_SH | LOCK_NB) == 0) {
		close(lock_fd);
		EAL_LOG(ERR, "no primary is running with prefix '%s' (%s is not held)",
			eal.opts.prefix, path);
		return -ENOENT;
	}
	if (eal_path(path, sizeof(path), "config") != 0) {
		close(lock_fd);
		return -ENAMETOOLONG;
	}
	for (;;) {
		/*
		 * Re-read each time: a primary that just took the lock may not
		 * have written its pid yet, or the file may still hold the pid of
		 * a dead predecessor whose config is still in place.
		 */
		pid = read_lock_pid(lock_fd);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size >= 4096) {
			c = mmap(NULL, MPDP_ALIGN_UP(sizeof(*c), (size_t)4096),
				 PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			if (c == MAP_FAILED) {
				rc = -errno;
				close(fd);
				close(lock_fd);
				return rc;
			}
			/*
			 * Identity first: its fields (eal_config.h, up to primary_pid)
			 * keep their place in every layout, so a foreign layout is
			 * reported, never interpreted. Only the first page is touched
			 * before the size is known to match.
			 */
			if (c->magic != MPDP_CONFIG_MAGIC || c->layout_version != MPDP_LAYOUT_VERSION ||
			    c->config_size != sizeof(*c) ||
			    strncmp(c->version, MPDP_VERSION, sizeof(c->version)) != 0) {
				if (c->primary_pid == pid || waited_ms >= CONFIG_WAIT_MS) {
					rc = config_compatible(c);
					goto err_unmap;
				}
			} else if (c->primary_pid == pid && (size_t)st.st_size >= sizeof(*c) &&
				   config_primary_alive(c)) {
				break;
			}
			munmap(c, MPDP_ALIGN_UP(sizeof(*c), (size_t)4096));
			c = NULL;
		}
		if (fd >= 0)
			close(fd);
		fd = -1;
		if (waited_ms >= CONFIG_WAIT_MS) {
			EAL_LOG(ERR, "primary (pid %d) of prefix '%s' did not publish its config",
				(int)pid, eal.opts.prefix);
			close(lock_fd);
			return -ETIMEDOUT;
		}
		ts.tv_sec = 0;
		ts.tv_nsec = 2 * 1000 * 1000;
		nanosleep(&ts, NULL);
		waited_ms += 2;
	}
	close(lock_fd);
	eal.cfg = c;
	eal.config_fd = fd;
	return 0;

err_unmap:
	munmap(c, MPDP_ALIGN_UP(sizeof(*c), (size_t)4096));
	close(fd);
	close(lock_fd);
	return rc;
}

/*
 * Undo the runtime directory part of init. In the primary this removes every
 * file (heap segments are removed by eal_heap_fini) and then the lock file
 * and the directory, in an order that never removes a newer primary's files:
 * the lock goes last but one, while still held.
 */
void eal_runtime_fini(void)
{
	char path[PATH_MAX];

	config_unmap();
	if (eal.type == MPDP_PROC_PRIMARY && eal.lock_fd >= 0) {
		remove_files();
		if (eal_path(path, sizeof(path), "lock") == 0)
			unlink(path);
		rmdir(eal.dir);
	}
	if (eal.lock_fd >= 0)
		close(eal.lock_fd);
	eal.lock_fd = -1;
}
