// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "egress/resolve_cache.h"

struct entry {
	char *name;
	struct kv_egress_addrs a;
	uint64_t expires; /* clock_s() second from which the answer is stale */
};

struct kv_resolve_cache {
	struct kv_resolve_cache_opts o;
	struct entry e[KV_RESOLVE_CACHE_MAX]; /* name NULL: a free slot */
};

static uint64_t monotonic_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec;
}

int kv_resolve_cache_new(const struct kv_resolve_cache_opts *o, struct kv_resolve_cache **out)
{
	struct kv_resolve_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->o = *o;
	if (!c->o.lookup)
		c->o.lookup = kv_egress_resolve_getaddrinfo;
	if (!c->o.clock_s)
		c->o.clock_s = monotonic_s;
	*out = c;
	return 0;
}

static int copy_addrs(const struct kv_egress_addrs *from, struct kv_egress_addrs *to)
{
	memset(to, 0, sizeof(*to));
	to->err = from->err;
	if (!from->n)
		return 0;
	to->addr = malloc(from->n * sizeof(*to->addr));
	if (!to->addr)
		return -ENOMEM;
	memcpy(to->addr, from->addr, from->n * sizeof(*to->addr));
	to->n = from->n;
	return 0;
}

static void entry_clear(struct entry *e)
{
	free(e->name);
	free(e->a.addr);
	memset(e, 0, sizeof(*e));
}

static struct entry *find(struct kv_resolve_cache *c, const char *name)
{
	size_t i;

	for (i = 0; i < KV_RESOLVE_CACHE_MAX; i++)
		if (c->e[i].name && !strcmp(c->e[i].name, name))
			return &c->e[i];
	return NULL;
}

/* A free slot, else the one whose answer goes stale first. */
static struct entry *take_slot(struct kv_resolve_cache *c)
{
	struct entry *victim = &c->e[0];
	size_t i;

	for (i = 0; i < KV_RESOLVE_CACHE_MAX; i++) {
		if (!c->e[i].name)
			return &c->e[i];
		if (c->e[i].expires < victim->expires)
			victim = &c->e[i];
	}
	entry_clear(victim);
	return victim;
}

static void remember(struct kv_resolve_cache *c, struct entry *e, const char *name,
		     const struct kv_egress_addrs *a, uint64_t now)
{
	unsigned secs = a->err && c->o.fail_secs < c->o.ok_secs ? c->o.fail_secs : c->o.ok_secs;

	if (!e) {
		e = take_slot(c);
		e->name = strdup(name);
	} else {
		free(e->a.addr);
		memset(&e->a, 0, sizeof(e->a));
	}
	/* out of memory: the slot stays free rather than half filled */
	if (!e->name || copy_addrs(a, &e->a)) {
		entry_clear(e);
		return;
	}
	e->expires = now + secs;
}

int kv_resolve_cache_lookup(const char *name, struct kv_egress_addrs *out, void *arg)
{
	struct kv_resolve_cache *c = arg;
	struct kv_egress_addrs fresh = { 0 };
	uint64_t now = c->o.clock_s();
	struct entry *e = c->o.ok_secs ? find(c, name) : NULL;
	int ret;

	if (e && now < e->expires)
		return copy_addrs(&e->a, out);
	ret = c->o.lookup(name, &fresh, c->o.lookup_arg);
	if (ret) {
		free(fresh.addr);
		return ret;
	}
	if (c->o.ok_secs)
		remember(c, e, name, &fresh, now);
	*out = fresh;
	return 0;
}

void kv_resolve_cache_free(struct kv_resolve_cache *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < KV_RESOLVE_CACHE_MAX; i++)
		entry_clear(&c->e[i]);
	free(c);
}
