/* The primitive ops, executed by the container child in plan order. */
#define _GNU_SOURCE
#include "plan.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

extern char **environ;

/* Paths are clipped in messages so the error text always fits a report. */
#define P "%.1024s"

/* Formats "<what>: <strerror(err)>" and returns err. */
static __attribute__((format(printf, 4, 5))) int
failed(char *msg, size_t len, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < len)
		snprintf(msg + n, len - (size_t)n, ": %s", strerror(err));
	return err;
}

static const char *or_null(const char *s)
{
	return *s ? s : NULL;
}

static int op_capset(const struct op *op, int cap_last, char *msg, size_t len)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	/*
	 * After a switch to a non-zero uid with PR_SET_KEEPCAPS (the IDENTITY phase runs
	 * before CAPABILITIES) the permitted set is kept but the effective set is empty, so
	 * PR_CAPBSET_DROP (it needs CAP_SETPCAP) would fail. Raise effective to permitted
	 * first: this grants nothing the process does not already hold.
	 */
	if (syscall(SYS_capget, &hdr, data) < 0)
		return failed(msg, len, errno, "capset: capget");
	for (int i = 0; i < 2; i++)
		data[i].effective = data[i].permitted;
	if (syscall(SYS_capset, &hdr, data) < 0)
		return failed(msg, len, errno, "capset: raise effective to permitted");
	for (int cap = 0; cap <= cap_last && cap < 64; cap++)
		if (!(op->n[0] & (1ull << cap)) && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1 &&
		    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return failed(msg, len, errno, "capset: drop bounding cap %d", cap);
	for (int i = 0; i < 2; i++) {
		data[i].effective = (uint32_t)(op->n[1] >> (32 * i));
		data[i].permitted = (uint32_t)(op->n[2] >> (32 * i));
		data[i].inheritable = (uint32_t)(op->n[3] >> (32 * i));
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		return failed(msg, len, errno, "capset");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return failed(msg, len, errno, "capset: clear ambient caps");
	for (int cap = 0; cap < 64; cap++)
		if ((op->n[4] & (1ull << cap)) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			return failed(msg, len, errno, "capset: raise ambient cap %d", cap);
	return 0;
}

static int op_write_file(const struct op *op, char *msg, size_t len)
{
	int flags = O_WRONLY | O_CLOEXEC | O_NOCTTY;
	if (op->n[1] & 1)
		flags |= O_CREAT;
	if (op->n[1] & 2)
		flags |= O_TRUNC;
	if (op->n[1] & 4)
		flags |= O_APPEND;
	int fd = open(op->s[0], flags, (mode_t)op->n[0]);
	if (fd < 0)
		return failed(msg, len, errno, "open " P, op->s[0]);
	ssize_t n = write(fd, op->blob.p, op->blob.len);
	int err = errno;
	close(fd);
	if (n < 0)
		return failed(msg, len, err, "write " P, op->s[0]);
	if ((size_t)n != op->blob.len)
		return failed(msg, len, EIO, "write " P " (short write, %zd of %u bytes)",
			      op->s[0], n, op->blob.len);
	return 0;
}

static int op_syscall(struct plan *p, struct op *op, char *msg, size_t len)
{
	long a[PLAN_MAX_SYSARG] = { 0 };
	for (uint32_t i = 0; i < op->count; i++) {
		const struct sysarg *s = &op->args[i];
		if (s->kind == ARG_IMM)
			a[i] = (long)s->val;
		else if (s->kind == ARG_RESULT)
			a[i] = p->ops[s->val].result;
		else
			a[i] = (long)s->ptr;
	}
	op->result = syscall((long)op->n[0], a[0], a[1], a[2], a[3], a[4], a[5]);
	if (op->result == -1)
		return failed(msg, len, errno, "syscall %llu", (unsigned long long)op->n[0]);
	return 0;
}

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

/* Open the first path that exists; it must be on procfs, so a file the
 * container's root planted cannot stand in for an LSM attribute. */
static int op_write_procfs(const struct op *op, char *msg, size_t len)
{
	int fd = -1;
	const char *path = NULL;
	for (char **p = op->list[0]; *p; p++) {
		path = *p;
		fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
		if (fd >= 0 || errno != ENOENT)
			break;
	}
	if (fd < 0)
		return failed(msg, len, errno, "open " P, path);
	struct statfs sfs;
	if (fstatfs(fd, &sfs) < 0) {
		int err = errno;
		close(fd);
		return failed(msg, len, err, "statfs " P, path);
	}
	if (sfs.f_type != PROC_SUPER_MAGIC) {
		close(fd);
		return failed(msg, len, EXDEV, P " is not on procfs (filesystem magic 0x%lx)", path,
			      (unsigned long)sfs.f_type);
	}
	ssize_t n = write(fd, op->blob.p, op->blob.len);
	int err = errno;
	close(fd);
	if (n < 0)
		return failed(msg, len, err, "write " P, path);
	if ((size_t)n != op->blob.len)
		return failed(msg, len, EIO, "write " P " (short write, %zd of %u bytes)", path, n, op->blob.len);
	return 0;
}

/* ---- paths in the container's root ------------------------------------
 * Every in-root op resolves its path with openat2(RESOLVE_IN_ROOT) on root_fd
 * and acts on the fd it got (or on its parent's fd and the last name), so a
 * symlink in the root is followed as the container would follow it and never
 * leads out of the root, and a path swapped during the launch cannot redirect
 * the op. root_fd is the directory of the last ROOT op, "/" after PIVOT_ROOT,
 * or the child's "/" if no ROOT op came first. */

static int root_fd = -1;

#define IN_ROOT " (in root)"

static __attribute__((format(printf, 3, 4))) int
refused(char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	return EXDEV;
}

static int set_root(const char *path)
{
	int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (root_fd >= 0)
		close(root_fd);
	root_fd = fd;
	return 0;
}

/* openat2 in the root; -1 with errno. RESOLVE_IN_ROOT may say EAGAIN when a
 * rename raced the lookup: the lookup is simply retried. */
static int in_root(const char *path, int flags, mode_t mode, uint64_t extra)
{
	struct open_how how = { .flags = (uint64_t)(flags | O_CLOEXEC), .mode = mode,
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | extra };
	if (root_fd < 0 && set_root("/") < 0)
		return -1;
	for (int tries = 0; ; tries++) {
		int fd = (int)syscall(SYS_openat2, root_fd, path, &how, sizeof how);
		if (fd >= 0 || (errno != EAGAIN && errno != EINTR) || tries == 100)
			return fd;
	}
}

/* The parent directory of path (resolved in the root) and the last name. */
static int in_root_parent(const char *path, const char **name)
{
	char parent[PLAN_MAX_PATH + 1];
	const char *slash = strrchr(path, '/');
	size_t n = (size_t)(slash - path);

	memcpy(parent, path, n ? n : 1);
	parent[n ? n : 1] = 0;
	*name = slash + 1;
	return in_root(parent, O_PATH | O_DIRECTORY, 0, 0);
}

/* The ops that make or change one entry: resolve its parent directory in the
 * root, then act on (parent fd, last name) without following a last symlink. */
static int at_parent(const struct op *op, char *msg, size_t len)
{
	static const char *const verbs[OP_MAX + 1] = {
		[OP_MKDIR_IN_ROOT] = "mkdir", [OP_MKNOD_IN_ROOT] = "mknod",
		[OP_SYMLINK_IN_ROOT] = "symlink", [OP_CHOWN_IN_ROOT] = "chown", [OP_UNLINK_IN_ROOT] = "unlink",
	};
	const char *path = op->s[op->code == OP_SYMLINK_IN_ROOT], *verb = verbs[op->code], *name;
	int dfd = in_root_parent(path, &name), rc = -1, err;
	mode_t old;

	if (dfd < 0)
		return failed(msg, len, errno, "%s " P IN_ROOT ": resolve its parent", verb, path);
	switch (op->code) {
	case OP_MKDIR_IN_ROOT:
		rc = mkdirat(dfd, name, (mode_t)op->n[0]);
		break;
	case OP_MKNOD_IN_ROOT:
		old = umask(0); /* the mode is meant exactly */
		rc = mknodat(dfd, name, (mode_t)op->n[0], makedev(op->n[1], op->n[2]));
		umask(old);
		break;
	case OP_SYMLINK_IN_ROOT:
		rc = symlinkat(op->s[0], dfd, name);
		break;
	case OP_CHOWN_IN_ROOT:
		rc = fchownat(dfd, name, (uid_t)op->n[0], (gid_t)op->n[1], AT_SYMLINK_NOFOLLOW);
		break;
	case OP_UNLINK_IN_ROOT:
		rc = unlinkat(dfd, name, 0);
		break;
	}
	err = rc < 0 ? errno : 0;
	close(dfd);
	if (err == EEXIST && op->code == OP_MKDIR_IN_ROOT) {
		/* What is there must be a directory, also through a symlink followed in the root. */
		int fd = in_root(path, O_PATH | O_DIRECTORY, 0, 0);
		if (fd >= 0) {
			close(fd);
			return 0;
		}
		return refused(msg, len, "mkdir " P IN_ROOT ": exists and is not a directory (symlinks followed in the root)",
			       path);
	}
	return err ? failed(msg, len, err, "%s " P IN_ROOT, verb, path) : 0;
}

/* Only a regular file is written: a device or FIFO the root planted is never opened. */
static int write_file_in_root(const struct op *op, char *msg, size_t len)
{
	int flags = O_WRONLY | O_NOCTTY | O_NONBLOCK;
	struct stat st;
	int fd = in_root(op->s[0], O_PATH, 0, 0);

	if (fd >= 0) {
		int rc = fstat(fd, &st);
		close(fd);
		if (rc == 0 && !S_ISREG(st.st_mode))
			return refused(msg, len, "write " P IN_ROOT ": not a regular file", op->s[0]);
	} else if (errno != ENOENT) {
		return failed(msg, len, errno, "write " P IN_ROOT, op->s[0]);
	}
	if (op->n[1] & 1)
		flags |= O_CREAT;
	if (op->n[1] & 2)
		flags |= O_TRUNC;
	if (op->n[1] & 4)
		flags |= O_APPEND;
	if ((fd = in_root(op->s[0], flags, (mode_t)op->n[0], 0)) < 0)
		return failed(msg, len, errno, "write " P IN_ROOT, op->s[0]);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return refused(msg, len, "write " P IN_ROOT ": not a regular file", op->s[0]);
	}
	ssize_t n = write(fd, op->blob.p, op->blob.len);
	int err = errno;
	close(fd);
	if (n < 0)
		return failed(msg, len, err, "write " P IN_ROOT, op->s[0]);
	if ((size_t)n != op->blob.len)
		return failed(msg, len, EIO, "write " P IN_ROOT " (short write, %zd of %u bytes)",
			      op->s[0], n, op->blob.len);
	return 0;
}

static int mnt_id(int fd, uint64_t *id, uint64_t *attr)
{
	struct statx sx;
	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &sx) < 0)
		return -1;
	*id = sx.stx_mnt_id;
	*attr = sx.stx_attributes & sx.stx_attributes_mask;
	return 0;
}

/* mount(2) onto the resolved target through /proc/self/fd/N (a bind's source
 * likewise), then resolve the target again and check that the mount landed
 * there: a new mount for a new mount or bind (the bind showing its source), the
 * same mount for a remount, and the filesystem type the plan demands. */
static int mount_in_root(const struct op *op, char *msg, size_t len)
{
	const char *src = op->s[0], *target = op->s[1];
	unsigned long flags = (unsigned long)op->n[0];
	uint64_t extra = (op->n[1] & MNT_NO_SYMLINKS) ? RESOLVE_NO_SYMLINKS : 0, before, after, a0, a1;
	int bind = (flags & MS_BIND) && !(flags & MS_REMOUNT);
	int same = (flags & (MS_REMOUNT | MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE)) != 0;
	char tpath[32], spath[32];
	const char *what = *src ? src : "none";
	int t, s = -1, t2, err = 0;
	struct stat sst, tst;
	struct statfs sfs = { 0 };

	if ((t = in_root(target, O_PATH, 0, extra)) < 0 && errno == ELOOP && extra)
		return refused(msg, len, "mount " P " on " P IN_ROOT ": refused, " P " is or passes through a symlink",
			       what, target, target);
	if (t < 0)
		return failed(msg, len, errno, "mount " P " on " P IN_ROOT, what, target);
	if (mnt_id(t, &before, &a0) < 0) {
		err = failed(msg, len, errno, "mount " P " on " P IN_ROOT ": statx", what, target);
		goto out;
	}
	if (bind) {
		s = (op->n[1] & MNT_SOURCE_IN_ROOT) ? in_root(src, O_PATH, 0, 0) : open(src, O_PATH | O_CLOEXEC);
		if (s < 0 || fstat(s, &sst) < 0) {
			err = failed(msg, len, errno, "mount " P "%s on " P IN_ROOT ": open source", src,
				     (op->n[1] & MNT_SOURCE_IN_ROOT) ? IN_ROOT : "", target);
			goto out;
		}
		snprintf(spath, sizeof spath, "/proc/self/fd/%d", s);
	}
	snprintf(tpath, sizeof tpath, "/proc/self/fd/%d", t);
	if (mount(bind ? spath : or_null(src), tpath, or_null(op->s[2]), flags, or_null(op->s[3])) < 0) {
		err = failed(msg, len, errno, "mount " P " on " P IN_ROOT, what, target);
		goto out;
	}
	if ((t2 = in_root(target, O_PATH, 0, extra)) < 0) {
		err = failed(msg, len, errno, "mount " P " on " P IN_ROOT ": resolve again after mounting", what,
			     target);
		goto out;
	}
	int landed = mnt_id(t2, &after, &a1) == 0 && fstat(t2, &tst) == 0 &&
		     (same ? after == before
			   : after != before && (a1 & STATX_ATTR_MOUNT_ROOT) &&
				     (!bind || (tst.st_dev == sst.st_dev && tst.st_ino == sst.st_ino)));
	if (!landed)
		err = refused(msg, len, "mount " P " on " P IN_ROOT ": the mount did not land on " P
			      " (the path changed during the launch)", what, target, target);
	else if (op->n[2] && (fstatfs(t2, &sfs) < 0 || (uint32_t)sfs.f_type != (uint32_t)op->n[2]))
		err = refused(msg, len, "mount " P " on " P IN_ROOT ": " P " is not the expected filesystem"
			      " (magic 0x%lx, expected 0x%llx)", what, target, target, (unsigned long)sfs.f_type,
			      (unsigned long long)op->n[2]);
	close(t2);
out:
	if (s >= 0)
		close(s);
	close(t);
	return err;
}

int run_op(struct plan *p, uint32_t i, int cap_last, char *msg, size_t len)
{
	struct op *op = &p->ops[i];
	struct stat st;

	switch (op->code) {
	case OP_MOUNT:
		if (mount(or_null(op->s[0]), op->s[1], or_null(op->s[2]), (unsigned long)op->n[0],
			  or_null(op->s[3])) < 0)
			return failed(msg, len, errno, "mount " P " on " P,
				      *op->s[0] ? op->s[0] : "none", op->s[1]);
		return 0;
	case OP_UMOUNT:
		if (umount2(op->s[0], (int)op->n[0]) < 0)
			return failed(msg, len, errno, "umount " P, op->s[0]);
		return 0;
	case OP_MKDIR:
		if (mkdir(op->s[0], (mode_t)op->n[0]) < 0) {
			int err = errno;
			if (err != EEXIST || stat(op->s[0], &st) < 0 || !S_ISDIR(st.st_mode))
				return failed(msg, len, err, "mkdir " P, op->s[0]);
		}
		return 0;
	case OP_MKNOD:
		if (mknod(op->s[0], (mode_t)op->n[0], makedev(op->n[1], op->n[2])) < 0)
			return failed(msg, len, errno, "mknod " P, op->s[0]);
		return 0;
	case OP_SYMLINK:
		if (symlink(op->s[0], op->s[1]) < 0)
			return failed(msg, len, errno, "symlink " P " -> " P, op->s[1], op->s[0]);
		return 0;
	case OP_PIVOT_ROOT:
		if (chdir(op->s[0]) < 0)
			return failed(msg, len, errno, "pivot_root " P ": chdir", op->s[0]);
		if (syscall(SYS_pivot_root, ".", ".") < 0)
			return failed(msg, len, errno, "pivot_root " P, op->s[0]);
		if (umount2(".", MNT_DETACH) < 0)
			return failed(msg, len, errno, "pivot_root " P ": umount old root", op->s[0]);
		if (chdir("/") < 0)
			return failed(msg, len, errno, "pivot_root " P ": chdir /", op->s[0]);
		if (set_root("/") < 0)
			return failed(msg, len, errno, "pivot_root " P ": open the new /", op->s[0]);
		return 0;
	case OP_SETHOSTNAME:
		if (sethostname(op->s[0], strlen(op->s[0])) < 0)
			return failed(msg, len, errno, "sethostname " P, op->s[0]);
		return 0;
	case OP_WRITE_FILE:
		return op_write_file(op, msg, len);
	case OP_SETRLIMIT: {
		struct rlimit rl = { (rlim_t)op->n[1], (rlim_t)op->n[2] };
		if (prlimit(0, (int)op->n[0], &rl, NULL) < 0)
			return failed(msg, len, errno, "setrlimit %llu", (unsigned long long)op->n[0]);
		return 0;
	}
	case OP_SETGROUPS:
		if (setgroups(op->count, (const gid_t *)op->gids) < 0)
			return failed(msg, len, errno, "setgroups (%u groups)", op->count);
		return 0;
	case OP_SETRESGID:
		if (setresgid((gid_t)op->n[0], (gid_t)op->n[0], (gid_t)op->n[0]) < 0)
			return failed(msg, len, errno, "setresgid %llu", (unsigned long long)op->n[0]);
		return 0;
	case OP_SETRESUID:
		if (setresuid((uid_t)op->n[0], (uid_t)op->n[0], (uid_t)op->n[0]) < 0)
			return failed(msg, len, errno, "setresuid %llu", (unsigned long long)op->n[0]);
		return 0;
	case OP_CAPSET:
		return op_capset(op, cap_last, msg, len);
	case OP_NO_NEW_PRIVS:
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			return failed(msg, len, errno, "prctl PR_SET_NO_NEW_PRIVS");
		return 0;
	case OP_SECCOMP: {
		struct sock_fprog prog = { (unsigned short)(op->blob.len / 8),
					   (struct sock_filter *)op->blob.p };
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, (unsigned)op->n[0], &prog) < 0)
			return failed(msg, len, errno, "seccomp (%u instructions)", op->blob.len / 8);
		return 0;
	}
	case OP_SYSCALL:
		return op_syscall(p, op, msg, len);
	case OP_CHDIR:
		if (chdir(op->s[0]) < 0)
			return failed(msg, len, errno, "chdir " P, op->s[0]);
		return 0;
	case OP_WRITE_PROCFS:
		return op_write_procfs(op, msg, len);
	case OP_ROOT:
		if (set_root(op->s[0]) < 0)
			return failed(msg, len, errno, "root " P, op->s[0]);
		return 0;
	case OP_MOUNT_IN_ROOT:
		return mount_in_root(op, msg, len);
	case OP_WRITE_FILE_IN_ROOT:
		return write_file_in_root(op, msg, len);
	case OP_MKDIR_IN_ROOT:
	case OP_MKNOD_IN_ROOT:
	case OP_SYMLINK_IN_ROOT:
	case OP_CHOWN_IN_ROOT:
	case OP_UNLINK_IN_ROOT:
		return at_parent(op, msg, len);
	case OP_EXEC:
		environ = op->list[1];
		execvp(op->s[0], op->list[0]);
		return failed(msg, len, errno, "exec \"" P "\"", op->s[0]);
	}
	return failed(msg, len, EINVAL, "op code %u", op->code);
}
