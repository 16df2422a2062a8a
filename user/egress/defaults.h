/* SPDX-License-Identifier: BSD-2-Clause */
/* Default egress SPEC lists (NULL-terminated), see defaults.c. */
#ifndef KV_EGRESS_DEFAULTS_H
#define KV_EGRESS_DEFAULTS_H
#include "profile/profile.h"

const char *const *kv_egress_default_llm(void);
const char *const *kv_egress_default_domain(enum kv_domain d);
const char *const *kv_egress_default_registered(void);
const char *const *kv_egress_default_system(void);
#endif
