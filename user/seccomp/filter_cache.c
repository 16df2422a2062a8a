// SPDX-License-Identifier: BSD-2-Clause
/* The daemon's compiled filters, by kv_seccomp_key: each distinct profile
 * (with its handoff fd) is compiled once per daemon. Entries are copies with
 * their own digest, checked on every use. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "common/log.h"
#include "seccomp/seccomp_int.h"

struct entry {
	struct kv_seccomp_prog *prog; /* NULL: free slot */
	uint8_t digest[KV_SHA256_LEN];
	uint64_t used;		      /* tick of the last use */
};

struct kv_seccomp_cache {
	struct entry e[KV_SECCOMP_CACHE_MAX];
	uint64_t tick, compiled, corrupted;
};

int kv_seccomp_cache_new(struct kv_seccomp_cache **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

static void entry_drop(struct entry *e)
{
	kv_seccomp_prog_free(e->prog);
	memset(e, 0, sizeof(*e));
}

static struct entry *find(struct kv_seccomp_cache *c, const char *key)
{
	size_t i;

	for (i = 0; i < KV_SECCOMP_CACHE_MAX; i++)
		if (c->e[i].prog && !strcmp(c->e[i].prog->key, key))
			return &c->e[i];
	return NULL;
}

/* A free slot, else the least recently used one. */
static struct entry *take_slot(struct kv_seccomp_cache *c)
{
	struct entry *lru = &c->e[0];
	size_t i;

	for (i = 0; i < KV_SECCOMP_CACHE_MAX; i++) {
		if (!c->e[i].prog)
			return &c->e[i];
		if (c->e[i].used < lru->used)
			lru = &c->e[i];
	}
	entry_drop(lru);
	return lru;
}

int kv_seccomp_cache_prepare(struct kv_seccomp_cache *c, const struct kv_profile *p,
			     int handoff_sock, struct kv_seccomp_prog **out)
{
	uint8_t digest[KV_SHA256_LEN];
	char key[KV_SHA256_HEX];
	struct kv_seccomp_prog *fresh;
	struct entry *e;
	int rc;

	*out = NULL;
	rc = kv_seccomp_key(p, handoff_sock, key);
	if (rc)
		return rc;
	e = find(c, key);
	if (e) {
		rc = kv_seccomp_prog_digest(e->prog, digest);
		if (!rc && !memcmp(digest, e->digest, sizeof(digest))) {
			e->used = ++c->tick;
			return kv_seccomp_prog_copy(e->prog, p, handoff_sock, out);
		}
		kv_warn("seccomp", "cached filter %.16s... no longer matches its digest: "
				   "dropped, compiling again", key);
		c->corrupted++;
		entry_drop(e);
	}
	rc = kv_seccomp_prepare(p, handoff_sock, &fresh);
	if (rc)
		return rc;
	c->compiled++;
	e = take_slot(c);
	/* the cache's copy is only ever copied from, never loaded: no profile */
	if (!kv_seccomp_prog_copy(fresh, NULL, handoff_sock, &e->prog) &&
	    !kv_seccomp_prog_digest(e->prog, e->digest))
		e->used = ++c->tick;
	else
		entry_drop(e); /* out of memory: this one is simply not cached */
	*out = fresh;
	return 0;
}

void kv_seccomp_cache_stats(const struct kv_seccomp_cache *c, uint64_t *compiled,
			    uint64_t *corrupted)
{
	*compiled = c->compiled;
	*corrupted = c->corrupted;
}

struct sock_filter *kv_seccomp_cache_peek(struct kv_seccomp_cache *c, const struct kv_profile *p,
					  int handoff_sock, size_t *n)
{
	char key[KV_SHA256_HEX];
	struct entry *e;

	*n = 0;
	if (kv_seccomp_key(p, handoff_sock, key) || !(e = find(c, key)))
		return NULL;
	*n = e->prog->n_main;
	return e->prog->main;
}

void kv_seccomp_cache_free(struct kv_seccomp_cache *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < KV_SECCOMP_CACHE_MAX; i++)
		entry_drop(&c->e[i]);
	free(c);
}
