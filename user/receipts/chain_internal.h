/* SPDX-License-Identifier: BSD-2-Clause */
/* Pieces of the receipt writer shared between its files. */
#ifndef KV_CHAIN_INTERNAL_H
#define KV_CHAIN_INTERNAL_H
#include <stddef.h>
#include <json-c/json.h>

/* fields (NULL: {}) -> malloc'd canonical JSON, checked with the reader's own
 * scanner; strings that are not UTF-8 are repaired ("\xNN" per bad byte).
 * Returns 0, -EINVAL (not an object, a float, nested too deeply), -ENOMEM. */
int kv_chain_payload(struct json_object *fields, char **out, size_t *len);
#endif
