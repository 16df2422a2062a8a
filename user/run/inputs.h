/* SPDX-License-Identifier: BSD-2-Clause */
/* Everything a session is made from, resolved once: flag > .kavachos.json
 * (found walking up from the cwd) > environment > defaults. */
#ifndef KV_RUN_INPUTS_H
#define KV_RUN_INPUTS_H
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include "kv_session.h"
#include <json-c/json.h>
#include "profile/profile.h"
#include "receipts/receipts.h"

#define KV_RUN_DEFAULT_STATE_DIR "/var/lib/kavachos"

struct kv_run_opts;
struct kv_egress_policy;
struct kv_daemon_conf;

struct kv_run_inputs {
	struct kv_profile_input profile_in;
	struct kv_profile *profile;
	struct kv_egress_policy *egress;
	const char *seccomp_profile_path; /* --seccomp-profile, or NULL */
	char state_dir[PATH_MAX];
	char config_path[PATH_MAX]; /* "" when no .kavachos.json was found */
	struct json_object *json;    /* the inputs as one object (what the daemon receives) */
	/* vectors pointing into json */
	const char **extra_allow, **extra_deny, **config_allow, **cli_allow, **files_deny, **files_write;
	size_t n_files_deny, n_files_write;
	const char **essential, **exec_allow;
	size_t n_exec_allow;
	bool exec_fileless;
	char workspace[PATH_MAX]; /* where the session started: its write root */
	char tmp_dir[PATH_MAX];   /* the session's own tmp directory ("" = /tmp) */
	struct kv_files_glue *files; /* file/exec rules, set by run (owned) */
	bool has_daemon_gate;
	struct kv_session daemon_gate; /* the daemon's thresholds, before .kavachos.json's */
	/* how the session's chain is written (receipts.* of the daemon's
	 * configuration; embedded run: the defaults, group commit) */
	struct kv_chain_opts chain;
};

int kv_run_inputs_resolve(const struct kv_run_opts *o, struct kv_run_inputs *in, char *err,
			  size_t errlen);
/* The inputs object -> profile and egress policy (host names resolved). */
int kv_run_inputs_from_json(struct json_object *j, const char *state_dir,
			    struct kv_run_inputs *in, char *err, size_t errlen);
/* The daemon's gate thresholds and event rate, under .kavachos.json's, and
 * its receipts.* settings for the session's chain. */
void kv_run_inputs_daemon_gate(struct kv_run_inputs *in, const struct kv_daemon_conf *c);
/* Gate thresholds onto the session policy. */
void kv_run_inputs_gate(const struct kv_run_inputs *in, struct kv_session *pol);
void kv_run_inputs_free(struct kv_run_inputs *in);
#endif
