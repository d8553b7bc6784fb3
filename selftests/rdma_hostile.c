// SPDX-License-Identifier: GPL-2.0
/*
 * The donor against misbehaving and curious clients, from userspace with
 * librdmacm and verbs: malformed hellos are rejected with a reason, bad
 * control messages close the connection and count as protocol errors,
 * a full pool says ENOSPC, one client cannot touch another's slab, a freed
 * slab's key is dead, and memory comes back zeroed and fully accounted.
 *
 * Needs the module loaded and a SoftRoCE device with MTIER_RDMA_ADDR.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <rdma/rdma_cma.h>

#include "kselftest_harness.h"
#include "nl_lib.h"
#include "../kernel/proto.h"

#define PORT	7600
#define SLAB	(16ULL << 20)
#define SLABS	4
#define BUF	65536

/* A client that speaks the protocol, well or badly. */
struct hc {
	struct rdma_event_channel *ec;
	struct rdma_cm_id *id;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_mr *mr;
	char *buf;		/* [0,64): tx, [64, 64*17): rx, [4096, BUF): data */
	struct mtier_cm_rep rep;
	int rej_status;
	uint64_t tag;
};

static int hc_event(struct hc *c, enum rdma_cm_event_type want, int timeout_ms,
		    struct rdma_cm_event *copy)
{
	struct pollfd pfd = { .fd = c->ec->fd, .events = POLLIN };
	struct rdma_cm_event *ev;
	int type;

	if (poll(&pfd, 1, timeout_ms) <= 0)
		return -ETIMEDOUT;
	if (rdma_get_cm_event(c->ec, &ev))
		return -errno;
	type = ev->event;
	if (type == RDMA_CM_EVENT_ESTABLISHED &&
	    ev->param.conn.private_data_len >= sizeof(c->rep))
		memcpy(&c->rep, ev->param.conn.private_data, sizeof(c->rep));
	if (type == RDMA_CM_EVENT_REJECTED && ev->param.conn.private_data &&
	    ev->param.conn.private_data_len >= sizeof(struct mtier_cm_rej)) {
		const struct mtier_cm_rej *rej = ev->param.conn.private_data;

		if (le32toh(rej->magic) == MTIER_PROTO_MAGIC)
			c->rej_status = le16toh(rej->status);
	}
	if (copy)
		*copy = *ev;
	rdma_ack_cm_event(ev);
	return type == (int)want ? 0 : -type - 1000;
}

static int hc_post_recv(struct hc *c, int i)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)c->buf + 64 * (i + 1),
		.length = 64,
		.lkey = c->mr->lkey,
	};
	struct ibv_recv_wr wr = { .wr_id = i, .sg_list = &sge, .num_sge = 1 }, *bad;

	return ibv_post_recv(c->id->qp, &wr, &bad);
}

/* Receives a client posts before it connects: 0 for one that takes no replies. */
static int hc_recvs = 16;

/* Connect with @priv as the hello; 0, or -ECONNREFUSED with rej_status. */
static int hc_connect(struct hc *c, const void *priv, int len)
{
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	struct ibv_qp_init_attr qpa = {
		.qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = 32, .max_recv_wr = 32,
			 .max_send_sge = 1, .max_recv_sge = 1 },
	};
	struct rdma_conn_param param = {
		.private_data = priv,
		.private_data_len = len,
		.initiator_depth = 16,
		.retry_count = 7,
		.rnr_retry_count = 7,
	};
	int i, err;

	memset(c, 0, sizeof(*c));
	inet_pton(AF_INET, getenv("MTIER_RDMA_ADDR"), &dst.sin_addr);
	c->ec = rdma_create_event_channel();
	if (!c->ec || rdma_create_id(c->ec, &c->id, NULL, RDMA_PS_TCP))
		return -errno;
	if (rdma_resolve_addr(c->id, NULL, (struct sockaddr *)&dst, 2000) ||
	    hc_event(c, RDMA_CM_EVENT_ADDR_RESOLVED, 5000, NULL) ||
	    rdma_resolve_route(c->id, 2000) ||
	    hc_event(c, RDMA_CM_EVENT_ROUTE_RESOLVED, 5000, NULL))
		return -EHOSTUNREACH;
	c->pd = ibv_alloc_pd(c->id->verbs);
	c->cq = ibv_create_cq(c->id->verbs, 64, NULL, NULL, 0);
	c->buf = aligned_alloc(4096, BUF);
	if (!c->pd || !c->cq || !c->buf)
		return -ENOMEM;
	memset(c->buf, 0, BUF);
	c->mr = ibv_reg_mr(c->pd, c->buf, BUF, IBV_ACCESS_LOCAL_WRITE);
	qpa.send_cq = c->cq;
	qpa.recv_cq = c->cq;
	if (!c->mr || rdma_create_qp(c->id, c->pd, &qpa))
		return -ENOMEM;
	for (i = 0; i < hc_recvs; i++)
		if (hc_post_recv(c, i))
			return -EIO;
	if (rdma_connect(c->id, &param))
		return -errno;
	err = hc_event(c, RDMA_CM_EVENT_ESTABLISHED, 10000, NULL);
	if (err == -RDMA_CM_EVENT_REJECTED - 1000)
		return -ECONNREFUSED;
	return err;
}

static int hc_connect_ctrl(struct hc *c)
{
	struct mtier_cm_req req = {
		.magic = htole32(MTIER_PROTO_MAGIC),
		.version = htole16(MTIER_PROTO_VERSION),
		.qtype = htole16(MTIER_QTYPE_CTRL),
		.nr_data = htole16(1),
	};

	return hc_connect(c, &req, sizeof(req));
}

static void hc_close(struct hc *c)
{
	if (c->id) {
		rdma_disconnect(c->id);
		if (c->id->qp)
			rdma_destroy_qp(c->id);
	}
	if (c->mr)
		ibv_dereg_mr(c->mr);
	if (c->cq)
		ibv_destroy_cq(c->cq);
	if (c->pd)
		ibv_dealloc_pd(c->pd);
	if (c->id)
		rdma_destroy_id(c->id);
	if (c->ec)
		rdma_destroy_event_channel(c->ec);
	free(c->buf);
	memset(c, 0, sizeof(*c));
}

/*
 * Wait for one work completion, of a receive or of our own sends.  A
 * reply may complete before the send that asked for it: completions of the
 * other kind are kept for the next call.
 */
static int hc_poll(struct hc *c, bool recv, struct ibv_wc *out, int timeout_ms)
{
	static struct ibv_wc stash[64];
	static int nstash;
	struct ibv_wc wc;
	int i, waited = 0;

	for (;;) {
		int n = 0;

		for (i = 0; i < nstash; i++) {
			if (!!(stash[i].opcode & IBV_WC_RECV) == recv ||
			    stash[i].status != IBV_WC_SUCCESS) {
				wc = stash[i];
				stash[i] = stash[--nstash];
				n = 1;
				break;
			}
		}
		if (!n)
			n = ibv_poll_cq(c->cq, 1, &wc);
		if (n < 0)
			return -EIO;
		if (n == 1 && (!!(wc.opcode & IBV_WC_RECV) == recv ||
			       wc.status != IBV_WC_SUCCESS)) {
			if (out)
				*out = wc;
			return wc.status == IBV_WC_SUCCESS ? 0 : -(int)wc.status - 100;
		}
		if (n == 1 && nstash < 64) {
			stash[nstash++] = wc;
			continue;
		}
		if (waited >= timeout_ms)
			return -ETIMEDOUT;
		usleep(1000);
		waited++;
	}
}

/* Send @len bytes of @m as a control message. */
static int hc_send(struct hc *c, const void *m, int len)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)c->buf, .length = len, .lkey = c->mr->lkey,
	};
	struct ibv_send_wr wr = {
		.sg_list = &sge, .num_sge = 1, .opcode = IBV_WR_SEND,
		.send_flags = IBV_SEND_SIGNALED,
	}, *bad;

	memcpy(c->buf, m, len);
	if (ibv_post_send(c->id->qp, &wr, &bad))
		return -EIO;
	return hc_poll(c, false, NULL, 5000);
}

/* A well-formed request, its reply in @rep. */
static int hc_call(struct hc *c, uint8_t type, uint64_t arg, struct mtier_msg *rep)
{
	struct mtier_msg m = {
		.magic = htole32(MTIER_PROTO_MAGIC),
		.version = MTIER_PROTO_VERSION,
		.type = type,
		.tag = htole64(++c->tag),
	};
	struct ibv_wc wc;
	int err;

	if (type == MTIER_MSG_ALLOC)
		m.alloc.len = htole64(arg);
	if (type == MTIER_MSG_FREE)
		m.free.slab = htole64(arg);
	err = hc_send(c, &m, sizeof(m));
	if (err)
		return err;
	err = hc_poll(c, true, &wc, 10000);
	if (err)
		return err;
	memcpy(rep, c->buf + 64 * (wc.wr_id + 1), sizeof(*rep));
	hc_post_recv(c, wc.wr_id);
	if (le64toh(rep->tag) != c->tag)
		return -EPROTO;
	return -le16toh(rep->status);
}

/* RDMA READ or WRITE of @len bytes at the start of the data buffer. */
static int hc_rdma(struct hc *c, bool write, uint64_t addr, uint32_t rkey,
		   uint32_t len)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)c->buf + 4096, .length = len, .lkey = c->mr->lkey,
	};
	struct ibv_send_wr wr = {
		.sg_list = &sge, .num_sge = 1, .send_flags = IBV_SEND_SIGNALED,
		.opcode = write ? IBV_WR_RDMA_WRITE : IBV_WR_RDMA_READ,
		.wr.rdma = { .remote_addr = addr, .rkey = rkey },
	}, *bad;

	if (ibv_post_send(c->id->qp, &wr, &bad))
		return -EIO;
	return hc_poll(c, false, NULL, 10000);
}

/* The donor closed on us: the disconnect event comes. */
static int hc_wait_closed(struct hc *c)
{
	int i, err;

	for (i = 0; i < 5; i++) {
		err = hc_event(c, RDMA_CM_EVENT_DISCONNECTED, 3000, NULL);
		if (err != -ETIMEDOUT && err)
			continue;	/* another event first */
		return err;
	}
	return -ETIMEDOUT;
}

static uint64_t pool_stat(struct nlt_sock *s, uint16_t stat)
{
	const struct nlattr *nest, *a;
	struct nlt_reply r;

	if (nlt_del(s, MTIER_CMD_POOL_GET, MTIER_A_POOL_NAME, "hostile", &r))
		return ~0ULL;
	if (stat >= 1000) {
		a = nlt_data_attr(&r, stat - 1000);
		return a ? nlt_attr_uint(a) : ~0ULL;
	}
	nest = nlt_data_attr(&r, MTIER_A_POOL_STATS);
	if (!nest)
		return ~0ULL;
	a = nlt_attr((char *)nest + NLA_HDRLEN, nest->nla_len - NLA_HDRLEN, stat);
	return a ? nlt_attr_uint(a) : ~0ULL;
}

#define USED	(1000 + MTIER_A_POOL_USED)
#define CLIENTS	(1000 + MTIER_A_POOL_CLIENTS)

/* Wait up to @ms until the pool has @n clients; how long it took, or -1. */
static int clients_within(struct nlt_sock *s, uint64_t n, int ms)
{
	struct timespec t0, t;
	int waited;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		waited = (t.tv_sec - t0.tv_sec) * 1000 +
			 (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (pool_stat(s, CLIENTS) == n)
			return waited;
		if (waited > ms)
			return -1;
		usleep(50000);
	}
}

/* Wait until the pool has @n clients (sessions end asynchronously). */
static bool clients_settle(struct nlt_sock *s, uint64_t n)
{
	return clients_within(s, n, 5000) >= 0;
}

FIXTURE(donor) {
	struct nlt_sock s;
	struct nlt_reply r;
	struct hc a, b;
	uint64_t proto0;
};

static int hostile_pool_add(struct nlt_sock *s, struct nlt_reply *r)
{
	struct nlt_msg m;

	nlt_init(&m, s, MTIER_CMD_POOL_ADD, 0);
	nlt_put_str(&m, MTIER_A_POOL_NAME, "hostile");
	nlt_put_u64(&m, MTIER_A_POOL_SIZE, SLABS * SLAB);
	nlt_put_u64(&m, MTIER_A_POOL_SLAB_SIZE, SLAB);
	nlt_put_str(&m, MTIER_A_POOL_ADDR, getenv("MTIER_RDMA_ADDR"));
	nlt_put_u16(&m, MTIER_A_POOL_PORT, PORT);
	return nlt_transact(s, &m, r);
}

/* pool set hostile ATTR VALUE (a u32, or a uint when @wide) */
static int hostile_pool_set(struct nlt_sock *s, uint16_t attr, uint64_t v,
			    bool wide, struct nlt_reply *r)
{
	struct nlt_msg m;

	nlt_init(&m, s, MTIER_CMD_POOL_SET, 0);
	nlt_put_str(&m, MTIER_A_POOL_NAME, "hostile");
	if (wide)
		nlt_put_u64(&m, attr, v);
	else
		nlt_put_u32(&m, attr, v);
	return nlt_transact(s, &m, r);
}

FIXTURE_SETUP(donor)
{
	int err;

	memset(&self->a, 0, sizeof(self->a));
	memset(&self->b, 0, sizeof(self->b));
	if (!getenv("MTIER_RDMA_ADDR"))
		SKIP(return, "no RDMA device (MTIER_RDMA_ADDR)");
	err = nlt_open(&self->s);
	if (err == -ENOENT)
		SKIP(return, "mtier module not loaded");
	ASSERT_EQ(0, err);
	nlt_del(&self->s, MTIER_CMD_POOL_DEL, MTIER_A_POOL_NAME, "hostile",
		&self->r);
	ASSERT_EQ(0, hostile_pool_add(&self->s, &self->r)) TH_LOG("%s", self->r.msg);
	self->proto0 = pool_stat(&self->s, MTIER_A_POOL_STATS_PROTO_ERRORS);
}

FIXTURE_TEARDOWN(donor)
{
	if (!self->s.family)
		return;
	hc_close(&self->a);
	hc_close(&self->b);
	EXPECT_TRUE(clients_settle(&self->s, 0));
	/* every byte handed out came back */
	EXPECT_EQ(0, pool_stat(&self->s, USED));
	EXPECT_EQ(0, nlt_del(&self->s, MTIER_CMD_POOL_DEL, MTIER_A_POOL_NAME,
			     "hostile", &self->r)) TH_LOG("%s", self->r.msg);
	nlt_close(&self->s);
}

static struct mtier_cm_req good_req(void)
{
	struct mtier_cm_req req = {
		.magic = htole32(MTIER_PROTO_MAGIC),
		.version = htole16(MTIER_PROTO_VERSION),
		.qtype = htole16(MTIER_QTYPE_CTRL),
		.nr_data = htole16(1),
	};
	return req;
}

TEST_F(donor, hello_refusals)
{
	struct mtier_cm_req req;

	/* no hello at all */
	EXPECT_EQ(-ECONNREFUSED, hc_connect(&self->a, NULL, 0));
	EXPECT_EQ(EPROTO, self->a.rej_status);
	hc_close(&self->a);

	req = good_req();
	req.magic = htole32(0x12345678);
	EXPECT_EQ(-ECONNREFUSED, hc_connect(&self->a, &req, sizeof(req)));
	EXPECT_EQ(EPROTO, self->a.rej_status);
	hc_close(&self->a);

	req = good_req();
	req.version = htole16(MTIER_PROTO_VERSION + 1);
	EXPECT_EQ(-ECONNREFUSED, hc_connect(&self->a, &req, sizeof(req)));
	EXPECT_EQ(EPROTONOSUPPORT, self->a.rej_status);
	hc_close(&self->a);

	req = good_req();
	req.nr_data = htole16(1000);
	EXPECT_EQ(-ECONNREFUSED, hc_connect(&self->a, &req, sizeof(req)));
	EXPECT_EQ(EINVAL, self->a.rej_status);
	hc_close(&self->a);

	req = good_req();
	req.qtype = htole16(77);
	EXPECT_EQ(-ECONNREFUSED, hc_connect(&self->a, &req, sizeof(req)));
	EXPECT_EQ(EPROTO, self->a.rej_status);
	hc_close(&self->a);

	/* a data connection to a session that does not exist */
	req = good_req();
	req.qtype = htole16(MTIER_QTYPE_DATA);
	req.session = htole64(0xdeadbeef00000001ULL);
	EXPECT_EQ(-ECONNREFUSED, hc_connect(&self->a, &req, sizeof(req)));
	EXPECT_EQ(ENOENT, self->a.rej_status);
	hc_close(&self->a);

	/* four malformed hellos counted (the unknown session is not one) */
	EXPECT_EQ(self->proto0 + 4,
		  pool_stat(&self->s, MTIER_A_POOL_STATS_PROTO_ERRORS));
}

TEST_F(donor, good_hello)
{
	ASSERT_EQ(0, hc_connect_ctrl(&self->a));
	EXPECT_EQ(MTIER_PROTO_MAGIC, le32toh(self->a.rep.magic));
	EXPECT_EQ(SLAB, le64toh(self->a.rep.slab_size));
	EXPECT_EQ(SLABS * SLAB, le64toh(self->a.rep.capacity));
	EXPECT_EQ(SLABS * SLAB, le64toh(self->a.rep.free));
	EXPECT_TRUE(clients_settle(&self->s, 1));
}

/* Each of these messages ends the session and counts a protocol error. */
static void bad_message(struct __test_metadata *_metadata,
			FIXTURE_DATA(donor) *self, const struct mtier_msg *m,
			int len)
{
	ASSERT_EQ(0, hc_connect_ctrl(&self->a));
	ASSERT_TRUE(clients_settle(&self->s, 1));
	hc_send(&self->a, m, len);
	EXPECT_EQ(0, hc_wait_closed(&self->a));
	EXPECT_TRUE(clients_settle(&self->s, 0));
	EXPECT_EQ(self->proto0 + 1,
		  pool_stat(&self->s, MTIER_A_POOL_STATS_PROTO_ERRORS));
}

static struct mtier_msg msg(uint8_t type)
{
	struct mtier_msg m = {
		.magic = htole32(MTIER_PROTO_MAGIC),
		.version = MTIER_PROTO_VERSION,
		.type = type,
		.tag = htole64(1),
	};
	return m;
}

TEST_F(donor, message_bad_magic)
{
	struct mtier_msg m = msg(MTIER_MSG_KEEPALIVE);

	m.magic = htole32(0xfeedface);
	bad_message(_metadata, self, &m, sizeof(m));
}

TEST_F(donor, message_bad_version)
{
	struct mtier_msg m = msg(MTIER_MSG_KEEPALIVE);

	m.version = 9;
	bad_message(_metadata, self, &m, sizeof(m));
}

TEST_F(donor, message_too_short)
{
	struct mtier_msg m = msg(MTIER_MSG_KEEPALIVE);

	bad_message(_metadata, self, &m, 8);
}

TEST_F(donor, message_unknown_type)
{
	struct mtier_msg m = msg(200);

	bad_message(_metadata, self, &m, sizeof(m));
}

TEST_F(donor, message_reply_type_from_client)
{
	struct mtier_msg m = msg(MTIER_MSG_ALLOC_REP);

	bad_message(_metadata, self, &m, sizeof(m));
}

TEST_F(donor, message_status_in_request)
{
	struct mtier_msg m = msg(MTIER_MSG_KEEPALIVE);

	m.status = htole16(5);
	bad_message(_metadata, self, &m, sizeof(m));
}

TEST_F(donor, alloc_of_the_wrong_size)
{
	struct mtier_msg m = msg(MTIER_MSG_ALLOC);

	m.alloc.len = htole64(SLAB * 2);
	bad_message(_metadata, self, &m, sizeof(m));
}

TEST_F(donor, free_of_an_unknown_slab)
{
	struct mtier_msg m = msg(MTIER_MSG_FREE);

	m.free.slab = htole64(12345);
	bad_message(_metadata, self, &m, sizeof(m));
}

TEST_F(donor, keepalive_and_capacity)
{
	struct mtier_msg rep;

	ASSERT_EQ(0, hc_connect_ctrl(&self->a));
	ASSERT_EQ(0, hc_call(&self->a, MTIER_MSG_KEEPALIVE, 0, &rep));
	EXPECT_EQ(MTIER_MSG_KEEPALIVE_REP, rep.type);
	EXPECT_EQ(SLABS * SLAB, le64toh(rep.keepalive.capacity));
	EXPECT_EQ(SLABS * SLAB, le64toh(rep.keepalive.free));
}

TEST_F(donor, pool_exhausted_is_enospc)
{
	uint64_t fails0 = pool_stat(&self->s, MTIER_A_POOL_STATS_ALLOC_FAILS);
	struct mtier_msg rep;
	int i;

	ASSERT_EQ(0, hc_connect_ctrl(&self->a));
	for (i = 0; i < SLABS; i++)
		ASSERT_EQ(0, hc_call(&self->a, MTIER_MSG_ALLOC, SLAB, &rep));
	EXPECT_EQ(SLABS * SLAB, pool_stat(&self->s, USED));
	EXPECT_EQ(-ENOSPC, hc_call(&self->a, MTIER_MSG_ALLOC, SLAB, &rep));
	EXPECT_EQ(fails0 + 1, pool_stat(&self->s, MTIER_A_POOL_STATS_ALLOC_FAILS));
	/* the session goes on: a keepalive still answers, with nothing free */
	ASSERT_EQ(0, hc_call(&self->a, MTIER_MSG_KEEPALIVE, 0, &rep));
	EXPECT_EQ(0, le64toh(rep.keepalive.free));
	/* and a client that goes away gives everything back (teardown) */
}

TEST_F(donor, slabs_are_private_and_zeroed)
{
	struct mtier_msg rep;
	uint64_t addr;
	uint32_t rkey, slab;
	int i;

	ASSERT_EQ(0, hc_connect_ctrl(&self->a));
	ASSERT_EQ(0, hc_connect_ctrl(&self->b));
	ASSERT_EQ(0, hc_call(&self->a, MTIER_MSG_ALLOC, SLAB, &rep));
	addr = le64toh(rep.alloc.addr);
	rkey = le32toh(rep.alloc.rkey);
	slab = le64toh(rep.alloc.slab);

	/* fresh memory reads as zeroes */
	memset(self->a.buf + 4096, 0xee, 4096);
	ASSERT_EQ(0, hc_rdma(&self->a, false, addr, rkey, 4096));
	for (i = 0; i < 4096; i++)
		if (self->a.buf[4096 + i])
			break;
	EXPECT_EQ(4096, i);

	/* a secret of A's */
	memset(self->a.buf + 4096, 0x5a, 4096);
	ASSERT_EQ(0, hc_rdma(&self->a, true, addr, rkey, 4096));

	/* B knows A's address and key, and still cannot read it */
	EXPECT_NE(0, hc_rdma(&self->b, false, addr, rkey, 4096));
	hc_close(&self->b);

	/* A gives the slab back: its key is dead for A too */
	ASSERT_EQ(0, hc_call(&self->a, MTIER_MSG_FREE, slab, &rep));
	EXPECT_NE(0, hc_rdma(&self->a, false, addr, rkey, 4096));
	hc_close(&self->a);
	ASSERT_TRUE(clients_settle(&self->s, 0));

	/* whatever memory B gets now, none of A's secret is in it */
	ASSERT_EQ(0, hc_connect_ctrl(&self->b));
	for (i = 0; i < SLABS; i++) {
		uint64_t off;

		ASSERT_EQ(0, hc_call(&self->b, MTIER_MSG_ALLOC, SLAB, &rep));
		for (off = 0; off < SLAB; off += 1 << 20) {
			memset(self->b.buf + 4096, 0xee, 4096);
			ASSERT_EQ(0, hc_rdma(&self->b, false,
					     le64toh(rep.alloc.addr) + off,
					     le32toh(rep.alloc.rkey), 4096));
			EXPECT_EQ(0, self->b.buf[4096]);
			EXPECT_EQ(0, self->b.buf[4096 + 4095]);
		}
	}
}

/*
 * A client learns no address of the donor: slabs are addressed from zero,
 * every byte of the slab by its offset and nothing past its end.
 */
TEST_F(donor, slab_addresses_are_offsets)
{
	struct mtier_msg rep;
	uint32_t rkey = 0;
	int i;

	ASSERT_EQ(0, hc_connect_ctrl(&self->a));
	for (i = 0; i < SLABS; i++) {
		ASSERT_EQ(0, hc_call(&self->a, MTIER_MSG_ALLOC, SLAB, &rep));
		EXPECT_EQ(0, le64toh(rep.alloc.addr))
			TH_LOG("slab %d at %#llx: an address of the donor's",
			       i, (unsigned long long)le64toh(rep.alloc.addr));
		rkey = le32toh(rep.alloc.rkey);
		EXPECT_EQ(0, hc_rdma(&self->a, true, 0, rkey, 4096));
		EXPECT_EQ(0, hc_rdma(&self->a, false, SLAB - 4096, rkey, 4096));
	}
	/* one byte past the end: refused (and the connection with it) */
	EXPECT_NE(0, hc_rdma(&self->a, false, SLAB - 4095, rkey, 4096));
}

/*
 * A client that posts no receives: the donor's replies can never be
 * delivered (it asked for endless RNR retries), and the next request's
 * registration may queue behind them.  Its session still ends by itself
 * (the reply untaken, or its lease) and gives everything back, and a
 * forced pool delete meanwhile never waits on it.
 */
TEST_F(donor, client_posting_no_receives)
{
	struct mtier_msg m = msg(MTIER_MSG_KEEPALIVE);
	struct timespec t0, t1;
	struct nlt_msg del;
	int ms;

	hc_recvs = 0;
	ASSERT_EQ(0, hc_connect_ctrl(&self->a));
	ASSERT_EQ(0, hc_connect_ctrl(&self->b));
	hc_recvs = 16;
	ASSERT_TRUE(clients_settle(&self->s, 2));
	ASSERT_EQ(0, hc_send(&self->a, &m, sizeof(m)));
	ASSERT_EQ(0, hc_send(&self->b, &m, sizeof(m)));
	m = msg(MTIER_MSG_ALLOC);
	m.tag = htole64(2);
	m.alloc.len = htole64(SLAB);
	ASSERT_EQ(0, hc_send(&self->a, &m, sizeof(m)));
	ASSERT_EQ(0, hc_send(&self->b, &m, sizeof(m)));

	/* B's session ends when the pool goes, promptly */
	hc_close(&self->a);
	ASSERT_TRUE(clients_settle(&self->s, 1));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	nlt_init(&del, &self->s, MTIER_CMD_POOL_DEL, 0);
	nlt_put_str(&del, MTIER_A_POOL_NAME, "hostile");
	nlt_put(&del, MTIER_A_POOL_FORCE, NULL, 0);
	EXPECT_EQ(0, nlt_transact(&self->s, &del, &self->r)) TH_LOG("%s", self->r.msg);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	TH_LOG("pool del force took %d ms", ms);
	EXPECT_GT(10000, ms);
	ASSERT_EQ(0, hostile_pool_add(&self->s, &self->r)) TH_LOG("%s", self->r.msg);

	/* and one left alone ends by itself */
	hc_recvs = 0;
	ASSERT_EQ(0, hc_connect_ctrl(&self->a));
	hc_recvs = 16;
	m = msg(MTIER_MSG_KEEPALIVE);
	ASSERT_EQ(0, hc_send(&self->a, &m, sizeof(m)));
	m = msg(MTIER_MSG_ALLOC);
	m.tag = htole64(2);
	m.alloc.len = htole64(SLAB);
	ASSERT_EQ(0, hc_send(&self->a, &m, sizeof(m)));
	ms = clients_within(&self->s, 0, 25000);
	TH_LOG("the session ended %d ms later", ms);
	EXPECT_LE(0, ms);
	EXPECT_EQ(0, pool_stat(&self->s, USED));
	/*
	 * On hardware the donor's own RNR retry limit (3) fails the reply
	 * and ends the session within seconds.  SoftRoCE reports such a
	 * reply sent after one RNR NAK (the counters after this file's three
	 * such replies: rcvd_rnr_err 3, retry_rnr_exceeded_err 0), so here
	 * the lease ends it (~15 s).
	 */
}

/*
 * A client that dies silently (no disconnect ever comes) loses its session
 * and its slabs once it has been quiet for a lease; one that keeps sending
 * keepalives keeps its own.
 */
TEST_F(donor, silent_client_loses_its_lease)
{
	uint64_t exp0 = pool_stat(&self->s, MTIER_A_POOL_STATS_LEASE_EXPIRIES);
	struct mtier_msg rep;
	int i, ms;

	ASSERT_EQ(0, hostile_pool_set(&self->s, MTIER_A_POOL_LEASE, 1000, false,
				      &self->r)) TH_LOG("%s", self->r.msg);
	ASSERT_EQ(0, hc_connect_ctrl(&self->a));
	ASSERT_EQ(0, hc_connect_ctrl(&self->b));
	ASSERT_EQ(0, hc_call(&self->a, MTIER_MSG_ALLOC, SLAB, &rep));
	ASSERT_EQ(0, hc_call(&self->a, MTIER_MSG_ALLOC, SLAB, &rep));
	EXPECT_EQ(2 * SLAB, pool_stat(&self->s, USED));
	/* A falls silent; B's keepalives come every 200 ms for 3 s. */
	for (i = 0; i < 15; i++) {
		ASSERT_EQ(0, hc_call(&self->b, MTIER_MSG_KEEPALIVE, 0, &rep));
		usleep(200000);
	}
	ms = clients_within(&self->s, 1, 5000);
	EXPECT_LE(0, ms);
	EXPECT_EQ(0, pool_stat(&self->s, USED));
	EXPECT_EQ(exp0 + 1,
		  pool_stat(&self->s, MTIER_A_POOL_STATS_LEASE_EXPIRIES));
	EXPECT_EQ(0, hc_wait_closed(&self->a));
	/* B's session lives on */
	ASSERT_EQ(0, hc_call(&self->b, MTIER_MSG_KEEPALIVE, 0, &rep));
	EXPECT_EQ(SLABS * SLAB, le64toh(rep.keepalive.free));
}

#define JOIN_FAILS	(MTIER_A_POOL_STATS_JOIN_FAILS)

/*
 * A data connection joins a session with the session's random token;
 * guessing is counted, and a flood of bad guesses shuts joins for a while.
 */
TEST_F(donor, data_join_needs_the_token)
{
	uint64_t fails0 = pool_stat(&self->s, JOIN_FAILS);
	struct mtier_cm_req req = good_req();
	struct hc c = {};
	int i, ok = 0, again = 0;

	ASSERT_EQ(0, hc_connect_ctrl(&self->a));
	req.qtype = htole16(MTIER_QTYPE_DATA);
	req.session = self->a.rep.session;
	memcpy(req.token, self->a.rep.token, sizeof(req.token));
	req.token[5] ^= 0x40;
	EXPECT_EQ(-ECONNREFUSED, hc_connect(&c, &req, sizeof(req)));
	EXPECT_EQ(ENOENT, c.rej_status);
	hc_close(&c);
	EXPECT_EQ(fails0 + 1, pool_stat(&self->s, JOIN_FAILS));
	/* no token at all */
	memset(req.token, 0, sizeof(req.token));
	EXPECT_EQ(-ECONNREFUSED, hc_connect(&c, &req, sizeof(req)));
	EXPECT_EQ(ENOENT, c.rej_status);
	hc_close(&c);

	/* 16 failures in 10 s: from then on every join is refused, EAGAIN */
	for (i = 0; i < 16; i++) {
		req.token[0] = i + 1;
		if (hc_connect(&c, &req, sizeof(req)) == 0)
			ok++;
		if (c.rej_status == EAGAIN)
			again++;
		hc_close(&c);
	}
	EXPECT_EQ(0, ok);
	EXPECT_LT(0, again);
	memcpy(req.token, self->a.rep.token, sizeof(req.token));
	EXPECT_EQ(-ECONNREFUSED, hc_connect(&c, &req, sizeof(req)));
	EXPECT_EQ(EAGAIN, c.rej_status);
	hc_close(&c);
	EXPECT_EQ(fails0 + 16, pool_stat(&self->s, JOIN_FAILS));

	/* once the window is over, the right token joins */
	sleep(11);
	EXPECT_EQ(0, hc_connect(&c, &req, sizeof(req)));
	hc_close(&c);
}

/* Sessions per pool and per address are limited, and refused with EUSERS. */
TEST_F(donor, sessions_are_limited)
{
	uint64_t refused0 = pool_stat(&self->s, MTIER_A_POOL_STATS_REFUSED);
	struct hc c = {};

	ASSERT_EQ(0, hostile_pool_set(&self->s, MTIER_A_POOL_MAX_CLIENTS_ADDR, 2,
				      false, &self->r)) TH_LOG("%s", self->r.msg);
	ASSERT_EQ(0, hc_connect_ctrl(&self->a));
	ASSERT_EQ(0, hc_connect_ctrl(&self->b));
	EXPECT_EQ(-ECONNREFUSED, hc_connect_ctrl(&c));
	EXPECT_EQ(EUSERS, c.rej_status);
	hc_close(&c);
	EXPECT_EQ(refused0 + 1, pool_stat(&self->s, MTIER_A_POOL_STATS_REFUSED));

	/* the pool-wide limit, with room per address */
	ASSERT_EQ(0, hostile_pool_set(&self->s, MTIER_A_POOL_MAX_CLIENTS_ADDR, 8,
				      false, &self->r));
	ASSERT_EQ(0, hostile_pool_set(&self->s, MTIER_A_POOL_MAX_CLIENTS, 2,
				      false, &self->r));
	EXPECT_EQ(-ECONNREFUSED, hc_connect_ctrl(&c));
	EXPECT_EQ(EUSERS, c.rej_status);
	hc_close(&c);
	EXPECT_EQ(refused0 + 2, pool_stat(&self->s, MTIER_A_POOL_STATS_REFUSED));

	/* one leaves: the next may come */
	hc_close(&self->b);
	ASSERT_TRUE(clients_settle(&self->s, 1));
	EXPECT_EQ(0, hc_connect_ctrl(&c));
	hc_close(&c);
}

/* A session holds at most max-client-size; past it, EDQUOT. */
TEST_F(donor, bytes_per_client_are_limited)
{
	struct mtier_msg rep;
	uint64_t slab;

	ASSERT_EQ(0, hostile_pool_set(&self->s, MTIER_A_POOL_MAX_CLIENT_SIZE,
				      2 * SLAB, true, &self->r))
		TH_LOG("%s", self->r.msg);
	ASSERT_EQ(0, hc_connect_ctrl(&self->a));
	ASSERT_EQ(0, hc_connect_ctrl(&self->b));
	ASSERT_EQ(0, hc_call(&self->a, MTIER_MSG_ALLOC, SLAB, &rep));
	slab = le64toh(rep.alloc.slab);
	ASSERT_EQ(0, hc_call(&self->a, MTIER_MSG_ALLOC, SLAB, &rep));
	EXPECT_EQ(-EDQUOT, hc_call(&self->a, MTIER_MSG_ALLOC, SLAB, &rep));
	/* another client still gets its share */
	EXPECT_EQ(0, hc_call(&self->b, MTIER_MSG_ALLOC, SLAB, &rep));
	/* and one given back may be taken again */
	ASSERT_EQ(0, hc_call(&self->a, MTIER_MSG_FREE, slab, &rep));
	EXPECT_EQ(0, hc_call(&self->a, MTIER_MSG_ALLOC, SLAB, &rep));
}

/* pool del refuses while clients are there; pool del force ends them. */
TEST_F(donor, force_delete_ends_sessions)
{
	struct mtier_msg rep;
	struct nlt_msg m;

	ASSERT_EQ(0, hc_connect_ctrl(&self->a));
	ASSERT_EQ(0, hc_call(&self->a, MTIER_MSG_ALLOC, SLAB, &rep));
	EXPECT_EQ(-EBUSY, nlt_del(&self->s, MTIER_CMD_POOL_DEL,
				  MTIER_A_POOL_NAME, "hostile", &self->r));
	nlt_init(&m, &self->s, MTIER_CMD_POOL_DEL, 0);
	nlt_put_str(&m, MTIER_A_POOL_NAME, "hostile");
	nlt_put(&m, MTIER_A_POOL_FORCE, NULL, 0);
	EXPECT_EQ(0, nlt_transact(&self->s, &m, &self->r)) TH_LOG("%s", self->r.msg);
	EXPECT_EQ(0, hc_wait_closed(&self->a));
	/* for the teardown */
	ASSERT_EQ(0, hostile_pool_add(&self->s, &self->r)) TH_LOG("%s", self->r.msg);
}

TEST_HARNESS_MAIN
