// SPDX-License-Identifier: BSD-2-Clause
/* The daemon's host-name cache: an answer is reused within ok_secs and
 * resolved again after, a failure is reused for at most fail_secs, 0 turns
 * reuse off, and callers always get their own copy. */
#include <netdb.h>
#include <stdlib.h>
#include "egress/resolve_cache.h"
#include "kvtest.h"

struct fake {
	int calls;
	int fail; /* EAI_* to answer with, 0: one address */
	uint8_t last; /* the address's last byte: changes with every call */
};

static uint64_t fake_now;

static uint64_t fake_clock(void)
{
	return fake_now;
}

static int fake_lookup(const char *name, struct kv_egress_addrs *out, void *arg)
{
	struct fake *f = arg;

	(void)name;
	f->calls++;
	if (f->fail) {
		out->err = f->fail;
		return 0;
	}
	out->addr = calloc(1, 16);
	if (!out->addr)
		return -ENOMEM;
	out->addr[0][10] = out->addr[0][11] = 0xff;
	out->addr[0][12] = 192;
	out->addr[0][15] = ++f->last;
	out->n = 1;
	return 0;
}

static int lookup(struct kv_resolve_cache *c, const char *name, struct kv_egress_addrs *a)
{
	free(a->addr);
	memset(a, 0, sizeof(*a));
	return kv_resolve_cache_lookup(name, a, c);
}

KV_TEST(answer_reused_within_window)
{
	struct fake f = { 0 };
	struct kv_resolve_cache_opts o = { .ok_secs = 30, .fail_secs = 5, .lookup = fake_lookup,
					   .lookup_arg = &f, .clock_s = fake_clock };
	struct kv_resolve_cache *c = NULL;
	struct kv_egress_addrs a = { 0 };

	fake_now = 1000;
	if (!ASSERT_OK(kv_resolve_cache_new(&o, &c), "new"))
		return;
	ASSERT_OK(lookup(c, "api.example.com", &a), "first");
	ASSERT_EQ(a.n, 1, "n");
	ASSERT_EQ(a.addr[0][15], 1, "first answer");
	fake_now = 1029;
	ASSERT_OK(lookup(c, "api.example.com", &a), "cached");
	ASSERT_EQ(f.calls, 1, "one lookup");
	ASSERT_EQ(a.addr[0][15], 1, "same answer");
	ASSERT_OK(lookup(c, "other.example.com", &a), "other name");
	ASSERT_EQ(f.calls, 2, "names kept apart");
	fake_now = 1030;
	ASSERT_OK(lookup(c, "api.example.com", &a), "stale");
	ASSERT_EQ(f.calls, 3, "resolved again");
	ASSERT_EQ(a.addr[0][15], 3, "new answer");
	free(a.addr);
	kv_resolve_cache_free(c);
}

KV_TEST(failure_reused_briefly)
{
	struct fake f = { .fail = EAI_AGAIN };
	struct kv_resolve_cache_opts o = { .ok_secs = 30, .fail_secs = 5, .lookup = fake_lookup,
					   .lookup_arg = &f, .clock_s = fake_clock };
	struct kv_resolve_cache *c = NULL;
	struct kv_egress_addrs a = { 0 };

	fake_now = 50;
	if (!ASSERT_OK(kv_resolve_cache_new(&o, &c), "new"))
		return;
	ASSERT_OK(lookup(c, "down.example.com", &a), "first");
	ASSERT_EQ(a.err, EAI_AGAIN, "error recorded");
	fake_now = 54;
	ASSERT_OK(lookup(c, "down.example.com", &a), "cached failure");
	ASSERT_EQ(a.err, EAI_AGAIN, "error copied");
	ASSERT_EQ(f.calls, 1, "no second timeout");
	f.fail = 0;
	fake_now = 55;
	ASSERT_OK(lookup(c, "down.example.com", &a), "retried");
	ASSERT_EQ(f.calls, 2, "after fail_secs");
	ASSERT_EQ(a.err, 0, "resolved now");
	ASSERT_EQ(a.n, 1, "address");
	free(a.addr);
	kv_resolve_cache_free(c);
}

KV_TEST(zero_secs_resolves_every_time)
{
	struct fake f = { 0 };
	struct kv_resolve_cache_opts o = { .ok_secs = 0, .fail_secs = 5, .lookup = fake_lookup,
					   .lookup_arg = &f, .clock_s = fake_clock };
	struct kv_resolve_cache *c = NULL;
	struct kv_egress_addrs a = { 0 };
	int i;

	fake_now = 7;
	if (!ASSERT_OK(kv_resolve_cache_new(&o, &c), "new"))
		return;
	for (i = 0; i < 3; i++)
		ASSERT_OK(lookup(c, "api.example.com", &a), "lookup");
	ASSERT_EQ(f.calls, 3, "no reuse");
	free(a.addr);
	kv_resolve_cache_free(c);
}

/* More names than slots: the cache stays bounded and still answers. */
KV_TEST(bounded)
{
	struct fake f = { 0 };
	struct kv_resolve_cache_opts o = { .ok_secs = 30, .fail_secs = 5, .lookup = fake_lookup,
					   .lookup_arg = &f, .clock_s = fake_clock };
	struct kv_resolve_cache *c = NULL;
	struct kv_egress_addrs a = { 0 };
	char name[64];
	int i;

	fake_now = 100;
	if (!ASSERT_OK(kv_resolve_cache_new(&o, &c), "new"))
		return;
	for (i = 0; i < KV_RESOLVE_CACHE_MAX + 10; i++) {
		snprintf(name, sizeof(name), "n%d.example.com", i);
		if (!ASSERT_OK(lookup(c, name, &a), "lookup"))
			break;
	}
	ASSERT_EQ(f.calls, KV_RESOLVE_CACHE_MAX + 10, "each resolved once");
	snprintf(name, sizeof(name), "n%d.example.com", KV_RESOLVE_CACHE_MAX + 9);
	ASSERT_OK(lookup(c, name, &a), "latest");
	ASSERT_EQ(f.calls, KV_RESOLVE_CACHE_MAX + 10, "latest still cached");
	free(a.addr);
	kv_resolve_cache_free(c);
}
