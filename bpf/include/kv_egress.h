/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Egress policy maps, shared by egress.bpf.c and user/egress/.
 *
 * kv_egress_lpm   (LPM_TRIE kv_egress_key -> kv_egress_val)    IP allowlist
 * kv_egress_unix  (LPM_TRIE kv_egress_ukey -> kv_egress_uval)  AF_UNIX path allowlist
 * kv_egress_stat  (HASH u64 session -> kv_egress_stats)        per-hook deny counters
 *
 * One trie serves every session and both families: the key starts with the
 * session cgroup id (always matched in full: prefixlen >= 64), then the
 * address as IPv6, IPv4 as ::ffff:a.b.c.d. So an AF_INET6 connect to
 * ::ffff:127.0.0.3 meets exactly the IPv4 rules, and an IPv4 CIDR a.b.c.d/n
 * is stored with prefixlen 64 + 96 + n.
 *
 * The trie returns only the longest match, so user space folds the ranges
 * of every covering shorter prefix into each more specific entry: the
 * entry found is the whole answer for that address. */
#ifndef KV_EGRESS_H
#define KV_EGRESS_H
#include "kv_types.h"

#define KV_EGRESS_SESSION_BITS 64
#define KV_EGRESS_MAX_RANGES 8   /* port ranges per trie entry, after merging */
#define KV_EGRESS_UNIX_PATH 112  /* sun_path (108) + room for the abstract form */
#define KV_EGRESS_DEF_ENTRIES 131072 /* kv_egress_lpm default max_entries */
#define KV_EGRESS_DEF_UNIX 4096      /* kv_egress_unix default max_entries */

/* kv_egress_range.protos */
#define KV_EGRESS_P_TCP (1u << 0) /* IPPROTO_TCP (and MPTCP subflows) */
#define KV_EGRESS_P_UDP (1u << 1) /* IPPROTO_UDP, IPPROTO_UDPLITE */
#define KV_EGRESS_P_ALL (KV_EGRESS_P_TCP | KV_EGRESS_P_UDP)

/* kv_egress_range.flags, kv_egress_uval.flags */
#define KV_EGRESS_F_ESSENTIAL (1u << 0) /* still passes when the gate is CRACKED */
#define KV_EGRESS_F_DNS (1u << 1)       /* admitted by the DNS stub, expires */
#define KV_EGRESS_F_PREFIX (1u << 2)    /* unix: a directory prefix, not one path */

/* Hook numbers beyond enum kv_egress_hook (kv_events.h). */
#define KV_EGRESS_HOOK_SENDMSG_UNIX 7

struct kv_egress_key {
	__u32 prefixlen;  /* 64 + address prefix bits (0..128) */
	__u32 session_lo; /* session cgroup id, low and high halves: */
	__u32 session_hi; /* a u64 here would be misaligned after prefixlen */
	__u8 addr[16];    /* network byte order */
};

struct kv_egress_range {
	__u16 lo; /* inclusive, host byte order, 1..65535 */
	__u16 hi;
	__u8 protos; /* KV_EGRESS_P_* */
	__u8 flags;  /* KV_EGRESS_F_ESSENTIAL, KV_EGRESS_F_DNS */
	__u16 _pad;
	__u32 expires; /* F_DNS: CLOCK_BOOTTIME second after which it stops passing */
};

struct kv_egress_val {
	__u32 n_ranges; /* 0: the prefix is listed but nothing passes */
	__u16 flags;    /* KV_EGRESS_F_DNS: created by the DNS stub */
	__u8 prefix;    /* this entry's own address prefix (0..128): a lookup
			 * returns the longest match, this says which one */
	__u8 _pad;
	struct kv_egress_range r[KV_EGRESS_MAX_RANGES];
};

/* AF_UNIX: path is the sun_path as given, NUL-terminated; an exact entry's
 * prefixlen covers the NUL, a directory entry (F_PREFIX, ends in '/') does
 * not. Abstract names (sun_path[0] == 0) are stored as 0, length, name, so
 * only a name of the same length matches; prefixlen 64 + 8 matches them all. */
struct kv_egress_ukey {
	__u32 prefixlen; /* 64 + 8 * bytes of path that must match */
	__u32 session_lo;
	__u32 session_hi;
	__u8 path[KV_EGRESS_UNIX_PATH];
};

struct kv_egress_uval {
	__u32 flags; /* KV_EGRESS_F_ESSENTIAL, KV_EGRESS_F_PREFIX */
	__u32 _pad;
};

/* Indexed by enum kv_egress_hook (1..7); [0] counts allowed checks that
 * were narrowed by the gate (an entry matched, but not an essential one). */
#define KV_EGRESS_NHOOKS 8
struct kv_egress_stats {
	__u64 deny[KV_EGRESS_NHOOKS];
};

_Static_assert(sizeof(struct kv_egress_key) == 28, "kv_egress_key layout");
_Static_assert(sizeof(struct kv_egress_range) == 12, "kv_egress_range layout");
_Static_assert(sizeof(struct kv_egress_val) == 8 + 12 * KV_EGRESS_MAX_RANGES,
	       "kv_egress_val layout");
_Static_assert(sizeof(struct kv_egress_ukey) == 124, "kv_egress_ukey layout");
_Static_assert(sizeof(struct kv_egress_uval) == 8, "kv_egress_uval layout");
_Static_assert(sizeof(struct kv_egress_stats) == 64, "kv_egress_stats layout");
#endif
