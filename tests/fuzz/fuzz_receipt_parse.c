// SPDX-License-Identifier: BSD-2-Clause
/* libFuzzer target: the receipt line parser, the canonical-JSON scanner and the
 * chain auditor on arbitrary bytes. Besides "no crash, no sanitizer report" it
 * checks the parser's promise: whatever it accepts is exactly the canonical
 * JSON that json-c reads back and kv_json_canonical() writes again.
 * Build and run: `make fuzz` (FUZZ_SECONDS=30 by default). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "common/canon_json.h"
#include "receipts/receipts.h"

/* p[0..len) must come back byte for byte through json-c and the canonicaliser. */
static void roundtrip(const char *p, size_t len)
{
	struct json_tokener *tok = json_tokener_new_ex(KV_CANON_MAX_DEPTH + 1);
	struct json_object *o;
	size_t n = 0;
	char *c;

	o = json_tokener_parse_ex(tok, p, (int)len);
	if (!o || json_tokener_get_parse_end(tok) != len) {
		fprintf(stderr, "accepted, but json-c cannot read it: %.*s\n", (int)len, p);
		abort();
	}
	c = kv_json_canonical(o, &n);
	if (!c || n != len || memcmp(c, p, len)) {
		fprintf(stderr, "accepted, but not canonical:\n  in:  %.*s\n  out: %s\n", (int)len,
			p, c ? c : "(null)");
		abort();
	}
	free(c);
	json_object_put(o);
	json_tokener_free(tok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct kv_audit_opts opts = {0};
	struct kv_audit_result res;
	struct kv_receipt_view v;
	char err[256];

	if (size > (1u << 20))
		return 0;
	if (!kv_receipt_parse(p, size, &v, err, sizeof(err))) {
		if (v.payload < p || v.payload + v.payload_len > p + size ||
		    kv_canon_check(v.payload, v.payload_len, NULL, 0))
			abort();
		kv_receipt_class(v.type, v.type_len, v.payload, v.payload_len);
		roundtrip(p, size);
	}
	if (!kv_canon_check(p, size, err, sizeof(err)))
		roundtrip(p, size);
	/* the input as a whole chain: a verdict, never a crash */
	kv_audit_buffer(p, size, &opts, &res);
	if ((unsigned)res.verdict >= KV_VERDICT_MAX)
		abort();
	return 0;
}
