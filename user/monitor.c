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

const struct word monitor_words[] = {
	{ "all", MON_ALL }, { "pool", MON_POOL }, { "peer", MON_PEER },
	{ "tier", MON_TIER }, { "help", MON_HELP },
};

const size_t n_monitor_words = N(monitor_words);

/* The kind each word of monitor_words stands for; NULL: all of them. */
static const struct mt_kind *const monitor_kinds[] = {
	[MON_ALL] = NULL, [MON_POOL] = &pool_kind, [MON_PEER] = &peer_kind,
	[MON_TIER] = &tier_kind,
};

/* What each notification command announces, about which kind. */
static const struct {
	uint8_t cmd;
	const struct mt_kind *kind;
	const char *event;
} monitor_events[] = {
	{ MTIER_CMD_POOL_ADD_NTF,    &pool_kind, "add" },
	{ MTIER_CMD_POOL_DEL_NTF,    &pool_kind, "del" },
	{ MTIER_CMD_POOL_CHANGE_NTF, &pool_kind, "change" },
	{ MTIER_CMD_PEER_ADD_NTF,    &peer_kind, "add" },
	{ MTIER_CMD_PEER_DEL_NTF,    &peer_kind, "del" },
	{ MTIER_CMD_PEER_CHANGE_NTF, &peer_kind, "change" },
	{ MTIER_CMD_TIER_ADD_NTF,    &tier_kind, "add" },
	{ MTIER_CMD_TIER_DEL_NTF,    &tier_kind, "del" },
	{ MTIER_CMD_TIER_CHANGE_NTF, &tier_kind, "change" },
};

static int monitor_event(struct nl_msg *msg, void *arg)
{
	const struct mt_kind *filter = *(const struct mt_kind **)arg;
	uint8_t cmd = mt_msg_cmd(msg);
	size_t i;

	for (i = 0; i < N(monitor_events); i++) {
		if (monitor_events[i].cmd != cmd)
			continue;
		if (filter && filter != monitor_events[i].kind)
			return 0;
		monitor_events[i].kind->print(msg, monitor_events[i].event);
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
	const struct mt_kind *filter;
	int which = MON_ALL;

	if (args_left(a)) {
		which = parse_word(args_next(a), monitor_words,
				   N(monitor_words), "monitor object");
		if (which < 0)
			return -1;
	}
	if (which == MON_HELP || is_help(args_peek(a))) {
		monitor_usage(stdout);
		return 0;
	}
	if (args_left(a))
		return error("unexpected argument '%s'", args_peek(a));
	filter = monitor_kinds[which];
	return mt_monitor(monitor_event, &filter);
}
