/*
 * cordon-launcher: policy-free container launcher, protocol version 1
 * (docs/launcher-protocol.md). Plan on fd 3, reports on fd 4.
 *
 * Where the spec leaves room:
 *  - Plan error offsets count from the first byte of the plan (the magic).
 *  - Rejected as malformed: unknown op flag bits, unknown WRITE_FILE wflags
 *    bits, OPTIONAL on EXEC, a SYSCALL RESULT naming anything but an earlier
 *    SYSCALL op; in --check mode also bytes after the end of the plan.
 *  - MOUNT maps empty source/fstype/data to NULL; an empty target stays "".
 *  - CLONE_NEWTIME overlaps CSIGNAL in clone(2), so the launcher does
 *    unshare(CLONE_NEWTIME) just before clone instead.
 *  - cap_last_cap is read before clone (the container may lack /proc).
 *  - A control byte other than 'G'/'A' aborts with a LAUNCHER_ERROR; 'A' and
 *    EOF abort silently. After go, bytes on fd 3 are ignored; EOF kills.
 *  - SIGPIPE is ignored by the launcher (a dead fd 4 must not kill it), so it
 *    is not forwarded. Signals received before go are forwarded after go.
 *  - EXEC_OK means the error pipe hit EOF without a failure record, so a
 *    child killed by a signal before exec shows as EXEC_OK + EXITED(-1, sig).
 *  - Report messages are clipped to 4096 bytes; invalid UTF-8 and control
 *    characters become '?'.
 * The child comes from raw clone(2) (fork semantics, no atfork handlers), so
 * it must not use glibc calls that depend on thread identity (raise, abort).
 */
#define _GNU_SOURCE
#include "plan.h"
#include "client.h"
#include "fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

#define PLAN_FD   3
#define REPORT_FD 4
#define MSG_MAX   4096
#define EXIT_FAIL 125

enum { R_PID = 1, R_EXEC_OK, R_OP_FAILED, R_EXITED, R_LAUNCHER_ERROR };

static int sfd = -1, sync_pipe[2] = { -1, -1 }, err_pipe[2] = { -1, -1 };

static void put32(unsigned char *b, uint32_t v)
{
	b[0] = (unsigned char)v;
	b[1] = (unsigned char)(v >> 8);
	b[2] = (unsigned char)(v >> 16);
	b[3] = (unsigned char)(v >> 24);
}

/* Copy printable UTF-8, replacing control characters and bad bytes by '?', at most cap bytes. */
static size_t utf8_clean(unsigned char *out, size_t cap, const unsigned char *in, size_t len)
{
	size_t o = 0, i = 0;
	while (i < len) {
		unsigned c = in[i];
		size_t n = c < 0x20 || c == 0x7f ? 0 : c < 0x80 ? 1 : (c >= 0xC2 && c <= 0xDF) ? 2 :
			   (c & 0xF0) == 0xE0 ? 3 : (c >= 0xF0 && c <= 0xF4) ? 4 : 0;
		for (size_t k = 1; k < n; k++)
			if (i + k >= len || (in[i + k] & 0xC0) != 0x80)
				n = 0;
		if ((n == 3 && ((c == 0xE0 && in[i + 1] < 0xA0) || (c == 0xED && in[i + 1] >= 0xA0))) ||
		    (n == 4 && ((c == 0xF0 && in[i + 1] < 0x90) || (c == 0xF4 && in[i + 1] >= 0x90))))
			n = 0;
		size_t w = n ? n : 1;
		if (o + w > cap)
			break;
		memcpy(out + o, n ? in + i : (const unsigned char *)"?", w);
		o += w;
		i += w;
	}
	return o;
}

static void report(uint32_t type, int32_t a, int32_t b, const char *msg, size_t len)
{
	unsigned char buf[16 + MSG_MAX];
	size_t n = utf8_clean(buf + 16, MSG_MAX, (const unsigned char *)msg, len);
	put32(buf, type);
	put32(buf + 4, (uint32_t)a);
	put32(buf + 8, (uint32_t)b);
	put32(buf + 12, (uint32_t)n);
	write_all(REPORT_FD, buf, 16 + n); /* Java gone: nothing to do about it */
}

static __attribute__((noreturn, format(printf, 2, 3))) void
die(int err, const char *fmt, ...)
{
	char msg[MSG_MAX + 1];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	report(R_LAUNCHER_ERROR, err, 0, msg, strlen(msg));
	exit(EXIT_FAIL);
}

static int read_cap_last_cap(void)
{
	char buf[16];
	int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC), cap = 0;
	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (n > 0) {
			buf[n] = 0;
			cap = atoi(buf);
			if (cap > 0 && cap < 64)
				return cap;
		}
	}
	for (cap = 0; cap < 63 && prctl(PR_CAPBSET_READ, cap + 1, 0, 0, 0) >= 0; cap++)
		;
	return cap;
}

/* ---- child ------------------------------------------------------------ */

static void __attribute__((noreturn)) child_fail(int32_t idx, int err, const char *msg, int code)
{
	unsigned char buf[12 + MSG_MAX];
	size_t n = strnlen(msg, MSG_MAX);
	put32(buf, (uint32_t)idx);
	put32(buf + 4, (uint32_t)err);
	put32(buf + 8, (uint32_t)n);
	memcpy(buf + 12, msg, n);
	write_all(err_pipe[1], buf, 12 + n);
	_exit(code);
}

static void __attribute__((noreturn)) child(struct plan *p, int cap_last)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };
	sigset_t none;
	char go, msg[MSG_MAX + 1];
	ssize_t n;

	/* If the launcher dies (even by SIGKILL) the container must not outlive it;
	 * a launcher that died before this line shows up as EOF on the sync pipe. */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	close(PLAN_FD);
	close(REPORT_FD);
	close(sfd);
	close(sync_pipe[1]);
	close(err_pipe[0]);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &sa, NULL); /* EINVAL for glibc-internal ones: fine */
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		child_fail(-1, errno, "sigprocmask", EXIT_FAIL);

	do
		n = read(sync_pipe[0], &go, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1 || go != 'G')
		_exit(EXIT_FAIL); /* launcher aborted or died */
	close(sync_pipe[0]);

	for (uint32_t i = 0; i < p->nops; i++) {
		struct op *op = &p->ops[i];
		int err = run_op(p, i, cap_last, msg, sizeof msg);
		if (!err || (err == ENOENT && (op->flags & OP_FLAG_OPTIONAL)))
			continue;
		child_fail((int32_t)i, err, msg,
			   op->code != OP_EXEC ? EXIT_FAIL : err == ENOENT ? 127 : 126);
	}
	child_fail(-1, EINVAL, "plan ended without EXEC", EXIT_FAIL); /* validated: unreachable */
}

/* ---- launcher --------------------------------------------------------- */

struct errbuf {
	unsigned char b[12 + MSG_MAX];
	size_t len;
	int open;
};

/* Read what the child sent on the error pipe; on EOF (or when the child is
 * already reaped and nothing more is available) send EXEC_OK or OP_FAILED. */
static void drain_errors(struct errbuf *e, int final)
{
	unsigned char junk[512];
	for (;;) {
		int full = e->len == sizeof e->b;
		ssize_t n = read(err_pipe[0], full ? junk : e->b + e->len,
				 full ? sizeof junk : sizeof e->b - e->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n > 0) {
			if (!full)
				e->len += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EAGAIN && !final)
			return;
		break; /* EOF, error, or nothing more after the child died */
	}
	close(err_pipe[0]);
	e->open = 0;
	if (e->len == 0) {
		report(R_EXEC_OK, 0, 0, "", 0);
	} else if (e->len < 12) {
		report(R_OP_FAILED, -1, EIO, "truncated error record from child", 33);
	} else {
		uint32_t idx = e->b[0] | e->b[1] << 8 | e->b[2] << 16 | (uint32_t)e->b[3] << 24;
		uint32_t err = e->b[4] | e->b[5] << 8 | e->b[6] << 16 | (uint32_t)e->b[7] << 24;
		uint32_t len = e->b[8] | e->b[9] << 8 | e->b[10] << 16 | (uint32_t)e->b[11] << 24;
		if (len > e->len - 12)
			len = (uint32_t)(e->len - 12);
		report(R_OP_FAILED, (int32_t)idx, (int32_t)err, (const char *)e->b + 12, len);
	}
}

static int supervise(pid_t pid)
{
	struct errbuf e = { .len = 0, .open = 1 };
	int ctl_open = 1, status = 0;

	fcntl(err_pipe[0], F_SETFL, O_NONBLOCK);
	for (;;) {
		struct pollfd pf[3] = {
			{ .fd = sfd, .events = POLLIN },
			{ .fd = e.open ? err_pipe[0] : -1, .events = POLLIN },
			{ .fd = ctl_open ? PLAN_FD : -1, .events = POLLIN },
		};
		if (poll(pf, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			kill(pid, SIGKILL);
			die(errno, "poll: %s", strerror(errno));
		}
		if (pf[1].revents)
			drain_errors(&e, 0);
		if (pf[2].revents) {
			char buf[64];
			ssize_t n = read(PLAN_FD, buf, sizeof buf);
			if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
				kill(pid, SIGKILL); /* Java is gone */
				ctl_open = 0;
			}
		}
		if (!pf[0].revents)
			continue;
		struct signalfd_siginfo si[16];
		ssize_t n;
		while ((n = read(sfd, si, sizeof si)) > 0) {
			for (size_t k = 0; k < (size_t)n / sizeof si[0]; k++) {
				if (si[k].ssi_signo != SIGCHLD) {
					kill(pid, (int)si[k].ssi_signo);
					continue;
				}
				pid_t w = waitpid(pid, &status, WNOHANG);
				if (w == pid || (w < 0 && errno == ECHILD))
					goto reaped;
			}
		}
	}
reaped:
	if (e.open)
		drain_errors(&e, 1);
	if (WIFSIGNALED(status)) {
		report(R_EXITED, -1, WTERMSIG(status), "", 0);
		return 128 + WTERMSIG(status);
	}
	report(R_EXITED, WEXITSTATUS(status), 0, "", 0);
	return WEXITSTATUS(status);
}

static int check_mode(void)
{
	char err[PLAN_ERR_LEN], c;
	unsigned char *buf;
	size_t len;
	struct plan p;

	if (plan_read(0, &buf, &len, err, sizeof err) < 0) {
		fprintf(stderr, "cordon-launcher: %s\n", err);
		return 2;
	}
	int rc = plan_decode(buf, len, &p, err, sizeof err);
	if (rc == 0 && read(0, &c, 1) > 0) {
		snprintf(err, sizeof err, "plan: trailing data after the plan at offset %zu", len);
		rc = -1;
	}
	if (rc == 0)
		printf("ok: %u ops\n", p.nops);
	else
		fprintf(stderr, "cordon-launcher: %s\n", err);
	plan_free(&p);
	free(buf);
	return rc == 0 ? 0 : 2;
}

int main(int argc, char **argv)
{
	char err[PLAN_ERR_LEN], ctl;
	unsigned char *buf;
	size_t len;
	struct plan p;
	sigset_t all;
	int cap_last = 0;
	ssize_t n;

	if (argc == 2 && strcmp(argv[1], "--check") == 0)
		return check_mode();
	if (argc >= 2 && strcmp(argv[1], "--client") == 0)
		return client_main(argc - 1, argv + 1); /* client.c */
	if (argc == 2 && strcmp(argv[1], "--over-daemon") == 0)
		client_tail_at_exit(); /* fd 3 and 4 are a daemon connection */
	else if (argc != 1) {
		fprintf(stderr, "usage: cordon-launcher [--check | --client [--ping] [--] ARGS...]\n");
		return 2;
	}
	/* Run from a memfd as /proc/self/fd/N, the kernel would name this
	 * process "N" in ps; the name is cosmetic, so a failure is ignored. */
	(void)prctl(PR_SET_NAME, "cordon-launcher", 0, 0, 0);
	if (fcntl(PLAN_FD, F_GETFD) < 0 || fcntl(REPORT_FD, F_GETFD) < 0) {
		fprintf(stderr, "cordon-launcher: must be started by cordon (fd 3 and 4 missing)\n");
		return EXIT_FAIL;
	}
	/* Nothing the spawner left open may reach the container (a JVM has jars,
	 * sockets and pipes without O_CLOEXEC): keep only stdio and fds 3 and 4. */
	if (syscall(SYS_close_range, REPORT_FD + 1, ~0U, 0) < 0) {
		long max = sysconf(_SC_OPEN_MAX);
		for (long fd = REPORT_FD + 1; fd < (max > 0 ? max : 65536); fd++)
			close((int)fd);
	}
	signal(SIGPIPE, SIG_IGN);
	fcntl(PLAN_FD, F_SETFL, fcntl(PLAN_FD, F_GETFL) & ~O_NONBLOCK);
	fcntl(REPORT_FD, F_SETFL, fcntl(REPORT_FD, F_GETFL) & ~O_NONBLOCK);

	if (plan_read(PLAN_FD, &buf, &len, err, sizeof err) < 0 ||
	    plan_decode(buf, len, &p, err, sizeof err) < 0)
		die(0, "%s", err);
	free(buf); /* the plan keeps its own copies */
	for (uint32_t i = 0; i < p.nops; i++)
		if (p.ops[i].code == OP_CAPSET) {
			cap_last = read_cap_last_cap();
			break;
		}

	/* Block everything we forward before the child exists. */
	sigfillset(&all);
	sigdelset(&all, SIGPIPE);
	if (sigprocmask(SIG_BLOCK, &all, NULL) < 0)
		die(errno, "sigprocmask: %s", strerror(errno));
	if ((sfd = signalfd(-1, &all, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
		die(errno, "signalfd: %s", strerror(errno));

	for (uint32_t i = 0; i < p.njoins; i++) {
		int fd = open(p.joins[i].path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			die(errno, "setns: open %.1024s: %s", p.joins[i].path, strerror(errno));
		if (setns(fd, (int)p.joins[i].nstype) < 0)
			die(errno, "setns %.1024s (nstype 0x%x): %s", p.joins[i].path,
			    p.joins[i].nstype, strerror(errno));
		close(fd);
	}
	if ((p.clone_flags & CLONE_NEWTIME) && unshare(CLONE_NEWTIME) < 0)
		die(errno, "unshare CLONE_NEWTIME: %s", strerror(errno));
	if (pipe2(sync_pipe, O_CLOEXEC) < 0 || pipe2(err_pipe, O_CLOEXEC) < 0)
		die(errno, "pipe: %s", strerror(errno));

	unsigned long flags = (unsigned long)(p.clone_flags & ~(uint64_t)CLONE_NEWTIME);
	pid_t pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
	if (pid < 0)
		die(errno, "clone: %s", strerror(errno));
	if (pid == 0)
		child(&p, cap_last);

	plan_free(&p); /* only the child needs it */
	close(sync_pipe[0]);
	close(err_pipe[1]);
	report(R_PID, pid, 0, "", 0);

	do
		n = read(PLAN_FD, &ctl, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1 || ctl != 'G') {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		if (n == 1 && ctl != 'A')
			die(0, "bad control byte 0x%02x", (unsigned char)ctl);
		return EXIT_FAIL;
	}
	write_all(sync_pipe[1], "G", 1); /* a dead child shows up as SIGCHLD */
	close(sync_pipe[1]);
	return supervise(pid);
}
