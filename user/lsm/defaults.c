// SPDX-License-Identifier: BSD-2-Clause
/* Built-in tables of the file policy: what every session treats as secret,
 * the exceptions, and the system objects every program may write. */
#include <stddef.h>
#include "lsm/defaults.h"

/* Credentials of common tools, relative to the agent's home ("~/") or
 * absolute. Globs are expanded once, when the policy is built. */
const char *const kv_files_default_secrets[] = {
	"~/.ssh",                  /* OpenSSH keys, known_hosts, config */
	"~/.aws",                  /* AWS CLI/SDK credentials */
	"~/.gnupg",                /* GnuPG keyrings */
	"~/.config/gcloud",        /* Google Cloud SDK */
	"~/.azure",                /* Azure CLI */
	"~/.kube",                 /* kubectl contexts and tokens */
	"~/.docker/config.json",   /* registry credentials */
	"~/.netrc",                /* curl, git, ftp passwords */
	"~/.git-credentials",      /* git credential-store */
	"~/.password-store",       /* pass(1) */
	"/etc/shadow",
	"/etc/gshadow",
	"/etc/shadow-",
	"/etc/gshadow-",
	"/etc/ssh/ssh_host_*_key", /* the host's private keys */
	NULL,
};

/* Secret name patterns (NAME, NAME.*, *.EXT): checked on the final name. */
const char *const kv_files_default_names[] = {
	".env", ".env.*",         /* dotenv files */
	"*.pem", "*.key",         /* PEM private keys, TLS keys */
	"*.p12", "*.pfx",         /* PKCS#12 bundles */
	"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", /* SSH keys anywhere */
	NULL,
};

/* Public files the patterns would catch: CA bundles TLS clients read
 * (certifi's cacert.pem for Python requests/pip, distribution bundles). */
const char *const kv_files_default_public[] = {
	"cacert.pem", "ca-bundle.pem", "ca-certificates.pem", "tls-ca-bundle.pem",
	NULL,
};

/* Writable even in a read-only session: they hold no data. */
const char *const kv_files_default_devices[] = {
	"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom",
	"/dev/tty", "/dev/ptmx", "/dev/pts",
	NULL,
};

/* Write roots every session with writes gets: POSIX shared memory and
 * semaphores (Python multiprocessing, browsers). Shared with the host. */
const char *const kv_files_default_write[] = {
	"/dev/shm",
	NULL,
};
