// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/single_threaded.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "run/launch.h"
#include "run/pidns.h"
#include <json-c/json.h>
#include "daemon/control.h"
#include "lsm/lsm.h"
#include "seccomp/seccomp.h"
#include "session/cgroup.h"

/* Child -> parent report on err_fd: a stage tag and an errno. */
struct kv_child_report {
	int stage; /* 1 = setup (privileges, seccomp), 2 = execve */
	int err;
};

/* The session's first process -> parent, on sock, once the namespace (if
 * any) and its mounts are made; the kernel attaches who sent it
 * (SO_PASSCRED). The agent's process then says hello: 'c' when it was born
 * in the session cgroup, 'h' when it still has to be moved there. */
struct kv_ready {
	int err;      /* the setup errno that stopped the child; 0: ready */
	int mode;     /* enum kv_pidns_mode: what the session has (or was making) */
	int ns_err;   /* why there is no PID namespace (errno), 0 */
	int ns_tried; /* enum kv_pidns_mode: what was being made when ns_err happened */
};

/* Parent -> an early init, on sock, once the session exists: what the
 * daemon's answer brought. The fds (SCM_RIGHTS) in this order, then the
 * filter's JSON (kv_seccomp_prog_json), NUL-terminated, "" for none. */
struct kv_go {
	int cgroup;   /* an fd for cgroup_fd is attached */
	int landlock; /* an fd for landlock_fd is attached */
	unsigned landlock_flags;
};

int kv_launch_resolve(const char *name, char out[PATH_MAX])
{
	const char *path = getenv("PATH");
	char cand[PATH_MAX];
	int saw_eacces = 0;

	if (!*name)
		return -ENOENT;
	if (strchr(name, '/')) {
		if (access(name, F_OK))
			return -ENOENT;
		if (access(name, X_OK))
			return -EACCES;
		snprintf(out, PATH_MAX, "%s", name);
		return 0;
	}
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		struct stat st;

		snprintf(cand, sizeof(cand), "%.*s/%s", (int)n, n ? path : ".", name);
		if (!stat(cand, &st) && S_ISREG(st.st_mode)) {
			if (!access(cand, X_OK)) {
				snprintf(out, PATH_MAX, "%s", cand);
				return 0;
			}
			saw_eacces = 1;
		}
		path += n + (path[n] == ':');
	}
	return saw_eacces ? -EACCES : -ENOENT;
}

static void report(int fd, int stage, int err)
{
	struct kv_child_report r = { stage, err };
	ssize_t n = write(fd, &r, sizeof(r));

	(void)n;
}

/* One byte from the parent (release); 0 when it is gone. */
static int wait_parent(int sock)
{
	char c;
	ssize_t n;

	do
		n = recv(sock, &c, 1, 0);
	while (n < 0 && errno == EINTR);
	return n == 1;
}

/* The session's own mount namespace: a /proc of its PID namespace, the DNS
 * stub's resolv.conf. Before placement: inside, BPF-LSM refuses mounts.
 * 0 or a positive errno. */
static int own_mounts(const struct kv_launch *l, enum kv_pidns_mode mode, uid_t euid, gid_t egid)
{
	int e;

	if (mode != KV_PIDNS_NONE) {
		e = kv_pidns_init_mounts(mode, euid, egid);
		if (e)
			return -e;
	} else if (l->resolv_conf) {
		if (unshare(CLONE_NEWNS))
			return errno;
		/* nothing we mount may propagate back to the host; "/" may be no
		 * mount point (a chroot), then there is nothing to propagate */
		mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL);
	}
	if (l->resolv_conf && mount(l->resolv_conf, "/etc/resolv.conf", NULL, MS_BIND, NULL))
		return errno;
	return 0;
}

static int drop_privs(const struct kv_launch *l, enum kv_pidns_mode mode)
{
	int err;

	if (mode != KV_PIDNS_USERNS)
		return kv_privs_drop(&l->id);
	/* in its own user namespace it holds every capability there and its
	 * ids cannot change: the capabilities go, exec regains none */
	err = kv_privs_drop_caps();
	if (!err && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		err = -errno;
	return err;
}

/* The agent's process, from its first instruction to execve. sock is the
 * handoff fd the filter was compiled for. */
__attribute__((noreturn)) static void agent(const struct kv_launch *l, enum kv_pidns_mode mode,
					    bool in_cgroup, int err_wr, int sock)
{
	int err;

	/* hello: the kernel tells the parent our pid (SCM_CREDENTIALS); it
	 * places us in the session if we were not born there, then lets us
	 * go on */
	if (send(sock, in_cgroup ? "c" : "h", 1, MSG_NOSIGNAL) != 1 || !wait_parent(sock))
		_exit(125);
	signal(SIGPIPE, SIG_DFL);
	err = drop_privs(l, mode);
	if (err) {
		report(err_wr, 1, -err);
		_exit(125);
	}
	if (l->landlock_fd >= 0 || l->landlock) {
		char lerr[128];

		err = l->landlock_fd >= 0
			  ? kv_landlock_ruleset_enforce(l->landlock_flags, l->landlock_fd, lerr,
							sizeof(lerr))
			  : kv_landlock_plan_apply(l->landlock, lerr, sizeof(lerr));
		if (err) {
			report(err_wr, 1, -err);
			_exit(125);
		}
	}
	if (l->profile) {
		/* last step before exec: from here only the profile's calls work;
		 * the listener (if any) goes to the parent over sock */
		err = l->seccomp ? kv_seccomp_load_handoff(l->seccomp, sock)
				 : kv_seccomp_install_handoff(l->profile, sock);
		if (err) {
			report(err_wr, 1, -err);
			_exit(125);
		}
	} else if (kv_fd_send(sock, -1) < 0) {
		_exit(125);
	}
	execve(l->path, l->argv, l->envp);
	report(err_wr, 2, errno);
	_exit(errno == ENOENT ? 127 : 126);
}

/* The session's first process, once its PID namespace (if any) exists:
 * the namespace's init, or the agent's process itself. r carries why
 * there is no namespace, if none. */
/* In an early init: what the parent sends once the session exists, into
 * our own copy of l. 0, or -errno (EOF: the parent gave up). */
static int receive_go(struct kv_launch *l, int sock)
{
	union {
		char b[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} u;
	size_t cap = KV_CONTROL_MAX_MSG;
	char *js = malloc(cap + 1);
	struct kv_go g;
	struct iovec iov[2] = { { &g, sizeof(g) }, { js, cap } };
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2, .msg_control = u.b,
			    .msg_controllen = sizeof(u.b) };
	struct kv_seccomp_prog *prog = NULL;
	struct json_object *o;
	struct cmsghdr *c;
	int fds[2] = { -1, -1 }, nfds = 0, i = 0;
	ssize_t n;

	if (!js)
		return -ENOMEM;
	n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	c = n > 0 ? CMSG_FIRSTHDR(&m) : NULL;
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
		nfds = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		memcpy(fds, CMSG_DATA(c), (size_t)(nfds > 2 ? 2 : nfds) * sizeof(int));
	}
	if (n < (ssize_t)sizeof(g) || (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    nfds != !!g.cgroup + !!g.landlock) {
		free(js);
		return n < 0 ? -errno : -EPIPE;
	}
	l->cgroup_fd = g.cgroup ? fds[i++] : -1;
	l->landlock_fd = g.landlock ? fds[i++] : -1;
	l->landlock_flags = g.landlock_flags;
	js[(size_t)n - sizeof(g)] = 0;
	/* the filter the daemon compiled, accepted as kavachos run would
	 * (its key is our profile's for this handoff fd); else the agent
	 * compiles */
	o = js[0] && l->profile ? json_tokener_parse(js) : NULL;
	l->seccomp = o && !kv_seccomp_prog_from_json(o, l->profile, sock, &prog) ? prog : NULL;
	json_object_put(o);
	free(js);
	return 0;
}

__attribute__((noreturn)) static void first(struct kv_launch *l, enum kv_pidns_mode mode,
					    struct kv_ready r, uid_t euid, gid_t egid, int err_wr,
					    int sock, int status_wr, bool early)
{
	struct kv_pidns_sigs sigs;
	bool in_cgroup = l->in_cgroup;
	pid_t pid;

	/* the init: from now on no signal `run` forwards is lost */
	if (mode != KV_PIDNS_NONE && (r.err = -kv_pidns_init_prepare(&sigs))) {
		r.ns_err = r.err;
		r.ns_tried = mode;
	}
	r.mode = mode;
	if (!r.err && (r.err = own_mounts(l, mode, euid, egid)) && mode != KV_PIDNS_NONE) {
		r.ns_err = r.err;
		r.ns_tried = mode;
	}
	if (send(sock, &r, sizeof(r), MSG_NOSIGNAL) != sizeof(r) || r.err)
		_exit(125);
	if (early && receive_go(l, sock))
		_exit(125);
	/* the init stays outside the session cgroup; the agent's process is
	 * born in it where the kernel lets us (root: not from a user namespace,
	 * where a refused try would also cost the agent its pid 2), else the
	 * parent has it moved */
	if (mode != KV_PIDNS_NONE) {
		pid = kv_cgroup_fork_into(mode == KV_PIDNS_OWN ? l->cgroup_fd : -1, &in_cgroup);
		if (pid < 0) {
			report(err_wr, 1, errno);
			_exit(125);
		}
		if (pid > 0) {
			close(err_wr);
			close(sock);
			kv_pidns_init_run(pid, status_wr, mode, &l->id);
		}
		kv_pidns_agent_restore(&sigs);
	}
	if (status_wr >= 0)
		close(status_wr);
	agent(l, mode, in_cgroup, err_wr, sock);
}

/* The helper a multi-threaded `run` forks (a raw clone is for a single
 * thread only): it clones the init as `run`'s own child and exits, or,
 * where no namespace can be made, is the agent's process itself. */
__attribute__((noreturn)) static void helper(struct kv_launch *l, enum kv_pidns_want want,
					     int err_wr, int sock, int status_wr)
{
	struct kv_ready r = { 0 };
	enum kv_pidns_mode mode;
	pid_t pid;

	pid = kv_pidns_clone(l->pidns_userns_ok, true, &mode);
	if (pid > 0)
		_exit(0); /* the init is our parent's child: nothing left to do */
	if (pid < 0) {
		r.ns_err = (int)-pid;
		r.ns_tried = mode;
		mode = KV_PIDNS_NONE;
		if (want == KV_PIDNS_REQUIRE)
			r.err = r.ns_err;
	}
	first(l, mode, r, geteuid(), getegid(), err_wr, sock, status_wr, false);
}

int kv_launch_prepare(struct kv_launch *l)
{
	int er[2], sk[2], st[2], one = 1, e;

	if (l->prepared)
		return 0;
	if (pipe2(er, O_CLOEXEC))
		return -errno;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sk)) {
		e = -errno;
		goto close_er;
	}
	if (setsockopt(sk[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) || pipe2(st, O_CLOEXEC)) {
		e = -errno;
		close(sk[0]);
		close(sk[1]);
		goto close_er;
	}
	l->err_fd = er[0];
	l->child_err = er[1];
	l->sock = sk[0];
	l->handoff_fd = sk[1];
	l->status_fd = st[0];
	l->child_status = st[1];
	l->prepared = true;
	return 0;
close_er:
	close(er[0]);
	close(er[1]);
	return e;
}

/* One message from the child side, and who sent it: the kernel's word
 * (SCM_CREDENTIALS), in our PID namespace. Bytes received, 0 at EOF, -errno. */
static ssize_t recv_from(int sock, void *buf, size_t len, pid_t *from)
{
	union {
		char b[CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
			    .msg_controllen = sizeof(u.b) };
	struct cmsghdr *c;
	struct ucred uc;
	ssize_t n;

	*from = 0;
	do
		n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
		    c->cmsg_len == CMSG_LEN(sizeof(uc))) {
			memcpy(&uc, CMSG_DATA(c), sizeof(uc));
			*from = uc.pid;
		}
	return n;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void kv_launch_close(struct kv_launch *l)
{
	if (l->early > 0) {
		kill(l->early, SIGKILL);
		waitpid(l->early, NULL, 0);
	}
	l->early = 0;
	if (l->prepared) {
		close_fd(&l->handoff_fd);
		close_fd(&l->child_err);
		close_fd(&l->child_status);
		l->prepared = false;
	}
	close_fd(&l->sock);
	close_fd(&l->err_fd);
	close_fd(&l->status_fd);
}

static void no_pidns_detail(struct kv_launch *l, const struct kv_ready *r, const char *after)
{
	snprintf(l->pidns_detail, sizeof(l->pidns_detail), "%s %s: %s%s",
		 r->ns_tried == KV_PIDNS_USERNS ? "a PID namespace in a user namespace"
						: "a PID namespace",
		 r->err || r->mode != KV_PIDNS_NONE ? "could not be set up" : "could not be created",
		 strerror(r->ns_err), after);
}

static int setup_error(struct kv_launch *l, int fallback)
{
	struct kv_child_report r;

	if (read(l->err_fd, &r, sizeof(r)) == sizeof(r) && r.stage == 1)
		return -r.err;
	return fallback;
}

/* In a new child: close the parent's ends; never returns. */
__attribute__((noreturn)) static void in_child(struct kv_launch *l, enum kv_pidns_want want,
					       enum kv_pidns_mode mode, const struct kv_ready *r,
					       bool early)
{
	close(l->err_fd);
	close(l->sock);
	close(l->status_fd);
	if (want == KV_PIDNS_OFF || mode != KV_PIDNS_NONE)
		first(l, mode, *r, geteuid(), getegid(), l->child_err, l->handoff_fd,
		      l->child_status, early);
	helper(l, want, l->child_err, l->handoff_fd, l->child_status);
}

/* The children's ends are theirs alone: EOF says they are gone. */
static void children_own_ends(struct kv_launch *l)
{
	close_fd(&l->handoff_fd);
	close_fd(&l->child_err);
	close_fd(&l->child_status);
	l->prepared = false;
}

int kv_launch_spawn_early(struct kv_launch *l)
{
	struct kv_ready r = { 0 };
	enum kv_pidns_mode mode;
	pid_t c;
	int e;

	if (l->pidns_want == KV_PIDNS_OFF || !__libc_single_threaded || l->early)
		return 0;
	if ((e = kv_launch_prepare(l)))
		return e;
	fflush(NULL);
	c = kv_pidns_clone(l->pidns_userns_ok, false, &mode);
	if (c == 0)
		in_child(l, l->pidns_want, mode, &r, true);
	l->early_mode = mode;
	if (c < 0) { /* kv_launch_spawn goes on without one, or fails */
		l->early_err = (int)-c;
		return 0;
	}
	l->early = c;
	children_own_ends(l);
	return 0;
}

/* The early init's go: the session's cgroup, ruleset and filter. */
static int send_go(struct kv_launch *l)
{
	union {
		char b[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct kv_go g = { l->cgroup_fd >= 0, l->landlock_fd >= 0, l->landlock_flags };
	const char *js = l->seccomp_json ? l->seccomp_json : "";
	struct iovec iov[2] = { { &g, sizeof(g) }, { (void *)js, strlen(js) + 1 } };
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };
	int fds[2], n = 0;
	struct cmsghdr *c;

	if (g.cgroup)
		fds[n++] = l->cgroup_fd;
	if (g.landlock)
		fds[n++] = l->landlock_fd;
	if (n) {
		memset(u.b, 0, sizeof(u.b));
		m.msg_control = u.b;
		m.msg_controllen = CMSG_SPACE((size_t)n * sizeof(int));
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN((size_t)n * sizeof(int));
		memcpy(CMSG_DATA(c), fds, (size_t)n * sizeof(int));
	}
	if (sendmsg(l->sock, &m, MSG_NOSIGNAL) >= 0)
		return 0;
	if (errno != EMSGSIZE || !*js)
		return -errno;
	/* a filter too big for one message: the agent compiles its own */
	iov[1].iov_base = (void *)"";
	iov[1].iov_len = 1;
	return sendmsg(l->sock, &m, MSG_NOSIGNAL) >= 0 ? 0 : -errno;
}

/* Until the agent's process says hello, or the daemon's connection ends
 * (EOF: see watch_daemon). 0, or -errno. */
static int wait_hello(const struct kv_launch *l)
{
	struct pollfd p[2] = { { .fd = l->sock, .events = POLLIN },
			       { .fd = l->daemon_fd, .events = POLLIN } };
	nfds_t n = l->watch_daemon ? 2 : 1;
	ssize_t k;
	char c;

	for (;;) {
		if (poll(p, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (p[0].revents)
			return 0;
		/* gone (EOF or an error); anything else is not ours to read */
		k = recv(p[1].fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
		if (!k || (k < 0 && errno != EAGAIN && errno != EINTR))
			return -ECONNRESET;
		n = 1;
	}
}

static int spawn(struct kv_launch *l, enum kv_pidns_want want, struct kv_ready *r)
{
	enum kv_pidns_mode mode = KV_PIDNS_NONE;
	pid_t c = -1, from = 0;
	bool early = false;
	char hello;
	ssize_t n;
	int e;

	memset(r, 0, sizeof(*r));
	l->in_cgroup = false;
	if (want != KV_PIDNS_OFF && l->early > 0) {
		/* cloned already: it waits for its go */
		c = l->early;
		l->early = 0;
		early = true;
		goto cloned;
	}
	if ((e = kv_launch_prepare(l)))
		return e;
	fflush(NULL);
	if (want != KV_PIDNS_OFF && (l->early_err || __libc_single_threaded)) {
		/* the init is our own child: no helper process in between */
		mode = l->early_mode;
		c = l->early_err ? -l->early_err : kv_pidns_clone(l->pidns_userns_ok, false, &mode);
		l->early_err = 0;
		if (c < 0) {
			r->ns_err = (int)-c;
			r->ns_tried = mode;
			mode = KV_PIDNS_NONE;
			if (want == KV_PIDNS_REQUIRE)
				return c;
			want = KV_PIDNS_OFF;
		}
	}
	/* without a namespace our child is the agent's process: born in the
	 * cgroup where it can be; else a helper clones the init, outside */
	if (c < 0)
		c = want == KV_PIDNS_OFF ? kv_cgroup_fork_into(l->cgroup_fd, &l->in_cgroup) : fork();
	if (c == 0)
		in_child(l, want, mode, r, false);
	children_own_ends(l);
	if (c < 0)
		return -EAGAIN;
cloned:
	{
		int ns_err = r->ns_err, ns_tried = r->ns_tried;

		n = recv_from(l->sock, r, sizeof(*r), &from);
		if (ns_err && !r->ns_err) { /* the clone above failed */
			r->ns_err = ns_err;
			r->ns_tried = ns_tried;
		}
	}
	/* ready from the init, from our child itself (the agent's process
	 * without one), or from the init a helper cloned as our own child
	 * before it exited */
	if (from != c)
		waitpid(c, NULL, 0);
	l->pid = from;
	if (n != (ssize_t)sizeof(*r) || from <= 0)
		return -EPIPE;
	if (r->err) {
		waitpid(from, NULL, 0);
		return -r->err;
	}
	if (early && (e = send_go(l))) {
		kill(from, SIGKILL);
		waitpid(from, NULL, 0);
		return e;
	}
	/* then the agent's process: the init's child, or that same process */
	e = wait_hello(l);
	n = e ? e : recv_from(l->sock, &hello, 1, &l->agent_pid);
	if (n != 1 || l->agent_pid <= 0) {
		e = e ? e : setup_error(l, n < 0 ? (int)n : -EPIPE);
		kill(l->pid, SIGKILL);
		waitpid(l->pid, NULL, 0);
		return e;
	}
	l->in_cgroup = hello == 'c';
	/* no more pids to learn: the listener comes next, with no room for
	 * credentials beside it */
	e = 0;
	setsockopt(l->sock, SOL_SOCKET, SO_PASSCRED, &e, sizeof(e));
	return 0;
}

int kv_launch_spawn(struct kv_launch *l)
{
	int handoff = l->handoff_fd, e;
	struct kv_ready r, first;

	e = spawn(l, l->pidns_want, &r);
	if (e && r.ns_err && l->pidns_want == KV_PIDNS_TRY) {
		/* made but not set up (its /proc, say): start again without, on a
		 * new socket; a filter compiled for the old one's number is
		 * compiled again by the child */
		first = r;
		kv_launch_close(l);
		l->pidns_want = KV_PIDNS_OFF;
		if (!(e = kv_launch_prepare(l)) && l->handoff_fd != handoff)
			l->seccomp = NULL;
		e = e ?: spawn(l, KV_PIDNS_OFF, &r);
		no_pidns_detail(l, &first, "; the session runs without one");
	} else if (!e && r.ns_err) {
		no_pidns_detail(l, &r, "; the session runs without one");
	} else if (e && r.ns_err) {
		no_pidns_detail(l, &r, "");
	}
	if (e) {
		kv_launch_close(l);
		return e;
	}
	l->pidns = (enum kv_pidns_mode)r.mode;
	if (l->pidns == KV_PIDNS_USERNS)
		snprintf(l->pidns_detail, sizeof(l->pidns_detail),
			 "in a user namespace of its own (no CAP_SYS_ADMIN here): only uid %u and "
			 "gid %u are mapped", (unsigned)geteuid(), (unsigned)getegid());
	else if (l->pidns == KV_PIDNS_OWN)
		snprintf(l->pidns_detail, sizeof(l->pidns_detail), "its init is pid %d here",
			 (int)l->pid);
	/* without one: why, from above, or as planned (--pid-namespace=off) */
	return 0;
}

int kv_launch_release(struct kv_launch *l, int *notify_fd)
{
	int fd = -1, rc;

	*notify_fd = -1;
	if (send(l->sock, "x", 1, MSG_NOSIGNAL) != 1)
		return setup_error(l, -errno);
	rc = kv_fd_recv(l->sock, &fd);
	close_fd(&l->sock);
	if (rc < 0) /* no fd: the child failed during setup; its report says why */
		return setup_error(l, rc);
	*notify_fd = fd;
	return 0;
}

int kv_launch_exec_result(struct kv_launch *l)
{
	struct kv_child_report r;
	ssize_t n = read(l->err_fd, &r, sizeof(r));

	close_fd(&l->err_fd);
	if (n == sizeof(r))
		return -r.err; /* stage 2: execve failed */
	return 0;         /* EOF: CLOEXEC closed it, the agent is running */
}

int kv_launch_wait(struct kv_launch *l, int *status)
{
	ssize_t n;
	int st;

	if (l->pidns != KV_PIDNS_NONE) {
		/* the init writes it as it exits; its exit (the namespace torn
		 * down) need not hold up the session's end: reaped later */
		do
			n = read(l->status_fd, &st, sizeof(st));
		while (n < 0 && errno == EINTR);
		close_fd(&l->status_fd);
		if (n == sizeof(st)) {
			*status = st;
			return 0;
		}
	}
	/* the agent's process itself, or an init that died without a word
	 * (its namespace, the agent's included, dies with it) */
	for (;;) {
		if (waitpid(l->pid, status, 0) == l->pid) {
			l->pid = 0;
			return 0;
		}
		if (errno != EINTR)
			return -errno;
	}
}

void kv_launch_reap(struct kv_launch *l)
{
	if (l->pid > 0)
		waitpid(l->pid, NULL, 0);
	l->pid = 0;
}
