// SPDX-License-Identifier: GPL-2.0
/*
 * mtier(8): pools, the memory this node donates.
 *
 *   mtier pool add NAME size SIZE [ slab SIZE ] [ listen ADDR[:PORT] ]
 *                       [ port PORT ] [ transport { rdma | tcp } ]
 *                       [ lease MS ] [ max-clients N ] [ max-clients-addr N ]
 *                       [ max-client-size SIZE ]
 *   mtier pool set NAME [ size SIZE ] [ lease MS ] [ max-clients N ]
 *                       [ max-clients-addr N ] [ max-client-size SIZE ]
 *   mtier pool del NAME [ force ]
 *   mtier pool [ show [ NAME ] ]
 */
#include <linux/mtier.h>

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
	[MTIER_A_POOL_LEASE]	 = "lease",
	[MTIER_A_POOL_MAX_CLIENTS] = "max-clients",
	[MTIER_A_POOL_MAX_CLIENTS_ADDR] = "max-clients-addr",
	[MTIER_A_POOL_MAX_CLIENT_SIZE] = "max-client-size",
	[MTIER_A_POOL_FORCE]	 = "force",
};

static const struct attr_set pool_set = {
	.names = pool_names, .max = MTIER_A_POOL_MAX,
};

static const char *const pool_stats_names[MTIER_A_POOL_STATS_MAX + 1] = {
	[MTIER_A_POOL_STATS_SLAB_ALLOCS]  = "slab-allocs",
	[MTIER_A_POOL_STATS_SLAB_FREES]	  = "slab-frees",
	[MTIER_A_POOL_STATS_ALLOC_FAILS]  = "alloc-fails",
	[MTIER_A_POOL_STATS_CONNECTS]	  = "connects",
	[MTIER_A_POOL_STATS_PROTO_ERRORS] = "proto-errors",
	[MTIER_A_POOL_STATS_CTRL_MSGS]    = "ctrl-msgs",
	[MTIER_A_POOL_STATS_LEASE_EXPIRIES] = "lease-expiries",
	[MTIER_A_POOL_STATS_REFUSED]	  = "refused",
	[MTIER_A_POOL_STATS_JOIN_FAILS]	  = "join-fails",
};

static const struct attr_set pool_stats_set = {
	.names = pool_stats_names, .max = MTIER_A_POOL_STATS_MAX,
};

static const char *const pool_state_names[] = {
	[MTIER_POOL_STATE_DOWN]	     = "down",
	[MTIER_POOL_STATE_LISTENING] = "listening",
};

/* --- Output ------------------------------------------------------------- */

static void pool_print(struct nl_msg *msg, const char *event)
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
	if (tb[MTIER_A_POOL_LEASE])
		print_uint("lease", "lease", "ms",
			   mt_get_u32(tb[MTIER_A_POOL_LEASE]));
	if (tb[MTIER_A_POOL_MAX_CLIENTS])
		print_uint("max-clients", "max-clients", NULL,
			   mt_get_u32(tb[MTIER_A_POOL_MAX_CLIENTS]));
	if (tb[MTIER_A_POOL_MAX_CLIENTS_ADDR])
		print_uint("max-clients-addr", "max-clients-addr", NULL,
			   mt_get_u32(tb[MTIER_A_POOL_MAX_CLIENTS_ADDR]));
	/* 0: no limit but the pool's size */
	if (tb[MTIER_A_POOL_MAX_CLIENT_SIZE] &&
	    mt_get_uint(tb[MTIER_A_POOL_MAX_CLIENT_SIZE]))
		print_size("max-client-size", "max-client-size",
			   mt_get_uint(tb[MTIER_A_POOL_MAX_CLIENT_SIZE]));
	if (opts.stats && tb[MTIER_A_POOL_STATS]) {
		print_nest_begin("stats", "stats");
		print_counters(tb[MTIER_A_POOL_STATS], &pool_stats_set);
		print_nest_end();
	}
	print_obj_end();
}

/* --- Save ---------------------------------------------------------------- */

/* The kernel's defaults (kernel/mtier.h), which save leaves out. */
#define POOL_SLAB_DEFAULT		(64ULL << 20)
#define POOL_LEASE_DEFAULT		15000
#define POOL_MAX_CLIENTS_DEFAULT	64
#define POOL_MAX_CLIENTS_ADDR_DEFAULT	4

static void pool_save(struct nl_msg *msg)
{
	struct nlattr *tb[MTIER_A_POOL_MAX + 1] = {};
	uint64_t size, def;

	if (mt_msg_parse(msg, tb, MTIER_A_POOL_MAX) < 0 ||
	    !tb[MTIER_A_POOL_NAME] || !tb[MTIER_A_POOL_SIZE])
		return;
	save_begin("pool", mt_get_str(tb[MTIER_A_POOL_NAME]));
	size = mt_get_uint(tb[MTIER_A_POOL_SIZE]);
	save_size("size", size);
	/*
	 * By default the largest power of two up to 64M that divides the
	 * size: the size now, which is the size the replay gives.
	 */
	def = size & -size;
	if (def > POOL_SLAB_DEFAULT)
		def = POOL_SLAB_DEFAULT;
	save_size_attr("slab", tb[MTIER_A_POOL_SLAB_SIZE], def);
	if (tb[MTIER_A_POOL_ADDR])
		save_endpoint("listen", mt_get_str(tb[MTIER_A_POOL_ADDR]),
			      tb[MTIER_A_POOL_PORT] ?
			      mt_get_u16(tb[MTIER_A_POOL_PORT]) : MTIER_DEFAULT_PORT,
			      true);
	save_enum_attr("transport", tb[MTIER_A_POOL_TRANSPORT], transport_names,
		       N(transport_names), MTIER_TRANSPORT_RDMA);
	save_uint_attr("lease", tb[MTIER_A_POOL_LEASE], POOL_LEASE_DEFAULT);
	save_uint_attr("max-clients", tb[MTIER_A_POOL_MAX_CLIENTS],
		       POOL_MAX_CLIENTS_DEFAULT);
	save_uint_attr("max-clients-addr", tb[MTIER_A_POOL_MAX_CLIENTS_ADDR],
		       POOL_MAX_CLIENTS_ADDR_DEFAULT);
	save_size_attr("max-client-size", tb[MTIER_A_POOL_MAX_CLIENT_SIZE], 0);
	save_end();
}

/* --- Commands ------------------------------------------------------------ */

enum {
	KW_SIZE, KW_SLAB, KW_LISTEN, KW_PORT, KW_TRANSPORT, KW_LEASE,
	KW_MAX_CLIENTS, KW_MAX_CLIENTS_ADDR, KW_MAX_CLIENT_SIZE, KW_HELP
};

static const struct word pool_add_kws[] = {
	{ "size", KW_SIZE }, { "slab", KW_SLAB }, { "slab-size", KW_SLAB },
	{ "listen", KW_LISTEN }, { "port", KW_PORT },
	{ "transport", KW_TRANSPORT }, { "lease", KW_LEASE },
	{ "max-clients", KW_MAX_CLIENTS },
	{ "max-clients-addr", KW_MAX_CLIENTS_ADDR },
	{ "max-client-size", KW_MAX_CLIENT_SIZE }, { "help", KW_HELP },
};

static const struct word pool_set_kws[] = {
	{ "size", KW_SIZE }, { "lease", KW_LEASE },
	{ "max-clients", KW_MAX_CLIENTS },
	{ "max-clients-addr", KW_MAX_CLIENTS_ADDR },
	{ "max-client-size", KW_MAX_CLIENT_SIZE }, { "help", KW_HELP },
};

static const struct kw_value pool_values[] = {
	{ .id = KW_TRANSPORT, .words = transport_words,
	  .n = N(transport_words) },
};

#define B(cmd) CMD_BIT(cmd)

static const struct usage_line pool_usage_lines[] = {
	{ B(CMD_ADD), "mtier pool add NAME size SIZE [ slab SIZE ] [ listen ADDR[:PORT] ]" },
	{ B(CMD_ADD), "               [ port PORT ] [ transport { rdma | tcp } ] [ LIMITS ]" },
	{ B(CMD_SET), "mtier pool set NAME [ size SIZE ] [ LIMITS ]" },
	{ B(CMD_DEL), "mtier pool del NAME [ force ]" },
	{ B(CMD_SHOW), "mtier pool [ show [ NAME ] ]" },
	{ B(CMD_ADD) | B(CMD_SET), "SIZE := NUMBER[K|M|G|T]  (powers of 1024)" },
	{ B(CMD_ADD), "ADDR := { IPv4 | [IPv6] | IPv6 }  (default 0.0.0.0, port 7471)" },
	{ B(CMD_ADD) | B(CMD_SET), "LIMITS := [ lease MS ] [ max-clients N ] [ max-clients-addr N ]" },
	{ B(CMD_ADD) | B(CMD_SET), "          [ max-client-size SIZE ]  (defaults 15000 ms, 64, 4, none)" },
};

static int pool_put(struct obj_req *r, int id, const char *kw, const char *v)
{
	(void)kw;
	switch (id) {
	case KW_SIZE:
		return obj_put_size(r, MTIER_A_POOL_SIZE, "size", v);
	case KW_SLAB:
		return obj_put_size(r, MTIER_A_POOL_SLAB_SIZE, "slab size", v);
	case KW_LISTEN:
		return obj_put_endpoint(r, v, KW_PORT);
	case KW_PORT:
		return obj_put_port(r, v);
	case KW_TRANSPORT:
		return obj_put_transport(r, MTIER_A_POOL_TRANSPORT, v);
	case KW_LEASE:
		return obj_put_u32(r, MTIER_A_POOL_LEASE, "lease", v);
	case KW_MAX_CLIENTS:
		return obj_put_u32(r, MTIER_A_POOL_MAX_CLIENTS, "max-clients", v);
	case KW_MAX_CLIENTS_ADDR:
		return obj_put_u32(r, MTIER_A_POOL_MAX_CLIENTS_ADDR,
				   "max-clients-addr", v);
	case KW_MAX_CLIENT_SIZE:
		return obj_put_size(r, MTIER_A_POOL_MAX_CLIENT_SIZE,
				    "max-client-size", v);
	}
	return 0;
}

const struct mt_kind pool_kind = {
	.name = "pool",
	.cmd_get = MTIER_CMD_POOL_GET, .cmd_add = MTIER_CMD_POOL_ADD,
	.cmd_set = MTIER_CMD_POOL_SET, .cmd_del = MTIER_CMD_POOL_DEL,
	.attr_name = MTIER_A_POOL_NAME, .set = &pool_set,
	.usage = pool_usage_lines, .n_usage = N(pool_usage_lines),
	.add_kws = pool_add_kws, .n_add_kws = N(pool_add_kws),
	.set_kws = pool_set_kws, .n_set_kws = N(pool_set_kws),
	.kw_help = KW_HELP, .put = pool_put,
	.attr_addr = MTIER_A_POOL_ADDR, .attr_port = MTIER_A_POOL_PORT,
	.attr_force = MTIER_A_POOL_FORCE,
	.print = pool_print, .save = pool_save,
	.values = pool_values, .n_values = N(pool_values),
};
