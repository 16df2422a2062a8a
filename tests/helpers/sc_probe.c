// SPDX-License-Identifier: BSD-2-Clause
/* An "agent" for the seccomp tests: performs each operation named on the
 * command line and prints "op=OK" or "op=ERRNONAME", then exits 0. The
 * tests compare those answers with what the profile must do.
 *
 *   read:PATH  write:PATH  socket  exec:PATH  fork  thread  ptrace  perf
 *   setns  setns2 (a second setns, for two decisions in one run)  getppid */
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void report(const char *op, long rc)
{
	const char *name = rc < 0 ? strerrorname_np(errno) : "OK";

	printf("%s=%s\n", op, name ? name : "?");
	fflush(stdout);
}

static void *thread_fn(void *arg)
{
	return arg;
}

int main(int argc, char **argv)
{
	char buf[256];
	int i;

	for (i = 1; i < argc; i++) {
		const char *op = argv[i];
		long rc;

		errno = 0;
		if (!strncmp(op, "read:", 5)) {
			int fd = open(op + 5, O_RDONLY | O_CLOEXEC);

			rc = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
			if (fd >= 0)
				close(fd);
			report("read", rc < 0 ? -1 : 0);
		} else if (!strncmp(op, "write:", 6)) {
			int fd = open(op + 6, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

			rc = fd < 0 ? -1 : write(fd, "x", 1);
			if (fd >= 0)
				close(fd);
			report("write", rc < 0 ? -1 : 0);
		} else if (!strcmp(op, "socket")) {
			int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

			report("socket", fd);
			if (fd >= 0)
				close(fd);
		} else if (!strncmp(op, "exec:", 5)) {
			char *args[] = { (char *)op + 5, NULL };

			execve(op + 5, args, environ);
			report("exec", -1);
		} else if (!strcmp(op, "fork")) {
			pid_t pid = fork();

			if (pid == 0)
				_exit(0);
			if (pid > 0)
				waitpid(pid, NULL, 0);
			report("fork", pid < 0 ? -1 : 0);
		} else if (!strcmp(op, "thread")) {
			pthread_t t;
			int e = pthread_create(&t, NULL, thread_fn, NULL);

			if (!e)
				pthread_join(t, NULL);
			errno = e;
			report("thread", e ? -1 : 0);
		} else if (!strcmp(op, "ptrace")) {
			report("ptrace", ptrace(PTRACE_TRACEME, 0, NULL, NULL));
		} else if (!strcmp(op, "perf")) {
			struct perf_event_attr attr = { .type = PERF_TYPE_SOFTWARE,
							.size = sizeof(attr),
							.config = PERF_COUNT_SW_CPU_CLOCK };

			rc = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
			report("perf", rc);
			if (rc >= 0)
				close((int)rc);
		} else if (!strcmp(op, "setns") || !strcmp(op, "setns2")) {
			report(op, setns(-1, 0));
		} else if (!strcmp(op, "getppid")) {
			report("getppid", getppid() > 0 ? 0 : -1);
		} else {
			fprintf(stderr, "sc_probe: unknown operation '%s'\n", op);
			return 2;
		}
	}
	return 0;
}
