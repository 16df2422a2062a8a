/* SPDX-License-Identifier: BSD-2-Clause */
/* The daemon's control socket: AF_UNIX SOCK_SEQPACKET, one JSON object per
 * message, the caller known by SO_PEERCRED (never by what it claims). */
#ifndef KV_CONTROL_H
#define KV_CONTROL_H
#include <stddef.h>
#include <sys/socket.h>
#include <json-c/json.h>

#define KV_CONTROL_DEFAULT "/run/kavachos/control.sock"
#define KV_CONTROL_MAX_MSG (256 * 1024)

/* Creates the socket (and its directory), mode 0660, group = group (or
 * root's when ""). Returns the listening fd or negative errno. */
int kv_control_listen(const char *path, const char *group, char *err, size_t errlen);
/* Client side; negative errno (-ENOENT: no daemon). */
int kv_control_connect(const char *path);
int kv_control_send(int fd, struct json_object *msg);
/* The same with nfds fds attached (SCM_RIGHTS): the daemon hands its client
 * the session cgroup to spawn the agent into and its Landlock ruleset. */
#define KV_CONTROL_MAX_FDS 4
int kv_control_send_fds(int fd, struct json_object *msg, const int *fds, int nfds);
/* 0 with *msg, -EPIPE on orderly close, -EBADMSG for a message that is not a
 * JSON object (err says why), other negative errno. The daemon receives
 * without a control buffer: fds a client attaches are dropped by the kernel. */
int kv_control_recv(int fd, struct json_object **msg, char *err, size_t errlen);
/* Client side: also the fds the message carried (O_CLOEXEC, at most
 * KV_CONTROL_MAX_FDS, in the order sent; *nfds of them). */
int kv_control_recv_fds(int fd, struct json_object **msg, int *fds, int *nfds, char *err,
			size_t errlen);
/* Request/response round trip for clients. */
int kv_control_call(int fd, struct json_object *req, struct json_object **resp, char *err,
		    size_t errlen);
int kv_control_call_fds(int fd, struct json_object *req, struct json_object **resp, int *fds,
			int *nfds, char *err, size_t errlen);
int kv_control_peer(int fd, struct ucred *cred);
#endif
