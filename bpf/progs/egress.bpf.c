// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Egress firewall: cgroup sock_addr hooks judge every connect() and every
 * unconnected sendmsg() of a session's tasks against the session's
 * allowlist (kv_egress.h); cgroup/sock_create refuses the socket kinds
 * whose traffic those hooks never see. Tasks outside sessions: one
 * ancestor-cgroup lookup, then allowed. */
#include "kv_common.bpf.h"
#include "kv_egress.h"
#include <bpf/bpf_endian.h>

#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define SOCK_RAW 3
#define UNIX_PATH_MAX 108
#define SUN_PATH_OFF 2 /* offsetof(struct sockaddr_un, sun_path) */

/* Only on kernels with cgroup/connect_unix (>= 6.7, so >= 6.2 too); weak
 * so the object still loads where the kfunc is missing and the unix
 * programs stay off. */
extern void *bpf_cast_to_kern_ctx(void *obj) __ksym __weak;

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, KV_EGRESS_DEF_ENTRIES); /* sized by the loader */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct kv_egress_key);
	__type(value, struct kv_egress_val);
} kv_egress_lpm SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, KV_EGRESS_DEF_UNIX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct kv_egress_ukey);
	__type(value, struct kv_egress_uval);
} kv_egress_unix SEC(".maps");

/* LRU: an entry recreated by a late deny after the session ended ages out. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, KV_MAX_SESSIONS);
	__type(key, __u64);
	__type(value, struct kv_egress_stats);
} kv_egress_stat SEC(".maps");

static __always_inline void egress_count(__u64 session, __u32 hook)
{
	struct kv_egress_stats *c = bpf_map_lookup_elem(&kv_egress_stat, &session);

	if (!c) {
		struct kv_egress_stats zero = {};

		bpf_map_update_elem(&kv_egress_stat, &session, &zero, BPF_NOEXIST);
		c = bpf_map_lookup_elem(&kv_egress_stat, &session);
		if (!c)
			return;
	}
	if (hook < KV_EGRESS_NHOOKS)
		__sync_fetch_and_add(&c->deny[hook], 1);
}

/* What the deny event says; path is NULL for IP hooks. */
struct egress_what {
	const __u8 *addr;
	const __u8 *path; /* KV_EGRESS_UNIX_PATH bytes, kernel form */
	__u32 sock_type;
	__u16 port;
	__u8 family;
	__u8 proto;
	__u8 hook;
};

/* Count the violation (gate valve), then report it unless rate limited. */
static __always_inline void egress_deny(__u64 session, struct kv_session *s,
					const struct egress_what *w)
{
	struct kv_session_state *st;
	struct kv_ev_egress *e;
	int i;

	egress_count(session, w->hook);
	st = kv_violation(session, s, KV_CLASS_EGRESS);
	if (!st || !kv_rate_allow(s, st, bpf_ktime_get_boot_ns()))
		return;
	e = kv_event_reserve(st, sizeof(*e));
	if (!e)
		return;
	kv_fill_hdr(&e->hdr, KV_EV_EGRESS_DENY, sizeof(*e), session, KV_CLASS_EGRESS);
	if (w->addr)
		__builtin_memcpy(e->addr, w->addr, sizeof(e->addr));
	else
		__builtin_memset(e->addr, 0, sizeof(e->addr));
	e->port = w->port;
	e->family = w->family;
	e->proto = w->proto;
	e->hook = w->hook;
	e->_pad[0] = e->_pad[1] = e->_pad[2] = 0;
	e->sock_type = w->sock_type;
	__builtin_memset(e->path, 0, sizeof(e->path));
	if (w->path) {
		if (w->path[0]) {
			__builtin_memcpy(e->path, w->path, sizeof(e->path));
		} else {
			/* abstract: 0, length, name -> "@name" (bytes after
			 * the length are the name, NULs included) */
			e->path[0] = '@';
			for (i = 1; i < (int)sizeof(e->path); i++)
				e->path[i] = w->path[i + 1];
		}
	}
	bpf_ringbuf_submit(e, 0);
}

static __always_inline __u8 proto_bit(__u32 proto)
{
	if (proto == IPPROTO_TCP)
		return KV_EGRESS_P_TCP;
	if (proto == IPPROTO_UDP || proto == IPPROTO_UDPLITE)
		return KV_EGRESS_P_UDP;
	return 0;
}

static __always_inline __u32 gate_of(__u64 session, struct kv_session *s)
{
	if (!(s->flags & KV_SF_ENFORCE_GATE))
		return KV_GATE_OPEN;
	return kv_gate_state(session);
}

/* 1 if some range of the entry admits (port, protocol) in this gate state. */
static __always_inline int ranges_admit(const struct kv_egress_val *v, __u16 port, __u8 pbit,
					__u32 gate)
{
	__u64 now_s = 0;
	int i;

	for (i = 0; i < KV_EGRESS_MAX_RANGES; i++) {
		const struct kv_egress_range *r = &v->r[i];

		if (i >= (int)v->n_ranges)
			break;
		if (port < r->lo || port > r->hi || !(r->protos & pbit))
			continue;
		if (gate >= KV_GATE_CRACKED && !(r->flags & KV_EGRESS_F_ESSENTIAL))
			continue;
		if (r->flags & KV_EGRESS_F_DNS) {
			if (!now_s)
				now_s = bpf_ktime_get_boot_ns() / 1000000000ULL;
			if (now_s > r->expires)
				continue;
		}
		return 1;
	}
	return 0;
}

static __always_inline int judge_ip(struct bpf_sock_addr *ctx, __u64 session,
				    struct kv_session *s, struct kv_egress_key *key, __u8 hook)
{
	__u16 port = bpf_ntohs((__u16)ctx->user_port);
	__u32 proto = ctx->protocol;
	struct kv_egress_val *v;
	struct egress_what w;
	__u32 gate;
	__u8 pbit;

	key->prefixlen = KV_EGRESS_SESSION_BITS + 128;
	key->session_lo = (__u32)session;
	key->session_hi = (__u32)(session >> 32);
	gate = gate_of(session, s);
	pbit = proto_bit(proto);
	if (gate < KV_GATE_LOCKED && pbit) {
		v = bpf_map_lookup_elem(&kv_egress_lpm, key);
		if (v && ranges_admit(v, port, pbit, gate))
			return 1;
	}
	w.addr = key->addr;
	w.path = 0;
	w.sock_type = ctx->type;
	w.port = port;
	w.family = ctx->family; /* the socket's: AF_INET6 for ::ffff:a.b.c.d via sendmsg4 */
	w.proto = proto;
	w.hook = hook;
	egress_deny(session, s, &w);
	return 0;
}

static __always_inline int judge4(struct bpf_sock_addr *ctx, __u8 hook)
{
	struct kv_egress_key key = {};
	struct kv_session *s = 0;
	__u64 session = kv_current_session(&s);

	if (!session || !s)
		return 1;
	key.addr[10] = 0xff;
	key.addr[11] = 0xff;
	*(__u32 *)&key.addr[12] = ctx->user_ip4;
	return judge_ip(ctx, session, s, &key, hook);
}

static __always_inline int judge6(struct bpf_sock_addr *ctx, __u8 hook)
{
	struct kv_egress_key key = {};
	struct kv_session *s = 0;
	__u64 session = kv_current_session(&s);
	__u32 *a = (__u32 *)key.addr;

	if (!session || !s)
		return 1;
	/* ::ffff:a.b.c.d lands on the IPv4 rules by construction */
	a[0] = ctx->user_ip6[0];
	a[1] = ctx->user_ip6[1];
	a[2] = ctx->user_ip6[2];
	a[3] = ctx->user_ip6[3];
	return judge_ip(ctx, session, s, &key, hook);
}

SEC("cgroup/connect4")
int kv_connect4(struct bpf_sock_addr *ctx)
{
	return judge4(ctx, KV_HOOK_CONNECT4);
}

SEC("cgroup/connect6")
int kv_connect6(struct bpf_sock_addr *ctx)
{
	return judge6(ctx, KV_HOOK_CONNECT6);
}

/* Unconnected UDP (sendto/sendmsg with an address). TCP fast open
 * (sendto MSG_FASTOPEN) goes through the connect hooks. */
SEC("cgroup/sendmsg4")
int kv_sendmsg4(struct bpf_sock_addr *ctx)
{
	return judge4(ctx, KV_HOOK_SENDMSG4);
}

SEC("cgroup/sendmsg6")
int kv_sendmsg6(struct bpf_sock_addr *ctx)
{
	return judge6(ctx, KV_HOOK_SENDMSG6);
}

/* Runs for AF_INET/AF_INET6 sockets only (the kernel calls it from
 * inet_create/inet6_create). Raw sockets and ICMP "ping" sockets send
 * without passing the sendmsg hooks, so a session may not create them;
 * other families (AF_PACKET, ...) are refused by the seccomp profile. */
SEC("cgroup/sock_create")
int kv_sock_create(struct bpf_sock *ctx)
{
	struct kv_session *s = 0;
	__u64 session = kv_current_session(&s);
	__u32 proto, type;
	struct egress_what w = {};

	if (!session || !s)
		return 1;
	proto = ctx->protocol;
	type = ctx->type;
	if (type == SOCK_RAW)
		goto deny;
	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_UDPLITE ||
	    proto == IPPROTO_MPTCP)
		return 1;
deny:
	w.sock_type = type;
	w.family = ctx->family;
	w.proto = proto;
	w.hook = KV_HOOK_SOCK_CREATE;
	egress_deny(session, s, &w);
	return 0;
}

/* 1 if the kernel-form path has a ".." component (a prefix entry must not
 * be escaped with /allowed/dir/../../elsewhere). */
static __always_inline int has_dotdot(const __u8 *p)
{
	int i;

	for (i = 0; i < UNIX_PATH_MAX - 1; i++) {
		if (!p[i])
			break;
		if (p[i] == '.' && p[i + 1] == '.' && (i == 0 || p[i - 1] == '/') &&
		    (i + 2 >= UNIX_PATH_MAX || p[i + 2] == '/' || p[i + 2] == 0))
			return 1;
	}
	return 0;
}

static __always_inline int judge_unix(struct bpf_sock_addr *ctx, __u8 hook)
{
	struct kv_egress_ukey key = {};
	struct bpf_sock_addr_kern *sa;
	struct kv_session *s = 0;
	__u64 session = kv_current_session(&s);
	struct kv_egress_uval *v;
	struct egress_what w = {};
	const char *src;
	__u32 n, gate;
	char c0 = 0;

	if (!session || !s)
		return 1;
	sa = bpf_cast_to_kern_ctx(ctx);
	if (!sa)
		goto deny;
	/* sun_path is not NUL-terminated yet at this hook: bound by uaddrlen */
	n = sa->uaddrlen;
	if (n <= SUN_PATH_OFF)
		goto deny;
	n -= SUN_PATH_OFF;
	if (n > UNIX_PATH_MAX)
		n = UNIX_PATH_MAX;
	src = (const char *)sa->uaddr + SUN_PATH_OFF;
	if (bpf_probe_read_kernel(&c0, 1, src))
		goto deny;
	if (c0) {
		if (bpf_probe_read_kernel_str(key.path, n + 1, src) < 0)
			goto deny;
	} else {
		n -= 1; /* name after the leading NUL, up to 107 bytes */
		key.path[1] = n;
		if (n && bpf_probe_read_kernel(&key.path[2], n & 127, src + 1))
			goto deny;
	}
	key.prefixlen = KV_EGRESS_SESSION_BITS + 8 * KV_EGRESS_UNIX_PATH;
	key.session_lo = (__u32)session;
	key.session_hi = (__u32)(session >> 32);
	gate = gate_of(session, s);
	v = bpf_map_lookup_elem(&kv_egress_unix, &key);
	if (v && gate < KV_GATE_LOCKED &&
	    (gate < KV_GATE_CRACKED || (v->flags & KV_EGRESS_F_ESSENTIAL)) &&
	    !((v->flags & KV_EGRESS_F_PREFIX) && has_dotdot(key.path)))
		return 1;
deny:
	w.path = key.path;
	w.sock_type = ctx->type;
	w.family = AF_UNIX;
	w.hook = hook;
	egress_deny(session, s, &w);
	return 0;
}

/* cgroup/connect_unix (BPF_CGROUP_UNIX_CONNECT, kernel >= 6.7): libbpf 1.1
 * does not know the section, so the loader turns autoload on and sets the
 * attach type where the kernel has it. */
SEC("?cgroup/connect4")
int kv_connect_unix(struct bpf_sock_addr *ctx)
{
	return judge_unix(ctx, KV_HOOK_CONNECT_UNIX);
}

/* cgroup/sendmsg_unix (BPF_CGROUP_UNIX_SENDMSG): sendto() on an
 * unconnected AF_UNIX datagram socket, same allowlist. */
SEC("?cgroup/sendmsg4")
int kv_sendmsg_unix(struct bpf_sock_addr *ctx)
{
	return judge_unix(ctx, KV_EGRESS_HOOK_SENDMSG_UNIX);
}
