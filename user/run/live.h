/* SPDX-License-Identifier: BSD-2-Clause */
/* A live session, the same for embedded `run` and the daemon: its cgroup
 * under the agents' root, its policy in the kernel maps, its receipt chain
 * registered with the runtime; and its end (counters, SESSION_END). */
#ifndef KV_LIVE_H
#define KV_LIVE_H
#include <stdbool.h>
#include <sys/types.h>
#include "egress/egress.h"
#include "session/session.h"

struct kv_runtime;
struct kv_run_inputs;
struct kv_launch;
struct kv_features;
struct kv_chain;
struct kv_files_glue;

struct kv_live {
	struct kv_session_info s;
	struct kv_chain *chain;
	struct kv_egress_maps em;
	bool registered;
	bool genesis_frozen; /* its cgroup frozen until kv_live_genesis_sync */
	const struct kv_files_glue *files; /* the inputs' file rules, to remove at the end */
};

/* Creates the session (id want_id if valid and free, else a new one): cgroup, maps (syscall bitmaps, gate thresholds,
 * egress), chain with its genesis. Nothing is left behind on failure;
 * err names what failed. 0 or negative errno. */
/* Called once the session's cgroup exists, before its egress policy is
 * written to the maps (the DNS stub puts its own address in the policy). */
struct kv_live_hooks {
	int (*before_egress)(void *ctx, struct kv_live *lv, char *err, size_t errlen);
	void *ctx;
	/* pre-resolves the policy's host names (NULL: getaddrinfo each time;
	 * the daemon passes its kv_resolve_cache) */
	kv_egress_resolver resolve;
	void *resolve_arg;
	/* called once the egress policy is in its maps, before the session is
	 * registered (its flags say whether Landlock holds the file rules), the
	 * file rules go into the BPF-LSM maps and the genesis is sealed: the
	 * daemon plans in->files on a thread meanwhile and waits for them here */
	int (*before_files)(void *ctx, char *err, size_t errlen);
	void *files_ctx;
	/* the genesis written but not yet synced on return: the caller makes
	 * it durable (kv_live_genesis_sync) while its agent is being prepared.
	 * The session's cgroup is frozen until then, so nothing placed in it
	 * runs before its genesis is on disk, whoever placed it; where it
	 * cannot be frozen the genesis is synced before return */
	bool defer_genesis_sync;
};

int kv_live_start(struct kv_runtime *rt, const char *agents_root, const char *want_id,
		  const struct kv_live_hooks *hooks, const struct kv_run_inputs *in,
		  const struct kv_launch *l, char *const *argv, struct kv_live **out, char *err,
		  size_t errlen);
/* The genesis durable (see defer_genesis_sync), then the cgroup thawed;
 * 0 at once when it is. On failure the cgroup stays frozen. */
int kv_live_genesis_sync(struct kv_live *lv);
/* Ends it: kills what is left in the cgroup, drains events, reads the
 * kernel's counters into SESSION_END (status = wait status, or -1 if the
 * agent never ran), removes map entries and the cgroup. Fills *st_out when
 * not NULL (zeroed if the counters could not be read). Frees lv. */
void kv_live_end(struct kv_runtime *rt, struct kv_live *lv, int status,
		 struct kv_session_state *st_out);
/* kv_live_end in two steps, so the daemon can answer its client between
 * them: the first seals SESSION_END, the second removes the map entries and
 * the cgroup and frees lv. With durable NULL the end is durable on return;
 * else the chain closes as kv_chain_close_async does and *durable says
 * whether it is durable already. */
void kv_live_seal_end(struct kv_runtime *rt, struct kv_live *lv, int status,
		      struct kv_session_state *st_out, bool *durable);
void kv_live_release(struct kv_runtime *rt, struct kv_live *lv);
/* The session ends with its agent: what it left running is killed. */
void kv_live_kill_rest(const char *cgroup);
#endif
