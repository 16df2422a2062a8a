/* SPDX-License-Identifier: BSD-2-Clause */
/* Falco's JSON alerts (a file it appends to, or a FIFO) -> FALCO_ALERT
 * receipts in the right session's chain, counted as "falco" violations for
 * the gate valve; a burst (> 5 a minute) also seals RATE_EXCEEDED. Alerts
 * for unknown sessions are logged, never sealed anywhere wrong. */
#ifndef KV_FALCO_INGEST_H
#define KV_FALCO_INGEST_H
#include <stdint.h>

struct kv_runtime;
struct kv_falco_ingest;

struct kv_falco_ingest_stats {
	uint64_t lines, alerts, sealed, bad_lines, unknown_session, rate_exceeded;
};

int kv_falco_ingest_start(struct kv_runtime *rt, const char *path, struct kv_falco_ingest **out);
/* Reads what is left, then stops. */
void kv_falco_ingest_stop(struct kv_falco_ingest *fi, struct kv_falco_ingest_stats *st);
#endif
