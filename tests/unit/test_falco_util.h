/* SPDX-License-Identifier: BSD-2-Clause */
/* Helpers shared by the Falco tests: repo paths, running the CLI, reading files. */
#ifndef TEST_FALCO_UTIL_H
#define TEST_FALCO_UTIL_H
#include <stddef.h>

/* <repo>/REL (the build dir's parent); a few rotating static buffers. */
const char *tf_path(const char *rel);
/* Points KAVACHOS_DATA_DIR at the repo, so the code finds falco/ there. */
void tf_use_repo_data(void);
/* Runs <build>/kavachos ARGV... with stdout and stderr to the given files (NULL:
 * /dev/null); the environment is inherited. Exit status, or -1. */
int tf_run_cli(const char *const *argv, const char *out, const char *err);
/* The whole file, NUL-terminated; NULL on error. */
char *tf_slurp(const char *path, size_t *len);
#endif
