/* SPDX-License-Identifier: BSD-2-Clause */
/* What the receipt store says about a session (its genesis and end), for
 * `profile show` and `sessions`. Reading only: audit is what verifies. */
#ifndef KV_HISTORY_H
#define KV_HISTORY_H
#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

struct kv_session_record {
	char id[129];
	struct json_object *genesis; /* SESSION_START payload (owned) */
	struct json_object *end;     /* SESSION_END payload, NULL while live (owned) */
	uint64_t wall_start_ns;
	uint64_t receipts;
	bool live;                   /* the kernel maps still know it */
	struct kv_session live_policy;
	struct kv_session_state live_state;
};

/* 0, -ENOENT (no such session), -EBADMSG (no readable genesis). */
int kv_session_record_load(const char *state_dir, const char *id, struct kv_session_record *r);
void kv_session_record_free(struct kv_session_record *r);
/* The newest session whose agent binary's base name is name; 0 or -ENOENT. */
int kv_session_find_agent(const char *state_dir, const char *name, char *id, size_t len);
struct json_object *kv_session_record_json(const struct kv_session_record *r);
#endif
