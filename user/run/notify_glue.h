/* SPDX-License-Identifier: BSD-2-Clause */
/* The NOTIFY supervisor's decisions become NOTIFY_DECISION receipts. */
#ifndef KV_NOTIFY_GLUE_H
#define KV_NOTIFY_GLUE_H
#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

struct kv_launch;
struct kv_notify_glue;

/* Where a decision's receipt fields go (consumed): the embedded runtime's
 * chain, or the daemon over the control socket. */
typedef void (*kv_notify_seal_fn)(void *ctx, struct json_object *fields);

/* Takes over listener_fd. NULL if the supervisor could not start (then the
 * fd is closed and NOTIFY calls fail with ENOSYS: the agent never hangs). */
struct kv_notify_glue *kv_notify_glue_start(int listener_fd, const struct kv_launch *l, bool ask,
					    kv_notify_seal_fn seal, void *ctx);
void kv_notify_glue_stop(struct kv_notify_glue *g);
#endif
