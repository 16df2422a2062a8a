/* SPDX-License-Identifier: BSD-2-Clause */
/* One error sink for the whole tool (bpftool's p_err): plain "Error: ..."
 * lines, or {"error": "..."} when --json is on. Log lines carry a fixed
 * feature prefix ("egress: ...") so a reader can grep one feature. */
#ifndef KV_LOG_H
#define KV_LOG_H
#include <stdbool.h>

extern bool kv_json_output; /* set by -j/--json */
extern int kv_verbose;      /* -v: 1, -vv: 2 */

/* The command's error: printed once, JSON-aware. */
void kv_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Diagnostics to stderr, prefixed with the feature name. */
void kv_warn(const char *feature, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void kv_info(const char *feature, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void kv_debug(const char *feature, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#endif
