/* Plan reading and strict validation. Every error is one line of the form
 * "plan: <what> at offset N" where N counts from the first byte of the plan
 * (the magic), not from the start of the body. */
#define _GNU_SOURCE
#include "plan.h"

#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

#define NS_FLAGS ((uint64_t)(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | \
		CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP | CLONE_NEWTIME))

static const char *const names[OP_MAX + 1] = {
	[0] = "?",
#define X(code, name, layout) [code] = #name,
	OP_TABLE(X)
#undef X
};

static const char *const layouts[OP_MAX + 1] = {
	[0] = "",
#define X(code, name, layout) [code] = layout,
	OP_TABLE(X)
#undef X
};

/* ---- reading ---------------------------------------------------------- */

static size_t read_full(int fd, unsigned char *buf, size_t n, int *err)
{
	size_t got = 0;
	*err = 0;
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			*err = errno;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return got;
}

static uint32_t le32(const unsigned char *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

int plan_read(int fd, unsigned char **out, size_t *outlen, char *err, size_t errlen)
{
	unsigned char hdr[PLAN_HEADER_LEN], *buf;
	int e;
	size_t got = read_full(fd, hdr, sizeof hdr, &e);

	if (e)
		return snprintf(err, errlen, "plan: read error: %s", strerror(e)), -1;
	if (got < sizeof hdr)
		return snprintf(err, errlen, "plan: truncated: need %u bytes at offset 0, have %zu",
				PLAN_HEADER_LEN, got), -1;
	if (le32(hdr) != PLAN_MAGIC)
		return snprintf(err, errlen, "plan: bad magic 0x%08x (expected 0x%08x) at offset 0",
				le32(hdr), PLAN_MAGIC), -1;
	if ((hdr[4] | hdr[5] << 8) != PLAN_VERSION)
		return snprintf(err, errlen, "plan: unsupported version %u (expected %u) at offset 4",
				hdr[4] | hdr[5] << 8, PLAN_VERSION), -1;
	if (hdr[6] | hdr[7])
		return snprintf(err, errlen, "plan: reserved field is %u, must be 0 at offset 6",
				hdr[6] | hdr[7] << 8), -1;
	uint32_t body = le32(hdr + 8);
	if (body > PLAN_MAX_BODY)
		return snprintf(err, errlen, "plan: body length %u exceeds limit %u at offset 8",
				body, PLAN_MAX_BODY), -1;
	if (!(buf = malloc(PLAN_HEADER_LEN + (size_t)body)))
		return snprintf(err, errlen, "plan: out of memory"), -1;
	memcpy(buf, hdr, sizeof hdr);
	got = read_full(fd, buf + PLAN_HEADER_LEN, body, &e);
	if (e || got < body) {
		if (e)
			snprintf(err, errlen, "plan: read error: %s", strerror(e));
		else
			snprintf(err, errlen, "plan: truncated: need %u bytes at offset %u, have %zu",
				 body, PLAN_HEADER_LEN, got);
		free(buf);
		return -1;
	}
	*out = buf;
	*outlen = PLAN_HEADER_LEN + (size_t)body;
	return 0;
}

/* ---- decoding --------------------------------------------------------- */

struct rd {
	const unsigned char *b;
	size_t pos, end;        /* absolute plan offsets */
	struct plan *p;
	char *err;
	size_t errlen;
	long opi;               /* current op index, -1 outside ops */
	int in_payload;
	unsigned code;
};

static __attribute__((format(printf, 3, 4))) int
fail(struct rd *r, size_t at, const char *fmt, ...)
{
	char what[256], op[64] = "";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (r->opi >= 0 && r->code >= 1 && r->code <= OP_MAX)
		snprintf(op, sizeof op, " (op %ld %s)", r->opi, names[r->code]);
	else if (r->opi >= 0)
		snprintf(op, sizeof op, " (op %ld)", r->opi);
	snprintf(r->err, r->errlen, "plan: %s%s at offset %zu", what, op, at);
	return -1;
}

static int need(struct rd *r, size_t n)
{
	size_t have = r->end - r->pos;
	if (have >= n)
		return 0;
	if (r->in_payload)
		snprintf(r->err, r->errlen,
			 "plan: op %ld (%s) payload too short: need %zu bytes at offset %zu, have %zu",
			 r->opi, names[r->code], n, r->pos, have);
	else
		snprintf(r->err, r->errlen, "plan: truncated: need %zu bytes at offset %zu, have %zu",
			 n, r->pos, have);
	return -1;
}

static void *palloc(struct rd *r, size_t n)
{
	void **a = malloc(sizeof(void *) + (n ? n : 1));
	if (!a) {
		snprintf(r->err, r->errlen, "plan: out of memory");
		return NULL;
	}
	a[0] = r->p->allocs;
	r->p->allocs = a;
	return a + 1;
}

static int u16(struct rd *r, uint16_t *v)
{
	if (need(r, 2))
		return -1;
	*v = (uint16_t)(r->b[r->pos] | r->b[r->pos + 1] << 8);
	r->pos += 2;
	return 0;
}

static int u32(struct rd *r, uint32_t *v)
{
	if (need(r, 4))
		return -1;
	*v = le32(r->b + r->pos);
	r->pos += 4;
	return 0;
}

static int u32n(struct rd *r, uint64_t *v)
{
	uint32_t x;
	if (u32(r, &x))
		return -1;
	*v = x;
	return 0;
}

static int u64(struct rd *r, uint64_t *v)
{
	if (need(r, 8))
		return -1;
	*v = (uint64_t)le32(r->b + r->pos) | (uint64_t)le32(r->b + r->pos + 4) << 32;
	r->pos += 8;
	return 0;
}

/* Bytes with a u32 length prefix, copied, NUL-terminated. */
static int bytes(struct rd *r, int is_str, unsigned char **out, uint32_t *outlen)
{
	size_t at = r->pos;
	uint32_t len, max = is_str ? PLAN_MAX_STR : PLAN_MAX_BLOB;
	const unsigned char *nul;

	if (u32(r, &len))
		return -1;
	if (len > max)
		return fail(r, at, "%s length %u exceeds limit %u", is_str ? "string" : "blob", len, max);
	if (need(r, len))
		return -1;
	if (is_str && (nul = memchr(r->b + r->pos, 0, len)))
		return fail(r, (size_t)(nul - r->b), "string contains a NUL byte");
	if (!(*out = palloc(r, (size_t)len + 1)))
		return -1;
	memcpy(*out, r->b + r->pos, len);
	(*out)[len] = 0;
	r->pos += len;
	if (outlen)
		*outlen = len;
	return 0;
}

static int str(struct rd *r, char **s)
{
	return bytes(r, 1, (unsigned char **)s, NULL);
}

static int blob(struct rd *r, struct blob *b)
{
	return bytes(r, 0, &b->p, &b->len);
}

static int strlist(struct rd *r, char ***out)
{
	size_t at = r->pos;
	uint32_t n;

	if (u32(r, &n))
		return -1;
	if (n > PLAN_MAX_LIST)
		return fail(r, at, "list count %u exceeds limit %u", n, PLAN_MAX_LIST);
	if (need(r, (size_t)n * 4) || !(*out = palloc(r, ((size_t)n + 1) * sizeof(char *))))
		return -1;
	for (uint32_t i = 0; i < n; i++)
		if (str(r, &(*out)[i]))
			return -1;
	(*out)[n] = NULL;
	return 0;
}

static int u32list(struct rd *r, struct op *op)
{
	size_t at = r->pos;
	if (u32(r, &op->count))
		return -1;
	if (op->count > PLAN_MAX_GROUPS)
		return fail(r, at, "%s count %u exceeds limit %u", names[op->code], op->count, PLAN_MAX_GROUPS);
	if (need(r, (size_t)op->count * 4) || !(op->gids = palloc(r, (size_t)op->count * 4)))
		return -1;
	for (uint32_t i = 0; i < op->count; i++)
		u32(r, &op->gids[i]);
	return 0;
}

static int sysargs(struct rd *r, struct op *op)
{
	size_t at = r->pos;
	uint8_t kind;

	if (u32(r, &op->count))
		return -1;
	if (op->count > PLAN_MAX_SYSARG)
		return fail(r, at, "SYSCALL argc %u exceeds limit %u", op->count, PLAN_MAX_SYSARG);
	for (uint32_t i = 0; i < op->count; i++) {
		struct sysarg *a = &op->args[i];
		struct blob b;
		at = r->pos;
		if (need(r, 1))
			return -1;
		a->kind = kind = r->b[r->pos++];
		switch (kind) {
		case ARG_IMM:
			if (u64(r, &a->val))
				return -1;
			break;
		case ARG_BUF:
			if (blob(r, &b))
				return -1;
			a->ptr = b.p;
			break;
		case ARG_RESULT:
			at = r->pos;
			if (u32n(r, &a->val))
				return -1;
			if (a->val >= (uint64_t)r->opi || r->p->ops[a->val].code != OP_SYSCALL)
				return fail(r, at, "SYSCALL arg %u refers to op %llu, which is not an earlier SYSCALL",
					    i, (unsigned long long)a->val);
			break;
		case ARG_STR:
			if (str(r, (char **)&a->ptr))
				return -1;
			break;
		default:
			return fail(r, at, "unknown SYSCALL arg kind %u", kind);
		}
	}
	return 0;
}

/* An in-root path: absolute, no empty, "." or ".." component, no trailing '/'
 * (except "/" itself, allowed only where the op does not need a parent). */
static int in_root_path(struct rd *r, const struct op *op, int field, int needs_parent)
{
	const char *p = op->s[field];
	size_t len = strlen(p);

	if (len > PLAN_MAX_PATH)
		return fail(r, op->at[field], "in-root path is %zu bytes, at most %u", len, PLAN_MAX_PATH);
	if (p[0] != '/')
		return fail(r, op->at[field], "in-root path \"%.256s\" is not absolute", p);
	if (len == 1 && needs_parent)
		return fail(r, op->at[field], "in-root path \"/\" names the root itself; this op needs an entry in it");
	for (const char *c = p; *c; ) {
		const char *e = strchrnul(++c, '/');
		size_t n = (size_t)(e - c);
		if ((n == 0 && !(len == 1 && *e == 0)) || (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			return fail(r, op->at[field], "in-root path \"%.256s\" is not normalized"
				    " (empty, \".\" or \"..\" component)", p);
		c = e;
	}
	return 0;
}

/* Checks beyond the layout: flag bits, sizes, list minimums, path forms. */
static int check(struct rd *r, const struct op *op)
{
	switch (op->code) {
	case OP_WRITE_FILE:
	case OP_WRITE_FILE_IN_ROOT:
		if (op->n[1] & ~7ull)
			return fail(r, op->at[2], "unknown WRITE_FILE flags 0x%llx", (unsigned long long)op->n[1]);
		return op->code == OP_WRITE_FILE_IN_ROOT ? in_root_path(r, op, 0, 1) : 0;
	case OP_SECCOMP:
		if (op->blob.len % 8)
			return fail(r, op->at[1], "seccomp filter length %u is not a multiple of 8", op->blob.len);
		if (op->blob.len == 0 || op->blob.len / 8 > PLAN_MAX_FILTER)
			return fail(r, op->at[1], "seccomp filter has %u instructions, must be 1..%u",
				    op->blob.len / 8, PLAN_MAX_FILTER);
		return 0;
	case OP_EXEC:
		if (!op->list[0][0])
			return fail(r, op->at[1], "argv count 0, need at least 1");
		return 0;
	case OP_WRITE_PROCFS:
		if (!op->list[0][0])
			return fail(r, op->at[0], "paths count 0, need at least 1");
		return 0;
	case OP_ROOT:
		if (op->s[0][0] != '/')
			return fail(r, op->at[0], "ROOT path \"%.256s\" is not absolute", op->s[0]);
		return 0;
	case OP_MOUNT_IN_ROOT:
		if (op->n[1] & ~(uint64_t)(MNT_SOURCE_IN_ROOT | MNT_NO_SYMLINKS))
			return fail(r, op->at[5], "unknown MOUNT_IN_ROOT resolve flags 0x%llx",
				    (unsigned long long)op->n[1]);
		if ((op->n[1] & MNT_SOURCE_IN_ROOT) && in_root_path(r, op, 0, 0))
			return -1;
		return in_root_path(r, op, 1, 0);
	case OP_SYMLINK_IN_ROOT:
		return in_root_path(r, op, 1, 1);
	case OP_MKDIR_IN_ROOT:
	case OP_MKNOD_IN_ROOT:
	case OP_CHOWN_IN_ROOT:
	case OP_UNLINK_IN_ROOT:
		return in_root_path(r, op, 0, 1);
	}
	return 0;
}

/* Decode the fields the op table gives for the op's code, in order. */
static int payload(struct rd *r, struct op *op)
{
	int si = 0, ni = 0, li = 0, f = 0;

	for (const char *k = layouts[op->code]; *k; k++, f++) {
		int rc;
		op->at[f] = r->pos;
		switch (*k) {
		case 's': rc = str(r, &op->s[si++]); break;
		case 'u': rc = u32n(r, &op->n[ni++]); break;
		case 'U': rc = u64(r, &op->n[ni++]); break;
		case 'b': rc = blob(r, &op->blob); break;
		case 'l': rc = strlist(r, &op->list[li++]); break;
		case 'g': rc = u32list(r, op); break;
		case 'a': rc = sysargs(r, op); break;
		default: return fail(r, r->pos, "launcher op table: bad layout letter '%c'", *k);
		}
		if (rc)
			return -1;
	}
	return check(r, op);
}

static int decode_op(struct rd *r, uint32_t i)
{
	struct op *op = &r->p->ops[i];
	uint32_t len;

	op->offset = r->pos;
	r->opi = i;
	r->code = 0;
	if (u16(r, &op->code) || u16(r, &op->flags) || u32(r, &len))
		return -1;
	if (op->code < 1 || op->code > OP_MAX)
		return fail(r, op->offset, "unknown op code %u", op->code);
	r->code = op->code;
	if (op->flags & ~OP_FLAG_OPTIONAL)
		return fail(r, op->offset + 2, "unknown op flags 0x%x", op->flags);
	if (op->code == OP_EXEC && i != r->p->nops - 1)
		return fail(r, op->offset, "EXEC must be the last op");
	if (op->code == OP_EXEC && (op->flags & OP_FLAG_OPTIONAL))
		return fail(r, op->offset + 2, "EXEC cannot be OPTIONAL");
	if (i == r->p->nops - 1 && op->code != OP_EXEC)
		return fail(r, op->offset, "last op must be EXEC, not %s", names[op->code]);
	if (need(r, len))
		return -1;

	struct rd s = *r;
	s.end = r->pos + len;
	s.in_payload = 1;
	if (payload(&s, op))
		return -1;
	if (s.pos != s.end)
		return fail(r, s.pos, "payload_len %u but the fields take %zu bytes", len, s.pos - r->pos);
	r->pos = s.end;
	return 0;
}

int plan_decode(const unsigned char *buf, size_t len, struct plan *p, char *err, size_t errlen)
{
	struct rd r = { .b = buf, .pos = PLAN_HEADER_LEN, .end = len, .p = p,
			.err = err, .errlen = errlen, .opi = -1 };
	size_t at;

	memset(p, 0, sizeof *p);
	if (len < PLAN_HEADER_LEN || le32(buf + 8) != len - PLAN_HEADER_LEN)
		return snprintf(err, errlen, "plan: header does not match buffer"), -1;
	if (u64(&r, &p->clone_flags))
		return -1;
	if (p->clone_flags & ~NS_FLAGS)
		return fail(&r, PLAN_HEADER_LEN, "clone_flags 0x%llx has unsupported bits 0x%llx",
			    (unsigned long long)p->clone_flags,
			    (unsigned long long)(p->clone_flags & ~NS_FLAGS));
	at = r.pos;
	if (u32(&r, &p->njoins))
		return -1;
	if (p->njoins > PLAN_MAX_JOINS)
		return fail(&r, at, "join_count %u exceeds limit %u", p->njoins, PLAN_MAX_JOINS);
	for (uint32_t i = 0; i < p->njoins; i++) {
		struct join *j = &p->joins[i];
		at = r.pos;
		if (u32(&r, &j->nstype))
			return -1;
		if (!j->nstype || (j->nstype & (j->nstype - 1)) || (j->nstype & ~NS_FLAGS))
			return fail(&r, at, "join %u nstype 0x%x is not exactly one CLONE_NEW* flag",
				    i, j->nstype);
		if (str(&r, &j->path))
			return -1;
	}
	at = r.pos;
	if (u32(&r, &p->nops))
		return -1;
	if (p->nops > PLAN_MAX_OPS)
		return fail(&r, at, "op_count %u exceeds limit %u", p->nops, PLAN_MAX_OPS);
	if (p->nops == 0)
		return fail(&r, at, "op_count is 0, the last op must be EXEC");
	if (need(&r, (size_t)p->nops * 8) || !(p->ops = palloc(&r, (size_t)p->nops * sizeof *p->ops)))
		return -1;
	memset(p->ops, 0, (size_t)p->nops * sizeof *p->ops);
	for (uint32_t i = 0; i < p->nops; i++)
		if (decode_op(&r, i))
			return -1;
	r.opi = -1;
	if (r.pos != r.end)
		return fail(&r, r.pos, "%zu trailing bytes after the last op", r.end - r.pos);
	return 0;
}

void plan_free(struct plan *p)
{
	void **a = p->allocs;
	while (a) {
		void **next = a[0];
		free(a);
		a = next;
	}
	p->allocs = NULL;
	p->ops = NULL;
}
