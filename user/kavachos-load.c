// SPDX-License-Identifier: BSD-2-Clause
/* kavachos-load: the loader daemon. Attaches KavachOS's BPF programs once
 * to the agents' cgroup subtree, pins maps and links, seals receipts. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "common/log.h"
#include "daemon/daemon.h"

static void usage(void)
{
	printf("Usage: kavachos-load --cgroup PATH [OPTIONS]\n\n"
	       "  --cgroup PATH      agents' cgroup: a directory on the cgroup2 hierarchy, or a\n"
	       "                     path relative to its mount (created if missing)\n"
	       "  --pin-dir DIR      where maps and links are pinned (/sys/fs/bpf/kavachos)\n"
	       "  --state-dir DIR    receipts and keys (/var/lib/kavachos)\n"
	       "  --config FILE      configuration (/etc/kavachos/kavachos.conf; docs/daemon.md)\n"
	       "  --foreground       log to stderr, do not detach from the terminal\n"
	       "  --check-config     validate the configuration and exit\n"
	       "  --detach           on exit, detach the programs and remove the pins\n"
	       "                     (default: leave them: enforcement survives the daemon)\n"
	       "  --replace-pins     pins from an incompatible build are removed, not refused\n"
	       "  --falco-alerts P   seal Falco's JSON alerts from P (file or FIFO) into the\n"
	       "                     sessions they name (FALCO_ALERT, RATE_EXCEEDED)\n"
	       "  -v, --verbose      more diagnostics\n\n"
	       "Signals: SIGTERM/SIGINT flush receipts and exit leaving the pins; SIGHUP reloads\n"
	       "the configuration for new sessions.\n");
}

int main(int argc, char **argv)
{
	enum { O_CG = 256, O_PIN, O_STATE, O_CONF, O_FG, O_CHECK, O_DETACH, O_REPLACE, O_FALCO };
	static const struct option opts[] = {
		{ "cgroup", required_argument, 0, O_CG },
		{ "pin-dir", required_argument, 0, O_PIN },
		{ "state-dir", required_argument, 0, O_STATE },
		{ "config", required_argument, 0, O_CONF },
		{ "foreground", no_argument, 0, O_FG },
		{ "check-config", no_argument, 0, O_CHECK },
		{ "detach", no_argument, 0, O_DETACH },
		{ "replace-pins", no_argument, 0, O_REPLACE },
		{ "falco-alerts", required_argument, 0, O_FALCO },
		{ "verbose", no_argument, 0, 'v' },
		{ "help", no_argument, 0, 'h' },
		{ 0 },
	};
	const char *cg = NULL, *pin = NULL, *state = NULL;
	struct kv_daemon_opts o = { .conf_path = KV_CONF_DEFAULT_PATH };
	bool check = false;
	char err[PATH_MAX + 256];
	int c, e;

	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case O_CG: cg = optarg; break;
		case O_PIN: pin = optarg; break;
		case O_STATE: state = optarg; break;
		case O_CONF: o.conf_path = optarg; o.conf_explicit = true; break;
		case O_FG: break; /* we never fork: systemd supervises (Type=notify-less simple) */
		case O_CHECK: check = true; break;
		case O_DETACH: o.detach_on_exit = true; break;
		case O_REPLACE: o.replace_pins = true; break;
		case O_FALCO: o.falco_alerts = optarg; break;
		case 'v': kv_verbose++; break;
		case 'h': usage(); return KV_EXIT_OK;
		default: return KV_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		kv_err("unexpected argument '%s' (try --help)", argv[optind]);
		return KV_EXIT_USAGE;
	}
	kv_daemon_conf_defaults(&o.conf);
	e = kv_daemon_conf_load(o.conf_path, !o.conf_explicit, &o.conf, err, sizeof(err));
	if (e) {
		kv_err("%s", err);
		return KV_EXIT_USAGE;
	}
	/* flags win over the file */
	if (cg)
		snprintf(o.conf.cgroup, sizeof(o.conf.cgroup), "%s", cg);
	if (pin)
		snprintf(o.conf.pin_dir, sizeof(o.conf.pin_dir), "%s", pin);
	if (state)
		snprintf(o.conf.state_dir, sizeof(o.conf.state_dir), "%s", state);
	if (check) {
		printf("%s: configuration OK\n", o.conf_path);
		return KV_EXIT_OK;
	}
	if (!cg && !o.conf_explicit) {
		kv_err("--cgroup PATH is required (e.g. --cgroup /sys/fs/cgroup/agents)");
		return KV_EXIT_USAGE;
	}
	return kv_daemon_main(&o);
}
