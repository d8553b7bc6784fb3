/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mtier: the objects of the module and the rules that keep them alive.
 *
 * Three kinds of object exist, all reachable from the registry:
 *
 *   pool  memory this node donates to others          (pool.c)
 *   peer  a donor node as seen from this node          (peer.c)
 *   tier  remote memory presented as a block device    (tier.c)
 *
 * Locking
 * -------
 * mtier_lock (a mutex, registry.c) serialises every configuration change:
 * all netlink handlers run under it, and it protects the registry's
 * xarrays, the name of every object, every configuration field marked
 * "[cfg]" below and the peer <-> tier links.  Netlink is the only writer of
 * configuration, so a handler holding mtier_lock sees a stable object.
 *
 * Fields marked "[rt]" change at run time (state, counters).  They are
 * written by their owner with WRITE_ONCE() or atomics and may be read
 * locklessly (READ_ONCE()) when building a netlink message.
 *
 * Lifetime
 * --------
 * Every object embeds a struct mtier_obj with a kref.  The registry holds
 * one reference for as long as the object is linked (obj.linked).  A tier
 * holds one reference on each of its peers, and the peer counts its users
 * in peer->tiers; a peer with users cannot be deleted (EBUSY).  Deleting
 * an object unlinks it under mtier_lock, announces it, stops it (which may
 * sleep) and drops the registry's reference; the memory goes when the last
 * reference does (ops->release).  Code that uses an object outside
 * mtier_lock must hold its own reference (mtier_obj_get()).
 *
 * Network namespaces
 * ------------------
 * Every object belongs to the network namespace of the request that
 * created it (obj.net), as a network device does: names are unique within
 * a kind and a namespace, and netlink only shows an object to, lets it be
 * changed by, and announces it to, its own namespace.  A tier uses peers
 * of its own namespace only.
 *
 * An object holds no counted reference on its namespace: one would keep
 * the namespace alive for as long as the object, which lives in it, so
 * neither would ever go.  Instead the namespace's pernet exit (registry.c)
 * deletes its objects (tiers, peers, pools), whatever they are doing, and
 * obj.net is valid for as long as the object is linked and until its
 * ops->stop() has returned, which is all the code that uses it needs:
 * ops->release() must not touch it.  The rdma_cm ids of a pool's listener
 * and of a peer's connection do hold a reference each (rdma_cm takes it):
 * a namespace with a listening pool or a connected peer lives on until
 * they are deleted or the module unloaded.  A work item that creates an
 * rdma_cm id goes through mtier_rdma_create_id(), which refuses a
 * namespace already on its way out instead of reviving it.
 */
#ifndef _MTIER_H
#define _MTIER_H

#include <linux/bits.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/socket.h>
#include <linux/types.h>
#include <linux/blk-mq.h>
#include <linux/rwsem.h>
#include <linux/u64_stats_sync.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <net/net_namespace.h>

#include <uapi/linux/mtier.h>

#define MTIER_SLAB_MIN		BIT_ULL(20)
#define MTIER_SLAB_MAX		BIT_ULL(30)
#define MTIER_SLAB_DEFAULT	(64ULL << 20)
#define MTIER_TIER_MAX_SIZE	BIT_ULL(50)
#define MTIER_KEEPALIVE_DEFAULT	1000	/* ms */
#define MTIER_TIMEOUT_DEFAULT	5000	/* ms */
#define MTIER_LEASE_DEFAULT	15000	/* ms: three default peer timeouts */
#define MTIER_MAX_CLIENTS_DEFAULT	64	/* sessions per pool */
#define MTIER_MAX_CLIENTS_ADDR_DEFAULT	4	/* sessions per client address */
#define MTIER_WINDOW_DEFAULT	32	/* pages */
#define MTIER_HISTORY_DEFAULT	32	/* accesses */
#define MTIER_CACHE_DEFAULT	(32ULL << 20)
#define MTIER_MAX_QUEUES	16	/* data queue pairs per peer */
#define MTIER_QUEUE_DEPTH	128	/* requests per hardware queue */
#define MTIER_LAT_BUCKETS	24	/* latency histogram: 1 us .. 8 s */

extern struct mutex mtier_lock;
/* Connection, session and slow-I/O work; WQ_MEM_RECLAIM: swap goes here. */
extern struct workqueue_struct *mtier_wq;
extern int mtier_major;

enum mtier_obj_type {
	MTIER_OBJ_POOL,
	MTIER_OBJ_PEER,
	MTIER_OBJ_TIER,
	MTIER_OBJ_NR,
};

/* What a monitor notification announces. */
enum mtier_event {
	MTIER_EV_ADD,
	MTIER_EV_DEL,
	MTIER_EV_CHANGE,
	MTIER_EV_NR,
};

struct mtier_obj;
struct mtier_link;
struct mtier_transport_ops;
struct netlink_ext_ack;
struct sk_buff;

/**
 * struct mtier_obj_ops - what the registry needs of an object kind
 * @kind: user-visible name of the kind ("pool")
 * @type: index of the kind in the registry
 * @busy: return why the object cannot be deleted now, or NULL; NULL
 *	commits to the deletion, which follows under the same mtier_lock
 *	(a tier refuses new opens from then on)
 * @stop: quiesce the object once it is unlinked (may sleep)
 * @finish: what is left after @stop and may take long (round trips to
 *	other nodes); called without mtier_lock when the deletion comes from
 *	netlink, so that it blocks no other command (may be NULL)
 * @release: free the object; called when the last reference goes
 *
 * How each kind is put into netlink messages lives in nl_pool.c, nl_peer.c
 * and nl_tier.c.
 */
struct mtier_obj_ops {
	const char *kind;
	enum mtier_obj_type type;
	const char *(*busy)(struct mtier_obj *obj);
	void (*stop)(struct mtier_obj *obj);
	void (*finish)(struct mtier_obj *obj);
	void (*release)(struct mtier_obj *obj);
};

/**
 * struct mtier_obj - what every object has
 * @ref: references, see "Lifetime" above
 * @ops: the kind's operations
 * @id: index in the registry's xarray of that kind [cfg]
 * @linked: the object is in the registry [cfg]
 * @net: the network namespace it belongs to; set at creation, never
 *	changed, not a counted reference (see "Network namespaces" above)
 * @name: unique within the kind and @net [cfg]
 */
struct mtier_obj {
	struct kref ref;
	const struct mtier_obj_ops *ops;
	u32 id;
	bool linked;
	struct net *net;
	char name[MTIER_NAME_LEN + 1];
};

/**
 * struct mtier_endpoint - where a pool listens or a peer connects
 * @net: network namespace the address belongs to: the owner's obj.net,
 *	with the same rule (no counted reference; valid until the owner's
 *	ops->stop() has returned)
 * @addr: the address and port
 * @transport: enum mtier_transport
 */
struct mtier_endpoint {
	struct net *net;
	struct sockaddr_storage addr;
	u32 transport;
};

/**
 * struct mtier_pool - memory this node donates
 * @obj: common part
 * @ep: listening endpoint [cfg]
 * @size: capacity in bytes, a multiple of @slab_size [cfg]
 * @slab_size: unit handed to clients [cfg]
 * @state: enum mtier_pool_state [rt]
 * @used: bytes handed to clients [rt]
 * @clients: connected clients [rt]
 * @slab_allocs, @slab_frees, @alloc_fails, @connects, @proto_errors:
 *	counters [rt]
 * @ctrl_msgs: control messages served; I/O makes none [rt]
 * @lease_expiries: sessions ended for silence [rt]
 * @refused: connections refused by the limits [rt]
 * @join_fails: data connections that named no session of theirs [rt]
 * @join_window, @join_window_fails: failed joins in the current window
 *	(rdma_donor.c: only its listener's connect handler uses them)
 * @lease_ms: a session silent for this long ends [cfg, read locklessly]
 * @max_clients: sessions at once [cfg, read locklessly]
 * @max_clients_addr: sessions at once from one address [cfg, read locklessly]
 * @max_client_size: bytes one session may hold, 0 for the pool's size
 *	[cfg, read locklessly]
 * @tops: its transport (transport.h), set when it starts [cfg]
 * @listener: the rdma_cm listener while listening [cfg]
 * @sess_lock: protects @sessions
 * @sessions: the clients' sessions (rdma_donor.c)
 */
struct mtier_pool {
	struct mtier_obj obj;
	struct mtier_endpoint ep;
	u64 size;
	u64 slab_size;
	u32 state;
	atomic64_t used;
	atomic_t clients;
	atomic64_t slab_allocs;
	atomic64_t slab_frees;
	atomic64_t alloc_fails;
	atomic64_t connects;
	atomic64_t proto_errors;
	atomic64_t ctrl_msgs;
	atomic64_t lease_expiries;
	atomic64_t refused;
	atomic64_t join_fails;
	unsigned long join_window;
	u32 join_window_fails;
	u32 lease_ms;
	u32 max_clients;
	u32 max_clients_addr;
	u64 max_client_size;

	/* the transport, set at start, then fixed [cfg] */
	const struct mtier_transport_ops *tops;
	/* rdma_donor.c */
	struct mtier_listener *listener; /* [cfg] */
	spinlock_t sess_lock;		/* sessions */
	struct list_head sessions;
	atomic_t nr_sessions;		/* [rt] not yet freed, listed or not */
};

/**
 * struct mtier_peer - a donor as seen from this node
 * @obj: common part
 * @ep: the donor's endpoint [cfg]
 * @keepalive_ms: interval between keepalives [cfg]
 * @timeout_ms: I/O and keepalive timeout [cfg]
 * @tiers: tiers holding a reference on this peer [cfg]
 * @state: enum mtier_peer_state [rt]
 * @rtt_us: last round-trip time [rt]
 * @slabs, @connects, @errors, @timeouts, @sq_waits: counters [rt]
 *
 * The connection's fields are described in transport.c.
 */
struct mtier_peer {
	struct mtier_obj obj;
	struct mtier_endpoint ep;
	u32 keepalive_ms;
	u32 timeout_ms;
	u32 tiers;
	u32 state;
	u32 rtt_us;
	atomic64_t slabs;
	atomic64_t connects;
	atomic64_t errors;
	atomic64_t timeouts;
	atomic64_t sq_waits;

	/* the transport core, transport.c (its rules are written there) */
	const struct mtier_transport_ops *tops; /* set at start, then fixed */
	struct mutex lock;		/* opening and closing link */
	/* RCU for the I/O path; conn_rwsem for control calls; lock to change */
	struct mtier_link __rcu *link;
	struct rw_semaphore conn_rwsem;	/* held by control calls */
	struct delayed_work work;	/* connect, tear down, reconnect */
	struct delayed_work ka_work;	/* keepalive */
	u64 gen_next;			/* under lock */
	bool stopping;			/* set once: no work queued after */
	u32 last_error;			/* errno of the last failed connect [rt] */
	u64 slab_size;			/* the donor's [rt] */
	u64 donor_free;			/* the donor's free bytes [rt] */
};

/* Counters of a tier; see tier-stats in the netlink spec. */
enum mtier_tier_counter {
	MTIER_TC_READS,
	MTIER_TC_WRITES,
	MTIER_TC_READ_BYTES,
	MTIER_TC_WRITE_BYTES,
	MTIER_TC_DISCARDS,
	MTIER_TC_FLUSHES,
	MTIER_TC_INFLIGHT,
	MTIER_TC_ERRORS,
	MTIER_TC_TIMEOUTS,
	MTIER_TC_PREFETCH_ISSUED,
	MTIER_TC_PREFETCH_HITS,
	MTIER_TC_PREFETCH_LATE_HITS,
	MTIER_TC_PREFETCH_UNUSED,
	MTIER_TC_DEMAND_MISSES,
	MTIER_TC_READ_RETRIES,
	MTIER_TC_COPY_FAILURES,
	MTIER_TC_RESYNC_BYTES,
	MTIER_TC_SLABS_HEALED,
	MTIER_TC_NR,
};

/*
 * Per-CPU counters of a tier, written on the I/O path without locks and
 * summed with u64_stats retries.  MTIER_TC_INFLIGHT is not one of them: it
 * is a level, tier->inflight.
 */
struct mtier_tier_pcpu_stats {
	struct u64_stats_sync syncp;
	u64_stats_t c[MTIER_TC_NR];
	u64_stats_t lat[MTIER_LAT_BUCKETS];
};

/**
 * struct mtier_tier_cfg - the settings of a tier that netlink may change
 * @prefetch: enum mtier_prefetch
 * @window_max: largest prefetch window, pages
 * @history: accesses the trend detector looks at
 * @cache_size: bound of the prefetch cache, bytes
 * @resync_rate: most bytes a second healing copies, 0 for no limit
 */
struct mtier_tier_cfg {
	u32 prefetch;
	u32 window_max;
	u32 history;
	u64 cache_size;
	u64 resync_rate;
};

/**
 * struct mtier_tier - remote memory presented as a block device
 * @obj: common part
 * @size: bytes [cfg]
 * @replicas: copies of every slab [cfg]
 * @nr_peers: entries in @peers [cfg]
 * @peers: the peers, each holding a reference [cfg]
 * @cfg: prefetch and cache settings [cfg]
 * @pcpu: per-CPU counters [rt]
 * @inflight: requests being served [rt]
 * @cache_bytes: bytes in the prefetch cache [rt]
 *
 * Its state is not stored: with one replica, live when all its peers are
 * up; with more, live when every slab has all its copies good and enough
 * peers are up to place new ones; else degraded.
 * The block device's fields are described in blkdev.c.
 */
struct mtier_tier {
	struct mtier_obj obj;
	u64 size;
	u32 replicas;
	u32 nr_peers;
	struct mtier_peer *peers[MTIER_MAX_PEERS];
	struct mtier_tier_cfg cfg;
	struct mtier_tier_pcpu_stats __percpu *pcpu;
	atomic_t inflight;
	atomic64_t cache_bytes;

	/* blkdev.c */
	struct blk_mq_tag_set tag_set;
	struct gendisk *disk;
	int index;
	bool deleting;
	struct xarray slabs;		/* slab index -> struct mtier_tslab */
	u32 slab_shift;			/* 0 until the first slab [rt] */
	struct mutex map_lock;		/* changes to slabs, slab_shift, spare */
	struct mtier_tslab *spare;	/* allocated ahead, not mapped [map_lock] */
	u64 nr_mapped;			/* entries in slabs [map_lock] */
	spinlock_t slow_lock;		/* slow_list */
	struct list_head slow_list;
	struct work_struct slow_work;
	struct mtier_cache *cache;	/* cache.c */

	/* replica.c */
	struct delayed_work heal_work;	/* heals slabs short of copies */
	/* As last announced: 0 whole, 1 degraded, 2 resyncing [heal_work] */
	u32 heal_state;
	bool healing;			/* a run is copying [heal_work writes] */
};

/* registry.c */
void mtier_obj_init(struct mtier_obj *obj, const struct mtier_obj_ops *ops,
		    const char *name, struct net *net);
struct mtier_obj *mtier_obj_find(enum mtier_obj_type type,
				 const struct net *net, const char *name);
int mtier_obj_link(struct mtier_obj *obj);
void mtier_obj_del(struct mtier_obj *obj);
void mtier_obj_finish(struct mtier_obj *obj);
void mtier_obj_get(struct mtier_obj *obj);
void mtier_obj_put(struct mtier_obj *obj);
struct mtier_obj *mtier_obj_next(enum mtier_obj_type type,
				 const struct net *net, unsigned long *id);
int mtier_registry_init(void);
void mtier_registry_teardown(void);
typedef void (*mtier_obj_event_fn)(struct mtier_obj *obj, enum mtier_event ev);
void mtier_obj_subscribe(mtier_obj_event_fn fn);
void mtier_obj_changed(struct mtier_obj *obj, enum mtier_event ev);

/* nl.c */
int mtier_nl_init(void);
void mtier_nl_exit(void);

/* pool.c */
extern const struct mtier_obj_ops mtier_pool_ops;
u64 mtier_pool_donatable(void);
u64 mtier_pool_donated(void);
struct mtier_pool *mtier_pool_create(const char *name, struct net *net);
int mtier_pool_start(struct mtier_pool *pool, struct netlink_ext_ack *extack);
void mtier_pool_resize(struct mtier_pool *pool, u64 size);
static inline struct mtier_pool *to_pool(struct mtier_obj *obj)
{
	return container_of(obj, struct mtier_pool, obj);
}

/**
 * mtier_pool_free - what a pool can still hand out
 * @pool: the pool
 *
 * Inline: the donor side of a transport asks it, and is below pool.c.
 */
static inline u64 mtier_pool_free(struct mtier_pool *pool)
{
	u64 size = READ_ONCE(pool->size), used = atomic64_read(&pool->used);

	return size > used ? size - used : 0;
}

/* peer.c */
extern const struct mtier_obj_ops mtier_peer_ops;
struct mtier_peer *mtier_peer_create(const char *name, struct net *net);
int mtier_peer_start(struct mtier_peer *peer, struct netlink_ext_ack *extack);
static inline struct mtier_peer *to_peer(struct mtier_obj *obj)
{
	return container_of(obj, struct mtier_peer, obj);
}

/* blkdev.c */
int mtier_blkdev_create(struct mtier_tier *tier);
void mtier_blkdev_init(struct mtier_tier *tier);
bool mtier_blkdev_claim(struct mtier_tier *tier);
void mtier_blkdev_destroy(struct mtier_tier *tier);
void mtier_blkdev_free_slabs(struct mtier_tier *tier);

/* replica.c */
u64 mtier_replica_degraded(struct mtier_tier *tier);

/* rdma_core.c */
int mtier_rdma_init(void);
void mtier_rdma_exit(void);

/* tier.c */
extern const struct mtier_obj_ops mtier_tier_ops;
struct mtier_tier *mtier_tier_create(const char *name, struct net *net);
void mtier_tier_add_peer(struct mtier_tier *tier, struct mtier_peer *peer);
void mtier_tier_announce_peers(struct mtier_tier *tier);
int mtier_tier_start(struct mtier_tier *tier, struct netlink_ext_ack *extack);
void mtier_tier_set_cfg(struct mtier_tier *tier,
			const struct mtier_tier_cfg *cfg);
void mtier_tier_read_stats(struct mtier_tier *tier, u64 sum[MTIER_TC_NR],
			   u64 lat[MTIER_LAT_BUCKETS]);
u32 mtier_tier_state(struct mtier_tier *tier);
u32 mtier_tier_peers_up(struct mtier_tier *tier, u32 *room);
static inline struct mtier_tier *to_tier(struct mtier_obj *obj)
{
	return container_of(obj, struct mtier_tier, obj);
}

#endif /* _MTIER_H */
