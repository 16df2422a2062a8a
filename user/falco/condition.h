/* SPDX-License-Identifier: BSD-2-Clause */
/* A parser for Falco's condition language, following the grammar of
 * falcosecurity/libs userspace/libsinsp/filter/parser.cpp token for token:
 *
 *   Expr    ::= AndExpr ('or' (' ' AndExpr | '(' Expr ')'))*
 *   AndExpr ::= NotExpr ('and' (' ' NotExpr | '(' Expr ')'))*
 *   NotExpr ::= ('not' blank)* ('not(' Expr ')' | Check)
 *   Check   ::= '(' Expr ')' | Field Condition | Transformer Condition | Identifier
 *   Condition ::= 'exists' | NumOp (Number | RhsField) | StrOp (String | RhsField)
 *               | ListOp ('(' [String (',' String)*] ')' | RhsField | Identifier)
 *   Field   ::= FieldName ['[' (QuotedStr | BareArg) ']']
 *
 * It does not build a tree: it reports every field, macro reference (identifier)
 * and list reference to a callback, with its byte offset, so a validator can
 * resolve them against its field list, macros and lists. */
#ifndef KV_FALCO_CONDITION_H
#define KV_FALCO_CONDITION_H
#include <stdbool.h>
#include <stddef.h>

enum kv_falco_ref_kind {
	KV_FALCO_REF_FIELD,	/* a field, on either side of a check */
	KV_FALCO_REF_MACRO,	/* an identifier in place of a check */
	KV_FALCO_REF_LIST,	/* an identifier as the right side of in/intersects/pmatch */
	KV_FALCO_REF_LIST_ITEM, /* an unquoted item of a (a, b) list: a list name is expanded */
};

struct kv_falco_ref {
	enum kv_falco_ref_kind kind;
	const char *name; /* points into the condition; not NUL-terminated */
	size_t name_len;
	bool has_arg;	 /* field[arg] */
	const char *arg; /* the argument, unquoted (quoted ones point into the condition raw) */
	size_t arg_len;
	size_t off; /* byte offset of the reference in the condition */
};

/* Return 0 to continue, anything else stops the parse and is returned. */
typedef int (*kv_falco_ref_fn)(const struct kv_falco_ref *ref, void *ctx);

struct kv_falco_parse_error {
	size_t off; /* where the parser stopped */
	char msg[200];
};

/* 0, -EINVAL (syntax error described in err), or the callback's non-zero value. */
int kv_falco_condition_parse(const char *s, size_t len, kv_falco_ref_fn fn, void *ctx,
			     struct kv_falco_parse_error *err);

/* Operators Falco accepts in conditions and exception "comps". */
bool kv_falco_is_operator(const char *op);
#endif
