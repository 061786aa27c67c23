/*
 * Test helper for the seccomp differential test: builds the filter libseccomp
 * makes for a profile, the way runc does, and writes the classic BPF program
 * (seccomp_export_bpf) to stdout. Input on stdin, one directive a line, the
 * profile already reduced to OCI rules (Moby includes/excludes applied):
 *
 *   default ACTION          the default action (raw SECCOMP_RET_* value, hex or decimal)
 *   badarch ACTION          the action for another architecture (and x32)
 *   optimize LEVEL          SCMP_FLTATR_CTL_OPTIMIZE: 1 linear (runc's), 2 binary tree
 *   rule ACTION NAME N [INDEX OP A B]xN
 *                           OP: 1 NE 2 LT 3 LE 4 EQ 5 GE 6 GT 7 MASKED_EQ (A mask, B datum)
 *   time REPEAT             print to stderr the median and the fastest microseconds to build and export
 *
 * With the argument "resolve" it instead reads syscall names, one a line, and
 * prints "NAME NUMBER" with libseccomp's number for the native architecture
 * (negative: not a syscall there).
 *
 * Like runc: a syscall name libseccomp cannot resolve is skipped (noted on
 * stderr), a rule whose action is the default action is skipped, and a rule
 * that compares the same argument twice is added as one rule per comparison.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#define MAX_RULES 4096

struct rule {
	uint32_t action;
	char name[64];
	unsigned n;
	struct scmp_arg_cmp cmp[6];
};

static struct rule rules[MAX_RULES];
static unsigned nrules;
static uint32_t def_action = SCMP_ACT_ALLOW, badarch = SCMP_ACT_KILL_PROCESS;
static unsigned optimize = 1;

static scmp_filter_ctx build(int quiet)
{
	scmp_filter_ctx ctx = seccomp_init(def_action);
	if (!ctx) {
		fprintf(stderr, "seccomp_init failed\n");
		exit(1);
	}
	int rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, badarch);
	if (rc == 0 && optimize != 1)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, optimize);
	if (rc < 0) {
		fprintf(stderr, "seccomp_attr_set: %s\n", strerror(-rc));
		exit(1);
	}
	for (unsigned i = 0; i < nrules; i++) {
		struct rule *r = &rules[i];
		int nr = seccomp_syscall_resolve_name(r->name);
		if (nr == __NR_SCMP_ERROR) {
			if (!quiet)
				fprintf(stderr, "unknown %s\n", r->name);
			continue;
		}
		if (r->action == def_action)
			continue;
		int repeated = 0;
		for (unsigned a = 0; a < r->n; a++)
			for (unsigned b = a + 1; b < r->n; b++)
				repeated |= r->cmp[a].arg == r->cmp[b].arg;
		if (repeated) {
			for (unsigned a = 0; a < r->n && rc == 0; a++)
				rc = seccomp_rule_add_array(ctx, r->action, nr, 1, &r->cmp[a]);
		} else {
			rc = seccomp_rule_add_array(ctx, r->action, nr, r->n, r->cmp);
		}
		if (rc < 0) {
			fprintf(stderr, "rule %u (%s): %s\n", i, r->name, strerror(-rc));
			exit(1);
		}
	}
	return ctx;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	char line[4096];
	unsigned repeat = 0;
	if (argc > 1 && !strcmp(argv[1], "resolve")) {
		char name[128];
		while (scanf("%127s", name) == 1)
			printf("%s %d\n", name, seccomp_syscall_resolve_name(name));
		return 0;
	}
	while (fgets(line, sizeof line, stdin)) {
		char *save, *word = strtok_r(line, " \t\n", &save);
		if (!word)
			continue;
		if (!strcmp(word, "default")) {
			def_action = (uint32_t)strtoul(strtok_r(NULL, " \t\n", &save), NULL, 0);
		} else if (!strcmp(word, "badarch")) {
			badarch = (uint32_t)strtoul(strtok_r(NULL, " \t\n", &save), NULL, 0);
		} else if (!strcmp(word, "optimize")) {
			optimize = (unsigned)strtoul(strtok_r(NULL, " \t\n", &save), NULL, 0);
		} else if (!strcmp(word, "time")) {
			repeat = (unsigned)strtoul(strtok_r(NULL, " \t\n", &save), NULL, 0);
		} else if (!strcmp(word, "rule")) {
			if (nrules == MAX_RULES) {
				fprintf(stderr, "too many rules\n");
				return 1;
			}
			struct rule *r = &rules[nrules++];
			r->action = (uint32_t)strtoul(strtok_r(NULL, " \t\n", &save), NULL, 0);
			snprintf(r->name, sizeof r->name, "%s", strtok_r(NULL, " \t\n", &save));
			r->n = (unsigned)strtoul(strtok_r(NULL, " \t\n", &save), NULL, 0);
			if (r->n > 6) {
				fprintf(stderr, "more than 6 comparisons\n");
				return 1;
			}
			for (unsigned a = 0; a < r->n; a++) {
				r->cmp[a].arg = (unsigned)strtoul(strtok_r(NULL, " \t\n", &save), NULL, 0);
				r->cmp[a].op = (enum scmp_compare)strtoul(strtok_r(NULL, " \t\n", &save), NULL, 0);
				r->cmp[a].datum_a = strtoull(strtok_r(NULL, " \t\n", &save), NULL, 0);
				r->cmp[a].datum_b = strtoull(strtok_r(NULL, " \t\n", &save), NULL, 0);
			}
		} else {
			fprintf(stderr, "unknown directive %s\n", word);
			return 1;
		}
	}
	scmp_filter_ctx ctx = build(0);
	int rc = seccomp_export_bpf(ctx, STDOUT_FILENO);
	seccomp_release(ctx);
	if (rc < 0) {
		fprintf(stderr, "seccomp_export_bpf: %s\n", strerror(-rc));
		return 1;
	}
	if (repeat) {
		int devnull = open("/dev/null", O_WRONLY);
		double *us = calloc(repeat, sizeof *us);
		for (unsigned i = 0; i < repeat; i++) {
			struct timespec t0, t1;
			clock_gettime(CLOCK_MONOTONIC, &t0);
			ctx = build(1);
			seccomp_export_bpf(ctx, devnull);
			seccomp_release(ctx);
			clock_gettime(CLOCK_MONOTONIC, &t1);
			us[i] = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / 1e3;
		}
		qsort(us, repeat, sizeof *us, cmp_double);
		fprintf(stderr, "time_us %.0f %.0f\n", us[repeat / 2], us[0]);
		free(us);
	}
	return 0;
}
