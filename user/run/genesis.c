// SPDX-License-Identifier: BSD-2-Clause
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "egress/egress.h"
#include "features/features.h"
#include "profile/profile.h"
#include "run/files_glue.h"
#include "run/genesis.h"
#include "run/inputs.h"
#include "run/launch.h"
#include "session/session.h"

static void read_first_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");

	buf[0] = 0;
	if (f && fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = 0;
	if (f)
		fclose(f);
}

static struct json_object *str_list(const char *const *v, size_t n)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

struct json_object *kv_run_genesis(const struct kv_run_inputs *in, const struct kv_session_info *s,
				   const struct kv_launch *l, char *const *argv,
				   const struct kv_features *f)
{
	struct json_object *g = json_object_new_object(), *a = json_object_new_array();
	struct json_object *feat = kv_features_json(f), *mech = NULL;
	struct json_object *v;
	char host[256] = "", boot[64], hash[65];
	int i;

	json_object_object_add(g, "session_id", json_object_new_string(s->id));
	json_object_object_add(g, "cgroup", json_object_new_string(s->cgroup));
	json_object_object_add(g, "cgroup_id", json_object_new_uint64(s->cgid));
	json_object_object_add(g, "binary", json_object_new_string(l->path));
	for (i = 0; argv[i]; i++)
		json_object_array_add(a, json_object_new_string(argv[i]));
	json_object_object_add(g, "argv", a);
	json_object_object_add(g, "uid", json_object_new_int64(getuid()));
	json_object_object_add(g, "agent_uid", json_object_new_int64(l->id.uid));
	json_object_object_add(g, "agent_gid", json_object_new_int64(l->id.gid));
	gethostname(host, sizeof(host) - 1);
	json_object_object_add(g, "host", json_object_new_string(host));
	read_first_line("/proc/sys/kernel/random/boot_id", boot, sizeof(boot));
	json_object_object_add(g, "boot_id", json_object_new_string(boot));
	json_object_object_add(g, "kernel", json_object_new_string(f->kernel));
	json_object_object_add(g, "trust_mask", json_object_new_int64(in->profile_in.trust_mask));
	json_object_object_add(g, "domain", json_object_new_string(kv_domain_name(in->profile_in.domain)));
	json_object_object_add(g, "depth", json_object_new_int64(in->profile_in.depth));
	json_object_object_add(g, "strict_exec", json_object_new_boolean(in->profile_in.strict_exec));
	/* what audit needs to regenerate the profile (PROFILE_DRIFT) */
	json_object_object_add(g, "profile_origin",
			       json_object_new_string(in->seccomp_profile_path ? "oci" : "generated"));
	if (in->seccomp_profile_path)
		json_object_object_add(g, "seccomp_profile_file",
				       json_object_new_string(in->seccomp_profile_path));
	json_object_object_add(g, "extra_allow",
			       str_list(in->profile_in.extra_allow, in->profile_in.n_extra_allow));
	json_object_object_add(g, "extra_deny",
			       str_list(in->profile_in.extra_deny, in->profile_in.n_extra_deny));
	if (!kv_profile_hash(in->profile, hash))
		json_object_object_add(g, "profile_sha256", json_object_new_string(hash));
	if (!kv_egress_policy_hash(in->egress, hash))
		json_object_object_add(g, "egress_sha256", json_object_new_string(hash));
	json_object_object_add(g, "egress_resolution", kv_egress_resolution_json(in->egress));
	if (in->files)
		json_object_object_add(g, "files", kv_files_glue_json(in->files));
	if (in->config_path[0])
		json_object_object_add(g, "config", json_object_new_string(in->config_path));
	/* ptrace, signals, /proc: this session's own PID namespace, or not */
	v = json_object_new_object();
	json_object_object_add(v, "mode", json_object_new_string(kv_pidns_mode_name(l->pidns)));
	json_object_object_add(v, "detail", json_object_new_string(l->pidns_detail));
	json_object_object_add(g, "pid_namespace", v);
	/* the honesty table: what enforces each rule class on this kernel, the
	 * process row as this session has it */
	if (json_object_object_get_ex(feat, "enforcement", &mech)) {
		struct kv_mechanism pm;
		struct json_object *row = json_object_new_object();

		kv_process_mechanism(f, l->pidns, &pm);
		json_object_object_add(row, "mechanism", json_object_new_string(pm.mechanism));
		json_object_object_add(row, "enforced", json_object_new_boolean(pm.enforced));
		json_object_object_add(row, "limits", json_object_new_string(pm.limits));
		json_object_object_add(mech, "process", row);
		json_object_object_add(g, "enforcement", json_object_get(mech));
	}
	json_object_put(feat);
	return g;
}
