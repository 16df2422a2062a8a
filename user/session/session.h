/* SPDX-License-Identifier: BSD-2-Clause */
/* A session: one agent launch = one cgroup under the agents' root, its id
 * string ("ks-..."), its kernel id (the cgroup id, the key of every map). */
#ifndef KV_SESSION_USER_H
#define KV_SESSION_USER_H
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include "kv_session.h"

#define KV_SESSION_ID_LEN 48
#define KV_DEFAULT_AGENTS_CGROUP "kavachos" /* relative to the cgroup2 root */
#define KV_PIN_DIR "/sys/fs/bpf/kavachos"          /* the daemon's pins */
#define KV_PIN_DIR_RUNS "/sys/fs/bpf/kavachos-run" /* embedded runs: <dir>/<session>/ */

struct kv_bpf;

struct kv_session_info {
	char id[KV_SESSION_ID_LEN];
	char cgroup[PATH_MAX];
	uint64_t cgid;
	int level; /* cgroup level of the session cgroup */
};

/* "ks-20261126T054400Z-1a2b3c4d": sortable by start time, random suffix. */
int kv_session_new_id(char id[KV_SESSION_ID_LEN]);
/* "ks-" then [A-Za-z0-9-], at most KV_SESSION_ID_LEN-1: safe as a path part. */
bool kv_session_cgroup_name_valid(const char *id);
/* mkdir <agents_root>/<id>, fill info. 0 or negative errno. */
int kv_session_cgroup_create(const char *agents_root, const char *id, struct kv_session_info *s);

/* Defaults of the gate valve and the event limiter (SPEC.md, issue 7). */
void kv_session_policy_defaults(struct kv_session *p, uint32_t trust_mask, uint32_t depth);

/* Writes state (zeroed), syscall bitmaps, then the session entry last: the
 * session entry is what makes hooks judge the cgroup, so it must find the
 * rest in place. 0 or negative errno (nothing left behind on error). */
int kv_session_maps_register(const struct kv_bpf *b, uint64_t cgid, const struct kv_session *pol,
			     const struct kv_syscall_policy *sp);
void kv_session_maps_unregister(const struct kv_bpf *b, uint64_t cgid);
int kv_session_state_read(const struct kv_bpf *b, uint64_t cgid, struct kv_session_state *out);
/* A live session's policy and state from the pinned maps (daemon's or an
 * embedded run's). 0, or -ENOENT when no pinned map knows the session. */
int kv_session_live_lookup(uint64_t cgid, struct kv_session *pol, struct kv_session_state *st);
#endif
