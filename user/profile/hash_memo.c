// SPDX-License-Identifier: BSD-2-Clause
/* kv_profile_hash remembered per profile content. The hash is SHA-256 over
 * the profile's canonical OCI JSON, and building that JSON is ~0.4 ms: the
 * daemon paid it for every session's genesis although its sessions use a
 * handful of profiles. A fingerprint over every field the JSON is made from
 * (~10 us) finds an earlier answer; anything else is hashed as before. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "common/sha256.h"
#include "profile/profile_int.h"

#define MEMO_SLOTS 16

struct fp_buf {
	uint8_t *p;
	size_t len, cap;
	bool oom;
};

static void put(struct fp_buf *b, const void *d, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 16384;
		uint8_t *np;

		while (cap < b->len + n)
			cap *= 2;
		np = realloc(b->p, cap);
		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

static void put_u64(struct fp_buf *b, uint64_t v)
{
	put(b, &v, sizeof(v));
}

/* strings with their length: no two lists serialise alike */
static void put_strs(struct fp_buf *b, const char *const *v, size_t n)
{
	size_t i;

	put_u64(b, n);
	for (i = 0; i < n; i++) {
		size_t l = v[i] ? strlen(v[i]) : 0;

		put_u64(b, l);
		put(b, v[i], l);
	}
}

static int fingerprint(const struct kv_profile *p, uint8_t out[KV_SHA256_LEN])
{
	struct fp_buf b = { 0 };
	size_t i;
	int a, rc;

	put_u64(&b, p->origin);
	put_u64(&b, p->in.trust_mask);
	put_u64(&b, p->in.domain);
	put_u64(&b, p->in.depth);
	put_u64(&b, p->in.strict_exec);
	put_strs(&b, p->in.extra_allow, p->in.n_extra_allow);
	put_strs(&b, p->in.extra_deny, p->in.n_extra_deny);
	put_u64(&b, p->default_action);
	put_u64(&b, p->readonly | p->launch_exec << 1 | p->writes_supervised << 2);
	put(&b, p->source_sha256, sizeof(p->source_sha256));
	put_strs(&b, (const char *const *)p->skipped, p->n_skipped);
	put_u64(&b, p->filter_flags);
	put_u64(&b, p->n_rules);
	for (i = 0; i < p->n_rules; i++) {
		put_u64(&b, (uint64_t)(int64_t)p->rules[i].nr);
		put_u64(&b, p->rules[i].action);
		put_u64(&b, p->rules[i].n_args);
		for (a = 0; a < p->rules[i].n_args; a++) {
			put_u64(&b, p->rules[i].args[a].arg);
			put_u64(&b, p->rules[i].args[a].op);
			put_u64(&b, p->rules[i].args[a].a);
			put_u64(&b, p->rules[i].args[a].b);
		}
	}
	rc = b.oom ? -ENOMEM : kv_sha256(b.p, b.len, out);
	free(b.p);
	return rc;
}

static struct {
	pthread_mutex_t lock;
	struct {
		uint8_t fp[KV_SHA256_LEN];
		char hex[65];
		bool used;
	} slot[MEMO_SLOTS];
	unsigned next;
} memo = { .lock = PTHREAD_MUTEX_INITIALIZER };

int kv_profile_hash(const struct kv_profile *p, char hex[65])
{
	uint8_t fp[KV_SHA256_LEN];
	bool have_fp = !fingerprint(p, fp);
	size_t len;
	char *s;
	int rc, i;

	if (have_fp) {
		pthread_mutex_lock(&memo.lock);
		for (i = 0; i < MEMO_SLOTS; i++)
			if (memo.slot[i].used && !memcmp(memo.slot[i].fp, fp, sizeof(fp))) {
				memcpy(hex, memo.slot[i].hex, 65);
				pthread_mutex_unlock(&memo.lock);
				return 0;
			}
		pthread_mutex_unlock(&memo.lock);
	}
	s = kv_profile_canonical(p, &len);
	if (!s)
		return -errno;
	rc = kv_sha256_hex(s, len, hex);
	free(s);
	if (!rc && have_fp) {
		pthread_mutex_lock(&memo.lock);
		i = (int)(memo.next++ % MEMO_SLOTS);
		memcpy(memo.slot[i].fp, fp, sizeof(fp));
		memcpy(memo.slot[i].hex, hex, 65);
		memo.slot[i].used = true;
		pthread_mutex_unlock(&memo.lock);
	}
	return rc;
}
