// SPDX-License-Identifier: BSD-2-Clause
/* kavachos sessions [--json] [--state-dir DIR]: live and past sessions. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "cli/cli.h"
#include "common/log.h"
#include "receipts/receipts.h"
#include "receipts/store.h"
#include "session/history.h"

int cmd_sessions(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, 0, 's' },
		{ "json", no_argument, 0, 'j' },
		{ "help", no_argument, 0, 'h' },
		{ 0 },
	};
	const char *state = kv_state_dir_default();
	struct json_object *all = json_object_new_array();
	char **ids = NULL;
	size_t n = 0, i;
	int c, e;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 's': state = optarg; break;
		case 'j': kv_json_output = true; break;
		case 'h':
			printf("Usage: kavachos sessions [--json] [--state-dir DIR]\n\n"
			       "Lists the sessions of the receipt store: live (the kernel still\n"
			       "enforces them), ended, or unfinished (their writer died).\n");
			json_object_put(all);
			return KV_EXIT_OK;
		default:
			json_object_put(all);
			return KV_EXIT_USAGE;
		}
	}
	e = kv_audit_list_sessions(state, &ids, &n);
	if (e && e != -ENOENT) {
		kv_err("%s: %s", state, strerror(-e));
		json_object_put(all);
		return KV_EXIT_FAIL;
	}
	if (!kv_json_output)
		printf("%-32s %-10s %-10s %-9s %-10s %s\n", "SESSION", "STATE", "MASK", "DOMAIN", "GATE", "AGENT");
	for (i = 0; i < n; i++) {
		struct kv_session_record r;
		struct json_object *o, *v;

		if (kv_session_record_load(state, ids[i], &r))
			continue;
		o = kv_session_record_json(&r);
		if (!kv_json_output) {
			char mask[16] = "?";
			const char *gate = "-", *bin = "?", *dom = "?";

			if (json_object_object_get_ex(o, "trust_mask", &v))
				snprintf(mask, sizeof(mask), "0x%08llx", (unsigned long long)json_object_get_int64(v));
			if (json_object_object_get_ex(o, "gate", &v))
				gate = json_object_get_string(v);
			if (json_object_object_get_ex(o, "binary", &v))
				bin = json_object_get_string(v);
			if (json_object_object_get_ex(o, "domain", &v))
				dom = json_object_get_string(v);
			printf("%-32s %-10s %-10s %-9s %-10s %s\n", r.id,
			       r.live ? "live" : r.end ? "ended" : "unfinished", mask, dom, gate, bin);
			json_object_put(o);
		} else {
			json_object_array_add(all, o);
		}
		kv_session_record_free(&r);
	}
	if (kv_json_output)
		printf("%s\n", json_object_to_json_string_ext(all, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(all);
	kv_audit_ids_free(ids, n);
	return KV_EXIT_OK;
}
