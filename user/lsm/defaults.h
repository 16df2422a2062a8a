/* SPDX-License-Identifier: BSD-2-Clause */
/* Built-in tables of the file policy (NULL-terminated). */
#ifndef KV_LSM_DEFAULTS_H
#define KV_LSM_DEFAULTS_H
extern const char *const kv_files_default_secrets[];
extern const char *const kv_files_default_names[];
extern const char *const kv_files_default_public[];
extern const char *const kv_files_default_devices[];
extern const char *const kv_files_default_write[];
#endif
