// SPDX-License-Identifier: GPL-2.0
/*
 * mtier(8): peers, the donors this node takes memory from.
 *
 *   mtier peer add NAME addr ADDR[:PORT] [ port PORT ]
 *                       [ transport { rdma | tcp } ] [ keepalive MS ] [ timeout MS ]
 *   mtier peer set NAME [ keepalive MS ] [ timeout MS ]
 *   mtier peer del NAME
 *   mtier peer [ show [ NAME ] ]
 */
#include <stdio.h>
#include <stdlib.h>

#include <linux/mtier.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "mtier.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const peer_names[MTIER_A_PEER_MAX + 1] = {
	[MTIER_A_PEER_ID]	 = "id",
	[MTIER_A_PEER_NAME]	 = "name",
	[MTIER_A_PEER_ADDR]	 = "addr",
	[MTIER_A_PEER_PORT]	 = "port",
	[MTIER_A_PEER_TRANSPORT] = "transport",
	[MTIER_A_PEER_STATE]	 = "state",
	[MTIER_A_PEER_RTT]	 = "rtt",
	[MTIER_A_PEER_KEEPALIVE] = "keepalive",
	[MTIER_A_PEER_TIMEOUT]	 = "timeout",
	[MTIER_A_PEER_TIERS]	 = "tiers",
	[MTIER_A_PEER_STATS]	 = "stats",
};

static const struct attr_set peer_set = { peer_names, MTIER_A_PEER_MAX };

static const char *const peer_stats_names[MTIER_A_PEER_STATS_MAX + 1] = {
	[MTIER_A_PEER_STATS_SLABS]    = "slabs",
	[MTIER_A_PEER_STATS_CONNECTS] = "connects",
	[MTIER_A_PEER_STATS_ERRORS]   = "errors",
	[MTIER_A_PEER_STATS_TIMEOUTS] = "timeouts",
};

static const struct attr_set peer_stats_set = {
	peer_stats_names, MTIER_A_PEER_STATS_MAX
};

static const char *const peer_state_names[] = {
	[MTIER_PEER_STATE_DOWN]	      = "down",
	[MTIER_PEER_STATE_CONNECTING] = "connecting",
	[MTIER_PEER_STATE_UP]	      = "up",
	[MTIER_PEER_STATE_FAILED]     = "failed",
};

/* --- Output ------------------------------------------------------------- */

void peer_print(struct nl_msg *msg, const char *event)
{
	struct nlattr *tb[MTIER_A_PEER_MAX + 1] = {};

	if (mt_msg_parse(msg, tb, MTIER_A_PEER_MAX) < 0 || !tb[MTIER_A_PEER_NAME])
		return;
	print_obj_begin("peer", mt_get_str(tb[MTIER_A_PEER_NAME]), event);
	if (tb[MTIER_A_PEER_ID])
		print_uint("id", NULL, NULL, mt_get_u32(tb[MTIER_A_PEER_ID]));
	print_string("name", NULL, mt_get_str(tb[MTIER_A_PEER_NAME]));
	if (tb[MTIER_A_PEER_STATE])
		print_enum("state", "state", peer_state_names, N(peer_state_names),
			   mt_get_u32(tb[MTIER_A_PEER_STATE]));
	if (tb[MTIER_A_PEER_ADDR])
		print_endpoint("addr", "addr", "port",
			       mt_get_str(tb[MTIER_A_PEER_ADDR]),
			       tb[MTIER_A_PEER_PORT] ?
			       mt_get_u16(tb[MTIER_A_PEER_PORT]) : MTIER_DEFAULT_PORT);
	if (tb[MTIER_A_PEER_TRANSPORT])
		print_enum("transport", "transport", transport_names, 2,
			   mt_get_u32(tb[MTIER_A_PEER_TRANSPORT]));
	if (tb[MTIER_A_PEER_RTT])
		print_uint("rtt", "rtt", "us", mt_get_u32(tb[MTIER_A_PEER_RTT]));
	if (tb[MTIER_A_PEER_KEEPALIVE])
		print_uint("keepalive", "keepalive", "ms",
			   mt_get_u32(tb[MTIER_A_PEER_KEEPALIVE]));
	if (tb[MTIER_A_PEER_TIMEOUT])
		print_uint("timeout", "timeout", "ms",
			   mt_get_u32(tb[MTIER_A_PEER_TIMEOUT]));
	if (tb[MTIER_A_PEER_TIERS])
		print_uint("tiers", "tiers", NULL, mt_get_u32(tb[MTIER_A_PEER_TIERS]));
	if (opts.stats && tb[MTIER_A_PEER_STATS]) {
		print_nest_begin("stats", "stats");
		print_counters(tb[MTIER_A_PEER_STATS], &peer_stats_set);
		print_nest_end();
	}
	print_obj_end();
}

static int peer_reply(struct nl_msg *msg, void *arg)
{
	(void)arg;
	peer_print(msg, NULL);
	return 0;
}

/* --- Commands ------------------------------------------------------------ */

enum { CMD_ADD, CMD_SET, CMD_DEL, CMD_SHOW, CMD_HELP };

static const struct word peer_cmds[] = {
	{ "add", CMD_ADD }, { "set", CMD_SET }, { "del", CMD_DEL },
	{ "delete", CMD_DEL }, { "show", CMD_SHOW }, { "list", CMD_SHOW },
	{ "help", CMD_HELP },
};

enum { KW_ADDR, KW_PORT, KW_TRANSPORT, KW_KEEPALIVE, KW_TIMEOUT, KW_HELP };

static const struct word peer_add_kws[] = {
	{ "addr", KW_ADDR }, { "address", KW_ADDR }, { "port", KW_PORT },
	{ "transport", KW_TRANSPORT }, { "keepalive", KW_KEEPALIVE },
	{ "timeout", KW_TIMEOUT }, { "help", KW_HELP },
};

static const struct word peer_set_kws[] = {
	{ "keepalive", KW_KEEPALIVE }, { "timeout", KW_TIMEOUT },
	{ "help", KW_HELP },
};

static const struct word transport_words[] = {
	{ "rdma", MTIER_TRANSPORT_RDMA }, { "tcp", MTIER_TRANSPORT_TCP },
};

#define B(cmd) (1u << (cmd))

static const struct usage_line peer_usage_lines[] = {
	{ B(CMD_ADD), "mtier peer add NAME addr ADDR[:PORT] [ port PORT ] [ transport { rdma | tcp } ]" },
	{ B(CMD_ADD), "               [ keepalive MS ] [ timeout MS ]" },
	{ B(CMD_SET), "mtier peer set NAME [ keepalive MS ] [ timeout MS ]" },
	{ B(CMD_DEL), "mtier peer del NAME" },
	{ B(CMD_SHOW), "mtier peer [ show [ NAME ] ]" },
	{ B(CMD_ADD), "ADDR := { IPv4 | [IPv6] | IPv6 }  (default port 7471)" },
	{ B(CMD_ADD) | B(CMD_SET), "MS   := milliseconds (keepalive default 1000, timeout default 5000)" },
};

static void peer_usage(FILE *f, int cmd)
{
	usage_print(f, peer_usage_lines, N(peer_usage_lines),
		    cmd == CMD_HELP ? ~0u : B(cmd));
}

/* The NAME after a command; NULL after an error or after printing help. */
static const char *peer_name(struct args *a, int cmd, int *ret)
{
	const char *name = args_next(a);

	*ret = 0;
	if (is_help(name)) {
		peer_usage(stdout, cmd);
		return NULL;
	}
	if (!name)
		*ret = error("missing peer name");
	return name;
}

static int peer_add_set(struct args *a, int cmd)
{
	const struct word *kws = cmd == CMD_ADD ? peer_add_kws : peer_set_kws;
	size_t nkws = cmd == CMD_ADD ? N(peer_add_kws) : N(peer_set_kws);
	int port = -1, id, ret;
	unsigned int seen = 0;
	const char *name, *kw, *v;
	char *addr = NULL;
	struct nl_msg *req;
	uint32_t ms;
	uint16_t p;

	name = peer_name(a, cmd, &ret);
	if (!name)
		return ret;
	req = mt_req_new(cmd == CMD_ADD ? MTIER_CMD_PEER_ADD : MTIER_CMD_PEER_SET,
			 false);
	if (!req)
		return error("out of memory");
	ret = nla_put_string(req, MTIER_A_PEER_NAME, name) ?
	      error("request too large") : 0;
	while (!ret && args_left(a)) {
		kw = args_next(a);
		id = parse_word(kw, kws, nkws, "keyword");
		if (id < 0) {
			ret = -1;
			break;
		}
		if (id == KW_HELP) {
			peer_usage(stdout, cmd);
			nlmsg_free(req);
			free(addr);
			return 0;
		}
		ret = arg_once(&seen, id, kw);
		v = ret ? NULL : arg_value(a, kw);
		if (!v) {
			ret = -1;
			break;
		}
		switch (id) {
		case KW_ADDR:
			if (parse_endpoint(v, &addr, &port)) {
				ret = error("invalid address '%s' (ADDR[:PORT], [IPv6]:PORT or IPv6)", v);
				break;
			}
			if (port >= 0 && (seen & (1u << KW_PORT)))
				ret = error("the port is given twice");
			break;
		case KW_PORT:
			if (parse_u16(v, &p)) {
				ret = error("invalid port '%s'", v);
				break;
			}
			if (port >= 0)
				ret = error("the port is given twice");
			port = p;
			break;
		case KW_TRANSPORT:
			id = parse_word(v, transport_words, N(transport_words),
					"transport");
			if (id < 0)
				ret = -1;
			else if (nla_put_u32(req, MTIER_A_PEER_TRANSPORT, id))
				ret = error("request too large");
			break;
		case KW_KEEPALIVE:
		case KW_TIMEOUT:
			if (parse_ms(v, &ms)) {
				ret = error("invalid %s '%s' (milliseconds)", kw, v);
				break;
			}
			if (nla_put_u32(req, id == KW_KEEPALIVE ?
					MTIER_A_PEER_KEEPALIVE : MTIER_A_PEER_TIMEOUT,
					ms))
				ret = error("request too large");
			break;
		}
	}
	if (!ret && addr && nla_put_string(req, MTIER_A_PEER_ADDR, addr))
		ret = error("request too large");
	if (!ret && port >= 0 && nla_put_u16(req, MTIER_A_PEER_PORT, port))
		ret = error("request too large");
	free(addr);
	if (ret) {
		nlmsg_free(req);
		return ret;
	}
	return mt_request(req, &peer_set, NULL, NULL);
}

static int peer_del(struct args *a)
{
	struct nl_msg *req;
	const char *name;
	int ret;

	name = peer_name(a, CMD_DEL, &ret);
	if (!name)
		return ret;
	if (args_left(a)) {
		if (is_help(args_peek(a))) {
			peer_usage(stdout, CMD_DEL);
			return 0;
		}
		return error("unexpected argument '%s'", args_peek(a));
	}
	req = mt_req_new(MTIER_CMD_PEER_DEL, false);
	if (!req)
		return error("out of memory");
	if (nla_put_string(req, MTIER_A_PEER_NAME, name)) {
		nlmsg_free(req);
		return error("request too large");
	}
	return mt_request(req, &peer_set, NULL, NULL);
}

static int peer_show(struct args *a)
{
	const char *name = args_next(a);
	struct nl_msg *req;
	int ret;

	if (is_help(name) || is_help(args_peek(a))) {
		peer_usage(stdout, CMD_SHOW);
		return 0;
	}
	if (args_left(a))
		return error("unexpected argument '%s'", args_peek(a));
	req = mt_req_new(MTIER_CMD_PEER_GET, !name);
	if (!req)
		return error("out of memory");
	if (name && nla_put_string(req, MTIER_A_PEER_NAME, name)) {
		nlmsg_free(req);
		return error("request too large");
	}
	print_list_begin();
	ret = mt_request(req, &peer_set, peer_reply, NULL);
	if (ret)
		return ret;
	return print_list_end();
}

int do_peer(struct args *a)
{
	int cmd = CMD_SHOW;

	if (args_left(a)) {
		cmd = parse_word(args_next(a), peer_cmds, N(peer_cmds), "peer command");
		if (cmd < 0)
			return -1;
	}
	switch (cmd) {
	case CMD_ADD:
	case CMD_SET:
		return peer_add_set(a, cmd);
	case CMD_DEL:
		return peer_del(a);
	case CMD_SHOW:
		return peer_show(a);
	}
	peer_usage(stdout, CMD_HELP);
	return 0;
}
