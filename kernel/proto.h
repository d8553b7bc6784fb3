/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mtier: the wire protocol between a tier's peer (client) and a pool
 * (donor).  Documented in Documentation/protocol.rst; every field is
 * little-endian and every message carries the magic and the version.
 *
 * Connections are RC queue pairs set up with rdma_cm.  A client opens one
 * control connection, which creates a session on the donor, then one data
 * connection per I/O queue, which join that session by its cookie.  The
 * connect request and accept carry the hello exchange in their private
 * data; after that, control messages travel as SEND/RECV on the control
 * queue pair, and data moves only by one-sided RDMA READ and WRITE on the
 * data queue pairs: the donor posts no work and takes no completion for I/O.
 */
#ifndef _MTIER_PROTO_H
#define _MTIER_PROTO_H

/* Included by userspace tests too: only __u8/__le types and static_assert. */
#ifdef __KERNEL__
#include <linux/build_bug.h>
#else
#include <assert.h>
#endif
#include <linux/types.h>

#define MTIER_PROTO_MAGIC	0x5249544dU	/* "MTIR" on the wire */
#define MTIER_PROTO_VERSION	2

/* The secret a data connection shows to join its session. */
#define MTIER_TOKEN_LEN		16

/* Control messages a side may have outstanding (and receives it posts). */
#define MTIER_CTRL_DEPTH	16

/* Kinds of connection (mtier_cm_req.qtype). */
enum mtier_qtype {
	MTIER_QTYPE_CTRL = 1,
	MTIER_QTYPE_DATA = 2,
};

/*
 * Private data of the connect request, client to donor.  It must fit the
 * 56 bytes an IB CM REQ leaves to rdma_cm users.
 */
struct mtier_cm_req {
	__le32 magic;
	__le16 version;
	__le16 qtype;		/* enum mtier_qtype */
	__le64 session;		/* data: the cookie the control accept gave */
	__le16 qid;		/* data: index of the queue, from 0 */
	__le16 nr_data;		/* control: data queues that will follow */
	__le32 reserved;
	__u8 token[MTIER_TOKEN_LEN]; /* data: the token the accept gave */
};

static_assert(sizeof(struct mtier_cm_req) == 40);

/* Private data of the accept, donor to client. */
struct mtier_cm_rep {
	__le32 magic;
	__le16 version;
	__le16 reserved;
	__le64 session;		/* cookie for the data connections */
	__le64 slab_size;	/* every slab of this pool has this size */
	__le64 capacity;	/* the pool's size */
	__le64 free;		/* what it can still hand out */
	__u8 token[MTIER_TOKEN_LEN]; /* random: what data connections show */
};

static_assert(sizeof(struct mtier_cm_rep) == 56);

/* Private data of a reject, donor to client. */
struct mtier_cm_rej {
	__le32 magic;
	__le16 version;
	__le16 status;		/* a positive errno: EPROTO, EINVAL, ENOENT... */
};

static_assert(sizeof(struct mtier_cm_rej) == 8);

/* Control message types. */
enum mtier_msg_type {
	MTIER_MSG_ALLOC = 1,	/* client: a slab, please */
	MTIER_MSG_ALLOC_REP,	/* donor: here it is, or status */
	MTIER_MSG_FREE,		/* client: I am done with this slab */
	MTIER_MSG_FREE_REP,	/* donor: its key is invalid, it is gone */
	MTIER_MSG_KEEPALIVE,	/* client: are you there? */
	MTIER_MSG_KEEPALIVE_REP, /* donor: yes, and this is my capacity */
	MTIER_MSG_MAX = MTIER_MSG_KEEPALIVE_REP,
};

/*
 * Every control message has this one size.  A request's tag comes back in
 * its reply; status is 0 in requests and 0 or a positive errno in replies.
 */
struct mtier_msg {
	__le32 magic;
	__u8 version;
	__u8 type;		/* enum mtier_msg_type */
	__le16 status;
	__le64 tag;
	union {
		struct {		/* ALLOC: wanted size; ALLOC_REP: the slab */
			__le64 len;
			__le64 slab;	/* the donor's id of the slab */
			__le64 addr;	/* address to use with the key */
			__le32 rkey;
			__le32 reserved;
		} alloc;
		struct {		/* FREE, FREE_REP */
			__le64 slab;
		} free;
		struct {		/* KEEPALIVE_REP */
			__le64 capacity;
			__le64 free;
		} keepalive;
		__u8 raw[48];
	};
};

static_assert(sizeof(struct mtier_msg) == 64);

#endif /* _MTIER_PROTO_H */
