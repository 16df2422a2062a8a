// SPDX-License-Identifier: BSD-2-Clause
/* The rule validator against the official Falco rules (must accept every rule),
 * against one broken file per kind of problem (must name file, item, line and
 * column), and through `kavachos rules --validate` (exit status, output). */
#include <ctype.h>
#include <stdlib.h>
#include <unistd.h>
#include <json-c/json.h>
#include "cli/cli.h"
#include "falco/validate.h"
#include "kvtest.h"
#include "test_falco_util.h"

#define OFFICIAL   "tests/data/falco/official/falco_rules.yaml"
#define INCUBATING "tests/data/falco/official/falco-incubating_rules.yaml"

static struct kv_falco_validator *validator(void)
{
	struct kv_falco_validator *v = NULL;
	char err[512];

	if (!ASSERT_OK(kv_falco_validator_new(tf_path("falco"), &v, err, sizeof(err)), err))
		return NULL;
	return v;
}

static void dump(const struct kv_falco_validator *v)
{
	char line[2048];
	size_t i;

	for (i = 0; i < kv_falco_validator_ndiags(v) && i < 20; i++) {
		kv_falco_diag_format(kv_falco_validator_diag(v, i), line, sizeof(line));
		fprintf(stderr, "    %s\n", line);
	}
}

/* Validates the repo-relative files in order; returns the error count. */
static size_t validate(struct kv_falco_validator *v, const char *const *rel)
{
	for (; *rel; rel++)
		kv_falco_validator_add_file(v, tf_path(*rel));
	return kv_falco_validator_check(v);
}

KV_TEST(official_rules_validate)
{
	static const char *const both[] = {OFFICIAL, INCUBATING, NULL};
	struct kv_falco_validator *v = validator();
	struct kv_falco_stats st;

	if (!v)
		return;
	if (!ASSERT_EQ(validate(v, both), 0, "errors in the official rules"))
		dump(v);
	kv_falco_validator_stats(v, &st);
	/* 25 + 31 rules; macros and lists defined in both files count once */
	ASSERT_EQ(st.rules, 56, "rules");
	ASSERT_EQ(st.macros, 157, "macros");
	ASSERT_EQ(st.lists, 83, "lists");
	ASSERT_EQ(st.files, 2, "files");
	kv_falco_validator_free(v);
}

KV_TEST(official_rules_each_file)
{
	static const char *const files[] = {OFFICIAL, INCUBATING};
	size_t i;

	for (i = 0; i < 2; i++) {
		const char *one[] = {files[i], NULL};
		struct kv_falco_validator *v = validator();

		if (!v)
			return;
		if (!ASSERT_EQ(validate(v, one), 0, files[i]))
			dump(v);
		kv_falco_validator_free(v);
	}
}

static const struct {
	const char *file;
	const char *kind, *name;
	unsigned line, col;
	const char *msg;
	const char *token; /* the text at line:col */
} bad[] = {
    {"unknown_field.yaml", "rule", "Unknown field in condition", 6, 26,
     "unknown field 'proc.nmae' (did you mean 'proc.name'?)", "proc.nmae"},
    {"unbalanced_open.yaml", "rule", "Unbalanced open parenthesis", 5, 24,
     "expected a ')' token (unbalanced parentheses)", NULL},
    {"unbalanced_close.yaml", "rule", "Unbalanced close parenthesis", 3, 52,
     "unexpected ')' (unbalanced parentheses)", ")"},
    {"undefined_macro.yaml", "rule", "Undefined macro", 3, 40, "undefined macro 'user_known_shell'",
     "user_known_shell"},
    {"bad_priority.yaml", "rule", "Bad priority", 5, 13, "invalid priority 'SEVERE'", "SEVERE"},
    {"missing_condition.yaml", "rule", "Missing condition", 1, 3,
     "missing required key 'condition'", "rule:"},
    {"missing_output.yaml", "rule", "Missing output", 1, 3, "missing required key 'output'",
     "rule:"},
    {"output_unknown_field.yaml", "rule", "Unknown field in output", 4, 36,
     "unknown field 'proc.pnmae'", "proc.pnmae"},
    {"undefined_list.yaml", "rule", "Undefined list", 3, 49, "undefined list 'shell_binaries'",
     "shell_binaries"},
    {"macro_cycle.yaml", "macro", "a_uses_b", 1, 10,
     "macro references itself: a_uses_b -> b_uses_a -> a_uses_b", "a_uses_b"},
    {"append_undefined.yaml", "list", "my_shells", 1, 3,
     "append to list 'my_shells', which is not defined before", "list:"},
    {"bad_yaml.yaml", NULL, NULL, 3, 12, "invalid YAML", NULL},
    {"field_arg.yaml", "rule", "Field argument on a field that takes none", 3, 36,
     "field 'proc.name' takes no argument ('[1]')", "proc.name[1]"},
    {"required_arg.yaml", "rule", "Field without its required argument", 3, 36,
     "field 'thread.cgroup' requires an argument", "thread.cgroup"},
    {"macro_bad_field.yaml", "macro", "bad_macro", 4, 10, "unknown field 'fd.nmae'", "fd.nmae"},
    {"operator_newline.yaml", "rule", "Operator followed by a line break", 4, 40,
     "expected a valid check operator", "contains"},
    {"unknown_key.yaml", "rule", "Misspelled key", 3, 3, "unknown key 'conditon'", "conditon"},
    {"container_without_plugin.yaml", "rule", "Container field without the plugin", 3, 36,
     "unknown field 'container.id'", "container.id"},
};

/* The text of a file at line:col (1-based). */
static const char *text_at(const char *text, unsigned line, unsigned col)
{
	while (--line && (text = strchr(text, '\n')))
		text++;
	return text && strlen(text) >= col - 1 ? text + col - 1 : "";
}

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

KV_TEST(rejects_with_file_item_and_position)
{
	size_t i, k;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char rel[256], *text;
		struct kv_falco_validator *v = validator();
		const char *files[] = {rel, NULL};
		bool found = false;

		if (!v)
			return;
		snprintf(rel, sizeof(rel), "tests/data/falco/bad/%s", bad[i].file);
		ASSERT_GE(validate(v, files), 1, bad[i].file);
		for (k = 0; k < kv_falco_validator_ndiags(v); k++) {
			const struct kv_falco_diag *d = kv_falco_validator_diag(v, k);

			if (d->warning || d->line != bad[i].line || d->col != bad[i].col ||
			    !same(d->kind, bad[i].kind) || !same(d->name, bad[i].name) ||
			    !strstr(d->msg, bad[i].msg))
				continue;
			found = true;
			ASSERT_STREQ(d->file, tf_path(rel), "file named");
		}
		if (!ASSERT_TRUE(found, bad[i].file))
			dump(v);
		text = tf_slurp(tf_path(rel), NULL);
		if (bad[i].token && ASSERT_OK_PTR(text, rel))
			ASSERT_TRUE(!strncmp(text_at(text, bad[i].line, bad[i].col), bad[i].token,
					     strlen(bad[i].token)),
				    bad[i].token);
		free(text);
		kv_falco_validator_free(v);
	}
}

KV_TEST(macros_and_lists_resolve_across_files)
{
	static const char *const in_order[] = {"tests/data/falco/good/macros.yaml",
					       "tests/data/falco/good/rules.yaml", NULL};
	static const char *const reversed[] = {"tests/data/falco/good/rules.yaml",
					       "tests/data/falco/good/macros.yaml", NULL};
	static const char *const overrides[] = {OFFICIAL,
						"tests/data/falco/good/local_overrides.yaml", NULL};
	struct kv_falco_validator *v;

	v = validator();
	if (!v)
		return;
	if (!ASSERT_EQ(validate(v, in_order), 0, "macros then rules"))
		dump(v);
	kv_falco_validator_free(v);

	/* the append comes before the list exists: Falco loads in order */
	v = validator();
	if (!v)
		return;
	ASSERT_EQ(validate(v, reversed), 1, "rules then macros");
	ASSERT_HAS_SUBSTR(kv_falco_validator_diag(v, 0)->msg, "not defined before", "append first");
	kv_falco_validator_free(v);

	/* append/override/exceptions/enabled on the official rules */
	v = validator();
	if (!v)
		return;
	if (!ASSERT_EQ(validate(v, overrides), 0, "local overrides"))
		dump(v);
	kv_falco_validator_free(v);
}

/* Every field occurrence in the official rules, misspelled one at a time, is
 * reported at exactly its line and column: positions survive folded (>) and
 * plain multi-line scalars, outputs and macros. */
KV_TEST(positions_in_official_rules)
{
	const char *needle = "proc.name";
	size_t len, n = strlen(needle), checked = 0;
	char *orig = tf_slurp(tf_path(OFFICIAL), &len), *p;

	if (!ASSERT_OK_PTR(orig, "read"))
		return;
	for (p = orig; (p = strstr(p, needle)); p += n) {
		const char *ls = p, *c;
		unsigned line = 1, col;
		struct kv_falco_validator *v;
		char *copy;
		bool found = false;
		size_t k;

		if (p[n] == '_' || p[n] == '.' || isalnum((unsigned char)p[n]) || p[-1] == '.')
			continue;
		while (ls > orig && ls[-1] != '\n')
			ls--;
		for (c = ls; *c == ' '; c++)
			;
		if (*c == '#') /* a comment */
			continue;
		for (c = orig; c < p; c++)
			line += *c == '\n';
		col = (unsigned)(p - ls) + 1;
		copy = strdup(orig);
		copy[p - orig + 7] = 'x'; /* proc.name -> proc.naxe */
		v = validator();
		if (!v) {
			free(copy);
			break;
		}
		kv_falco_validator_add_buffer(v, "mutated.yaml", copy, len);
		kv_falco_validator_check(v);
		for (k = 0; k < kv_falco_validator_ndiags(v); k++) {
			const struct kv_falco_diag *d = kv_falco_validator_diag(v, k);

			if (d->line == line && d->col == col && strstr(d->msg, "proc.naxe"))
				found = true;
		}
		if (!ASSERT_TRUE(found, "misspelled field reported at its position")) {
			fprintf(stderr, "    expected %u:%u\n", line, col);
			dump(v);
		}
		kv_falco_validator_free(v);
		free(copy);
		checked++;
	}
	ASSERT_GE(checked, 40, "occurrences checked");
	free(orig);
}

static const char *out_file(const char *name)
{
	static char path[4][4096];
	static int i;
	char *b = path[i++ % 4];

	snprintf(b, 4096, "%s/%s", kvtest_tmpdir(), name);
	return b;
}

KV_TEST(cli_validate)
{
	const char *out = out_file("out"), *err = out_file("err");
	char *text;

	{
		const char *argv[] = {"rules", "--validate", tf_path(OFFICIAL), tf_path(INCUBATING),
				      NULL};

		ASSERT_EQ(tf_run_cli(argv, out, err), KV_EXIT_OK, "official");
		text = tf_slurp(out, NULL);
		ASSERT_HAS_SUBSTR(text, "valid: 2 files, 56 rules, 157 macros, 83 lists, 0 errors",
				  "summary");
		free(text);
	}
	{
		const char *argv[] = {"rules", "--validate",
				      tf_path("tests/data/falco/bad/unknown_field.yaml"), NULL};
		char want[4200];

		ASSERT_EQ(tf_run_cli(argv, out, err), KV_EXIT_FAIL, "invalid");
		snprintf(
		    want, sizeof(want),
		    "%s:6:26: error: rule 'Unknown field in condition': unknown field 'proc.nmae'",
		    tf_path("tests/data/falco/bad/unknown_field.yaml"));
		text = tf_slurp(err, NULL);
		ASSERT_HAS_SUBSTR(text, want, "diagnostic line");
		free(text);
		text = tf_slurp(out, NULL);
		ASSERT_HAS_SUBSTR(text, "INVALID", "summary");
		free(text);
	}
	{
		const char *argv[] = {"rules", "--validate", "--json",
				      tf_path("tests/data/falco/bad/undefined_macro.yaml"), NULL};
		struct json_object *o, *d;

		ASSERT_EQ(tf_run_cli(argv, out, err), KV_EXIT_FAIL, "invalid json");
		o = json_object_from_file(out);
		if (ASSERT_OK_PTR(o, "json output")) {
			d = json_object_array_get_idx(json_object_object_get(o, "diagnostics"), 0);
			ASSERT_FALSE(json_object_get_boolean(json_object_object_get(o, "valid")),
				     "valid");
			ASSERT_EQ(json_object_get_int(json_object_object_get(d, "line")), 3,
				  "line");
			ASSERT_EQ(json_object_get_int(json_object_object_get(d, "col")), 40, "col");
			ASSERT_STREQ(json_object_get_string(json_object_object_get(d, "name")),
				     "Undefined macro", "name");
			json_object_put(o);
		}
	}
	{
		const char *argv[] = {"rules", "--validate", NULL};

		ASSERT_EQ(tf_run_cli(argv, out, err), KV_EXIT_USAGE, "no files");
	}
	{
		const char *argv[] = {"rules", "--validate", "--domain=ot", tf_path(OFFICIAL),
				      NULL};

		ASSERT_EQ(tf_run_cli(argv, out, err), KV_EXIT_USAGE, "mixed modes");
	}
	{
		const char *argv[] = {"rules", "--validate", out_file("does-not-exist.yaml"), NULL};

		ASSERT_EQ(tf_run_cli(argv, out, err), KV_EXIT_FAIL, "missing file");
		text = tf_slurp(err, NULL);
		ASSERT_HAS_SUBSTR(text, "cannot read", "missing file message");
		free(text);
	}
}

/* A directory is its .yaml and .yml files in alphabetical order, as Falco loads it:
 * falco-incubating_rules.yaml, then falco_rules.yaml; README.md is not a rules file. */
KV_TEST(cli_validate_directory)
{
	const char *out = out_file("out"), *err = out_file("err");
	char *text;

	{
		const char *argv[] = {"rules", "--validate", tf_path("tests/data/falco/official"),
				      NULL};

		ASSERT_EQ(tf_run_cli(argv, out, err), KV_EXIT_OK, "official dir");
		text = tf_slurp(out, NULL);
		ASSERT_HAS_SUBSTR(text, "valid: 2 files, 56 rules", "both files");
		free(text);
	}
	{
		const char *argv[] = {"rules", "--validate", tf_path("tests/data/falco/bad"), NULL};
		struct kv_falco_validator *v = validator();
		size_t i, k, files = 0;

		ASSERT_EQ(tf_run_cli(argv, out, err), KV_EXIT_FAIL, "bad dir");
		text = tf_slurp(err, NULL);
		/* every broken file is named */
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			ASSERT_HAS_SUBSTR(text, bad[i].file, "file in the report");
		free(text);
		if (!v)
			return;
		ASSERT_OK(kv_falco_validator_add_path(v, tf_path("tests/data/falco/bad")),
			  "add dir");
		kv_falco_validator_check(v);
		for (k = 0; k < kv_falco_validator_ndiags(v); k++)
			files += k == 0 || strcmp(kv_falco_validator_diag(v, k)->file,
						  kv_falco_validator_diag(v, k - 1)->file);
		ASSERT_EQ(files, sizeof(bad) / sizeof(bad[0]), "diagnostics grouped by file");
		kv_falco_validator_free(v);
	}
	{
		const char *argv[] = {"rules", "--validate", tf_path("tests/data"), NULL};

		/* no rules files directly in it: nothing to complain about, nothing loaded */
		ASSERT_EQ(tf_run_cli(argv, out, err), KV_EXIT_OK, "empty dir");
		text = tf_slurp(out, NULL);
		ASSERT_HAS_SUBSTR(text, "valid: 0 files", "zero files");
		free(text);
	}
}

KV_TEST(missing_field_list_is_an_environment_error)
{
	const char *argv[] = {"rules", "--validate", tf_path(OFFICIAL), NULL};
	const char *err = out_file("err");
	char *text;

	setenv("KAVACHOS_DATA_DIR", kvtest_tmpdir(), 1);
	ASSERT_EQ(tf_run_cli(argv, NULL, err), KV_EXIT_ENV, "no data");
	text = tf_slurp(err, NULL);
	ASSERT_HAS_SUBSTR(text, "KAVACHOS_DATA_DIR", "names the variable");
	free(text);
}
