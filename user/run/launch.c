// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "run/launch.h"
#include "lsm/lsm.h"
#include "seccomp/seccomp.h"
#include "session/cgroup.h"

/* Child -> parent report on err_fd: a stage tag and an errno. */
struct kv_child_report {
	int stage; /* 1 = setup (privileges, seccomp), 2 = execve */
	int err;
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

/* The agent's view of DNS: its own mount namespace, the stub's resolv.conf. */
static int mount_resolv(const char *file)
{
	if (unshare(CLONE_NEWNS))
		return -errno;
	/* nothing we mount may propagate back to the host; "/" may be no
	 * mount point (a chroot), then there is nothing to propagate */
	mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL);
	if (mount(file, "/etc/resolv.conf", NULL, MS_BIND, NULL))
		return -errno;
	return 0;
}

static void child(struct kv_launch *l, int go_rd, int err_wr, int sock, int ready_wr)
{
	int err;
	char c;

	if (ready_wr >= 0) {
		err = l->resolv_conf ? mount_resolv(l->resolv_conf) : 0;
		if (write(ready_wr, &err, sizeof(err)) != sizeof(err) || err)
			_exit(125);
		close(ready_wr);
	}

	/* the parent moves us into the session cgroup before we go on */
	if (read(go_rd, &c, 1) != 1)
		_exit(125);
	close(go_rd);
	signal(SIGPIPE, SIG_DFL);
	err = kv_privs_drop(&l->id);
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

int kv_launch_prepare(struct kv_launch *l)
{
	int go[2], er[2], sk[2];

	if (l->prepared)
		return 0;
	if (pipe2(go, O_CLOEXEC))
		return -errno;
	if (pipe2(er, O_CLOEXEC)) {
		close(go[0]);
		close(go[1]);
		return -errno;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sk)) {
		close(go[0]);
		close(go[1]);
		close(er[0]);
		close(er[1]);
		return -errno;
	}
	l->child_go = go[0];
	l->child_err = er[1];
	l->go_fd = go[1];
	l->err_fd = er[0];
	l->notify_sock = sk[0];
	l->handoff_fd = sk[1];
	l->prepared = true;
	return 0;
}

int kv_launch_spawn(struct kv_launch *l)
{
	int go[2], er[2], sk[2], rd[2] = { -1, -1 }, merr = 0, e;

	if ((e = kv_launch_prepare(l)))
		return e;
	go[0] = l->child_go;
	go[1] = l->go_fd;
	er[0] = l->err_fd;
	er[1] = l->child_err;
	sk[0] = l->notify_sock;
	sk[1] = l->handoff_fd;
	l->prepared = false;
	if (l->resolv_conf && pipe2(rd, O_CLOEXEC))
		return -errno;
	fflush(NULL);
	l->pid = kv_cgroup_fork_into(l->cgroup_fd, &l->in_cgroup);
	if (l->pid < 0)
		return -errno;
	if (l->pid == 0) {
		close(go[1]);
		close(er[0]);
		close(sk[0]);
		if (rd[0] >= 0)
			close(rd[0]);
		child(l, go[0], er[1], sk[1], rd[1]);
	}
	close(go[0]);
	close(er[1]);
	close(sk[1]);
	l->go_fd = go[1];
	l->err_fd = er[0];
	l->notify_sock = sk[0];
	if (rd[0] >= 0) {
		close(rd[1]);
		if (read(rd[0], &merr, sizeof(merr)) != sizeof(merr))
			merr = -EPIPE;
		close(rd[0]);
	}
	if (merr) {
		close(l->go_fd);
		close(l->err_fd);
		close(l->notify_sock);
		waitpid(l->pid, NULL, 0);
	}
	return merr;
}

int kv_launch_go(struct kv_launch *l, int *notify_fd)
{
	struct kv_child_report r;
	int fd = -1, rc;

	*notify_fd = -1;
	if (write(l->go_fd, "g", 1) != 1)
		return -errno;
	close(l->go_fd);
	l->go_fd = -1;
	rc = kv_fd_recv(l->notify_sock, &fd);
	close(l->notify_sock);
	l->notify_sock = -1;
	if (rc < 0) {
		/* no fd: the child failed during setup; its report says why */
		if (read(l->err_fd, &r, sizeof(r)) == sizeof(r) && r.stage == 1)
			return -r.err;
		return rc;
	}
	*notify_fd = fd;
	return 0;
}

int kv_launch_exec_result(struct kv_launch *l)
{
	struct kv_child_report r;
	ssize_t n = read(l->err_fd, &r, sizeof(r));

	close(l->err_fd);
	l->err_fd = -1;
	if (n == sizeof(r))
		return -r.err; /* stage 2: execve failed */
	return 0;         /* EOF: CLOEXEC closed it, the agent is running */
}
