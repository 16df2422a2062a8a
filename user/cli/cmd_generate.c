// SPDX-License-Identifier: BSD-2-Clause
/* kavachos generate: the profile for a trust mask, without running anything. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli/cli.h"
#include "common/log.h"
#include "config/config.h"
#include "seccomp/seccomp.h"

enum fmt { FMT_SUMMARY, FMT_OCI, FMT_PFC };

static void usage(void)
{
	printf("Usage: kavachos generate [OPTIONS]\n\n"
	       "Print the seccomp profile a trust mask gives, without running anything.\n\n"
	       "  --trust-mask=N        32-bit mask, decimal or 0x-hex (bits 24-31 reserved)\n"
	       "  --domain=D            general, maritime, logistics, ot, finance\n"
	       "  --depth=N             delegation depth (>= 1)\n"
	       "  --strict-exec         no exec after the launch\n"
	       "  --format=F            summary (default), oci (OCI/Docker seccomp JSON with\n"
	       "                        a \"kavachos\" object), pfc (libseccomp pseudo code)\n"
	       "  -j, --json            same as --format=oci\n"
	       "  --out=PATH            write the profile there (OCI JSON unless\n"
	       "                        --format=pfc) and print the summary\n"
	       "  --seccomp-profile=F   summarise/convert an OCI profile instead\n"
	       "  --config=FILE         use FILE instead of searching for .kavachos.json\n"
	       "  --no-config           ignore .kavachos.json\n\n"
	       "Settings: flag > .kavachos.json (searched from the current directory up) >\n"
	       "KAVACHOS_TRUST_MASK / KAVACHOS_DOMAIN > defaults (mask 0x%08x, general, depth 1).\n"
	       "Exit: 0 ok, 1 failure, 2 invalid input.\n",
	       KV_DEFAULT_TRUST_MASK);
}

static void print_bits(FILE *f, uint32_t mask, enum kv_domain d)
{
	unsigned bit;
	bool any = false;

	for (bit = 0; bit < 24; bit++) {
		const char *n;

		if (!(mask & (1u << bit)))
			continue;
		n = bit < 16 ? kv_trust_bit_name(bit) : kv_domain_bit_name(d, bit);
		fprintf(f, " %s", n ? n : kv_trust_bit_name(bit));
		if (bit >= 16 && !n)
			fprintf(f, "(none in %s)", kv_domain_name(d));
		any = true;
	}
	if (!any)
		fprintf(f, " (none: read-only profile)");
}

static void summary(FILE *f, const struct kv_profile *p, const struct kv_settings *s,
		    const char *source, const char *hash)
{
	const struct kv_profile_input *in = kv_profile_input(p);
	const char *names[KV_SYSCALL_NR_MAX];
	const char *const *skipped;
	size_t i, n, main_insns = 0, guard_insns = 0, nskip;
	char act[48];

	fprintf(f, "KavachOS seccomp profile (schema %d, %s)\n", KV_PROFILE_SCHEMA_VERSION,
		in ? "generated" : "imported");
	if (in) {
		fprintf(f, "  trust mask   0x%08x ", in->trust_mask);
		print_bits(f, in->trust_mask, in->domain);
		fprintf(f, "\n  domain       %s\n  depth        %u%s\n  strict exec  %s\n",
			kv_domain_name(in->domain), in->depth,
			in->depth >= 4 ? " (read-only profile)" : "",
				in->strict_exec ? "yes" : "no");
		if (s)
			fprintf(f,
				"  sources      trust_mask=%s domain=%s depth=%s "
				"strict_exec=%s (%s)\n",
				kv_src_name(s->src_trust_mask), kv_src_name(s->src_domain),
				kv_src_name(s->src_depth), kv_src_name(s->src_strict_exec),
				s->config ? s->config->path : "no .kavachos.json");
		if (in->n_extra_allow || in->n_extra_deny) {
			fprintf(f, "  additions   ");
			for (i = 0; i < in->n_extra_allow; i++)
				fprintf(f, " +%s", in->extra_allow[i]);
			for (i = 0; i < in->n_extra_deny; i++)
				fprintf(f, " -%s", in->extra_deny[i]);
			fprintf(f, "\n");
		}
	} else {
		fprintf(f, "  source       %s\n", source);
		nskip = kv_profile_skipped(p, &skipped);
		if (nskip) {
			fprintf(f, "  skipped      %zu names that are not x86_64 syscalls:", nskip);
			for (i = 0; i < nskip; i++)
				fprintf(f, " %s", skipped[i]);
			fprintf(f, "\n");
		}
	}
	kv_action_format(kv_profile_default_action(p), act, sizeof(act));
	fprintf(f, "  default      %s\n", act);
	fprintf(f, "  syscalls     %zu allowed (%zu with argument conditions), %zu supervised "
		   "(NOTIFY), %zu fail with another errno\n",
		kv_profile_count_allowed(p), kv_profile_count_cond(p), kv_profile_count_notify(p),
		kv_profile_count_errno(p));
	n = kv_profile_notify_names(p, names, KV_SYSCALL_NR_MAX);
	fprintf(f, "  notify      ");
	for (i = 0; i < n; i++)
		fprintf(f, " %s", names[i]);
	fprintf(f, "%s\n", n ? "" : " (none)");
	fprintf(f, "  launch exec  %s\n", kv_profile_launch_exec_supervised(p)
					      ? "supervised: only the launch exec is approved"
					      : "exec allowed");
	fprintf(f, "  other ABIs   i386 (int 0x80) and x32 calls refused with EPERM\n");
	if (!kv_seccomp_filter_size(p, &main_insns, &guard_insns)) {
		fprintf(f, "  filter       %zu BPF instructions", main_insns);
		if (guard_insns)
			fprintf(f, " + %zu in the guard filter (argument carve-outs)", guard_insns);
		fprintf(f, "\n");
	}
	fprintf(f, "  sha256       %s\n", hash);
}

static int write_text(const char *path, const char *text, size_t len)
{
	char tmp[4096];
	int fd, rc = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len)
		rc = -EIO;
	else if (fchmod(fd, 0644) || fsync(fd))
		rc = -errno;
	if (close(fd) && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc)
		unlink(tmp);
	return rc;
}

/* libseccomp writes pseudo code to an fd: collect it from a memfd. */
static char *pfc_text(const struct kv_profile *p, size_t *len)
{
	int fd = memfd_create("kv-pfc", MFD_CLOEXEC);
	char *buf = NULL;
	off_t end;

	if (fd < 0)
		return NULL;
	if (kv_seccomp_export_pfc(p, fd) || (end = lseek(fd, 0, SEEK_END)) < 0)
		goto out;
	buf = malloc((size_t)end + 1);
	if (buf && pread(fd, buf, (size_t)end, 0) != end) {
		free(buf);
		buf = NULL;
	}
	if (buf) {
		buf[end] = 0;
		*len = (size_t)end;
	}
out:
	close(fd);
	return buf;
}

/* The profile in fmt as text (malloc'd). */
static char *render(const struct kv_profile *p, enum fmt fmt, size_t *len)
{
	struct json_object *o;
	char *buf = NULL;

	if (fmt == FMT_PFC)
		return pfc_text(p, len);
	o = kv_profile_oci_json(p);
	if (!o)
		return NULL;
	if (asprintf(&buf, "%s\n",
		     json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							       JSON_C_TO_STRING_SPACED |
							       JSON_C_TO_STRING_NOSLASHESCAPE)) < 0)
		buf = NULL;
	json_object_put(o);
	if (buf)
		*len = strlen(buf);
	return buf;
}

int cmd_generate(int argc, char **argv)
{
	enum { O_MASK = 256, O_DOMAIN, O_DEPTH, O_STRICT, O_FORMAT, O_OUT, O_OCI, O_CONFIG,
	       O_NOCONFIG };
	static const struct option opts[] = {
		{ "trust-mask", required_argument, 0, O_MASK },
		{ "domain", required_argument, 0, O_DOMAIN },
		{ "depth", required_argument, 0, O_DEPTH },
		{ "strict-exec", no_argument, 0, O_STRICT },
		{ "format", required_argument, 0, O_FORMAT },
		{ "out", required_argument, 0, O_OUT },
		{ "seccomp-profile", required_argument, 0, O_OCI },
		{ "config", required_argument, 0, O_CONFIG },
		{ "no-config", no_argument, 0, O_NOCONFIG },
		{ "json", no_argument, 0, 'j' },
		{ "help", no_argument, 0, 'h' },
		{ 0 },
	};
	struct kv_settings_flags fl = { 0 };
	struct kv_settings s = { 0 };
	struct kv_profile_input in;
	struct kv_profile *p = NULL;
	const char *out = NULL, *oci = NULL;
	bool fmt_set = false, have_settings = false;
	enum fmt fmt = FMT_SUMMARY;
	char err[1024], hash[65];
	char *text = NULL;
	size_t len = 0;
	int c, rc = KV_EXIT_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case O_MASK: fl.trust_mask = optarg; break;
		case O_DOMAIN: fl.domain = optarg; break;
		case O_DEPTH: fl.depth = optarg; break;
		case O_STRICT: fl.strict_exec = true; break;
		case O_OUT: out = optarg; break;
		case O_OCI: oci = optarg; break;
		case O_CONFIG: fl.config_path = optarg; break;
		case O_NOCONFIG: fl.no_config = true; break;
		case 'j': kv_json_output = true; break;
		case O_FORMAT:
			fmt_set = true;
			if (!strcmp(optarg, "summary"))
				fmt = FMT_SUMMARY;
			else if (!strcmp(optarg, "oci") || !strcmp(optarg, "json"))
				fmt = FMT_OCI;
			else if (!strcmp(optarg, "pfc"))
				fmt = FMT_PFC;
			else {
				kv_err("invalid --format '%s' (summary, oci or pfc)", optarg);
				return KV_EXIT_USAGE;
			}
			break;
		case 'h': usage(); return KV_EXIT_OK;
		default: usage(); return KV_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		kv_err("unexpected argument '%s' (try 'kavachos generate --help')", argv[optind]);
		return KV_EXIT_USAGE;
	}
	if (kv_json_output && !fmt_set)
		fmt = FMT_OCI;
	if (oci && (fl.trust_mask || fl.domain || fl.depth || fl.strict_exec)) {
		kv_err("--seccomp-profile replaces the generated profile: drop --trust-mask, "
		       "--domain, --depth and --strict-exec");
		return KV_EXIT_USAGE;
	}
	if (oci) {
		if (kv_profile_from_oci_file(oci, &p, err, sizeof(err))) {
			kv_err("%s", err);
			return KV_EXIT_USAGE;
		}
	} else {
		if (kv_settings_resolve(&fl, &s, err, sizeof(err))) {
			kv_err("%s", err);
			return KV_EXIT_USAGE;
		}
		have_settings = true;
		kv_settings_profile_input(&s, &in);
		if (kv_profile_build(&in, &p, err, sizeof(err))) {
			kv_err("%s", err);
			rc = KV_EXIT_USAGE;
			goto out;
		}
	}
	if (kv_profile_hash(p, hash)) {
		kv_err("cannot hash the profile");
		rc = KV_EXIT_FAIL;
		goto out;
	}
	if (fmt != FMT_SUMMARY || out) {
		text = render(p, fmt == FMT_SUMMARY ? FMT_OCI : fmt, &len);
		if (!text) {
			kv_err("cannot render the profile");
			rc = KV_EXIT_FAIL;
			goto out;
		}
	}
	if (out) {
		int e = write_text(out, text, len);

		if (e) {
			kv_err("cannot write %s: %s", out, strerror(-e));
			rc = KV_EXIT_FAIL;
			goto out;
		}
		if (kv_json_output) {
			struct json_object *o = json_object_new_object();
			const int fl = JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE;

			json_object_object_add(o, "out", json_object_new_string(out));
			json_object_object_add(o, "sha256", json_object_new_string(hash));
			printf("%s\n", json_object_to_json_string_ext(o, fl));
			json_object_put(o);
		} else
			summary(stdout, p, have_settings ? &s : NULL, oci, hash);
	} else if (fmt == FMT_SUMMARY) {
		summary(stdout, p, have_settings ? &s : NULL, oci, hash);
	} else {
		fwrite(text, 1, len, stdout);
	}
	if (fflush(stdout)) {
		kv_err("writing the output: %s", strerror(errno));
		rc = KV_EXIT_FAIL;
	}
out:
	free(text);
	kv_profile_free(p);
	if (have_settings)
		kv_settings_free(&s);
	return rc;
}
