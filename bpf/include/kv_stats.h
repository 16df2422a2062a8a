/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Global per-CPU counters (kv_stats, PERCPU_ARRAY) so silent BPF-side
 * failures become visible to `kavachos status` and the daemon. */
#ifndef KV_STATS_H
#define KV_STATS_H
enum kv_stat {
	KV_STAT_EVENTS_LOST = 0,    /* ring buffer reservation failed */
	KV_STAT_EVENTS_SENT = 1,
	KV_STAT_SUPPRESSED = 2,     /* rate limited */
	KV_STAT_STATE_MISSING = 3,  /* session without kv_state entry */
	KV_STAT_MAX = 8,
};
#endif
