// SPDX-License-Identifier: BSD-2-Clause
/* Which receipts are violations, and of which kernel class (docs/receipts.md,
 * "Reconciliation"): audit counts them against SESSION_END's kernel_counts. */
#include <string.h>
#include "events/events.h" /* kv_class_name */
#include "receipts/receipts.h"

/* Violation receipt types and the class each counts under when its "class"
 * field (the kernel's own, from the event header) names none. NOTIFY_DECISION
 * counts unless its "decision" is "allow". */
static const struct {
	const char *type;
	enum kv_class cls;
} violation_types[] = {
    {"SECCOMP_BLOCK", KV_CLASS_SYSCALL}, {"NOTIFY_DECISION", KV_CLASS_NOTIFY},
    {"EGRESS_DENY", KV_CLASS_EGRESS},	 {"LSM_DENY", KV_CLASS_FILE},
    {"EXEC_DENY", KV_CLASS_EXEC},	 {"FALCO_ALERT", KV_CLASS_FALCO},
};

int kv_receipt_class_parse(const char *s, size_t n)
{
	unsigned i;

	for (i = 0; i < KV_CLASS_MAX; i++)
		if (strlen(kv_class_name(i)) == n && !memcmp(kv_class_name(i), s, n))
			return (int)i;
	return -1;
}

int kv_receipt_class(const char *type, size_t tlen, const char *payload, size_t plen)
{
	const char *v;
	size_t i, n;
	int named;

	for (i = 0; i < sizeof(violation_types) / sizeof(violation_types[0]); i++) {
		if (strlen(violation_types[i].type) != tlen ||
		    memcmp(type, violation_types[i].type, tlen))
			continue;
		if (violation_types[i].cls == KV_CLASS_NOTIFY &&
		    kv_canon_member_is(payload, plen, "decision", "allow"))
			return -1;
		if (kv_canon_member(payload, plen, "class", &v, &n) && n >= 2 && v[0] == '"') {
			named = kv_receipt_class_parse(v + 1, n - 2);
			if (named >= 0)
				return named;
		}
		return (int)violation_types[i].cls;
	}
	return -1;
}
