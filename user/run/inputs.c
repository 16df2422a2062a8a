// SPDX-License-Identifier: BSD-2-Clause
/* A session's inputs travel as one JSON object: `run` builds it from flags,
 * .kavachos.json and the environment, and both embedded `run` and the
 * daemon (which receives it over the control socket) turn that same object
 * into the profile and the egress policy. One path, so both modes agree. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common/log.h"
#include "config/config.h"
#include "daemon/conf.h"
#include "egress/egress.h"
#include "profile/profile.h"
#include "run/files_glue.h"
#include "run/inputs.h"
#include "run/run.h"

static struct json_object *strv_json(char *const *v, size_t n)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

/* Array of strings -> NULL-terminated vector pointing into the JSON. */
static int json_strv(struct json_object *o, const char *key, const char ***v, size_t *n,
		     char *err, size_t errlen)
{
	struct json_object *a;
	size_t i;

	*v = NULL;
	*n = 0;
	if (!json_object_object_get_ex(o, key, &a))
		return 0;
	if (!json_object_is_type(a, json_type_array)) {
		snprintf(err, errlen, "inputs: %s must be a list of strings", key);
		return -EINVAL;
	}
	*n = json_object_array_length(a);
	*v = calloc(*n + 1, sizeof(**v));
	if (!*v)
		return -ENOMEM;
	for (i = 0; i < *n; i++) {
		struct json_object *s = json_object_array_get_idx(a, i);

		if (!json_object_is_type(s, json_type_string)) {
			snprintf(err, errlen, "inputs: %s[%zu] must be a string", key, i);
			return -EINVAL;
		}
		(*v)[i] = json_object_get_string(s);
	}
	return 0;
}

static struct json_object *gate_json(const struct kv_config_gate *g)
{
	struct json_object *o = json_object_new_object();

#define G(f)                                                                    \
	if (g->has_##f)                                                         \
		json_object_object_add(o, #f, json_object_new_int64(g->f));
	G(throttle) G(crack) G(lock) G(burst) G(burst_window_s)
#undef G
	return o;
}

int kv_run_inputs_resolve(const struct kv_run_opts *o, struct kv_run_inputs *in, char *err,
			  size_t errlen)
{
	struct kv_settings_flags fl = {
		.trust_mask = o->trust_mask,
		.domain = o->domain,
		.depth = o->depth,
		.strict_exec = o->strict_exec,
	};
	struct kv_settings st = { 0 };
	struct json_object *j;
	const char *sd = o->state_dir ? o->state_dir : getenv("KAVACHOS_STATE_DIR");
	const struct kv_config *c;
	int e, i;

	memset(in, 0, sizeof(*in));
	e = kv_settings_resolve(&fl, &st, err, errlen);
	if (e)
		return e;
	c = st.config;
	j = json_object_new_object();
	json_object_object_add(j, "trust_mask", json_object_new_int64(st.trust_mask));
	json_object_object_add(j, "domain", json_object_new_string(kv_domain_name(st.domain)));
	json_object_object_add(j, "depth", json_object_new_int64(st.depth));
	json_object_object_add(j, "strict_exec", json_object_new_boolean(st.strict_exec));
	json_object_object_add(j, "no_default_net",
			       json_object_new_boolean(o->no_default_net ||
						       (c && c->has_egress_no_default && c->egress_no_default)));
	{
		struct json_object *cli = json_object_new_array();

		for (i = 0; i < o->n_allow_net; i++)
			json_object_array_add(cli, json_object_new_string(o->allow_net[i]));
		json_object_object_add(j, "cli_allow", cli);
	}
	if (c) {
		json_object_object_add(j, "config", json_object_new_string(c->path));
		json_object_object_add(j, "extra_allow", strv_json(c->seccomp_allow.v, c->seccomp_allow.n));
		json_object_object_add(j, "extra_deny", strv_json(c->seccomp_deny.v, c->seccomp_deny.n));
		json_object_object_add(j, "config_allow", strv_json(c->egress_allow.v, c->egress_allow.n));
		json_object_object_add(j, "files_deny", strv_json(c->files_deny.v, c->files_deny.n));
		json_object_object_add(j, "files_write", strv_json(c->files_write.v, c->files_write.n));
		json_object_object_add(j, "essential",
				       strv_json(c->egress_essential.v, c->egress_essential.n));
		json_object_object_add(j, "exec_allow", strv_json(c->exec_allow.v, c->exec_allow.n));
		json_object_object_add(j, "exec_fileless",
				       json_object_new_boolean(c->has_exec_fileless && c->exec_fileless));
		json_object_object_add(j, "gate", gate_json(&c->gate));
	}
	if (o->seccomp_profile)
		json_object_object_add(j, "seccomp_profile", json_object_new_string(o->seccomp_profile));
	{
		char cwd[PATH_MAX];

		if (getcwd(cwd, sizeof(cwd)))
			json_object_object_add(j, "workspace", json_object_new_string(cwd));
	}
	kv_settings_free(&st);
	e = kv_run_inputs_from_json(j, sd ? sd : KV_RUN_DEFAULT_STATE_DIR, in, err, errlen);
	json_object_put(j);
	return e;
}

int kv_run_inputs_from_json(struct json_object *j, const char *state_dir,
			    struct kv_run_inputs *in, char *err, size_t errlen)
{
	struct kv_egress_input ei = { 0 };
	struct json_object *v;
	char perr[512];
	int e;

	memset(in, 0, sizeof(*in));
	in->json = json_object_get(j);
	snprintf(in->state_dir, sizeof(in->state_dir), "%s", state_dir);
	if (!json_object_object_get_ex(j, "trust_mask", &v) || !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 0 || json_object_get_int64(v) > UINT32_MAX) {
		snprintf(err, errlen, "inputs: trust_mask missing or not a 32-bit integer");
		e = -EINVAL;
		goto fail;
	}
	in->profile_in.trust_mask = (uint32_t)json_object_get_int64(v);
	if (!json_object_object_get_ex(j, "domain", &v) ||
	    kv_domain_parse(json_object_get_string(v), &in->profile_in.domain)) {
		snprintf(err, errlen, "inputs: unknown domain (valid: %s)", kv_domain_list());
		e = -EINVAL;
		goto fail;
	}
	in->profile_in.depth = json_object_object_get_ex(j, "depth", &v) ? (uint32_t)json_object_get_int64(v) : 1;
	in->profile_in.strict_exec = json_object_object_get_ex(j, "strict_exec", &v) && json_object_get_boolean(v);
	if (json_object_object_get_ex(j, "config", &v))
		snprintf(in->config_path, sizeof(in->config_path), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(j, "workspace", &v))
		snprintf(in->workspace, sizeof(in->workspace), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(j, "tmp_dir", &v))
		snprintf(in->tmp_dir, sizeof(in->tmp_dir), "%s", json_object_get_string(v));
	e = json_strv(j, "extra_allow", &in->extra_allow, &in->profile_in.n_extra_allow, err, errlen);
	e = e ?: json_strv(j, "extra_deny", &in->extra_deny, &in->profile_in.n_extra_deny, err, errlen);
	e = e ?: json_strv(j, "config_allow", &in->config_allow, &ei.n_config_allow, err, errlen);
	e = e ?: json_strv(j, "cli_allow", &in->cli_allow, &ei.n_cli_allow, err, errlen);
	e = e ?: json_strv(j, "files_deny", &in->files_deny, &in->n_files_deny, err, errlen);
	e = e ?: json_strv(j, "files_write", &in->files_write, &in->n_files_write, err, errlen);
	e = e ?: json_strv(j, "essential", &in->essential, &ei.n_essential, err, errlen);
	e = e ?: json_strv(j, "exec_allow", &in->exec_allow, &in->n_exec_allow, err, errlen);
	if (e)
		goto fail;
	in->profile_in.extra_allow = in->extra_allow;
	in->profile_in.extra_deny = in->extra_deny;

	if (json_object_object_get_ex(j, "seccomp_profile", &v)) {
		in->seccomp_profile_path = json_object_get_string(v);
		e = kv_profile_from_oci_file(in->seccomp_profile_path, &in->profile, perr, sizeof(perr));
	} else {
		e = kv_profile_build(&in->profile_in, &in->profile, perr, sizeof(perr));
	}
	if (e) {
		snprintf(err, errlen, "%s", perr);
		goto fail;
	}

	ei.trust_mask = in->profile_in.trust_mask;
	ei.domain = in->profile_in.domain;
	ei.no_default_net = json_object_object_get_ex(j, "no_default_net", &v) && json_object_get_boolean(v);
	ei.config_allow = in->config_allow;
	ei.cli_allow = in->cli_allow;
	ei.essential = in->essential;
	in->exec_fileless = json_object_object_get_ex(j, "exec_fileless", &v) && json_object_get_boolean(v);
	e = kv_egress_policy_build(&ei, &in->egress, perr, sizeof(perr));
	if (e) {
		snprintf(err, errlen, "%s", perr);
		goto fail;
	}
	return 0;
fail:
	kv_run_inputs_free(in);
	return e;
}

static void gate_apply(struct json_object *g, struct kv_session *pol)
{
	struct json_object *v;

	if (!g)
		return;
	if (json_object_object_get_ex(g, "throttle", &v))
		pol->thr_throttle = (uint32_t)json_object_get_int64(v);
	if (json_object_object_get_ex(g, "crack", &v))
		pol->thr_crack = (uint32_t)json_object_get_int64(v);
	if (json_object_object_get_ex(g, "lock", &v))
		pol->thr_lock = (uint32_t)json_object_get_int64(v);
	if (json_object_object_get_ex(g, "burst", &v))
		pol->burst_count = (uint32_t)json_object_get_int64(v);
	if (json_object_object_get_ex(g, "burst_window_s", &v))
		pol->burst_window_ns = (uint64_t)json_object_get_int64(v) * 1000000000ULL;
}

void kv_run_inputs_gate(const struct kv_run_inputs *in, struct kv_session *pol)
{
	struct json_object *g = NULL;

	if (in->has_daemon_gate) {
		pol->thr_throttle = in->daemon_gate.thr_throttle;
		pol->thr_crack = in->daemon_gate.thr_crack;
		pol->thr_lock = in->daemon_gate.thr_lock;
		pol->burst_count = in->daemon_gate.burst_count;
		pol->burst_window_ns = in->daemon_gate.burst_window_ns;
		pol->event_rate = in->daemon_gate.event_rate;
	}
	/* .kavachos.json overrides the daemon's defaults for its own session */
	if (in->json && json_object_object_get_ex(in->json, "gate", &g))
		gate_apply(g, pol);
}

void kv_run_inputs_daemon_gate(struct kv_run_inputs *in, const struct kv_daemon_conf *c)
{
	in->has_daemon_gate = true;
	in->daemon_gate.thr_throttle = c->gate_throttle;
	in->daemon_gate.thr_crack = c->gate_crack;
	in->daemon_gate.thr_lock = c->gate_lock;
	in->daemon_gate.burst_count = c->gate_burst;
	in->daemon_gate.burst_window_ns = (uint64_t)c->gate_burst_window_s * 1000000000ULL;
	in->daemon_gate.event_rate = c->event_rate;
	in->chain.sync = !strcmp(c->receipts_sync, "each")   ? KV_SYNC_EACH
			 : !strcmp(c->receipts_sync, "none") ? KV_SYNC_NONE
							     : KV_SYNC_GROUP;
	in->chain.batch_max = c->receipts_batch_max;
	in->chain.batch_delay_ms = c->receipts_batch_delay_ms;
	in->chain.checkpoint_every = c->checkpoint_every;
	in->chain.checkpoint_secs = c->checkpoint_secs;
}

void kv_run_inputs_free(struct kv_run_inputs *in)
{
	kv_profile_free(in->profile);
	kv_egress_policy_free(in->egress);
	free(in->extra_allow);
	free(in->extra_deny);
	free(in->config_allow);
	free(in->cli_allow);
	free(in->files_deny);
	free(in->files_write);
	free(in->essential);
	free(in->exec_allow);
	json_object_put(in->json);
	kv_files_glue_free(in->files);
	memset(in, 0, sizeof(*in));
}
