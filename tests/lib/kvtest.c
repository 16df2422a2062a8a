// SPDX-License-Identifier: BSD-2-Clause
/* Runner: `test_x [-l] [-v] [FILTER...]` runs every registered test whose
 * "file/name" contains one of the FILTERs (all when none), each in a fork. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "kvtest.h"

#define KVTEST_EXIT_SKIP 77
#define KVTEST_TIMEOUT_S 300 /* a test that hangs is a failure, not a stall */

static struct kvtest *head, **tail = &head;
static int failed_in_child;
static char tmpdir[PATH_MAX];
static char builddir[PATH_MAX];

void kvtest_register(struct kvtest *t)
{
	*tail = t;
	tail = &t->next;
}

void kvtest_fail(void)
{
	failed_in_child = 1;
}

void test__skip(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "  SKIP reason: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	fflush(NULL);
	_exit(failed_in_child ? 1 : KVTEST_EXIT_SKIP);
}

const char *kvtest_tmpdir(void)
{
	return tmpdir;
}

const char *kvtest_build_dir(void)
{
	return builddir;
}

static void rm_rf(const char *path)
{
	char cmd[PATH_MAX + 16];

	if (!path[0] || strncmp(path, "/tmp/", 5))
		return; /* only ever our own mkdtemp results */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "  warning: could not remove %s\n", path);
}

static bool selected(const struct kvtest *t, int argc, char **argv)
{
	char full[256];
	int i;

	if (argc == 0)
		return true;
	snprintf(full, sizeof(full), "%s/%s", t->file, t->name);
	for (i = 0; i < argc; i++)
		if (strstr(full, argv[i]))
			return true;
	return false;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int run_one(struct kvtest *t)
{
	int status = 0;
	pid_t pid;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/kvtest.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		setpgid(0, 0);
		alarm(KVTEST_TIMEOUT_S);
		t->fn();
		fflush(NULL);
		_exit(failed_in_child ? 1 : 0);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	kill(-pid, SIGKILL); /* leftovers of the test's process group */
	rm_rf(tmpdir);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	fprintf(stderr, "  killed by signal %d%s\n", WTERMSIG(status),
		WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
	return 1;
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0, skipped = 0, i, list = 0;
	struct kvtest *t;
	char exe[PATH_MAX];
	ssize_t n;

	/* Binaries live in <build>/tests/: the build dir is two levels up. */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = 0;
		*strrchr(exe, '/') = 0;
		if (strrchr(exe, '/'))
			*strrchr(exe, '/') = 0;
		snprintf(builddir, sizeof(builddir), "%s", exe);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-l"))
			list = 1;
	}
	argc -= i;
	argv += i;
	for (t = head; t; t = t->next) {
		double t0;
		int rc;

		if (!selected(t, argc, argv))
			continue;
		if (list) {
			printf("%s/%s\n", t->file, t->name);
			continue;
		}
		t0 = now_s();
		rc = run_one(t);
		if (rc == 0) {
			passed++;
			printf("PASS %s/%s (%.2fs)\n", t->file, t->name, now_s() - t0);
		} else if (rc == KVTEST_EXIT_SKIP) {
			skipped++;
			printf("SKIP %s/%s\n", t->file, t->name);
		} else {
			failed++;
			printf("FAIL %s/%s (%.2fs)\n", t->file, t->name, now_s() - t0);
		}
	}
	if (list)
		return 0;
	printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	return failed || passed + skipped == 0 ? 1 : 0;
}
