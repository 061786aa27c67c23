/* The primitive ops, executed by the container child in plan order. */
#define _GNU_SOURCE
#include "plan.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdarg.h>
#include <stdio.h>
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
	case OP_EXEC:
		environ = op->list[1];
		execvp(op->s[0], op->list[0]);
		return failed(msg, len, errno, "exec \"" P "\"", op->s[0]);
	}
	return failed(msg, len, EINVAL, "op code %u", op->code);
}
