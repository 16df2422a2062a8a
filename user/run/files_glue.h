/* SPDX-License-Identifier: BSD-2-Clause */
/* A session's file/exec rules (user/lsm): in the BPF-LSM maps where the lsm
 * object loaded, else as a Landlock plan the agent's child applies. */
#ifndef KV_FILES_GLUE_H
#define KV_FILES_GLUE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <json-c/json.h>

struct kv_run_inputs;
struct kv_identity;
struct kv_bpf;
struct kv_files_glue;
struct kv_landlock_plan;

/* lsm: the BPF-LSM object is loaded; else a Landlock plan for landlock_abi
 * (0: none, then the rules are not enforced and the genesis says so). */
int kv_files_glue_build(const struct kv_run_inputs *in, const struct kv_identity *id,
			const char *agent_binary, bool lsm, int landlock_abi,
			struct kv_files_glue **out, char *err, size_t errlen);
/* BPF-LSM: write the policy for the session (no-op with Landlock). */
int kv_files_glue_apply(const struct kv_files_glue *g, const struct kv_bpf *b, uint64_t cgid);
/* Strict exec under BPF-LSM: the launch of pid passes once. */
int kv_files_glue_launch(const struct kv_files_glue *g, const struct kv_bpf *b, uint64_t cgid,
			 pid_t pid);
void kv_files_glue_remove(const struct kv_files_glue *g, const struct kv_bpf *b, uint64_t cgid);
/* For the agent's child (NULL with BPF-LSM). */
const struct kv_landlock_plan *kv_files_glue_landlock(const struct kv_files_glue *g);
/* {"policy_sha256", "enforcement": {...}} for the genesis receipt. */
struct json_object *kv_files_glue_json(const struct kv_files_glue *g);
void kv_files_glue_free(struct kv_files_glue *g);
#endif
