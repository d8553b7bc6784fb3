// SPDX-License-Identifier: GPL-2.0
/*
 * mtier: the registry of pools, peers and tiers.
 *
 * One xarray per kind, indexed by the object's id.  Ids are allocated
 * cyclically so that a deleted object's id is not handed out again at once
 * (a dump resuming at an id never sees a different object under an id it
 * already passed).  Ids are unique on the node; names are unique within a
 * kind and a network namespace, and looked up by a walk: lookups only
 * happen on the control path, under mtier_lock.
 *
 * The registry is one for all namespaces; every lookup and walk names the
 * namespace it is about.  When a namespace goes away, its pernet exit
 * deletes its objects.
 *
 * The locking and lifetime rules are described in mtier.h.
 */
#include <linux/rwsem.h>
#include <linux/string.h>
#include <linux/xarray.h>
#include <net/net_namespace.h>

#include "mtier.h"

/* Serialises configuration; see "Locking" in mtier.h. */
DEFINE_MUTEX(mtier_lock);

/* Everyone's work queue (mtier.h); main.c allocates it first and frees it last. */
struct workqueue_struct *mtier_wq;

static struct xarray mtier_objs[MTIER_OBJ_NR] = {
	[MTIER_OBJ_POOL] = XARRAY_INIT(mtier_objs[MTIER_OBJ_POOL], XA_FLAGS_ALLOC1),
	[MTIER_OBJ_PEER] = XARRAY_INIT(mtier_objs[MTIER_OBJ_PEER], XA_FLAGS_ALLOC1),
	[MTIER_OBJ_TIER] = XARRAY_INIT(mtier_objs[MTIER_OBJ_TIER], XA_FLAGS_ALLOC1),
};

/* Next id to try for each kind; protected by mtier_lock. */
static u32 mtier_next_id[MTIER_OBJ_NR];

/*
 * The one subscriber to object events (the control plane, nl.c), or NULL.
 * mtier_ev_sem is held for reading while it runs, so clearing it waits for
 * every call in progress: once mtier_obj_subscribe(NULL) returns, the
 * subscriber is not called any more and may tear down what it uses.
 */
static DECLARE_RWSEM(mtier_ev_sem);
static mtier_obj_event_fn mtier_ev_fn;	/* under mtier_ev_sem */

/**
 * mtier_obj_subscribe - set or clear the subscriber to object events
 * @fn: called for every event from now on; NULL: no subscriber
 *
 * Context: process context; clearing waits for the calls in progress.
 */
void mtier_obj_subscribe(mtier_obj_event_fn fn)
{
	down_write(&mtier_ev_sem);
	mtier_ev_fn = fn;
	up_write(&mtier_ev_sem);
}

/**
 * mtier_obj_changed - announce what happened to an object
 * @obj: the object
 * @ev: an enum mtier_event
 *
 * Every layer below the control plane reports through this call: the
 * object kinds, the registry, the transports.
 *
 * Context: process context (the subscriber allocates and may sleep);
 * mtier_lock need not be held.
 */
void mtier_obj_changed(struct mtier_obj *obj, enum mtier_event ev)
{
	down_read(&mtier_ev_sem);
	if (mtier_ev_fn)
		mtier_ev_fn(obj, ev);
	up_read(&mtier_ev_sem);
}

/**
 * mtier_obj_init - initialise the common part of a new object
 * @obj: the object
 * @ops: its kind's operations
 * @name: its name, checked by the caller
 * @net: the namespace it is created in; no reference is taken (mtier.h)
 */
void mtier_obj_init(struct mtier_obj *obj, const struct mtier_obj_ops *ops,
		    const char *name, struct net *net)
{
	kref_init(&obj->ref);
	obj->ops = ops;
	obj->net = net;
	strscpy(obj->name, name, sizeof(obj->name));
}

/**
 * mtier_obj_find - look an object up by name
 * @type: kind of object
 * @net: the namespace to look in
 * @name: its name
 *
 * Context: mtier_lock held; the object stays valid while it is.
 * Return: the object, or NULL.
 */
struct mtier_obj *mtier_obj_find(enum mtier_obj_type type,
				 const struct net *net, const char *name)
{
	struct mtier_obj *obj;
	unsigned long id;

	/*
	 * Comparing pointers is enough: a namespace's objects are deleted
	 * before its struct net is freed, so a new namespace at the same
	 * address never finds an object of the old one.
	 */
	lockdep_assert_held(&mtier_lock);
	xa_for_each(&mtier_objs[type], id, obj)
		if (net_eq(obj->net, net) && !strcmp(obj->name, name))
			return obj;
	return NULL;
}

/**
 * mtier_obj_next - iterate over the objects of one kind in id order
 * @type: kind of object
 * @net: only objects of this namespace; NULL: of every namespace
 * @id: in: first id to consider; out: id of the object returned
 *
 * Context: mtier_lock held.
 * Return: the first object (of @net) whose id is at least *@id, or NULL.
 */
struct mtier_obj *mtier_obj_next(enum mtier_obj_type type,
				 const struct net *net, unsigned long *id)
{
	struct mtier_obj *obj;

	lockdep_assert_held(&mtier_lock);
	for (;;) {
		obj = xa_find(&mtier_objs[type], id, ULONG_MAX, XA_PRESENT);
		if (!obj || !net || net_eq(obj->net, net))
			return obj;
		(*id)++;
	}
}

/**
 * mtier_obj_link - make a new object visible and announce it
 * @obj: the object, initialised and started
 *
 * The registry takes over the caller's initial reference.
 *
 * Context: mtier_lock held.
 * Return: 0, or -ENOMEM / -EBUSY (no id left) with @obj untouched.
 */
int mtier_obj_link(struct mtier_obj *obj)
{
	enum mtier_obj_type type = obj->ops->type;
	int err;

	lockdep_assert_held(&mtier_lock);
	err = xa_alloc_cyclic(&mtier_objs[type], &obj->id, obj, xa_limit_31b,
			      &mtier_next_id[type], GFP_KERNEL);
	if (err < 0)
		return err;
	obj->linked = true;
	mtier_obj_changed(obj, MTIER_EV_ADD);
	return 0;
}

/**
 * mtier_obj_del - unlink, announce and stop an object
 * @obj: a linked object whose ops->busy() said nothing
 *
 * The registry's reference passes to the caller, who must call
 * mtier_obj_finish() next, with or without mtier_lock.
 *
 * Context: mtier_lock held; may sleep in ops->stop().
 */
void mtier_obj_del(struct mtier_obj *obj)
{
	lockdep_assert_held(&mtier_lock);
	xa_erase(&mtier_objs[obj->ops->type], obj->id);
	obj->linked = false;
	mtier_obj_changed(obj, MTIER_EV_DEL);
	if (obj->ops->stop)
		obj->ops->stop(obj);
}

/**
 * mtier_obj_finish - end a stopped object and drop the reference
 * @obj: an object mtier_obj_del() or ops->stop() has stopped
 *
 * Context: process context; may sleep for round trips in ops->finish().
 */
void mtier_obj_finish(struct mtier_obj *obj)
{
	if (obj->ops->finish)
		obj->ops->finish(obj);
	mtier_obj_put(obj);
}

void mtier_obj_get(struct mtier_obj *obj)
{
	kref_get(&obj->ref);
}

static void mtier_obj_release(struct kref *ref)
{
	struct mtier_obj *obj = container_of(ref, struct mtier_obj, ref);

	obj->ops->release(obj);
}

void mtier_obj_put(struct mtier_obj *obj)
{
	kref_put(&obj->ref, mtier_obj_release);
}

/* Deletion order: tiers hold references on peers. */
static const enum mtier_obj_type mtier_del_order[] = {
	MTIER_OBJ_TIER, MTIER_OBJ_PEER, MTIER_OBJ_POOL,
};

/*
 * A namespace is going away, or the module: delete the namespace's objects,
 * busy or not.  From cleanup_net(), no request can come from the namespace
 * any more (every socket in it is gone) and no rdma_cm id of ours is left
 * in it (each holds a reference on it); at module unload the family is
 * gone already.  A tier whose block device is still open is deleted all
 * the same, as a disk that is unplugged: del_gendisk() fails its I/O and
 * further opens, and its openers keep only a dead device.
 *
 * Runs under pernet_ops_rwsem (read from cleanup_net(), write from
 * unregister_pernet_subsys()).  Nothing that holds mtier_lock waits for
 * that semaphore or for a namespace's cleanup, so taking mtier_lock here
 * cannot deadlock; and what deletion waits for (I/O, connections,
 * sessions, our work items) does not wait for the namespace either.
 */
static void __net_exit mtier_net_exit(struct net *net)
{
	struct mtier_obj *obj;
	unsigned long id;
	int i;

	mutex_lock(&mtier_lock);
	for (i = 0; i < ARRAY_SIZE(mtier_del_order); i++) {
		xa_for_each(&mtier_objs[mtier_del_order[i]], id, obj)
			if (net_eq(obj->net, net)) {
				mtier_obj_del(obj);
				mtier_obj_finish(obj);
			}
	}
	mutex_unlock(&mtier_lock);
}

static struct pernet_operations mtier_net_ops = {
	.exit	= mtier_net_exit,
};

/**
 * mtier_registry_init - follow network namespaces going away
 *
 * Return: 0 or a negative errno.
 */
int mtier_registry_init(void)
{
	return register_pernet_subsys(&mtier_net_ops);
}

/**
 * mtier_registry_teardown - delete every object at module unload
 *
 * Unregistering the pernet operations runs mtier_net_exit() for every
 * namespace, which deletes every object: the registry is empty after it.
 * Nothing can be busy by now (an open block device pins the module), so
 * nothing is refused.  The netlink family is gone already, so nobody is
 * notified.
 */
void mtier_registry_teardown(void)
{
	struct mtier_obj *obj;
	unsigned long id;
	int i;

	unregister_pernet_subsys(&mtier_net_ops);
	mutex_lock(&mtier_lock);
	for (i = 0; i < ARRAY_SIZE(mtier_del_order); i++) {
		xa_for_each(&mtier_objs[mtier_del_order[i]], id, obj) {
			WARN_ONCE(1, "mtier: %s %s outlived its namespace\n",
				  obj->ops->kind, obj->name);
			mtier_obj_del(obj);
			mtier_obj_finish(obj);
		}
		xa_destroy(&mtier_objs[mtier_del_order[i]]);
	}
	mutex_unlock(&mtier_lock);
}
