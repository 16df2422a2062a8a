// SPDX-License-Identifier: BSD-2-Clause
/* Which mechanism enforces each rule class, given what the probes found.
 * This is the product's honesty table: `kavachos status` prints it and the
 * genesis receipt of every session records it. */
#include <string.h>
#include "features/features.h"
#include "lsm/lsm.h"

static void mech(struct kv_mechanism *m, const char *rule, bool ok, const char *mechanism,
		 const char *limits)
{
	m->rule = rule;
	m->enforced = ok;
	m->mechanism = ok ? mechanism : "none";
	m->limits = limits;
}

void kv_features_mechanisms(const struct kv_features *f, struct kv_mechanism out[KV_RULE_COUNT])
{
	bool cg = f->cgroup_sock_addr.ok && f->btf.ok;

	mech(&out[KV_RULE_SYSCALLS], "syscalls", f->seccomp_filter.ok,
	     f->seccomp_notify.ok ? "seccomp-bpf (ERRNO EPERM, NOTIFY tier via user notification)"
				  : "seccomp-bpf (ERRNO EPERM; NOTIFY tier denied outright)",
	     "");
	mech(&out[KV_RULE_EGRESS], "egress", cg, "cgroup-bpf connect4/6 sendmsg4/6 sock_create",
	     cg ? "" : "kernel refused cgroup sock_addr programs: egress is NOT enforced");
	if (f->connect_unix.ok)
		mech(&out[KV_RULE_UNIX_SOCKETS], "unix_sockets", true, "cgroup-bpf connect_unix", "");
	else
		mech(&out[KV_RULE_UNIX_SOCKETS], "unix_sockets", false, "",
		     "no cgroup/connect_unix hook on this kernel: Unix socket connects are not filtered");
	mech(&out[KV_RULE_FILES], "files", false, "", "file rules are NOT enforced on this kernel");
	mech(&out[KV_RULE_EXEC], "exec", f->seccomp_notify.ok,
	     "seccomp user notification on execve/execveat (strict-exec, mask 0)",
	     "the supervisor judges the path argument: TOCTOU-prone, no allowlist by file identity");
	mech(&out[KV_RULE_PROCESS], "process", f->seccomp_filter.ok,
	     "seccomp (ptrace in NOTIFY tier; kill/tgkill only with the swarm bit)",
	     "signals to processes outside the session are refused only by the syscall profile");
	mech(&out[KV_RULE_MOUNT_BPF], "mount_bpf", f->seccomp_filter.ok,
	     "seccomp NOTIFY tier (mount, umount2, bpf, setns denied by default)", "");
	mech(&out[KV_RULE_LEAVE_CGROUP], "leave_cgroup", true,
	     "privileges dropped: the agent cannot write cgroup.procs outside its session",
	     "an agent left as uid 0 keeps DAC access to cgroupfs; capabilities are dropped");
	mech(&out[KV_RULE_GATE], "gate", f->tp_btf.ok && f->cgroup_freeze.ok,
	     "kernel counters + cgroup.freeze on LOCK", "");
	if (kv_count_at_seccomp(f))
		mech(&out[KV_RULE_VIOLATIONS], "violations", f->ringbuf.ok,
		     "fexit/__secure_computing + hook counters, BPF ring buffer -> PRAMANA receipts",
		     "");
	else
		mech(&out[KV_RULE_VIOLATIONS], "violations", f->tp_btf.ok && f->ringbuf.ok,
		     "tp_btf/sys_exit + hook counters, BPF ring buffer -> PRAMANA receipts",
		     "the sys_exit tracepoint slows every syscall of the host while a session is "
		     "live");
	/* files, exec, process, mount/bpf, leaving the cgroup, unix sockets:
	 * BPF-LSM where it loads, else Landlock (user/lsm knows which) */
	kv_lsm_mechanisms(f, out);
}

static struct json_object *feat_json(const struct kv_feat *f)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "available", json_object_new_boolean(f->ok));
	json_object_object_add(o, "detail", json_object_new_string(f->detail));
	return o;
}

struct json_object *kv_features_json(const struct kv_features *f)
{
	struct json_object *o = json_object_new_object(), *feat = json_object_new_object();
	struct json_object *mechs = json_object_new_object(), *cg = json_object_new_object();
	struct kv_mechanism m[KV_RULE_COUNT];
	int i;

	json_object_object_add(o, "kernel", json_object_new_string(f->kernel));
	json_object_object_add(cg, "root", f->cgroup2_root[0] ? json_object_new_string(f->cgroup2_root) : NULL);
	json_object_object_add(cg, "hybrid", json_object_new_boolean(f->cgroup_hybrid));
	json_object_object_add(o, "cgroup2", cg);
	json_object_object_add(o, "bpffs_mounted", json_object_new_boolean(f->bpffs_mounted));
	json_object_object_add(o, "securityfs_mounted", json_object_new_boolean(f->securityfs_mounted));
	json_object_object_add(o, "lsm", json_object_new_string(f->lsm_list));
	json_object_object_add(o, "lockdown", json_object_new_string(f->lockdown));
	json_object_object_add(o, "landlock_abi", json_object_new_int(f->landlock_abi));

	json_object_object_add(feat, "btf", feat_json(&f->btf));
	json_object_object_add(feat, "cgroup_sock_addr", feat_json(&f->cgroup_sock_addr));
	json_object_object_add(feat, "cgroup_sock_create", feat_json(&f->cgroup_sock_create));
	json_object_object_add(feat, "cgroup_connect_unix", feat_json(&f->connect_unix));
	json_object_object_add(feat, "bpf_lsm", feat_json(&f->bpf_lsm));
	json_object_object_add(feat, "tp_btf", feat_json(&f->tp_btf));
	json_object_object_add(feat, "fexit_seccomp", feat_json(&f->fexit_seccomp));
	json_object_object_add(feat, "ringbuf", feat_json(&f->ringbuf));
	json_object_object_add(feat, "bpf_send_signal", feat_json(&f->send_signal));
	json_object_object_add(feat, "seccomp_filter", feat_json(&f->seccomp_filter));
	json_object_object_add(feat, "seccomp_user_notif", feat_json(&f->seccomp_notify));
	json_object_object_add(feat, "landlock", feat_json(&f->landlock));
	json_object_object_add(feat, "cgroup_freeze", feat_json(&f->cgroup_freeze));
	json_object_object_add(feat, "cgroup_kill", feat_json(&f->cgroup_kill));
	json_object_object_add(feat, "pid_namespace", feat_json(&f->pidns));
	json_object_object_add(o, "features", feat);

	kv_features_mechanisms(f, m);
	for (i = 0; i < KV_RULE_COUNT; i++) {
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "mechanism", json_object_new_string(m[i].mechanism));
		json_object_object_add(e, "enforced", json_object_new_boolean(m[i].enforced));
		json_object_object_add(e, "limits", json_object_new_string(m[i].limits));
		json_object_object_add(mechs, m[i].rule, e);
	}
	json_object_object_add(o, "enforcement", mechs);
	return o;
}
