// SPDX-License-Identifier: BSD-2-Clause
/* kavachos rules: print the domain's Falco rules, or validate rule files. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/cli.h"
#include "common/log.h"
#include "falco/datadir.h"
#include "falco/render.h"
#include "falco/validate.h"
#include "profile/profile.h"

static void usage(void)
{
	printf("Usage: kavachos rules [--domain=D] [--trust-mask=N] [--json] [--out FILE]\n"
	       "       kavachos rules --validate [--json] FILE|DIR...\n\n"
	       "Prints the Falco rules KavachOS generates for a domain (%s)\n"
	       "and trust mask: lists, macros and rules in Falco's rule-file syntax, scoped to\n"
	       "KavachOS sessions, with the session id in every output. --json prints them as\n"
	       "a JSON document with metadata; --out writes to FILE instead of stdout.\n"
	       "Domain and mask default to $KAVACHOS_DOMAIN / $KAVACHOS_TRUST_MASK, else\n"
	       "general and 0.\n\n"
	       "--validate checks Falco rule files the way Falco's loader would: YAML structure,\n"
	       "required keys, priorities, every condition parsed, macros and lists resolved\n"
	       "across all FILEs (in order; a DIR adds its *.yaml/*.yml files alphabetically,\n"
	       "as Falco does), every field checked against Falco's field list.\n"
	       "Problems are printed as FILE:LINE:COL: rule 'NAME': message.\n"
	       "Exit status: 0 valid, 1 invalid, 2 usage, 3 data files not found.\n",
	       kv_domain_list());
}

static int write_out(const char *path, const char *text)
{
	char tmp[PATH_MAX];
	size_t len = strlen(text);
	FILE *fp;

	if (!path) {
		fputs(text, stdout);
		if (len && text[len - 1] != '\n')
			fputc('\n', stdout);
		return fflush(stdout) ? -EIO : 0;
	}
	/* write then rename: a reader (Falco) never sees half a file */
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fp = fopen(tmp, "we");
	if (!fp)
		return -errno;
	if (fwrite(text, 1, len, fp) != len ||
	    (len && text[len - 1] != '\n' && fputc('\n', fp) == EOF) || fflush(fp) ||
	    fsync(fileno(fp))) {
		int err = -errno;

		fclose(fp);
		unlink(tmp);
		return err ? err : -EIO;
	}
	if (fclose(fp) || rename(tmp, path)) {
		int err = -errno;

		unlink(tmp);
		return err;
	}
	return 0;
}

static struct json_object *diag_json(const struct kv_falco_diag *d)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "file", json_object_new_string(d->file));
	json_object_object_add(o, "line", json_object_new_int((int)d->line));
	json_object_object_add(o, "col", json_object_new_int((int)d->col));
	json_object_object_add(o, "severity",
			       json_object_new_string(d->warning ? "warning" : "error"));
	json_object_object_add(o, "kind", d->kind ? json_object_new_string(d->kind) : NULL);
	json_object_object_add(o, "name", d->name ? json_object_new_string(d->name) : NULL);
	json_object_object_add(o, "message", json_object_new_string(d->msg));
	return o;
}

static int do_validate(int nfiles, char **files)
{
	struct kv_falco_validator *v;
	struct kv_falco_stats st;
	char dir[PATH_MAX], err[1024];
	size_t i, nerr;
	int ret;

	ret = kv_falco_data_dir(dir, sizeof(dir), err, sizeof(err));
	if (ret) {
		kv_err("rules: %s", err);
		return KV_EXIT_ENV;
	}
	ret = kv_falco_validator_new(dir, &v, err, sizeof(err));
	if (ret) {
		kv_err("rules: Falco field list: %s", err);
		return KV_EXIT_ENV;
	}
	for (i = 0; i < (size_t)nfiles; i++)
		kv_falco_validator_add_path(v, files[i]);
	nerr = kv_falco_validator_check(v);
	kv_falco_validator_stats(v, &st);
	if (kv_json_output) {
		struct json_object *o = json_object_new_object(), *a = json_object_new_array(),
				   *f = json_object_new_array();

		for (i = 0; i < (size_t)nfiles; i++)
			json_object_array_add(f, json_object_new_string(files[i]));
		for (i = 0; i < kv_falco_validator_ndiags(v); i++)
			json_object_array_add(a, diag_json(kv_falco_validator_diag(v, i)));
		json_object_object_add(o, "valid", json_object_new_boolean(nerr == 0));
		json_object_object_add(o, "errors", json_object_new_int64((int64_t)nerr));
		json_object_object_add(
		    o, "warnings",
		    json_object_new_int64((int64_t)(kv_falco_validator_ndiags(v) - nerr)));
		json_object_object_add(o, "files", f);
		json_object_object_add(o, "rules", json_object_new_int64((int64_t)st.rules));
		json_object_object_add(o, "macros", json_object_new_int64((int64_t)st.macros));
		json_object_object_add(o, "lists", json_object_new_int64((int64_t)st.lists));
		json_object_object_add(o, "diagnostics", a);
		printf("%s\n", json_object_to_json_string_ext(
				   o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		char line[2048];

		for (i = 0; i < kv_falco_validator_ndiags(v); i++) {
			kv_falco_diag_format(kv_falco_validator_diag(v, i), line, sizeof(line));
			fprintf(stderr, "%s\n", line);
		}
		printf("%s: %zu file%s, %zu rules, %zu macros, %zu lists, %zu error%s\n",
		       nerr ? "INVALID" : "valid", st.files, st.files == 1 ? "" : "s", st.rules,
		       st.macros, st.lists, nerr, nerr == 1 ? "" : "s");
	}
	kv_falco_validator_free(v);
	return nerr ? KV_EXIT_FAIL : KV_EXIT_OK;
}

int cmd_rules(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"domain", required_argument, 0, 'd'},
	    {"trust-mask", required_argument, 0, 'm'},
	    {"json", no_argument, 0, 'j'},
	    {"validate", no_argument, 0, 'V'},
	    {"out", required_argument, 0, 'o'},
	    {"help", no_argument, 0, 'h'},
	    {0},
	};
	const char *domain_s = getenv("KAVACHOS_DOMAIN"), *mask_s = getenv("KAVACHOS_TRUST_MASK");
	const char *out = NULL;
	bool validate = false, explicit_sel = false;
	enum kv_domain d = KV_DOMAIN_GENERAL;
	uint32_t mask = 0;
	char err[1024], *text = NULL;
	int c, ret;

	optind = 0; /* full getopt reset: the command may run more than once */
	while ((c = getopt_long(argc, argv, "d:m:jVo:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			domain_s = optarg;
			explicit_sel = true;
			break;
		case 'm':
			mask_s = optarg;
			explicit_sel = true;
			break;
		case 'j':
			kv_json_output = true;
			break;
		case 'V':
			validate = true;
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			usage();
			return KV_EXIT_OK;
		default:
			return KV_EXIT_USAGE;
		}
	}
	if (validate) {
		if (explicit_sel || out) {
			kv_err(
			    "rules: --validate takes rule files, not --domain/--trust-mask/--out");
			return KV_EXIT_USAGE;
		}
		if (optind >= argc) {
			kv_err("rules: --validate needs at least one FILE");
			return KV_EXIT_USAGE;
		}
		return do_validate(argc - optind, argv + optind);
	}
	if (optind < argc) {
		kv_err("rules: unexpected argument '%s' (did you mean --validate?)", argv[optind]);
		return KV_EXIT_USAGE;
	}
	if (domain_s && *domain_s && kv_domain_parse(domain_s, &d)) {
		kv_err("invalid domain '%s' (one of %s)", domain_s, kv_domain_list());
		return KV_EXIT_USAGE;
	}
	if (mask_s && *mask_s && kv_trust_mask_parse(mask_s, &mask, err, sizeof(err))) {
		kv_err("%s", err);
		return KV_EXIT_USAGE;
	}
	if (kv_json_output) {
		struct json_object *o;

		ret = kv_falco_render_json(d, mask, &o, err, sizeof(err));
		if (!ret) {
			text = strdup(json_object_to_json_string_ext(
			    o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
			json_object_put(o);
			if (!text)
				ret = -ENOMEM;
		}
	} else {
		ret = kv_falco_render(d, mask, &text, err, sizeof(err));
	}
	if (ret) {
		kv_err("rules: %s", ret == -ENOMEM ? strerror(ENOMEM) : err);
		return ret == -ENOENT ? KV_EXIT_ENV : KV_EXIT_FAIL;
	}
	ret = write_out(out, text);
	free(text);
	if (ret) {
		kv_err("rules: writing %s: %s", out ? out : "stdout", strerror(-ret));
		return KV_EXIT_FAIL;
	}
	return KV_EXIT_OK;
}
