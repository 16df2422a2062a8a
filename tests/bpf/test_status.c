// SPDX-License-Identifier: BSD-2-Clause
/* `kavachos status --json` says what the running kernel really offers:
 * each answer checked against an independent source (mountinfo, the
 * Landlock syscall, the active LSM list, a direct load of an lsm program
 * by the fixture's loader), and printed so CI logs show both kernels. */
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/landlock.h>
#include <json-c/json.h>
#include "bpf/loader.h"
#include "fixture.h"
#include "kvtest.h"
#include "session/cgroup.h"

static struct json_object *path(struct json_object *o, const char *a, const char *b)
{
	struct json_object *x = NULL, *y = NULL;

	if (!json_object_object_get_ex(o, a, &x))
		return NULL;
	if (!b)
		return x;
	return json_object_object_get_ex(x, b, &y) ? y : NULL;
}

KV_TEST(status_json_matches_the_kernel)
{
	char out[65536], root[4096], lsm[256] = "";
	struct json_object *o, *v, *feat;
	bool lsm_ok;
	int abi;
	FILE *f;

	if (geteuid()) {
		test__skip("needs root");
		return;
	}
	if (!ASSERT_EQ(kv_sh(out, sizeof(out), "%s/kavachos status --json", kvtest_build_dir()), 0, "status"))
		return;
	o = json_tokener_parse(out);
	if (!ASSERT_OK_PTR(o, "json"))
		return;
	/* cgroup2: where mountinfo says */
	if (ASSERT_OK(kv_cgroup2_root(root, sizeof(root)), "mountinfo"))
		ASSERT_STREQ(json_object_get_string(path(o, "cgroup2", "root")), root, "cgroup2_root");
	/* Landlock: what the syscall says */
	abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	ASSERT_EQ(json_object_get_int(path(o, "landlock_abi", NULL)), abi > 0 ? abi : 0, "landlock_abi");
	/* BPF-LSM: available only where bpf is an active LSM and an lsm program loads */
	f = fopen("/sys/kernel/security/lsm", "r");
	if (f) {
		if (!fgets(lsm, sizeof(lsm), f))
			lsm[0] = 0;
		fclose(f);
	}
	feat = path(o, "features", NULL);
	v = feat ? path(feat, "bpf_lsm", "available") : NULL;
	lsm_ok = v && json_object_get_boolean(v);
	if (lsm_ok)
		ASSERT_TRUE(strstr(lsm, "bpf") != NULL, "bpf_in_active_lsms");
	ASSERT_OK_PTR(path(path(o, "enforcement", "files"), "mechanism", NULL), "files_entry");
	ASSERT_OK_PTR(path(o, "enforcement", "syscalls"), "syscalls_entry");
	ASSERT_OK_PTR(path(o, "enforcement", "egress"), "egress_entry");
	printf("  status on %s: cgroup2 %s, landlock ABI %d, bpf-lsm %s (%s)\n",
	       json_object_get_string(path(o, "kernel", NULL)), root, abi,
	       lsm_ok ? "available" : "unavailable",
	       json_object_get_string(path(path(feat, "bpf_lsm", NULL), "detail", NULL)));
	json_object_put(o);
}

/* The loader agrees with status: the lsm object loads exactly where
 * status says BPF-LSM is available. */
KV_TEST(lsm_object_loads_where_status_says)
{
	struct kv_fixture f;
	char out[65536];
	struct json_object *o, *v;
	bool says;

	if (!kv_fixture_setup(&f, NULL, NULL))
		goto out;
	if (!ASSERT_EQ(kv_sh(out, sizeof(out), "%s/kavachos status --json", kvtest_build_dir()), 0,
		       "status"))
		goto out;
	o = json_tokener_parse(out);
	v = o ? path(path(o, "features", "bpf_lsm"), "available", NULL) : NULL;
	says = v && json_object_get_boolean(v);
	ASSERT_EQ(kv_bpf_has_lsm(f.bpf), says, "loader_matches_status");
	json_object_put(o);
out:
	kv_fixture_teardown(&f);
}
