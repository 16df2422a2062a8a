/* SPDX-License-Identifier: BSD-2-Clause */
/* The part of a session start that needs neither the session's cgroup nor
 * its maps, done on a thread while the daemon's main thread makes those and
 * seals the genesis (a disk flush): the client's file rules planned (with
 * the client's file-system identity for a Landlock plan), their Landlock
 * ruleset built (~180 path rules, ~2 ms), the seccomp filter taken from the
 * daemon's cache (a 3-4 ms compile on a miss). The main thread waits for the
 * plan alone before it writes the rules and the genesis, and for the rest
 * before it answers. */
#ifndef KV_START_HELPER_H
#define KV_START_HELPER_H
#include <pthread.h>
#include <stdbool.h>
#include "daemon/fs_identity.h"
#include "run/privs.h"

struct kv_run_inputs;
struct kv_seccomp_cache;
struct kv_seccomp_prog;

struct kv_start_helper {
	/* in: the file rules to plan (plan_files false: none) into in->files */
	bool plan_files, lsm;
	int landlock_abi;
	struct kv_run_inputs *in; /* in->files written by the helper, read after the plan */
	struct kv_identity who;
	const char *binary;
	struct kv_fs_identity as; /* the client's, for a Landlock plan and ruleset */
	/* in: the filter (handoff_fd < 0: none) */
	struct kv_seccomp_cache *filters; /* touched by this thread alone until joined */
	int handoff_fd;
	/* out: once planned */
	int plan_err;
	char plan_msg[512];
	/* out: once joined */
	int rfd; /* the ruleset, or -1 */
	struct kv_seccomp_prog *prog;
	char err[256];
	/* the thread */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool planned, running;
};

/* Starts the work (inline when no thread can be made). */
void kv_start_helper_start(struct kv_start_helper *h);
/* Waits for the file rules: 0, or the planning's error (plan_msg says it). */
int kv_start_helper_planned(struct kv_start_helper *h);
void kv_start_helper_join(struct kv_start_helper *h);
/* Joins, closes the ruleset and frees the filter if they were not taken. */
void kv_start_helper_free(struct kv_start_helper *h);
#endif
