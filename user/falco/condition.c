// SPDX-License-Identifier: BSD-2-Clause
/* Recursive-descent parser for Falco conditions (see condition.h). Each lexer
 * below is the hand-written equivalent of one regex or token list of libsinsp's
 * filter/parser.cpp; quirks are kept on purpose (e.g. "contains" must be followed
 * by a space, not a line break, because that is what Falco accepts). */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "falco/condition.h"

#define MAX_DEPTH 100

struct parser {
	const char *s;
	size_t n, i;
	unsigned depth;
	kv_falco_ref_fn fn;
	void *ctx;
	struct kv_falco_parse_error *err;
	const char *tok; /* last token, for messages */
	size_t tok_len;
};

static const char *const unary_ops[] = {"exists", NULL};
static const char *const num_ops[] = {"<=", "<", ">=", ">", NULL};
/* a trailing space means the operator must be followed by one */
static const char *const str_ops[] = {
    "==",	  "=",		 "!=",		 "glob ",     "iglob ", "contains ", "icontains ",
    "bcontains ", "startswith ", "bstartswith ", "endswith ", "regex ", NULL,
};
static const char *const list_ops[] = {"intersects", "in", "pmatch", NULL};
static const char *const transformers[] = {"tolower(", "toupper(", "b64(", "basename(",
					   "len(",     "join(",	   NULL};

bool kv_falco_is_operator(const char *op)
{
	const char *const *tabs[] = {unary_ops, num_ops, str_ops, list_ops};
	size_t t, i, n = strlen(op);

	for (t = 0; t < sizeof(tabs) / sizeof(tabs[0]); t++)
		for (i = 0; tabs[t][i]; i++) {
			size_t m = strlen(tabs[t][i]);

			if (tabs[t][i][m - 1] == ' ')
				m--;
			if (m == n && !strncmp(tabs[t][i], op, n))
				return true;
		}
	return false;
}

__attribute__((format(printf, 2, 3))) static int fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	if (p->err) {
		p->err->off = p->i;
		va_start(ap, fmt);
		vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static char cur(const struct parser *p)
{
	return p->i < p->n ? p->s[p->i] : '\0';
}

static char at(const struct parser *p, size_t k)
{
	return p->i + k < p->n ? p->s[p->i + k] : '\0';
}

static void set_tok(struct parser *p, size_t start)
{
	p->tok = p->s + start;
	p->tok_len = p->i - start;
}

static bool lex_blank(struct parser *p)
{
	bool found = false;

	while (cur(p) == ' ' || cur(p) == '\t' || cur(p) == '\b' || cur(p) == '\r' ||
	       cur(p) == '\n') {
		p->i++;
		found = true;
	}
	return found;
}

static bool lex_str(struct parser *p, const char *str)
{
	size_t m = strlen(str);

	if (p->n - p->i < m || strncmp(p->s + p->i, str, m))
		return false;
	p->tok = p->s + p->i;
	p->tok_len = m;
	p->i += m;
	return true;
}

static bool lex_str_list(struct parser *p, const char *const *list)
{
	size_t k;

	for (k = 0; list[k]; k++)
		if (lex_str(p, list[k]))
			return true;
	return false;
}

static bool is_space(char c) /* [[:space:]] */
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* (not[[:space:]]+) */
static bool lex_not_blank(struct parser *p)
{
	size_t k = 3;

	if (p->n - p->i < 4 || strncmp(p->s + p->i, "not", 3) || !is_space(at(p, 3)))
		return false;
	while (is_space(at(p, k)))
		k++;
	p->i += k;
	return true;
}

static size_t ident_len(const struct parser *p, size_t k)
{
	size_t start = k;

	if (!isalpha((unsigned char)at(p, k)))
		return 0;
	while (isalnum((unsigned char)at(p, k)) || at(p, k) == '_')
		k++;
	return k - start;
}

/* ([a-zA-Z]+[a-zA-Z0-9_]*) */
static bool lex_identifier(struct parser *p)
{
	size_t m = ident_len(p, 0), start = p->i;

	if (!m)
		return false;
	p->i += m;
	set_tok(p, start);
	return true;
}

/* ([a-zA-Z]+[a-zA-Z0-9_]*(\.[a-zA-Z]+[a-zA-Z0-9_]*)+) */
static bool lex_field_name(struct parser *p)
{
	size_t k = ident_len(p, 0), seg, start = p->i;
	bool dotted = false;

	if (!k)
		return false;
	while (at(p, k) == '.' && (seg = ident_len(p, k + 1)) > 0) {
		k += 1 + seg;
		dotted = true;
	}
	if (!dotted)
		return false;
	p->i += k;
	set_tok(p, start);
	return true;
}

/* ([^][\"'[:space:]]+) */
static bool lex_field_arg_bare(struct parser *p)
{
	size_t start = p->i;

	while (p->i < p->n && cur(p) && cur(p) != '[' && cur(p) != ']' && cur(p) != '"' &&
	       cur(p) != '\'' && !is_space(cur(p)))
		p->i++;
	if (p->i == start)
		return false;
	set_tok(p, start);
	return true;
}

/* ([^()\"'[:space:]=,]+) */
static bool lex_bare_str(struct parser *p)
{
	size_t start = p->i;

	while (p->i < p->n && cur(p) && !strchr("()\"'=,", cur(p)) && !is_space(cur(p)))
		p->i++;
	if (p->i == start)
		return false;
	set_tok(p, start);
	return true;
}

/* (0[xX][0-9a-fA-F]+) */
static bool lex_hex_num(struct parser *p)
{
	size_t k = 2, start = p->i;

	if (cur(p) != '0' || (at(p, 1) != 'x' && at(p, 1) != 'X') ||
	    !isxdigit((unsigned char)at(p, 2)))
		return false;
	while (isxdigit((unsigned char)at(p, k)))
		k++;
	p->i += k;
	set_tok(p, start);
	return true;
}

/* ([+\-]?[0-9]+[\.]?[0-9]*([eE][+\-][0-9]+)?) */
static bool lex_num(struct parser *p)
{
	size_t k = 0, start = p->i;

	if (cur(p) == '+' || cur(p) == '-')
		k++;
	if (!isdigit((unsigned char)at(p, k)))
		return false;
	while (isdigit((unsigned char)at(p, k)))
		k++;
	if (at(p, k) == '.')
		k++;
	while (isdigit((unsigned char)at(p, k)))
		k++;
	if ((at(p, k) == 'e' || at(p, k) == 'E') && (at(p, k + 1) == '+' || at(p, k + 1) == '-') &&
	    isdigit((unsigned char)at(p, k + 2))) {
		k += 2;
		while (isdigit((unsigned char)at(p, k)))
			k++;
	}
	p->i += k;
	set_tok(p, start);
	return true;
}

/* '...' or "..." ending at the first unescaped delimiter; tok = the inside. */
static bool lex_quoted_str(struct parser *p)
{
	char delim = cur(p), prev = '\\';
	size_t k;

	if (delim != '\'' && delim != '"')
		return false;
	for (k = 0; p->i + k < p->n && at(p, k); k++) {
		char c = at(p, k);

		if (k > 0 && c == delim && prev != '\\') {
			p->tok = p->s + p->i + 1;
			p->tok_len = k - 1;
			p->i += k + 1;
			return true;
		}
		prev = c;
	}
	return false;
}

static int emit(struct parser *p, enum kv_falco_ref_kind kind, const char *name, size_t name_len,
		bool has_arg, const char *arg, size_t arg_len, size_t off)
{
	struct kv_falco_ref r = {
	    .kind = kind,
	    .name = name,
	    .name_len = name_len,
	    .has_arg = has_arg,
	    .arg = arg,
	    .arg_len = arg_len,
	    .off = off,
	};

	return p->fn ? p->fn(&r, p->ctx) : 0;
}

static int enter(struct parser *p)
{
	if (++p->depth >= MAX_DEPTH)
		return fail(p, "exceeded max depth limit of %d", MAX_DEPTH);
	return 0;
}

static int parse_or(struct parser *p);
static int parse_field_or_transformer_remainder(struct parser *p);

#define ENTER(p)                                                                                   \
	do {                                                                                       \
		int e_ = enter(p);                                                                 \
		if (e_) {                                                                          \
			(p)->depth--;                                                              \
			return e_;                                                                 \
		}                                                                                  \
	} while (0)
#define LEAVE(p, ret)                                                                              \
	do {                                                                                       \
		(p)->depth--;                                                                      \
		return (ret);                                                                      \
	} while (0)

/* after a '(' */
static int parse_embedded_remainder(struct parser *p)
{
	int ret;

	ENTER(p);
	lex_blank(p);
	ret = parse_or(p);
	if (!ret) {
		lex_blank(p);
		if (!lex_str(p, ")"))
			ret = fail(p, "expected a ')' token (unbalanced parentheses)");
	}
	LEAVE(p, ret);
}

/* FieldName was just lexed (tok); optional [arg] */
static int parse_field_remainder(struct parser *p)
{
	const char *name = p->tok, *arg = NULL;
	size_t name_len = p->tok_len, arg_len = 0, off = (size_t)(p->tok - p->s);
	bool has_arg = false;

	if (lex_str(p, "[")) {
		if (!lex_quoted_str(p) && !lex_field_arg_bare(p))
			return fail(
			    p, "expected a valid field argument: a quoted string or a bare string");
		has_arg = true;
		arg = p->tok;
		arg_len = p->tok_len;
		if (!lex_str(p, "]"))
			return fail(p, "expected a ']' token");
	}
	return emit(p, KV_FALCO_REF_FIELD, name, name_len, has_arg, arg, arg_len, off);
}

/* TransformerListArg ::= Field | FieldTransformer | QuotedStr | NumValue */
static int parse_transformer_list(struct parser *p)
{
	int ret = 0;
	bool first = true;

	lex_blank(p);
	if (lex_str(p, ")"))
		return 0;
	do {
		lex_blank(p);
		if (!first)
			lex_blank(p);
		first = false;
		if (lex_field_name(p))
			ret = parse_field_remainder(p);
		else if (lex_str_list(p, transformers)) {
			lex_blank(p);
			ret = parse_field_or_transformer_remainder(p);
		} else if (lex_quoted_str(p) || lex_hex_num(p) || lex_num(p))
			ret = 0;
		else
			ret = fail(p,
				   "expected transformer list argument: field, transformer, quoted "
				   "string, or number");
		if (ret)
			return ret;
		lex_blank(p);
	} while (lex_str(p, ","));
	if (!lex_str(p, ")"))
		return fail(p, "expected ')'");
	return 0;
}

/* FieldTransformerArg ::= FieldTransformer | Field | QuotedStr | NumValue | TransformerList */
static int parse_field_transformer_arg(struct parser *p)
{
	int ret;

	ENTER(p);
	lex_blank(p);
	if (lex_hex_num(p) || lex_num(p) || lex_quoted_str(p))
		ret = 0;
	else if (lex_str(p, "("))
		ret = parse_transformer_list(p);
	else if (lex_str_list(p, transformers))
		ret = parse_field_or_transformer_remainder(p);
	else if (lex_field_name(p))
		ret = parse_field_remainder(p);
	else
		ret = fail(p, "expected field transformer argument: field, transformer, quoted "
			      "string, number, or transformer list");
	LEAVE(p, ret);
}

/* after "tolower(" etc. */
static int parse_field_or_transformer_remainder(struct parser *p)
{
	int ret;

	ENTER(p);
	lex_blank(p);
	do {
		ret = parse_field_transformer_arg(p);
		if (ret)
			LEAVE(p, ret);
		lex_blank(p);
	} while (lex_str(p, ","));
	lex_blank(p);
	if (!lex_str(p, ")"))
		ret = fail(p, "expected a ')' token closing the transformer");
	LEAVE(p, ret);
}

/* 1 when a transformer or val() was parsed, 0 when there is none, <0 on error. */
static int try_parse_transformer_or_val(struct parser *p)
{
	int ret;

	lex_blank(p);
	if (lex_str(p, "val(")) {
		lex_blank(p);
		if (!lex_field_name(p))
			return fail(p, "expected a field within 'val' transformer");
		ret = parse_field_remainder(p);
		if (ret)
			return ret;
		lex_blank(p);
		if (!lex_str(p, ")"))
			return fail(p, "expected a ')' token closing the transformer");
		return 1;
	}
	if (lex_str_list(p, transformers)) {
		lex_blank(p);
		ret = parse_field_or_transformer_remainder(p);
		return ret ? ret : 1;
	}
	return 0;
}

static int parse_num_value(struct parser *p)
{
	int ret;

	lex_blank(p);
	ret = try_parse_transformer_or_val(p);
	if (ret)
		return ret < 0 ? ret : 0;
	if (lex_hex_num(p) || lex_num(p))
		return 0;
	return fail(p, "expected a number value or a field with a valid transformer");
}

static int parse_str_value(struct parser *p, bool no_transformer)
{
	int ret;

	lex_blank(p);
	if (!no_transformer) {
		ret = try_parse_transformer_or_val(p);
		if (ret)
			return ret < 0 ? ret : 0;
	}
	if (lex_quoted_str(p))
		return 0;
	if (lex_bare_str(p))
		return 1; /* tells list parsing the item was unquoted */
	return fail(p, no_transformer
			   ? "expected a string value"
			   : "expected a string value or a field with a valid transformer");
}

static int list_item(struct parser *p, int kind)
{
	if (kind == 1) /* bare: may name a list */
		return emit(p, KV_FALCO_REF_LIST_ITEM, p->tok, p->tok_len, false, NULL, 0,
			    (size_t)(p->tok - p->s));
	return 0;
}

static int parse_list_value(struct parser *p)
{
	int ret;

	lex_blank(p);
	if (lex_str(p, "(")) {
		size_t save;

		lex_blank(p);
		save = p->i;
		ret = parse_str_value(p, true);
		if (ret >= 0) {
			ret = list_item(p, ret);
			if (ret)
				return ret;
			lex_blank(p);
			while (lex_str(p, ",")) {
				ret = parse_str_value(p, true);
				if (ret < 0)
					return ret;
				ret = list_item(p, ret);
				if (ret)
					return ret;
				lex_blank(p);
			}
		} else {
			p->i = save; /* an empty list */
		}
		if (!lex_str(p, ")"))
			return fail(p, "expected a ')' token");
		return 0;
	}
	ret = try_parse_transformer_or_val(p);
	if (ret)
		return ret < 0 ? ret : 0;
	if (lex_identifier(p))
		return emit(p, KV_FALCO_REF_LIST, p->tok, p->tok_len, false, NULL, 0,
			    (size_t)(p->tok - p->s));
	return fail(p, "expected a list, an identifier, or a field with a valid transformer");
}

static int parse_condition(struct parser *p)
{
	int ret;

	ENTER(p);
	lex_blank(p);
	if (lex_str_list(p, unary_ops))
		LEAVE(p, 0);
	lex_blank(p);
	if (lex_str_list(p, num_ops))
		ret = parse_num_value(p);
	else if (lex_str_list(p, str_ops))
		ret = parse_str_value(p, false);
	else if (lex_str_list(p, list_ops))
		ret = parse_list_value(p);
	else
		ret = fail(p, "expected a valid check operator (exists, <, <=, >, >=, =, ==, !=, "
			      "contains, icontains, bcontains, startswith, bstartswith, endswith, "
			      "glob, iglob, regex, in, intersects, pmatch)");
	LEAVE(p, ret < 0 ? ret : 0);
}

static int parse_check(struct parser *p)
{
	int ret;

	ENTER(p);
	lex_blank(p);
	if (lex_str(p, "("))
		LEAVE(p, parse_embedded_remainder(p));
	if (lex_field_name(p)) {
		ret = parse_field_remainder(p);
		if (!ret)
			ret = parse_condition(p);
		LEAVE(p, ret);
	}
	if (lex_str_list(p, transformers)) {
		lex_blank(p);
		ret = parse_field_or_transformer_remainder(p);
		if (!ret)
			ret = parse_condition(p);
		LEAVE(p, ret);
	}
	if (lex_identifier(p))
		LEAVE(p, emit(p, KV_FALCO_REF_MACRO, p->tok, p->tok_len, false, NULL, 0,
			      (size_t)(p->tok - p->s)));
	if (cur(p) == ')')
		LEAVE(p, fail(p, "unexpected ')' (unbalanced parentheses)"));
	LEAVE(p, fail(p, "expected a '(' token, a field check, or an identifier"));
}

static int parse_not(struct parser *p)
{
	int ret;

	ENTER(p);
	lex_blank(p);
	while (lex_not_blank(p))
		;
	if (lex_str(p, "not("))
		ret = parse_embedded_remainder(p);
	else
		ret = parse_check(p);
	LEAVE(p, ret);
}

static int parse_and(struct parser *p)
{
	int ret;

	ENTER(p);
	lex_blank(p);
	ret = parse_not(p);
	if (ret)
		LEAVE(p, ret);
	lex_blank(p);
	while (lex_str(p, "and")) {
		if (!lex_blank(p)) {
			if (!lex_str(p, "("))
				LEAVE(p, fail(p, "expected blank or '(' after 'and'"));
			ret = parse_embedded_remainder(p);
		} else {
			ret = parse_not(p);
		}
		if (ret)
			LEAVE(p, ret);
		lex_blank(p);
	}
	LEAVE(p, 0);
}

static int parse_or(struct parser *p)
{
	int ret;

	ENTER(p);
	lex_blank(p);
	ret = parse_and(p);
	if (ret)
		LEAVE(p, ret);
	lex_blank(p);
	while (lex_str(p, "or")) {
		if (!lex_blank(p)) {
			if (!lex_str(p, "("))
				LEAVE(p, fail(p, "expected blank or '(' after 'or'"));
			ret = parse_embedded_remainder(p);
		} else {
			ret = parse_and(p);
		}
		if (ret)
			LEAVE(p, ret);
		lex_blank(p);
	}
	LEAVE(p, 0);
}

int kv_falco_condition_parse(const char *s, size_t len, kv_falco_ref_fn fn, void *ctx,
			     struct kv_falco_parse_error *err)
{
	struct parser p = {.s = s, .n = len, .fn = fn, .ctx = ctx, .err = err, .tok = s};
	int ret;

	if (err) {
		err->off = 0;
		err->msg[0] = '\0';
	}
	if (!len)
		return fail(&p, "filter input string is empty");
	ret = parse_or(&p);
	if (ret)
		return ret;
	if (p.i != p.n) {
		if (cur(&p) == ')')
			return fail(&p, "unexpected ')' (unbalanced parentheses)");
		return fail(&p, "unexpected token after '%.*s', expecting 'or', 'and'",
			    (int)(p.tok_len > 60 ? 60 : p.tok_len), p.tok);
	}
	return 0;
}
