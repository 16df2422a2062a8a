// SPDX-License-Identifier: BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/io_uring.h>
#include "test_egress_net.h"

int eg_sockaddr(int family, const char *addr, uint16_t port, struct sockaddr_storage *ss,
		socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;

		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		*len = sizeof(*s);
		return inet_pton(AF_INET, addr, &s->sin_addr) == 1 ? 0 : -EINVAL;
	}
	if (family == AF_INET6) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons(port);
		*len = sizeof(*s);
		return inet_pton(AF_INET6, addr, &s->sin6_addr) == 1 ? 0 : -EINVAL;
	}
	if (family == AF_UNIX) {
		struct sockaddr_un *s = (struct sockaddr_un *)ss;
		size_t n = strlen(addr);

		if (n >= sizeof(s->sun_path))
			return -ENAMETOOLONG;
		s->sun_family = AF_UNIX;
		memcpy(s->sun_path, addr, n);
		if (addr[0] == '@') { /* abstract: leading NUL, length by addrlen */
			s->sun_path[0] = 0;
			*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
		} else {
			*len = sizeof(*s);
		}
		return 0;
	}
	return -EAFNOSUPPORT;
}

/* IORING_OP_CONNECT through the raw syscalls (no liburing needed). */
static int uring_connect(int s, const struct sockaddr *sa, socklen_t len)
{
	struct io_uring_params p = { 0 };
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
	unsigned *sq_tail, *sq_array, *cq_head, *cq_tail, *cq_mask;
	void *sq, *cq;
	size_t sq_sz, cq_sz;
	int fd, ret;

	fd = (int)syscall(__NR_io_uring_setup, 4, &p);
	if (fd < 0)
		return -errno;
	sq_sz = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	cq_sz = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	sq = mmap(NULL, sq_sz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, IORING_OFF_SQ_RING);
	cq = mmap(NULL, cq_sz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, IORING_OFF_CQ_RING);
	sqes = mmap(NULL, p.sq_entries * sizeof(*sqes), PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED) {
		close(fd);
		return -ENOMEM;
	}
	sq_tail = (unsigned *)((char *)sq + p.sq_off.tail);
	sq_array = (unsigned *)((char *)sq + p.sq_off.array);
	cq_head = (unsigned *)((char *)cq + p.cq_off.head);
	cq_tail = (unsigned *)((char *)cq + p.cq_off.tail);
	cq_mask = (unsigned *)((char *)cq + p.cq_off.ring_mask);
	cqes = (struct io_uring_cqe *)((char *)cq + p.cq_off.cqes);

	memset(&sqes[0], 0, sizeof(sqes[0]));
	sqes[0].opcode = IORING_OP_CONNECT;
	sqes[0].fd = s;
	sqes[0].addr = (uint64_t)(uintptr_t)sa;
	sqes[0].off = len; /* connect: addrlen travels in off */
	sq_array[*sq_tail & (p.sq_entries - 1)] = 0;
	__atomic_store_n(sq_tail, *sq_tail + 1, __ATOMIC_RELEASE);
	ret = (int)syscall(__NR_io_uring_enter, fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0);
	if (ret < 0) {
		ret = -errno;
	} else if (__atomic_load_n(cq_tail, __ATOMIC_ACQUIRE) == *cq_head) {
		ret = -EAGAIN;
	} else {
		ret = cqes[*cq_head & *cq_mask].res;
		__atomic_store_n(cq_head, *cq_head + 1, __ATOMIC_RELEASE);
	}
	close(fd);
	return ret;
}

int eg_do(const struct eg_op *op)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int s, ret = 0, type;

	if (op->kind == EG_SOCKET) {
		s = socket(op->family, op->type, op->proto);
		if (s < 0)
			return errno;
		close(s);
		return 0;
	}
	if (eg_sockaddr(op->family, op->addr, op->port, &ss, &len))
		return EINVAL;
	switch (op->kind) {
	case EG_TCP_CONNECT:
	case EG_TCP_FASTOPEN:
	case EG_URING_CONNECT:
	case EG_UNIX_CONNECT:
		type = SOCK_STREAM;
		break;
	default:
		type = SOCK_DGRAM;
	}
	s = socket(op->family, type, 0);
	if (s < 0)
		return errno;
	switch (op->kind) {
	case EG_TCP_CONNECT:
	case EG_UNIX_CONNECT:
		ret = connect(s, (struct sockaddr *)&ss, len) ? errno : 0;
		break;
	case EG_UDP_CONNECT:
		ret = connect(s, (struct sockaddr *)&ss, len) ? errno : 0;
		if (!ret && send(s, "x", 1, 0) < 0)
			ret = errno;
		break;
	case EG_UDP_SENDTO:
	case EG_UNIX_SENDTO:
		ret = sendto(s, "x", 1, 0, (struct sockaddr *)&ss, len) < 0 ? errno : 0;
		break;
	case EG_TCP_FASTOPEN:
		ret = sendto(s, "x", 1, MSG_FASTOPEN, (struct sockaddr *)&ss, len) < 0 ? errno : 0;
		break;
	case EG_URING_CONNECT:
		ret = uring_connect(s, (struct sockaddr *)&ss, len);
		ret = ret < 0 ? -ret : 0;
		break;
	default:
		ret = EINVAL;
	}
	close(s);
	return ret > 125 ? 125 : ret;
}

int eg_run_op(void *arg)
{
	return eg_do(arg);
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -EIO;
}

int eg_private_netns(void)
{
	struct ifreq ifr = { 0 };
	int s, ret = 0;

	if (unshare(CLONE_NEWNET))
		return -errno;
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr))
			ret = -errno;
	} else {
		ret = -errno;
	}
	close(s);
	/* ICMP "ping" sockets: allowed here, so a refusal is ours */
	write_file("/proc/sys/net/ipv4/ping_group_range", "0 2147483647");
	return ret;
}

int eg_listen(int family, int type, const char *addr, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int s, one = 1;

	if (eg_sockaddr(family, addr, port, &ss, &len))
		return -EINVAL;
	s = socket(family, type | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6)
		setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&ss, len) ||
	    (type == SOCK_STREAM && listen(s, 64))) {
		int e = -errno;

		close(s);
		return e;
	}
	return s;
}

int eg_listen_unix(int type, const char *path)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int s;

	if (eg_sockaddr(AF_UNIX, path, 0, &ss, &len))
		return -EINVAL;
	s = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (path[0] != '@')
		unlink(path);
	if (bind(s, (struct sockaddr *)&ss, len) || (type == SOCK_STREAM && listen(s, 64))) {
		int e = -errno;

		close(s);
		return e;
	}
	return s;
}
