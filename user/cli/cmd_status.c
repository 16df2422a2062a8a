// SPDX-License-Identifier: BSD-2-Clause
/* kavachos status: what this kernel offers and what enforces each rule. */
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>
#include "cli/cli.h"
#include "common/log.h"
#include "features/features.h"

static void print_feat(const char *name, const struct kv_feat *f)
{
	printf("  %-22s %-4s %s\n", name, f->ok ? "yes" : "no", f->detail);
}

static void print_plain(const struct kv_features *f)
{
	struct kv_mechanism m[KV_RULE_COUNT];
	int i;

	printf("kernel               %s\n", f->kernel);
	printf("cgroup2              %s%s\n", f->cgroup2_root[0] ? f->cgroup2_root : "(not mounted)",
	       f->cgroup_hybrid ? " (hybrid layout: v1 controllers elsewhere)" : "");
	printf("active LSMs          %s\n", f->lsm_list[0] ? f->lsm_list : "(unknown)");
	printf("landlock ABI         %d\n\nKernel features (probed by loading and attaching):\n",
	       f->landlock_abi);
	print_feat("btf", &f->btf);
	print_feat("cgroup sock_addr", &f->cgroup_sock_addr);
	print_feat("cgroup sock_create", &f->cgroup_sock_create);
	print_feat("cgroup connect_unix", &f->connect_unix);
	print_feat("bpf-lsm", &f->bpf_lsm);
	print_feat("tp_btf", &f->tp_btf);
	print_feat("fexit_seccomp", &f->fexit_seccomp);
	print_feat("ring buffer", &f->ringbuf);
	print_feat("bpf_send_signal", &f->send_signal);
	print_feat("seccomp filter", &f->seccomp_filter);
	print_feat("seccomp user notif", &f->seccomp_notify);
	print_feat("landlock", &f->landlock);
	print_feat("cgroup.freeze", &f->cgroup_freeze);
	print_feat("cgroup.kill", &f->cgroup_kill);
	print_feat("pid namespace", &f->pidns);
	print_feat("pid ns, unprivileged", &f->pidns_userns);
	printf("\nEnforcement on this kernel:\n");
	kv_features_mechanisms(f, m);
	for (i = 0; i < KV_RULE_COUNT; i++) {
		printf("  %-13s %-8s %s\n", m[i].rule, m[i].enforced ? "ENFORCED" : "NOT", m[i].mechanism);
		if (m[i].limits[0])
			printf("  %-13s %-8s limit: %s\n", "", "", m[i].limits);
	}
	printf("\nPID namespace per session: embedded run %s; through kavachos-load, a root "
	       "client %s, an unprivileged client %s\n",
	       f->pidns.ok ? "own" : "none", f->pidns.ok ? "own" : "none",
	       kv_features_pidns_daemon_client(f));
}

int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, 0, 'j' },
		{ "help", no_argument, 0, 'h' },
		{ 0 },
	};
	const struct kv_features *f;
	int c;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			kv_json_output = true;
			break;
		case 'h':
			printf("Usage: kavachos status [--json]\n\n"
			       "Probes the running kernel by loading and attaching minimal programs\n"
			       "(as root: mounts bpffs/securityfs if missing) and reports, per rule class,\n"
			       "which mechanism enforces it here.\n");
			return KV_EXIT_OK;
		default:
			return KV_EXIT_USAGE;
		}
	}
	if (geteuid() != 0)
		kv_warn("features", "not root: BPF probes will report what an unprivileged user may load");
	f = kv_features_get();
	if (kv_json_output) {
		struct json_object *o = kv_features_json(f);

		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		print_plain(f);
	}
	return KV_EXIT_OK;
}
