/* SPDX-License-Identifier: BSD-2-Clause */
/* Sessions the daemon runs for its clients (`kavachos run` as any user
 * allowed on the control socket). */
#ifndef KV_DSESSION_H
#define KV_DSESSION_H
#include <stdbool.h>
#include "daemon/conf.h"

struct kv_runtime;
struct kv_dsessions;

int kv_dsessions_new(struct kv_runtime *rt, const struct kv_daemon_conf *c, const char *agents,
		     struct kv_dsessions **out);
/* New sessions use the new thresholds; live ones keep theirs. */
void kv_dsessions_reconfigure(struct kv_dsessions *ds, const struct kv_daemon_conf *c);
/* Handle one request on a client connection; negative when the connection
 * is done (closed by the peer, or unusable). */
int kv_dsessions_serve(struct kv_dsessions *ds, int fd);
/* End every session whose cgroup has emptied (or that waited too long for
 * its agent). */
void kv_dsessions_reap(struct kv_dsessions *ds);
/* The client on fd disconnected: sessions still waiting for its agent end. */
void kv_dsessions_client_gone(struct kv_dsessions *ds, int fd);
/* Flush receipts; with end_all also end every session (--detach). */
void kv_dsessions_free(struct kv_dsessions *ds, bool end_all);
#endif
