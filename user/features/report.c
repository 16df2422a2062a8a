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
	/* files, exec, mount/bpf, leaving the cgroup, unix sockets: BPF-LSM
	 * where it loads, else Landlock (user/lsm knows which) */
	kv_lsm_mechanisms(f, out);
	kv_process_mechanism(f, f->pidns.ok ? KV_PIDNS_OWN : KV_PIDNS_NONE, &out[KV_RULE_PROCESS]);
}

/* ptrace and signals to processes outside the session, and what /proc
 * shows: the strongest layer first. As data: per layer below the PID
 * namespace, per namespace mode. */
#define PN_OWN "own PID namespace (processes outside the session cannot be named: kill and " \
	       "ptrace get ESRCH, /proc lists only the session)"
#define PN_USER "own PID namespace in a user namespace (processes outside the session cannot " \
		"be named: kill and ptrace get ESRCH, /proc lists only the session)"
#define PN_USER_LIMIT "the user namespace maps only the agent's own uid and gid: files of other " \
		      "users show as nobody/nogroup, setgroups is refused"
#define P_LSM "bpf-lsm ptrace_access_check, task_kill (targets outside the session), task_alloc (gate)"
#define P_LL6 "landlock (ptrace and signals scoped to the session) + seccomp; the gate's " \
	      "fork/exec effects by tracepoint (the new process is killed)"
#define P_LL "landlock (ptrace scoped to the session) + seccomp"
#define P_SC "seccomp (ptrace in NOTIFY tier; kill/tgkill only with the swarm bit)"

enum { L_LSM, L_LL6, L_LL, L_SC, L_COUNT };

static const struct {
	const char *mechanism, *limits;
} process_rows[L_COUNT][3] = {
	[L_LSM] = {
		[KV_PIDNS_NONE] = { P_LSM, "no PID namespace: /proc lists processes outside the "
					   "session (their cmdline and status are readable; environ "
					   "and mem are refused)" },
		[KV_PIDNS_OWN] = { P_LSM " + " PN_OWN, "" },
		[KV_PIDNS_USERNS] = { P_LSM " + " PN_USER, PN_USER_LIMIT },
	},
	[L_LL6] = {
		[KV_PIDNS_NONE] = { P_LL6, "no PID namespace: the agent can see other processes in "
					   "/proc and read what their DAC permissions allow (e.g. "
					   "/proc/<pid>/environ of its own uid)" },
		[KV_PIDNS_OWN] = { PN_OWN " + " P_LL6, "" },
		[KV_PIDNS_USERNS] = { PN_USER " + " P_LL6, PN_USER_LIMIT },
	},
	[L_LL] = {
		[KV_PIDNS_NONE] = { P_LL, "no PID namespace, and signals outside the session are "
					  "stopped only by the syscall profile (kill needs the swarm "
					  "bit; Landlock ABI < 6 has no signal scoping)" },
		[KV_PIDNS_OWN] = { PN_OWN " + " P_LL, "" },
		[KV_PIDNS_USERNS] = { PN_USER " + " P_LL, PN_USER_LIMIT },
	},
	[L_SC] = {
		[KV_PIDNS_NONE] = { P_SC, "signals to processes outside the session are refused only "
					  "by the syscall profile" },
		[KV_PIDNS_OWN] = { PN_OWN " + " P_SC, "" },
		[KV_PIDNS_USERNS] = { PN_USER " + " P_SC, PN_USER_LIMIT },
	},
};

void kv_process_mechanism(const struct kv_features *f, enum kv_pidns_mode mode,
			  struct kv_mechanism *out)
{
	bool ll = f->landlock.ok && f->landlock_abi > 0;
	int layer = f->bpf_lsm.ok ? L_LSM
		    : ll && f->landlock_abi >= 6 ? L_LL6
		    : ll ? L_LL
		    : L_SC;

	if (mode > KV_PIDNS_USERNS)
		mode = KV_PIDNS_NONE;
	mech(out, "process",
	     f->bpf_lsm.ok || ll || f->seccomp_filter.ok || mode != KV_PIDNS_NONE,
	     process_rows[layer][mode].mechanism, process_rows[layer][mode].limits);
}

const char *kv_features_pidns_daemon_client(const struct kv_features *f)
{
	return f->pidns_userns.ok ? "user_namespace" : "none";
}

/* Which PID namespace a session gets here, by how it is started: enforcement.process
 * shows the embedded one. */
static struct json_object *kv_features_pidns_json(const struct kv_features *f)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "embedded", json_object_new_string(f->pidns.ok ? "own" : "none"));
	json_object_object_add(o, "daemon_root_client",
			       json_object_new_string(f->pidns.ok ? "own" : "none"));
	json_object_object_add(o, "daemon_unprivileged_client",
			       json_object_new_string(kv_features_pidns_daemon_client(f)));
	return o;
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
	json_object_object_add(feat, "pid_namespace_unprivileged", feat_json(&f->pidns_userns));
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
	json_object_object_add(o, "pid_namespace_sessions", kv_features_pidns_json(f));
	return o;
}
