// SPDX-License-Identifier: BSD-2-Clause
/* The NOTIFY supervisor: one thread reading the seccomp user-notification
 * listener. Default decision: deny with EPERM. Allowed calls are answered
 * with SECCOMP_USER_NOTIF_FLAG_CONTINUE: the kernel then runs the call as the
 * agent made it.
 *
 * The launch exec. Read-only and --strict-exec profiles hold execve here;
 * the first execve of launch_pid whose path is launch_path is allowed, every
 * later one is denied. The path is read from the agent's memory and can in
 * principle change between our read and the kernel's (CONTINUE is a TOCTOU
 * window by design: the kernel re-reads the pointer). At the launch that
 * process is still kavachos's own single-threaded child between filter load
 * and execve, so no agent code exists yet that could race the check; once
 * the launch is approved nothing else is, so the window never reopens. */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "common/log.h"
#include "seccomp/seccomp.h"

#define ASK_TIMEOUT_MS 30000
#define PATH_MAX_READ 4096

struct kv_notify {
	struct kv_notify_cfg cfg;
	char *launch_path;
	char *tty_path;
	int stopfd;
	pthread_t thr;
	bool launched;
	uint64_t allowed, denied; /* read after join, or racy-but-monotonic */
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;
	size_t req_size, resp_size;
};

static bool id_valid(struct kv_notify *n, uint64_t id)
{
	return ioctl(n->cfg.listener_fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

/* A NUL-terminated string from the agent's memory, page by page so a string
 * ending just before an unmapped page still reads. */
static int read_string(pid_t pid, uint64_t addr, char *buf, size_t len)
{
	char path[64];
	size_t got = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (got < len - 1) {
		size_t chunk = 4096 - ((addr + got) & 4095);
		ssize_t r;

		if (chunk > len - 1 - got)
			chunk = len - 1 - got;
		r = pread(fd, buf + got, chunk, (off_t)(addr + got));
		if (r <= 0) {
			close(fd);
			return r < 0 ? -errno : -EFAULT;
		}
		if (memchr(buf + got, '\0', (size_t)r)) {
			close(fd);
			return 0;
		}
		got += (size_t)r;
	}
	close(fd);
	return -ENAMETOOLONG;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Asks on the terminal; true only for an explicit yes in time. */
static bool ask(struct kv_notify *n, const struct seccomp_notif *req, const char *name,
		const char *path, const char **reason)
{
	unsigned timeout = n->cfg.ask_timeout_ms ? n->cfg.ask_timeout_ms : ASK_TIMEOUT_MS;
	const char *tty = n->tty_path ? n->tty_path : "/dev/tty";
	long deadline = now_ms() + timeout;
	char line[64];
	size_t got = 0;
	int fd;

	fd = open(tty, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		*reason = "no terminal to ask on";
		return false;
	}
	/* keys typed before the question must not answer it */
	tcflush(fd, TCIFLUSH);
	if (path)
		dprintf(fd, "\r\nkavachos: agent %u wants %s(\"%s\"). Allow? [y/N] (%us) ",
			req->pid, name, path, (timeout + 999) / 1000);
	else
		dprintf(fd,
			"\r\nkavachos: agent %u wants %s(%#llx, %#llx, %#llx, %#llx). "
			"Allow? [y/N] (%us) ",
			req->pid, name, (unsigned long long)req->data.args[0],
			(unsigned long long)req->data.args[1], (unsigned long long)req->data.args[2],
			(unsigned long long)req->data.args[3], (timeout + 999) / 1000);
	for (;;) {
		struct pollfd pfd[2] = { { fd, POLLIN, 0 }, { n->stopfd, POLLIN, 0 } };
		long left = deadline - now_ms();
		ssize_t r;

		if (left <= 0) {
			dprintf(fd, "\r\nkavachos: no answer, denied\r\n");
			*reason = "no answer in time";
			break;
		}
		if (poll(pfd, 2, (int)left) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents) {
			*reason = "supervisor stopping";
			break;
		}
		if (!(pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		r = read(fd, line + got, sizeof(line) - 1 - got);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r <= 0) {
			*reason = "terminal closed";
			break;
		}
		got += (size_t)r;
		line[got] = 0;
		if (strchr(line, '\n') || strchr(line, '\r') || got == sizeof(line) - 1) {
			const char *s = line + strspn(line, " \t");
			bool yes = (s[0] == 'y' || s[0] == 'Y') &&
				   (!s[1] || strchr("\r\n \t", s[1]) || !strncasecmp(s, "yes", 3));

			*reason = yes ? "approved on the terminal" : "denied on the terminal";
			close(fd);
			return yes;
		}
	}
	close(fd);
	return false;
}

/* Which argument is a path, for the question on the terminal. What we show
 * is what the agent's memory held when we read it: with CONTINUE the kernel
 * reads it again, and a racing thread could change it in between. */
static int path_arg(const char *name)
{
	static const struct {
		const char *name;
		int arg;
	} t[] = {
		{ "open", 0 }, { "creat", 0 }, { "mkdir", 0 }, { "rmdir", 0 }, { "unlink", 0 },
		{ "truncate", 0 }, { "chmod", 0 }, { "chown", 0 }, { "lchown", 0 }, { "utime", 0 },
		{ "utimes", 0 }, { "rename", 0 }, { "link", 0 }, { "symlink", 1 },
		{ "setxattr", 0 }, { "lsetxattr", 0 }, { "removexattr", 0 },
		{ "lremovexattr", 0 }, { "umount2", 0 }, { "mount", 1 }, { "openat", 1 },
		{ "mkdirat", 1 }, { "unlinkat", 1 }, { "renameat", 1 }, { "renameat2", 1 },
		{ "fchmodat", 1 }, { "fchmodat2", 1 }, { "fchownat", 1 }, { "utimensat", 1 },
		{ "futimesat", 1 }, { "linkat", 1 }, { "symlinkat", 2 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(t[i].name, name))
			return t[i].arg;
	return -1;
}

static void decide(struct kv_notify *n, const struct seccomp_notif *req,
		   struct kv_notify_decision *d, char *path, size_t pathlen)
{
	static const int nr_execve = 59, nr_execveat = 322;
	bool is_exec = req->data.nr == nr_execve || req->data.nr == nr_execveat;
	int rc;

	d->allowed = false;
	d->reason = "default deny";
	if (is_exec && req->data.nr == nr_execve) {
		rc = read_string(req->pid, req->data.args[0], path, pathlen);
		/* only trust what we read if the call is still the one we were told of */
		if (!id_valid(n, req->id)) {
			d->reason = "agent gone";
			return;
		}
		if (!rc)
			d->path = path;
	}
	if (is_exec) {
		if (n->launched) {
			d->reason = "exec after the launch";
		} else if ((pid_t)req->pid != n->cfg.launch_pid) {
			d->reason = "exec before the launch by another process";
		} else if (!d->path) {
			d->reason = "launch exec path unreadable";
		} else if (n->launch_path && strcmp(d->path, n->launch_path)) {
			d->reason = "exec path differs from the launch";
		} else {
			d->allowed = true;
			d->reason = "launch exec";
		}
		return;
	}
	if (n->cfg.ask) {
		int ai = path_arg(d->name);

		if (ai >= 0 && !read_string(req->pid, req->data.args[ai], path, pathlen))
			d->path = path;
		if (!id_valid(n, req->id)) {
			d->reason = "agent gone";
			return;
		}
		d->allowed = ask(n, req, d->name, d->path, &d->reason);
	}
}

static void handle(struct kv_notify *n)
{
	struct seccomp_notif *req = n->req;
	struct seccomp_notif_resp *resp = n->resp;
	struct kv_notify_decision d = { 0 };
	char path[PATH_MAX_READ], num[16];
	int i;

	memset(req, 0, n->req_size);
	if (ioctl(n->cfg.listener_fd, SECCOMP_IOCTL_NOTIF_RECV, req)) {
		/* ENOENT: the caller was interrupted before we read it */
		if (errno != ENOENT && errno != EINTR)
			kv_debug("seccomp", "notification receive: %s", strerror(errno));
		return;
	}
	d.pid = (pid_t)req->pid;
	d.nr = req->data.nr;
	d.name = kv_syscall_name(d.nr);
	if (!d.name) {
		snprintf(num, sizeof(num), "#%d", d.nr);
		d.name = num;
	}
	for (i = 0; i < 6; i++)
		d.args[i] = req->data.args[i];
	decide(n, req, &d, path, sizeof(path));
	memset(resp, 0, n->resp_size);
	resp->id = req->id;
	if (d.allowed) {
		resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	} else {
		d.error = EPERM;
		resp->error = -EPERM;
	}
	if (ioctl(n->cfg.listener_fd, SECCOMP_IOCTL_NOTIF_SEND, resp)) {
		/* the call was interrupted (signal) or the agent died: nothing took
		 * effect; a restarted call arrives as a new notification */
		kv_debug("seccomp", "%s from %d: answer not delivered: %s", d.name, d.pid,
			 strerror(errno));
		return;
	}
	if (d.allowed && d.nr == 59 && !strcmp(d.reason, "launch exec"))
		n->launched = true;
	if (d.allowed)
		__atomic_add_fetch(&n->allowed, 1, __ATOMIC_RELAXED);
	else
		__atomic_add_fetch(&n->denied, 1, __ATOMIC_RELAXED);
	if (n->cfg.on_decision)
		n->cfg.on_decision(n->cfg.ctx, &d);
}

static void *loop(void *arg)
{
	struct kv_notify *n = arg;
	sigset_t all;

	/* signals are the main thread's business */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		struct pollfd pfd[2] = { { n->cfg.listener_fd, POLLIN, 0 },
					 { n->stopfd, POLLIN, 0 } };

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents)
			break;
		if (pfd[0].revents & POLLIN)
			handle(n);
		else if (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL))
			break; /* no task uses the filter any more */
	}
	return NULL;
}

static void free_notify(struct kv_notify *n)
{
	if (n->stopfd >= 0)
		close(n->stopfd);
	if (n->cfg.listener_fd >= 0)
		close(n->cfg.listener_fd);
	free(n->launch_path);
	free(n->tty_path);
	free(n->req);
	free(n->resp);
	free(n);
}

int kv_notify_start(const struct kv_notify_cfg *cfg, struct kv_notify **out)
{
	struct seccomp_notif_sizes sz;
	struct kv_notify *n;
	int rc;

	*out = NULL;
	if (!cfg || cfg->listener_fd < 0)
		return -EBADF;
	n = calloc(1, sizeof(*n));
	if (!n) {
		close(cfg->listener_fd);
		return -ENOMEM;
	}
	n->cfg = *cfg;
	n->stopfd = -1;
	rc = -ENOMEM;
	if ((cfg->launch_path && !(n->launch_path = strdup(cfg->launch_path))) ||
	    (cfg->tty_path && !(n->tty_path = strdup(cfg->tty_path))))
		goto fail;
	/* the kernel may know bigger structs than our headers */
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz)) {
		rc = -errno;
		goto fail;
	}
	n->req_size = sz.seccomp_notif > sizeof(*n->req) ? sz.seccomp_notif : sizeof(*n->req);
	n->resp_size = sz.seccomp_notif_resp > sizeof(*n->resp) ? sz.seccomp_notif_resp
								 : sizeof(*n->resp);
	n->req = calloc(1, n->req_size);
	n->resp = calloc(1, n->resp_size);
	if (!n->req || !n->resp)
		goto fail;
	n->stopfd = eventfd(0, EFD_CLOEXEC);
	if (n->stopfd < 0) {
		rc = -errno;
		goto fail;
	}
	rc = -pthread_create(&n->thr, NULL, loop, n);
	if (rc)
		goto fail;
	*out = n;
	return 0;
fail:
	free_notify(n);
	return rc;
}

void kv_notify_stop(struct kv_notify *n)
{
	uint64_t one = 1;

	if (!n)
		return;
	if (write(n->stopfd, &one, sizeof(one)) != sizeof(one))
		kv_debug("seccomp", "cannot wake the supervisor: %s", strerror(errno));
	pthread_join(n->thr, NULL);
	free_notify(n);
}

void kv_notify_counts(const struct kv_notify *n, uint64_t *allowed, uint64_t *denied)
{
	*allowed = __atomic_load_n(&n->allowed, __ATOMIC_RELAXED);
	*denied = __atomic_load_n(&n->denied, __ATOMIC_RELAXED);
}
