/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef KV_RUN_H
#define KV_RUN_H
#include <stdbool.h>

#define KV_RUN_MAX_ALLOW 256

enum kv_run_pidns_opt {
	KV_RUN_PIDNS_AUTO = 0, /* embedded: always (where the kernel can); daemon: try */
	KV_RUN_PIDNS_REQUIRE,  /* refuse to start without one */
	KV_RUN_PIDNS_OFF,      /* the agent shares the host's PID namespace */
};

struct kv_run_opts {
	const char *trust_mask, *domain, *depth; /* flags as given, NULL if absent */
	bool strict_exec;
	const char *allow_net[KV_RUN_MAX_ALLOW];
	int n_allow_net;
	bool no_default_net;
	const char *seccomp_profile;
	const char *user;
	bool ask;
	enum kv_run_pidns_opt pid_namespace; /* --pid-namespace */
	const char *state_dir;
	const char *cgroup;
	bool falco;                /* write the domain's Falco rules for the session */
	const char *falco_alerts;  /* Falco JSON alerts to seal (file or FIFO) */
	bool no_daemon;            /* --no-daemon: embedded even if kavachos-load runs */
	const char *daemon_socket; /* --daemon-socket: must be reachable */
	char **argv; /* agent binary and args, NULL-terminated */
};

/* Returns the process exit status for `kavachos run` (see cli.h). */
int kv_run(const struct kv_run_opts *o);
#endif
