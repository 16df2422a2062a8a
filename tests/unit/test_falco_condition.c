// SPDX-License-Identifier: BSD-2-Clause
/* Falco condition parser: what Falco's grammar accepts and rejects, where it
 * stops, and which fields, macros and lists it reports. */
#include <stdlib.h>
#include "falco/condition.h"
#include "kvtest.h"

static const char *const accepted[] = {
    "evt.type = execve",
    "evt.type=execve and proc.name=bash",
    "evt.type in (open,openat,openat2) and evt.is_open_write=true and fd.typechar='f' and "
    "fd.num>=0",
    "not proc.name in (\"<NA>\",\"N/A\")",
    "(evt.type in (execve, execveat))",
    "not not proc.name = x",
    "not(proc.name = x)",
    "a_macro and not(b_macro or c_macro)",
    "a_macro and(b_macro)",
    "a_macro or(b_macro)",
    "proc.aname[2] in (sshd, sudo) and proc.env[HOME] startswith /root",
    "proc.env[\"MY VAR\"] exists",
    "evt.arg.flags contains O_CREAT and evt.arg[0] = 3",
    "thread.cgroup.cpuacct startswith /kubepods",
    "fd.name pmatch (/etc, /usr/bin) and proc.args intersects (-i, --login)",
    "fd.name glob '/home/*/.ssh/*' and fd.name iglob '*.PEM'",
    "evt.buffer bcontains 4142 and evt.buffer bstartswith 7f454c46",
    "proc.cmdline regex 'x[0-9]+' and proc.name endswith sh",
    "fd.sip.name icontains example and fd.num < 10 and fd.num <= 10 and fd.num > -1",
    "evt.rawres >= 0 or evt.res = EINPROGRESS",
    "proc.pid != 0x1F and proc.vmsize > 1.5e+3",
    "tolower(proc.name) = bash and len(proc.cmdline) > 100",
    "basename(toupper(fd.name)) = X and b64(evt.arg.data) contains secret",
    "fd.name startswith val(proc.cwd) and proc.name in shell_binaries",
    "proc.name in ()",
    "proc.name in ( a , b )",
    "fd.name = \"quoted \\\" quote\" and fd.name = 'single'",
    "  evt.type = execve  \n and\n proc.name = bash  ",
    "evt.type.is.open = 1",
    "k8s.ns.name = default and container.image.repository in (nginx)",
};

static const struct {
	const char *cond;
	size_t off; /* where the parser stops */
	const char *msg;
} rejected[] = {
    {"", 0, "empty"},
    {"(proc.name = bash", 17, "')'"},
    {"proc.name = bash)", 16, "unbalanced"},
    {"((a_macro)", 10, "')'"},
    {"proc.name", 9, "operator"},
    {"proc.name bash", 10, "operator"},
    {"proc.name contains\nbash", 10, "operator"}, /* Falco needs a space */
    {"proc.name = ", 12, "string value"},
    {"proc.name in (a, b", 18, "')'"},
    {"proc.name in (a,, b)", 16, "string value"},
    {"proc.name in 'x'", 13, "list"},
    {"proc.aname[2 = x", 12, "']'"},
    {"proc.aname[] = x", 11, "field argument"},
    {"a_macro and", 11, "after 'and'"},
    {"a_macro and ", 12, "a field check, or an identifier"},
    {"a_macro andb_macro", 11, "after 'and'"},
    {"a_macro orb_macro", 10, "after 'or'"},
    {"a_macro b_macro", 8, "expecting 'or', 'and'"},
    {"= bash", 0, "identifier"},
    {"proc.pid > abc", 11, "number"},
    {"tolower(proc.name = x", 18, "')'"},
    {"val(proc.name) = x", 3, "expecting 'or', 'and'"},
    {"fd.name startswith val(42)", 23, "field within 'val'"},
};

KV_TEST(accepts_falco_syntax)
{
	struct kv_falco_parse_error e;
	size_t i;

	for (i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
		int ret =
		    kv_falco_condition_parse(accepted[i], strlen(accepted[i]), NULL, NULL, &e);

		if (!ASSERT_OK(ret, accepted[i]))
			fprintf(stderr, "    at %zu: %s\n", e.off, e.msg);
	}
}

KV_TEST(rejects_with_position)
{
	struct kv_falco_parse_error e;
	size_t i;

	for (i = 0; i < sizeof(rejected) / sizeof(rejected[0]); i++) {
		int ret = kv_falco_condition_parse(rejected[i].cond, strlen(rejected[i].cond), NULL,
						   NULL, &e);

		if (!ASSERT_EQ(ret, -EINVAL, rejected[i].cond))
			continue;
		ASSERT_EQ(e.off, rejected[i].off, rejected[i].cond);
		ASSERT_HAS_SUBSTR(e.msg, rejected[i].msg, rejected[i].cond);
	}
}

struct refs {
	char buf[2048];
};

static int collect(const struct kv_falco_ref *r, void *ctx)
{
	static const char kinds[] = {'F', 'M', 'L', 'I'};
	struct refs *out = ctx;
	size_t n = strlen(out->buf);

	snprintf(out->buf + n, sizeof(out->buf) - n, "%c:%.*s%s%.*s%s@%zu ", kinds[r->kind],
		 (int)r->name_len, r->name, r->has_arg ? "[" : "", (int)r->arg_len,
		 r->has_arg ? r->arg : "", r->has_arg ? "]" : "", r->off);
	return 0;
}

KV_TEST(reports_fields_macros_lists)
{
	static const struct {
		const char *cond, *refs;
	} cases[] = {
	    {"spawned_process and proc.name in (shell_binaries, zsh)",
	     "M:spawned_process@0 F:proc.name@20 I:shell_binaries@34 I:zsh@50 "},
	    {"not proc.aname[2] in known and fd.name pmatch (\"/etc\")",
	     "F:proc.aname[2]@4 L:known@21 F:fd.name@31 "},
	    {"proc.env['A B'] = x and evt.arg.flags contains O_TRUNC",
	     "F:proc.env[A B]@0 F:evt.arg.flags@24 "},
	    {"tolower(proc.name) = val(proc.pname)", "F:proc.name@8 F:proc.pname@25 "},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct refs r = {""};

		if (!ASSERT_OK(kv_falco_condition_parse(cases[i].cond, strlen(cases[i].cond),
							collect, &r, NULL),
			       cases[i].cond))
			continue;
		ASSERT_STREQ(r.buf, cases[i].refs, cases[i].cond);
	}
}

static int stop_at_second(const struct kv_falco_ref *r, void *ctx)
{
	int *n = ctx;

	(void)r;
	return ++*n == 2 ? 42 : 0;
}

KV_TEST(callback_can_stop)
{
	const char *c = "a and b and c";
	int n = 0;

	ASSERT_EQ(kv_falco_condition_parse(c, strlen(c), stop_at_second, &n, NULL), 42, "stop");
	ASSERT_EQ(n, 2, "calls");
}

KV_TEST(deep_nesting_is_bounded)
{
	char *s = malloc(20001);
	struct kv_falco_parse_error e;
	int i;

	if (!ASSERT_OK_PTR(s, "malloc"))
		return;
	for (i = 0; i < 10000; i++)
		s[i] = '(';
	s[10000] = '\0';
	ASSERT_EQ(kv_falco_condition_parse(s, 10000, NULL, NULL, &e), -EINVAL, "deep");
	ASSERT_HAS_SUBSTR(e.msg, "depth", "message");
	free(s);
}

KV_TEST(operators_for_exceptions)
{
	static const char *const ok[] = {
	    "=",	  "!=",	       "<",	      "<=",	   ">",		 ">=",	     "in",
	    "intersects", "pmatch",    "contains",    "icontains", "startswith", "endswith", "glob",
	    "iglob",	  "bcontains", "bstartswith", "regex",	   "exists"};
	static const char *const bad[] = {"", "==x", "contain", "like", "in "};
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		ASSERT_TRUE(kv_falco_is_operator(ok[i]), ok[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ASSERT_FALSE(kv_falco_is_operator(bad[i]), bad[i]);
}
