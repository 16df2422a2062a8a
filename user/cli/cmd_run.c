// SPDX-License-Identifier: BSD-2-Clause
/* kavachos run [OPTIONS] [--] BINARY [ARGS...]
 * Everything from BINARY on belongs to the agent (like env/sudo). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "cli/cli.h"
#include "common/log.h"
#include "run/run.h"

static void usage(void)
{
	printf("Usage: kavachos run [OPTIONS] [--] BINARY [ARGS...]\n\n"
	       "Launch an agent under kernel enforcement: its own session cgroup, a seccomp\n"
	       "profile from the trust mask, the cgroup-BPF egress allowlist, violation\n"
	       "counting and PRAMANA receipts. Options stop at BINARY.\n\n"
	       "  --trust-mask=N        32-bit mask (bits 24-31 reserved); default from\n"
	       "                        .kavachos.json, then $KAVACHOS_TRUST_MASK\n"
	       "  --domain=D            general, maritime, logistics, ot, finance\n"
	       "  --depth=N             delegation depth (>= 1)\n"
	       "  --strict-exec         no exec after the launch\n"
	       "  --allow-net=SPEC      allow a destination: IP, CIDR or host name, optional\n"
	       "                        :PORT or :LO-HI, optional /tcp or /udp (repeatable,\n"
	       "                        comma-separated)\n"
	       "  --no-default-net      start from an empty allowlist (no domain defaults)\n"
	       "  --seccomp-profile=F   load an OCI/Docker seccomp JSON profile instead\n"
	       "  --user=NAME           run the agent as NAME (default: the sudo caller)\n"
	       "  --ask                 ask on the terminal for NOTIFY-tier syscalls\n"
	       "  --pid-namespace=WHEN  the session's own PID namespace (the agent cannot\n"
	       "                        name, signal or trace processes outside it): auto\n"
	       "                        (default: always when run as root; through the\n"
	       "                        daemon where a user namespace allows it), require,\n"
	       "                        off\n"
	       "  --state-dir=DIR       receipts and keys (default $KAVACHOS_STATE_DIR or\n"
	       "                        /var/lib/kavachos)\n"
	       "  --cgroup=PATH         agents' cgroup (default <cgroup2>/kavachos)\n"
	       "  --no-daemon           embedded mode even when kavachos-load is running\n"
	       "  --daemon-socket=PATH  the daemon's control socket (default\n"
	       "                        /run/kavachos/control.sock); with the daemon, no root\n"
	       "                        is needed: it creates the session, this process\n"
	       "                        applies no_new_privs and seccomp itself\n"
	       "  --falco               write the domain's Falco rules for this session to\n"
	       "                        STATE_DIR/falco/SESSION.yaml (load them into Falco)\n"
	       "  --falco-alerts=PATH   seal Falco's JSON alerts about this session from PATH\n"
	       "                        (a file Falco appends to, or a FIFO): FALCO_ALERT\n"
	       "                        receipts, counted by the gate valve\n"
	       "  --json                print the session summary as JSON on stderr\n"
	       "  -v, --verbose         more diagnostics\n\n"
	       "Exit status: the agent's, 128+N if it died of signal N; 125 if kavachos\n"
	       "failed before the agent ran, 126 not executable, 127 not found.\n");
}

int cmd_run(int argc, char **argv)
{
	enum { O_MASK = 256, O_DOMAIN, O_DEPTH, O_STRICT, O_ALLOW, O_NODEF, O_SECCOMP, O_USER,
	       O_ASK, O_STATE, O_CGROUP, O_FALCO, O_NODAEMON, O_DSOCK, O_FALERTS, O_PIDNS };
	static const struct option opts[] = {
		{ "trust-mask", required_argument, 0, O_MASK },
		{ "domain", required_argument, 0, O_DOMAIN },
		{ "depth", required_argument, 0, O_DEPTH },
		{ "strict-exec", no_argument, 0, O_STRICT },
		{ "allow-net", required_argument, 0, O_ALLOW },
		{ "no-default-net", no_argument, 0, O_NODEF },
		{ "seccomp-profile", required_argument, 0, O_SECCOMP },
		{ "user", required_argument, 0, O_USER },
		{ "ask", no_argument, 0, O_ASK },
		{ "pid-namespace", required_argument, 0, O_PIDNS },
		{ "state-dir", required_argument, 0, O_STATE },
		{ "cgroup", required_argument, 0, O_CGROUP },
		{ "falco", no_argument, 0, O_FALCO },
		{ "no-daemon", no_argument, 0, O_NODAEMON },
		{ "falco-alerts", required_argument, 0, O_FALERTS },
		{ "daemon-socket", required_argument, 0, O_DSOCK },
		{ "json", no_argument, 0, 'j' },
		{ "verbose", no_argument, 0, 'v' },
		{ "help", no_argument, 0, 'h' },
		{ 0 },
	};
	struct kv_run_opts ro = { 0 };
	int c, rc;

	optind = 1;
	/* '+': stop at the first non-option, the agent's binary */
	while ((c = getopt_long(argc, argv, "+jvh", opts, NULL)) != -1) {
		switch (c) {
		case O_MASK: ro.trust_mask = optarg; break;
		case O_DOMAIN: ro.domain = optarg; break;
		case O_DEPTH: ro.depth = optarg; break;
		case O_STRICT: ro.strict_exec = true; break;
		case O_ALLOW:
			if (ro.n_allow_net >= KV_RUN_MAX_ALLOW) {
				kv_err("too many --allow-net options (at most %d)", KV_RUN_MAX_ALLOW);
				return KV_EXIT_USAGE;
			}
			ro.allow_net[ro.n_allow_net++] = optarg;
			break;
		case O_NODEF: ro.no_default_net = true; break;
		case O_SECCOMP: ro.seccomp_profile = optarg; break;
		case O_USER: ro.user = optarg; break;
		case O_ASK: ro.ask = true; break;
		case O_PIDNS:
			if (!strcmp(optarg, "auto")) {
				ro.pid_namespace = KV_RUN_PIDNS_AUTO;
			} else if (!strcmp(optarg, "require")) {
				ro.pid_namespace = KV_RUN_PIDNS_REQUIRE;
			} else if (!strcmp(optarg, "off")) {
				ro.pid_namespace = KV_RUN_PIDNS_OFF;
			} else {
				kv_err("--pid-namespace=%s: expected auto, require or off", optarg);
				return KV_EXIT_USAGE;
			}
			break;
		case O_STATE: ro.state_dir = optarg; break;
		case O_CGROUP: ro.cgroup = optarg; break;
		case O_FALCO: ro.falco = true; break;
		case O_NODAEMON: ro.no_daemon = true; break;
		case O_FALERTS: ro.falco_alerts = optarg; break;
		case O_DSOCK: ro.daemon_socket = optarg; break;
		case 'j': kv_json_output = true; break;
		case 'v': kv_verbose++; break;
		case 'h': usage(); return KV_EXIT_OK;
		default: return KV_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		kv_err("run: missing the agent binary (kavachos run [OPTIONS] BINARY [ARGS...])");
		return KV_EXIT_USAGE;
	}
	ro.argv = argv + optind;
	rc = kv_run(&ro);
	return rc;
}
