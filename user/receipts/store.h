/* SPDX-License-Identifier: BSD-2-Clause */
/* Where receipts live under the state dir, and the file primitives they need.
 *   <state_dir>/sessions/<session-id>.jsonl   one receipt chain per session
 *   <state_dir>/sessions/index.jsonl          start/end/unfinished records
 *   <state_dir>/keys/receipts.ed25519{,.pub}  the checkpoint key pair */
#ifndef KV_RECEIPT_STORE_H
#define KV_RECEIPT_STORE_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <json-c/json.h>

#define KV_STATE_DIR_DEFAULT "/var/lib/kavachos"
#define KV_SESSIONS_SUBDIR   "sessions"
#define KV_KEYS_SUBDIR	     "keys"
#define KV_INDEX_NAME	     "index.jsonl"

/* $KAVACHOS_STATE_DIR, else /var/lib/kavachos. */
const char *kv_state_dir_default(void);

/* snprintf into buf; -ENAMETOOLONG when it does not fit. */
int kv_store_path(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int kv_store_session_path(char *buf, size_t len, const char *state_dir, const char *session);
/* mkdir -p; directories this creates get `mode`. */
int kv_store_mkdirs(const char *path, mode_t mode);
int kv_store_fsync_dir(const char *dir);
/* A whole file, NUL-terminated (len excludes the NUL). */
int kv_store_read(const char *path, char **data, size_t *len);
/* Writes all of buf; on a short write returns the errno (-ENOSPC, -EFBIG...) and
 * *done says how much went out. */
int kv_store_write_all(int fd, const void *buf, size_t len, size_t *done);
/* Appends the canonical JSON of o plus '\n' to the session index (O_APPEND),
 * with fdatasync when sync. */
int kv_store_index_append(const char *state_dir, struct json_object *o, bool sync);
/* fdatasync of the session index (records appended without sync). */
int kv_store_index_sync(const char *state_dir);
/* Calls fn for every record of the session index, in order; a damaged line is
 * reported (kv_warn) and skipped. No index: 0. Stops at fn's first non-zero return. */
int kv_store_index_for_each(const char *state_dir, int (*fn)(void *ctx, struct json_object *rec),
			    void *ctx);
#endif
