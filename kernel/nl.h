/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mtier: what the control plane's files share.
 *
 * nl.c holds the family's life, the pre and post hooks of every
 * do-operation, the notifications and the get, dump and del every kind
 * shares; nl_pool.c, nl_peer.c and nl_tier.c each hold one kind's parse,
 * fill, add and set; nl_attr.c the attribute helpers they all use (names,
 * endpoints, counters).  Calls go nl.c -> nl_<kind>.c -> nl_attr.c and
 * nl-gen.c -> nl.c, nl_<kind>.c; only nl.c and nl-gen.c call each other
 * (scripts/layers).
 */
#ifndef _MTIER_NL_H
#define _MTIER_NL_H

#include <net/genetlink.h>

#include "mtier.h"
#include "nl-gen.h"

/**
 * struct mtier_nl_kind - how one kind of object appears on the wire
 * @ops: the kind's object operations (its type, its name in messages)
 * @attr_name: attribute carrying its name
 * @cmd_get: command of get requests and replies, and of dumps
 * @cmd_del: command deleting one
 * @cmd_set: command changing one
 * @cmd_ntf: command announcing each enum mtier_event
 * @fill: put the object's attributes into a message
 *
 * Each kind's file defines its own; nl.c indexes them by type.
 */
struct mtier_nl_kind {
	const struct mtier_obj_ops *ops;
	int attr_name;
	u8 cmd_get;
	u8 cmd_del;
	u8 cmd_set;
	u8 cmd_ntf[MTIER_EV_NR];
	int (*fill)(struct sk_buff *skb, struct mtier_obj *obj);
};

extern const struct mtier_nl_kind mtier_nl_pool_kind;	/* nl_pool.c */
extern const struct mtier_nl_kind mtier_nl_peer_kind;	/* nl_peer.c */
extern const struct mtier_nl_kind mtier_nl_tier_kind;	/* nl_tier.c */

/*
 * The object a request names, if its command is a get, del or set: the
 * pre hook has looked it up (and refused the request if it does not
 * exist).  Valid until the post hook drops mtier_lock.
 */
static inline struct mtier_obj *mtier_nl_obj(struct genl_info *info)
{
	return info->user_ptr[0];
}

/* nl_attr.c: names */
const struct nlattr *mtier_nl_need(struct genl_info *info, int type,
				   const char *what);
int mtier_nl_check_name(struct netlink_ext_ack *extack,
			const struct nlattr *nla, const char *name);
const char *mtier_nl_name(struct genl_info *info, int attr);
const char *mtier_nl_new_name(struct genl_info *info, int attr,
			      const struct mtier_obj_ops *ops);

/* nl_attr.c: endpoints (pool listen address, peer address) */
struct mtier_nl_ep_attrs {
	int addr;
	int port;
	int transport;
};

int mtier_nl_parse_ep(struct genl_info *info,
		      const struct mtier_nl_ep_attrs *a,
		      const char *dflt_addr, struct mtier_endpoint *ep);
bool mtier_nl_ep_overlap(const struct mtier_endpoint *a,
			 const struct mtier_endpoint *b);
bool mtier_nl_ep_equal(const struct mtier_endpoint *a,
		       const struct mtier_endpoint *b);
int mtier_nl_put_ep(struct sk_buff *skb, const struct mtier_nl_ep_attrs *a,
		    const struct mtier_endpoint *ep);

/* nl_attr.c: messages */
int mtier_nl_put_counters(struct sk_buff *skb, int nest_type,
			  const u16 *attrs, const u64 *vals, int n);

#endif /* _MTIER_NL_H */
