/*
 * Client mode: the cordon command line without a JVM, for a resident daemon
 * (docs/daemon-protocol.md, version 1). The client sends its argv,
 * environment, working directory, which of its stdio are terminals and the
 * window size; prints the STDOUT/STDERR frames it gets; exits with the EXIT
 * frame's code. A LAUNCH frame makes it the container's launcher: it re-execs
 * itself from a sealed memfd copy (so no container can reach the binary on
 * disk through /proc/PID/exe, CVE-2019-5736) with the connection as the
 * launcher's plan fd 3 and report fd 4; when that launcher exits, the
 * daemon's last frames are read (client_tail_at_exit). Every failure is one
 * line on stderr and exit 125.
 */
#define _GNU_SOURCE
#include "client.h"
#include "fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#define HELLO_MAGIC   0x444E4443u /* "CDND" little-endian */
#define PROTO_VERSION 1u
#define DEFAULT_SOCKET "/run/cordon/cordon.sock"
#define MAX_REQUEST   (1u << 20)
#define MAX_OUTPUT    (1u << 16)
#define MAX_ERROR     4096u
#define EXIT_FAIL     125
#define EXIT_NO_DAEMON 3 /* --ping only: nothing answers on the socket */
#define DAEMON_FD     3  /* the connection, once this process is the launcher */

enum { F_REQUEST = 1, F_PING = 2 };
enum { F_STDOUT = 1, F_STDERR, F_EXIT, F_ERROR, F_LAUNCH, F_PONG };
enum { NULL_STDIN = 1, NULL_STDOUT = 2, NULL_STDERR = 4 };

extern char **environ;

static const char *socket_path(void)
{
	const char *s = getenv("CORDON_SOCKET");
	return s && *s ? s : DEFAULT_SOCKET;
}

static void __attribute__((noreturn, format(printf, 1, 2))) fail(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof line - 2)
		n = sizeof line - 2;
	line[n++] = '\n';
	if (write(2, "cordon: ", 8) < 0 || write(2, line, (size_t)n) < 0)
		_exit(EXIT_FAIL);
	_exit(EXIT_FAIL);
}

static uint32_t get32(const unsigned char *b)
{
	return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
}

/* Read exactly len bytes: 1, 0 at EOF before the first byte, -1 on error or EOF inside. */
static int read_all(int fd, void *buf, size_t len)
{
	unsigned char *p = buf;
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return got == 0 ? 0 : -1;
		got += (size_t)n;
	}
	return 1;
}

/* ---- request ----------------------------------------------------------- */

struct buf {
	unsigned char *p;
	size_t len, cap;
};

static void put(struct buf *b, const void *data, size_t len)
{
	if (b->len + len > MAX_REQUEST + 8)
		fail("the command line and environment take over %u bytes, the protocol's bound for a request;"
		     " shorten them (or use --no-daemon)", MAX_REQUEST);
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + len)
			cap *= 2;
		unsigned char *p = realloc(b->p, cap);
		if (!p)
			fail("out of memory building the request");
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
}

static void put32(struct buf *b, uint32_t v)
{
	unsigned char x[4] = { (unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
			       (unsigned char)(v >> 24) };
	put(b, x, 4);
}

static void put16(struct buf *b, uint16_t v)
{
	unsigned char x[2] = { (unsigned char)v, (unsigned char)(v >> 8) };
	put(b, x, 2);
}

static void putstr(struct buf *b, const char *s)
{
	size_t n = strlen(s);
	put32(b, (uint32_t)n);
	put(b, s, n);
}

static void hello(struct buf *b)
{
	put32(b, HELLO_MAGIC);
	put16(b, PROTO_VERSION);
	put16(b, 0);
}

static void request(struct buf *b, int argc, char **argv)
{
	struct winsize ws = { 0 };
	char cwd[4096];
	size_t nenv = 0, start;
	uint32_t ttys = 0;

	for (int fd = 0; fd < 3; fd++)
		if (isatty(fd)) {
			ttys |= 1u << fd;
			if (ws.ws_row == 0)
				ioctl(fd, TIOCGWINSZ, &ws);
		}
	if (!getcwd(cwd, sizeof cwd))
		fail("cannot read the working directory: %s", strerror(errno));
	hello(b);
	put32(b, F_REQUEST);
	start = b->len;
	put32(b, 0); /* length, patched below */
	put32(b, (uint32_t)getpid());
	put32(b, ttys);
	put16(b, ws.ws_row);
	put16(b, ws.ws_col);
	putstr(b, cwd);
	put32(b, (uint32_t)argc);
	for (int i = 0; i < argc; i++)
		putstr(b, argv[i]);
	while (environ && environ[nenv])
		nenv++;
	put32(b, (uint32_t)nenv);
	for (size_t i = 0; i < nenv; i++)
		putstr(b, environ[i]);
	uint32_t len = (uint32_t)(b->len - start - 4);
	if (len > MAX_REQUEST)
		fail("the command line and environment take %u bytes, over the protocol's bound of %u for a"
		     " request; shorten them (or use --no-daemon)", len, MAX_REQUEST);
	b->p[start] = (unsigned char)len;
	b->p[start + 1] = (unsigned char)(len >> 8);
	b->p[start + 2] = (unsigned char)(len >> 16);
	b->p[start + 3] = (unsigned char)(len >> 24);
}

/* ---- connection -------------------------------------------------------- */

/* Connect; -1 with errno when nothing listens (ENOENT, ECONNREFUSED) or it cannot be reached. */
static int dial(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof a.sun_path)
		fail("the socket path %s is longer than %zu bytes; set CORDON_SOCKET to a shorter one", path,
		     sizeof a.sun_path - 1);
	if (path[0] != '/')
		fail("the socket path %s must be absolute (CORDON_SOCKET)", path);
	strcpy(a.sun_path, path); /* never an abstract name: the path starts with '/' */
	/* Above the launcher's fds 0-4, so the dup2 onto 3 and 4 for a run cannot clobber it. */
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		fail("socket: %s", strerror(errno));
	int high = fcntl(s, F_DUPFD_CLOEXEC, 10);
	if (high < 0)
		fail("fcntl: %s", strerror(errno));
	close(s);
	if (connect(high, (struct sockaddr *)&a, sizeof a) < 0) {
		int e = errno;
		close(high);
		errno = e;
		return -1;
	}
	return high;
}

static void read_daemon_hello(int s, const char *path)
{
	unsigned char h[8];
	int r = read_all(s, h, sizeof h);
	if (r <= 0)
		fail("the daemon at %s closed the connection before its hello (see its log)", path);
	if (get32(h) != HELLO_MAGIC)
		fail("%s is not a cordon daemon's socket: it began with 0x%08x", path, get32(h));
	unsigned version = h[4] | h[5] << 8;
	if (version != PROTO_VERSION)
		fail("protocol version mismatch: the daemon at %s speaks version %u, this client version %u"
		     " (stop the daemon and start it from the same cordon as the client)", path, version,
		     PROTO_VERSION);
}

enum { FRAME_EOF = -1 };

/* Next daemon frame into buf (MAX_OUTPUT bytes): its type, or FRAME_EOF. A frame of an unknown type or
 * over its bound is a one-line failure. */
static int read_frame(int s, unsigned char *buf, uint32_t *len, const char *path)
{
	unsigned char h[8];
	int r = read_all(s, h, sizeof h);
	if (r == 0)
		return FRAME_EOF;
	if (r < 0)
		fail("the connection to the daemon at %s broke: %s", path, errno ? strerror(errno) : "truncated frame");
	uint32_t type = get32(h), n = get32(h + 4), max;
	switch (type) {
	case F_STDOUT:
	case F_STDERR:
		max = MAX_OUTPUT;
		break;
	case F_EXIT:
	case F_LAUNCH:
	case F_PONG:
		max = 4;
		break;
	case F_ERROR:
		max = MAX_ERROR;
		break;
	default:
		fail("the daemon at %s sent a malformed frame (unknown type %u); see its log", path, type);
	}
	if (n > max || ((type == F_EXIT || type == F_LAUNCH || type == F_PONG) && n != 4))
		fail("the daemon at %s sent a malformed frame (type %u of %u bytes, the bound is %u); see its log",
		     path, type, n, max);
	if (n && read_all(s, buf, n) <= 0)
		fail("the connection to the daemon at %s broke inside a frame", path);
	*len = n;
	return (int)type;
}

/* STDOUT, STDERR, ERROR and EXIT: 1 if handled (EXIT and ERROR exit), 0 for the other types. */
static int common_frame(int type, unsigned char *buf, uint32_t n)
{
	switch (type) {
	case F_STDOUT:
	case F_STDERR:
		/* The reader went away (a closed pipe): the rest is lost, the exit code still counts. */
		(void)write_all(type == F_STDOUT ? 1 : 2, buf, n);
		return 1;
	case F_EXIT:
		_exit((int)(get32(buf) & 0xff));
	case F_ERROR:
		for (uint32_t i = 0; i < n; i++)
			if (buf[i] == '\n' || buf[i] == '\r')
				buf[i] = ' ';
		buf[n] = 0;
		fail("%s", (char *)buf);
	}
	return 0;
}

/* Sending the request failed. A daemon that refuses a client (its peer check) answers with its hello
 * and an ERROR frame and closes without reading the request, so the write can fail with EPIPE while
 * the reason waits in the socket: print that reason if it is there, else why the write failed. The
 * socket is made non-blocking first, so a daemon that said nothing cannot hang the client here. */
static void __attribute__((noreturn)) refused_or_fail(int s, unsigned char *buf, const char *path, int err)
{
	unsigned char h[8];
	int flags = fcntl(s, F_GETFL);
	if (flags >= 0 && fcntl(s, F_SETFL, flags | O_NONBLOCK) == 0 && read_all(s, h, sizeof h) > 0
	    && get32(h) == HELLO_MAGIC && read_all(s, h, sizeof h) > 0 && get32(h) == F_ERROR
	    && get32(h + 4) <= MAX_ERROR && read_all(s, buf, get32(h + 4)) > 0)
		common_frame(F_ERROR, buf, get32(h + 4));
	fail("cannot send the request to the daemon at %s: %s", path, strerror(err));
}

/* ---- launch ------------------------------------------------------------ */

/* Tell the daemon why this process cannot become the launcher, as the launcher itself would. */
static void launcher_error(int s, const char *what)
{
	unsigned char r[16 + 512];
	size_t n = strnlen(what, 512);
	uint32_t v[4] = { 5 /* LAUNCHER_ERROR */, (uint32_t)errno, 0, (uint32_t)n };
	for (int i = 0; i < 4; i++)
		for (int k = 0; k < 4; k++)
			r[4 * i + k] = (unsigned char)(v[i] >> (8 * k));
	memcpy(r + 16, what, n);
	(void)write_all(s, r, 16 + n);
}

/* A sealed (no write, grow, shrink or further seals) in-memory copy of this executable. */
static int sealed_copy(char *err, size_t errlen)
{
	int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC), fd = -1;
	struct stat st;
	if (exe < 0 || fstat(exe, &st) < 0) {
		snprintf(err, errlen, "client: cannot open /proc/self/exe: %s", strerror(errno));
		goto out;
	}
	int low = memfd_create("cordon-launcher", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	/* Above fds 0-4, which the launcher's stdio and the connection take before the exec. */
	fd = low < 0 ? -1 : fcntl(low, F_DUPFD_CLOEXEC, 10);
	if (low >= 0)
		close(low);
	if (fd < 0) {
		snprintf(err, errlen, "client: memfd_create: %s", strerror(errno));
		goto out;
	}
	for (off_t done = 0; done < st.st_size;) {
		ssize_t n = sendfile(fd, exe, NULL, (size_t)(st.st_size - done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "client: copying /proc/self/exe into a memfd: %s",
				 n < 0 ? strerror(errno) : "short file");
			close(fd);
			fd = -1;
			goto out;
		}
		done += n;
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) {
		snprintf(err, errlen, "client: sealing the memfd: %s", strerror(errno));
		close(fd);
		fd = -1;
	}
out:
	if (exe >= 0)
		close(exe);
	return fd;
}

/* Skip the plan the daemon sent after LAUNCH (12-byte header with the body length, then the body). */
static void skip_plan(int s)
{
	unsigned char h[12], junk[4096];
	if (read_all(s, h, sizeof h) <= 0)
		return;
	for (uint32_t left = get32(h + 8); left;) {
		size_t n = left < sizeof junk ? left : sizeof junk;
		if (read_all(s, junk, n) <= 0)
			return;
		left -= (uint32_t)n;
	}
}

static void tail(int s);

/* Become the launcher of the container the daemon is about to send the plan of. */
static void __attribute__((noreturn)) launch(int s, uint32_t nulls)
{
	char err[512];
	int fd = -1;
	if (nulls) {
		int dn = open("/dev/null", O_RDWR | O_CLOEXEC);
		for (int i = 0; i < 3 && dn >= 0; i++)
			if ((nulls & (1u << i)) && dup2(dn, i) < 0)
				dn = -1;
		if (dn < 0) {
			snprintf(err, sizeof err, "client: cannot redirect to /dev/null: %s", strerror(errno));
			goto failed;
		}
		if (dn > 2)
			close(dn);
	}
	fd = sealed_copy(err, sizeof err);
	if (fd < 0)
		goto failed;
	if (dup2(s, DAEMON_FD) < 0 || dup2(s, DAEMON_FD + 1) < 0) {
		snprintf(err, sizeof err, "client: dup2: %s", strerror(errno));
		goto failed;
	}
	char *args[] = { "cordon-launcher", "--over-daemon", NULL }, *env[] = { NULL };
	/* An empty environment, as the runtime gives a launcher it spawns; the plan carries the container's. */
	syscall(SYS_execveat, fd, "", args, env, AT_EMPTY_PATH);
	snprintf(err, sizeof err, "client: exec of the sealed launcher copy: %s", strerror(errno));
failed:
	launcher_error(s, err);
	skip_plan(s);
	tail(s);
}

/* After the launcher's part: the daemon's last frames. */
static void __attribute__((noreturn)) tail(int s)
{
	static unsigned char buf[MAX_OUTPUT + 1];
	const char *path = socket_path();
	for (;;) {
		uint32_t n;
		int type = read_frame(s, buf, &n, path);
		if (type == FRAME_EOF)
			fail("the daemon went away during the run (see its log); its container was killed");
		if (!common_frame(type, buf, n))
			fail("the daemon at %s sent a malformed frame (type %d after the launch); see its log", path,
			     type);
	}
}

static void at_exit_tail(void)
{
	sigset_t all;
	/* The launcher blocked every signal to forward it; here Ctrl-C must stop the client again. */
	sigfillset(&all);
	sigprocmask(SIG_UNBLOCK, &all, NULL);
	tail(DAEMON_FD);
}

void client_tail_at_exit(void)
{
	atexit(at_exit_tail);
}

/* ---- main -------------------------------------------------------------- */

int client_main(int argc, char **argv)
{
	static unsigned char buf[MAX_OUTPUT + 1];
	const char *path = socket_path();
	int ping = argc >= 2 && strcmp(argv[1], "--ping") == 0;
	int first = ping ? 2 : 1;

	if (!ping && argc >= 2 && strcmp(argv[1], "--") == 0)
		first = 2;
	if (ping && argc != 2)
		fail("usage: cordon-launcher --client --ping");
	signal(SIGPIPE, SIG_IGN);

	int s = dial(path);
	if (s < 0) {
		if (ping && (errno == ENOENT || errno == ECONNREFUSED))
			return EXIT_NO_DAEMON;
		if (errno == ENOENT || errno == ECONNREFUSED)
			fail("no cordon daemon answers on %s (start one with bin/cordon daemon)", path);
		fail("cannot connect to the cordon daemon at %s: %s%s", path, strerror(errno),
		     errno == EACCES ? " (the daemon serves root only)" : "");
	}
	struct buf req = { 0 };
	if (ping) {
		hello(&req);
		put32(&req, F_PING);
		put32(&req, 0);
	} else {
		request(&req, argc - first, argv + first);
	}
	if (write_all(s, req.p, req.len) < 0)
		refused_or_fail(s, buf, path, errno);
	free(req.p);
	read_daemon_hello(s, path);

	for (;;) {
		uint32_t n;
		int type = read_frame(s, buf, &n, path);
		if (type == FRAME_EOF)
			fail("the daemon at %s closed the connection without an exit code (see its log)", path);
		if (common_frame(type, buf, n))
			continue;
		if (type == F_PONG && ping) {
			printf("%u\n", get32(buf));
			return 0;
		}
		if (type == F_LAUNCH && !ping)
			launch(s, get32(buf));
		fail("the daemon at %s sent a malformed frame (type %d was not expected here); see its log", path,
		     type);
	}
}
