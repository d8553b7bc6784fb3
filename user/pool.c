// SPDX-License-Identifier: GPL-2.0
/*
 * mtier(8): pools, the memory this node donates.
 *
 *   mtier pool add NAME size SIZE [ slab SIZE ] [ listen ADDR[:PORT] ]
 *                       [ port PORT ] [ transport { rdma | tcp } ]
 *   mtier pool set NAME size SIZE
 *   mtier pool del NAME
 *   mtier pool [ show [ NAME ] ]
 */
#include <stdio.h>
#include <stdlib.h>

#include <linux/mtier.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "mtier.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const pool_names[MTIER_A_POOL_MAX + 1] = {
	[MTIER_A_POOL_ID]	 = "id",
	[MTIER_A_POOL_NAME]	 = "name",
	[MTIER_A_POOL_SIZE]	 = "size",
	[MTIER_A_POOL_SLAB_SIZE] = "slab-size",
	[MTIER_A_POOL_ADDR]	 = "addr",
	[MTIER_A_POOL_PORT]	 = "port",
	[MTIER_A_POOL_TRANSPORT] = "transport",
	[MTIER_A_POOL_STATE]	 = "state",
	[MTIER_A_POOL_USED]	 = "used",
	[MTIER_A_POOL_FREE]	 = "free",
	[MTIER_A_POOL_CLIENTS]	 = "clients",
	[MTIER_A_POOL_STATS]	 = "stats",
};

static const struct attr_set pool_set = { pool_names, MTIER_A_POOL_MAX };

static const char *const pool_stats_names[MTIER_A_POOL_STATS_MAX + 1] = {
	[MTIER_A_POOL_STATS_SLAB_ALLOCS]  = "slab-allocs",
	[MTIER_A_POOL_STATS_SLAB_FREES]	  = "slab-frees",
	[MTIER_A_POOL_STATS_ALLOC_FAILS]  = "alloc-fails",
	[MTIER_A_POOL_STATS_CONNECTS]	  = "connects",
	[MTIER_A_POOL_STATS_PROTO_ERRORS] = "proto-errors",
};

static const struct attr_set pool_stats_set = {
	pool_stats_names, MTIER_A_POOL_STATS_MAX
};

static const char *const pool_state_names[] = {
	[MTIER_POOL_STATE_DOWN]	     = "down",
	[MTIER_POOL_STATE_LISTENING] = "listening",
};

/* Shared with peer.c. */
const char *const transport_names[2] = {
	[MTIER_TRANSPORT_RDMA] = "rdma",
	[MTIER_TRANSPORT_TCP]  = "tcp",
};

/* --- Output ------------------------------------------------------------- */

void pool_print(struct nl_msg *msg, const char *event)
{
	struct nlattr *tb[MTIER_A_POOL_MAX + 1] = {};

	if (mt_msg_parse(msg, tb, MTIER_A_POOL_MAX) < 0 || !tb[MTIER_A_POOL_NAME])
		return;
	print_obj_begin("pool", mt_get_str(tb[MTIER_A_POOL_NAME]), event);
	if (tb[MTIER_A_POOL_ID])
		print_uint("id", NULL, NULL, mt_get_u32(tb[MTIER_A_POOL_ID]));
	print_string("name", NULL, mt_get_str(tb[MTIER_A_POOL_NAME]));
	if (tb[MTIER_A_POOL_STATE])
		print_enum("state", "state", pool_state_names,
			   N(pool_state_names),
			   mt_get_u32(tb[MTIER_A_POOL_STATE]));
	if (tb[MTIER_A_POOL_SIZE])
		print_size("size", "size", mt_get_uint(tb[MTIER_A_POOL_SIZE]));
	if (tb[MTIER_A_POOL_SLAB_SIZE])
		print_size("slab-size", "slab",
			   mt_get_uint(tb[MTIER_A_POOL_SLAB_SIZE]));
	if (tb[MTIER_A_POOL_ADDR])
		print_endpoint("listen", "addr", "port",
			       mt_get_str(tb[MTIER_A_POOL_ADDR]),
			       tb[MTIER_A_POOL_PORT] ?
			       mt_get_u16(tb[MTIER_A_POOL_PORT]) : MTIER_DEFAULT_PORT);
	if (tb[MTIER_A_POOL_TRANSPORT])
		print_enum("transport", "transport", transport_names, 2,
			   mt_get_u32(tb[MTIER_A_POOL_TRANSPORT]));
	if (tb[MTIER_A_POOL_USED])
		print_size("used", "used", mt_get_uint(tb[MTIER_A_POOL_USED]));
	if (tb[MTIER_A_POOL_FREE])
		print_size("free", "free", mt_get_uint(tb[MTIER_A_POOL_FREE]));
	if (tb[MTIER_A_POOL_CLIENTS])
		print_uint("clients", "clients", NULL,
			   mt_get_u32(tb[MTIER_A_POOL_CLIENTS]));
	if (opts.stats && tb[MTIER_A_POOL_STATS]) {
		print_nest_begin("stats", "stats");
		print_counters(tb[MTIER_A_POOL_STATS], &pool_stats_set);
		print_nest_end();
	}
	print_obj_end();
}

static int pool_reply(struct nl_msg *msg, void *arg)
{
	(void)arg;
	pool_print(msg, NULL);
	return 0;
}

/* --- Commands ------------------------------------------------------------ */

enum { CMD_ADD, CMD_SET, CMD_DEL, CMD_SHOW, CMD_HELP };

static const struct word pool_cmds[] = {
	{ "add", CMD_ADD }, { "set", CMD_SET }, { "del", CMD_DEL },
	{ "delete", CMD_DEL }, { "show", CMD_SHOW }, { "list", CMD_SHOW },
	{ "help", CMD_HELP },
};

enum { KW_SIZE, KW_SLAB, KW_LISTEN, KW_PORT, KW_TRANSPORT, KW_HELP };

static const struct word pool_add_kws[] = {
	{ "size", KW_SIZE }, { "slab", KW_SLAB }, { "slab-size", KW_SLAB },
	{ "listen", KW_LISTEN }, { "port", KW_PORT },
	{ "transport", KW_TRANSPORT }, { "help", KW_HELP },
};

static const struct word pool_set_kws[] = {
	{ "size", KW_SIZE }, { "help", KW_HELP },
};

static const struct word transport_words[] = {
	{ "rdma", MTIER_TRANSPORT_RDMA }, { "tcp", MTIER_TRANSPORT_TCP },
};

#define B(cmd) (1u << (cmd))

static const struct usage_line pool_usage_lines[] = {
	{ B(CMD_ADD), "mtier pool add NAME size SIZE [ slab SIZE ] [ listen ADDR[:PORT] ]" },
	{ B(CMD_ADD), "               [ port PORT ] [ transport { rdma | tcp } ]" },
	{ B(CMD_SET), "mtier pool set NAME size SIZE" },
	{ B(CMD_DEL), "mtier pool del NAME" },
	{ B(CMD_SHOW), "mtier pool [ show [ NAME ] ]" },
	{ B(CMD_ADD) | B(CMD_SET), "SIZE := NUMBER[K|M|G|T]  (powers of 1024)" },
	{ B(CMD_ADD), "ADDR := { IPv4 | [IPv6] | IPv6 }  (default 0.0.0.0, port 7471)" },
};

static void pool_usage(FILE *f, int cmd)
{
	usage_print(f, pool_usage_lines, N(pool_usage_lines),
		    cmd == CMD_HELP ? ~0u : B(cmd));
}

/* The NAME after a command; NULL after an error or after printing help. */
static const char *pool_name(struct args *a, int cmd, int *ret)
{
	const char *name = args_next(a);

	*ret = 0;
	if (is_help(name)) {
		pool_usage(stdout, cmd);
		return NULL;
	}
	if (!name)
		*ret = error("missing pool name");
	return name;
}

static int pool_put_size(struct nl_msg *req, int type, const char *kw,
			 const char *v)
{
	uint64_t size;

	if (parse_size(v, &size))
		return error("invalid %s '%s'", kw, v);
	return nla_put_u64(req, type, size) ? error("request too large") : 0;
}

static int pool_add_set(struct args *a, int cmd)
{
	const struct word *kws = cmd == CMD_ADD ? pool_add_kws : pool_set_kws;
	size_t nkws = cmd == CMD_ADD ? N(pool_add_kws) : N(pool_set_kws);
	char *addr = NULL;
	int port = -1, id, ret;
	unsigned int seen = 0;
	struct nl_msg *req;
	const char *name, *kw, *v;
	uint16_t p;

	name = pool_name(a, cmd, &ret);
	if (!name)
		return ret;
	req = mt_req_new(cmd == CMD_ADD ? MTIER_CMD_POOL_ADD : MTIER_CMD_POOL_SET,
			 false);
	if (!req)
		return error("out of memory");
	ret = nla_put_string(req, MTIER_A_POOL_NAME, name) ?
	      error("request too large") : 0;
	while (!ret && args_left(a)) {
		kw = args_next(a);
		id = parse_word(kw, kws, nkws, "keyword");
		if (id < 0) {
			ret = -1;
			break;
		}
		if (id == KW_HELP) {
			pool_usage(stdout, cmd);
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
		case KW_SIZE:
			ret = pool_put_size(req, MTIER_A_POOL_SIZE, "size", v);
			break;
		case KW_SLAB:
			ret = pool_put_size(req, MTIER_A_POOL_SLAB_SIZE, "slab size", v);
			break;
		case KW_LISTEN:
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
			else if (nla_put_u32(req, MTIER_A_POOL_TRANSPORT, id))
				ret = error("request too large");
			break;
		}
	}
	if (!ret && addr && nla_put_string(req, MTIER_A_POOL_ADDR, addr))
		ret = error("request too large");
	if (!ret && port >= 0 && nla_put_u16(req, MTIER_A_POOL_PORT, port))
		ret = error("request too large");
	free(addr);
	if (ret) {
		nlmsg_free(req);
		return ret;
	}
	return mt_request(req, &pool_set, NULL, NULL);
}

static int pool_del(struct args *a)
{
	struct nl_msg *req;
	const char *name;
	int ret;

	name = pool_name(a, CMD_DEL, &ret);
	if (!name)
		return ret;
	if (args_left(a)) {
		if (is_help(args_peek(a))) {
			pool_usage(stdout, CMD_DEL);
			return 0;
		}
		return error("unexpected argument '%s'", args_peek(a));
	}
	req = mt_req_new(MTIER_CMD_POOL_DEL, false);
	if (!req)
		return error("out of memory");
	if (nla_put_string(req, MTIER_A_POOL_NAME, name)) {
		nlmsg_free(req);
		return error("request too large");
	}
	return mt_request(req, &pool_set, NULL, NULL);
}

static int pool_show(struct args *a)
{
	const char *name = args_next(a);
	struct nl_msg *req;
	int ret;

	if (is_help(name) || is_help(args_peek(a))) {
		pool_usage(stdout, CMD_SHOW);
		return 0;
	}
	if (args_left(a))
		return error("unexpected argument '%s'", args_peek(a));
	req = mt_req_new(MTIER_CMD_POOL_GET, !name);
	if (!req)
		return error("out of memory");
	if (name && nla_put_string(req, MTIER_A_POOL_NAME, name)) {
		nlmsg_free(req);
		return error("request too large");
	}
	print_list_begin();
	ret = mt_request(req, &pool_set, pool_reply, NULL);
	if (ret)
		return ret;
	return print_list_end();
}

int do_pool(struct args *a)
{
	int cmd = CMD_SHOW;

	if (args_left(a)) {
		cmd = parse_word(args_next(a), pool_cmds, N(pool_cmds), "pool command");
		if (cmd < 0)
			return -1;
	}
	switch (cmd) {
	case CMD_ADD:
	case CMD_SET:
		return pool_add_set(a, cmd);
	case CMD_DEL:
		return pool_del(a);
	case CMD_SHOW:
		return pool_show(a);
	}
	pool_usage(stdout, CMD_HELP);
	return 0;
}
