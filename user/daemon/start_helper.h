/* SPDX-License-Identifier: BSD-2-Clause */
/* The part of a session start that needs neither the session's cgroup nor
 * its genesis, done on a thread while the daemon's main thread makes those
 * (and waits for the genesis to reach the disk): the Landlock ruleset of
 * the client's agent (~180 path rules, ~2 ms) and its seccomp filter (from
 * the daemon's cache; a 3-4 ms compile on a miss). */
#ifndef KV_START_HELPER_H
#define KV_START_HELPER_H
#include <pthread.h>
#include <stdbool.h>
#include "daemon/fs_identity.h"

struct kv_landlock_plan;
struct kv_seccomp_cache;
struct kv_seccomp_prog;
struct kv_profile;

struct kv_start_helper {
	/* in */
	const struct kv_landlock_plan *plan; /* NULL: no ruleset */
	struct kv_fs_identity as; /* the client's: the ruleset's paths opened as it */
	bool has_as;
	struct kv_seccomp_cache *filters;    /* touched by this thread alone until joined */
	const struct kv_profile *profile;
	int handoff_fd; /* < 0: no filter */
	/* out, once joined */
	int rfd; /* the ruleset, or -1 */
	struct kv_seccomp_prog *prog;
	char err[256];
	/* the thread */
	pthread_t thread;
	bool running;
};

/* Starts the work (inline when no thread can be made). */
void kv_start_helper_start(struct kv_start_helper *h);
void kv_start_helper_join(struct kv_start_helper *h);
/* Joins, closes the ruleset and frees the filter if they were not taken. */
void kv_start_helper_free(struct kv_start_helper *h);
#endif
