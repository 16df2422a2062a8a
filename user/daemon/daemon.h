/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef KV_DAEMON_H
#define KV_DAEMON_H
#include <stdbool.h>
#include "daemon/conf.h"

struct kv_daemon_opts {
	const char *conf_path;
	bool conf_explicit; /* --config given: a missing file is an error */
	struct kv_daemon_conf conf; /* after flags override the file */
	bool detach_on_exit;        /* --detach: remove pins and links on exit */
	bool replace_pins;          /* --replace-pins: drop incompatible pins */
	const char *falco_alerts;   /* --falco-alerts: Falco JSON alerts to seal */
};

/* Runs until SIGTERM/SIGINT. Returns the process exit status. */
int kv_daemon_main(struct kv_daemon_opts *o);
#endif
