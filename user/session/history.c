// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "events/events.h"
#include "kv_session.h"
#include "receipts/receipts.h"
#include "receipts/store.h"
#include "session/history.h"
#include "session/session.h"

static struct json_object *parse_line(const char *p, size_t n)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o;

	if (!tok)
		return NULL;
	o = json_tokener_parse_ex(tok, p, (int)n);
	json_tokener_free(tok);
	return o;
}

int kv_session_record_load(const char *state_dir, const char *id, struct kv_session_record *r)
{
	char path[4096], *data = NULL, *p, *nl;
	struct json_object *o, *v, *payload;
	size_t len = 0;
	int e;

	memset(r, 0, sizeof(*r));
	snprintf(r->id, sizeof(r->id), "%s", id);
	e = kv_store_session_path(path, sizeof(path), state_dir, id);
	e = e ?: kv_store_read(path, &data, &len);
	if (e)
		return e;
	for (p = data; p < data + len; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(data + len - p));
		if (!nl)
			break; /* a torn last line: audit reports it */
		o = parse_line(p, (size_t)(nl - p));
		if (!o)
			continue;
		r->receipts++;
		if (json_object_object_get_ex(o, "type", &v) &&
		    json_object_object_get_ex(o, "payload", &payload)) {
			const char *t = json_object_get_string(v);

			if (!strcmp(t, "SESSION_START") && !r->genesis) {
				r->genesis = json_object_get(payload);
				if (json_object_object_get_ex(o, "wall_ns", &v))
					r->wall_start_ns = json_object_get_uint64(v);
			} else if (!strcmp(t, "SESSION_END")) {
				json_object_put(r->end);
				r->end = json_object_get(payload);
			}
		}
		json_object_put(o);
	}
	free(data);
	if (!r->genesis)
		return -EBADMSG;
	if (!r->end && json_object_object_get_ex(r->genesis, "cgroup_id", &v))
		r->live = !kv_session_live_lookup(json_object_get_uint64(v), &r->live_policy,
						  &r->live_state);
	return 0;
}

void kv_session_record_free(struct kv_session_record *r)
{
	json_object_put(r->genesis);
	json_object_put(r->end);
	memset(r, 0, sizeof(*r));
}

int kv_session_find_agent(const char *state_dir, const char *name, char *id, size_t len)
{
	struct kv_session_record r;
	char **ids = NULL;
	size_t n = 0, i;
	int e = kv_audit_list_sessions(state_dir, &ids, &n);

	if (e)
		return e;
	e = -ENOENT;
	/* newest first: ids sort by their start time */
	for (i = n; i-- > 0 && e;) {
		struct json_object *b;
		const char *base;

		if (kv_session_record_load(state_dir, ids[i], &r))
			continue;
		if (json_object_object_get_ex(r.genesis, "binary", &b)) {
			base = strrchr(json_object_get_string(b), '/');
			base = base ? base + 1 : json_object_get_string(b);
			if (!strcmp(base, name)) {
				snprintf(id, len, "%s", ids[i]);
				e = 0;
			}
		}
		kv_session_record_free(&r);
	}
	kv_audit_ids_free(ids, n);
	return e;
}

static void copy_member(struct json_object *dst, struct json_object *src, const char *k)
{
	struct json_object *v;

	if (src && json_object_object_get_ex(src, k, &v))
		json_object_object_add(dst, k, json_object_get(v));
}

struct json_object *kv_session_record_json(const struct kv_session_record *r)
{
	static const char *const gkeys[] = { "binary", "argv", "trust_mask", "domain", "depth",
					     "strict_exec", "profile_sha256", "egress_sha256",
					     "agent_uid", "cgroup", "enforcement" };
	struct json_object *o = json_object_new_object(), *c;
	size_t i;
	int k;

	json_object_object_add(o, "session_id", json_object_new_string(r->id));
	json_object_object_add(o, "state", json_object_new_string(r->live ? "live" : r->end ? "ended" : "unfinished"));
	json_object_object_add(o, "started_wall_ns", json_object_new_uint64(r->wall_start_ns));
	json_object_object_add(o, "receipts", json_object_new_uint64(r->receipts));
	for (i = 0; i < sizeof(gkeys) / sizeof(gkeys[0]); i++)
		copy_member(o, r->genesis, gkeys[i]);
	if (r->live) {
		c = json_object_new_object();
		for (k = 0; k < KV_CLASS_MAX; k++)
			json_object_object_add(c, kv_class_name(k), json_object_new_uint64(r->live_state.counts[k]));
		json_object_object_add(o, "gate", json_object_new_string(kv_gate_name(r->live_state.gate)));
		json_object_object_add(o, "violations", c);
		json_object_object_add(o, "total", json_object_new_uint64(r->live_state.total));
		json_object_object_add(o, "events_lost", json_object_new_uint64(r->live_state.events_lost));
		c = json_object_new_object();
		json_object_object_add(c, "throttle", json_object_new_int64(r->live_policy.thr_throttle));
		json_object_object_add(c, "crack", json_object_new_int64(r->live_policy.thr_crack));
		json_object_object_add(c, "lock", json_object_new_int64(r->live_policy.thr_lock));
		json_object_object_add(c, "burst", json_object_new_int64(r->live_policy.burst_count));
		json_object_object_add(c, "burst_window_s",
				       json_object_new_int64((int64_t)(r->live_policy.burst_window_ns / 1000000000ULL)));
		json_object_object_add(o, "thresholds", c);
	} else if (r->end) {
		copy_member(o, r->end, "gate");
		copy_member(o, r->end, "exit_status");
		if (json_object_object_get_ex(r->end, "kernel_counts", &c))
			json_object_object_add(o, "violations", json_object_get(c));
	}
	return o;
}
