/* SPDX-License-Identifier: BSD-2-Clause */
/* What this kernel can enforce, found by really loading and attaching
 * (systemd's *_supported() probes), cached per process. Never by version. */
#ifndef KV_FEATURES_H
#define KV_FEATURES_H
#include <limits.h>
#include <stdbool.h>
#include <json-c/json.h>

enum kv_feat_state {
	KV_FEAT_NO = 0,
	KV_FEAT_YES = 1,
};

struct kv_feat {
	bool ok;
	char detail[160]; /* why not, or what exactly */
};

struct kv_features {
	char kernel[128];
	char cgroup2_root[PATH_MAX]; /* "" if not mounted */
	bool cgroup_hybrid;          /* v1 controllers beside a cgroup2 mount elsewhere */
	bool bpffs_mounted;
	bool securityfs_mounted;
	char lsm_list[256]; /* /sys/kernel/security/lsm */
	char lockdown[32];
	struct kv_feat btf;
	struct kv_feat cgroup_sock_addr; /* connect4/6, sendmsg4/6 load + attach */
	struct kv_feat cgroup_sock_create;
	struct kv_feat connect_unix;     /* BPF_CGROUP_UNIX_CONNECT */
	int connect_unix_attach_type;    /* its enum value from the kernel's BTF, or -1 */
	int sendmsg_unix_attach_type;    /* BPF_CGROUP_UNIX_SENDMSG, or -1 */
	struct kv_feat bpf_lsm;          /* lsm/ programs load + attach */
	struct kv_feat tp_btf;           /* tp_btf/sys_exit load + attach */
	struct kv_feat fexit_seccomp;    /* fexit/__secure_computing load + attach */
	struct kv_feat ringbuf;
	struct kv_feat send_signal;      /* bpf_send_signal from tracing */
	struct kv_feat seccomp_filter;
	struct kv_feat seccomp_notify;   /* SECCOMP_RET_USER_NOTIF */
	struct kv_feat landlock;
	int landlock_abi;                /* 0 = none */
	struct kv_feat cgroup_freeze;
	struct kv_feat cgroup_kill;
	struct kv_feat pidns;            /* unshare(CLONE_NEWPID) as we are (root: embedded runs) */
	struct kv_feat pidns_userns;     /* an unprivileged user's PID namespace, through a user
					  * namespace, with its own /proc (daemon clients) */
};

/* Where seccomp refusals are counted: at seccomp's own verdict (only tasks
 * with a filter pay) when that attaches and BPF-LSM does the gate's fork
 * check, else at raw_syscalls:sys_exit (every task of the host pays while
 * a session lives). The loader uses the same rule. */
static inline bool kv_count_at_seccomp(const struct kv_features *f)
{
	return f->fexit_seccomp.ok && f->bpf_lsm.ok;
}

/* Probe once (mounting bpffs/securityfs if missing), then cached. */
const struct kv_features *kv_features_get(void);

/* Which mechanism enforces each rule class on this kernel. */
enum kv_rule_class {
	KV_RULE_SYSCALLS = 0,
	KV_RULE_EGRESS,
	KV_RULE_UNIX_SOCKETS,
	KV_RULE_FILES,
	KV_RULE_EXEC,
	KV_RULE_PROCESS,
	KV_RULE_MOUNT_BPF,
	KV_RULE_LEAVE_CGROUP,
	KV_RULE_GATE,
	KV_RULE_VIOLATIONS,
	KV_RULE_COUNT,
};

struct kv_mechanism {
	const char *rule;      /* "files" */
	const char *mechanism; /* "bpf-lsm", "landlock", ... or "none" */
	const char *limits;    /* what the fallback cannot express, or "" */
	bool enforced;
};

/* A session's PID namespace (user/run/pidns.c): none, its own (created
 * with CAP_SYS_ADMIN), or its own inside a user namespace of its own. */
enum kv_pidns_mode {
	KV_PIDNS_NONE = 0,
	KV_PIDNS_OWN,
	KV_PIDNS_USERNS,
};

/* The table for this kernel; its process row as an embedded session gets
 * it (its own PID namespace wherever the kernel has them). */
void kv_features_mechanisms(const struct kv_features *f, struct kv_mechanism out[KV_RULE_COUNT]);
/* What an unprivileged client of kavachos-load gets: "user_namespace" or "none". */
const char *kv_features_pidns_daemon_client(const struct kv_features *f);
/* The process row (ptrace, signals, /proc) for a session with mode. */
void kv_process_mechanism(const struct kv_features *f, enum kv_pidns_mode mode,
			  struct kv_mechanism *out);
struct json_object *kv_features_json(const struct kv_features *f);
#endif
