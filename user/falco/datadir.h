/* SPDX-License-Identifier: BSD-2-Clause */
/* Where the Falco data files (rule templates, field lists) are found at run time:
 *   1. $KAVACHOS_DATA_DIR/falco (only this one when the variable is set)
 *   2. <dir of the running binary>/../falco            (source tree: build/kavachos)
 *   3. <dir of the running binary>/../share/kavachos/falco (installed under a prefix)
 *   4. /usr/local/share/kavachos/falco, /usr/share/kavachos/falco
 * A candidate counts when it holds fields.txt. */
#ifndef KV_FALCO_DATADIR_H
#define KV_FALCO_DATADIR_H
#include <stddef.h>

#define KV_DATA_DIR_ENV "KAVACHOS_DATA_DIR"

/* 0 with the directory in out, or -ENOENT with the places tried in err. */
int kv_falco_data_dir(char *out, size_t len, char *err, size_t errlen);
#endif
