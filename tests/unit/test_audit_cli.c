// SPDX-License-Identifier: BSD-2-Clause
/* `kavachos audit`: exit status, plain and JSON output, usage errors. The
 * command runs in a child with its output captured. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cli/cli.h"
#include "common/log.h"
#include "kvtest.h"
#include "receipts/store.h"
#include "test_receipt_util.h"

/* Runs cmd_audit(argv) in a child; returns its exit status, stdout+stderr in out. */
static int run_audit(char **argv, char *out, size_t outlen)
{
	char path[PATH_MAX];
	int argc = 0, fd, st;
	ssize_t n;
	pid_t pid;

	while (argv[argc])
		argc++;
	kv_store_path(path, sizeof(path), "%s/cli.out", kvtest_tmpdir());
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 1);
		dup2(fd, 2);
		st = cmd_audit(argc, argv);
		fflush(NULL);
		_exit(st);
	}
	waitpid(pid, &st, 0);
	fd = open(path, O_RDONLY);
	n = read(fd, out, outlen - 1);
	out[n > 0 ? n : 0] = 0;
	close(fd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define AUDIT(...) run_audit((char *[]){"audit", __VA_ARGS__, NULL}, out, sizeof(out))

KV_TEST(exit_status_and_output)
{
	char out[16384], copy[PATH_MAX];
	struct json_object *o, *s, *v;
	struct rc_chain c;
	char *bad;

	if (!ASSERT_OK(rc_make(&c, "s", NULL), "make"))
		return;
	ASSERT_EQ(AUDIT("--state-dir", c.state_dir, RC_SESSION), 0, "clean");
	ASSERT_HAS_SUBSTR(out, RC_SESSION ": CLEAN", "verdict line");
	ASSERT_HAS_SUBSTR(out, "SECCOMP_BLOCK 3", "counts by type");
	ASSERT_HAS_SUBSTR(out, "egress 3/3", "reconciliation");
	ASSERT_EQ(AUDIT("-d", c.state_dir), 0, "all sessions by default");
	/* a tampered copy makes --all fail */
	kv_store_session_path(copy, sizeof(copy), c.state_dir, "ks-copy");
	bad = malloc(c.len);
	memcpy(bad, c.data, c.len);
	bad[c.off[5] + 90] ^= 1;
	rc_write_file(copy, bad, c.len);
	free(bad);
	ASSERT_EQ(AUDIT("--all", "--state-dir", c.state_dir), 1, "one broken");
	ASSERT_HAS_SUBSTR(out, "ks-copy: CHAIN_BROKEN at seq 0", "renamed copy: session mismatch");
	ASSERT_HAS_SUBSTR(out, "2 sessions audited: 1 clean, 1 not clean", "summary");
	ASSERT_EQ(AUDIT("--json", "--state-dir", c.state_dir, "--all"), 1, "json");
	o = json_tokener_parse(out);
	if (ASSERT_OK_PTR(o, "valid JSON")) {
		ASSERT_TRUE(json_object_object_get_ex(o, "sessions", &s) &&
				json_object_array_length(s) == 2,
			    "two sessions");
		v = json_object_array_get_idx(s, 0);
		ASSERT_STREQ(json_object_get_string(json_object_object_get(v, "verdict")), "CLEAN",
			     "first clean");
		v = json_object_array_get_idx(s, 1);
		ASSERT_STREQ(json_object_get_string(json_object_object_get(v, "verdict")),
			     "CHAIN_BROKEN", "second broken");
		ASSERT_EQ(json_object_get_int(json_object_object_get(v, "bad_seq")), 0, "bad_seq");
		ASSERT_FALSE(json_object_get_boolean(json_object_object_get(o, "all_clean")),
			     "all_clean");
		json_object_put(o);
	}
	ASSERT_EQ(AUDIT("-d", c.state_dir, "ks-missing"), 1, "no session");
	ASSERT_HAS_SUBSTR(out, "ks-missing: NO_SESSION", "says so");
	rc_free(&c);
}

KV_TEST(usage_errors)
{
	char out[4096], empty[PATH_MAX];

	ASSERT_EQ(AUDIT("--bogus"), 2, "unknown option");
	ASSERT_EQ(AUDIT("--all", "ks-1"), 2, "ids and --all");
	ASSERT_EQ(AUDIT("--export", "ks-1"), 2, "--export without --out");
	ASSERT_EQ(AUDIT("--out", "/tmp/x"), 2, "--out without --export");
	ASSERT_EQ(AUDIT("../etc"), 2, "not a session id");
	ASSERT_HAS_SUBSTR(out, "not a session id", "names it");
	ASSERT_EQ(AUDIT("--pubkey", "/nonexistent.pem", "ks-1"), 2, "unreadable key");
	ASSERT_HAS_SUBSTR(out, "/nonexistent.pem", "names the file");
	ASSERT_EQ(AUDIT("--help"), 0, "help");
	ASSERT_HAS_SUBSTR(out, "--export", "help text");
	ASSERT_EQ(AUDIT("--state-dir", "/nonexistent"), 1, "no store");
	ASSERT_HAS_SUBSTR(out, "no receipt store", "says so");
	kv_store_path(empty, sizeof(empty), "%s/empty", kvtest_tmpdir());
	kv_store_mkdirs(empty, 0755);
	kv_store_path(empty, sizeof(empty), "%s/empty/sessions", kvtest_tmpdir());
	kv_store_mkdirs(empty, 0755);
	kv_store_path(empty, sizeof(empty), "%s/empty", kvtest_tmpdir());
	ASSERT_EQ(AUDIT("--state-dir", empty), 0, "empty store");
	ASSERT_HAS_SUBSTR(out, "no sessions", "says so");
}

KV_TEST(export_command)
{
	char out[8192], dir[PATH_MAX];
	struct rc_chain c;

	if (!ASSERT_OK(rc_make(&c, "s", NULL), "make"))
		return;
	kv_store_path(dir, sizeof(dir), "%s/bundle", kvtest_tmpdir());
	ASSERT_EQ(AUDIT("-d", c.state_dir, "--export", RC_SESSION, "--out", dir), 0, "export");
	ASSERT_HAS_SUBSTR(out, "evidence bundle written", "says where");
	ASSERT_EQ(AUDIT("-d", c.state_dir, "--export", RC_SESSION, "--out", dir), 1, "again");
	ASSERT_HAS_SUBSTR(out, "not empty", "refuses");
	rc_free(&c);
}
