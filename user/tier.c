// SPDX-License-Identifier: GPL-2.0
/*
 * mtier(8): tiers, remote memory presented as a block device.
 *
 *   mtier tier add NAME size SIZE peer PEER[,PEER...] [ replicas N ]
 *                       [ prefetch { off | sequential | adaptive } ]
 *                       [ window-max N ] [ history N ] [ cache SIZE ]
 *   mtier tier set NAME [ prefetch ... ] [ window-max N ] [ history N ]
 *                       [ cache SIZE ]
 *   mtier tier del NAME
 *   mtier tier [ show [ NAME ] ]
 */
#include <stdlib.h>
#include <string.h>

#include <linux/mtier.h>
#include <netlink/attr.h>

#include "mtier.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const tier_names[MTIER_A_TIER_MAX + 1] = {
	[MTIER_A_TIER_ID]	  = "id",
	[MTIER_A_TIER_NAME]	  = "name",
	[MTIER_A_TIER_SIZE]	  = "size",
	[MTIER_A_TIER_PEER]	  = "peer",
	[MTIER_A_TIER_REPLICAS]	  = "replicas",
	[MTIER_A_TIER_PREFETCH]	  = "prefetch",
	[MTIER_A_TIER_WINDOW_MAX] = "window-max",
	[MTIER_A_TIER_HISTORY]	  = "history",
	[MTIER_A_TIER_CACHE_SIZE] = "cache-size",
	[MTIER_A_TIER_DEV]	  = "dev",
	[MTIER_A_TIER_STATE]	  = "state",
	[MTIER_A_TIER_STATS]	  = "stats",
	[MTIER_A_TIER_RESYNC_RATE] = "resync-rate",
};

static const struct attr_set tier_set = {
	.names = tier_names, .max = MTIER_A_TIER_MAX,
};

static const char *const tier_stats_names[MTIER_A_TIER_STATS_MAX + 1] = {
	[MTIER_A_TIER_STATS_READS]		= "reads",
	[MTIER_A_TIER_STATS_WRITES]		= "writes",
	[MTIER_A_TIER_STATS_READ_BYTES]		= "read-bytes",
	[MTIER_A_TIER_STATS_WRITE_BYTES]	= "write-bytes",
	[MTIER_A_TIER_STATS_DISCARDS]		= "discards",
	[MTIER_A_TIER_STATS_FLUSHES]		= "flushes",
	[MTIER_A_TIER_STATS_INFLIGHT]		= "inflight",
	[MTIER_A_TIER_STATS_ERRORS]		= "errors",
	[MTIER_A_TIER_STATS_TIMEOUTS]		= "timeouts",
	[MTIER_A_TIER_STATS_PREFETCH_ISSUED]	= "prefetch-issued",
	[MTIER_A_TIER_STATS_PREFETCH_HITS]	= "prefetch-hits",
	[MTIER_A_TIER_STATS_PREFETCH_LATE_HITS]	= "prefetch-late-hits",
	[MTIER_A_TIER_STATS_PREFETCH_UNUSED]	= "prefetch-unused",
	[MTIER_A_TIER_STATS_CACHE_BYTES]	= "cache-bytes",
	[MTIER_A_TIER_STATS_DEMAND_MISSES]	= "demand-misses",
	[MTIER_A_TIER_STATS_LAT_HIST]		= "lat-hist",
	[MTIER_A_TIER_STATS_READ_RETRIES]	= "read-retries",
	[MTIER_A_TIER_STATS_COPY_FAILURES]	= "copy-failures",
	[MTIER_A_TIER_STATS_RESYNC_BYTES]	= "resync-bytes",
	[MTIER_A_TIER_STATS_SLABS_HEALED]	= "slabs-healed",
	[MTIER_A_TIER_STATS_DEGRADED_SLABS]	= "degraded-slabs",
};

static const struct attr_set tier_stats_set = {
	.names = tier_stats_names, .max = MTIER_A_TIER_STATS_MAX,
	.skip = MTIER_A_TIER_STATS_LAT_HIST,
};

#define LAT_BUCKETS 32

/*
 * The latency histogram: entry i counts requests that took [2^i, 2^(i+1))
 * microseconds.  JSON gets it whole; text gets the median and the 99th
 * percentile, as the upper bound of the bucket they fall in.
 */
static void tier_print_latency(const struct nlattr *nest)
{
	uint64_t hist[LAT_BUCKETS], total = 0, seen = 0;
	const struct nlattr *a;
	int n = 0, i, rem;
	long p50 = -1, p99 = -1;

	nla_for_each_nested(a, nest, rem)
		if (nla_type(a) == MTIER_A_TIER_STATS_LAT_HIST && n < LAT_BUCKETS)
			total += hist[n++] = mt_get_uint(a);
	if (!n)
		return;
	print_uint_array("lat-hist", hist, n);
	if (opts.json || !total)
		return;
	for (i = 0; i < n; i++) {
		seen += hist[i];
		if (p50 < 0 && 2 * seen >= total)
			p50 = 2L << i;
		if (p99 < 0 && 100 * seen >= 99 * total)
			p99 = 2L << i;
	}
	print_uint(NULL, "lat-p50<", "us", p50);
	print_uint(NULL, "lat-p99<", "us", p99);
}

static const char *const tier_state_names[] = {
	[MTIER_TIER_STATE_DOWN]	    = "down",
	[MTIER_TIER_STATE_LIVE]	    = "live",
	[MTIER_TIER_STATE_DEGRADED] = "degraded",
	[MTIER_TIER_STATE_RESYNCING] = "resyncing",
};

static const char *const prefetch_names[] = {
	[MTIER_PREFETCH_OFF]	    = "off",
	[MTIER_PREFETCH_SEQUENTIAL] = "sequential",
	[MTIER_PREFETCH_ADAPTIVE]   = "adaptive",
};

/* --- Output ------------------------------------------------------------- */

static void tier_print_stats(const struct nlattr *nest)
{
	struct nlattr *tb[MTIER_A_TIER_STATS_MAX + 1] = {};
	uint64_t issued = 0, hits = 0, misses = 0;

	print_nest_begin("stats", "stats");
	print_counters(nest, &tier_stats_set);
	tier_print_latency(nest);
	if (nla_parse_nested(tb, MTIER_A_TIER_STATS_MAX,
			     (struct nlattr *)nest, NULL) >= 0) {
		if (tb[MTIER_A_TIER_STATS_PREFETCH_ISSUED])
			issued = mt_get_uint(tb[MTIER_A_TIER_STATS_PREFETCH_ISSUED]);
		if (tb[MTIER_A_TIER_STATS_PREFETCH_HITS])
			hits = mt_get_uint(tb[MTIER_A_TIER_STATS_PREFETCH_HITS]);
		if (tb[MTIER_A_TIER_STATS_PREFETCH_LATE_HITS])
			hits += mt_get_uint(tb[MTIER_A_TIER_STATS_PREFETCH_LATE_HITS]);
		if (tb[MTIER_A_TIER_STATS_DEMAND_MISSES])
			misses = mt_get_uint(tb[MTIER_A_TIER_STATS_DEMAND_MISSES]);
	}
	/*
	 * Derived: accuracy, the share of prefetched pages a read then used;
	 * coverage, the share of read pages that came from the prefetcher.
	 */
	if (issued)
		print_percent("accuracy", "accuracy", 100.0 * hits / issued);
	if (hits + misses)
		print_percent("coverage", "coverage", 100.0 * hits / (hits + misses));
	print_nest_end();
}

static void tier_print(struct nl_msg *msg, const char *event)
{
	struct nlattr *tb[MTIER_A_TIER_MAX + 1] = {};
	const struct nlattr *a;
	struct nlattr *head;
	int len, rem;

	if (mt_msg_parse(msg, tb, MTIER_A_TIER_MAX) < 0 || !tb[MTIER_A_TIER_NAME])
		return;
	print_obj_begin("tier", mt_get_str(tb[MTIER_A_TIER_NAME]), event);
	if (tb[MTIER_A_TIER_ID])
		print_uint("id", NULL, NULL, mt_get_u32(tb[MTIER_A_TIER_ID]));
	print_string("name", NULL, mt_get_str(tb[MTIER_A_TIER_NAME]));
	if (tb[MTIER_A_TIER_STATE])
		print_enum("state", "state", tier_state_names, N(tier_state_names),
			   mt_get_u32(tb[MTIER_A_TIER_STATE]));
	if (tb[MTIER_A_TIER_DEV])
		print_string("dev", "dev", mt_get_str(tb[MTIER_A_TIER_DEV]));
	if (tb[MTIER_A_TIER_SIZE])
		print_size("size", "size", mt_get_uint(tb[MTIER_A_TIER_SIZE]));
	/* Repeated attribute: the parse above kept only the last one. */
	if (tb[MTIER_A_TIER_PEER]) {
		print_array_begin("peer", "peer");
		head = mt_msg_attrs(msg, &len);
		nla_for_each_attr(a, head, len, rem)
			if (nla_type(a) == MTIER_A_TIER_PEER)
				print_array_string(mt_get_str(a));
		print_array_end();
	}
	if (tb[MTIER_A_TIER_REPLICAS])
		print_uint("replicas", "replicas", NULL,
			   mt_get_u32(tb[MTIER_A_TIER_REPLICAS]));
	if (tb[MTIER_A_TIER_PREFETCH])
		print_enum("prefetch", "prefetch", prefetch_names, N(prefetch_names),
			   mt_get_u32(tb[MTIER_A_TIER_PREFETCH]));
	if (tb[MTIER_A_TIER_WINDOW_MAX])
		print_uint("window-max", "window-max", NULL,
			   mt_get_u32(tb[MTIER_A_TIER_WINDOW_MAX]));
	if (tb[MTIER_A_TIER_HISTORY])
		print_uint("history", "history", NULL,
			   mt_get_u32(tb[MTIER_A_TIER_HISTORY]));
	if (tb[MTIER_A_TIER_CACHE_SIZE])
		print_size("cache-size", "cache",
			   mt_get_uint(tb[MTIER_A_TIER_CACHE_SIZE]));
	if (tb[MTIER_A_TIER_RESYNC_RATE])
		print_size("resync-rate", "resync-rate",
			   mt_get_uint(tb[MTIER_A_TIER_RESYNC_RATE]));
	if (opts.stats && tb[MTIER_A_TIER_STATS])
		tier_print_stats(tb[MTIER_A_TIER_STATS]);
	print_obj_end();
}

/* --- Save ---------------------------------------------------------------- */

/* The kernel's defaults (kernel/mtier.h), which save leaves out. */
#define TIER_WINDOW_DEFAULT	32
#define TIER_HISTORY_DEFAULT	32
#define TIER_CACHE_DEFAULT	(32ULL << 20)

static void tier_save(struct nl_msg *msg)
{
	struct nlattr *tb[MTIER_A_TIER_MAX + 1] = {};
	const struct nlattr *a;
	struct nlattr *head;
	const char *sep = " peer ";
	int len, rem;

	if (mt_msg_parse(msg, tb, MTIER_A_TIER_MAX) < 0 ||
	    !tb[MTIER_A_TIER_NAME] || !tb[MTIER_A_TIER_SIZE])
		return;
	save_begin("tier", mt_get_str(tb[MTIER_A_TIER_NAME]));
	save_size("size", mt_get_uint(tb[MTIER_A_TIER_SIZE]));
	/* Repeated attribute, in the tier's order: "peer d1,d2". */
	head = mt_msg_attrs(msg, &len);
	nla_for_each_attr(a, head, len, rem) {
		if (nla_type(a) != MTIER_A_TIER_PEER)
			continue;
		printf("%s%s", sep, mt_get_str(a));
		sep = ",";
	}
	save_uint_attr("replicas", tb[MTIER_A_TIER_REPLICAS], 1);
	save_enum_attr("prefetch", tb[MTIER_A_TIER_PREFETCH], prefetch_names,
		       N(prefetch_names), MTIER_PREFETCH_OFF);
	save_uint_attr("window-max", tb[MTIER_A_TIER_WINDOW_MAX],
		       TIER_WINDOW_DEFAULT);
	save_uint_attr("history", tb[MTIER_A_TIER_HISTORY], TIER_HISTORY_DEFAULT);
	save_size_attr("cache", tb[MTIER_A_TIER_CACHE_SIZE], TIER_CACHE_DEFAULT);
	save_size_attr("resync-rate", tb[MTIER_A_TIER_RESYNC_RATE], 0);
	save_end();
}

/* --- Commands ------------------------------------------------------------ */

enum {
	KW_SIZE, KW_PEER, KW_REPLICAS, KW_PREFETCH, KW_WINDOW_MAX, KW_HISTORY,
	KW_CACHE, KW_RESYNC_RATE, KW_HELP,
};

static const struct word tier_add_kws[] = {
	{ "size", KW_SIZE }, { "peer", KW_PEER }, { "replicas", KW_REPLICAS },
	{ "prefetch", KW_PREFETCH }, { "window-max", KW_WINDOW_MAX },
	{ "history", KW_HISTORY }, { "cache", KW_CACHE },
	{ "cache-size", KW_CACHE }, { "resync-rate", KW_RESYNC_RATE },
	{ "help", KW_HELP },
};

static const struct word tier_set_kws[] = {
	{ "prefetch", KW_PREFETCH }, { "window-max", KW_WINDOW_MAX },
	{ "history", KW_HISTORY }, { "cache", KW_CACHE },
	{ "cache-size", KW_CACHE }, { "resync-rate", KW_RESYNC_RATE },
	{ "help", KW_HELP },
};

static const struct word prefetch_words[] = {
	{ "off", MTIER_PREFETCH_OFF }, { "sequential", MTIER_PREFETCH_SEQUENTIAL },
	{ "adaptive", MTIER_PREFETCH_ADAPTIVE },
};

static const struct kw_value tier_values[] = {
	{ .id = KW_PEER, .kind = &peer_kind },
	{ .id = KW_PREFETCH, .words = prefetch_words, .n = N(prefetch_words) },
};

#define B(cmd) CMD_BIT(cmd)

static const struct usage_line tier_usage_lines[] = {
	{ B(CMD_ADD), "mtier tier add NAME size SIZE peer PEER[,PEER...] [ replicas N ]" },
	{ B(CMD_ADD), "               [ prefetch { off | sequential | adaptive } ]" },
	{ B(CMD_ADD), "               [ window-max N ] [ history N ] [ cache SIZE ]" },
	{ B(CMD_ADD), "               [ resync-rate SIZE ]" },
	{ B(CMD_SET), "mtier tier set NAME [ prefetch { off | sequential | adaptive } ]" },
	{ B(CMD_SET), "               [ window-max N ] [ history N ] [ cache SIZE ]" },
	{ B(CMD_SET), "               [ resync-rate SIZE ]" },
	{ B(CMD_DEL), "mtier tier del NAME" },
	{ B(CMD_SHOW), "mtier tier [ show [ NAME ] ]" },
	{ B(CMD_ADD) | B(CMD_SET), "SIZE := NUMBER[K|M|G|T]  (powers of 1024)" },
	{ B(CMD_ADD), "peer may be repeated; each PEER is the name of a peer" },
};

/* "d1,d2": one peer attribute each, in order. */
static int tier_put_peers(struct nl_msg *req, const char *list)
{
	const char *p = list, *comma;
	char *one;
	int ret = 0;

	do {
		comma = strchr(p, ',');
		one = strndup(p, comma ? (size_t)(comma - p) : strlen(p));
		if (!one)
			return error("out of memory");
		if (!*one)
			ret = error("empty peer name in '%s'", list);
		else if (nla_put_string(req, MTIER_A_TIER_PEER, one))
			ret = error("request too large");
		free(one);
		p = comma + 1;
	} while (!ret && comma);
	return ret;
}

static int tier_put(struct obj_req *r, int id, const char *kw, const char *v)
{
	(void)kw;
	switch (id) {
	case KW_SIZE:
		return obj_put_size(r, MTIER_A_TIER_SIZE, "size", v);
	case KW_PEER:
		return tier_put_peers(r->msg, v);
	case KW_REPLICAS:
		return obj_put_u32(r, MTIER_A_TIER_REPLICAS, "replicas", v);
	case KW_PREFETCH:
		return obj_put_word(r, MTIER_A_TIER_PREFETCH, prefetch_words,
				    N(prefetch_words), "prefetch policy", v);
	case KW_WINDOW_MAX:
		return obj_put_u32(r, MTIER_A_TIER_WINDOW_MAX, "window-max", v);
	case KW_HISTORY:
		return obj_put_u32(r, MTIER_A_TIER_HISTORY, "history", v);
	case KW_CACHE:
		return obj_put_size(r, MTIER_A_TIER_CACHE_SIZE, "cache size", v);
	case KW_RESYNC_RATE:
		return obj_put_size(r, MTIER_A_TIER_RESYNC_RATE, "resync rate", v);
	}
	return 0;
}

/* peer may be repeated, every other keyword is given once at most. */
const struct mt_kind tier_kind = {
	.name = "tier",
	.cmd_get = MTIER_CMD_TIER_GET, .cmd_add = MTIER_CMD_TIER_ADD,
	.cmd_set = MTIER_CMD_TIER_SET, .cmd_del = MTIER_CMD_TIER_DEL,
	.attr_name = MTIER_A_TIER_NAME, .set = &tier_set,
	.usage = tier_usage_lines, .n_usage = N(tier_usage_lines),
	.add_kws = tier_add_kws, .n_add_kws = N(tier_add_kws),
	.set_kws = tier_set_kws, .n_set_kws = N(tier_set_kws),
	.kw_help = KW_HELP, .kw_repeat = 1u << KW_PEER, .put = tier_put,
	.print = tier_print, .save = tier_save,
	.values = tier_values, .n_values = N(tier_values),
};
