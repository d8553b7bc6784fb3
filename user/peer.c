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
#include <string.h>

#include <linux/mtier.h>
#include <netlink/attr.h>

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
	[MTIER_A_PEER_SLAB_SIZE] = "slab-size",
	[MTIER_A_PEER_DONOR_FREE] = "donor-free",
	[MTIER_A_PEER_ERROR]	 = "error",
	[MTIER_A_PEER_STATS]	 = "stats",
};

static const struct attr_set peer_set = {
	.names = peer_names, .max = MTIER_A_PEER_MAX,
};

static const char *const peer_stats_names[MTIER_A_PEER_STATS_MAX + 1] = {
	[MTIER_A_PEER_STATS_SLABS]    = "slabs",
	[MTIER_A_PEER_STATS_CONNECTS] = "connects",
	[MTIER_A_PEER_STATS_ERRORS]   = "errors",
	[MTIER_A_PEER_STATS_TIMEOUTS] = "timeouts",
	[MTIER_A_PEER_STATS_SQ_WAITS] = "sq-waits",
};

static const struct attr_set peer_stats_set = {
	.names = peer_stats_names, .max = MTIER_A_PEER_STATS_MAX,
};

static const char *const peer_state_names[] = {
	[MTIER_PEER_STATE_DOWN]	      = "down",
	[MTIER_PEER_STATE_CONNECTING] = "connecting",
	[MTIER_PEER_STATE_UP]	      = "up",
	[MTIER_PEER_STATE_FAILED]     = "failed",
};

/* --- Output ------------------------------------------------------------- */

static void peer_print(struct nl_msg *msg, const char *event)
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
	/* What the donor said; unknown until the first connection. */
	if (tb[MTIER_A_PEER_SLAB_SIZE] && mt_get_uint(tb[MTIER_A_PEER_SLAB_SIZE])) {
		print_size("slab-size", "slab", mt_get_uint(tb[MTIER_A_PEER_SLAB_SIZE]));
		if (tb[MTIER_A_PEER_DONOR_FREE])
			print_size("donor-free", "donor-free",
				   mt_get_uint(tb[MTIER_A_PEER_DONOR_FREE]));
	}
	if (tb[MTIER_A_PEER_ERROR]) {
		uint32_t err = mt_get_u32(tb[MTIER_A_PEER_ERROR]);

		if (opts.json)
			print_uint("error", NULL, NULL, err);
		else if (err)
			print_string(NULL, "error", strerrorname_np(err) ?: "?");
	}
	if (opts.stats && tb[MTIER_A_PEER_STATS]) {
		print_nest_begin("stats", "stats");
		print_counters(tb[MTIER_A_PEER_STATS], &peer_stats_set);
		print_nest_end();
	}
	print_obj_end();
}

/* --- Save ---------------------------------------------------------------- */

/* The kernel's defaults (kernel/mtier.h), which save leaves out. */
#define PEER_KEEPALIVE_DEFAULT	1000
#define PEER_TIMEOUT_DEFAULT	5000

static void peer_save(struct nl_msg *msg)
{
	struct nlattr *tb[MTIER_A_PEER_MAX + 1] = {};

	if (mt_msg_parse(msg, tb, MTIER_A_PEER_MAX) < 0 ||
	    !tb[MTIER_A_PEER_NAME] || !tb[MTIER_A_PEER_ADDR])
		return;
	save_begin("peer", mt_get_str(tb[MTIER_A_PEER_NAME]));
	save_endpoint("addr", mt_get_str(tb[MTIER_A_PEER_ADDR]),
		      tb[MTIER_A_PEER_PORT] ?
		      mt_get_u16(tb[MTIER_A_PEER_PORT]) : MTIER_DEFAULT_PORT,
		      false);
	save_enum_attr("transport", tb[MTIER_A_PEER_TRANSPORT], transport_names,
		       N(transport_names), MTIER_TRANSPORT_RDMA);
	save_uint_attr("keepalive", tb[MTIER_A_PEER_KEEPALIVE],
		       PEER_KEEPALIVE_DEFAULT);
	save_uint_attr("timeout", tb[MTIER_A_PEER_TIMEOUT], PEER_TIMEOUT_DEFAULT);
	save_end();
}

/* --- Commands ------------------------------------------------------------ */

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

static const struct kw_value peer_values[] = {
	{ .id = KW_TRANSPORT, .words = transport_words,
	  .n = N(transport_words) },
};

#define B(cmd) CMD_BIT(cmd)

static const struct usage_line peer_usage_lines[] = {
	{ B(CMD_ADD), "mtier peer add NAME addr ADDR[:PORT] [ port PORT ] [ transport { rdma | tcp } ]" },
	{ B(CMD_ADD), "               [ keepalive MS ] [ timeout MS ]" },
	{ B(CMD_SET), "mtier peer set NAME [ keepalive MS ] [ timeout MS ]" },
	{ B(CMD_DEL), "mtier peer del NAME" },
	{ B(CMD_SHOW), "mtier peer [ show [ NAME ] ]" },
	{ B(CMD_ADD), "ADDR := { IPv4 | [IPv6] | IPv6 }  (default port 7471)" },
	{ B(CMD_ADD) | B(CMD_SET), "MS   := milliseconds (keepalive default 1000, timeout default 5000)" },
};

/* Milliseconds, also as mtier prints them ("1000ms"). */
static int peer_put_ms(struct obj_req *r, int type, const char *kw,
		       const char *v)
{
	uint32_t ms;

	if (parse_ms(v, &ms))
		return error("invalid %s '%s' (milliseconds)", kw, v);
	return nla_put_u32(r->msg, type, ms) ? error("request too large") : 0;
}

static int peer_put(struct obj_req *r, int id, const char *kw, const char *v)
{
	switch (id) {
	case KW_ADDR:
		return obj_put_endpoint(r, v, KW_PORT);
	case KW_PORT:
		return obj_put_port(r, v);
	case KW_TRANSPORT:
		return obj_put_transport(r, MTIER_A_PEER_TRANSPORT, v);
	case KW_KEEPALIVE:
		return peer_put_ms(r, MTIER_A_PEER_KEEPALIVE, kw, v);
	case KW_TIMEOUT:
		return peer_put_ms(r, MTIER_A_PEER_TIMEOUT, kw, v);
	}
	return 0;
}

const struct mt_kind peer_kind = {
	.name = "peer",
	.cmd_get = MTIER_CMD_PEER_GET, .cmd_add = MTIER_CMD_PEER_ADD,
	.cmd_set = MTIER_CMD_PEER_SET, .cmd_del = MTIER_CMD_PEER_DEL,
	.attr_name = MTIER_A_PEER_NAME, .set = &peer_set,
	.usage = peer_usage_lines, .n_usage = N(peer_usage_lines),
	.add_kws = peer_add_kws, .n_add_kws = N(peer_add_kws),
	.set_kws = peer_set_kws, .n_set_kws = N(peer_set_kws),
	.kw_help = KW_HELP, .put = peer_put,
	.attr_addr = MTIER_A_PEER_ADDR, .attr_port = MTIER_A_PEER_PORT,
	.print = peer_print, .save = peer_save,
	.values = peer_values, .n_values = N(peer_values),
};
