// SPDX-License-Identifier: BSD-2-Clause
/* `kavachos generate` and `kavachos init`, run in-process with stdout and
 * stderr captured: exit codes, messages, files. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli/cli.h"
#include "common/log.h"
#include "config/config.h"
#include "kvtest.h"

struct out {
	int rc;
	char out[65536];
	char err[4096];
};

static void slurp(int fd, char *buf, size_t len)
{
	ssize_t n = pread(fd, buf, len - 1, 0);

	buf[n > 0 ? n : 0] = 0;
}

/* Runs cmd with argv (NULL-terminated) in dir, capturing its output. */
static void run(int (*cmd)(int, char **), const char *const *argv, struct out *o)
{
	char path[600], cwd[600];
	int fo, fe, so, se, argc;
	char *args[32];

	for (argc = 0; argv[argc]; argc++)
		args[argc] = (char *)argv[argc];
	args[argc] = NULL;
	snprintf(path, sizeof(path), "%s/.out", kvtest_tmpdir());
	fo = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	snprintf(path, sizeof(path), "%s/.err", kvtest_tmpdir());
	fe = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	fflush(NULL);
	so = dup(1);
	se = dup(2);
	dup2(fo, 1);
	dup2(fe, 2);
	if (!getcwd(cwd, sizeof(cwd)) || chdir(kvtest_tmpdir()))
		cwd[0] = 0;
	kv_json_output = false;
	o->rc = cmd(argc, args);
	fflush(NULL);
	if (cwd[0] && chdir(cwd))
		cwd[0] = 0;
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	slurp(fo, o->out, sizeof(o->out));
	slurp(fe, o->err, sizeof(o->err));
	close(fo);
	close(fe);
}

static void clean_env(void)
{
	unsetenv("KAVACHOS_TRUST_MASK");
	unsetenv("KAVACHOS_DOMAIN");
}

KV_TEST(generate_summary)
{
	static const char *const argv[] = { "generate", "--no-config", NULL };
	static struct out o;

	clean_env();
	run(cmd_generate, argv, &o);
	ASSERT_EQ(o.rc, KV_EXIT_OK, o.err);
	ASSERT_HAS_SUBSTR(o.out, "trust mask   0x000000ff  auth rbac events db notification cache "
				 "registered forja",
			  "named bits");
	ASSERT_HAS_SUBSTR(o.out, "domain       general", "domain");
	ASSERT_HAS_SUBSTR(o.out, "trust_mask=default", "source");
	ASSERT_HAS_SUBSTR(o.out, "notify       bpf mount perf_event_open ptrace setns umount2 "
				 "userfaultfd",
			  "NOTIFY list");
	ASSERT_HAS_SUBSTR(o.out, "sha256       ", "hash");
	ASSERT_HAS_SUBSTR(o.out, "BPF instructions", "filter size");
}

static const struct {
	const char *args[4];
	int rc;
	const char *msg;
} bad_args[] = {
	{ { "--trust-mask=0x1000000" }, KV_EXIT_USAGE,
	  "invalid trust mask '0x1000000': bits 24-31 are reserved" },
	{ { "--trust-mask=lots" }, KV_EXIT_USAGE, "invalid trust mask 'lots': not a number" },
	{ { "--domain=mars" }, KV_EXIT_USAGE,
	  "unknown domain 'mars' (valid: general, maritime, logistics, ot, finance)" },
	{ { "--depth=0" }, KV_EXIT_USAGE, "invalid depth '0'" },
	{ { "--format=yaml" }, KV_EXIT_USAGE, "invalid --format 'yaml'" },
	{ { "stray" }, KV_EXIT_USAGE, "unexpected argument 'stray'" },
	{ { "--seccomp-profile=/nonexistent.json" }, KV_EXIT_USAGE, "/nonexistent.json: No such" },
	{ { "--seccomp-profile=x.json", "--trust-mask=1" }, KV_EXIT_USAGE,
	  "--seccomp-profile replaces the generated profile" },
};

KV_TEST(generate_invalid_input)
{
	static struct out o;
	size_t i;

	clean_env();
	for (i = 0; i < sizeof(bad_args) / sizeof(bad_args[0]); i++) {
		const char *argv[8] = { "generate", "--no-config" };
		int k;

		for (k = 0; bad_args[i].args[k]; k++)
			argv[2 + k] = bad_args[i].args[k];
		run(cmd_generate, argv, &o);
		ASSERT_EQ(o.rc, bad_args[i].rc, bad_args[i].msg);
		ASSERT_HAS_SUBSTR(o.err, bad_args[i].msg, "message");
	}
}

KV_TEST(generate_json_is_oci)
{
	static const char *const argv[] = { "generate", "--no-config", "--trust-mask=0",
					    "--json", NULL };
	static const char *const sum[] = { "generate", "--no-config", "--trust-mask=0", NULL };
	static struct out o, s;
	struct json_object *j, *v, *meta;
	char want[100];

	clean_env();
	run(cmd_generate, argv, &o);
	if (!ASSERT_EQ(o.rc, 0, o.err))
		return;
	j = json_tokener_parse(o.out);
	if (!ASSERT_OK_PTR(j, "parses"))
		return;
	ASSERT_TRUE(json_object_object_get_ex(j, "defaultAction", &v) &&
			    !strcmp(json_object_get_string(v), "SCMP_ACT_ERRNO"),
		    "defaultAction");
	ASSERT_TRUE(json_object_object_get_ex(j, "syscalls", &v), "syscalls");
	ASSERT_TRUE(json_object_object_get_ex(j, "kavachos", &meta), "metadata");
	ASSERT_TRUE(json_object_object_get_ex(meta, "readonly", &v) && json_object_get_boolean(v),
		    "read-only");
	/* the summary prints the same hash */
	run(cmd_generate, sum, &s);
	json_object_object_get_ex(meta, "sha256", &v);
	snprintf(want, sizeof(want), "sha256       %s", json_object_get_string(v));
	ASSERT_HAS_SUBSTR(s.out, want, "same hash");
	json_object_put(j);
}

KV_TEST(generate_pfc_and_out)
{
	static const char *const pfc[] = { "generate", "--no-config", "--format=pfc", NULL };
	static struct out o;
	const char *argv[] = { "generate", "--no-config", "--trust-mask=0xFFFF", NULL, NULL };
	char opt[600], path[600];
	struct json_object *j;

	clean_env();
	run(cmd_generate, pfc, &o);
	ASSERT_EQ(o.rc, 0, o.err);
	ASSERT_HAS_SUBSTR(o.out, "pseudo filter code start", "pfc");
	ASSERT_HAS_SUBSTR(o.out, "kavachos guard filter", "guard filter");
	snprintf(path, sizeof(path), "%s/profile.json", kvtest_tmpdir());
	snprintf(opt, sizeof(opt), "--out=%s", path);
	argv[3] = opt;
	run(cmd_generate, argv, &o);
	ASSERT_EQ(o.rc, 0, o.err);
	ASSERT_HAS_SUBSTR(o.out, "trust mask   0x0000ffff", "summary on stdout");
	j = json_object_from_file(path);
	ASSERT_OK_PTR(j, "file is JSON");
	json_object_put(j);
}

KV_TEST(generate_docker_profile)
{
	static struct out o;
	const char *argv[] = { "generate", NULL, NULL };
	const char *env = getenv("KV_DOCKER_SECCOMP");
	char opt[600];

	snprintf(opt, sizeof(opt), "--seccomp-profile=%s",
		 env ? env : "/work/shared/peers/docker-default-seccomp.json");
	argv[1] = opt;
	run(cmd_generate, argv, &o);
	ASSERT_EQ(o.rc, 0, o.err);
	ASSERT_HAS_SUBSTR(o.out, "(schema 1, imported)", "imported");
	ASSERT_HAS_SUBSTR(o.out, "skipped", "other arches' names");
	ASSERT_HAS_SUBSTR(o.out, "_llseek", "listed");
}

KV_TEST(generate_uses_config_and_env)
{
	static const char *const argv[] = { "generate", NULL };
	static const char *const flag[] = { "generate", "--trust-mask=0x7", NULL };
	static struct out o;
	char path[600];
	int fd;

	clean_env();
	setenv("KAVACHOS_TRUST_MASK", "0x3", 1);
	setenv("KAVACHOS_DOMAIN", "ot", 1);
	run(cmd_generate, argv, &o);
	if (access("/tmp/.kavachos.json", F_OK) && access("/.kavachos.json", F_OK)) {
		ASSERT_HAS_SUBSTR(o.out, "trust mask   0x00000003", "env mask");
		ASSERT_HAS_SUBSTR(o.out, "trust_mask=environment", "env source");
	}
	snprintf(path, sizeof(path), "%s/%s", kvtest_tmpdir(), KV_CONFIG_NAME);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ASSERT_TRUE(write(fd, "{\"version\": 1, \"trust_mask\": \"0x10\"}", 36) == 36, "write");
	close(fd);
	run(cmd_generate, argv, &o);
	ASSERT_HAS_SUBSTR(o.out, "trust mask   0x00000010", "config mask");
	ASSERT_HAS_SUBSTR(o.out, "domain       ot", "env domain still");
	ASSERT_HAS_SUBSTR(o.out, path, "names the file");
	run(cmd_generate, flag, &o);
	ASSERT_HAS_SUBSTR(o.out, "trust mask   0x00000007", "flag mask");
	/* a broken file stops everything */
	fd = open(path, O_WRONLY | O_TRUNC);
	ASSERT_TRUE(write(fd, "{\"version\": 1, \"depth\": \"3\"}", 28) == 28, "write");
	close(fd);
	run(cmd_generate, argv, &o);
	ASSERT_EQ(o.rc, KV_EXIT_USAGE, "invalid config");
	ASSERT_HAS_SUBSTR(o.err, "field 'depth': expected a non-negative integer", "named");
}

KV_TEST(init_writes_and_refuses_overwrite)
{
	static const char *const first[] = { "init", "--domain=maritime", "--trust-mask=0x00FF0000",
					     NULL };
	static const char *const again[] = { "init", NULL };
	static const char *const force[] = { "init", "--force", "--trust-mask=255", NULL };
	static const char *const bad[] = { "init", "--trust-mask=0x1000000", "--force", NULL };
	static struct out o;
	struct kv_config *c = NULL;
	char path[600], err[512];
	struct stat st;

	clean_env();
	snprintf(path, sizeof(path), "%s/%s", kvtest_tmpdir(), KV_CONFIG_NAME);
	run(cmd_init, first, &o);
	ASSERT_EQ(o.rc, KV_EXIT_OK, o.err);
	ASSERT_HAS_SUBSTR(o.out, "wrote", "reports");
	if (ASSERT_OK(kv_config_load(path, &c, err, sizeof(err)), err)) {
		ASSERT_EQ(c->trust_mask, 0x00FF0000, "mask");
		ASSERT_EQ(c->domain, KV_DOMAIN_MARITIME, "domain");
		ASSERT_EQ(c->version, KV_CONFIG_VERSION, "version");
		kv_config_free(c);
	}
	ASSERT_OK(stat(path, &st), "stat");
	ASSERT_EQ(st.st_mode & 0777, 0644, "not writable by others");
	run(cmd_init, again, &o);
	ASSERT_EQ(o.rc, KV_EXIT_FAIL, "exists");
	ASSERT_HAS_SUBSTR(o.err, "already exists (use --force", "says how");
	run(cmd_init, bad, &o);
	ASSERT_EQ(o.rc, KV_EXIT_USAGE, "invalid mask");
	ASSERT_HAS_SUBSTR(o.err, "bits 24-31 are reserved", "named");
	run(cmd_init, force, &o);
	ASSERT_EQ(o.rc, KV_EXIT_OK, o.err);
	if (ASSERT_OK(kv_config_load(path, &c, err, sizeof(err)), err)) {
		ASSERT_EQ(c->trust_mask, 0xFF, "overwritten");
		ASSERT_EQ(c->domain, KV_DOMAIN_GENERAL, "default domain");
		kv_config_free(c);
	}
}
