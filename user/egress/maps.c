// SPDX-License-Identifier: BSD-2-Clause
/* Compiled entries <-> the session's entries in kv_egress_lpm/unix/stat. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "egress/egress.h"

void kv_egress_key_make(struct kv_egress_key *k, uint64_t session, const uint8_t addr[16],
			uint8_t prefix)
{
	memset(k, 0, sizeof(*k));
	k->prefixlen = KV_EGRESS_SESSION_BITS + prefix;
	k->session_lo = (uint32_t)session;
	k->session_hi = (uint32_t)(session >> 32);
	memcpy(k->addr, addr, 16);
}

void kv_egress_ukey_make(struct kv_egress_ukey *k, uint64_t session,
			 const struct kv_egress_uentry *u)
{
	memset(k, 0, sizeof(*k));
	k->prefixlen = KV_EGRESS_SESSION_BITS + 8 * u->nbytes;
	k->session_lo = (uint32_t)session;
	k->session_hi = (uint32_t)(session >> 32);
	memcpy(k->path, u->path, u->nbytes);
}

static uint64_t key_session(uint32_t lo, uint32_t hi)
{
	return (uint64_t)hi << 32 | lo;
}

/* Collects the keys of one session (keys must not change while walking,
 * so deletion happens after). */
static int collect_keys(int fd, size_t ksize, uint64_t session, void **out, size_t *n)
{
	size_t cap = 64, cnt = 0;
	uint8_t *keys = malloc(cap * ksize), *prev = NULL;
	uint8_t cur[sizeof(struct kv_egress_ukey)];
	int err;

	if (!keys)
		return -ENOMEM;
	for (;;) {
		const struct kv_egress_key *k = (const void *)cur; /* same head in both */

		err = bpf_map_get_next_key(fd, prev, cur);
		if (err) {
			err = errno == ENOENT ? 0 : -errno;
			break;
		}
		if (key_session(k->session_lo, k->session_hi) == session) {
			if (cnt == cap) {
				uint8_t *nk = realloc(keys, cap * 2 * ksize);

				if (!nk) {
					err = -ENOMEM;
					break;
				}
				keys = nk;
				cap *= 2;
			}
			memcpy(keys + cnt * ksize, cur, ksize);
			cnt++;
		}
		if (!prev)
			prev = malloc(ksize);
		if (!prev) {
			err = -ENOMEM;
			break;
		}
		memcpy(prev, cur, ksize);
	}
	free(prev);
	if (err) {
		free(keys);
		return err;
	}
	*out = keys;
	*n = cnt;
	return 0;
}

static int delete_session(int fd, size_t ksize, uint64_t session)
{
	void *keys;
	size_t n, i;
	int err, removed = 0;

	if (fd < 0)
		return 0;
	err = collect_keys(fd, ksize, session, &keys, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++)
		if (!bpf_map_delete_elem(fd, (uint8_t *)keys + i * ksize))
			removed++;
	free(keys);
	return removed;
}

int kv_egress_remove(const struct kv_egress_maps *m, uint64_t session)
{
	int a, b;

	a = delete_session(m->lpm_fd, sizeof(struct kv_egress_key), session);
	if (a < 0)
		return a;
	b = delete_session(m->unix_fd, sizeof(struct kv_egress_ukey), session);
	if (b < 0)
		return b;
	if (m->stat_fd >= 0)
		bpf_map_delete_elem(m->stat_fd, &session);
	return a + b;
}

int kv_egress_apply(const struct kv_egress_maps *m, uint64_t session,
		    const struct kv_egress_compiled *c)
{
	struct kv_egress_stats zero = { 0 };
	size_t i, j, nu = 0;
	int err = 0;

	for (i = 0; i < c->n; i++) {
		struct kv_egress_key k;

		kv_egress_key_make(&k, session, c->e[i].addr, c->e[i].prefix);
		if (bpf_map_update_elem(m->lpm_fd, &k, &c->e[i].val, BPF_NOEXIST)) {
			err = -errno;
			goto undo;
		}
	}
	if (c->nu && m->unix_fd < 0) {
		err = -ENOENT;
		goto undo;
	}
	for (nu = 0; nu < c->nu; nu++) {
		struct kv_egress_ukey k;

		kv_egress_ukey_make(&k, session, &c->u[nu]);
		if (bpf_map_update_elem(m->unix_fd, &k, &c->u[nu].val, BPF_NOEXIST)) {
			err = -errno;
			goto undo;
		}
	}
	if (m->stat_fd >= 0)
		bpf_map_update_elem(m->stat_fd, &session, &zero, BPF_ANY);
	return 0;
undo:
	for (j = 0; j < i; j++) {
		struct kv_egress_key k;

		kv_egress_key_make(&k, session, c->e[j].addr, c->e[j].prefix);
		bpf_map_delete_elem(m->lpm_fd, &k);
	}
	for (j = 0; j < nu; j++) {
		struct kv_egress_ukey k;

		kv_egress_ukey_make(&k, session, &c->u[j]);
		bpf_map_delete_elem(m->unix_fd, &k);
	}
	return err;
}

int kv_egress_policy_apply(const struct kv_egress_maps *m, uint64_t session,
			   const struct kv_egress_policy *p, char *err, size_t errlen)
{
	struct kv_egress_compiled c;
	int ret;

	ret = kv_egress_compile(p, &c, err, errlen);
	if (ret)
		return ret;
	ret = kv_egress_apply(m, session, &c);
	if (ret && err)
		snprintf(err, errlen,
			 "egress: writing %zu allowlist entries for session %llu failed: %s%s", c.n,
			 (unsigned long long)session, strerror(-ret),
			 ret == -E2BIG || ret == -ENOSPC || ret == -ENOMEM
				 ? " (kv_egress_lpm is full: raise the egress map size)"
				 : "");
	kv_egress_compiled_free(&c);
	return ret;
}

int kv_egress_put(const struct kv_egress_maps *m, uint64_t session,
		  const struct kv_egress_entry *e)
{
	struct kv_egress_val v = e->val;
	struct kv_egress_key k;

	v.prefix = e->prefix;
	kv_egress_key_make(&k, session, e->addr, e->prefix);
	return bpf_map_update_elem(m->lpm_fd, &k, &v, BPF_ANY) ? -errno : 0;
}

int kv_egress_lookup(const struct kv_egress_maps *m, uint64_t session, const uint8_t addr[16],
		     uint8_t prefix, struct kv_egress_val *val)
{
	struct kv_egress_key k;

	kv_egress_key_make(&k, session, addr, prefix);
	return bpf_map_lookup_elem(m->lpm_fd, &k, val) ? -errno : 0;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct kv_egress_entry *x = a, *y = b;
	int c = memcmp(x->addr, y->addr, 16);

	if (c)
		return c;
	return x->prefix < y->prefix ? -1 : x->prefix > y->prefix;
}

static int uentry_cmp(const void *a, const void *b)
{
	const struct kv_egress_uentry *x = a, *y = b;
	int c = memcmp(x->path, y->path, sizeof(x->path));

	if (c)
		return c;
	return x->nbytes < y->nbytes ? -1 : x->nbytes > y->nbytes;
}

int kv_egress_read(const struct kv_egress_maps *m, uint64_t session, struct kv_egress_compiled *c)
{
	void *keys = NULL;
	size_t n = 0, i;
	int err;

	memset(c, 0, sizeof(*c));
	err = collect_keys(m->lpm_fd, sizeof(struct kv_egress_key), session, &keys, &n);
	if (err)
		return err;
	c->e = calloc(n ? n : 1, sizeof(*c->e));
	if (!c->e) {
		free(keys);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		const struct kv_egress_key *k = (const struct kv_egress_key *)keys + i;
		struct kv_egress_entry *e = &c->e[c->n];

		if (bpf_map_lookup_elem(m->lpm_fd, k, &e->val))
			continue; /* removed meanwhile */
		memcpy(e->addr, k->addr, 16);
		e->prefix = (uint8_t)(k->prefixlen - KV_EGRESS_SESSION_BITS);
		c->n++;
	}
	free(keys);
	qsort(c->e, c->n, sizeof(*c->e), entry_cmp);
	if (m->unix_fd < 0)
		return 0;
	err = collect_keys(m->unix_fd, sizeof(struct kv_egress_ukey), session, &keys, &n);
	if (err) {
		kv_egress_compiled_free(c);
		return err;
	}
	c->u = calloc(n ? n : 1, sizeof(*c->u));
	if (!c->u) {
		free(keys);
		kv_egress_compiled_free(c);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		const struct kv_egress_ukey *k = (const struct kv_egress_ukey *)keys + i;
		struct kv_egress_uentry *u = &c->u[c->nu];

		if (bpf_map_lookup_elem(m->unix_fd, k, &u->val))
			continue;
		memcpy(u->path, k->path, sizeof(u->path));
		u->nbytes = (k->prefixlen - KV_EGRESS_SESSION_BITS) / 8;
		c->nu++;
	}
	free(keys);
	qsort(c->u, c->nu, sizeof(*c->u), uentry_cmp);
	return 0;
}

/* ---- JSON ---- */

static void range_json(struct json_object *arr, const struct kv_egress_range *r)
{
	struct json_object *o = json_object_new_object();
	struct json_object *protos = json_object_new_array();

	json_object_object_add(o, "port_lo", json_object_new_int(r->lo));
	json_object_object_add(o, "port_hi", json_object_new_int(r->hi));
	if (r->protos & KV_EGRESS_P_TCP)
		json_object_array_add(protos, json_object_new_string("tcp"));
	if (r->protos & KV_EGRESS_P_UDP)
		json_object_array_add(protos, json_object_new_string("udp"));
	json_object_object_add(o, "protocols", protos);
	json_object_object_add(o, "essential",
			       json_object_new_boolean(!!(r->flags & KV_EGRESS_F_ESSENTIAL)));
	if (r->flags & KV_EGRESS_F_DNS)
		json_object_object_add(o, "expires", json_object_new_int64(r->expires));
	json_object_array_add(arr, o);
}

/* The unix path in display form: "/path", "/dir/" (prefix), "@name", "@*". */
void kv_egress_upath_str(const struct kv_egress_uentry *u, char *buf, size_t len)
{
	size_t n, i;

	if (u->path[0]) {
		snprintf(buf, len, "%.*s", (int)strnlen((const char *)u->path, u->nbytes),
			 (const char *)u->path);
		return;
	}
	if (u->nbytes <= 1) {
		snprintf(buf, len, "@*");
		return;
	}
	n = u->path[1];
	if (len < 2)
		return;
	buf[0] = '@';
	for (i = 0; i < n && i + 2 < len; i++)
		buf[i + 1] = u->path[2 + i] ? (char)u->path[2 + i] : '@';
	buf[i + 1] = 0;
}

struct json_object *kv_egress_compiled_json(const struct kv_egress_compiled *c)
{
	struct json_object *o = json_object_new_object();
	struct json_object *net = json_object_new_array();
	struct json_object *ux = json_object_new_array();
	char a[INET6_ADDRSTRLEN], pfx[INET6_ADDRSTRLEN + 8], path[KV_EGRESS_UNIX_PATH + 2];
	size_t i, j;

	for (i = 0; i < c->n; i++) {
		const struct kv_egress_entry *e = &c->e[i];
		struct json_object *eo = json_object_new_object();
		struct json_object *ranges = json_object_new_array();

		if (e->prefix >= 96 && kv_egress_is_v4(e->addr))
			snprintf(pfx, sizeof(pfx), "%s/%u",
				 inet_ntop(AF_INET, e->addr + 12, a, sizeof(a)), e->prefix - 96);
		else
			snprintf(pfx, sizeof(pfx), "%s/%u",
				 inet_ntop(AF_INET6, e->addr, a, sizeof(a)), e->prefix);
		json_object_object_add(eo, "prefix", json_object_new_string(pfx));
		for (j = 0; j < e->val.n_ranges && j < KV_EGRESS_MAX_RANGES; j++)
			range_json(ranges, &e->val.r[j]);
		json_object_object_add(eo, "ranges", ranges);
		json_object_array_add(net, eo);
	}
	for (i = 0; i < c->nu; i++) {
		struct json_object *uo = json_object_new_object();

		kv_egress_upath_str(&c->u[i], path, sizeof(path));
		json_object_object_add(uo, "path", json_object_new_string(path));
		json_object_object_add(
			uo, "prefix",
			json_object_new_boolean(!!(c->u[i].val.flags & KV_EGRESS_F_PREFIX)));
		json_object_object_add(
			uo, "essential",
			json_object_new_boolean(!!(c->u[i].val.flags & KV_EGRESS_F_ESSENTIAL)));
		json_object_array_add(ux, uo);
	}
	json_object_object_add(o, "net", net);
	json_object_object_add(o, "unix", ux);
	return o;
}
