// SPDX-License-Identifier: BSD-2-Clause
/* One Falco JSON alert line -> struct kv_falco_alert, its session, and the
 * FALCO_ALERT receipt fields. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "falco/alert.h"
#include "falco/render.h"

static const char *const prio_names[] = {
    [KV_FALCO_PRIO_EMERGENCY] = "emergency",
    [KV_FALCO_PRIO_ALERT] = "alert",
    [KV_FALCO_PRIO_CRITICAL] = "critical",
    [KV_FALCO_PRIO_ERROR] = "error",
    [KV_FALCO_PRIO_WARNING] = "warning",
    [KV_FALCO_PRIO_NOTICE] = "notice",
    [KV_FALCO_PRIO_INFORMATIONAL] = "informational",
    [KV_FALCO_PRIO_DEBUG] = "debug",
};

const char *kv_falco_priority_name(enum kv_falco_priority p)
{
	return (unsigned)p <= KV_FALCO_PRIO_DEBUG ? prio_names[p] : NULL;
}

static int parse_priority(const char *s, enum kv_falco_priority *out)
{
	unsigned i;

	for (i = 0; i <= KV_FALCO_PRIO_DEBUG; i++)
		if (!strcasecmp(s, prio_names[i])) {
			*out = (enum kv_falco_priority)i;
			return 0;
		}
	if (!strcasecmp(s, "info")) {
		*out = KV_FALCO_PRIO_INFORMATIONAL;
		return 0;
	}
	return -EINVAL;
}

/* "2026-07-01T10:00:00.123456789Z" (or +00:00) -> ns since the epoch. */
static int parse_time(const char *s, uint64_t *ns)
{
	struct tm tm = {0};
	unsigned long frac = 0;
	int digits = 0, n = 0;
	const char *p;
	time_t secs;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 ||
	    n != 19)
		return -EINVAL;
	p = s + n;
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++, digits++)
			if (digits < 9)
				frac = frac * 10 + (unsigned long)(*p - '0');
		if (!digits)
			return -EINVAL;
		for (; digits < 9; digits++)
			frac *= 10;
	}
	if (strcmp(p, "Z") && strcmp(p, "+00:00"))
		return -EINVAL;
	if (tm.tm_year < 1970 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return -EINVAL;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	secs = timegm(&tm);
	if (secs == (time_t)-1)
		return -EINVAL;
	*ns = (uint64_t)secs * 1000000000ull + frac;
	return 0;
}

static bool valid_session_id(const char *s, size_t len)
{
	size_t i;

	if (!len || len > KV_FALCO_SESSION_ID_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
			return false;
	/* "." and ".." would be path components of the chain file, not ids */
	return !(len <= 2 && s[0] == '.' && (len == 1 || s[1] == '.'));
}

/* A string field that is set: Falco writes "<NA>" (or null) for no value. */
static const char *field_str(struct json_object *fields, const char *name)
{
	struct json_object *v;
	const char *s;

	if (!json_object_object_get_ex(fields, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	if (!*s || !strcmp(s, "<NA>") || !strcmp(s, "N/A"))
		return NULL;
	return s;
}

/* The session a thread.cgroups value places the process in: the "ks-..." path
 * component (KavachOS session cgroups are <root>/ks-<id>). */
static bool session_from_cgroups(const char *cg, char *out, size_t outlen)
{
	const char *p = cg;

	while ((p = strstr(p, "/ks-"))) {
		size_t len = strcspn(p + 1, "/,; \t");

		if (len < outlen && valid_session_id(p + 1, len)) {
			memcpy(out, p + 1, len);
			out[len] = '\0';
			return true;
		}
		p++;
	}
	return false;
}

static bool copy_id(const char *s, size_t len, char *out)
{
	if (!valid_session_id(s, len))
		return false;
	memcpy(out, s, len);
	out[len] = '\0';
	return true;
}

static void find_session(struct kv_falco_alert *a)
{
	static const char *const env_fields[] = {KV_FALCO_SESSION_FIELD,
						 KV_FALCO_ANCESTOR_SESSION_FIELD};
	char env_id[KV_FALCO_SESSION_ID_MAX + 1] = "";
	const char *env_from = NULL, *s;
	size_t i;

	for (i = 0; i < 2 && !env_from; i++) {
		s = field_str(a->output_fields, env_fields[i]);
		if (s && copy_id(s, strlen(s), env_id))
			env_from = env_fields[i];
	}
	s = field_str(a->output_fields, KV_FALCO_CGROUPS_FIELD);
	if (s && session_from_cgroups(s, a->session_id, sizeof(a->session_id))) {
		a->session_from = KV_FALCO_CGROUPS_FIELD;
		a->session_conflict = env_from && strcmp(env_id, a->session_id);
		return;
	}
	if (env_from) {
		memcpy(a->session_id, env_id, sizeof(env_id));
		a->session_from = env_from;
		return;
	}
	/* json_include_output_fields off: the rendered output text still says it */
	s = a->output ? strstr(a->output, " session=") : NULL;
	if (s) {
		s += strlen(" session=");
		if (copy_id(s, strcspn(s, " \t"), a->session_id))
			a->session_from = "output";
	}
}

static const char *req_string(struct json_object *root, const char *key, char *err, size_t errlen)
{
	struct json_object *v;

	if (!json_object_object_get_ex(root, key, &v)) {
		snprintf(err, errlen, "missing \"%s\"", key);
		return NULL;
	}
	if (!json_object_is_type(v, json_type_string)) {
		snprintf(err, errlen, "\"%s\" is not a string", key);
		return NULL;
	}
	return json_object_get_string(v);
}

int kv_falco_alert_parse(const char *line, size_t len, struct kv_falco_alert *out, char *err,
			 size_t errlen)
{
	struct json_tokener *tok;
	struct json_object *root, *v;
	enum json_tokener_error jerr;
	size_t used;

	memset(out, 0, sizeof(*out));
	out->pid = -1;
	while (len && isspace((unsigned char)line[len - 1]))
		len--;
	if (!len) {
		snprintf(err, errlen, "empty line");
		return -EINVAL;
	}
	if (len > INT32_MAX) {
		snprintf(err, errlen, "line too long");
		return -EINVAL;
	}
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, line, (int)len);
	jerr = json_tokener_get_error(tok);
	used = json_tokener_get_parse_end(tok);
	if (!root && jerr != json_tokener_continue && used > 0 && used < len) {
		/* strict mode fails on what follows a complete value: was there one? */
		json_tokener_reset(tok);
		root = json_tokener_parse_ex(tok, line, (int)used);
		if (root && json_tokener_get_error(tok) == json_tokener_success)
			jerr = json_tokener_success;
		else
			used = json_tokener_get_parse_end(tok);
	}
	json_tokener_free(tok);
	if (!root || jerr != json_tokener_success) {
		snprintf(err, errlen, "not JSON (%s at byte %zu)",
			 jerr == json_tokener_continue ? "truncated"
						       : json_tokener_error_desc(jerr),
			 used);
		json_object_put(root);
		return -EINVAL;
	}
	while (used < len && isspace((unsigned char)line[used]))
		used++;
	if (used != len || !json_object_is_type(root, json_type_object)) {
		snprintf(err, errlen,
			 used != len ? "trailing data after the JSON object at byte %zu"
				     : "not a JSON object",
			 used);
		json_object_put(root);
		return -EINVAL;
	}
	out->root = root;
	if (!(out->rule = req_string(root, "rule", err, errlen)) ||
	    !(out->output = req_string(root, "output", err, errlen)) ||
	    !(out->priority_text = req_string(root, "priority", err, errlen)) ||
	    !(out->time = req_string(root, "time", err, errlen)))
		goto bad;
	if (!*out->rule) {
		snprintf(err, errlen, "empty \"rule\"");
		goto bad;
	}
	if (parse_priority(out->priority_text, &out->priority)) {
		snprintf(err, errlen, "unknown priority \"%.40s\"", out->priority_text);
		goto bad;
	}
	if (parse_time(out->time, &out->time_ns)) {
		snprintf(err, errlen, "bad time \"%.60s\"", out->time);
		goto bad;
	}
	out->source = "syscall";
	if (json_object_object_get_ex(root, "source", &v)) {
		if (!json_object_is_type(v, json_type_string)) {
			snprintf(err, errlen, "\"source\" is not a string");
			goto bad;
		}
		out->source = json_object_get_string(v);
	}
	if (json_object_object_get_ex(root, "hostname", &v) &&
	    json_object_is_type(v, json_type_string))
		out->hostname = json_object_get_string(v);
	if (json_object_object_get_ex(root, "tags", &v)) {
		if (!json_object_is_type(v, json_type_array)) {
			snprintf(err, errlen, "\"tags\" is not an array");
			goto bad;
		}
		out->tags = v;
	}
	if (json_object_object_get_ex(root, "output_fields", &v)) {
		if (!json_object_is_type(v, json_type_object)) {
			snprintf(err, errlen, "\"output_fields\" is not an object");
			goto bad;
		}
		out->output_fields = v;
	} else {
		out->output_fields = json_object_new_object();
		json_object_object_add(root, "output_fields", out->output_fields);
	}
	if (json_object_object_get_ex(out->output_fields, KV_FALCO_PID_FIELD, &v)) {
		if (json_object_is_type(v, json_type_int))
			out->pid = json_object_get_int64(v);
		else if (json_object_is_type(v, json_type_string)) {
			char *end;
			long long p = strtoll(json_object_get_string(v), &end, 10);

			if (!*end && end != json_object_get_string(v))
				out->pid = p;
		}
	}
	find_session(out);
	return 0;
bad:
	kv_falco_alert_free(out);
	out->pid = -1;
	return -EINVAL;
}

void kv_falco_alert_free(struct kv_falco_alert *a)
{
	json_object_put(a->root);
	memset(a, 0, sizeof(*a));
}

/* Receipts hash integers only: doubles become their text. */
static struct json_object *copy_no_floats(struct json_object *v)
{
	struct json_object *o;
	size_t i;

	switch (json_object_get_type(v)) {
	case json_type_null:
		return NULL;
	case json_type_boolean:
		return json_object_new_boolean(json_object_get_boolean(v));
	case json_type_int:
		return json_object_new_int64(json_object_get_int64(v));
	case json_type_double:
	case json_type_string:
		return json_object_new_string(json_object_get_string(v));
	case json_type_array:
		o = json_object_new_array();
		for (i = 0; i < json_object_array_length(v); i++)
			json_object_array_add(o, copy_no_floats(json_object_array_get_idx(v, i)));
		return o;
	case json_type_object: {
		o = json_object_new_object();
		json_object_object_foreach(v, key, val)
		    json_object_object_add(o, key, copy_no_floats(val));
		return o;
	}
	}
	return NULL;
}

struct json_object *kv_falco_alert_receipt_fields(const struct kv_falco_alert *a)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "rule", json_object_new_string(a->rule));
	json_object_object_add(o, "priority",
			       json_object_new_string(kv_falco_priority_name(a->priority)));
	json_object_object_add(o, "output", json_object_new_string(a->output));
	json_object_object_add(o, "time", json_object_new_string(a->time));
	json_object_object_add(o, "time_ns", json_object_new_int64((int64_t)a->time_ns));
	json_object_object_add(o, "source", json_object_new_string(a->source));
	json_object_object_add(o, "hostname",
			       a->hostname ? json_object_new_string(a->hostname) : NULL);
	json_object_object_add(o, "tags",
			       a->tags ? copy_no_floats(a->tags) : json_object_new_array());
	json_object_object_add(o, "output_fields", copy_no_floats(a->output_fields));
	json_object_object_add(o, "session_source",
			       a->session_from ? json_object_new_string(a->session_from) : NULL);
	if (a->session_conflict)
		json_object_object_add(o, "session_conflict", json_object_new_boolean(1));
	json_object_object_add(o, "pid", a->pid >= 0 ? json_object_new_int64(a->pid) : NULL);
	return o;
}
