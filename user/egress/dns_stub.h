/* SPDX-License-Identifier: BSD-2-Clause */
/* The session's DNS stub resolver (UDP). The agent's /etc/resolv.conf
 * points at it; it answers only for the names its egress policy lists:
 *
 *   name not in the policy      -> REFUSED, event DNS_REFUSED
 *   name in the policy          -> forwarded to the upstream resolvers; the
 *                                  A/AAAA addresses of the answer (through
 *                                  CNAMEs) are admitted into the session's
 *                                  kv_egress_lpm entry for TTL + grace
 *                                  *before* the answer is relayed, so the
 *                                  first connect after resolving works
 *   answer in loopback/private/ -> not admitted unless the static policy
 *   link-local/multicast space     already allows it (DNS rebinding),
 *                                  event DNS_REBIND_BLOCKED
 *
 * Admitted ranges carry their expiry: the BPF program stops honouring them
 * at that second, whether or not the sweep has removed them yet. */
#ifndef KV_DNS_STUB_H
#define KV_DNS_STUB_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <json-c/json.h>
#include "egress/egress.h"

#define KV_DNS_GRACE_DEFAULT 60   /* seconds added to each TTL */
#define KV_DNS_MAX_TTL_DEFAULT 3600
#define KV_DNS_TIMEOUT_DEFAULT 2000 /* ms per upstream */
#define KV_DNS_MAX_UPSTREAMS 4

/* fields is consumed. Types: DNS_REFUSED {name, qtype}, DNS_ADMITTED
 * {name, addresses, expires}, DNS_REBIND_BLOCKED {name, address},
 * DNS_UPSTREAM_FAILED {name}, DNS_ADMIT_FAILED {name, address, error}. */
typedef void (*kv_dns_event_fn)(void *ctx, uint64_t session, const char *type,
				struct json_object *fields);

struct kv_dns_stub_opts {
	const struct kv_egress_maps *maps;
	uint64_t session;
	const struct kv_egress_policy *policy; /* its HOST rules are the names */
	/* where to listen (UDP); port 0 or INADDR_ANY: kv_dns_stub_pick_addr */
	struct sockaddr_storage listen;
	/* upstream resolvers; none: the nameservers of /etc/resolv.conf */
	struct sockaddr_storage upstream[KV_DNS_MAX_UPSTREAMS];
	size_t n_upstream;
	uint32_t grace_s, max_ttl_s, timeout_ms; /* 0: the defaults above */
	kv_dns_event_fn on_event;
	void *ctx;
};

struct kv_dns_stub;

/* A loopback address for the session's stub, 127.77.X.Y:53 from the
 * session id (the caller retries with salt+1 if binding fails). */
void kv_dns_stub_pick_addr(uint64_t session, unsigned salt, struct sockaddr_storage *out);
/* nameserver lines of a resolv.conf (IPv4/IPv6, port 53). 0 or -errno. */
int kv_dns_upstreams_from_resolv_conf(const char *path, struct sockaddr_storage *out, size_t max,
				      size_t *n);
/* Whether the policy lets the session resolve name (exact or *.suffix). */
bool kv_egress_name_allowed(const struct kv_egress_policy *p, const char *name);

/* Binds the socket. 0 or -errno (-EADDRINUSE: pick another address). */
int kv_dns_stub_open(const struct kv_dns_stub_opts *o, struct kv_dns_stub **out);
/* The address it listens on (put it in the policy's stub_addr and in the
 * agent's resolv.conf). */
void kv_dns_stub_addr(const struct kv_dns_stub *s, struct sockaddr_storage *out);
int kv_dns_stub_fd(const struct kv_dns_stub *s);
/* Serves one pending query. 0, -EAGAIN when none is pending, or -errno. */
int kv_dns_stub_handle(struct kv_dns_stub *s);
/* Resolves every (non-wildcard) name of the policy through the upstreams
 * now, A and AAAA, and admits the answers with their TTLs: the session
 * starts with its names open, and they close when the TTL runs out like
 * any other answer. Returns the number of names that resolved. */
int kv_dns_stub_prefetch(struct kv_dns_stub *s);
/* Drops expired admissions from the map. Returns how many addresses closed. */
int kv_dns_stub_sweep(struct kv_dns_stub *s);
/* Serves until *stop: poll, handle, sweep every few seconds. */
int kv_dns_stub_serve(struct kv_dns_stub *s, const volatile int *stop);
void kv_dns_stub_close(struct kv_dns_stub *s);
#endif
