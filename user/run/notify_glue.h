/* SPDX-License-Identifier: BSD-2-Clause */
/* The NOTIFY supervisor's decisions become NOTIFY_DECISION receipts. */
#ifndef KV_NOTIFY_GLUE_H
#define KV_NOTIFY_GLUE_H
#include <stdbool.h>
#include <stdint.h>

struct kv_runtime;
struct kv_launch;
struct kv_notify_glue;

/* Takes over listener_fd. NULL if the supervisor could not start (then the
 * fd is closed and NOTIFY calls fail with ENOSYS: the agent never hangs). */
struct kv_notify_glue *kv_notify_glue_start(int listener_fd, struct kv_runtime *rt,
					    uint64_t session, const struct kv_launch *l, bool ask);
void kv_notify_glue_stop(struct kv_notify_glue *g);
#endif
