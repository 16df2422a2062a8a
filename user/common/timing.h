/* SPDX-License-Identifier: BSD-2-Clause */
/* Where a `run` spends its time: with KAVACHOS_TIMING=1 in the environment,
 * each mark prints to stderr the milliseconds since the previous mark and
 * since the first one, prefixed with the process id and followed by the
 * absolute CLOCK_MONOTONIC ms, so the client, its child and the daemon can
 * be read side by side. Without the variable a mark is one predictable
 * branch. */
#ifndef KV_TIMING_H
#define KV_TIMING_H

void kv_timing_mark(const char *what);
void kv_timing_markf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#endif
