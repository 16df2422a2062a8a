// SPDX-License-Identifier: BSD-2-Clause
/* .kavachos.json: every key parsed, every mistake named, the search up the
 * directory tree, and flag > config > environment > default. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "config/config.h"
#include "kvtest.h"

static const char full[] =
	"{\n"
	"  \"version\": 1,\n"
	"  \"trust_mask\": \"0x00FF00FF\",\n"
	"  \"domain\": \"maritime\",\n"
	"  \"depth\": 2,\n"
	"  \"strict_exec\": true,\n"
	"  \"seccomp\": {\"allow\": [\"flock\", \"sched_setattr\"], \"deny\": [\"mknod\"]},\n"
	"  \"egress\": {\"allow\": [\"api.anthropic.com:443/tcp\", \"10.0.0.0/8\"],"
	" \"no_default\": true},\n"
	"  \"files\": {\"deny\": [\"/etc/shadow\"], \"write\": [\"/work\", \"/tmp\"]},\n"
	"  \"gate\": {\"throttle\": 1, \"crack\": 3, \"lock\": 6, \"burst\": 10,"
	" \"burst_window_s\": 5}\n"
	"}\n";

KV_TEST(full_config_parses)
{
	struct kv_config *c = NULL;
	char err[512];

	if (!ASSERT_OK(kv_config_parse(full, strlen(full), "k.json", &c, err, sizeof(err)), err))
		return;
	ASSERT_EQ(c->version, 1, "version");
	ASSERT_TRUE(c->has_trust_mask && c->trust_mask == 0x00FF00FF, "trust_mask");
	ASSERT_TRUE(c->has_domain && c->domain == KV_DOMAIN_MARITIME, "domain");
	ASSERT_TRUE(c->has_depth && c->depth == 2, "depth");
	ASSERT_TRUE(c->has_strict_exec && c->strict_exec, "strict_exec");
	ASSERT_EQ(c->seccomp_allow.n, 2, "seccomp.allow");
	ASSERT_STREQ(c->seccomp_allow.v[1], "sched_setattr", "seccomp.allow[1]");
	ASSERT_EQ(c->seccomp_deny.n, 1, "seccomp.deny");
	ASSERT_EQ(c->egress_allow.n, 2, "egress.allow");
	ASSERT_STREQ(c->egress_allow.v[0], "api.anthropic.com:443/tcp", "kept as written");
	ASSERT_TRUE(c->has_egress_no_default && c->egress_no_default, "no_default");
	ASSERT_EQ(c->files_deny.n, 1, "files.deny");
	ASSERT_EQ(c->files_write.n, 2, "files.write");
	ASSERT_TRUE(c->gate.has_throttle && c->gate.throttle == 1, "throttle");
	ASSERT_TRUE(c->gate.has_crack && c->gate.crack == 3, "crack");
	ASSERT_TRUE(c->gate.has_lock && c->gate.lock == 6, "lock");
	ASSERT_TRUE(c->gate.has_burst && c->gate.burst == 10, "burst");
	ASSERT_TRUE(c->gate.has_burst_window_s && c->gate.burst_window_s == 5, "window");
	kv_config_free(c);
}

KV_TEST(minimal_config_and_integer_mask)
{
	const char *t = "{\"version\": 1, \"trust_mask\": 255}";
	struct kv_config *c = NULL;
	char err[512];

	if (!ASSERT_OK(kv_config_parse(t, strlen(t), "k.json", &c, err, sizeof(err)), err))
		return;
	ASSERT_EQ(c->trust_mask, 0xFF, "integer mask");
	ASSERT_FALSE(c->has_domain || c->has_depth || c->has_strict_exec, "unset keys");
	ASSERT_FALSE(c->gate.has_throttle, "no gate");
	kv_config_free(c);
}

static const struct {
	const char *text;
	const char *msg;
} bad[] = {
	{ "{\"version\": 1,\n \"domain\": \"ot\"\n \"depth\": 2}", "k.json:3:2: " },
	{ "{\"version\": 1,}", "k.json:1:" },
	{ "{\"version\": 1} x", "k.json:1:16: " },
	{ "{\"version\": 1 /* c */}", "k.json:1:" },
	{ "{\"version\": 1", "unexpected end of file" },
	{ "", "unexpected end of file" },
	{ "[1]", "expected a JSON object at the top, got an array" },
	{ "{\"trust_mask\": 1}", "missing \"version\"" },
	{ "{\"version\": 2}", "field 'version': unsupported version 2" },
	{ "{\"version\": \"1\"}",
	  "field 'version': expected a non-negative integer, got a string" },
	{ "{\"version\": 1, \"trustmask\": 1}",
	  "field 'trustmask': unknown key (known here: version" },
	{ "{\"version\": 1, \"seccomp\": {\"alow\": []}}",
	  "field 'seccomp.alow': unknown key (known here: allow, deny)" },
	{ "{\"version\": 1, \"gate\": {\"burst_window\": 1}}",
	  "field 'gate.burst_window': unknown key" },
	{ "{\"version\": 1, \"trust_mask\": \"0x1000000\"}",
	  "field 'trust_mask': invalid trust mask '0x1000000': bits 24-31 are reserved" },
	{ "{\"version\": 1, \"trust_mask\": 16777216}", "bits 24-31 are reserved" },
	{ "{\"version\": 1, \"trust_mask\": -1}", "field 'trust_mask': -1 is not a 32-bit mask" },
	{ "{\"version\": 1, \"trust_mask\": \"lots\"}", "not a number" },
	{ "{\"version\": 1, \"trust_mask\": true}",
	  "field 'trust_mask': expected a string like \"0xFF\" or an integer, got a boolean" },
	{ "{\"version\": 1, \"domain\": \"mars\"}",
	  "field 'domain': unknown domain 'mars' (valid: general, maritime, logistics, ot, "
	  "finance)" },
	{ "{\"version\": 1, \"depth\": 0}", "field 'depth': 0 is out of range (1-64)" },
	{ "{\"version\": 1, \"depth\": \"2\"}",
	  "field 'depth': expected a non-negative integer, got a string" },
	{ "{\"version\": 1, \"depth\": 2.5}", "got a fraction" },
	{ "{\"version\": 1, \"strict_exec\": \"yes\"}",
	  "field 'strict_exec': expected true or false" },
	{ "{\"version\": 1, \"seccomp\": []}",
	  "field 'seccomp': expected an object, got an array" },
	{ "{\"version\": 1, \"seccomp\": {\"allow\": \"flock\"}}",
	  "field 'seccomp.allow': expected an array of strings" },
	{ "{\"version\": 1, \"seccomp\": {\"allow\": [\"flock\", \"flork\"]}}",
	  "field 'seccomp.allow[1]': 'flork' is not an x86_64 system call" },
	{ "{\"version\": 1, \"seccomp\": {\"deny\": [1]}}",
	  "field 'seccomp.deny[0]': expected a string, got an integer" },
	{ "{\"version\": 1, \"egress\": {\"allow\": [\"\"]}}",
	  "field 'egress.allow[0]': empty string" },
	{ "{\"version\": 1, \"egress\": {\"no_default\": 1}}",
	  "field 'egress.no_default': expected true or false" },
	{ "{\"version\": 1, \"files\": {\"write\": null}}",
	  "field 'files.write': expected an array of strings, got null" },
	{ "{\"version\": 1, \"gate\": {\"throttle\": -1}}",
	  "field 'gate.throttle': -1 is out of range" },
	{ "{\"version\": 1, \"gate\": {\"lock\": 4294967296}}",
	  "field 'gate.lock': 4294967296 is out of range" },
};

KV_TEST(malformed_configs_named)
{
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct kv_config *c = (void *)1;
		char err[512] = "";

		ASSERT_EQ(kv_config_parse(bad[i].text, strlen(bad[i].text), "k.json", &c, err,
					  sizeof(err)),
			  -EINVAL, bad[i].msg);
		ASSERT_NULL(c, "no config");
		ASSERT_HAS_SUBSTR(err, bad[i].msg, "message");
		ASSERT_HAS_SUBSTR(err, "k.json", "names the file");
	}
}

static void write_at(const char *dir, const char *name, const char *text, mode_t mode)
{
	char path[1024];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (!ASSERT_GE(fd, 0, path))
		return;
	ASSERT_EQ(write(fd, text, strlen(text)), (long)strlen(text), "write");
	fchmod(fd, mode);
	close(fd);
}

KV_TEST(found_walking_up)
{
	char deep[1024], top[1024], path[1200], want[1200], cwd[1024];

	snprintf(top, sizeof(top), "%s/proj", kvtest_tmpdir());
	snprintf(deep, sizeof(deep), "%s/proj/src/a/b", kvtest_tmpdir());
	mkdir(top, 0755);
	snprintf(path, sizeof(path), "%s/src", top);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/src/a", top);
	mkdir(path, 0755);
	mkdir(deep, 0755);
	write_at(top, KV_CONFIG_NAME, "{\"version\": 1}", 0644);
	snprintf(want, sizeof(want), "%s/%s", top, KV_CONFIG_NAME);
	if (ASSERT_OK(kv_config_find(deep, path, sizeof(path)), "found"))
		ASSERT_STREQ(path, want, "nearest ancestor");
	/* from the cwd when no dir is given */
	if (getcwd(cwd, sizeof(cwd)) && !chdir(deep)) {
		if (ASSERT_OK(kv_config_find(NULL, path, sizeof(path)), "from cwd"))
			ASSERT_STREQ(path, want, "cwd search");
		ASSERT_EQ(chdir(cwd), 0, "chdir back");
	}
	/* a nearer file wins */
	write_at(deep, KV_CONFIG_NAME, "{\"version\": 1}", 0644);
	snprintf(want, sizeof(want), "%s/%s", deep, KV_CONFIG_NAME);
	if (ASSERT_OK(kv_config_find(deep, path, sizeof(path)), "nearer"))
		ASSERT_STREQ(path, want, "nearer file");
	/* nothing up the tree (unless the machine has one in / or /tmp) */
	if (access("/.kavachos.json", F_OK) && access("/tmp/.kavachos.json", F_OK))
		ASSERT_EQ(kv_config_find(kvtest_tmpdir(), path, sizeof(path)), -ENOENT, "none");
}

KV_TEST(unsafe_file_refused)
{
	struct kv_config *c = NULL;
	char err[512], path[1024];

	write_at(kvtest_tmpdir(), KV_CONFIG_NAME, "{\"version\": 1}", 0666);
	snprintf(path, sizeof(path), "%s/%s", kvtest_tmpdir(), KV_CONFIG_NAME);
	ASSERT_EQ(kv_config_load(path, &c, err, sizeof(err)), -EPERM, "world-writable");
	ASSERT_HAS_SUBSTR(err, "writable by everyone", "why");
	chmod(path, 0644);
	if (ASSERT_OK(kv_config_load(path, &c, err, sizeof(err)), err))
		kv_config_free(c);
}

/* flag > .kavachos.json > environment > default, per setting. */
static const struct {
	const char *flag, *config, *env;
	uint32_t mask;
	enum kv_src src;
} mask_prec[] = {
	{ NULL, NULL, NULL, KV_DEFAULT_TRUST_MASK, KV_SRC_DEFAULT },
	{ NULL, NULL, "0x3", 0x3, KV_SRC_ENV },
	{ NULL, "\"0x10\"", "0x3", 0x10, KV_SRC_CONFIG },
	{ "0x7", "\"0x10\"", "0x3", 0x7, KV_SRC_FLAG },
	{ "0", "\"0x10\"", NULL, 0, KV_SRC_FLAG },
	{ NULL, "0", "0xFF", 0, KV_SRC_CONFIG },
};

KV_TEST(precedence_trust_mask)
{
	size_t i;

	for (i = 0; i < sizeof(mask_prec) / sizeof(mask_prec[0]); i++) {
		struct kv_settings_flags f = { .trust_mask = mask_prec[i].flag,
					       .cwd = kvtest_tmpdir() };
		struct kv_settings s;
		char err[512], text[128], tag[32];

		snprintf(tag, sizeof(tag), "row %zu", i);
		if (mask_prec[i].config) {
			snprintf(text, sizeof(text), "{\"version\": 1, \"trust_mask\": %s}",
				 mask_prec[i].config);
			write_at(kvtest_tmpdir(), KV_CONFIG_NAME, text, 0644);
		} else {
			write_at(kvtest_tmpdir(), KV_CONFIG_NAME, "{\"version\": 1}", 0644);
		}
		if (mask_prec[i].env)
			setenv("KAVACHOS_TRUST_MASK", mask_prec[i].env, 1);
		else
			unsetenv("KAVACHOS_TRUST_MASK");
		if (!ASSERT_OK(kv_settings_resolve(&f, &s, err, sizeof(err)), err))
			continue;
		ASSERT_EQ(s.trust_mask, mask_prec[i].mask, tag);
		ASSERT_EQ(s.src_trust_mask, mask_prec[i].src, tag);
		ASSERT_OK_PTR(s.config, "config loaded");
		kv_settings_free(&s);
	}
}

KV_TEST(precedence_domain_depth_strict)
{
	struct kv_settings_flags f = { .cwd = kvtest_tmpdir() };
	struct kv_settings s;
	struct kv_profile_input in;
	char err[512];

	unsetenv("KAVACHOS_TRUST_MASK");
	setenv("KAVACHOS_DOMAIN", "ot", 1);
	/* no file: environment, then defaults */
	f.no_config = true;
	if (ASSERT_OK(kv_settings_resolve(&f, &s, err, sizeof(err)), err)) {
		ASSERT_EQ(s.domain, KV_DOMAIN_OT, "env domain");
		ASSERT_EQ(s.src_domain, KV_SRC_ENV, "env source");
		ASSERT_EQ(s.depth, 1, "default depth");
		ASSERT_EQ(s.src_depth, KV_SRC_DEFAULT, "default source");
		ASSERT_FALSE(s.strict_exec, "default strict");
		ASSERT_NULL(s.config, "--no-config");
		kv_settings_free(&s);
	}
	write_at(kvtest_tmpdir(), KV_CONFIG_NAME,
		 "{\"version\": 1, \"domain\": \"finance\", \"depth\": 3, \"strict_exec\": true,"
		 " \"seccomp\": {\"allow\": [\"flock\"], \"deny\": [\"pipe\"]}}",
		 0644);
	f.no_config = false;
	if (ASSERT_OK(kv_settings_resolve(&f, &s, err, sizeof(err)), err)) {
		ASSERT_EQ(s.domain, KV_DOMAIN_FINANCE, "config beats env");
		ASSERT_EQ(s.depth, 3, "config depth");
		ASSERT_TRUE(s.strict_exec, "config strict");
		kv_settings_profile_input(&s, &in);
		ASSERT_EQ(in.n_extra_allow, 1, "additions passed on");
		ASSERT_STREQ(in.extra_allow[0], "flock", "allow");
		ASSERT_STREQ(in.extra_deny[0], "pipe", "deny");
		ASSERT_EQ(in.depth, 3, "depth passed on");
		kv_settings_free(&s);
	}
	f.domain = "logistics";
	f.depth = "2";
	f.strict_exec = true;
	if (ASSERT_OK(kv_settings_resolve(&f, &s, err, sizeof(err)), err)) {
		ASSERT_EQ(s.domain, KV_DOMAIN_LOGISTICS, "flag beats config");
		ASSERT_EQ(s.src_domain, KV_SRC_FLAG, "flag source");
		ASSERT_EQ(s.depth, 2, "flag depth");
		ASSERT_EQ(s.src_strict_exec, KV_SRC_FLAG, "flag strict");
		kv_settings_free(&s);
	}
}

static const struct {
	struct kv_settings_flags f;
	const char *env_mask, *env_domain;
	const char *msg;
} bad_settings[] = {
	{ { .trust_mask = "0x1000000", .no_config = true }, NULL, NULL,
	  "--trust-mask: invalid trust mask '0x1000000': bits 24-31 are reserved" },
	{ { .domain = "mars", .no_config = true }, NULL, NULL,
	  "--domain: unknown domain 'mars' (valid: general, maritime" },
	{ { .depth = "0", .no_config = true }, NULL, NULL, "--depth: invalid depth '0'" },
	{ { .depth = "two", .no_config = true }, NULL, NULL, "--depth: invalid depth 'two'" },
	{ { .no_config = true }, "0xZZ", NULL, "KAVACHOS_TRUST_MASK: invalid trust mask '0xZZ'" },
	{ { .no_config = true }, NULL, "moon", "KAVACHOS_DOMAIN: unknown domain 'moon'" },
	{ { .config_path = "/nonexistent/k.json" }, NULL, NULL, "/nonexistent/k.json: No such" },
};

KV_TEST(invalid_settings_named)
{
	size_t i;

	for (i = 0; i < sizeof(bad_settings) / sizeof(bad_settings[0]); i++) {
		struct kv_settings s;
		char err[512] = "";

		if (bad_settings[i].env_mask)
			setenv("KAVACHOS_TRUST_MASK", bad_settings[i].env_mask, 1);
		else
			unsetenv("KAVACHOS_TRUST_MASK");
		if (bad_settings[i].env_domain)
			setenv("KAVACHOS_DOMAIN", bad_settings[i].env_domain, 1);
		else
			unsetenv("KAVACHOS_DOMAIN");
		ASSERT_ERR(kv_settings_resolve(&bad_settings[i].f, &s, err, sizeof(err)),
			   bad_settings[i].msg);
		ASSERT_HAS_SUBSTR(err, bad_settings[i].msg, "message");
		ASSERT_NULL(s.config, "nothing kept");
	}
}

KV_TEST(bad_config_file_is_an_error)
{
	struct kv_settings_flags f = { .cwd = kvtest_tmpdir() };
	struct kv_settings s;
	char err[512];

	write_at(kvtest_tmpdir(), KV_CONFIG_NAME, "{\"version\": 1, \"domian\": \"ot\"}", 0644);
	ASSERT_EQ(kv_settings_resolve(&f, &s, err, sizeof(err)), -EINVAL, "refused");
	ASSERT_HAS_SUBSTR(err, ".kavachos.json: field 'domian': unknown key", "named");
}
