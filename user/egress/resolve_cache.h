/* SPDX-License-Identifier: BSD-2-Clause */
/* Host-name answers reused across sessions (the daemon's): every session
 * start pre-resolves its policy's names, and on a fleet that is the same
 * few provider names each time. getaddrinfo gives no TTL, so an answer is
 * reused for at most ok_secs (a bound below typical provider TTLs) and a
 * failure for at most fail_secs: a resolver outage then costs one timeout
 * per fail_secs instead of one per session. The genesis still records what
 * each name resolved to for that session. Not thread-safe: one caller. */
#ifndef KV_RESOLVE_CACHE_H
#define KV_RESOLVE_CACHE_H
#include <stdint.h>
#include "egress/egress.h"

#define KV_RESOLVE_CACHE_OK_SECS   30
#define KV_RESOLVE_CACHE_FAIL_SECS 5
#define KV_RESOLVE_CACHE_MAX       256 /* names; the oldest answer makes room */

struct kv_resolve_cache_opts {
	unsigned ok_secs, fail_secs;  /* 0 ok_secs: no reuse, every lookup resolves */
	kv_egress_resolver lookup;    /* behind the cache; NULL: getaddrinfo */
	void *lookup_arg;
	uint64_t (*clock_s)(void);    /* NULL: CLOCK_MONOTONIC seconds (tests pass theirs) */
};

struct kv_resolve_cache;

int kv_resolve_cache_new(const struct kv_resolve_cache_opts *o, struct kv_resolve_cache **out);
/* A kv_egress_resolver: arg is the cache. out gets a copy the caller owns. */
int kv_resolve_cache_lookup(const char *name, struct kv_egress_addrs *out, void *arg);
void kv_resolve_cache_free(struct kv_resolve_cache *c);
#endif
