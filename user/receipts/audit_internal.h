/* SPDX-License-Identifier: BSD-2-Clause */
/* Pieces of the audit shared between its files. */
#ifndef KV_AUDIT_INTERNAL_H
#define KV_AUDIT_INTERNAL_H
#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>
#include "receipts/receipts.h"

/* A canonical payload as a json-c object (NULL when it is not an object). */
struct json_object *kv_audit_parse_payload(const char *p, size_t n);
/* Rebuilds the profile from the genesis's inputs and compares its hash with the
 * genesis's profile_sha256 (fills res->profile_*). Returns true on drift, with
 * the explanation in why; false when they match or the genesis records no profile. */
bool kv_audit_profile(struct json_object *genesis, struct kv_audit_result *res, char *why,
		      size_t len);
/* A list of session ids without duplicates (kv_audit_ids_free frees v). */
struct kv_ids {
	char **v;
	size_t n, cap;
};
int kv_ids_add(struct kv_ids *s, const char *id, size_t len);
long kv_ids_find(const struct kv_ids *s, const char *id, size_t len);
#endif
