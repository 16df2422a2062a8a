// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/canon_json.h"
#include "common/sha256.h"
#include "lsm/lsm.h"
#include "run/files_glue.h"
#include "run/inputs.h"
#include "run/privs.h"

struct kv_files_glue {
	struct kv_files_policy *policy;
	struct kv_landlock_plan *plan;
	bool lsm;
};

int kv_files_glue_build(const struct kv_run_inputs *in, const struct kv_identity *id,
			const char *agent_binary, bool lsm, int landlock_abi,
			struct kv_files_glue **out, char *err, size_t errlen)
{
	struct kv_files_input fi = { 0 };
	struct kv_files_glue *g = calloc(1, sizeof(*g));
	struct passwd pwd, *pw = NULL;
	char pwbuf[4096];
	int e;

	/* reentrant: the daemon plans on a helper thread */
	if (getpwuid_r(id->uid, &pwd, pwbuf, sizeof(pwbuf), &pw))
		pw = NULL;
	if (!g)
		return -ENOMEM;
	g->lsm = lsm;
	fi.trust_mask = in->profile_in.trust_mask;
	fi.workspace = in->workspace[0] ? in->workspace : NULL;
	fi.home = pw ? pw->pw_dir : NULL;
	fi.tmp_dir = in->tmp_dir[0] ? in->tmp_dir : "/tmp";
	fi.deny = in->files_deny;
	fi.n_deny = in->n_files_deny;
	fi.write = in->files_write;
	fi.n_write = in->n_files_write;
	fi.agent_binary = agent_binary;
	fi.exec_allowlist = in->n_exec_allow > 0;
	fi.exec_allow = in->exec_allow;
	fi.n_exec_allow = in->n_exec_allow;
	fi.fileless_exec = in->exec_fileless;
	fi.strict_exec = in->profile_in.strict_exec;
	e = kv_files_policy_build(&fi, &g->policy, err, errlen);
	if (!e && !lsm && landlock_abi > 0)
		e = kv_landlock_plan_build(g->policy, landlock_abi, &g->plan, err, errlen);
	if (e) {
		kv_files_glue_free(g);
		return e;
	}
	*out = g;
	return 0;
}

int kv_files_glue_apply(const struct kv_files_glue *g, const struct kv_bpf *b, uint64_t cgid)
{
	return g->lsm ? kv_lsm_policy_apply(b, cgid, g->policy) : 0;
}

int kv_files_glue_launch(const struct kv_files_glue *g, const struct kv_bpf *b, uint64_t cgid,
			 pid_t pid)
{
	return g->lsm && g->policy->strict_exec ? kv_lsm_policy_launch(b, cgid, pid) : 0;
}

void kv_files_glue_remove(const struct kv_files_glue *g, const struct kv_bpf *b, uint64_t cgid)
{
	if (g && g->lsm)
		kv_lsm_policy_remove(b, cgid);
}

const struct kv_landlock_plan *kv_files_glue_landlock(const struct kv_files_glue *g)
{
	return g ? g->plan : NULL;
}

struct json_object *kv_files_glue_json(const struct kv_files_glue *g)
{
	struct json_object *o = json_object_new_object(), *pol = kv_files_policy_json(g->policy);
	char hash[65], *c;
	size_t len;

	/* the hash kv_files_policy_hash() gives, from the object sealed beside it */
	c = kv_json_canonical(pol, &len);
	if (c && !kv_sha256_hex(c, len, hash))
		json_object_object_add(o, "policy_sha256", json_object_new_string(hash));
	free(c);
	/* the rules themselves: evidence of what the agent was allowed */
	json_object_object_add(o, "policy", pol);
	json_object_object_add(o, "enforcement",
			       kv_files_enforcement_json(g->policy, g->lsm, g->plan));
	return o;
}

void kv_files_glue_free(struct kv_files_glue *g)
{
	if (!g)
		return;
	kv_landlock_plan_free(g->plan);
	kv_files_policy_free(g->policy);
	free(g);
}
