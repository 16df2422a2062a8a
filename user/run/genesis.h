/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef KV_GENESIS_H
#define KV_GENESIS_H
#include <json-c/json.h>

struct kv_run_inputs;
struct kv_session_info;
struct kv_launch;
struct kv_features;

/* The SESSION_START fields: who, what, with which inputs and hashes, and
 * which mechanism enforces each rule class on this kernel. */
struct json_object *kv_run_genesis(const struct kv_run_inputs *in, const struct kv_session_info *s,
				   const struct kv_launch *l, char *const *argv,
				   const struct kv_features *f);
#endif
