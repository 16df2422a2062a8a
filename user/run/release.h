/* SPDX-License-Identifier: BSD-2-Clause */
/* Releasing a gate valve: only a human (root) can, and it is sealed. The
 * writer of the session's chain does it: embedded `run` serves a socket per
 * session (KV_SESSION_SOCK_DIR/<id>.sock), the daemon its control socket. */
#ifndef KV_RELEASE_H
#define KV_RELEASE_H
#include <stdbool.h>
#include <sys/types.h>
#include <json-c/json.h>

#define KV_SESSION_SOCK_DIR "/run/kavachos/sessions"

struct kv_runtime;
struct kv_live;
struct kv_session_server;

/* req: {"op":"release","to":"open|throttled|cracked","kill":bool,"reason":S,
 * "sudo_user":S}; uid is the caller's (SO_PEERCRED), must be 0.
 * Returns the reply object ({"ok":true,"from":..,"to":..} or {"ok":false,"error":..}). */
struct json_object *kv_release_apply(struct kv_runtime *rt, struct kv_live *lv,
				     struct json_object *req, uid_t uid);

/* Embedded run: serve release requests for one session on its own socket. */
int kv_session_server_start(struct kv_runtime *rt, struct kv_live *lv,
			    struct kv_session_server **out);
void kv_session_server_stop(struct kv_session_server *srv);
#endif
