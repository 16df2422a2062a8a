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

/* How the agent gets into its session: embedded, we move it ourselves;
 * with the daemon, the daemon does (after checking it is our child). */
typedef int (*place_fn)(void *ctx, pid_t pid, char *err, size_t errlen);

/* The agent's environment: ours, its session's identity, its TMPDIR. */
char **kv_run_agent_env(const char *id, const struct kv_run_inputs *in);
void kv_run_agent_env_free(char **env);
/* /tmp/kavachos-ID for the agent (owned by it); recorded in the inputs. */
int kv_run_session_tmp_create(struct kv_run_inputs *in, const char *id,
			      const struct kv_identity *who);
void kv_run_session_tmp_remove(struct kv_run_inputs *in);
/* Spawn, place, release, supervise NOTIFY calls, wait; the exit status for
 * `run`, *status the wait status (-1 if the agent never ran). */
int kv_run_supervise(struct kv_launch *l, place_fn place, void *pctx, kv_notify_seal_fn seal,
		     void *sctx, bool ask, int *status);
/* syncing: NULL when SESSION_END has reached the disk; else it is sealed and
 * its sync still running, under this receipts.sync mode of the daemon */
void kv_run_print_summary(const char *id, const char *state_dir, int rc,
			  const struct kv_session_state *st, const char *syncing);

int kv_run_embedded(const struct kv_run_opts *o, struct kv_run_inputs *in, struct kv_launch *l);
int kv_run_daemon(const struct kv_run_opts *o, struct kv_run_inputs *in, struct kv_launch *l,
		  int fd);
#endif
