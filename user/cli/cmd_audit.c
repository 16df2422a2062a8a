// SPDX-License-Identifier: BSD-2-Clause
/* kavachos audit: verify PRAMANA receipt chains (docs/receipts.md). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "common/log.h"
#include "events/events.h"
#include "receipts/receipt_keys.h"
#include "receipts/receipts.h"
#include "receipts/store.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: kavachos audit [SESSION-ID... | --all] [OPTIONS]\n"
		"       kavachos audit --export SESSION-ID --out DIR [OPTIONS]\n\n"
		"Re-walks each session's receipt chain: canonical form, hashes, links, sequence\n"
		"numbers, checkpoint signatures and spacing, the genesis profile hash against a\n"
		"fresh build (PROFILE_DRIFT), and the kernel's violation counters against the\n"
		"sealed receipts (EVIDENCE_MISSING). Without SESSION-ID: every session.\n\n"
		"  -a, --all             audit every session under the state dir\n"
		"  -d, --state-dir=DIR   default $KAVACHOS_STATE_DIR or " KV_STATE_DIR_DEFAULT "\n"
		"  -k, --pubkey=FILE     verify signatures with this Ed25519 public key (PEM)\n"
		"                        instead of DIR/keys/receipts.ed25519.pub -- pin it\n"
		"  -e, --export=ID       write ID's evidence bundle (receipts, checkpoints, key,\n"
		"                        verifier, VERIFY.md) into the directory --out names\n"
		"  -o, --out=DIR         bundle directory (new, or empty)\n"
		"  -j, --json            JSON output\n"
		"  -h, --help            this help\n\n"
		"Verdicts: CLEAN, CHAIN_BROKEN (at seq N), TRUNCATED, UNSIGNED_TAIL, ACTIVE,\n"
		"KEY_MISMATCH, NO_KEY, PROFILE_DRIFT, EVIDENCE_MISSING, COUNTS_MISMATCH,\n"
		"NO_SESSION, MALFORMED, UNSUPPORTED_VERSION.\n"
		"Exit status: 0 every audited session CLEAN, 1 otherwise, 2 usage.\n");
}

static void print_counts(const struct kv_audit_result *r)
{
	size_t i;

	if (!r->n_types)
		return;
	printf("  counts:");
	for (i = 0; i < r->n_types; i++)
		printf("%s %s %" PRIu64, i ? "," : "", r->types[i].type, r->types[i].n);
	if (r->types_other)
		printf(", other types %" PRIu64, r->types_other);
	printf("\n");
}

static void print_reconciliation(const struct kv_audit_result *r)
{
	unsigned c;
	bool any = false;

	if (!r->reconciled) {
		if (r->ended)
			printf("  kernel: SESSION_END carries no kernel_counts: not reconciled\n");
		return;
	}
	printf("  kernel (sealed/counted):");
	for (c = 0; c < KV_CLASS_MAX; c++) {
		if (!r->kernel_counts[c] && !r->sealed_counts[c])
			continue;
		printf("%s %s %" PRIu64 "/%" PRIu64, any ? "," : "", kv_class_name(c),
		       r->sealed_counts[c], r->kernel_counts[c]);
		any = true;
	}
	printf("%s; events lost %" PRIu64 ", suppressed %" PRIu64 "\n", any ? "" : " no violations",
	       r->events_lost, r->events_suppressed);
}

static void print_result(const struct kv_audit_result *r)
{
	printf("%s: %s", r->session, kv_verdict_name(r->verdict));
	if (r->has_bad_seq)
		printf(" at seq %" PRIu64, r->bad_seq);
	printf(": %s\n", r->reason);
	if (r->receipts) {
		printf("  %" PRIu64 " receipts, %" PRIu64 " checkpoints verified", r->receipts,
		       r->checkpoints);
		if (r->signed_any)
			printf(", signed through seq %" PRIu64, r->signed_through);
		printf("\n");
	}
	print_counts(r);
	print_reconciliation(r);
	if (r->profile_checked)
		printf("  profile: %.16s... %s\n", r->profile_sha256,
		       !strcmp(r->profile_sha256, r->profile_regenerated)
			   ? "regenerates identically"
			   : "does NOT regenerate");
}

static int do_export(const char *state_dir, const char *id, const char *pubkey, const char *out)
{
	struct kv_audit_result r;
	char err[PATH_MAX + 128];

	if (kv_audit_export(state_dir, id, pubkey, out, &r, err, sizeof(err))) {
		kv_err("audit --export: %s", err);
		return KV_EXIT_FAIL;
	}
	if (kv_json_output) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "exported", json_object_new_string(out));
		json_object_object_add(o, "audit", kv_audit_result_json(&r));
		printf("%s\n", json_object_to_json_string_ext(
				   o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		print_result(&r);
		printf("evidence bundle written to %s (see %s/VERIFY.md)\n", out, out);
	}
	return r.verdict == KV_CLEAN ? KV_EXIT_OK : KV_EXIT_FAIL;
}

static int audit_ids(const char *state_dir, char **ids, size_t n, const char *pubkey)
{
	struct json_object *arr = kv_json_output ? json_object_new_array() : NULL;
	size_t i, clean = 0, failed = 0;
	struct kv_audit_result r;
	int err;

	for (i = 0; i < n; i++) {
		err = kv_audit_session(state_dir, ids[i], pubkey, &r);
		if (err) {
			kv_err("audit %s: %s", ids[i], strerror(-err));
			failed++;
			continue;
		}
		clean += r.verdict == KV_CLEAN;
		if (arr)
			json_object_array_add(arr, kv_audit_result_json(&r));
		else
			print_result(&r);
	}
	if (arr) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "sessions", arr);
		json_object_object_add(o, "audited", json_object_new_uint64(n));
		json_object_object_add(o, "clean", json_object_new_uint64(clean));
		json_object_object_add(o, "all_clean", json_object_new_boolean(clean == n));
		printf("%s\n", json_object_to_json_string_ext(
				   o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else if (n > 1) {
		printf("%zu sessions audited: %zu clean, %zu not clean%s\n", n, clean,
		       n - clean - failed, failed ? ", some could not be read" : "");
	}
	return clean == n ? KV_EXIT_OK : KV_EXIT_FAIL;
}

int cmd_audit(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"all", no_argument, NULL, 'a'},	      {"state-dir", required_argument, NULL, 'd'},
	    {"pubkey", required_argument, NULL, 'k'}, {"export", required_argument, NULL, 'e'},
	    {"out", required_argument, NULL, 'o'},    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},	      {0},
	};
	const char *state_dir = kv_state_dir_default(), *pubkey = NULL, *export = NULL, *out = NULL;
	struct kv_receipt_key *key;
	char err[PATH_MAX + 64];
	bool all = false;
	char **ids = NULL;
	size_t n = 0;
	int c, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "ad:k:e:o:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			all = true;
			break;
		case 'd':
			state_dir = optarg;
			break;
		case 'k':
			pubkey = optarg;
			break;
		case 'e':
			export = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'j':
			kv_json_output = true;
			break;
		case 'h':
			usage(stdout);
			return KV_EXIT_OK;
		default:
			usage(stderr);
			return KV_EXIT_USAGE;
		}
	}
	if (all && optind < argc) {
		kv_err("audit: give session ids or --all, not both");
		return KV_EXIT_USAGE;
	}
	if (!!export != !!out || (export && (all || optind < argc))) {
		kv_err("audit: --export SESSION-ID goes with --out DIR, and alone");
		return KV_EXIT_USAGE;
	}
	for (c = optind; c < argc; c++) {
		if (!kv_session_id_valid(argv[c])) {
			kv_err("audit: '%s' is not a session id ([A-Za-z0-9._-], 1-128 characters)",
			       argv[c]);
			return KV_EXIT_USAGE;
		}
	}
	if (export && !kv_session_id_valid(export)) {
		kv_err("audit: '%s' is not a session id ([A-Za-z0-9._-], 1-128 characters)",
		       export);
		return KV_EXIT_USAGE;
	}
	if (pubkey) {
		if (kv_receipt_pubkey_load(pubkey, &key, err, sizeof(err))) {
			kv_err("audit: %s", err);
			return KV_EXIT_USAGE;
		}
		kv_receipt_key_free(key);
	}
	if (export)
		return do_export(state_dir, export, pubkey, out);
	if (optind < argc)
		return audit_ids(state_dir, argv + optind, (size_t)(argc - optind), pubkey);
	ret = kv_audit_list_sessions(state_dir, &ids, &n);
	if (ret) {
		kv_err("audit: no receipt store under %s/" KV_SESSIONS_SUBDIR
		       ": %s (see --state-dir)",
		       state_dir, strerror(-ret));
		return KV_EXIT_FAIL;
	}
	if (!n && !kv_json_output)
		printf("no sessions under %s/" KV_SESSIONS_SUBDIR "\n", state_dir);
	ret = audit_ids(state_dir, ids, n, pubkey);
	kv_audit_ids_free(ids, n);
	return ret;
}
