/* SPDX-License-Identifier: BSD-2-Clause */
/* The enforcement runtime shared by the daemon and embedded `run`: one set
 * of loaded BPF objects, one ring-buffer consumer thread, and the table
 * session cgroup id -> receipt chain that events are sealed into. */
#ifndef KV_RUNTIME_H
#define KV_RUNTIME_H
#include <stdint.h>
#include "kv_session.h"
#include <json-c/json.h>

struct kv_bpf;
struct kv_chain;
struct kv_runtime;

/* Takes ownership of b. Starts the consumer thread. */
int kv_runtime_start(struct kv_bpf *b, struct kv_runtime **out);
struct kv_bpf *kv_runtime_bpf(struct kv_runtime *rt);
/* Events of session cgid are sealed into chain from now on; a transition
 * to LOCKED freezes its cgroup. */
int kv_runtime_add_session(struct kv_runtime *rt, uint64_t cgid, struct kv_chain *chain,
			   const char *cgroup);
/* Drain what the kernel has already written, then forget the session. */
void kv_runtime_remove_session(struct kv_runtime *rt, uint64_t cgid);
/* Seal a receipt from user space (NOTIFY_DECISION, FALCO_ALERT ...) into
 * the session's chain, serialised with the kernel's events. fields consumed. */
int kv_runtime_seal(struct kv_runtime *rt, uint64_t cgid, const char *type,
		    struct json_object *fields, uint64_t ktime_ns);
/* The live session named id (its cgroup's name). 0 or -ENOENT. */
int kv_runtime_find(struct kv_runtime *rt, const char *id, uint64_t *cgid);
/* A violation seen in user space (a Falco alert): sealed as `type` with
 * fields (consumed), counted in the kernel's kv_state under cls, and the
 * gate valve moved by the same rule as the hooks (GATE_TRANSITION sealed,
 * the cgroup frozen at LOCKED). 0 or negative errno. */
int kv_runtime_user_violation(struct kv_runtime *rt, uint64_t cgid, uint32_t cls,
			      const char *type, struct json_object *fields);
/* Stops the thread after a final drain; destroys the BPF objects. */
void kv_runtime_stop(struct kv_runtime *rt);
#endif
