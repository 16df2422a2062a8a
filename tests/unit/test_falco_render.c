// SPDX-License-Identifier: BSD-2-Clause
/* Rendered Falco rules: every domain x a spread of trust masks passes the
 * validator, is scoped to sessions and carries the session id; the mask picks
 * rules and priorities; `kavachos rules` prints, writes and refuses. */
#include <stdlib.h>
#include <sys/stat.h>
#include "cli/cli.h"
#include "common/sha256.h"
#include "falco/render.h"
#include "falco/validate.h"
#include "kvtest.h"
#include "test_falco_util.h"

static const uint32_t masks[] = {0, 0xFF, 0xFFFF, 0xFF0000, 0xFFFFFF};

static struct kv_falco_ruleset *build(const char *dir, enum kv_domain d, uint32_t mask)
{
	struct kv_falco_ruleset *rs = NULL;
	char err[512];

	if (!ASSERT_OK(kv_falco_ruleset_build(dir, d, mask, &rs, err, sizeof(err)), err))
		return NULL;
	return rs;
}

/* Validates YAML text; returns the error count (diagnostics printed). */
static size_t validate_text(const char *name, const char *yaml)
{
	struct kv_falco_validator *v;
	char err[512], line[2048];
	size_t n, i;

	if (!ASSERT_OK(kv_falco_validator_new(tf_path("falco"), &v, err, sizeof(err)), err))
		return 1;
	kv_falco_validator_add_buffer(v, name, yaml, strlen(yaml));
	n = kv_falco_validator_check(v);
	for (i = 0; i < kv_falco_validator_ndiags(v); i++) {
		kv_falco_diag_format(kv_falco_validator_diag(v, i), line, sizeof(line));
		fprintf(stderr, "    %s\n", line);
	}
	kv_falco_validator_free(v);
	return n + i; /* warnings count too: rendered rules must be clean */
}

KV_TEST(every_domain_and_mask_validates)
{
	enum kv_domain d;
	size_t m;

	for (d = 0; d < KV_DOMAIN_COUNT; d++) {
		for (m = 0; m < sizeof(masks) / sizeof(masks[0]); m++) {
			struct kv_falco_ruleset *rs = build(tf_path("falco"), d, masks[m]);
			char name[64], *yaml = NULL;

			if (!rs)
				return;
			snprintf(name, sizeof(name), "%s-0x%08x.yaml", kv_domain_name(d), masks[m]);
			if (ASSERT_OK(kv_falco_ruleset_yaml(rs, &yaml), name))
				ASSERT_EQ(validate_text(name, yaml), 0, name);
			ASSERT_GE(kv_falco_ruleset_count(rs, "rule"), 8, name);
			free(yaml);
			kv_falco_ruleset_free(rs);
		}
	}
}

KV_TEST(every_rule_is_scoped_and_names_its_session)
{
	enum kv_domain d;
	size_t m, i;

	for (d = 0; d < KV_DOMAIN_COUNT; d++) {
		for (m = 0; m < sizeof(masks) / sizeof(masks[0]); m++) {
			struct kv_falco_ruleset *rs = build(tf_path("falco"), d, masks[m]);
			struct json_object *o, *rules;

			if (!rs)
				return;
			o = kv_falco_ruleset_json(rs);
			rules = json_object_object_get(o, "rules");
			ASSERT_EQ(json_object_array_length(rules),
				  kv_falco_ruleset_count(rs, "rule"), "json rules");
			for (i = 0; i < json_object_array_length(rules); i++) {
				struct json_object *r = json_object_array_get_idx(rules, i);
				const char *name =
				    json_object_get_string(json_object_object_get(r, "name"));
				const char *cond =
				    json_object_get_string(json_object_object_get(r, "condition"));
				const char *out =
				    json_object_get_string(json_object_object_get(r, "output"));
				const char *tags =
				    json_object_to_json_string(json_object_object_get(r, "tags"));

				ASSERT_HAS_SUBSTR(cond, "kavachos_session", name);
				ASSERT_HAS_SUBSTR(out, "session=%" KV_FALCO_SESSION_FIELD, name);
				ASSERT_HAS_SUBSTR(out, "cgroups=%" KV_FALCO_CGROUPS_FIELD, name);
				ASSERT_HAS_SUBSTR(out, "pid=%" KV_FALCO_PID_FIELD, name);
				ASSERT_HAS_SUBSTR(tags, "\"kavachos\"", name);
				ASSERT_HAS_SUBSTR(tags, kv_domain_name(d), name);
				ASSERT_TRUE(!strncmp(name, "KavachOS ", 9), name);
			}
			json_object_put(o);
			kv_falco_ruleset_free(rs);
		}
	}
}

/* The rule's priority in the rendered set, or NULL when the mask drops it. */
static char *priority_of(enum kv_domain d, uint32_t mask, const char *rule)
{
	struct kv_falco_ruleset *rs = build(tf_path("falco"), d, mask);
	struct json_object *o, *rules;
	char *prio = NULL;
	size_t i;

	if (!rs)
		return NULL;
	o = kv_falco_ruleset_json(rs);
	rules = json_object_object_get(o, "rules");
	for (i = 0; i < json_object_array_length(rules); i++) {
		struct json_object *r = json_object_array_get_idx(rules, i);

		if (!strcmp(json_object_get_string(json_object_object_get(r, "name")), rule))
			prio =
			    strdup(json_object_get_string(json_object_object_get(r, "priority")));
	}
	json_object_put(o);
	kv_falco_ruleset_free(rs);
	return prio;
}

KV_TEST(mask_picks_rules_and_priorities)
{
	static const struct {
		enum kv_domain d;
		uint32_t mask;
		const char *rule;
		const char *priority; /* NULL: not rendered */
	} cases[] = {
	    {KV_DOMAIN_GENERAL, 0, "KavachOS network activity by read-only agent", "CRITICAL"},
	    {KV_DOMAIN_GENERAL, 0xFF, "KavachOS network activity by read-only agent", NULL},
	    {KV_DOMAIN_GENERAL, 0, "KavachOS exec by read-only agent", "CRITICAL"},
	    {KV_DOMAIN_GENERAL, 0x100, "KavachOS exec by read-only agent", NULL},
	    {KV_DOMAIN_GENERAL, 0x100, "KavachOS interactive shell spawned by agent", "ERROR"},
	    {KV_DOMAIN_GENERAL, 0, "KavachOS interactive shell spawned by agent", NULL},
	    {KV_DOMAIN_GENERAL, 0, "KavachOS link created without packages", "WARNING"},
	    {KV_DOMAIN_GENERAL, 1u << 13, "KavachOS link created without packages", NULL},
	    {KV_DOMAIN_GENERAL, 1u << 14, "KavachOS process control without swarm", NULL},
	    {KV_DOMAIN_GENERAL, 1u << 15, "KavachOS execveat without codegen", NULL},
	    {KV_DOMAIN_GENERAL, 1u << 8, "KavachOS execveat without codegen", "WARNING"},
	    {KV_DOMAIN_GENERAL, 1u << 0, "KavachOS credential file read by agent", "WARNING"},
	    {KV_DOMAIN_GENERAL, 1u << 1, "KavachOS credential file read by agent", "CRITICAL"},
	    {KV_DOMAIN_GENERAL, 0, "KavachOS privileged operation by agent", "CRITICAL"},
	    {KV_DOMAIN_GENERAL, 0xFF, "KavachOS privileged operation by agent", "ERROR"},
	    {KV_DOMAIN_GENERAL, 1u << 12, "KavachOS file transfer tool run by agent", "NOTICE"},
	    {KV_DOMAIN_GENERAL, 1u << 8, "KavachOS file transfer tool run by agent", "ERROR"},
	    {KV_DOMAIN_GENERAL, 1u << 6, "KavachOS loopback connection without registered services",
	     NULL},
	    {KV_DOMAIN_GENERAL, 1u << 8, "KavachOS loopback connection without registered services",
	     "WARNING"},
	    {KV_DOMAIN_GENERAL, 0xFF0000, "KavachOS AIS sentence injection by agent", NULL},
	    {KV_DOMAIN_MARITIME, 0xFF, "KavachOS AIS sentence injection by agent", "CRITICAL"},
	    {KV_DOMAIN_MARITIME, 0xFF, "KavachOS NMEA serial device opened for writing by agent",
	     "CRITICAL"},
	    {KV_DOMAIN_MARITIME, 0x00FF0000,
	     "KavachOS NMEA serial device opened for writing by agent", "NOTICE"},
	    {KV_DOMAIN_MARITIME, 1u << 16,
	     "KavachOS NMEA serial device opened for writing by agent", "NOTICE"},
	    {KV_DOMAIN_MARITIME, 1u << 17,
	     "KavachOS NMEA serial device opened for writing by agent", "CRITICAL"},
	    {KV_DOMAIN_MARITIME, 1u << 16, "KavachOS NMEA serial line reconfigured by agent", NULL},
	    {KV_DOMAIN_MARITIME, 0, "KavachOS crew or STCW data accessed by agent", "ERROR"},
	    {KV_DOMAIN_MARITIME, 0xFF, "KavachOS crew or STCW data accessed by agent", "WARNING"},
	    {KV_DOMAIN_LOGISTICS, 0xFF, "KavachOS eBL document written by agent", "ERROR"},
	    {KV_DOMAIN_LOGISTICS, 1u << 16, "KavachOS eBL document written by agent", "NOTICE"},
	    {KV_DOMAIN_LOGISTICS, 1u << 18,
	     "KavachOS EDI interchange sent over the network by agent", "NOTICE"},
	    {KV_DOMAIN_LOGISTICS, 1u << 16,
	     "KavachOS EDI interchange sent over the network by agent", "WARNING"},
	    {KV_DOMAIN_OT, 0xFF, "KavachOS Modbus TCP write by agent", "CRITICAL"},
	    {KV_DOMAIN_OT, 0xFF0000, "KavachOS Modbus TCP write by agent", "WARNING"},
	    {KV_DOMAIN_OT, 0xFF, "KavachOS realtime scheduler change by agent", "ERROR"},
	    {KV_DOMAIN_OT, 1u << 16, "KavachOS realtime scheduler change by agent", NULL},
	    {KV_DOMAIN_OT, 0xFFFFFF, "KavachOS alarm or safety configuration written by agent",
	     "CRITICAL"},
	    {KV_DOMAIN_FINANCE, 0xFF, "KavachOS HSM or key device accessed by agent", "CRITICAL"},
	    {KV_DOMAIN_FINANCE, 1u << 16, "KavachOS HSM or key device accessed by agent", "NOTICE"},
	    {KV_DOMAIN_FINANCE, 1u << 17, "KavachOS HSM or key device accessed by agent",
	     "CRITICAL"},
	    {KV_DOMAIN_FINANCE, 0xFF, "KavachOS payment endpoint connection by agent", "CRITICAL"},
	    {KV_DOMAIN_FINANCE, 0xFF0000, "KavachOS payment endpoint connection by agent",
	     "NOTICE"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *p = priority_of(cases[i].d, cases[i].mask, cases[i].rule), tag[256];

		snprintf(tag, sizeof(tag), "%s/0x%08x/%s", kv_domain_name(cases[i].d),
			 cases[i].mask, cases[i].rule);
		if (cases[i].priority)
			ASSERT_STREQ(p, cases[i].priority, tag);
		else
			ASSERT_NULL(p, tag);
		free(p);
	}
}

KV_TEST(deterministic_and_hashed)
{
	struct kv_falco_ruleset *a = build(tf_path("falco"), KV_DOMAIN_OT, 0x00FF00FF);
	struct kv_falco_ruleset *b = build(tf_path("falco"), KV_DOMAIN_OT, 0x00FF00FF);
	char *ya = NULL, *yb = NULL, hex[KV_SHA256_HEX];
	struct json_object *o;

	if (!a || !b)
		goto out;
	if (!ASSERT_OK(kv_falco_ruleset_yaml(a, &ya), "yaml a") ||
	    !ASSERT_OK(kv_falco_ruleset_yaml(b, &yb), "yaml b"))
		goto out;
	ASSERT_STREQ(ya, yb, "same inputs, same bytes");
	ASSERT_HAS_SUBSTR(ya, "- required_engine_version: 0.57.0", "engine version");
	ASSERT_HAS_SUBSTR(ya, "domain ot, trust mask 0x00ff00ff", "header");
	o = kv_falco_ruleset_json(a);
	kv_sha256_hex(ya, strlen(ya), hex);
	ASSERT_STREQ(json_object_get_string(json_object_object_get(o, "sha256")), hex, "sha256");
	ASSERT_STREQ(json_object_get_string(json_object_object_get(o, "yaml")), ya, "yaml in json");
	ASSERT_STREQ(json_object_get_string(json_object_object_get(o, "trust_mask")), "0x00ff00ff",
		     "mask");
	ASSERT_STREQ(json_object_get_string(json_object_object_get(o, "session_field")),
		     KV_FALCO_SESSION_FIELD, "session field");
	json_object_put(o);
out:
	free(ya);
	free(yb);
	kv_falco_ruleset_free(a);
	kv_falco_ruleset_free(b);
}

KV_TEST(refuses_bad_inputs)
{
	struct kv_falco_ruleset *rs = NULL;
	char err[512];

	ASSERT_EQ(kv_falco_ruleset_build(tf_path("falco"), KV_DOMAIN_GENERAL, 0x01000000, &rs, err,
					 sizeof(err)),
		  -EINVAL, "reserved bits");
	ASSERT_HAS_SUBSTR(err, "bits 24-31 are reserved", "message");
	ASSERT_EQ(
	    kv_falco_ruleset_build(tf_path("falco"), KV_DOMAIN_COUNT, 0, &rs, err, sizeof(err)),
	    -EINVAL, "domain");
	ASSERT_EQ(
	    kv_falco_ruleset_build(kvtest_tmpdir(), KV_DOMAIN_GENERAL, 0, &rs, err, sizeof(err)),
	    -ENOENT, "no templates");
	ASSERT_HAS_SUBSTR(err, "general.yaml", "names the template");
	ASSERT_NULL(rs, "nothing built");
}

/* A copy of falco/ in the test's tmpdir with one template changed. */
static const char *template_copy(const char *file, const char *from, const char *to)
{
	static const char *const names[] = {"fields.txt",    "field_args.txt", "general.yaml",
					    "maritime.yaml", "logistics.yaml", "ot.yaml",
					    "finance.yaml"};
	static char dir[4096];
	size_t i;

	snprintf(dir, sizeof(dir), "%s/falco", kvtest_tmpdir());
	mkdir(dir, 0755);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char src[4096], dst[4200], *text, *hit;
		FILE *fp;

		snprintf(src, sizeof(src), "falco/%s", names[i]);
		snprintf(dst, sizeof(dst), "%s/%s", dir, names[i]);
		text = tf_slurp(tf_path(src), NULL);
		if (!ASSERT_OK_PTR(text, src))
			return NULL;
		fp = fopen(dst, "w");
		hit = !strcmp(names[i], file) ? strstr(text, from) : NULL;
		if (!strcmp(names[i], file) && !ASSERT_OK_PTR(hit, from)) {
			fclose(fp);
			free(text);
			return NULL;
		}
		if (hit) {
			fwrite(text, 1, (size_t)(hit - text), fp);
			fputs(to, fp);
			fputs(hit + strlen(from), fp);
		} else {
			fputs(text, fp);
		}
		fclose(fp);
		free(text);
	}
	return dir;
}

KV_TEST(validator_catches_a_broken_template)
{
	const char *dir =
	    template_copy("maritime.yaml", "fd.name icontains stcw", "fd.nmae icontains stcw");
	struct kv_falco_ruleset *rs;
	char *yaml = NULL;

	if (!dir)
		return;
	rs = build(dir, KV_DOMAIN_MARITIME, 0xFF);
	if (!rs)
		return;
	if (ASSERT_OK(kv_falco_ruleset_yaml(rs, &yaml), "yaml")) {
		struct kv_falco_validator *v;
		char err[512];

		if (ASSERT_OK(kv_falco_validator_new(tf_path("falco"), &v, err, sizeof(err)),
			      err)) {
			kv_falco_validator_add_buffer(v, "maritime.yaml", yaml, strlen(yaml));
			ASSERT_EQ(kv_falco_validator_check(v), 1, "one error");
			ASSERT_STREQ(kv_falco_validator_diag(v, 0)->name, "kavachos_crew_data",
				     "macro");
			ASSERT_HAS_SUBSTR(kv_falco_validator_diag(v, 0)->msg, "fd.nmae", "field");
			kv_falco_validator_free(v);
		}
	}
	free(yaml);
	kv_falco_ruleset_free(rs);
}

KV_TEST(template_errors_name_file_and_line)
{
	const char *dir =
	    template_copy("general.yaml", "unless_any: [packages]", "unless_any: [packagez]");
	struct kv_falco_ruleset *rs = NULL;
	char err[512];

	if (!dir)
		return;
	ASSERT_EQ(kv_falco_ruleset_build(dir, KV_DOMAIN_GENERAL, 0, &rs, err, sizeof(err)), -EINVAL,
		  "unknown bit");
	ASSERT_HAS_SUBSTR(err, "general.yaml:", "file");
	ASSERT_HAS_SUBSTR(err, "unknown trust bit 'packagez'", "message");
}

KV_TEST(data_dir_from_environment)
{
	char *yaml = NULL, err[512];

	tf_use_repo_data();
	if (ASSERT_OK(kv_falco_render(KV_DOMAIN_FINANCE, 0x10000, &yaml, err, sizeof(err)), err))
		ASSERT_HAS_SUBSTR(yaml, "KavachOS HSM or key device accessed by agent", "finance");
	free(yaml);
	setenv("KAVACHOS_DATA_DIR", kvtest_tmpdir(), 1);
	ASSERT_EQ(kv_falco_render(KV_DOMAIN_FINANCE, 0, &yaml, err, sizeof(err)), -ENOENT,
		  "no dir");
	ASSERT_HAS_SUBSTR(err, "KAVACHOS_DATA_DIR", "message");
}

static const char *tmp(const char *name)
{
	static char b[4][4096];
	static int i;
	char *p = b[i++ % 4];

	snprintf(p, 4096, "%s/%s", kvtest_tmpdir(), name);
	return p;
}

KV_TEST(cli_prints_writes_and_refuses)
{
	char *a, *b, *e;

	{
		const char *argv[] = {"rules", "--domain=maritime", "--trust-mask=0x00FF0000",
				      NULL};

		ASSERT_EQ(tf_run_cli(argv, tmp("stdout.yaml"), tmp("err")), KV_EXIT_OK, "print");
	}
	{
		const char *argv[] = {"rules",	  "--domain", "maritime",      "--trust-mask",
				      "16711680", "--out",    tmp("out.yaml"), NULL};

		ASSERT_EQ(tf_run_cli(argv, tmp("stdout2"), tmp("err")), KV_EXIT_OK, "--out");
	}
	a = tf_slurp(tmp("stdout.yaml"), NULL);
	b = tf_slurp(tmp("out.yaml"), NULL);
	ASSERT_STREQ(a, b, "--out writes what stdout shows");
	ASSERT_HAS_SUBSTR(a, "domain maritime, trust mask 0x00ff0000", "header");
	free(a);
	free(b);
	{
		const char *argv[] = {"rules", "--validate", tmp("out.yaml"), NULL};

		ASSERT_EQ(tf_run_cli(argv, NULL, tmp("err")), KV_EXIT_OK, "CLI output validates");
	}
	{
		const char *argv[] = {"rules", "--json", "--domain=ot", NULL};
		struct json_object *o;

		ASSERT_EQ(tf_run_cli(argv, tmp("out.json"), tmp("err")), KV_EXIT_OK, "json");
		o = json_object_from_file(tmp("out.json"));
		if (ASSERT_OK_PTR(o, "parses")) {
			ASSERT_STREQ(json_object_get_string(json_object_object_get(o, "domain")),
				     "ot", "domain");
			ASSERT_GE(json_object_array_length(json_object_object_get(o, "rules")), 8,
				  "rules");
			json_object_put(o);
		}
	}
	{
		const char *argv[] = {"rules", "--trust-mask=0x1000000", NULL};

		ASSERT_EQ(tf_run_cli(argv, NULL, tmp("err")), KV_EXIT_USAGE, "reserved");
		e = tf_slurp(tmp("err"), NULL);
		ASSERT_HAS_SUBSTR(e, "reserved", "reserved message");
		free(e);
	}
	{
		const char *argv[] = {"rules", "--domain=space", NULL};

		ASSERT_EQ(tf_run_cli(argv, NULL, tmp("err")), KV_EXIT_USAGE, "domain");
		e = tf_slurp(tmp("err"), NULL);
		ASSERT_HAS_SUBSTR(e, "invalid domain 'space'", "domain message");
		free(e);
	}
	{
		const char *argv[] = {"rules", "stray", NULL};

		ASSERT_EQ(tf_run_cli(argv, NULL, NULL), KV_EXIT_USAGE, "stray argument");
	}
}

KV_TEST(cli_environment_and_flags)
{
	const char *argv_env[] = {"rules", NULL};
	const char *argv_flag[] = {"rules", "--domain=finance", NULL};
	char *text;

	setenv("KAVACHOS_DOMAIN", "logistics", 1);
	setenv("KAVACHOS_TRUST_MASK", "0x10000", 1);
	ASSERT_EQ(tf_run_cli(argv_env, tmp("env.yaml"), NULL), KV_EXIT_OK, "env");
	text = tf_slurp(tmp("env.yaml"), NULL);
	ASSERT_HAS_SUBSTR(text, "domain logistics, trust mask 0x00010000", "from environment");
	free(text);
	ASSERT_EQ(tf_run_cli(argv_flag, tmp("flag.yaml"), NULL), KV_EXIT_OK, "flag");
	text = tf_slurp(tmp("flag.yaml"), NULL);
	ASSERT_HAS_SUBSTR(text, "domain finance, trust mask 0x00010000", "flag wins");
	free(text);
}
