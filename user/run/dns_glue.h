/* SPDX-License-Identifier: BSD-2-Clause */
/* The session's DNS stub (user/egress/dns_stub.h) in `run`: opened once the
 * session's cgroup exists (its address becomes the only port-53 destination
 * in the policy), its events sealed as receipts, names prefetched, served
 * from a thread, and the agent's resolv.conf pointing at it. */
#ifndef KV_DNS_GLUE_H
#define KV_DNS_GLUE_H
#include <stdint.h>

struct kv_runtime;
struct kv_egress_policy;
struct kv_egress_maps;
struct kv_dns_glue;

/* Binds the stub for session cgid and writes its address into pol.
 * state_dir/id name the generated resolv.conf. 0 or negative errno. */
int kv_dns_glue_open(struct kv_runtime *rt, uint64_t cgid, struct kv_egress_policy *pol,
		     const struct kv_egress_maps *maps, const char *state_dir, const char *id,
		     struct kv_dns_glue **out);
/* After the policy is in the maps: prefetch the names, serve. */
int kv_dns_glue_start(struct kv_dns_glue *g);
/* The file to bind-mount over the agent's /etc/resolv.conf. */
const char *kv_dns_glue_resolv(const struct kv_dns_glue *g);
void kv_dns_glue_stop(struct kv_dns_glue *g);
#endif
