// SPDX-License-Identifier: GPL-2.0
/*
 * A donor in userspace (librdmacm, verbs) that speaks the mtier wire
 * protocol, well or badly, for tier_hostile_donor.sh: it accepts control
 * and data connections, answers control messages and hands out slabs of
 * real registered memory, so that RDMA works when it behaves, and
 * misbehaves in one way, chosen by MODE:
 *
 *   good        behaves
 *   status      answers ALLOC with status 5000 (not an errno)
 *   type        answers ALLOC with a KEEPALIVE_REP
 *   len         answers ALLOC with half the slab size in len
 *   tag         answers ALLOC with a tag the client never sent
 *   slabsize    behaves, but every session that starts after it took
 *               this mode (except the very first) has slabs of twice the size
 *   silent      accepts, then never answers anything
 *   addr        hands out slabs whose address is far outside its memory
 *   disconnect  disconnects when asked for a slab, without an answer
 *   kastatus    answers the next KEEPALIVE with status EIO, then says
 *               nothing more on that session; other sessions behave
 *   deadqp      behaves until SIGUSR2 (below)
 *
 * Usage: rdma_hostile_donor ADDR PORT MODE [SLAB_MIB]
 * SIGHUP switches to the mode named in the file $HOSTILE_MODE_FILE, for
 * the messages that come from then on, on every session.
 * SIGUSR1 disconnects every client; SIGUSR2 destroys the queue pairs of
 * every data connection without a disconnect (RDMA to them then goes
 * unanswered until the client's retries run out); SIGTERM or SIGINT ends
 * it.  It prints "ready" once it listens.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <rdma/rdma_cma.h>

#include "../kernel/proto.h"

#define MAX_CONNS	64
#define NR_SLABS	16	/* of the largest size */

enum mode {
	M_GOOD, M_STATUS, M_TYPE, M_LEN, M_TAG, M_SLABSIZE, M_SILENT,
	M_ADDR, M_DISCONNECT, M_KASTATUS, M_DEADQP,
};

static const char *const mode_names[] = {
	"good", "status", "type", "len", "tag", "slabsize", "silent",
	"addr", "disconnect", "kastatus", "deadqp",
};

struct conn {
	struct rdma_cm_id *id;
	bool ctrl;
	bool mute;		/* answers nothing more */
	uint64_t session;
	uint64_t slab_size;	/* ctrl: this session's */
	struct ibv_cq *cq;
	struct ibv_mr *mr;	/* ctrl: msgs */
	struct mtier_msg *msgs;	/* ctrl: [0, 16) receive, [16, 32) send */
	int next_tx;
};

static enum mode mode;
static uint64_t mode_session;	/* sessions started before this mode */
static bool ka_armed;		/* kastatus: the next KEEPALIVE gets EIO */
static uint64_t base_slab;
static struct rdma_event_channel *ec;
static struct ibv_pd *pd;
static struct ibv_mr *mem_mr;
static char *mem;
static size_t mem_len;
static struct conn conns[MAX_CONNS];
static uint64_t slab_owner[NR_SLABS * 2];	/* session, 0 if free */
static uint64_t sessions;
static volatile sig_atomic_t drop_all, kill_data, new_mode, quit;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		drop_all = 1;
	else if (sig == SIGUSR2)
		kill_data = 1;
	else if (sig == SIGHUP)
		new_mode = 1;
	else
		quit = 1;
}

static struct conn *conn_of(struct rdma_cm_id *id)
{
	int i;

	for (i = 0; i < MAX_CONNS; i++)
		if (conns[i].id == id)
			return &conns[i];
	return NULL;
}

static int post_recv(struct conn *c, int i)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)&c->msgs[i],
		.length = sizeof(struct mtier_msg),
		.lkey = c->mr->lkey,
	};
	struct ibv_recv_wr wr = { .wr_id = i, .sg_list = &sge, .num_sge = 1 };
	struct ibv_recv_wr *bad;

	return ibv_post_recv(c->id->qp, &wr, &bad);
}

/* Every slab a session holds goes back when it ends. */
static void free_session_slabs(uint64_t session)
{
	size_t i;

	for (i = 0; i < NR_SLABS * 2; i++)
		if (slab_owner[i] == session)
			slab_owner[i] = 0;
}

static void conn_destroy(struct conn *c)
{
	if (!c->id)
		return;
	if (c->id->qp)
		rdma_destroy_qp(c->id);
	if (c->mr)
		ibv_dereg_mr(c->mr);
	if (c->cq)
		ibv_destroy_cq(c->cq);
	rdma_destroy_id(c->id);
	if (c->ctrl)
		free_session_slabs(c->session);
	free(c->msgs);
	memset(c, 0, sizeof(*c));
}

static int setup_pd(struct ibv_context *verbs)
{
	if (pd)
		return pd->context == verbs ? 0 : -1;
	pd = ibv_alloc_pd(verbs);
	if (!pd)
		return -1;
	mem_len = NR_SLABS * 2 * base_slab;
	mem = aligned_alloc(4096, mem_len);
	if (!mem)
		return -1;
	memset(mem, 0, mem_len);
	mem_mr = ibv_reg_mr(pd, mem, mem_len, IBV_ACCESS_LOCAL_WRITE |
			    IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_WRITE);
	return mem_mr ? 0 : -1;
}

static void connect_request(struct rdma_cm_event *ev)
{
	const struct mtier_cm_req *req = ev->param.conn.private_data;
	struct rdma_cm_id *id = ev->id;
	struct ibv_qp_init_attr qpa = {
		.qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = 64, .max_recv_wr = 32,
			 .max_send_sge = 1, .max_recv_sge = 1 },
	};
	struct mtier_cm_rep rep = {
		.magic = htole32(MTIER_PROTO_MAGIC),
		.version = htole16(MTIER_PROTO_VERSION),
	};
	struct rdma_conn_param param = {
		.private_data = &rep,
		.private_data_len = sizeof(rep),
		.responder_resources = ev->param.conn.responder_resources,
		.rnr_retry_count = 7,
	};
	struct ibv_device_attr da;
	struct conn *c = conn_of(NULL);
	int i;

	if (!c || ev->param.conn.private_data_len < sizeof(*req) ||
	    le32toh(req->magic) != MTIER_PROTO_MAGIC || setup_pd(id->verbs) ||
	    ibv_query_device(id->verbs, &da)) {
		rdma_reject(id, NULL, 0);
		return;
	}
	if (param.responder_resources > da.max_qp_rd_atom)
		param.responder_resources = da.max_qp_rd_atom;
	c->id = id;
	c->ctrl = le16toh(req->qtype) == MTIER_QTYPE_CTRL;
	c->cq = ibv_create_cq(id->verbs, 128, NULL, NULL, 0);
	if (!c->cq)
		goto fail;
	qpa.send_cq = c->cq;
	qpa.recv_cq = c->cq;
	if (rdma_create_qp(id, pd, &qpa))
		goto fail;
	if (c->ctrl) {
		c->session = ++sessions;
		c->slab_size = base_slab;
		if (mode == M_SLABSIZE && c->session > mode_session &&
		    c->session > 1)
			c->slab_size = 2 * base_slab;
		c->msgs = calloc(2 * MTIER_CTRL_DEPTH, sizeof(*c->msgs));
		if (!c->msgs)
			goto fail;
		c->mr = ibv_reg_mr(pd, c->msgs, 2 * MTIER_CTRL_DEPTH *
				   sizeof(*c->msgs), IBV_ACCESS_LOCAL_WRITE);
		if (!c->mr)
			goto fail;
		for (i = 0; i < MTIER_CTRL_DEPTH; i++)
			if (post_recv(c, i))
				goto fail;
		rep.session = htole64(c->session);
		rep.slab_size = htole64(c->slab_size);
		rep.capacity = htole64(NR_SLABS * c->slab_size);
		rep.free = htole64(NR_SLABS * c->slab_size);
		printf("session %llu, slab %llu\n",
		       (unsigned long long)c->session,
		       (unsigned long long)c->slab_size);
		fflush(stdout);
	} else {
		c->session = le64toh(req->session);
	}
	if (!rdma_accept(id, &param))
		return;
fail:
	/* The id is the event's: reject, then let the event be acked first. */
	if (id->qp)
		rdma_destroy_qp(id);
	if (c->mr)
		ibv_dereg_mr(c->mr);
	if (c->cq)
		ibv_destroy_cq(c->cq);
	free(c->msgs);
	memset(c, 0, sizeof(*c));
	rdma_reject(id, NULL, 0);
}

/* Disconnect a session: its control connection and its data ones. */
static void drop_session(uint64_t session)
{
	int i;

	for (i = 0; i < MAX_CONNS; i++)
		if (conns[i].id && conns[i].session == session)
			rdma_disconnect(conns[i].id);
}

static void send_msg(struct conn *c, const struct mtier_msg *m)
{
	struct mtier_msg *tx = &c->msgs[MTIER_CTRL_DEPTH + c->next_tx];
	struct ibv_sge sge = {
		.addr = (uintptr_t)tx,
		.length = sizeof(*tx),
		.lkey = c->mr->lkey,
	};
	struct ibv_send_wr wr = {
		.wr_id = ~0ULL,
		.sg_list = &sge,
		.num_sge = 1,
		.opcode = IBV_WR_SEND,
		.send_flags = IBV_SEND_SIGNALED,
	}, *bad;

	c->next_tx = (c->next_tx + 1) % MTIER_CTRL_DEPTH;
	*tx = *m;
	if (ibv_post_send(c->id->qp, &wr, &bad))
		fprintf(stderr, "hostile donor: cannot send\n");
}

static uint64_t free_bytes(struct conn *c)
{
	uint64_t n = 0, i;

	for (i = 0; i < NR_SLABS; i++)
		if (!slab_owner[i])
			n++;
	return n * c->slab_size;
}

static void handle(struct conn *c, const struct mtier_msg *req)
{
	struct mtier_msg rep = {
		.magic = htole32(MTIER_PROTO_MAGIC),
		.version = MTIER_PROTO_VERSION,
		.type = req->type + 1,
		.tag = req->tag,
	};
	uint64_t i;

	if (c->mute)
		return;
	switch (req->type) {
	case MTIER_MSG_ALLOC:
		if (mode == M_SILENT)
			return;
		if (mode == M_DISCONNECT) {
			drop_session(c->session);
			return;
		}
		/* Slabs of this session's size: [0, NR_SLABS) of that size. */
		for (i = 0; i < NR_SLABS && slab_owner[i]; i++)
			;
		if (i == NR_SLABS) {
			rep.status = htole16(ENOSPC);
			break;
		}
		slab_owner[i] = c->session;
		memset(mem + i * c->slab_size, 0, c->slab_size);
		rep.alloc.len = htole64(c->slab_size);
		rep.alloc.slab = htole64(i + 1);
		rep.alloc.addr = htole64((uintptr_t)mem + i * c->slab_size);
		rep.alloc.rkey = htole32(mem_mr->rkey);
		if (mode == M_STATUS)
			rep.status = htole16(5000);
		if (mode == M_TYPE)
			rep.type = MTIER_MSG_KEEPALIVE_REP;
		if (mode == M_LEN)
			rep.alloc.len = htole64(c->slab_size / 2);
		if (mode == M_TAG)
			rep.tag = htole64(le64toh(req->tag) + MTIER_CTRL_DEPTH);
		if (mode == M_ADDR)
			rep.alloc.addr = htole64(le64toh(rep.alloc.addr) +
						 (1ULL << 40));
		break;
	case MTIER_MSG_FREE:
		i = le64toh(req->free.slab) - 1;
		if (i < NR_SLABS && slab_owner[i] == c->session)
			slab_owner[i] = 0;
		rep.free.slab = req->free.slab;
		break;
	case MTIER_MSG_KEEPALIVE:
		if (mode == M_SILENT)
			return;
		if (mode == M_KASTATUS && ka_armed) {
			rep.status = htole16(EIO);
			c->mute = true;
			ka_armed = false;
		}
		rep.keepalive.capacity = htole64(NR_SLABS * c->slab_size);
		rep.keepalive.free = htole64(free_bytes(c));
		break;
	default:
		drop_session(c->session);
		return;
	}
	send_msg(c, &rep);
}

static void poll_ctrl(struct conn *c)
{
	struct ibv_wc wc[16];
	int i, n;

	n = ibv_poll_cq(c->cq, 16, wc);
	for (i = 0; i < n; i++) {
		if (wc[i].status != IBV_WC_SUCCESS || wc[i].wr_id == ~0ULL)
			continue;
		if (!(wc[i].opcode & IBV_WC_RECV) || wc[i].wr_id >= MTIER_CTRL_DEPTH)
			continue;
		handle(c, &c->msgs[wc[i].wr_id]);
		post_recv(c, wc[i].wr_id);
	}
}

static void cm_event(void)
{
	struct rdma_cm_event *ev, copy;
	struct conn *c;

	if (rdma_get_cm_event(ec, &ev))
		return;
	copy = *ev;
	if (ev->event == RDMA_CM_EVENT_CONNECT_REQUEST) {
		connect_request(ev);
		rdma_ack_cm_event(ev);
		return;
	}
	rdma_ack_cm_event(ev);
	c = conn_of(copy.id);
	if (!c)
		return;
	switch (copy.event) {
	case RDMA_CM_EVENT_DISCONNECTED:
		rdma_disconnect(c->id);
		conn_destroy(c);
		break;
	case RDMA_CM_EVENT_CONNECT_ERROR:
	case RDMA_CM_EVENT_UNREACHABLE:
	case RDMA_CM_EVENT_REJECTED:
	case RDMA_CM_EVENT_DEVICE_REMOVAL:
		conn_destroy(c);
		break;
	default:
		break;
	}
}

static int mode_of(const char *name)
{
	size_t m;

	for (m = 0; m < sizeof(mode_names) / sizeof(mode_names[0]); m++)
		if (!strcmp(name, mode_names[m]))
			return m;
	return -1;
}

static void set_mode(int m)
{
	mode = m;
	mode_session = sessions;
	ka_armed = true;
	printf("mode %s\n", mode_names[m]);
	fflush(stdout);
}

/* SIGHUP: the mode named in $HOSTILE_MODE_FILE. */
static void read_mode(void)
{
	const char *path = getenv("HOSTILE_MODE_FILE");
	char name[32] = "";
	FILE *f;
	int m;

	f = path ? fopen(path, "r") : NULL;
	if (!f || fscanf(f, "%31s", name) != 1 || (m = mode_of(name)) < 0)
		fprintf(stderr, "hostile donor: no mode in %s\n",
			path ? path : "(HOSTILE_MODE_FILE unset)");
	else
		set_mode(m);
	if (f)
		fclose(f);
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct rdma_cm_id *listen_id;
	struct pollfd pfd;
	int i, m;

	if (argc < 4) {
		fprintf(stderr, "usage: %s ADDR PORT MODE [SLAB_MIB]\n", argv[0]);
		return 2;
	}
	m = mode_of(argv[3]);
	if (m < 0) {
		fprintf(stderr, "unknown mode %s\n", argv[3]);
		return 2;
	}
	set_mode(m);
	base_slab = (argc > 4 ? strtoull(argv[4], NULL, 0) : 1) << 20;
	if (inet_pton(AF_INET, argv[1], &sin.sin_addr) != 1)
		return 2;
	sin.sin_port = htons(atoi(argv[2]));
	signal(SIGUSR1, on_signal);
	signal(SIGUSR2, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	ec = rdma_create_event_channel();
	if (!ec || rdma_create_id(ec, &listen_id, NULL, RDMA_PS_TCP) ||
	    rdma_bind_addr(listen_id, (struct sockaddr *)&sin) ||
	    rdma_listen(listen_id, 16)) {
		perror("hostile donor: listen");
		return 1;
	}
	printf("ready: %s on %s:%s\n", mode_names[mode], argv[1], argv[2]);
	fflush(stdout);
	pfd.fd = ec->fd;
	pfd.events = POLLIN;
	while (!quit) {
		if (poll(&pfd, 1, 1) > 0)
			cm_event();
		if (new_mode) {
			new_mode = 0;
			read_mode();
		}
		if (kill_data) {
			kill_data = 0;
			for (i = 0; i < MAX_CONNS; i++)
				if (conns[i].id && !conns[i].ctrl &&
				    conns[i].id->qp)
					rdma_destroy_qp(conns[i].id);
			printf("data queue pairs destroyed\n");
			fflush(stdout);
		}
		if (drop_all) {
			drop_all = 0;
			for (i = 0; i < MAX_CONNS; i++)
				if (conns[i].id)
					rdma_disconnect(conns[i].id);
		}
		for (i = 0; i < MAX_CONNS; i++)
			if (conns[i].id && conns[i].ctrl)
				poll_ctrl(&conns[i]);
	}
	for (i = 0; i < MAX_CONNS; i++)
		if (conns[i].id) {
			rdma_disconnect(conns[i].id);
			conn_destroy(&conns[i]);
		}
	rdma_destroy_id(listen_id);
	if (mem_mr)
		ibv_dereg_mr(mem_mr);
	if (pd)
		ibv_dealloc_pd(pd);
	rdma_destroy_event_channel(ec);
	free(mem);
	return 0;
}
