// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include "run/pidns.h"
#include "run/privs.h"

#if defined(__x86_64__)
#define KV_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define KV_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "the init's seccomp filter knows x86_64 and aarch64"
#endif

/* What the init passes on to the agent: what a terminal, a supervisor or
 * `kill` would send to a foreground program. */
static const int forwarded[] = {
	SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGTERM,
	SIGCONT, SIGTSTP, SIGWINCH, SIGPWR,
};
#define N_FORWARDED (sizeof(forwarded) / sizeof(forwarded[0]))

const char *kv_pidns_mode_name(enum kv_pidns_mode m)
{
	switch (m) {
	case KV_PIDNS_OWN: return "own";
	case KV_PIDNS_USERNS: return "user_namespace";
	default: return "none";
	}
}

/* fork-like: no stack, the child goes on with a copy of ours. Only from a
 * single-threaded process (glibc's fork bookkeeping is skipped). */
static pid_t raw_clone(unsigned long flags)
{
	return (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, 0);
}

pid_t kv_pidns_clone(bool allow_userns, bool as_sibling, enum kv_pidns_mode *mode)
{
	const unsigned long base = CLONE_NEWPID | (as_sibling ? CLONE_PARENT : 0) | SIGCHLD;
	pid_t pid;
	int e;

	*mode = KV_PIDNS_OWN;
	pid = raw_clone(base);
	if (pid >= 0)
		return pid;
	e = errno;
	if (e != EPERM || !allow_userns)
		return -e;
	/* no CAP_SYS_ADMIN here: a user namespace gives the new init enough
	 * of it for its own PID and mount namespaces (where the kernel lets
	 * unprivileged users create one) */
	*mode = KV_PIDNS_USERNS;
	pid = raw_clone(base | CLONE_NEWUSER);
	return pid >= 0 ? pid : -errno;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), e = 0;
	size_t n = strlen(text);

	if (fd < 0)
		return -errno;
	if (write(fd, text, n) != (ssize_t)n)
		e = -errno;
	close(fd);
	return e;
}

int kv_pidns_init_mounts(enum kv_pidns_mode mode, uid_t euid, gid_t egid)
{
	char map[64];
	int e;

	if (mode == KV_PIDNS_USERNS) {
		/* an unprivileged map is one line, our own ids; gid_map needs
		 * setgroups denied first */
		e = write_file("/proc/self/setgroups", "deny");
		if (e && e != -ENOENT)
			return e;
		snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)euid, (unsigned)euid);
		if ((e = write_file("/proc/self/uid_map", map)))
			return e;
		snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)egid, (unsigned)egid);
		if ((e = write_file("/proc/self/gid_map", map)))
			return e;
	}
	if (unshare(CLONE_NEWNS))
		return -errno;
	/* nothing we mount may propagate back; "/" may be no mount point (a
	 * chroot), /proc always is one */
	mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL);
	if (mount(NULL, "/proc", NULL, MS_REC | MS_SLAVE, NULL))
		return -errno;
	/* a procfs of the new namespace: only the session's processes */
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
		return -errno;
	return 0;
}

static void on_signal(int sig)
{
	(void)sig; /* never runs: the init takes its signals with sigwaitinfo */
}

int kv_pidns_init_prepare(struct kv_pidns_sigs *s)
{
	struct sigaction sa = {.sa_handler = on_signal};
	sigset_t all;
	size_t i;

	/* a namespace's init gets signals from outside it only when it has a
	 * handler; blocked, they wait for sigwaitinfo */
	sigfillset(&all);
	if (sigprocmask(SIG_SETMASK, &all, &s->old_mask))
		return -errno;
	sigfillset(&sa.sa_mask);
	for (i = 0; i < N_FORWARDED; i++)
		if (sigaction(forwarded[i], &sa, &s->old[forwarded[i]]))
			return -errno;
	if (sigaction(SIGCHLD, &sa, &s->old[SIGCHLD]))
		return -errno;
	return 0;
}

void kv_pidns_agent_restore(const struct kv_pidns_sigs *s)
{
	size_t i;

	/* the dispositions the agent would have had without us (SIG_IGN from
	 * nohup stays SIG_IGN), then the mask */
	for (i = 0; i < N_FORWARDED; i++)
		sigaction(forwarded[i], &s->old[forwarded[i]], NULL);
	sigaction(SIGCHLD, &s->old[SIGCHLD], NULL);
	sigprocmask(SIG_SETMASK, &s->old_mask, NULL);
}

#define ALLOW_NR(nr)                                              \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1),           \
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

/* What the init's loop calls and nothing else: anything more means it is
 * not our code running, and the session's init dies (taking the session). */
static int init_filter(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, KV_AUDIT_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		ALLOW_NR(__NR_rt_sigtimedwait),
		ALLOW_NR(__NR_wait4),
		ALLOW_NR(__NR_kill),
		ALLOW_NR(__NR_write),
		ALLOW_NR(__NR_exit_group),
		ALLOW_NR(__NR_exit),
		ALLOW_NR(__NR_rt_sigreturn),
		ALLOW_NR(__NR_restart_syscall),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	};
	struct sock_fprog prog = {.len = sizeof(f) / sizeof(f[0]), .filter = f};

	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) ? -errno : 0;
}

/* Only fd 2 (for a last message) and the status pipe stay open: the init
 * never execs, so nothing of kavachos's (map fds, sockets) may linger. */
static int keep_only(int status_fd)
{
	int fd = status_fd;

	if (fd != 3) {
		if (dup2(fd, 3) < 0)
			return -1;
		fd = 3;
	}
	if (syscall(SYS_close_range, 4U, ~0U, 0U)) {
		long max = sysconf(_SC_OPEN_MAX), i;

		for (i = 4; i < (max > 0 ? max : 1024); i++)
			close((int)i);
	}
	close(0);
	close(1);
	return fd;
}

static int drop(enum kv_pidns_mode mode, const struct kv_identity *id)
{
	int e;

	/* in its own user namespace the init holds every capability there,
	 * and its ids cannot change: only the capabilities go */
	e = mode == KV_PIDNS_USERNS ? kv_privs_drop_caps() : kv_privs_drop(id);
	if (!e && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		e = -errno;
	/* after the id change, which resets it: no ptrace, /proc/1 root's */
	if (!e && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		e = -errno;
	return e ?: init_filter();
}

void kv_pidns_init_run(pid_t agent, int status_fd, enum kv_pidns_mode mode,
		       const struct kv_identity *id)
{
	int st = 0, ws, fd, e;
	bool done = false;
	ssize_t n;
	siginfo_t si;
	sigset_t set;
	size_t i;
	pid_t p;

	/* what ps, the process tree in the receipts and Falco call it */
	prctl(PR_SET_NAME, "kavachos-init", 0, 0, 0);
	fd = keep_only(status_fd);
	e = fd < 0 ? -errno : drop(mode, id);
	if (e) {
		dprintf(2, "kavachos: the session's init could not drop its privileges: %s\n",
			strerror(-e));
		kill(agent, SIGKILL);
		_exit(125);
	}
	sigemptyset(&set);
	for (i = 0; i < N_FORWARDED; i++)
		sigaddset(&set, forwarded[i]);
	sigaddset(&set, SIGCHLD);
	while (!done) {
		int sig = sigwaitinfo(&set, &si);

		if (sig == SIGCHLD) {
			/* the agent, and whatever was orphaned to us */
			while ((p = waitpid(-1, &ws, WNOHANG)) > 0)
				if (p == agent) {
					st = ws;
					done = true;
				}
		} else if (sig > 0 && si.si_code != SI_KERNEL && si.si_pid == 0) {
			/* sent from outside the namespace (`run` forwarding, kill
			 * from the host): pass on. A terminal's signals (SI_KERNEL)
			 * reached the agent's process group already; processes in
			 * the session can signal the agent themselves. */
			kill(agent, sig);
		}
	}
	/* the agent's own status; our exit code says the same when the pipe
	 * cannot (the kernel kills what is left in the namespace as we go) */
	n = write(fd, &st, sizeof(st));
	(void)n;
	_exit(WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st));
}

enum kv_pidns_mode kv_pidns_of(pid_t pid)
{
	char path[64], line[256], *last = NULL, *tok, *save;
	struct stat a, b;
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return KV_PIDNS_NONE;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "NSpid:", 6)) {
			for (tok = strtok_r(line + 6, " \t\n", &save); tok;
			     tok = strtok_r(NULL, " \t\n", &save)) {
				last = tok;
				n++;
			}
			break;
		}
	fclose(f);
	if (n < 2 || !last || strcmp(last, "1"))
		return KV_PIDNS_NONE;
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	if (!stat(path, &a) && !stat("/proc/self/ns/user", &b) &&
	    (a.st_ino != b.st_ino || a.st_dev != b.st_dev))
		return KV_PIDNS_USERNS;
	return KV_PIDNS_OWN;
}

enum kv_pidns_mode kv_pidns_of_agent(pid_t agent, pid_t init)
{
	char path[64];
	struct stat a, b;

	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)agent);
	if (stat(path, &a))
		return KV_PIDNS_NONE;
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)init);
	if (stat(path, &b) || a.st_ino != b.st_ino || a.st_dev != b.st_dev)
		return KV_PIDNS_NONE;
	return kv_pidns_of(init);
}
