// SPDX-License-Identifier: BSD-2-Clause
/* A deliberately misbehaving agent for end-to-end tests. Each argument
 * names one forbidden thing to try; it prints "<what> <errno-name>" per
 * attempt and exits 0, so the test reads what the kernel answered. A few
 * report what it sees instead: "proc-pids 1,2", "zombies N", "ppid N",
 * "cgroup=PID /path". */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
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
	case ESRCH: return "ESRCH";
	case ENOENT: return "ENOENT";
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

/* The pids /proc lists, comma-separated, ascending; and how many of them
 * are zombies. */
static void proc_pids(char *out, size_t len, int *zombies)
{
	int pids[4096], n = 0, i, j;
	struct dirent *d;
	DIR *dir = opendir("/proc");
	size_t o = 0;

	*zombies = 0;
	out[0] = 0;
	while (dir && (d = readdir(dir)) && n < 4096)
		if (isdigit((unsigned char)d->d_name[0]))
			pids[n++] = atoi(d->d_name);
	if (dir)
		closedir(dir);
	for (i = 1; i < n; i++) /* a few entries: insertion sort */
		for (j = i; j > 0 && pids[j - 1] > pids[j]; j--) {
			int t = pids[j];

			pids[j] = pids[j - 1];
			pids[j - 1] = t;
		}
	for (i = 0; i < n; i++) {
		char path[64], line[128];
		FILE *f;

		o += snprintf(out + o, o < len ? len - o : 0, "%s%d", i ? "," : "", pids[i]);
		snprintf(path, sizeof(path), "/proc/%d/status", pids[i]);
		f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f))
			if (!strncmp(line, "State:", 6) && strchr(line, 'Z'))
				(*zombies)++;
		if (f)
			fclose(f);
	}
}

/* A child that forks a grandchild and exits at once: the grandchild is
 * orphaned (to the PID namespace's init, or the host's) and lives ms. */
static int orphan(int ms)
{
	pid_t c = fork(), g;
	int st;

	if (c < 0)
		return errno;
	if (c == 0) {
		g = fork();
		if (g == 0) {
			usleep((useconds_t)ms * 1000);
			_exit(0);
		}
		_exit(g < 0);
	}
	if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st))
		return ECHILD;
	return 0;
}

/* Our own child can be signalled and waited for. */
static int signal_own_child(void)
{
	pid_t c = fork();
	int st;

	if (c < 0)
		return errno;
	if (c == 0) {
		pause();
		_exit(0);
	}
	if (kill(c, SIGTERM))
		return errno;
	if (waitpid(c, &st, 0) != c)
		return errno;
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM ? 0 : ECHILD;
}

int main(int argc, char **argv)
{
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 1; i < argc; i++) {
		int e = 0;

		if (!strcmp(argv[i], "acct")) /* not in any profile */
			e = syscall(SYS_acct, NULL) ? errno : 0;
		else if (!strcmp(argv[i], "ptrace")) /* NOTIFY tier */
			e = ptrace(PTRACE_TRACEME, 0, 0, 0) ? errno : 0;
		else if (!strncmp(argv[i], "ptrace=", 7)) { /* attach to a pid */
			pid_t p = atoi(argv[i] + 7);

			e = ptrace(PTRACE_ATTACH, p, 0, 0) ? errno : 0;
			if (!e)
				ptrace(PTRACE_DETACH, p, 0, 0);
		} else if (!strncmp(argv[i], "kill=", 5)) /* SIGTERM to a pid */
			e = kill(atoi(argv[i] + 5), SIGTERM) ? errno : 0;
		else if (!strncmp(argv[i], "stat-proc=", 10)) { /* /proc/PID visible? */
			char path[64];
			struct stat st;

			snprintf(path, sizeof(path), "/proc/%s", argv[i] + 10);
			e = stat(path, &st) ? errno : 0;
		} else if (!strcmp(argv[i], "proc-pids")) { /* what /proc lists */
			static char pids[65536];
			int z;

			proc_pids(pids, sizeof(pids), &z);
			printf("proc-pids %s\n", pids);
			continue;
		} else if (!strcmp(argv[i], "zombies")) { /* orphans left unreaped */
			static char pids[65536];
			int z;

			proc_pids(pids, sizeof(pids), &z);
			printf("zombies %d\n", z);
			continue;
		} else if (!strncmp(argv[i], "orphan-ms=", 10))
			e = orphan(atoi(argv[i] + 10));
		else if (!strcmp(argv[i], "signal-child"))
			e = signal_own_child();
		else if (!strncmp(argv[i], "cgroup=", 7)) { /* PID's cgroup2 path */
			char path[64], line[512] = "";
			FILE *f;

			snprintf(path, sizeof(path), "/proc/%s/cgroup", argv[i] + 7);
			f = fopen(path, "r");
			while (f && fgets(line, sizeof(line), f) && strncmp(line, "0::", 3))
				line[0] = 0;
			if (f)
				fclose(f);
			printf("cgroup=%s %s", argv[i] + 7, line[0] ? line + 3 : "?\n");
			continue;
		} else if (!strcmp(argv[i], "ppid")) {
			printf("ppid %d\n", (int)getppid());
			continue;
		}
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
		} else if (!strncmp(argv[i], "read=", 5)) { /* open for reading */
			int fd = open(argv[i] + 5, O_RDONLY);
			char b;

			e = fd < 0 || read(fd, &b, 1) < 0 ? errno : 0;
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
