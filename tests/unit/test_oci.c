// SPDX-License-Identifier: BSD-2-Clause
/* OCI/Docker seccomp JSON import: Docker's default profile in full, the
 * includes/excludes rules, malformed files refused by name, round trips. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include "kvtest.h"
#include "profile/profile.h"

static const char *docker_profile(void)
{
	static char path[512];
	const char *env = getenv("KV_DOCKER_SECCOMP");

	if (env)
		return env;
	snprintf(path, sizeof(path), "%s/../tests/data/docker-default-seccomp.json",
		 kvtest_build_dir());
	if (!access(path, R_OK))
		return path;
	return "/work/shared/peers/docker-default-seccomp.json";
}

static char *read_all(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	char *buf = NULL;
	off_t n;

	if (fd < 0)
		return NULL;
	n = lseek(fd, 0, SEEK_END);
	buf = malloc((size_t)n + 1);
	if (buf && pread(fd, buf, (size_t)n, 0) != n) {
		free(buf);
		buf = NULL;
	}
	close(fd);
	if (buf) {
		buf[n] = 0;
		*len = (size_t)n;
	}
	return buf;
}

static bool has_rule(const struct kv_profile *p, const char *rule)
{
	size_t n, i;
	const struct kv_rule *r = kv_profile_rules(p, &n);
	char buf[200];

	for (i = 0; i < n; i++) {
		kv_rule_format(&r[i], buf, sizeof(buf));
		if (!strcmp(buf, rule))
			return true;
	}
	return false;
}

static bool mentions(const struct kv_profile *p, const char *name)
{
	size_t n, i;
	const struct kv_rule *r = kv_profile_rules(p, &n);

	for (i = 0; i < n; i++)
		if (r[i].nr == kv_syscall_nr(name))
			return true;
	return false;
}

static struct kv_profile *import_docker(uint64_t caps, const char *kernel)
{
	struct kv_oci_opts o = { .caps = caps, .kernel_release = kernel };
	struct kv_profile *p = NULL;
	char err[512], *text;
	size_t len = 0;

	text = read_all(docker_profile(), &len);
	if (!ASSERT_OK_PTR(text, docker_profile()))
		return NULL;
	ASSERT_OK(kv_profile_from_oci_json(text, len, "docker.json", &o, &p, err, sizeof(err)),
		  err);
	free(text);
	return p;
}

KV_TEST(docker_default_imports)
{
	struct kv_profile *p = NULL;
	const char *const *skipped;
	struct kv_plan plan;
	char err[512];
	size_t n, i;
	bool llseek = false;

	if (!ASSERT_OK(kv_profile_from_oci_file(docker_profile(), &p, err, sizeof(err)), err))
		return;
	ASSERT_EQ(kv_profile_origin(p), KV_PROFILE_OCI, "origin");
	ASSERT_NULL(kv_profile_input(p), "no trust-mask input");
	ASSERT_EQ(kv_profile_default_action(p), SCMP_ACT_ERRNO(EPERM), "defaultErrnoRet 1");
	/* args, with the OCI value/valueTwo convention for MASKED_EQ */
	ASSERT_TRUE(has_rule(p, "clone SCMP_ACT_ALLOW if a0&0x7e020000==0"), "clone masked");
	ASSERT_TRUE(has_rule(p, "socket SCMP_ACT_ALLOW if a0<0x26"), "socket LT");
	ASSERT_TRUE(has_rule(p, "socket SCMP_ACT_ALLOW if a0==0x27"), "socket EQ");
	ASSERT_TRUE(has_rule(p, "socket SCMP_ACT_ALLOW if a0>0x28"), "socket GT");
	ASSERT_TRUE(has_rule(p, "personality SCMP_ACT_ALLOW if a0==0xffffffff"), "personality");
	/* errnoRet */
	ASSERT_TRUE(has_rule(p, "clone3 SCMP_ACT_ERRNO(ENOSYS)"), "clone3 errnoRet 38");
	/* includes: arches amd64, minKernel 4.8 (this kernel is newer) */
	ASSERT_TRUE(has_rule(p, "arch_prctl SCMP_ACT_ALLOW"), "amd64 arch");
	ASSERT_TRUE(has_rule(p, "ptrace SCMP_ACT_ALLOW"), "minKernel 4.8");
	/* includes by caps: the agent holds none */
	ASSERT_FALSE(mentions(p, "bpf"), "CAP_SYS_ADMIN/CAP_BPF only");
	ASSERT_FALSE(mentions(p, "reboot"), "CAP_SYS_BOOT only");
	ASSERT_FALSE(mentions(p, "mount"), "CAP_SYS_ADMIN only");
	ASSERT_FALSE(mentions(p, "riscv_flush_icache"), "riscv only");
	/* other architectures' names are skipped, like runc does */
	n = kv_profile_skipped(p, &skipped);
	for (i = 0; i < n; i++)
		if (!strcmp(skipped[i], "_llseek"))
			llseek = true;
	ASSERT_TRUE(llseek, "_llseek skipped");
	ASSERT_GE(kv_profile_count_allowed(p), 280, "allowed");
	ASSERT_EQ(kv_profile_count_notify(p), 0, "no NOTIFY");
	ASSERT_FALSE(kv_profile_launch_exec_supervised(p), "exec not supervised");
	if (ASSERT_OK(kv_profile_plan(p, &plan, err, sizeof(err)), err)) {
		ASSERT_EQ(plan.n_guard, 0, "Docker needs no guard filter");
		kv_plan_free(&plan);
	}
	kv_profile_free(p);
}

KV_TEST(docker_caps_and_kernel)
{
	/* CAP_SYS_ADMIN = 21: clone unconditional, the ENOSYS clone3 entry excluded */
	struct kv_profile *admin = import_docker(1ull << 21, "6.1.0");
	struct kv_profile *old = import_docker(0, "4.4.0-generic");
	struct kv_profile *ptr = import_docker(1ull << 19, "4.4.0"); /* CAP_SYS_PTRACE */

	if (admin) {
		ASSERT_TRUE(has_rule(admin, "clone SCMP_ACT_ALLOW"), "admin clone");
		ASSERT_FALSE(has_rule(admin, "clone SCMP_ACT_ALLOW if a0&0x7e020000==0"),
			     "masked clone excluded for admins");
		ASSERT_TRUE(has_rule(admin, "clone3 SCMP_ACT_ALLOW"), "admin clone3");
		ASSERT_FALSE(has_rule(admin, "clone3 SCMP_ACT_ERRNO(ENOSYS)"), "ENOSYS excluded");
		ASSERT_TRUE(has_rule(admin, "mount SCMP_ACT_ALLOW"), "admin mount");
	}
	if (old)
		ASSERT_FALSE(mentions(old, "ptrace"), "minKernel 4.8 not met");
	if (ptr)
		ASSERT_TRUE(has_rule(ptr, "ptrace SCMP_ACT_ALLOW"), "CAP_SYS_PTRACE");
	kv_profile_free(admin);
	kv_profile_free(old);
	kv_profile_free(ptr);
}

static const struct {
	const char *json;
	const char *msg;
} malformed[] = {
	{ "{\"defaultAction\": }", "t.json:1:19: " },
	{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\",\n \"syscalls\": [\n"
	  "  {\"names\": [\"read\"],}\n]}",
	  "t.json:3:" },
	{ "[]", "expected a JSON object, got an array" },
	{ "{\"syscalls\": []}", "missing 'defaultAction'" },
	{ "{\"defaultAction\": \"SCMP_ACT_FOO\"}", "defaultAction: unknown action 'SCMP_ACT_FOO'" },
	{ "{\"defaultAcion\": \"SCMP_ACT_ERRNO\"}", "unknown member 'defaultAcion'" },
	{ "{\"defaultAction\": \"SCMP_ACT_NOTIFY\"}", "every syscall to the supervisor" },
	{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"defaultErrnoRet\": 1}",
	  "defaultErrnoRet is only valid" },
	{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 5000}",
	  "defaultErrnoRet: errno 5000 out of range" },
	{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": {}}",
	  "syscalls: expected an array, got an object" },
	{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": \"read\", "
	  "\"action\": \"SCMP_ACT_ALLOW\"}]}",
	  "syscalls[0].names: expected an array of syscall names, got a string" },
	{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [], "
	  "\"action\": \"SCMP_ACT_ALLOW\"}]}",
	  "syscalls[0].names: empty" },
	{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"]}]}",
	  "syscalls[0]: no 'action'" },
	{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], "
	  "\"action\": \"SCMP_ACT_ALLOW\", \"errnoRet\": 1}]}",
	  "errnoRet is only valid with SCMP_ACT_ERRNO" },
	{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], "
	  "\"action\": \"SCMP_ACT_ALLOW\", \"bogus\": 1}]}",
	  "syscalls[0]: unknown member 'bogus'" },
	{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], "
	  "\"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, \"value\": 1, "
	  "\"op\": \"SCMP_CMP_FOO\"}]}]}",
	  "syscalls[0].args[0].op: unknown comparison 'SCMP_CMP_FOO'" },
	{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], "
	  "\"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 6, \"value\": 1, "
	  "\"op\": \"SCMP_CMP_EQ\"}]}]}",
	  "syscalls[0].args[0].index: argument index 6 out of range" },
	{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], "
	  "\"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, \"value\": -1, "
	  "\"op\": \"SCMP_CMP_EQ\"}]}]}",
	  "syscalls[0].args[0].value: negative value -1" },
	{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], "
	  "\"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, \"value\": 1.5, "
	  "\"op\": \"SCMP_CMP_EQ\"}]}]}",
	  "syscalls[0].args[0].value: expected a non-negative integer, got a fraction" },
	{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], "
	  "\"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, \"op\": \"SCMP_CMP_EQ\"}]}]}",
	  "syscalls[0].args[0]: missing 'value'" },
	{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], "
	  "\"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"caps\": [\"CAP_FLY\"]}}]}",
	  "syscalls[0].includes.caps[0]: unknown capability 'CAP_FLY'" },
	{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], "
	  "\"action\": \"SCMP_ACT_ALLOW\", \"excludes\": {\"minKernel\": \"new\"}}]}",
	  "syscalls[0].excludes.minKernel: 'new' is not a kernel version" },
	{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], "
	  "\"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"os\": \"linux\"}}]}",
	  "syscalls[0].includes: unknown member 'os'" },
	{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": [\"SCMP_ARCH_AARCH64\"]}",
	  "does not cover SCMP_ARCH_X86_64" },
	{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": [\"x86_64\"]}",
	  "architectures[0]: 'x86_64' is not an SCMP_ARCH_* name" },
	{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"flags\": [\"SECCOMP_FILTER_FLAG_FAST\"]}",
	  "flags[0]: unknown flag" },
	/* what libseccomp would silently drop is refused */
	{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": ["
	  "{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\"},"
	  "{\"names\": [\"read\"], \"action\": \"SCMP_ACT_KILL\"}]}",
	  "'read' has two unconditional actions" },
	{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": ["
	  "{\"names\": [\"ioctl\"], \"action\": \"SCMP_ACT_ALLOW\"},"
	  "{\"names\": [\"ioctl\"], \"action\": \"SCMP_ACT_NOTIFY\", \"args\": "
	  "[{\"index\": 1, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]}",
	  "needs a second listener" },
	{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
	  "{\"names\": [\"ioctl\"], \"action\": \"SCMP_ACT_ERRNO\"},"
	  "{\"names\": [\"ioctl\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": "
	  "[{\"index\": 1, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]}",
	  "cannot be combined with unconditional" },
};

KV_TEST(malformed_profiles_refused)
{
	size_t i;

	for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		struct kv_profile *p = (void *)1;
		char err[512] = "";
		int rc = kv_profile_from_oci_json(malformed[i].json, strlen(malformed[i].json),
						  "t.json", NULL, &p, err, sizeof(err));

		ASSERT_EQ(rc, -EINVAL, malformed[i].msg);
		ASSERT_NULL(p, "no profile");
		ASSERT_HAS_SUBSTR(err, malformed[i].msg, "message");
		ASSERT_HAS_SUBSTR(err, "t.json", "names the file");
	}
}

KV_TEST(missing_file)
{
	struct kv_profile *p = NULL;
	char err[512], path[600];

	snprintf(path, sizeof(path), "%s/nope.json", kvtest_tmpdir());
	ASSERT_EQ(kv_profile_from_oci_file(path, &p, err, sizeof(err)), -ENOENT, "ENOENT");
	ASSERT_HAS_SUBSTR(err, path, "names the file");
	ASSERT_HAS_SUBSTR(err, "No such file", "says why");
}

/* Two comparisons on one argument: each becomes its own rule (runc's way). */
KV_TEST(same_argument_twice_splits)
{
	const char *json = "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": "
			   "[\"personality\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": ["
			   "{\"index\": 0, \"value\": 0, \"op\": \"SCMP_CMP_EQ\"},"
			   "{\"index\": 0, \"value\": 8, \"op\": \"SCMP_CMP_EQ\"}]},"
			   "{\"names\": [\"futex\", \"no_such_call\"], "
			   "\"action\": \"SCMP_ACT_LOG\"},"
			   "{\"name\": \"getpid\", \"action\": \"SCMP_ACT_TRACE\", "
			   "\"errnoRet\": 7}]}";
	struct kv_profile *p = NULL;
	const char *const *sk;
	char err[512];

	if (!ASSERT_OK(kv_profile_from_oci_json(json, strlen(json), "t.json", NULL, &p, err,
						sizeof(err)),
		       err))
		return;
	ASSERT_TRUE(has_rule(p, "personality SCMP_ACT_ALLOW if a0==0"), "first");
	ASSERT_TRUE(has_rule(p, "personality SCMP_ACT_ALLOW if a0==0x8"), "second");
	ASSERT_TRUE(has_rule(p, "futex SCMP_ACT_LOG"), "log");
	ASSERT_TRUE(has_rule(p, "getpid SCMP_ACT_TRACE(7)"), "legacy name, trace");
	ASSERT_EQ(kv_profile_skipped(p, &sk), 1, "one unknown name");
	ASSERT_STREQ(sk[0], "no_such_call", "skipped");
	kv_profile_free(p);
}

static bool same_rules(const struct kv_profile *a, const struct kv_profile *b)
{
	size_t na, nb, i;
	const struct kv_rule *ra = kv_profile_rules(a, &na), *rb = kv_profile_rules(b, &nb);
	struct kv_syscall_policy pa, pb;

	if (!ASSERT_EQ(na, nb, "rule count"))
		return false;
	for (i = 0; i < na; i++)
		if (!ASSERT_TRUE(!memcmp(&ra[i], &rb[i], sizeof(ra[i])), "rule"))
			return false;
	kv_profile_syscall_policy(a, &pa);
	kv_profile_syscall_policy(b, &pb);
	return ASSERT_TRUE(!memcmp(&pa, &pb, sizeof(pa)), "bitmaps") &
	       ASSERT_EQ(kv_profile_default_action(a), kv_profile_default_action(b), "default");
}

static struct kv_profile *reimport(const struct kv_profile *p)
{
	struct json_object *o = kv_profile_oci_json(p);
	struct kv_profile *q = NULL;
	const char *text;
	char err[512];

	if (!ASSERT_OK_PTR(o, "export"))
		return NULL;
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY);
	ASSERT_OK(kv_profile_from_oci_json(text, strlen(text), "export.json", NULL, &q, err,
					   sizeof(err)),
		  err);
	json_object_put(o);
	return q;
}

/* Our export is a valid OCI profile that imports to the same filters. */
KV_TEST(export_import_round_trip)
{
	static const uint32_t masks[] = { 0, 0xFF, 0xFFFF, 0xFFFFFF };
	size_t i;

	for (i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		struct kv_profile_input in = { .trust_mask = masks[i], .domain = KV_DOMAIN_FINANCE,
					       .depth = i == 3 ? 4 : 1 };
		struct kv_profile *p = NULL, *q;
		char err[256];

		if (!ASSERT_OK(kv_profile_build(&in, &p, err, sizeof(err)), err))
			return;
		q = reimport(p);
		if (q) {
			same_rules(p, q);
			ASSERT_EQ(kv_profile_launch_exec_supervised(q),
				  kv_profile_launch_exec_supervised(p), "launch exec");
		}
		kv_profile_free(q);
		kv_profile_free(p);
	}
	{
		struct kv_profile *d = import_docker(0, NULL), *q = d ? reimport(d) : NULL;

		if (q)
			same_rules(d, q);
		kv_profile_free(q);
		kv_profile_free(d);
	}
}
