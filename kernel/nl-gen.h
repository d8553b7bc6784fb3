/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/mtier.yaml */
/* YNL-GEN kernel header */

#ifndef _LINUX_MTIER_GEN_H
#define _LINUX_MTIER_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include <uapi/linux/mtier.h>

int mtier_nl_pre_doit(const struct genl_split_ops *ops, struct sk_buff *skb,
		      struct genl_info *info);
void
mtier_nl_post_doit(const struct genl_split_ops *ops, struct sk_buff *skb,
		   struct genl_info *info);

int mtier_nl_pool_get_doit(struct sk_buff *skb, struct genl_info *info);
int mtier_nl_pool_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int mtier_nl_pool_add_doit(struct sk_buff *skb, struct genl_info *info);
int mtier_nl_pool_del_doit(struct sk_buff *skb, struct genl_info *info);
int mtier_nl_pool_set_doit(struct sk_buff *skb, struct genl_info *info);
int mtier_nl_peer_get_doit(struct sk_buff *skb, struct genl_info *info);
int mtier_nl_peer_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int mtier_nl_peer_add_doit(struct sk_buff *skb, struct genl_info *info);
int mtier_nl_peer_del_doit(struct sk_buff *skb, struct genl_info *info);
int mtier_nl_peer_set_doit(struct sk_buff *skb, struct genl_info *info);
int mtier_nl_tier_get_doit(struct sk_buff *skb, struct genl_info *info);
int mtier_nl_tier_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int mtier_nl_tier_add_doit(struct sk_buff *skb, struct genl_info *info);
int mtier_nl_tier_del_doit(struct sk_buff *skb, struct genl_info *info);
int mtier_nl_tier_set_doit(struct sk_buff *skb, struct genl_info *info);

enum {
	MTIER_NLGRP_MONITOR,
};

extern struct genl_family mtier_nl_family;

#endif /* _LINUX_MTIER_GEN_H */
