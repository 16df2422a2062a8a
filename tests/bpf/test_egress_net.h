/* SPDX-License-Identifier: BSD-2-Clause */
/* Socket operations the egress tests run as "agent" code in the session,
 * and the private network plumbing around them (own netns, listeners). */
#ifndef KV_TEST_EGRESS_NET_H
#define KV_TEST_EGRESS_NET_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

enum eg_op_kind {
	EG_TCP_CONNECT,   /* socket + connect */
	EG_UDP_CONNECT,   /* connect, then send */
	EG_UDP_SENDTO,    /* unconnected sendto */
	EG_TCP_FASTOPEN,  /* sendto(MSG_FASTOPEN) */
	EG_URING_CONNECT, /* IORING_OP_CONNECT */
	EG_UNIX_CONNECT,  /* AF_UNIX stream connect to addr (a path or "@abstract") */
	EG_UNIX_SENDTO,   /* AF_UNIX datagram sendto */
	EG_SOCKET,        /* socket(family, type, proto) only */
};

struct eg_op {
	enum eg_op_kind kind;
	int family;
	const char *addr;
	uint16_t port;
	int type, proto; /* EG_SOCKET */
};

/* Runs op; returns 0 or the errno it failed with (what the agent saw). */
int eg_do(const struct eg_op *op);
/* kv_fixture_run callback: arg is a struct eg_op. */
int eg_run_op(void *arg);

/* Moves the calling test process into a new network namespace with lo up
 * and ping sockets allowed, so fixed ports cannot collide with anything. */
int eg_private_netns(void);
/* Listener bound to addr:port (TCP listens, UDP just binds). fd or -errno. */
int eg_listen(int family, int type, const char *addr, uint16_t port);
int eg_listen_unix(int type, const char *path_or_abstract);
int eg_sockaddr(int family, const char *addr, uint16_t port, struct sockaddr_storage *ss,
		socklen_t *len);
#endif
