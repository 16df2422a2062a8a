/* SPDX-License-Identifier: BSD-2-Clause */
/* Real-kernel test fixture: a throwaway agents root and session cgroup,
 * every BPF object loaded and attached to it, the session registered in
 * the maps, children run inside it, ring-buffer events collected as the
 * receipt fields they would become. */
#ifndef KV_FIXTURE_H
#define KV_FIXTURE_H
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>
#include "kv_session.h"
#include "session/session.h"

struct kv_bpf;
struct kv_events;

struct kv_fixture {
	struct kv_bpf *bpf;
	struct kv_events *ev;
	struct kv_session_info s;
	struct kv_session policy;
	char agents_root[PATH_MAX];
	int cgfd;
	struct json_object *events; /* array of {"type": T, "session": id, "fields": {...}} */
};

/* Needs root. Skips the test (with the reason) when the kernel cannot load
 * the objects at all; pol/sp may be NULL (defaults, everything allowed). */
bool kv_fixture_setup(struct kv_fixture *f, const struct kv_session *pol,
		      const struct kv_syscall_policy *sp);
void kv_fixture_teardown(struct kv_fixture *f);
/* fn(arg) in a forked child inside the session cgroup (or a sub-cgroup
 * path relative to it when sub != NULL). Returns the child's exit status,
 * 128+sig if killed, -1 on fork failure. */
int kv_fixture_run(struct kv_fixture *f, const char *sub, int (*fn)(void *), void *arg);
/* The same, outside every session. */
int kv_run_outside(int (*fn)(void *), void *arg);
/* Consume the ring buffer into f->events; returns the number of events. */
int kv_fixture_collect(struct kv_fixture *f);
/* n-th (0-based) collected event of a receipt type, or NULL. */
struct json_object *kv_fixture_event(struct kv_fixture *f, const char *type, int nth);
int kv_fixture_count(struct kv_fixture *f, const char *type);
/* Field of an event's fields object (NULL if absent). */
const char *kv_ev_str(struct json_object *ev, const char *field);
long long kv_ev_int(struct json_object *ev, const char *field);
/* Runs a shell command; returns its exit status (128+N for signal N) and,
 * when out is not NULL, up to len-1 bytes of its stdout (always drained). */
int kv_sh(char *out, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* All syscalls allowed in the bitmap except the listed numbers (-1 ends). */
void kv_policy_allow_all_but(struct kv_syscall_policy *sp, const int *denied);
#endif
