/* SPDX-License-Identifier: BSD-2-Clause */
/* Canonical JSON: object keys sorted bytewise, no insignificant white space,
 * integers only (no floats), strings with the minimal escapes of RFC 8259
 * (\" \\ \b \f \n \r \t, other control bytes as \u00XX, everything else
 * raw UTF-8). What profiles and receipts hash; specified in docs/receipts.md. */
#ifndef KV_CANON_JSON_H
#define KV_CANON_JSON_H
#include <stddef.h>
#include <json-c/json.h>

/* Returns a malloc'd NUL-terminated string, or NULL with errno set
 * (EINVAL for a double value, ENOMEM). */
char *kv_json_canonical(struct json_object *o, size_t *len);
#endif
