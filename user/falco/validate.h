/* SPDX-License-Identifier: BSD-2-Clause */
/* Falco rule-file validator. Falco is not packaged for Debian 12, so this checks
 * what Falco's rule loader would: the YAML structure of every item (required keys,
 * priorities, append/override), every condition with a parser for Falco's
 * condition language, macros and lists resolved across all the files given (in
 * order, as Falco loads them), and every field in conditions, outputs and
 * exceptions against Falco's field list (plus the fields of plugins a file
 * declares in required_plugin_versions). Each problem names its file, line and
 * column, and the rule, macro or list it belongs to. */
#ifndef KV_FALCO_VALIDATE_H
#define KV_FALCO_VALIDATE_H
#include <stdbool.h>
#include <stddef.h>

struct kv_falco_validator;

struct kv_falco_diag {
	const char *file;
	unsigned line, col; /* 1-based; 0 when not known */
	const char *kind;   /* "rule", "macro", "list", or NULL (file level) */
	const char *name;   /* the item's name, or NULL */
	const char *msg;
	bool warning; /* warnings do not make the files invalid */
};

struct kv_falco_stats {
	size_t files, rules, macros, lists;
};

/* datadir: the directory holding fields.txt (see kv_falco_data_dir()). */
int kv_falco_validator_new(const char *datadir, struct kv_falco_validator **out, char *err,
			   size_t errlen);
/* Reads and parses one file (a YAML or structure problem becomes a diagnostic).
 * 0, or -errno when the file cannot be read (also recorded as a diagnostic). */
int kv_falco_validator_add_file(struct kv_falco_validator *v, const char *path);
/* A file, or a directory: its *.yaml and *.yml files in alphabetical order, as
 * Falco loads a rules directory. 0 or the first -errno. */
int kv_falco_validator_add_path(struct kv_falco_validator *v, const char *path);
/* Same for text in memory; name is what diagnostics call it. */
int kv_falco_validator_add_buffer(struct kv_falco_validator *v, const char *name, const char *buf,
				  size_t len);
/* Resolves macros and lists over everything added and checks every condition,
 * output and exception. Returns the number of errors (warnings not counted). */
size_t kv_falco_validator_check(struct kv_falco_validator *v);

size_t kv_falco_validator_ndiags(const struct kv_falco_validator *v);
const struct kv_falco_diag *kv_falco_validator_diag(const struct kv_falco_validator *v, size_t i);
size_t kv_falco_validator_nerrors(const struct kv_falco_validator *v);
void kv_falco_validator_stats(const struct kv_falco_validator *v, struct kv_falco_stats *st);
void kv_falco_validator_free(struct kv_falco_validator *v);

/* "FILE:LINE:COL: error: rule 'NAME': MESSAGE" */
void kv_falco_diag_format(const struct kv_falco_diag *d, char *buf, size_t len);
#endif
