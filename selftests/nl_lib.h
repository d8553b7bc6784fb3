/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small raw generic netlink client for the mtier selftests.
 *
 * It builds requests attribute by attribute (so tests can also build
 * malformed ones), sends them, and decodes the answer: the error code, the
 * extack message, the attribute the kernel blamed (by type, found from the
 * offset the kernel reports into our own request), the missing attribute
 * and the policy limits the kernel reports.
 */
#ifndef MTIER_NL_LIB_H
#define MTIER_NL_LIB_H

#include <stddef.h>
#include <stdint.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/mtier.h>

#define NLT_BUF		16384
#define NLT_MAX_NEST	8

struct nlt_msg {
	char buf[NLT_BUF];
	size_t len;
	size_t nest[NLT_MAX_NEST];
	int depth;
};

struct nlt_reply {
	int error;		/* 0 or -errno */
	char msg[256];		/* extack message, "" when none */
	int bad_attr;		/* type of the blamed top-level attribute, or -1 */
	int bad_nested;		/* type inside a nest when the blame is nested, or -1 */
	int miss_type;		/* type of a missing attribute, or -1 */
	long long pol_max_len;	/* policy limits, -1 when not reported */
	long long pol_min;
	long long pol_max;
	int nmsgs;		/* data messages received (get/dump) */
	int nreads;		/* recv() calls that returned data */
	char data[65536];	/* the last data message */
	size_t data_len;
};

struct nlt_sock {
	int fd;
	uint16_t family;
	uint32_t monitor_grp;
	uint32_t seq;
	/* When set, called for every data message a reply carries. */
	void (*on_data)(const struct nlmsghdr *nh, void *arg);
	void *on_data_arg;
};

int nlt_open(struct nlt_sock *s);
void nlt_close(struct nlt_sock *s);
int nlt_subscribe(struct nlt_sock *s);

void nlt_init(struct nlt_msg *m, const struct nlt_sock *s, uint8_t cmd,
	      uint16_t flags);
void nlt_put(struct nlt_msg *m, uint16_t type, const void *data, size_t len);
void nlt_put_u16(struct nlt_msg *m, uint16_t type, uint16_t v);
void nlt_put_u32(struct nlt_msg *m, uint16_t type, uint32_t v);
void nlt_put_u64(struct nlt_msg *m, uint16_t type, uint64_t v);
void nlt_put_str(struct nlt_msg *m, uint16_t type, const char *str);
void nlt_nest_start(struct nlt_msg *m, uint16_t type);
void nlt_nest_end(struct nlt_msg *m);

/* Send a message and collect everything up to its ACK or DONE. */
int nlt_send_raw(struct nlt_sock *s, const void *buf, size_t len);
int nlt_transact(struct nlt_sock *s, struct nlt_msg *m, struct nlt_reply *r);
int nlt_recv_reply(struct nlt_sock *s, const struct nlt_msg *req,
		   struct nlt_reply *r);

/* Receive one multicast message; returns its command or -1 on timeout. */
int nlt_recv_ntf(struct nlt_sock *s, int timeout_ms, char *name, size_t len);

/* Attribute lookup in a data message from the kernel. */
const struct nlattr *nlt_attr(const void *genl_payload, size_t len,
			      uint16_t type);
const struct nlattr *nlt_data_attr(const struct nlt_reply *r, uint16_t type);
uint64_t nlt_attr_uint(const struct nlattr *a);

/* Shortcuts for building objects in tests. */
int nlt_pool_add(struct nlt_sock *s, const char *name, uint64_t size,
		 uint16_t port, struct nlt_reply *r);
int nlt_peer_add(struct nlt_sock *s, const char *name, const char *addr,
		 uint16_t port, struct nlt_reply *r);
int nlt_tier_add(struct nlt_sock *s, const char *name, uint64_t size,
		 const char *peer, struct nlt_reply *r);
int nlt_del(struct nlt_sock *s, uint8_t cmd, uint16_t name_attr,
	    const char *name, struct nlt_reply *r);
/* Delete every tier, peer and pool (in that order). */
int nlt_flush(struct nlt_sock *s);
/* Count objects with a dump; returns the count or -errno. */
int nlt_count(struct nlt_sock *s, uint8_t cmd, struct nlt_reply *r);

#endif
