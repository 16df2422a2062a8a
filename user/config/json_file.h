/* SPDX-License-Identifier: BSD-2-Clause */
/* Strict JSON files for configuration and profiles: a syntax error names
 * "FILE:LINE:COL", and helpers name a member by its path ("seccomp.allow[2]"). */
#ifndef KV_JSON_FILE_H
#define KV_JSON_FILE_H
#include <stddef.h>
#include <json-c/json.h>

#define KV_JSON_MAX_FILE (4u << 20)

/* Parses text (len bytes) strictly; nothing but white space may follow the
 * value. err gets "SOURCE:LINE:COL: problem". 0 or -EINVAL. */
int kv_json_parse(const char *text, size_t len, const char *source, struct json_object **out,
		  char *err, size_t errlen);
/* Reads path (at most KV_JSON_MAX_FILE bytes) and parses it. If text is not
 * NULL it receives the malloc'd bytes. 0, -errno of open/read, -EFBIG, -EINVAL. */
int kv_json_load_file(const char *path, struct json_object **out, char **text, size_t *len,
		      char *err, size_t errlen);
/* "string", "integer", ... for "expected X, got Y" messages. */
const char *kv_json_type_name(struct json_object *o);
#endif
