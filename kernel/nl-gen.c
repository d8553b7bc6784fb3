// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/mtier.yaml */
/* YNL-GEN kernel source */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "nl-gen.h"

#include <uapi/linux/mtier.h>

/* Integer value ranges */
static const struct netlink_range_validation mtier_a_pool_lease_range = {
	.min	= 100ULL,
	.max	= 3600000ULL,
};

static const struct netlink_range_validation mtier_a_peer_keepalive_range = {
	.min	= 10ULL,
	.max	= 600000ULL,
};

static const struct netlink_range_validation mtier_a_peer_timeout_range = {
	.min	= 10ULL,
	.max	= 600000ULL,
};

/* MTIER_CMD_POOL_GET - do */
static const struct nla_policy mtier_pool_get_nl_policy[MTIER_A_POOL_NAME + 1] = {
	[MTIER_A_POOL_NAME] = { .type = NLA_NUL_STRING, .len = MTIER_NAME_LEN, },
};

/* MTIER_CMD_POOL_ADD - do */
static const struct nla_policy mtier_pool_add_nl_policy[MTIER_A_POOL_MAX_CLIENT_SIZE + 1] = {
	[MTIER_A_POOL_NAME] = { .type = NLA_NUL_STRING, .len = MTIER_NAME_LEN, },
	[MTIER_A_POOL_SIZE] = { .type = NLA_UINT, },
	[MTIER_A_POOL_SLAB_SIZE] = { .type = NLA_UINT, },
	[MTIER_A_POOL_ADDR] = { .type = NLA_NUL_STRING, .len = MTIER_ADDR_LEN, },
	[MTIER_A_POOL_PORT] = { .type = NLA_U16, },
	[MTIER_A_POOL_TRANSPORT] = NLA_POLICY_MAX(NLA_U32, 1),
	[MTIER_A_POOL_LEASE] = NLA_POLICY_FULL_RANGE(NLA_U32, &mtier_a_pool_lease_range),
	[MTIER_A_POOL_MAX_CLIENTS] = NLA_POLICY_RANGE(NLA_U32, 1, 4096),
	[MTIER_A_POOL_MAX_CLIENTS_ADDR] = NLA_POLICY_RANGE(NLA_U32, 1, 4096),
	[MTIER_A_POOL_MAX_CLIENT_SIZE] = { .type = NLA_UINT, },
};

/* MTIER_CMD_POOL_DEL - do */
static const struct nla_policy mtier_pool_del_nl_policy[MTIER_A_POOL_FORCE + 1] = {
	[MTIER_A_POOL_NAME] = { .type = NLA_NUL_STRING, .len = MTIER_NAME_LEN, },
	[MTIER_A_POOL_FORCE] = { .type = NLA_FLAG, },
};

/* MTIER_CMD_POOL_SET - do */
static const struct nla_policy mtier_pool_set_nl_policy[MTIER_A_POOL_MAX_CLIENT_SIZE + 1] = {
	[MTIER_A_POOL_NAME] = { .type = NLA_NUL_STRING, .len = MTIER_NAME_LEN, },
	[MTIER_A_POOL_SIZE] = { .type = NLA_UINT, },
	[MTIER_A_POOL_LEASE] = NLA_POLICY_FULL_RANGE(NLA_U32, &mtier_a_pool_lease_range),
	[MTIER_A_POOL_MAX_CLIENTS] = NLA_POLICY_RANGE(NLA_U32, 1, 4096),
	[MTIER_A_POOL_MAX_CLIENTS_ADDR] = NLA_POLICY_RANGE(NLA_U32, 1, 4096),
	[MTIER_A_POOL_MAX_CLIENT_SIZE] = { .type = NLA_UINT, },
};

/* MTIER_CMD_PEER_GET - do */
static const struct nla_policy mtier_peer_get_nl_policy[MTIER_A_PEER_NAME + 1] = {
	[MTIER_A_PEER_NAME] = { .type = NLA_NUL_STRING, .len = MTIER_NAME_LEN, },
};

/* MTIER_CMD_PEER_ADD - do */
static const struct nla_policy mtier_peer_add_nl_policy[MTIER_A_PEER_TIMEOUT + 1] = {
	[MTIER_A_PEER_NAME] = { .type = NLA_NUL_STRING, .len = MTIER_NAME_LEN, },
	[MTIER_A_PEER_ADDR] = { .type = NLA_NUL_STRING, .len = MTIER_ADDR_LEN, },
	[MTIER_A_PEER_PORT] = { .type = NLA_U16, },
	[MTIER_A_PEER_TRANSPORT] = NLA_POLICY_MAX(NLA_U32, 1),
	[MTIER_A_PEER_KEEPALIVE] = NLA_POLICY_FULL_RANGE(NLA_U32, &mtier_a_peer_keepalive_range),
	[MTIER_A_PEER_TIMEOUT] = NLA_POLICY_FULL_RANGE(NLA_U32, &mtier_a_peer_timeout_range),
};

/* MTIER_CMD_PEER_DEL - do */
static const struct nla_policy mtier_peer_del_nl_policy[MTIER_A_PEER_NAME + 1] = {
	[MTIER_A_PEER_NAME] = { .type = NLA_NUL_STRING, .len = MTIER_NAME_LEN, },
};

/* MTIER_CMD_PEER_SET - do */
static const struct nla_policy mtier_peer_set_nl_policy[MTIER_A_PEER_TIMEOUT + 1] = {
	[MTIER_A_PEER_NAME] = { .type = NLA_NUL_STRING, .len = MTIER_NAME_LEN, },
	[MTIER_A_PEER_KEEPALIVE] = NLA_POLICY_FULL_RANGE(NLA_U32, &mtier_a_peer_keepalive_range),
	[MTIER_A_PEER_TIMEOUT] = NLA_POLICY_FULL_RANGE(NLA_U32, &mtier_a_peer_timeout_range),
};

/* MTIER_CMD_TIER_GET - do */
static const struct nla_policy mtier_tier_get_nl_policy[MTIER_A_TIER_NAME + 1] = {
	[MTIER_A_TIER_NAME] = { .type = NLA_NUL_STRING, .len = MTIER_NAME_LEN, },
};

/* MTIER_CMD_TIER_ADD - do */
static const struct nla_policy mtier_tier_add_nl_policy[MTIER_A_TIER_RESYNC_RATE + 1] = {
	[MTIER_A_TIER_NAME] = { .type = NLA_NUL_STRING, .len = MTIER_NAME_LEN, },
	[MTIER_A_TIER_SIZE] = { .type = NLA_UINT, },
	[MTIER_A_TIER_PEER] = { .type = NLA_STRING, .len = MTIER_NAME_LEN, },
	[MTIER_A_TIER_REPLICAS] = NLA_POLICY_RANGE(NLA_U32, 1, MTIER_MAX_REPLICAS),
	[MTIER_A_TIER_PREFETCH] = NLA_POLICY_MAX(NLA_U32, 2),
	[MTIER_A_TIER_WINDOW_MAX] = NLA_POLICY_RANGE(NLA_U32, 1, 1024),
	[MTIER_A_TIER_HISTORY] = NLA_POLICY_RANGE(NLA_U32, 4, 256),
	[MTIER_A_TIER_CACHE_SIZE] = { .type = NLA_UINT, },
	[MTIER_A_TIER_RESYNC_RATE] = { .type = NLA_UINT, },
};

/* MTIER_CMD_TIER_DEL - do */
static const struct nla_policy mtier_tier_del_nl_policy[MTIER_A_TIER_NAME + 1] = {
	[MTIER_A_TIER_NAME] = { .type = NLA_NUL_STRING, .len = MTIER_NAME_LEN, },
};

/* MTIER_CMD_TIER_SET - do */
static const struct nla_policy mtier_tier_set_nl_policy[MTIER_A_TIER_RESYNC_RATE + 1] = {
	[MTIER_A_TIER_NAME] = { .type = NLA_NUL_STRING, .len = MTIER_NAME_LEN, },
	[MTIER_A_TIER_PREFETCH] = NLA_POLICY_MAX(NLA_U32, 2),
	[MTIER_A_TIER_WINDOW_MAX] = NLA_POLICY_RANGE(NLA_U32, 1, 1024),
	[MTIER_A_TIER_HISTORY] = NLA_POLICY_RANGE(NLA_U32, 4, 256),
	[MTIER_A_TIER_CACHE_SIZE] = { .type = NLA_UINT, },
	[MTIER_A_TIER_RESYNC_RATE] = { .type = NLA_UINT, },
};

/* Ops table for mtier */
static const struct genl_split_ops mtier_nl_ops[] = {
	{
		.cmd		= MTIER_CMD_POOL_GET,
		.pre_doit	= mtier_nl_pre_doit,
		.doit		= mtier_nl_pool_get_doit,
		.post_doit	= mtier_nl_post_doit,
		.policy		= mtier_pool_get_nl_policy,
		.maxattr	= MTIER_A_POOL_NAME,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd	= MTIER_CMD_POOL_GET,
		.dumpit	= mtier_nl_pool_get_dumpit,
		.flags	= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= MTIER_CMD_POOL_ADD,
		.pre_doit	= mtier_nl_pre_doit,
		.doit		= mtier_nl_pool_add_doit,
		.post_doit	= mtier_nl_post_doit,
		.policy		= mtier_pool_add_nl_policy,
		.maxattr	= MTIER_A_POOL_MAX_CLIENT_SIZE,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= MTIER_CMD_POOL_DEL,
		.pre_doit	= mtier_nl_pre_doit,
		.doit		= mtier_nl_pool_del_doit,
		.post_doit	= mtier_nl_post_doit,
		.policy		= mtier_pool_del_nl_policy,
		.maxattr	= MTIER_A_POOL_FORCE,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= MTIER_CMD_POOL_SET,
		.pre_doit	= mtier_nl_pre_doit,
		.doit		= mtier_nl_pool_set_doit,
		.post_doit	= mtier_nl_post_doit,
		.policy		= mtier_pool_set_nl_policy,
		.maxattr	= MTIER_A_POOL_MAX_CLIENT_SIZE,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= MTIER_CMD_PEER_GET,
		.pre_doit	= mtier_nl_pre_doit,
		.doit		= mtier_nl_peer_get_doit,
		.post_doit	= mtier_nl_post_doit,
		.policy		= mtier_peer_get_nl_policy,
		.maxattr	= MTIER_A_PEER_NAME,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd	= MTIER_CMD_PEER_GET,
		.dumpit	= mtier_nl_peer_get_dumpit,
		.flags	= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= MTIER_CMD_PEER_ADD,
		.pre_doit	= mtier_nl_pre_doit,
		.doit		= mtier_nl_peer_add_doit,
		.post_doit	= mtier_nl_post_doit,
		.policy		= mtier_peer_add_nl_policy,
		.maxattr	= MTIER_A_PEER_TIMEOUT,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= MTIER_CMD_PEER_DEL,
		.pre_doit	= mtier_nl_pre_doit,
		.doit		= mtier_nl_peer_del_doit,
		.post_doit	= mtier_nl_post_doit,
		.policy		= mtier_peer_del_nl_policy,
		.maxattr	= MTIER_A_PEER_NAME,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= MTIER_CMD_PEER_SET,
		.pre_doit	= mtier_nl_pre_doit,
		.doit		= mtier_nl_peer_set_doit,
		.post_doit	= mtier_nl_post_doit,
		.policy		= mtier_peer_set_nl_policy,
		.maxattr	= MTIER_A_PEER_TIMEOUT,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= MTIER_CMD_TIER_GET,
		.pre_doit	= mtier_nl_pre_doit,
		.doit		= mtier_nl_tier_get_doit,
		.post_doit	= mtier_nl_post_doit,
		.policy		= mtier_tier_get_nl_policy,
		.maxattr	= MTIER_A_TIER_NAME,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd	= MTIER_CMD_TIER_GET,
		.dumpit	= mtier_nl_tier_get_dumpit,
		.flags	= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= MTIER_CMD_TIER_ADD,
		.pre_doit	= mtier_nl_pre_doit,
		.doit		= mtier_nl_tier_add_doit,
		.post_doit	= mtier_nl_post_doit,
		.policy		= mtier_tier_add_nl_policy,
		.maxattr	= MTIER_A_TIER_RESYNC_RATE,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= MTIER_CMD_TIER_DEL,
		.pre_doit	= mtier_nl_pre_doit,
		.doit		= mtier_nl_tier_del_doit,
		.post_doit	= mtier_nl_post_doit,
		.policy		= mtier_tier_del_nl_policy,
		.maxattr	= MTIER_A_TIER_NAME,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= MTIER_CMD_TIER_SET,
		.pre_doit	= mtier_nl_pre_doit,
		.doit		= mtier_nl_tier_set_doit,
		.post_doit	= mtier_nl_post_doit,
		.policy		= mtier_tier_set_nl_policy,
		.maxattr	= MTIER_A_TIER_RESYNC_RATE,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
};

static const struct genl_multicast_group mtier_nl_mcgrps[] = {
	[MTIER_NLGRP_MONITOR] = { "monitor", },
};

struct genl_family mtier_nl_family __ro_after_init = {
	.name		= MTIER_FAMILY_NAME,
	.version	= MTIER_FAMILY_VERSION,
	.netnsok	= true,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.split_ops	= mtier_nl_ops,
	.n_split_ops	= ARRAY_SIZE(mtier_nl_ops),
	.mcgrps		= mtier_nl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(mtier_nl_mcgrps),
};
