// SPDX-License-Identifier: BSD-2-Clause
/* kavachos profile show [AGENT-ID|SESSION-ID] [--json] [--state-dir DIR]
 * Without an id: the profile `run` would apply here (flags/config/env).
 * With one: that session's profile from its genesis receipt, and its gate
 * valve and counters live from the kernel maps (or as sealed at its end). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "common/log.h"
#include "config/config.h"
#include "profile/profile.h"
#include "receipts/store.h"
#include "session/history.h"

static int do_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("Usage: kavachos profile show [AGENT-ID|SESSION-ID] [--json] [--state-dir DIR]\n"
	       "              [--trust-mask=N] [--domain=D] [--depth=N] [--strict-exec]\n\n"
	       "  show  without an id: the profile `kavachos run` would apply here;\n"
	       "        with a session id (ks-...) or an agent name (the newest session of\n"
	       "        that binary): its profile and gate valve, live from the kernel\n");
	return KV_EXIT_OK;
}

static void print_plain(const struct json_object *o)
{
	json_object_object_foreach((struct json_object *)o, k, v)
		printf("%-16s %s\n", k,
		       json_object_is_type(v, json_type_string) ? json_object_get_string(v)
			       : json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

static int show_current(const struct kv_settings_flags *fl)
{
	struct kv_settings st = { 0 };
	struct kv_profile_input in;
	struct kv_profile *p = NULL;
	struct json_object *o;
	const char *names[64];
	char err[512], hash[65], mask[16];
	size_t i, n;
	int e;

	e = kv_settings_resolve(fl, &st, err, sizeof(err));
	if (e) {
		kv_err("%s", err);
		return KV_EXIT_USAGE;
	}
	kv_settings_profile_input(&st, &in);
	e = kv_profile_build(&in, &p, err, sizeof(err));
	if (e || kv_profile_hash(p, hash)) {
		kv_err("%s", e ? err : "cannot hash the profile");
		kv_settings_free(&st);
		kv_profile_free(p);
		return KV_EXIT_USAGE;
	}
	o = json_object_new_object();
	snprintf(mask, sizeof(mask), "0x%08x", in.trust_mask);
	json_object_object_add(o, "trust_mask", json_object_new_string(mask));
	json_object_object_add(o, "trust_mask_from", json_object_new_string(kv_src_name(st.src_trust_mask)));
	json_object_object_add(o, "domain", json_object_new_string(kv_domain_name(in.domain)));
	json_object_object_add(o, "depth", json_object_new_int64(in.depth));
	json_object_object_add(o, "strict_exec", json_object_new_boolean(in.strict_exec));
	if (st.config)
		json_object_object_add(o, "config", json_object_new_string(st.config->path));
	json_object_object_add(o, "allowed", json_object_new_int64((int64_t)kv_profile_count_allowed(p)));
	json_object_object_add(o, "conditional", json_object_new_int64((int64_t)kv_profile_count_cond(p)));
	{
		struct json_object *a = json_object_new_array();

		n = kv_profile_notify_names(p, names, 64);
		for (i = 0; i < n && i < 64; i++)
			json_object_array_add(a, json_object_new_string(names[i]));
		json_object_object_add(o, "notify", a);
	}
	json_object_object_add(o, "profile_sha256", json_object_new_string(hash));
	json_object_object_add(o, "gate", json_object_new_string("OPEN (no session)"));
	if (kv_json_output)
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		print_plain(o);
	json_object_put(o);
	kv_profile_free(p);
	kv_settings_free(&st);
	return KV_EXIT_OK;
}

static int do_show(int argc, char **argv)
{
	enum { O_STATE = 256, O_MASK, O_DOMAIN, O_DEPTH, O_STRICT };
	static const struct option opts[] = {
		{ "state-dir", required_argument, 0, O_STATE },
		{ "trust-mask", required_argument, 0, O_MASK },
		{ "domain", required_argument, 0, O_DOMAIN },
		{ "depth", required_argument, 0, O_DEPTH },
		{ "strict-exec", no_argument, 0, O_STRICT },
		{ "json", no_argument, 0, 'j' },
		{ "help", no_argument, 0, 'h' },
		{ 0 },
	};
	struct kv_settings_flags fl = { 0 };
	struct kv_session_record r;
	const char *state = kv_state_dir_default();
	struct json_object *o;
	char id[129];
	int c, e;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case O_STATE: state = optarg; break;
		case O_MASK: fl.trust_mask = optarg; break;
		case O_DOMAIN: fl.domain = optarg; break;
		case O_DEPTH: fl.depth = optarg; break;
		case O_STRICT: fl.strict_exec = true; break;
		case 'j': kv_json_output = true; break;
		case 'h': return do_help(0, NULL);
		default: return KV_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return show_current(&fl);
	if (optind + 1 < argc) {
		kv_err("profile show takes one id, got '%s' too", argv[optind + 1]);
		return KV_EXIT_USAGE;
	}
	snprintf(id, sizeof(id), "%s", argv[optind]);
	if (strncmp(id, "ks-", 3) && kv_session_find_agent(state, argv[optind], id, sizeof(id))) {
		kv_err("no session of an agent named '%s' in %s", argv[optind], state);
		return KV_EXIT_FAIL;
	}
	e = kv_session_record_load(state, id, &r);
	if (e) {
		kv_err("session %s: %s", id, e == -ENOENT ? "not found" : e == -EBADMSG ?
		       "no readable SESSION_START receipt (run kavachos audit)" : strerror(-e));
		return KV_EXIT_FAIL;
	}
	o = kv_session_record_json(&r);
	if (kv_json_output)
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		print_plain(o);
	json_object_put(o);
	kv_session_record_free(&r);
	return KV_EXIT_OK;
}

int cmd_profile(int argc, char **argv)
{
	static const struct kv_cmd verbs[] = {
		{ "show", do_show, "show a profile and its gate valve" },
		{ "help", do_help, "this help" },
		{ 0 },
	};

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return do_help(0, NULL) == KV_EXIT_OK && argc < 2 ? KV_EXIT_USAGE : KV_EXIT_OK;
	return kv_cmd_dispatch(verbs, argc - 1, argv + 1, "profile");
}
