// SPDX-License-Identifier: BSD-2-Clause
/* Per-session Falco alert rate: a sliding window over the last limit+1 alert
 * times. A burst is signalled once (RATE_EXCEEDED), and re-armed when the rate
 * is back within the limit, so an alert storm seals one receipt, not hundreds. */
#include <string.h>
#include "falco/alert.h"

void kv_falco_rate_init(struct kv_falco_rate *r, unsigned limit, uint64_t window_ns)
{
	memset(r, 0, sizeof(*r));
	r->limit = limit ? limit : KV_FALCO_RATE_LIMIT_DEFAULT;
	if (r->limit > KV_FALCO_RATE_MAX_LIMIT)
		r->limit = KV_FALCO_RATE_MAX_LIMIT;
	r->window_ns = window_ns ? window_ns : KV_FALCO_RATE_WINDOW_NS_DEFAULT;
}

static uint64_t latest(const struct kv_falco_rate *r)
{
	unsigned cap = r->limit + 1;

	return r->n ? r->ts[(r->head + cap - 1) % cap] : 0;
}

unsigned kv_falco_rate_count(const struct kv_falco_rate *r, uint64_t now_ns)
{
	unsigned cap = r->limit + 1, i, n = 0;

	for (i = 0; i < r->n; i++) {
		uint64_t t = r->ts[(r->head + cap - 1 - i) % cap];

		/* the window is (now - window, now] */
		if (t > now_ns || now_ns - t < r->window_ns)
			n++;
	}
	return n;
}

enum kv_falco_rate_verdict kv_falco_rate_hit(struct kv_falco_rate *r, uint64_t now_ns)
{
	unsigned cap = r->limit + 1;

	if (r->n && now_ns < latest(r))
		now_ns = latest(r); /* out of order: no travelling back */
	r->ts[r->head] = now_ns;
	r->head = (r->head + 1) % cap;
	if (r->n < cap)
		r->n++;
	if (kv_falco_rate_count(r, now_ns) <= r->limit) {
		r->tripped = false;
		return KV_FALCO_RATE_OK;
	}
	if (r->tripped)
		return KV_FALCO_RATE_STILL_EXCEEDED;
	r->tripped = true;
	r->exceeded++;
	return KV_FALCO_RATE_EXCEEDED;
}

struct json_object *kv_falco_rate_receipt_fields(const struct kv_falco_rate *r, uint64_t now_ns)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "source", json_object_new_string("falco"));
	json_object_object_add(o, "alerts", json_object_new_int64(kv_falco_rate_count(r, now_ns)));
	json_object_object_add(o, "limit", json_object_new_int64(r->limit));
	json_object_object_add(o, "window_s",
			       json_object_new_int64((int64_t)(r->window_ns / 1000000000ull)));
	json_object_object_add(o, "bursts", json_object_new_int64((int64_t)r->exceeded));
	return o;
}
