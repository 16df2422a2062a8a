// SPDX-License-Identifier: BSD-2-Clause
#include <string.h>
#include "cli/cli.h"
#include "common/log.h"

int kv_cmd_dispatch(const struct kv_cmd *cmds, int argc, char **argv, const char *noun)
{
	const struct kv_cmd *c;

	if (argc < 1) {
		kv_err("%s: missing command (try '%s help')", noun, noun);
		return KV_EXIT_USAGE;
	}
	for (c = cmds; c->name; c++)
		if (!strcmp(c->name, argv[0]))
			return c->fn(argc, argv);
	kv_err("%s: unknown command '%s' (try '%s help')", noun, argv[0], noun);
	return KV_EXIT_USAGE;
}
