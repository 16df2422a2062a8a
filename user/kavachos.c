// SPDX-License-Identifier: BSD-2-Clause
/* kavachos: the CLI. `kavachos [-j] [-v] COMMAND [ARGS]`. */
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "common/log.h"
#include "common/timing.h"

#define KAVACHOS_VERSION "0.1.0"

static int do_help(int argc, char **argv);


static const struct kv_cmd commands[] = {
	{ "run", cmd_run, "launch an agent under kernel enforcement" },
	{ "generate", cmd_generate, "generate the seccomp profile (and policies) without running" },
	{ "profile", cmd_profile, "show the active profile and gate-valve state" },
	{ "audit", cmd_audit, "verify receipt chains" },
	{ "rules", cmd_rules, "print or validate the domain's Falco rules" },
	{ "init", cmd_init, "write .kavachos.json in the current directory" },
	{ "sessions", cmd_sessions, "list live and past sessions" },
	{ "release", cmd_release, "release a session's gate valve (root; sealed)" },
	{ "status", cmd_status, "what this kernel can enforce, and with which mechanism" },
	{ "egress", cmd_egress, "show a session's live egress allowlist from the kernel maps" },
	{ "help", do_help, "this help" },
	{ 0 },
};

static int do_help(int argc, char **argv)
{
	const struct kv_cmd *c;

	(void)argc;
	(void)argv;
	printf("Usage: kavachos [-j|--json] [-v|--verbose] COMMAND [ARGS]\n\n"
	       "Kernel enforcement for AI agents: seccomp-bpf, cgroup-BPF egress, BPF-LSM\n"
	       "(or Landlock where the kernel lacks it), sealed PRAMANA receipts.\n\n"
	       "Commands:\n");
	for (c = commands; c->name; c++)
		printf("  %-10s %s\n", c->name, c->summary);
	printf("\nRun 'kavachos COMMAND --help' for a command's options.\n"
	       "Exit codes: 0 ok, 1 failure/verification failed, 2 usage or invalid input,\n"
	       "3 environment (privileges, kernel features); run: the agent's status,\n"
	       "128+N if it died of signal N, 125 if kavachos failed before the agent ran.\n");
	return KV_EXIT_OK;
}

int main(int argc, char **argv)
{
	int i;

	kv_timing_mark("main");
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json"))
			kv_json_output = true;
		else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose"))
			kv_verbose++;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return do_help(0, NULL);
		else if (!strcmp(argv[i], "--version")) {
			printf("kavachos %s\n", KAVACHOS_VERSION);
			return KV_EXIT_OK;
		} else {
			kv_err("unknown option '%s' (try 'kavachos help')", argv[i]);
			return KV_EXIT_USAGE;
		}
	}
	if (i >= argc) {
		do_help(0, NULL);
		return KV_EXIT_USAGE;
	}
	return kv_cmd_dispatch(commands, argc - i, argv + i, "kavachos");
}
