// SPDX-License-Identifier: BSD-2-Clause
/* Which sessions there are to audit, and an audit result as JSON. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/log.h"
#include "events/events.h"
#include "receipts/audit_internal.h"
#include "receipts/receipts.h"
#include "receipts/store.h"

long kv_ids_find(const struct kv_ids *s, const char *id, size_t len)
{
	size_t i;

	for (i = 0; i < s->n; i++) /* sessions per state dir: thousands at most */
		if (strlen(s->v[i]) == len && !memcmp(s->v[i], id, len))
			return (long)i;
	return -1;
}

int kv_ids_add(struct kv_ids *s, const char *id, size_t len)
{
	if (kv_ids_find(s, id, len) >= 0)
		return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		char **nv = realloc(s->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		s->v = nv;
		s->cap = cap;
	}
	s->v[s->n] = strndup(id, len);
	if (!s->v[s->n])
		return -ENOMEM;
	s->n++;
	return 0;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A session the index says started (in the index's order). */
static int index_start(void *ctx, struct json_object *rec)
{
	struct json_object *ev, *id;

	if (!json_object_object_get_ex(rec, "event", &ev) ||
	    strcmp(json_object_get_string(ev), "start") ||
	    !json_object_object_get_ex(rec, "session", &id) ||
	    !kv_session_id_valid(json_object_get_string(id)))
		return 0;
	return kv_ids_add(ctx, json_object_get_string(id), (size_t)json_object_get_string_len(id));
}

int kv_audit_list_sessions(const char *state_dir, char ***ids, size_t *n)
{
	struct kv_ids s = {0}, files = {0};
	char dir[PATH_MAX];
	struct dirent *de;
	size_t i, len;
	DIR *d;
	int err;

	err = kv_store_path(dir, sizeof(dir), "%s/" KV_SESSIONS_SUBDIR, state_dir);
	if (err)
		return err;
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		len = strlen(de->d_name);
		if (len <= 6 || strcmp(de->d_name + len - 6, ".jsonl") ||
		    !strcmp(de->d_name, KV_INDEX_NAME))
			continue;
		err = kv_ids_add(&files, de->d_name, len - 6);
		if (err)
			break;
	}
	closedir(d);
	if (!err)
		err = kv_store_index_for_each(state_dir, index_start, &s);
	if (files.n)
		qsort(files.v, files.n, sizeof(*files.v), str_cmp);
	for (i = 0; !err && i < files.n; i++)
		err = kv_ids_add(&s, files.v[i], strlen(files.v[i]));
	kv_audit_ids_free(files.v, files.n);
	if (err) {
		kv_audit_ids_free(s.v, s.n);
		return err;
	}
	*ids = s.v;
	*n = s.n;
	return 0;
}

void kv_audit_ids_free(char **ids, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

static struct json_object *class_counts(const uint64_t *v)
{
	struct json_object *o = json_object_new_object();
	unsigned c;

	for (c = 0; c < KV_CLASS_MAX; c++)
		json_object_object_add(o, kv_class_name(c), json_object_new_uint64(v[c]));
	return o;
}

struct json_object *kv_audit_result_json(const struct kv_audit_result *r)
{
	struct json_object *o = json_object_new_object(), *t, *x;
	size_t i;

	json_object_object_add(o, "session", json_object_new_string(r->session));
	json_object_object_add(o, "verdict", json_object_new_string(kv_verdict_name(r->verdict)));
	json_object_object_add(o, "clean", json_object_new_boolean(r->verdict == KV_CLEAN));
	json_object_object_add(o, "bad_seq",
			       r->has_bad_seq ? json_object_new_uint64(r->bad_seq) : NULL);
	json_object_object_add(o, "reason", json_object_new_string(r->reason));
	json_object_object_add(o, "receipts", json_object_new_uint64(r->receipts));
	json_object_object_add(o, "checkpoints", json_object_new_uint64(r->checkpoints));
	json_object_object_add(o, "signed_through",
			       r->signed_any ? json_object_new_uint64(r->signed_through) : NULL);
	json_object_object_add(o, "ended", json_object_new_boolean(r->ended));
	json_object_object_add(o, "key_id",
			       r->key_id[0] ? json_object_new_string(r->key_id) : NULL);
	json_object_object_add(o, "wall_start_ns", json_object_new_uint64(r->wall_start_ns));
	json_object_object_add(o, "wall_end_ns", json_object_new_uint64(r->wall_end_ns));
	t = json_object_new_object();
	for (i = 0; i < r->n_types; i++)
		json_object_object_add(t, r->types[i].type, json_object_new_uint64(r->types[i].n));
	if (r->types_other)
		json_object_object_add(t, "OTHER", json_object_new_uint64(r->types_other));
	json_object_object_add(o, "counts", t);
	x = json_object_new_object();
	json_object_object_add(x, "checked", json_object_new_boolean(r->reconciled));
	if (r->reconciled) {
		json_object_object_add(x, "kernel", class_counts(r->kernel_counts));
		json_object_object_add(x, "sealed", class_counts(r->sealed_counts));
		json_object_object_add(x, "lost_by_class", class_counts(r->lost_class));
		json_object_object_add(x, "lost_unclassified", json_object_new_uint64(r->lost_any));
		json_object_object_add(x, "events_lost", json_object_new_uint64(r->events_lost));
		json_object_object_add(x, "events_suppressed",
				       json_object_new_uint64(r->events_suppressed));
	}
	json_object_object_add(o, "reconciliation", x);
	x = json_object_new_object();
	json_object_object_add(x, "checked", json_object_new_boolean(r->profile_checked));
	if (r->profile_checked) {
		json_object_object_add(x, "sha256", json_object_new_string(r->profile_sha256));
		json_object_object_add(x, "regenerated",
				       r->profile_regenerated[0]
					   ? json_object_new_string(r->profile_regenerated)
					   : NULL);
	}
	json_object_object_add(o, "profile", x);
	return o;
}
