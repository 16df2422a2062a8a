// SPDX-License-Identifier: BSD-2-Clause
/* At start-up: sessions whose writer died (no "end" in the index) are audited
 * and reported — a torn last line included — and never repaired: the chain
 * file stays exactly as the crash left it. */
#include <errno.h>
#include <string.h>
#include <time.h>
#include "common/log.h"
#include "receipts/audit_internal.h"
#include "receipts/receipts.h"
#include "receipts/store.h"

struct open_sessions {
	struct kv_ids started, finished;
};

static int index_event(void *ctx, struct json_object *rec)
{
	struct open_sessions *s = ctx;
	struct json_object *ev, *id;
	const char *e;

	if (!json_object_object_get_ex(rec, "event", &ev) ||
	    !json_object_object_get_ex(rec, "session", &id) ||
	    !kv_session_id_valid(json_object_get_string(id)))
		return 0;
	e = json_object_get_string(ev);
	if (!strcmp(e, "start"))
		return kv_ids_add(&s->started, json_object_get_string(id),
				  (size_t)json_object_get_string_len(id));
	if (!strcmp(e, "end") || !strcmp(e, "unfinished"))
		return kv_ids_add(&s->finished, json_object_get_string(id),
				  (size_t)json_object_get_string_len(id));
	return 0;
}

static void mark_unfinished(const char *state_dir, const struct kv_audit_result *r)
{
	struct json_object *o = json_object_new_object();
	struct timespec ts;
	int err;

	clock_gettime(CLOCK_REALTIME, &ts);
	json_object_object_add(o, "event", json_object_new_string("unfinished"));
	json_object_object_add(o, "session", json_object_new_string(r->session));
	json_object_object_add(o, "verdict", json_object_new_string(kv_verdict_name(r->verdict)));
	json_object_object_add(o, "bad_seq",
			       r->has_bad_seq ? json_object_new_uint64(r->bad_seq) : NULL);
	json_object_object_add(o, "reason", json_object_new_string(r->reason));
	json_object_object_add(
	    o, "wall_ns",
	    json_object_new_uint64((uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec));
	err = kv_store_index_append(state_dir, o, true);
	if (err)
		kv_warn("receipts", "cannot record unfinished session %s in the index: %s",
			r->session, strerror(-err));
	json_object_put(o);
}

int kv_chain_check_unfinished(const char *state_dir, const char *pubkey_path, unsigned *found)
{
	struct open_sessions s = {0};
	struct kv_audit_result r;
	const char *id;
	size_t i;
	int err, e;

	*found = 0;
	err = kv_store_index_for_each(state_dir, index_event, &s);
	for (i = 0; !err && i < s.started.n; i++) {
		id = s.started.v[i];
		if (kv_ids_find(&s.finished, id, strlen(id)) >= 0)
			continue;
		e = kv_audit_session(state_dir, id, pubkey_path, &r);
		if (e)
			kv_warn("receipts", "cannot audit unfinished session %s: %s", id,
				strerror(-e));
		if (e || r.verdict == KV_ACTIVE)
			continue;
		if (r.has_bad_seq)
			kv_warn("receipts", "session %s did not close: %s at seq %llu: %s", id,
				kv_verdict_name(r.verdict), (unsigned long long)r.bad_seq,
				r.reason);
		else
			kv_warn("receipts", "session %s did not close: %s: %s", id,
				kv_verdict_name(r.verdict), r.reason);
		mark_unfinished(state_dir, &r);
		(*found)++;
	}
	kv_audit_ids_free(s.started.v, s.started.n);
	kv_audit_ids_free(s.finished.v, s.finished.n);
	return err;
}
