// SPDX-License-Identifier: BSD-2-Clause
/* The receipt line format: known answers computed outside kavachos (Python's
 * json + hashlib), the canonical-JSON grammar, and what the parser refuses. */
#include <stdlib.h>
#include <string.h>
#include "common/canon_json.h"
#include "kvtest.h"
#include "receipts/receipts.h"

/* hashlib.sha256(b"PRAMANA-GENESIS\0ks-test-0001").hexdigest() */
#define GENESIS_PREV "c863d3547ed718cd02c7ef0addefc0194af25bc14a118ad726c28a8c6a968bec"
/* json.dumps(receipt, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + hash */
#define KAT_HASH "98baa7519f7db6d4635a8773bb8ba8c5e8290bbaf7606f08c88fc3a951efaaaf"
#define KAT_LINE                                                                                   \
	"{\"hash\":\"" KAT_HASH "\",\"ktime_ns\":123,\"payload\":{\"class\":\"egress\","           \
	"\"port\":443,\"z\":\"\xc3\xa9\\n\"},\"prev\":\"" GENESIS_PREV "\",\"seq\":7,"             \
	"\"session\":\"ks-test-0001\",\"type\":\"EGRESS_DENY\",\"v\":1,"                           \
	"\"wall_ns\":1700000000000000000}"

KV_TEST(known_answer)
{
	static const char payload[] = "{\"class\":\"egress\",\"port\":443,\"z\":\"\xc3\xa9\\n\"}";
	char prev[KV_SHA256_HEX], hash[KV_SHA256_HEX];
	struct kv_receipt_in in = {.session = "ks-test-0001",
				   .seq = 7,
				   .ktime_ns = 123,
				   .wall_ns = 1700000000000000000ull,
				   .prev = prev,
				   .type = "EGRESS_DENY",
				   .payload = payload,
				   .payload_len = sizeof(payload) - 1};
	struct kv_receipt_view v;
	struct kv_receipt_buf b;

	ASSERT_OK(kv_receipt_genesis_prev("ks-test-0001", prev), "genesis prev");
	ASSERT_STREQ(prev, GENESIS_PREV, "genesis value");
	if (!ASSERT_OK(kv_receipt_buf_init(&b), "buf"))
		return;
	ASSERT_OK(kv_receipt_seal(&b, &in, hash), "seal");
	ASSERT_STREQ(hash, KAT_HASH, "hash as Python computes it");
	ASSERT_EQ(b.len, sizeof(KAT_LINE), "line + newline");
	ASSERT_TRUE(!memcmp(b.p, KAT_LINE "\n", b.len), "line bytes");
	if (ASSERT_OK(kv_receipt_parse(KAT_LINE, sizeof(KAT_LINE) - 1, &v, NULL, 0), "parse")) {
		ASSERT_EQ(v.seq, 7, "seq");
		ASSERT_EQ(v.ktime_ns, 123, "ktime");
		ASSERT_EQ(v.wall_ns, 1700000000000000000ull, "wall");
		ASSERT_EQ(v.payload_len, sizeof(payload) - 1, "payload");
		ASSERT_TRUE(!memcmp(v.type, "EGRESS_DENY", v.type_len), "type");
		ASSERT_OK(kv_receipt_digest(&b, KAT_LINE, sizeof(KAT_LINE) - 1, hash), "digest");
		ASSERT_STREQ(hash, KAT_HASH, "digest of the parsed line");
		ASSERT_EQ(kv_receipt_class(v.type, v.type_len, v.payload, v.payload_len),
			  KV_CLASS_EGRESS, "class");
	}
	kv_receipt_buf_free(&b);
}

static const struct {
	const char *json;
	int err;	  /* 0, or the negative errno */
	const char *what; /* substring of the message */
} canon_cases[] = {
    {"{}", 0, NULL},
    {"{\"a\":1,\"b\":[],\"c\":{}}", 0, NULL},
    {"{\"a\":null,\"b\":true,\"c\":false,\"d\":[1,-1,\"x\",[]]}", 0, NULL},
    {"{\"a\":-9223372036854775808,\"b\":18446744073709551615}", 0, NULL},
    {"{\"a\":\"\\u0001\\u001f\\\"\\\\\\b\\f\\n\\r\\t\"}", 0, NULL},
    {"{\"a\":\"\\u0000\"}", 0, NULL},
    {"{\"a\":\"\xc3\xa9\xe2\x9c\x93\xf0\x9f\x9a\xab\x7f\"}", 0, NULL},
    {"{\"\\\"\":1,\"A\":2,\"a\":3,\"aa\":4}", 0, NULL},
    /* decoded order: "a\x1f" < "a " although the raw text sorts the other way */
    {"{\"a\\u001f\":1,\"a \":2}", 0, NULL},
    {"{\"a \":1,\"a\\u001f\":2}", -EINVAL, "keys out of sorted order"},
    {"{\"b\":1,\"a\":2}", -EINVAL, "keys out of sorted order"},
    {"{\"a\":1,\"a\":2}", -EINVAL, "duplicate key"},
    {"{ }", -EINVAL, "expected a key string"},
    {"{\"a\": 1}", -EINVAL, "expected a value"},
    {"{\"a\":1.0}", -EINVAL, "fraction or exponent"},
    {"{\"a\":1e3}", -EINVAL, "fraction or exponent"},
    {"{\"a\":01}", -EINVAL, "leading zero"},
    {"{\"a\":-0}", -EINVAL, "-0"},
    {"{\"a\":-}", -EINVAL, "expected a digit"},
    {"{\"a\":18446744073709551616}", -EINVAL, "out of the 64-bit range"},
    {"{\"a\":-9223372036854775809}", -EINVAL, "out of the 64-bit range"},
    {"{\"a\":\"\\u0041\"}", -EINVAL, "needs none"},
    {"{\"a\":\"\\u000a\"}", -EINVAL, "short escape exists"},
    {"{\"a\":\"\\u00E9\"}", -EINVAL, "lower-case"},
    {"{\"a\":\"\\ud83d\\ude00\"}", -EINVAL, "\\u escape other than"},
    {"{\"a\":\"\\/\"}", -EINVAL, "escape that canonical JSON does not use"},
    {"{\"a\":\"\x01\"}", -EINVAL, "raw control byte"},
    {"{\"a\":\"\xc3\x28\"}", -EILSEQ, "UTF-8"},
    {"{\"a\":\"\xed\xa0\x80\"}", -EILSEQ, "UTF-8"},
    {"{\"a\":\"\xc0\xaf\"}", -EILSEQ, "UTF-8"},
    {"{\"a\":\"\xf4\x90\x80\x80\"}", -EILSEQ, "UTF-8"},
    {"{\"a\":\"\xe2\x9c\"}", -EILSEQ, "UTF-8"},
    {"{\"\\u0000\":1}", -EINVAL, "NUL in an object key"},
    {"{\"a\":tru}", -EINVAL, "expected 'true'"},
    {"{\"a\":[1,]}", -EINVAL, "expected a value"},
    {"{\"a\":[1 2]}", -EINVAL, "expected ',' or ']'"},
    {"{\"a\":1", -EINVAL, "expected ',' or '}'"},
    {"{\"a\":\"abc", -EINVAL, "unterminated string"},
    {"{\"a\":1}x", -EINVAL, "bytes after the object"},
    {"[1]", -EINVAL, "expected '{'"},
    {"", -EINVAL, "expected '{'"},
};

KV_TEST(canonical_grammar)
{
	char err[128];
	size_t i;
	int ret;

	for (i = 0; i < sizeof(canon_cases) / sizeof(canon_cases[0]); i++) {
		ret = kv_canon_check(canon_cases[i].json, strlen(canon_cases[i].json), err,
				     sizeof(err));
		if (!ASSERT_EQ(ret, canon_cases[i].err, canon_cases[i].json))
			continue;
		if (canon_cases[i].what)
			ASSERT_HAS_SUBSTR(err, canon_cases[i].what, canon_cases[i].json);
	}
}

/* One object holding k nested arrays: k + 1 levels. */
static size_t nested(char *buf, size_t k)
{
	size_t n = 0, i;

	n += (size_t)sprintf(buf, "{\"a\":");
	for (i = 0; i < k; i++)
		buf[n++] = '[';
	for (i = 0; i < k; i++)
		buf[n++] = ']';
	buf[n++] = '}';
	return n;
}

KV_TEST(nesting_limit)
{
	char buf[2 * KV_CANON_MAX_DEPTH + 16], err[128];

	ASSERT_OK(kv_canon_check(buf, nested(buf, KV_CANON_MAX_DEPTH - 1), err, sizeof(err)),
		  "at the limit");
	ASSERT_EQ(kv_canon_check(buf, nested(buf, KV_CANON_MAX_DEPTH), err, sizeof(err)), -E2BIG,
		  "one deeper");
	ASSERT_HAS_SUBSTR(err, "nested too deeply", "message");
}

/* Whatever kv_json_canonical writes, the scanner accepts, and json-c reads it
 * back to the same bytes. */
static struct json_object *random_value(unsigned *seed, int depth)
{
	static const char *const strs[] = {
	    "", "a", "\"", "\\", "\n\t\x01", "\xc3\xa9", "ключ", "\xf0\x9f\x9a\xab", "z z", "\x7f"};
	struct json_object *o;
	int i, n;

	switch (depth > 4 ? rand_r(seed) % 4 : rand_r(seed) % 6) {
	case 0:
		return json_object_new_int64((int64_t)rand_r(seed) * (rand_r(seed) % 2 ? -1 : 1));
	case 1:
		return json_object_new_uint64(UINT64_MAX - (uint64_t)rand_r(seed));
	case 2:
		return json_object_new_string(strs[rand_r(seed) % 10]);
	case 3:
		return rand_r(seed) % 2 ? json_object_new_boolean(rand_r(seed) % 2) : NULL;
	case 4:
		o = json_object_new_array();
		n = rand_r(seed) % 4;
		for (i = 0; i < n; i++)
			json_object_array_add(o, random_value(seed, depth + 1));
		return o;
	default:
		o = json_object_new_object();
		n = rand_r(seed) % 5;
		for (i = 0; i < n; i++)
			json_object_object_add(o, strs[rand_r(seed) % 10],
					       random_value(seed, depth + 1));
		return o;
	}
}

KV_TEST(canonical_roundtrip)
{
	unsigned seed = 1, i;
	char err[128];

	for (i = 0; i < 2000; i++) {
		struct json_object *o = json_object_new_object(), *back;
		char *a, *b;
		size_t alen, blen;

		json_object_object_add(o, "v", random_value(&seed, 0));
		json_object_object_add(o, "w", random_value(&seed, 0));
		a = kv_json_canonical(o, &alen);
		if (!ASSERT_OK_PTR(a, "canonical") ||
		    !ASSERT_OK(kv_canon_check(a, alen, err, sizeof(err)), err)) {
			fprintf(stderr, "  %s\n", a);
			free(a);
			json_object_put(o);
			break;
		}
		back = json_tokener_parse(a);
		b = kv_json_canonical(back, &blen);
		ASSERT_TRUE(b && alen == blen && !memcmp(a, b, alen), "json-c reads it back");
		free(a);
		free(b);
		json_object_put(back);
		json_object_put(o);
	}
}

static const struct {
	const char *what;
	const char *from, *to; /* edit of KAT_LINE */
	int err;
	const char *msg;
} line_cases[] = {
    {"unchanged", NULL, NULL, 0, NULL},
    {"upper-case hash", "\"hash\":\"98b", "\"hash\":\"98B", -EINVAL, "64 lower-case hex"},
    {"short prev", "bec\",\"seq", "be\",\"seq", -EINVAL, "64 lower-case hex"},
    {"key order", "\"ktime_ns\":123,", "\"zz\":1,\"ktime_ns\":123,", -EINVAL, "expected"},
    {"extra key", "\"v\":1,", "\"v\":1,\"w\":2,", -EINVAL, "expected ',\"wall_ns\":'"},
    {"no session", "\"session\":\"ks-test-0001\",", "", -EINVAL, "expected ',\"session\":\"'"},
    {"bad session", "ks-test-0001", "ks/../0001", -EINVAL, "invalid session id"},
    {"bad type", "EGRESS_DENY", "egress", -EINVAL, "invalid receipt type"},
    {"negative seq", "\"seq\":7", "\"seq\":-7", -EINVAL, "non-negative integer"},
    {"payload not canonical", "\"port\":443", "\"port\":443.0", -EINVAL, "fraction"},
    {"payload array", "{\"class\":\"egress\",\"port\":443,\"z\":\"\xc3\xa9\\n\"}", "[]", -EINVAL,
     "expected '{'"},
    {"white space", "\"seq\":7", "\"seq\": 7", -EINVAL, "non-negative integer"},
    {"trailing", "000000000}", "000000000} ", -EINVAL, "bytes after the receipt"},
    {"version 2", "\"v\":1", "\"v\":2", -EPROTONOSUPPORT, "version 2"},
};

KV_TEST(line_refusals)
{
	struct kv_receipt_view v;
	char line[1024], err[160];
	size_t i;
	int ret;

	for (i = 0; i < sizeof(line_cases) / sizeof(line_cases[0]); i++) {
		const char *at;

		snprintf(line, sizeof(line), "%s", KAT_LINE);
		if (line_cases[i].from) {
			at = strstr(KAT_LINE, line_cases[i].from);
			if (!ASSERT_OK_PTR(at, line_cases[i].what))
				continue;
			snprintf(line + (at - KAT_LINE), sizeof(line) - (size_t)(at - KAT_LINE),
				 "%s%s", line_cases[i].to, at + strlen(line_cases[i].from));
		}
		ret = kv_receipt_parse(line, strlen(line), &v, err, sizeof(err));
		if (ASSERT_EQ(ret, line_cases[i].err, line_cases[i].what) && line_cases[i].msg)
			ASSERT_HAS_SUBSTR(err, line_cases[i].msg, line_cases[i].what);
	}
	/* a receipt of another version, laid out otherwise */
	ASSERT_EQ(kv_receipt_parse("{\"v\":3,\"x\":1}", 13, &v, err, sizeof(err)), -EPROTONOSUPPORT,
		  "version 3");
	ASSERT_HAS_SUBSTR(err, "version 3", "names it");
	ASSERT_EQ(kv_receipt_parse("garbage", 7, &v, err, sizeof(err)), -EINVAL, "garbage");
	ASSERT_EQ(kv_receipt_parse("", 0, &v, err, sizeof(err)), -EINVAL, "empty");
}

KV_TEST(classes)
{
	static const struct {
		const char *type, *payload;
		int cls;
	} cases[] = {
	    {"SECCOMP_BLOCK", "{}", KV_CLASS_SYSCALL},
	    {"SECCOMP_BLOCK", "{\"class\":\"syscall\"}", KV_CLASS_SYSCALL},
	    {"EGRESS_DENY", "{\"class\":\"egress\"}", KV_CLASS_EGRESS},
	    {"LSM_DENY", "{}", KV_CLASS_FILE},
	    {"LSM_DENY", "{\"class\":\"process\"}", KV_CLASS_PROCESS},
	    {"LSM_DENY", "{\"class\":\"bogus\"}", KV_CLASS_FILE},
	    {"EXEC_DENY", "{\"class\":\"exec\"}", KV_CLASS_EXEC},
	    {"EXEC_DENY", "{\"class\":\"process\"}", KV_CLASS_PROCESS},
	    {"NOTIFY_DECISION", "{\"decision\":\"deny\"}", KV_CLASS_NOTIFY},
	    {"NOTIFY_DECISION", "{\"decision\":\"timeout\"}", KV_CLASS_NOTIFY},
	    {"NOTIFY_DECISION", "{\"decision\":\"allow\"}", -1},
	    {"FALCO_ALERT", "{\"rule\":\"x\"}", KV_CLASS_FALCO},
	    {"GATE_TRANSITION", "{\"class\":\"egress\"}", -1},
	    {"EVENTS_LOST", "{\"class\":\"egress\",\"count\":3}", -1},
	    {"EXEC", "{\"class\":\"none\"}", -1},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ASSERT_EQ(kv_receipt_class(cases[i].type, strlen(cases[i].type), cases[i].payload,
					   strlen(cases[i].payload)),
			  cases[i].cls, cases[i].payload);
}
