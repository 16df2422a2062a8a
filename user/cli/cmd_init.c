// SPDX-License-Identifier: BSD-2-Clause
/* kavachos init: write .kavachos.json in the current directory. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli/cli.h"
#include "common/log.h"
#include "config/config.h"

static void usage(void)
{
	printf("Usage: kavachos init [--trust-mask=N] [--domain=D] [--force]\n\n"
	       "Write %s (schema version %d, docs/config.md) in the current directory.\n"
	       "Without flags the mask and domain come from KAVACHOS_TRUST_MASK and\n"
	       "KAVACHOS_DOMAIN, else the defaults (0x%08x, general).\n\n"
	       "  --trust-mask=N   32-bit mask, decimal or 0x-hex (bits 24-31 reserved)\n"
	       "  --domain=D       general, maritime, logistics, ot, finance\n"
	       "  --force          overwrite an existing file\n"
	       "  -j, --json       report as JSON\n\n"
	       "Exit: 0 written, 1 the file exists (without --force) or cannot be written,\n"
	       "2 invalid input.\n",
	       KV_CONFIG_NAME, KV_CONFIG_VERSION, KV_DEFAULT_TRUST_MASK);
}

static char *render(const struct kv_settings *s)
{
	char *text = NULL;

	if (asprintf(&text,
		     "{\n"
		     "\t\"version\": %d,\n"
		     "\t\"trust_mask\": \"0x%08x\",\n"
		     "\t\"domain\": \"%s\",\n"
		     "\t\"depth\": %u,\n"
		     "\t\"strict_exec\": false,\n"
		     "\t\"seccomp\": { \"allow\": [], \"deny\": [] },\n"
		     "\t\"egress\": { \"allow\": [], \"no_default\": false },\n"
		     "\t\"files\": { \"deny\": [], \"write\": [] }\n"
		     "}\n",
		     KV_CONFIG_VERSION, s->trust_mask, kv_domain_name(s->domain), s->depth) < 0)
		return NULL;
	return text;
}

/* Without force the file must not exist (O_EXCL); with force a temporary
 * file replaces it atomically. */
static int write_config(const char *path, const char *text, bool force)
{
	size_t len = strlen(text);
	char tmp[PATH_MAX];
	int fd, rc = 0;

	if (!force) {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0)
			return -errno;
	} else {
		if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path) >= sizeof(tmp))
			return -ENAMETOOLONG;
		fd = mkstemp(tmp);
		if (fd < 0)
			return -errno;
	}
	if (write(fd, text, len) != (ssize_t)len)
		rc = -EIO;
	else if (fchmod(fd, 0644) || fsync(fd))
		rc = -errno;
	if (close(fd) && !rc)
		rc = -errno;
	if (force && !rc && rename(tmp, path))
		rc = -errno;
	if (rc)
		unlink(force ? tmp : path);
	return rc;
}

int cmd_init(int argc, char **argv)
{
	enum { O_MASK = 256, O_DOMAIN, O_FORCE };
	static const struct option opts[] = {
		{ "trust-mask", required_argument, 0, O_MASK },
		{ "domain", required_argument, 0, O_DOMAIN },
		{ "force", no_argument, 0, O_FORCE },
		{ "json", no_argument, 0, 'j' },
		{ "help", no_argument, 0, 'h' },
		{ 0 },
	};
	struct kv_settings_flags fl = { .no_config = true };
	struct kv_settings s;
	struct kv_config *check;
	char err[1024], cwd[PATH_MAX], path[PATH_MAX + 32];
	bool force = false;
	char *text;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case O_MASK: fl.trust_mask = optarg; break;
		case O_DOMAIN: fl.domain = optarg; break;
		case O_FORCE: force = true; break;
		case 'j': kv_json_output = true; break;
		case 'h': usage(); return KV_EXIT_OK;
		default: usage(); return KV_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		kv_err("unexpected argument '%s' (try 'kavachos init --help')", argv[optind]);
		return KV_EXIT_USAGE;
	}
	if (kv_settings_resolve(&fl, &s, err, sizeof(err))) {
		kv_err("%s", err);
		return KV_EXIT_USAGE;
	}
	if (!getcwd(cwd, sizeof(cwd))) {
		kv_err("cannot tell the current directory: %s", strerror(errno));
		return KV_EXIT_FAIL;
	}
	snprintf(path, sizeof(path), "%s/%s", cwd, KV_CONFIG_NAME);
	text = render(&s);
	if (!text) {
		kv_err("out of memory");
		return KV_EXIT_FAIL;
	}
	rc = write_config(path, text, force);
	free(text);
	if (rc == -EEXIST) {
		kv_err("%s already exists (use --force to overwrite it)", path);
		return KV_EXIT_FAIL;
	}
	if (rc) {
		kv_err("cannot write %s: %s", path, strerror(-rc));
		return KV_EXIT_FAIL;
	}
	/* what we wrote must load: the same parser every command uses */
	if (kv_config_load(path, &check, err, sizeof(err))) {
		kv_err("wrote %s but it does not load: %s", path, err);
		return KV_EXIT_FAIL;
	}
	kv_config_free(check);
	if (kv_json_output) {
		struct json_object *o = json_object_new_object();
		char hex[16];

		snprintf(hex, sizeof(hex), "0x%08x", s.trust_mask);
		json_object_object_add(o, "path", json_object_new_string(path));
		json_object_object_add(o, "version", json_object_new_int(KV_CONFIG_VERSION));
		json_object_object_add(o, "trust_mask", json_object_new_string(hex));
		json_object_object_add(o, "domain",
				       json_object_new_string(kv_domain_name(s.domain)));
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		printf("wrote %s (trust mask 0x%08x, domain %s)\n", path, s.trust_mask,
		       kv_domain_name(s.domain));
	}
	kv_settings_free(&s);
	return KV_EXIT_OK;
}
