// SPDX-License-Identifier: GPL-2.0
/*
 * mtier: the generic netlink control plane.
 *
 * The policies and the split ops come from nl-gen.c, generated from
 * Documentation/netlink/specs/mtier.yaml.  The handlers check what the
 * policies cannot (names, sizes, relations between attributes, references
 * to other objects), explain every refusal in the extack with the
 * offending attribute, and turn objects into messages.  This file holds
 * what every kind shares: the pre and post hooks, get, dump and del, the
 * notifications and the family's registration; each kind's parse, fill,
 * add and set live in its own file (nl_pool.c, nl_peer.c, nl_tier.c; see
 * nl.h).
 *
 * Every do-handler runs under mtier_lock between mtier_nl_pre_doit() and
 * mtier_nl_post_doit(), the spec's pre and post hooks (the family has
 * parallel_ops, so the lock is ours to take); a request that names an
 * existing object finds it looked up already (mtier_nl_obj()).  Dumps
 * take the lock by hand for each part.
 *
 * The family is netnsok: a request is about the objects of the
 * requester's namespace only (genl_info_net(), sock_net() for dumps),
 * changes need CAP_NET_ADMIN over that namespace (the ops are
 * uns-admin-perm), and notifications go to the object's namespace only.
 *
 * Notifications: every layer below reports what happens to an object
 * through the registry's one event callback (mtier_obj_changed()), which
 * this file subscribes to while the family is registered; the handlers
 * here report their own changes the same way.  Clearing the subscription
 * waits for notifications in progress, so none races with the family's
 * unregistration.
 */
#include <net/genetlink.h>
#include <net/sock.h>

#include "nl.h"

static const struct mtier_nl_kind *const mtier_nl_kinds[MTIER_OBJ_NR] = {
	[MTIER_OBJ_POOL]	= &mtier_nl_pool_kind,
	[MTIER_OBJ_PEER]	= &mtier_nl_peer_kind,
	[MTIER_OBJ_TIER]	= &mtier_nl_tier_kind,
};

/* The existing object a request is about. */
static struct mtier_obj *mtier_nl_lookup(struct genl_info *info,
					 const struct mtier_nl_kind *kind)
{
	const char *name = mtier_nl_name(info, kind->attr_name);
	struct mtier_obj *obj;

	if (IS_ERR(name))
		return ERR_CAST(name);
	obj = mtier_obj_find(kind->ops->type, genl_info_net(info), name);
	if (!obj) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack,
					info->attrs[kind->attr_name],
					"%s '%s' does not exist", kind->ops->kind,
					name);
		return ERR_PTR(-ENOENT);
	}
	return obj;
}

static int mtier_nl_fill_msg(struct sk_buff *skb, struct mtier_obj *obj,
			     u32 portid, u32 seq, int flags, u8 cmd)
{
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &mtier_nl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (mtier_nl_kinds[obj->ops->type]->fill(skb, obj)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/*
 * Tell the monitor group about an object: the subscriber to the registry's
 * object events (mtier_obj_changed()), set while the family is registered.
 * Context: process context; mtier_lock need not be held.
 */
static void mtier_nl_notify(struct mtier_obj *obj, enum mtier_event ev)
{
	struct sk_buff *msg;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return;
	if (mtier_nl_fill_msg(msg, obj, 0, 0, 0,
			      mtier_nl_kinds[obj->ops->type]->cmd_ntf[ev])) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_multicast_netns(&mtier_nl_family, obj->net, msg, 0,
				MTIER_NLGRP_MONITOR, GFP_KERNEL);
}

/* --- Before and after every do-handler -------------------------------- */

/**
 * mtier_nl_pre_doit - take mtier_lock and find the object a request names
 * @ops: the split op being run
 * @skb: the request
 * @info: the request, parsed; user_ptr[0] receives the object
 *
 * The spec's pre hook of every do-operation.  Get, del and set name an
 * existing object of their kind in the sender's namespace: it is looked
 * up once, here, and the request refused (EINVAL for a missing or invalid
 * name, ENOENT for no such object, with the extack pointing at the name)
 * if it is not there.  Add takes only the lock: its handler checks that
 * the name is free.  No reference is taken: mtier_lock, held until
 * mtier_nl_post_doit(), keeps the object linked and alive.
 *
 * Return: 0 with mtier_lock held, or a negative errno without it (the
 * post hook is not called then).
 */
int mtier_nl_pre_doit(const struct genl_split_ops *ops, struct sk_buff *skb,
		      struct genl_info *info)
{
	const struct mtier_nl_kind *kind;
	struct mtier_obj *obj;
	int type;

	mutex_lock(&mtier_lock);
	for (type = 0; type < MTIER_OBJ_NR; type++) {
		kind = mtier_nl_kinds[type];
		if (ops->cmd != kind->cmd_get && ops->cmd != kind->cmd_del &&
		    ops->cmd != kind->cmd_set)
			continue;
		obj = mtier_nl_lookup(info, kind);
		if (IS_ERR(obj)) {
			mutex_unlock(&mtier_lock);
			return PTR_ERR(obj);
		}
		info->user_ptr[0] = obj;
		break;
	}
	return 0;
}

/**
 * mtier_nl_post_doit - drop mtier_lock, then finish a deleted object
 * @ops: the split op that was run
 * @skb: the request
 * @info: the request; user_ptr[1] is the object a del unlinked, if any
 *
 * The spec's post hook of every do-operation, called whatever the handler
 * returned.  A deletion's slow part (mtier_obj_finish(): round trips, the
 * registry's reference) runs here, after the lock, so that it blocks no
 * other command.
 */
void mtier_nl_post_doit(const struct genl_split_ops *ops, struct sk_buff *skb,
			struct genl_info *info)
{
	struct mtier_obj *deleted = info->user_ptr[1];

	mutex_unlock(&mtier_lock);
	if (deleted)
		mtier_obj_finish(deleted);
}

/* --- Generic get, dump and delete ------------------------------------- */

static int mtier_nl_get(struct genl_info *info)
{
	struct mtier_obj *obj = mtier_nl_obj(info);
	struct sk_buff *msg;
	int err;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	err = mtier_nl_fill_msg(msg, obj, info->snd_portid, info->snd_seq, 0,
				mtier_nl_kinds[obj->ops->type]->cmd_get);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return genlmsg_reply(msg, info);
}

/* Where a dump resumes: the id of the next object to send. */
struct mtier_nl_dump_ctx {
	unsigned long next_id;
};

static int mtier_nl_dump(struct sk_buff *skb, struct netlink_callback *cb,
			 enum mtier_obj_type type)
{
	struct mtier_nl_dump_ctx *ctx = (struct mtier_nl_dump_ctx *)cb->ctx;
	struct net *net = sock_net(cb->skb->sk);
	struct mtier_obj *obj;
	int err = 0;

	BUILD_BUG_ON(sizeof(*ctx) > sizeof(cb->ctx));
	mutex_lock(&mtier_lock);
	for (obj = mtier_obj_next(type, net, &ctx->next_id); obj;
	     ctx->next_id++, obj = mtier_obj_next(type, net, &ctx->next_id)) {
		err = mtier_nl_fill_msg(skb, obj, NETLINK_CB(cb->skb).portid,
					cb->nlh->nlmsg_seq, NLM_F_MULTI,
					mtier_nl_kinds[type]->cmd_get);
		if (err)
			break;
	}
	mutex_unlock(&mtier_lock);
	/* -EMSGSIZE with a non-empty skb makes the core call us again. */
	return err;
}

static int mtier_nl_del(struct genl_info *info, bool force)
{
	struct mtier_obj *obj = mtier_nl_obj(info);
	const struct mtier_obj_ops *ops = obj->ops;
	const char *busy;

	busy = ops->busy && !force ? ops->busy(obj) : NULL;
	if (busy) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack,
					info->attrs[mtier_nl_kinds[ops->type]->attr_name],
					"%s '%s' is busy: %s", ops->kind,
					obj->name, busy);
		return -EBUSY;
	}
	mtier_obj_del(obj);
	/* Unlinked and stopped: the post hook finishes it, unlocked. */
	info->user_ptr[1] = obj;
	return 0;
}

int mtier_nl_pool_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	return mtier_nl_get(info);
}

int mtier_nl_pool_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	return mtier_nl_dump(skb, cb, MTIER_OBJ_POOL);
}

int mtier_nl_pool_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	/* Force ends the clients' sessions: stopping the pool does that. */
	return mtier_nl_del(info, nla_get_flag(info->attrs[MTIER_A_POOL_FORCE]));
}

int mtier_nl_peer_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	return mtier_nl_get(info);
}

int mtier_nl_peer_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	return mtier_nl_dump(skb, cb, MTIER_OBJ_PEER);
}

int mtier_nl_peer_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	return mtier_nl_del(info, false);
}

int mtier_nl_tier_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	return mtier_nl_get(info);
}

int mtier_nl_tier_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	return mtier_nl_dump(skb, cb, MTIER_OBJ_TIER);
}

int mtier_nl_tier_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	return mtier_nl_del(info, false);
}

/* --- Family ----------------------------------------------------------- */

int mtier_nl_init(void)
{
	int err;

	err = genl_register_family(&mtier_nl_family);
	if (err)
		return err;
	mtier_obj_subscribe(mtier_nl_notify);
	return 0;
}

void mtier_nl_exit(void)
{
	mtier_obj_subscribe(NULL);
	genl_unregister_family(&mtier_nl_family);
}
