/* SPDX-License-Identifier: BSD-2-Clause */
/* `run`'s pieces shared by its two modes (run.c): embedded, where this
 * process loads the programs for its own session (run_embedded.c), and
 * through kavachos-load (run_daemon.c). */
#ifndef KV_RUN_INT_H
#define KV_RUN_INT_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "kv_session.h"
#include "run/notify_glue.h"

struct kv_run_opts;
struct kv_run_inputs;
struct kv_launch;
struct kv_identity;

/* How the agent gets into its session, once its process exists and waits
 * (l->pid, l->agent_pid, l->in_cgroup, l->pidns set): embedded, we move it
 * ourselves if it was not born in the cgroup; with the daemon, the daemon
 * does (after checking it is our child, or our child's as the init of a PID
 * namespace). Before the agent may exec. */
typedef int (*place_fn)(void *ctx, const struct kv_launch *l, char *err, size_t errlen);
/* After the agent's process was released (it is on its way to exec),
 * before the notify supervisor starts: an answer the daemon gives in the
 * meantime (NULL: none). Nonzero ends the session. */
typedef int (*released_fn)(void *ctx, char *err, size_t errlen);

struct kv_run_hooks {
	place_fn place;
	released_fn released;
	kv_notify_seal_fn seal;
	void *ctx;
};

/* The agent's environment: ours, its session's identity, its TMPDIR. */
char **kv_run_agent_env(const char *id, const struct kv_run_inputs *in);
void kv_run_agent_env_free(char **env);
/* /tmp/kavachos-ID for the agent (owned by it); recorded in the inputs. */
int kv_run_session_tmp_create(struct kv_run_inputs *in, const char *id,
			      const struct kv_identity *who);
void kv_run_session_tmp_remove(struct kv_run_inputs *in);
/* Spawn, place, release, supervise NOTIFY calls, wait; the exit status for
 * `run`, *status the agent's wait status (-1 if it never ran). */
int kv_run_supervise(struct kv_launch *l, const struct kv_run_hooks *h, bool ask, int *status);
/* --pid-namespace and what the kernel offers -> l->pidns_want, and what
 * the session is expected to get (l->pidns, l->pidns_detail: the genesis
 * says it; embedded runs are root, so it is what they get; a daemon's
 * client announces it, and the daemon checks it once the agent is named).
 * Before kv_launch_prepare. 0, or -EOPNOTSUPP when require cannot be met
 * (err says why). */
int kv_run_pidns_plan(const struct kv_run_opts *o, bool embedded, struct kv_launch *l,
		      char *err, size_t errlen);
/* syncing: NULL when SESSION_END has reached the disk; else it is sealed and
 * its sync still running, under this receipts.sync mode of the daemon */
void kv_run_print_summary(const char *id, const char *state_dir, int rc,
			  const struct kv_session_state *st, const char *syncing);

int kv_run_embedded(const struct kv_run_opts *o, struct kv_run_inputs *in, struct kv_launch *l);
int kv_run_daemon(const struct kv_run_opts *o, struct kv_run_inputs *in, struct kv_launch *l,
		  int fd);
#endif
