// SPDX-License-Identifier: BSD-2-Clause
/* A deliberately misbehaving agent for end-to-end tests. Each argument
 * names one forbidden thing to try; it prints "<what> <errno-name>" per
 * attempt and exits 0, so the test reads what the kernel answered. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *ename(int e)
{
	switch (e) {
	case 0: return "OK";
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case ENOSYS: return "ENOSYS";
	case ECONNREFUSED: return "ECONNREFUSED";
	default: return strerror(e);
	}
}

static int try_connect(const char *ip, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), r;

	if (fd < 0)
		return errno;
	inet_pton(AF_INET, ip, &a.sin_addr);
	r = connect(fd, (struct sockaddr *)&a, sizeof(a)) ? errno : 0;
	close(fd);
	return r;
}

int main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		int e = 0;

		if (!strcmp(argv[i], "acct")) /* not in any profile */
			e = syscall(SYS_acct, NULL) ? errno : 0;
		else if (!strcmp(argv[i], "ptrace")) /* NOTIFY tier */
			e = ptrace(PTRACE_TRACEME, 0, 0, 0) ? errno : 0;
		else if (!strncmp(argv[i], "connect=", 8)) {
			char ip[64];
			int port;

			if (sscanf(argv[i] + 8, "%63[^:]:%d", ip, &port) != 2)
				return 2;
			e = try_connect(ip, port);
		} else if (!strncmp(argv[i], "acct*", 5)) { /* a burst of violations */
			int n = atoi(argv[i] + 5), k;

			for (k = 0; k < n; k++)
				e = syscall(SYS_acct, NULL) ? errno : 0;
		} else if (!strncmp(argv[i], "sleep-ms=", 9)) {
			int ms = atoi(argv[i] + 9), k;

			for (k = 0; k < ms / 10; k++)
				usleep(10000);
		} else if (!strncmp(argv[i], "write=", 6)) { /* create a file */
			int fd = open(argv[i] + 6, O_WRONLY | O_CREAT | O_TRUNC, 0600);

			e = fd < 0 ? errno : 0;
			if (fd >= 0)
				close(fd);
		} else if (!strcmp(argv[i], "exit7"))
			return 7;
		else if (!strcmp(argv[i], "kill-self"))
			raise(9);
		else
			return 2;
		printf("%s %s\n", argv[i], ename(e));
		fflush(stdout);
	}
	return 0;
}
