// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "test_lsm_agent.h"

static int exec_with(const char *path, int fd, const char *arg)
{
	char *const argv[] = { (char *)(path ? path : "agent-exec"), (char *)arg, NULL };
	char *const envp[] = { "PATH=/usr/bin:/bin", NULL };
	int pfd[2], e = 0, status;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC))
		return errno;
	pid = fork();
	if (pid < 0)
		return errno;
	if (pid == 0) {
		close(pfd[0]);
		if (path)
			execve(path, argv, envp);
		else
			fexecve(fd, argv, envp);
		e = errno;
		if (write(pfd[1], &e, sizeof(e)) < 0)
			_exit(126);
		_exit(127);
	}
	close(pfd[1]);
	if (read(pfd[0], &e, sizeof(e)) != sizeof(e))
		e = 0; /* EOF: the exec succeeded */
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return errno;
	if (e)
		return e;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : ECHILD;
}

int la_exec(const char *path, int fd)
{
	return exec_with(path, fd, NULL);
}

int la_exec_arg(const char *path, const char *arg)
{
	return exec_with(path, -1, arg);
}

int la_memfd_copy(const char *src)
{
	struct stat st;
	int in = open(src, O_RDONLY | O_CLOEXEC), fd;
	off_t off = 0;

	if (in < 0)
		return -errno;
	fd = memfd_create("agent-payload", MFD_CLOEXEC);
	if (fd < 0 || fstat(in, &st) || sendfile(fd, in, &off, (size_t)st.st_size) != st.st_size) {
		int e = -errno;

		close(in);
		if (fd >= 0)
			close(fd);
		return e;
	}
	close(in);
	return fd;
}

int la_script(const char *path, const char *interp)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -errno;
	fprintf(f, "#!%s\nexit 0\n", interp);
	fclose(f);
	return chmod(path, 0755) ? -errno : 0;
}

pid_t la_sleeper(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

void la_reap(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

int la_ptrace(pid_t pid)
{
	int status;

	if (ptrace(PTRACE_ATTACH, pid, NULL, NULL))
		return errno;
	waitpid(pid, &status, __WALL);
	ptrace(PTRACE_DETACH, pid, NULL, NULL);
	return 0;
}

int la_read_environ(pid_t pid)
{
	char path[64], buf[64];
	int fd, r = 0;

	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (read(fd, buf, sizeof(buf)) < 0)
		r = errno;
	close(fd);
	return r;
}
