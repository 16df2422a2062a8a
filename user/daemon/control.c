// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "daemon/control.h"

static int fill_addr(const char *path, struct sockaddr_un *a)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(a->sun_path))
		return -ENAMETOOLONG;
	strcpy(a->sun_path, path);
	return 0;
}

int kv_control_listen(const char *path, const char *group, char *err, size_t errlen)
{
	struct sockaddr_un a;
	char dir[sizeof(a.sun_path)], *slash;
	gid_t gid = 0;
	int fd, e;

	e = fill_addr(path, &a);
	if (e) {
		snprintf(err, errlen, "control socket path too long: %s", path);
		return e;
	}
	if (group && *group) {
		struct group *g = getgrnam(group);

		if (!g) {
			snprintf(err, errlen, "control_group '%s': no such group", group);
			return -ENOENT;
		}
		gid = g->gr_gid;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		if (mkdir(dir, 0755) && errno != EEXIST) {
			e = -errno;
			snprintf(err, errlen, "%s: %s", dir, strerror(errno));
			return e;
		}
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(path); /* a stale socket of a dead daemon */
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || chown(path, 0, gid) ||
	    chmod(path, group && *group ? 0660 : 0600) || listen(fd, 64)) {
		e = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return e;
	}
	return fd;
}

int kv_control_connect(const char *path)
{
	struct sockaddr_un a;
	int fd, e = fill_addr(path, &a);

	if (e)
		return e;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

int kv_control_send_fds(int fd, struct json_object *msg, const int *fds, int nfds)
{
	const char *s = json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN);
	char cbuf[CMSG_SPACE(sizeof(int) * KV_CONTROL_MAX_FDS)];
	struct iovec iov = { .iov_base = (void *)s, .iov_len = strlen(s) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (iov.iov_len > KV_CONTROL_MAX_MSG)
		return -EMSGSIZE;
	if (nfds < 0 || nfds > KV_CONTROL_MAX_FDS)
		return -EINVAL;
	if (nfds) {
		memset(cbuf, 0, sizeof(cbuf));
		m.msg_control = cbuf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	return sendmsg(fd, &m, MSG_NOSIGNAL) == (ssize_t)iov.iov_len ? 0 : -errno;
}

int kv_control_send(int fd, struct json_object *msg)
{
	return kv_control_send_fds(fd, msg, NULL, 0);
}

/* recvmsg; without fds (the daemon's side) no control buffer is given, so
 * the kernel discards any fd a client tries to pass. */
static ssize_t recv_one(int fd, char *buf, int *fds, int *nfds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * KV_CONTROL_MAX_FDS)];
	struct iovec iov = { .iov_base = buf, .iov_len = KV_CONTROL_MAX_MSG + 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;
	ssize_t n;

	if (fds) {
		*nfds = 0;
		m.msg_control = cbuf;
		m.msg_controllen = sizeof(cbuf);
	}
	do
		n = recvmsg(fd, &m, MSG_TRUNC | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0 || !fds)
		return n;
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len >= CMSG_LEN(0)) {
			int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));

			if (k > KV_CONTROL_MAX_FDS - *nfds)
				k = KV_CONTROL_MAX_FDS - *nfds;
			memcpy(fds + *nfds, CMSG_DATA(c), sizeof(int) * (size_t)k);
			*nfds += k;
		}
	return n;
}

static void close_fds(int *fds, int *nfds)
{
	while (nfds && *nfds > 0)
		close(fds[--*nfds]);
}

int kv_control_recv_fds(int fd, struct json_object **msg, int *fds, int *nfds, char *err,
			size_t errlen)
{
	char *buf = malloc(KV_CONTROL_MAX_MSG + 1);
	enum json_tokener_error je;
	struct json_object *o;
	ssize_t n;

	if (nfds)
		*nfds = 0;
	if (!buf)
		return -ENOMEM;
	n = recv_one(fd, buf, fds, nfds);
	if (n <= 0) {
		int e = n ? -errno : -EPIPE;

		free(buf);
		return e;
	}
	if (n > KV_CONTROL_MAX_MSG) {
		snprintf(err, errlen, "message of %zd bytes exceeds %d", n, KV_CONTROL_MAX_MSG);
		free(buf);
		return -EBADMSG;
	}
	o = json_tokener_parse_verbose(buf ? (buf[n] = 0, buf) : buf, &je);
	free(buf);
	if (!o || !json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "not a JSON object%s%s", o ? "" : ": ",
			 o ? "" : json_tokener_error_desc(je));
		json_object_put(o);
		close_fds(fds, nfds);
		return -EBADMSG;
	}
	*msg = o;
	return 0;
}

int kv_control_recv(int fd, struct json_object **msg, char *err, size_t errlen)
{
	return kv_control_recv_fds(fd, msg, NULL, NULL, err, errlen);
}

int kv_control_call_fds(int fd, struct json_object *req, struct json_object **resp, int *fds,
			int *nfds, char *err, size_t errlen)
{
	int e = kv_control_send(fd, req);

	if (nfds)
		*nfds = 0;
	if (e) {
		snprintf(err, errlen, "sending to the daemon: %s", strerror(-e));
		return e;
	}
	e = kv_control_recv_fds(fd, resp, fds, nfds, err, errlen);
	if (e == -EPIPE)
		snprintf(err, errlen, "the daemon closed the connection");
	else if (e && e != -EBADMSG)
		snprintf(err, errlen, "reading the daemon's answer: %s", strerror(-e));
	return e;
}

int kv_control_call(int fd, struct json_object *req, struct json_object **resp, char *err,
		    size_t errlen)
{
	return kv_control_call_fds(fd, req, resp, NULL, NULL, err, errlen);
}

int kv_control_peer(int fd, struct ucred *cred)
{
	socklen_t len = sizeof(*cred);

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, &len) ? -errno : 0;
}
