// SPDX-License-Identifier: GPL-2.0
/*
 * mtier: the control plane of tiers (nl.h): their attributes in replies
 * and notifications (fill), and tier-add and tier-set, which check what the
 * policy cannot and explain every refusal in the extack.  They run under
 * mtier_lock, taken by mtier_nl_pre_doit(); get, dump and del are nl.c's.
 */
#include <linux/mm.h>
#include <net/genetlink.h>

#include "nl.h"

/*
 * The tier-stats attributes: the per-CPU counters, then the levels (the
 * cache's bytes, the slabs short of copies).
 */
static const u16 mtier_tier_stat_attrs[MTIER_TC_NR + 2] = {
	[MTIER_TC_READS]		= MTIER_A_TIER_STATS_READS,
	[MTIER_TC_WRITES]		= MTIER_A_TIER_STATS_WRITES,
	[MTIER_TC_READ_BYTES]		= MTIER_A_TIER_STATS_READ_BYTES,
	[MTIER_TC_WRITE_BYTES]		= MTIER_A_TIER_STATS_WRITE_BYTES,
	[MTIER_TC_DISCARDS]		= MTIER_A_TIER_STATS_DISCARDS,
	[MTIER_TC_FLUSHES]		= MTIER_A_TIER_STATS_FLUSHES,
	[MTIER_TC_INFLIGHT]		= MTIER_A_TIER_STATS_INFLIGHT,
	[MTIER_TC_ERRORS]		= MTIER_A_TIER_STATS_ERRORS,
	[MTIER_TC_TIMEOUTS]		= MTIER_A_TIER_STATS_TIMEOUTS,
	[MTIER_TC_PREFETCH_ISSUED]	= MTIER_A_TIER_STATS_PREFETCH_ISSUED,
	[MTIER_TC_PREFETCH_HITS]	= MTIER_A_TIER_STATS_PREFETCH_HITS,
	[MTIER_TC_PREFETCH_LATE_HITS]	= MTIER_A_TIER_STATS_PREFETCH_LATE_HITS,
	[MTIER_TC_PREFETCH_UNUSED]	= MTIER_A_TIER_STATS_PREFETCH_UNUSED,
	[MTIER_TC_DEMAND_MISSES]	= MTIER_A_TIER_STATS_DEMAND_MISSES,
	[MTIER_TC_READ_RETRIES]		= MTIER_A_TIER_STATS_READ_RETRIES,
	[MTIER_TC_COPY_FAILURES]	= MTIER_A_TIER_STATS_COPY_FAILURES,
	[MTIER_TC_RESYNC_BYTES]		= MTIER_A_TIER_STATS_RESYNC_BYTES,
	[MTIER_TC_SLABS_HEALED]		= MTIER_A_TIER_STATS_SLABS_HEALED,
	[MTIER_TC_NR]			= MTIER_A_TIER_STATS_CACHE_BYTES,
	[MTIER_TC_NR + 1]		= MTIER_A_TIER_STATS_DEGRADED_SLABS,
};

static int mtier_nl_fill_tier(struct sk_buff *skb, struct mtier_obj *obj)
{
	struct mtier_tier *tier = to_tier(obj);
	u64 stats[MTIER_TC_NR + 2], lat[MTIER_LAT_BUCKETS];
	struct nlattr *nest;
	u32 i;

	if (nla_put_u32(skb, MTIER_A_TIER_ID, obj->id) ||
	    nla_put_string(skb, MTIER_A_TIER_NAME, obj->name) ||
	    nla_put_uint(skb, MTIER_A_TIER_SIZE, tier->size))
		return -EMSGSIZE;
	for (i = 0; i < tier->nr_peers; i++)
		if (nla_put_string(skb, MTIER_A_TIER_PEER,
				   tier->peers[i]->obj.name))
			return -EMSGSIZE;
	if (nla_put_u32(skb, MTIER_A_TIER_REPLICAS, tier->replicas) ||
	    nla_put_u32(skb, MTIER_A_TIER_PREFETCH, tier->cfg.prefetch) ||
	    nla_put_u32(skb, MTIER_A_TIER_WINDOW_MAX, tier->cfg.window_max) ||
	    nla_put_u32(skb, MTIER_A_TIER_HISTORY, tier->cfg.history) ||
	    nla_put_uint(skb, MTIER_A_TIER_CACHE_SIZE, tier->cfg.cache_size) ||
	    nla_put_uint(skb, MTIER_A_TIER_RESYNC_RATE, tier->cfg.resync_rate) ||
	    (tier->disk &&
	     nla_put_string(skb, MTIER_A_TIER_DEV, tier->disk->disk_name)) ||
	    nla_put_u32(skb, MTIER_A_TIER_STATE, mtier_tier_state(tier)))
		return -EMSGSIZE;

	mtier_tier_read_stats(tier, stats, lat);
	stats[MTIER_TC_INFLIGHT] = atomic_read(&tier->inflight);
	stats[MTIER_TC_NR] = atomic64_read(&tier->cache_bytes);
	stats[MTIER_TC_NR + 1] = mtier_replica_degraded(tier);
	nest = nla_nest_start(skb, MTIER_A_TIER_STATS);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < ARRAY_SIZE(stats); i++)
		if (nla_put_uint(skb, mtier_tier_stat_attrs[i], stats[i]))
			goto err_cancel;
	for (i = 0; i < MTIER_LAT_BUCKETS; i++)
		if (nla_put_uint(skb, MTIER_A_TIER_STATS_LAT_HIST, lat[i]))
			goto err_cancel;
	nla_nest_end(skb, nest);
	return 0;

err_cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

const struct mtier_nl_kind mtier_nl_tier_kind = {
	.ops		= &mtier_tier_ops,
	.attr_name	= MTIER_A_TIER_NAME,
	.cmd_get	= MTIER_CMD_TIER_GET,
	.cmd_del	= MTIER_CMD_TIER_DEL,
	.cmd_set	= MTIER_CMD_TIER_SET,
	.cmd_ntf	= { MTIER_CMD_TIER_ADD_NTF, MTIER_CMD_TIER_DEL_NTF,
			    MTIER_CMD_TIER_CHANGE_NTF },
	.fill		= mtier_nl_fill_tier,
};

/* Parse the settings tier add and tier set share; returns how many given. */
static int mtier_nl_parse_tier_cfg(struct genl_info *info,
				   struct mtier_tier_cfg *cfg)
{
	const struct nlattr *nla;
	int given = 0;

	nla = info->attrs[MTIER_A_TIER_PREFETCH];
	if (nla) {
		cfg->prefetch = nla_get_u32(nla);
		given++;
	}
	nla = info->attrs[MTIER_A_TIER_WINDOW_MAX];
	if (nla) {
		cfg->window_max = nla_get_u32(nla);
		given++;
	}
	nla = info->attrs[MTIER_A_TIER_HISTORY];
	if (nla) {
		cfg->history = nla_get_u32(nla);
		given++;
	}
	nla = info->attrs[MTIER_A_TIER_CACHE_SIZE];
	if (nla) {
		cfg->cache_size = nla_get_uint(nla);
		if (!PAGE_ALIGNED(cfg->cache_size)) {
			NL_SET_ERR_MSG_ATTR_FMT(info->extack, nla,
						"cache-size must be a multiple of %lu",
						PAGE_SIZE);
			return -EINVAL;
		}
		if (cfg->cache_size > (u64)totalram_pages() / 4 * PAGE_SIZE) {
			NL_SET_ERR_MSG_ATTR(info->extack, nla,
					    "cache-size exceeds a quarter of this node's RAM");
			return -ENOMEM;
		}
		given++;
	}
	nla = info->attrs[MTIER_A_TIER_RESYNC_RATE];
	if (nla) {
		cfg->resync_rate = nla_get_uint(nla);
		given++;
	}
	return given;
}

static int mtier_nl_parse_tier_peers(struct genl_info *info,
				     struct mtier_tier *tier)
{
	char name[MTIER_NAME_LEN + 1];
	const struct nlattr *nla;
	struct mtier_obj *obj;
	int rem, err;
	u32 i;

	nla_for_each_attr_type(nla, MTIER_A_TIER_PEER, genlmsg_data(info->genlhdr),
			       genlmsg_len(info->genlhdr), rem) {
		/* NLA_STRING: the policy bounds the length, not the NUL. */
		nla_strscpy(name, nla, sizeof(name));
		err = mtier_nl_check_name(info->extack, nla, name);
		if (err)
			return err;
		if (tier->nr_peers == MTIER_MAX_PEERS) {
			NL_SET_ERR_MSG_ATTR(info->extack, nla,
					    "too many peers (at most 16)");
			return -E2BIG;
		}
		obj = mtier_obj_find(MTIER_OBJ_PEER, tier->obj.net, name);
		if (!obj) {
			NL_SET_ERR_MSG_ATTR_FMT(info->extack, nla,
						"peer '%s' does not exist", name);
			return -ENOENT;
		}
		for (i = 0; i < tier->nr_peers; i++) {
			if (tier->peers[i] == to_peer(obj)) {
				NL_SET_ERR_MSG_ATTR_FMT(info->extack, nla,
							"peer '%s' is listed twice",
							name);
				return -EINVAL;
			}
		}
		mtier_tier_add_peer(tier, to_peer(obj));
	}
	if (!tier->nr_peers) {
		mtier_nl_need(info, MTIER_A_TIER_PEER, "peer");
		return -EINVAL;
	}
	return 0;
}

static int mtier_nl_parse_tier(struct genl_info *info, struct mtier_tier *tier)
{
	const struct nlattr *nla;
	int err;

	nla = mtier_nl_need(info, MTIER_A_TIER_SIZE, "size");
	if (!nla)
		return -EINVAL;
	tier->size = nla_get_uint(nla);
	if (!tier->size || tier->size % 4096) {
		NL_SET_ERR_MSG_ATTR(info->extack, nla,
				    "size must be a non-zero multiple of 4096");
		return -EINVAL;
	}
	if (tier->size > MTIER_TIER_MAX_SIZE) {
		NL_SET_ERR_MSG_ATTR(info->extack, nla,
				    "size exceeds the largest tier (1P)");
		return -ERANGE;
	}
	err = mtier_nl_parse_tier_peers(info, tier);
	if (err)
		return err;
	nla = info->attrs[MTIER_A_TIER_REPLICAS];
	if (nla) {
		tier->replicas = nla_get_u32(nla);
		if (tier->replicas > tier->nr_peers) {
			NL_SET_ERR_MSG_ATTR_FMT(info->extack, nla,
						"replicas (%u) exceeds the number of peers (%u)",
						tier->replicas, tier->nr_peers);
			return -EINVAL;
		}
		if (tier->replicas > 1) {
			u32 room, up = mtier_tier_peers_up(tier, &room);

			if (up < tier->replicas) {
				NL_SET_ERR_MSG_ATTR_FMT(info->extack, nla,
							"replicas %u needs %u peers up (up now: %u)",
							tier->replicas, tier->replicas, up);
				return -ENOTCONN;
			}
			if (room < tier->replicas) {
				NL_SET_ERR_MSG_ATTR_FMT(info->extack, nla,
							"replicas %u needs %u peers with room for a slab (now: %u)",
							tier->replicas, tier->replicas, room);
				return -ENOSPC;
			}
		}
	}
	err = mtier_nl_parse_tier_cfg(info, &tier->cfg);
	return err < 0 ? err : 0;
}

int mtier_nl_tier_add_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct mtier_tier *tier;
	const char *name;
	int err;

	name = mtier_nl_new_name(info, MTIER_A_TIER_NAME, &mtier_tier_ops);
	if (IS_ERR(name))
		return PTR_ERR(name);
	tier = mtier_tier_create(name, genl_info_net(info));
	if (!tier)
		return -ENOMEM;
	err = mtier_nl_parse_tier(info, tier);
	if (err)
		goto err_stop;
	err = mtier_tier_start(tier, info->extack);
	if (err)
		goto err_stop;
	err = mtier_obj_link(&tier->obj);
	if (err)
		goto err_stop;
	mtier_tier_announce_peers(tier);
	return 0;

err_stop:
	mtier_tier_ops.stop(&tier->obj);
	mtier_obj_finish(&tier->obj);
	return err;
}

int mtier_nl_tier_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct mtier_obj *obj = mtier_nl_obj(info);
	struct mtier_tier *tier = to_tier(obj);
	struct mtier_tier_cfg cfg = tier->cfg;
	int err;

	err = mtier_nl_parse_tier_cfg(info, &cfg);
	if (err < 0)
		return err;
	if (!err) {
		NL_SET_ERR_MSG(info->extack,
			       "nothing to change: give prefetch, window-max, history, cache-size or resync-rate");
		return -EINVAL;
	}
	mtier_tier_set_cfg(tier, &cfg);
	mtier_obj_changed(obj, MTIER_EV_CHANGE);
	return 0;
}
