/* SPDX-License-Identifier: BSD-2-Clause */
/* Command tables in bpftool's style: noun -> verb, each with do_help. */
#ifndef KV_CLI_H
#define KV_CLI_H
#include <stdbool.h>

/* Exit codes that mean something (documented in the README). */
#define KV_EXIT_OK 0
#define KV_EXIT_FAIL 1        /* operation failed, or verification found a problem */
#define KV_EXIT_USAGE 2       /* bad arguments or invalid input (mask, CIDR, config...) */
#define KV_EXIT_ENV 3         /* environment: needs root, kernel lacks a required feature */
#define KV_EXIT_RUN_FAILED 125 /* `run`: kavachos itself failed before the agent ran */
#define KV_EXIT_NOEXEC 126    /* `run`: agent binary not executable */
#define KV_EXIT_NOTFOUND 127  /* `run`: agent binary not found */

struct kv_cmd {
	const char *name;
	int (*fn)(int argc, char **argv); /* argv[0] is the command name */
	const char *summary;
};

/* Runs the matching verb of a table (argv[0] = verb). */
int kv_cmd_dispatch(const struct kv_cmd *cmds, int argc, char **argv, const char *noun);

/* Commands (one file each under user/cli/). */
int cmd_run(int argc, char **argv);
int cmd_generate(int argc, char **argv);
int cmd_profile(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_sessions(int argc, char **argv);
int cmd_release(int argc, char **argv);
int cmd_egress(int argc, char **argv); /* user/egress/cmd_egress.c */
#endif
