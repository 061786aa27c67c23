/* Plan format of the cordon launcher protocol (docs/launcher-protocol.md)
 * and the op runner. */
#ifndef CORDON_PLAN_H
#define CORDON_PLAN_H

#include <stddef.h>
#include <stdint.h>

#define PLAN_MAGIC      0x504E4443u /* "CDNP" little-endian */
#define PLAN_VERSION    1u
#define PLAN_HEADER_LEN 12u
#define PLAN_MAX_BODY   (16u << 20)
#define PLAN_MAX_STR    (1u << 20)
#define PLAN_MAX_BLOB   (8u << 20)
#define PLAN_MAX_LIST   65536u
#define PLAN_MAX_JOINS  16u
#define PLAN_MAX_OPS    65536u
#define PLAN_MAX_GROUPS 65536u
#define PLAN_MAX_SYSARG 6u
#define PLAN_MAX_FILTER 4096u
#define PLAN_ERR_LEN    512u

#define OP_FLAG_OPTIONAL 1u
#define PLAN_MAX_PATH   4095u /* in-root paths, as PATH_MAX less the NUL */

/* MOUNT_IN_ROOT resolve flags */
#define MNT_SOURCE_IN_ROOT 1u /* a bind's source is resolved in the root too */
#define MNT_NO_SYMLINKS    2u /* no symlink anywhere in the target path */

/*
 * The op table: code, name, payload layout. One letter per field, in wire order:
 *   s str   u u32   U u64   b blob   l strlist
 *   g u32list (u32 count, count x u32)   a arglist (u32 argc, argc x SYSCALL arg)
 * LauncherOpTableTest holds PlanCodec (Java) and docs/launcher-protocol.md to this table.
 */
#define OP_TABLE(X) \
	X(1, MOUNT, "sssUs") \
	X(2, UMOUNT, "su") \
	X(3, MKDIR, "su") \
	X(4, MKNOD, "suuu") \
	X(5, SYMLINK, "ss") \
	X(6, PIVOT_ROOT, "s") \
	X(7, SETHOSTNAME, "s") \
	X(8, WRITE_FILE, "suub") \
	X(9, SETRLIMIT, "uUU") \
	X(10, SETGROUPS, "g") \
	X(11, SETRESGID, "u") \
	X(12, SETRESUID, "u") \
	X(13, CAPSET, "UUUUU") \
	X(14, NO_NEW_PRIVS, "") \
	X(15, SECCOMP, "ub") \
	X(16, SYSCALL, "ua") \
	X(17, CHDIR, "s") \
	X(18, EXEC, "sll") \
	X(19, WRITE_PROCFS, "lb") \
	X(20, ROOT, "s") \
	X(21, MOUNT_IN_ROOT, "sssUsuu") \
	X(22, MKDIR_IN_ROOT, "su") \
	X(23, MKNOD_IN_ROOT, "suuu") \
	X(24, SYMLINK_IN_ROOT, "ss") \
	X(25, WRITE_FILE_IN_ROOT, "suub") \
	X(26, CHOWN_IN_ROOT, "suu") \
	X(27, UNLINK_IN_ROOT, "s")

enum op_code {
#define X(code, name, layout) OP_##name = code,
	OP_TABLE(X)
#undef X
	OP_MAX = OP_UNLINK_IN_ROOT
};

enum sysarg_kind { ARG_IMM = 0, ARG_BUF = 1, ARG_RESULT = 2, ARG_STR = 3 };

struct blob {
	unsigned char *p; /* private copy, never NULL once decoded */
	uint32_t len;
};

struct sysarg {
	uint8_t kind;
	uint64_t val; /* IMM value or RESULT op index */
	void *ptr;    /* BUF / STR copy */
};

/* A decoded op. Fields are stored in payload order: strings in s[],
 * integers (any width) in n[]. */
struct op {
	uint16_t code, flags;
	size_t offset;          /* plan offset of the op header */
	char *s[4];
	uint64_t n[5];
	size_t at[8];           /* plan offset of each payload field, for errors */
	struct blob blob;       /* WRITE_FILE, WRITE_PROCFS data, SECCOMP filter */
	char **list[2];         /* EXEC argv, envp; WRITE_PROCFS paths (NULL-terminated) */
	uint32_t count;         /* SETGROUPS count, SYSCALL argc */
	uint32_t *gids;
	struct sysarg args[PLAN_MAX_SYSARG];
	long result;            /* SYSCALL return value, set by the child */
};

struct join {
	uint32_t nstype;
	char *path;
};

struct plan {
	uint64_t clone_flags;
	uint32_t njoins, nops;
	struct join joins[PLAN_MAX_JOINS];
	struct op *ops;
	void *allocs; /* every allocation of the decoder, freed by plan_free */
};

/* Read header + body from fd (exactly that many bytes, nothing more).
 * Returns 0 and a malloc'd buffer, or -1 with err set. */
int plan_read(int fd, unsigned char **buf, size_t *len, char *err, size_t errlen);

/* Validate and decode a whole plan (header included). 0 or -1 with err set. */
int plan_decode(const unsigned char *buf, size_t len, struct plan *p,
		char *err, size_t errlen);

void plan_free(struct plan *p);

/* Run op i in the child (ops.c). Returns 0, or an errno value with a one-line
 * message in msg. EXEC returns only on failure. cap_last: host cap_last_cap. */
int run_op(struct plan *p, uint32_t i, int cap_last, char *msg, size_t len);

#endif
