// SPDX-License-Identifier: BSD-2-Clause
/* kavachos release SESSION-ID [--to=open|throttled|cracked] [--kill] --reason=TEXT
 * Root only. Thaws a LOCKED (or lowers any) gate valve, or ends the session;
 * who and why are sealed as a RELEASE receipt by the session's writer. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/cli.h"
#include "common/log.h"
#include "daemon/control.h"
#include "run/release.h"

int cmd_release(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "to", required_argument, 0, 't' },
		{ "kill", no_argument, 0, 'k' },
		{ "reason", required_argument, 0, 'r' },
		{ "socket", required_argument, 0, 's' },
		{ "json", no_argument, 0, 'j' },
		{ "help", no_argument, 0, 'h' },
		{ 0 },
	};
	const char *to = "open", *reason = NULL, *dsock = KV_CONTROL_DEFAULT, *su = getenv("SUDO_USER");
	struct json_object *req, *resp = NULL, *v;
	char path[256], err[256];
	bool kill = false;
	int c, fd, e, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 't': to = optarg; break;
		case 'k': kill = true; break;
		case 'r': reason = optarg; break;
		case 's': dsock = optarg; break;
		case 'j': kv_json_output = true; break;
		case 'h':
			printf("Usage: kavachos release SESSION-ID [--to=open|throttled|cracked] [--kill]\n"
			       "                        --reason=TEXT\n\n"
			       "Root only. Lowers the session's gate valve to --to (default open) and\n"
			       "thaws it, or with --kill ends the session (cgroup.kill). Sealed as a\n"
			       "RELEASE receipt with your uid, SUDO_USER and the reason.\n");
			return KV_EXIT_OK;
		default: return KV_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		kv_err("release needs exactly one SESSION-ID");
		return KV_EXIT_USAGE;
	}
	if (!reason || !*reason) {
		kv_err("release needs --reason=TEXT: it is sealed into the session's receipts");
		return KV_EXIT_USAGE;
	}
	if (geteuid() != 0) {
		kv_err("release is for root only");
		return KV_EXIT_ENV;
	}
	/* the writer of the session's chain: an embedded run, or the daemon */
	snprintf(path, sizeof(path), "%s/%s.sock", KV_SESSION_SOCK_DIR, argv[optind]);
	fd = strchr(argv[optind], '/') ? -EINVAL : kv_control_connect(path);
	if (fd < 0)
		fd = kv_control_connect(dsock);
	if (fd < 0) {
		kv_err("session %s is not live here (no %s, no daemon at %s)", argv[optind], path, dsock);
		return KV_EXIT_FAIL;
	}
	req = json_object_new_object();
	json_object_object_add(req, "op", json_object_new_string("release"));
	json_object_object_add(req, "session_id", json_object_new_string(argv[optind]));
	json_object_object_add(req, "to", json_object_new_string(to));
	json_object_object_add(req, "kill", json_object_new_boolean(kill));
	json_object_object_add(req, "reason", json_object_new_string(reason));
	json_object_object_add(req, "sudo_user", json_object_new_string(su ? su : ""));
	e = kv_control_call(fd, req, &resp, err, sizeof(err));
	json_object_put(req);
	close(fd);
	if (e) {
		kv_err("%s", err);
		return KV_EXIT_FAIL;
	}
	if (!json_object_object_get_ex(resp, "ok", &v) || !json_object_get_boolean(v)) {
		kv_err("%s", json_object_object_get_ex(resp, "error", &v) ? json_object_get_string(v) : "refused");
		rc = KV_EXIT_FAIL;
	} else {
		rc = KV_EXIT_OK;
		if (kv_json_output)
			printf("%s\n", json_object_to_json_string_ext(resp, JSON_C_TO_STRING_PLAIN));
		else
			printf("session %s: %s -> %s\n", argv[optind],
			       json_object_get_string(json_object_object_get(resp, "from")),
			       json_object_get_string(json_object_object_get(resp, "to")));
	}
	json_object_put(resp);
	return rc;
}
