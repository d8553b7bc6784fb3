// SPDX-License-Identifier: GPL-2.0
/*
 * mtier(8): the monitor, one line per notification of the "monitor" group.
 *
 *   mtier monitor [ all | pool | peer | tier ]
 *
 * Text: "[add] pool p0: <the line mtier pool show prints>".
 * JSON: one object per line, {"event":"add","object":"pool","pool":{...}}.
 * stdout is flushed after every event.
 */
#include <stdio.h>

#include <linux/mtier.h>

#include "mtier.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

enum { MON_ALL, MON_POOL, MON_PEER, MON_TIER, MON_HELP };

static const struct word monitor_words[] = {
	{ "all", MON_ALL }, { "pool", MON_POOL }, { "peer", MON_PEER },
	{ "tier", MON_TIER }, { "help", MON_HELP },
};

/* What each notification command announces, about which kind. */
static const struct {
	uint8_t cmd;
	int kind;
	const char *event;
} monitor_events[] = {
	{ MTIER_CMD_POOL_ADD_NTF,    MON_POOL, "add" },
	{ MTIER_CMD_POOL_DEL_NTF,    MON_POOL, "del" },
	{ MTIER_CMD_POOL_CHANGE_NTF, MON_POOL, "change" },
	{ MTIER_CMD_PEER_ADD_NTF,    MON_PEER, "add" },
	{ MTIER_CMD_PEER_DEL_NTF,    MON_PEER, "del" },
	{ MTIER_CMD_PEER_CHANGE_NTF, MON_PEER, "change" },
	{ MTIER_CMD_TIER_ADD_NTF,    MON_TIER, "add" },
	{ MTIER_CMD_TIER_DEL_NTF,    MON_TIER, "del" },
	{ MTIER_CMD_TIER_CHANGE_NTF, MON_TIER, "change" },
};

static int monitor_event(struct nl_msg *msg, void *arg)
{
	int filter = *(int *)arg;
	uint8_t cmd = mt_msg_cmd(msg);
	size_t i;

	for (i = 0; i < N(monitor_events); i++) {
		if (monitor_events[i].cmd != cmd)
			continue;
		if (filter != MON_ALL && filter != monitor_events[i].kind)
			return 0;
		switch (monitor_events[i].kind) {
		case MON_POOL:
			pool_print(msg, monitor_events[i].event);
			break;
		case MON_PEER:
			peer_print(msg, monitor_events[i].event);
			break;
		case MON_TIER:
			tier_print(msg, monitor_events[i].event);
			break;
		}
		return 0;
	}
	return 0;
}

static void monitor_usage(FILE *f)
{
	fputs("Usage: mtier monitor [ all | pool | peer | tier ]\n", f);
}

int do_monitor(struct args *a)
{
	int filter = MON_ALL;

	if (args_left(a)) {
		filter = parse_word(args_next(a), monitor_words,
				    N(monitor_words), "monitor object");
		if (filter < 0)
			return -1;
	}
	if (filter == MON_HELP || is_help(args_peek(a))) {
		monitor_usage(stdout);
		return 0;
	}
	if (args_left(a))
		return error("unexpected argument '%s'", args_peek(a));
	return mt_monitor(monitor_event, &filter);
}
