/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The QUIC connection (engine/quic/tq_quic_conn*.c, tq_quic_stream.c):
 * a client and a server joined by tests/lib/tq_quic_pair.c's simulated
 * link on a fake clock.  The handshake and its key discards, padding
 * and the amplification limit, streams carrying data byte-exact under
 * loss and reordering, flow control, stream limits, resets, closing,
 * the idle timeout, and forbidden frames injected with the peer's keys.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tq_quic_pair.h"
#include "tq_test.h"
#include "quic/tq_quic_conn_priv.h"

#define MS UINT64_C(1000000)
#define S (1000 * MS)

/* ---- connection callbacks ---- */

struct side {
	int established;
	int closed;
	enum tq_close_reason why;
	uint64_t code;
	int avail[2];
	struct tq_stream *streams[64];
	unsigned int nstreams;
	const struct tq_stream_ops *accept_ops; /* NULL: refuse */
	void *accept_ctx;
};

static void
on_established(struct tq_conn *c, void *u)
{
	struct side *s = u;

	(void)c;
	s->established++;
}

static void
on_new_stream(struct tq_conn *c, struct tq_stream *st, void *u)
{
	struct side *s = u;

	(void)c;
	if (s->accept_ops) {
		tq_stream_set_ops(st, s->accept_ops, s->accept_ctx);
		if (s->nstreams < 64)
			s->streams[s->nstreams++] = st;
	}
}

static void
on_avail(struct tq_conn *c, bool uni, void *u)
{
	struct side *s = u;

	(void)c;
	s->avail[uni]++;
}

static void
on_closed(struct tq_conn *c, enum tq_close_reason why, uint64_t code,
		void *u)
{
	struct side *s = u;

	(void)c;
	s->closed++;
	s->why = why;
	s->code = code;
}

static const struct tq_conn_ops conn_ops = {
	.established = on_established,
	.new_stream = on_new_stream,
	.streams_available = on_avail,
	.closed = on_closed,
};

static struct qp P;
static struct side cs, ss;

static const struct qp_link clean = { .delay_ns = 10 * MS };

static void
pair(const struct qp_link *l, uint64_t seed,
		const struct tq_quic_conn_cfg *cfg)
{
	memset(&cs, 0, sizeof(cs));
	memset(&ss, 0, sizeof(ss));
	qp_init(&P, l, seed, cfg, &conn_ops, &cs, &conn_ops, &ss);
}

static bool
both_established(void *arg)
{
	(void)arg;
	return cs.established && ss.established && P.c[0] &&
		tq_quic_conn_confirmed(P.c[0]);
}

static bool
both_closed(void *arg)
{
	(void)arg;
	return P.c[0] && P.c[1] && tq_quic_conn_done(P.c[0]) &&
		tq_quic_conn_done(P.c[1]);
}

static void
handshake(void)
{
	assert_true(qp_run(&P, 10 * S, both_established, NULL));
}

/* ---- handshake ---- */

static void
test_handshake(void **state)
{
	(void)state;
	pair(&clean, 1, NULL);
	handshake();
	assert_int_equal(cs.established, 1);
	assert_int_equal(ss.established, 1);
	assert_true(tq_quic_conn_confirmed(P.c[1]));
	assert_int_equal(tq_quic_conn_state(P.c[0]), TQ_QUIC_CS_ESTABLISHED);
	/* RFC 9001 4.9: Initial and Handshake keys gone on both sides */
	qp_run(&P, 100 * MS, NULL, NULL);
	assert_false(tq_quic_conn_has_keys(P.c[0], TQ_QUIC_LEVEL_INITIAL));
	assert_false(tq_quic_conn_has_keys(P.c[1], TQ_QUIC_LEVEL_INITIAL));
	assert_false(tq_quic_conn_has_keys(P.c[0], TQ_QUIC_LEVEL_HANDSHAKE));
	assert_false(tq_quic_conn_has_keys(P.c[1], TQ_QUIC_LEVEL_HANDSHAKE));
	assert_true(tq_quic_conn_has_keys(P.c[0], TQ_QUIC_LEVEL_APP));
	assert_int_equal(P.client_initial_small, 0);
	assert_int_equal(P.amp_violations, 0);
	/* the server follows a client to a new path: migration allowed */
	assert_false(P.c[0]->ptp.disable_active_migration);
	assert_false(P.c[1]->ptp.disable_active_migration);
	/* the client talks to the server's CID now */
	assert_int_equal(tq_quic_conn_dcid(P.c[0])->id[0], 0x5e);
	assert_int_equal(tq_quic_conn_stats(P.c[0])->proto_err, 0);
	assert_int_equal(tq_quic_conn_stats(P.c[1])->proto_err, 0);
	/* nothing more to say once quiet: ACKs are not acknowledged */
	assert_true(qp_run(&P, 2 * S, NULL, NULL));
	assert_false(tq_quic_conn_done(P.c[0]));
	qp_fini(&P);
}

/* The server's first flight is much larger than 3 x 1200 when the
 * client's later datagrams are lost: it must stop at the limit. */
static bool
drop_client_after_first(struct qp *p, int from, uint8_t *d, size_t *len)
{
	(void)d;
	(void)len;
	return !(from == 0 && p->dgrams[0] > 1);
}

static void
test_amplification(void **state)
{
	uint64_t sent, rcvd;
	bool v;

	(void)state;
	pair(&clean, 2, NULL);
	P.tap = drop_client_after_first;
	qp_run(&P, 3 * S, NULL, NULL);
	assert_non_null(P.c[1]);
	tq_quic_conn_amp(P.c[1], &sent, &rcvd, &v);
	assert_false(v);
	assert_int_equal(rcvd, 1200);
	assert_true(sent <= 3 * rcvd);
	assert_true(sent > 0);
	assert_int_equal(P.amp_violations, 0);
	assert_true(tq_quic_conn_stats(P.c[1])->amp_blocked > 0);
	/* the link heals: the handshake completes */
	P.tap = NULL;
	assert_true(qp_run(&P, 20 * S, both_established, NULL));
	assert_int_equal(P.amp_violations, 0);
	qp_fini(&P);
}

static void
test_handshake_lossy(void **state)
{
	struct qp_link l = { .delay_ns = 15 * MS, .loss = 0.2,
		.reorder = 0.2 };
	uint64_t seed;

	(void)state;
	for (seed = 1; seed <= 20; seed++) {
		pair(&l, seed, NULL);
		assert_true(qp_run(&P, 60 * S, both_established, NULL));
		assert_int_equal(P.client_initial_small, 0);
		assert_int_equal(P.amp_violations, 0);
		qp_fini(&P);
	}
}

/* ---- closing ---- */

static void
test_close_app_code(void **state)
{
	(void)state;
	pair(&clean, 3, NULL);
	handshake();
	tq_conn_close(tq_quic_conn_base(P.c[0]), 0x1234);
	assert_int_equal(cs.closed, 1);
	assert_true(qp_run(&P, 10 * S, both_closed, NULL));
	assert_int_equal(ss.closed, 1);
	assert_int_equal(ss.why, TQ_CLOSE_RESET);
	assert_int_equal(ss.code, 0x1234);
	assert_int_equal(cs.why, TQ_CLOSE_ABORTED);
	qp_fini(&P);
}

/* A close by the app after a quiet spell (no call into the connection
 * for 20 s, so its clock is that old) still sends CONNECTION_CLOSE:
 * the closing period starts when it goes, not 20 s back. */
static void
test_close_after_quiet(void **state)
{
	(void)state;
	pair(&clean, 44, NULL);
	handshake();
	qp_run(&P, 20 * S, NULL, NULL);
	assert_int_equal(ss.closed, 0);
	tq_conn_close(tq_quic_conn_base(P.c[0]), 0x77);
	/* as the module does: a call from the app arms the connection's
	 * timer at once, and the timer's handler runs before output */
	qp_advance(&P, P.now);
	assert_true(qp_run(&P, 5 * S, both_closed, NULL));
	assert_int_equal(ss.closed, 1);
	assert_int_equal(ss.why, TQ_CLOSE_RESET);
	assert_int_equal(ss.code, 0x77);
	qp_fini(&P);
}

/* RFC 9000 10.1.2: with keepalive_ms a quiet connection PINGs once a
 * second (so a dead peer is probed, not waited out); without, it stays
 * silent.  Each PING is answered: the connection stays up. */
static void
test_keepalive(void **state)
{
	struct tq_quic_conn_cfg cfg = { .keepalive_ms = 1000 };
	uint64_t before;

	(void)state;
	pair(&clean, 45, NULL);
	handshake();
	qp_run(&P, 1 * S, NULL, NULL);
	before = tq_quic_conn_stats(P.c[0])->pkts_out;
	qp_run(&P, 10 * S, NULL, NULL);
	assert_int_equal(tq_quic_conn_stats(P.c[0])->pkts_out, before);
	qp_fini(&P);

	pair(&clean, 45, &cfg);
	handshake();
	qp_run(&P, 1 * S, NULL, NULL);
	before = tq_quic_conn_stats(P.c[0])->pkts_out;
	qp_run(&P, 10 * S, NULL, NULL);
	print_message("keepalive: %llu packets in 10 s\n",
			(unsigned long long)(tq_quic_conn_stats(P.c[0])->pkts_out -
				before));
	/* its PINGs, and ACKs of the server's (same settings) */
	assert_true(tq_quic_conn_stats(P.c[0])->pkts_out - before >= 9);
	assert_true(tq_quic_conn_stats(P.c[0])->pkts_out - before <= 24);
	assert_int_equal(cs.closed, 0);
	assert_int_equal(ss.closed, 0);
	assert_int_equal(tq_quic_conn_state(P.c[0]), TQ_QUIC_CS_ESTABLISHED);
	qp_fini(&P);
}

static void
test_close_no_error(void **state)
{
	(void)state;
	pair(&clean, 4, NULL);
	handshake();
	tq_conn_close(tq_quic_conn_base(P.c[1]), 0);
	assert_true(qp_run(&P, 10 * S, both_closed, NULL));
	assert_int_equal(cs.closed, 1);
	assert_int_equal(cs.why, TQ_CLOSE_NORMAL);
	assert_int_equal(cs.code, 0);
	qp_fini(&P);
}

static void
test_idle_timeout(void **state)
{
	struct tq_quic_conn_cfg cfg = { .idle_timeout_ms = 2000 };

	(void)state;
	pair(&clean, 5, &cfg);
	handshake();
	assert_false(qp_run(&P, 1500 * MS, both_closed, NULL));
	assert_true(qp_run(&P, 3 * S, both_closed, NULL));
	assert_int_equal(cs.closed, 1);
	assert_int_equal(ss.closed, 1);
	assert_int_equal(cs.why, TQ_CLOSE_TIMEOUT);
	assert_int_equal(ss.why, TQ_CLOSE_TIMEOUT);
	qp_fini(&P);
}


/* ---- streams ---- */

#define NX 32

struct xfer {
	struct tq_stream *st;
	int64_t id;
	uint64_t total_tx, total_rx;	/* expected each way */
	uint64_t sent, rcvd, acked;
	bool shut, fin, eof, bad, closed, zero_copy;
	enum tq_close_reason why;
	uint64_t peer_reset, stop;	/* code + 1 once seen */
	uint64_t err;			/* tq_stream_error_code() at close */
};

static struct xfer xs[NX];
static unsigned int nxs;
static uint64_t xfer_size;

static uint8_t
pat(int64_t id, uint64_t off)
{
	return (uint8_t)((off * 7 + (uint64_t)id * 13) ^ (off >> 9));
}

static void
xfer_fill(struct xfer *x)
{
	uint8_t buf[8192];
	uint64_t n, i;
	int w;

	while (x->st && x->sent < x->total_tx) {
		n = RTE_MIN(x->total_tx - x->sent, sizeof(buf));
		for (i = 0; i < n; i++)
			buf[i] = pat(x->id, x->sent + i);
		w = tq_stream_write(x->st, buf, (uint32_t)n);
		if (w <= 0)
			return;
		x->sent += (uint64_t)w;
	}
	if (x->st && x->sent == x->total_tx && !x->shut &&
			!tq_stream_is_uni(x->st) == !tq_stream_is_uni(x->st)) {
		if (!(tq_stream_is_uni(x->st) && !tq_stream_is_local(x->st))) {
			x->shut = true;
			assert_int_equal(tq_stream_shutdown(x->st), 0);
		}
	}
}

static void
check(struct xfer *x, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != pat(x->id, x->rcvd + i))
			x->bad = true;
	x->rcvd += n;
}

static void
x_readable(struct tq_stream *st, void *ctx)
{
	struct xfer *x = ctx;
	uint8_t buf[5000];
	struct rte_mbuf *m, *seg;
	int n;

	if (x->zero_copy) {
		while ((m = tq_stream_read_mbuf(st, 3000)) != NULL) {
			assert_true(m->pkt_len <= 3000);
			for (seg = m; seg; seg = seg->next) {
				/* pieces of received packets, not copies */
				assert_true(RTE_MBUF_CLONED(seg));
				check(x, rte_pktmbuf_mtod(seg, uint8_t *),
						seg->data_len);
			}
			rte_pktmbuf_free(m);
		}
		if (tq_stream_eof(st))
			x->eof = true;
		return;
	}
	while ((n = tq_stream_read(st, buf, sizeof(buf))) > 0)
		check(x, buf, (size_t)n);
	if (n == 0)
		x->eof = true;
}

static void
x_writable(struct tq_stream *st, void *ctx)
{
	(void)st;
	xfer_fill(ctx);
}

static void
x_acked(struct tq_stream *st, uint64_t total, void *ctx)
{
	struct xfer *x = ctx;

	(void)st;
	assert_true(total >= x->acked);
	x->acked = total;
}

static void
x_peer_fin(struct tq_stream *st, void *ctx)
{
	struct xfer *x = ctx;

	(void)st;
	x->fin = true;
}

static void
x_peer_reset(struct tq_stream *st, uint64_t code, void *ctx)
{
	struct xfer *x = ctx;

	(void)st;
	x->peer_reset = code + 1;
}

static void
x_stop(struct tq_stream *st, uint64_t code, void *ctx)
{
	struct xfer *x = ctx;

	(void)st;
	x->stop = code + 1;
}

static void
x_closed(struct tq_stream *st, enum tq_close_reason why, void *ctx)
{
	struct xfer *x = ctx;

	x->err = tq_stream_error_code(st);
	x->closed = true;
	x->why = why;
	x->st = NULL;
}

static const struct tq_stream_ops xops = {
	.readable = x_readable,
	.writable = x_writable,
	.acked = x_acked,
	.peer_fin = x_peer_fin,
	.peer_reset = x_peer_reset,
	.stop_sending = x_stop,
	.closed = x_closed,
};

static struct xfer *
xnew(void)
{
	struct xfer *x;

	assert_true(nxs < NX);
	x = &xs[nxs++];
	memset(x, 0, sizeof(*x));
	x->zero_copy = nxs % 2 == 0;
	return x;
}

/* A peer stream: it reads xfer_size, and on bidi sends as much back. */
static void
accept_stream(struct tq_conn *c, struct tq_stream *st, void *u)
{
	struct xfer *x = xnew();

	(void)c;
	(void)u;
	x->st = st;
	x->id = tq_stream_id(st);
	x->total_rx = xfer_size;
	x->total_tx = tq_stream_is_uni(st) ? 0 : xfer_size;
	tq_stream_set_ops(st, &xops, x);
	xfer_fill(x);
}

static const struct tq_conn_ops xconn_ops = {
	.established = on_established,
	.new_stream = accept_stream,
	.streams_available = on_avail,
	.closed = on_closed,
};

static struct xfer *
xopen(struct tq_quic_conn *c, bool uni)
{
	struct xfer *x = xnew();
	int err;

	x->st = tq_conn_stream_open(tq_quic_conn_base(c),
			uni ? TQ_STREAM_UNI : 0, &xops, x, &err);
	assert_non_null(x->st);
	x->id = tq_stream_id(x->st);
	x->total_tx = xfer_size;
	x->total_rx = uni ? 0 : xfer_size;
	xfer_fill(x);
	return x;
}

static void
xpair(const struct qp_link *l, uint64_t seed,
		const struct tq_quic_conn_cfg *cfg)
{
	memset(&cs, 0, sizeof(cs));
	memset(&ss, 0, sizeof(ss));
	nxs = 0;
	qp_init(&P, l, seed, cfg, &xconn_ops, &cs, &xconn_ops, &ss);
}

static bool
all_closed(void *arg)
{
	unsigned int i;

	(void)arg;
	for (i = 0; i < nxs; i++)
		if (!xs[i].closed)
			return false;
	return true;
}

/* Run until every transfer closed, within limit; each byte-exact. */
static void
xrun_whole(uint64_t limit)
{
	unsigned int i;

	assert_true(qp_run(&P, limit, all_closed, NULL));
	for (i = 0; i < nxs; i++) {
		assert_false(xs[i].bad);
		assert_int_equal(xs[i].rcvd, xfer_size);
	}
}

static void
transfer(const struct qp_link *l, uint64_t seed, uint64_t size)
{
	unsigned int avail = tq_test_pool_avail(), i;
	struct tq_conn_info ci;

	xfer_size = size;
	xpair(l, seed, NULL);
	assert_true(qp_run(&P, 30 * S, both_established, NULL));
	P.loss_off = false;
	xopen(P.c[0], false);
	xopen(P.c[0], false);
	xopen(P.c[0], true);
	xopen(P.c[1], false);
	xopen(P.c[1], true);
	assert_true(qp_run(&P, 600 * S, all_closed, NULL));
	assert_int_equal(nxs, 10);
	for (i = 0; i < nxs; i++) {
		assert_false(xs[i].bad);
		assert_int_equal(xs[i].rcvd, xs[i].total_rx);
		assert_int_equal(xs[i].sent, xs[i].total_tx);
		if (xs[i].total_rx)
			assert_true(xs[i].fin && xs[i].eof);
		assert_int_equal(xs[i].why, TQ_CLOSE_NORMAL);
		assert_int_equal(xs[i].peer_reset, 0);
	}
	for (i = 0; i < 2; i++) {
		const struct tq_quic_conn_stats *st = tq_quic_conn_stats(P.c[i]);

		/* flow control was never exceeded: no error either way */
		assert_int_equal(st->proto_err, 0);
		assert_int_equal(tq_quic_conn_state(P.c[i]),
				TQ_QUIC_CS_ESTABLISHED);
		if (l->loss > 0)
			assert_true(st->retransmits > 0);
	}
	/* the receive windows grew (autotuning) when the path let the
	 * app read faster than the window */
	if (l->loss == 0)
		assert_true(P.c[1]->fcr.window > P.c[1]->cfg.max_data);
	tq_conn_info(tq_quic_conn_base(P.c[0]), &ci);
	assert_int_equal(ci.transport, TQ_TRANSPORT_QUIC);
	assert_true(ci.srtt_us >= 19000 && ci.cwnd > 0);
	assert_string_equal(ci.state, "established");
	/* 3 bidi and 1 uni stream sent by the client */
	assert_int_equal(ci.bytes_acked, 4 * size);
	assert_int_equal(ci.bytes_received, 3 * size + size);
	print_message("transfer: %llu+%llu datagrams, %llu+%llu lost, "
			"retransmits %llu+%llu, %.3f s simulated, %u stalls\n",
			(unsigned long long)P.dgrams[0],
			(unsigned long long)P.dgrams[1],
			(unsigned long long)P.lost[0],
			(unsigned long long)P.lost[1],
			(unsigned long long)tq_quic_conn_stats(P.c[0])->retransmits,
			(unsigned long long)tq_quic_conn_stats(P.c[1])->retransmits,
			(double)(P.now - 1000000000ull) / 1e9, P.stalls);
	assert_int_equal(P.stalls, 0);
	qp_fini(&P);
	assert_int_equal(tq_test_pool_avail(), avail);
}

/*
 * The path MTU search (RFC 9000 14.3, 14.4): with a ceiling of 1472,
 * a path that carries it moves both ends' datagrams up after one
 * probe each; a path of 1300 loses the three probes, both ends stay
 * at 1200, and those losses are no congestion event.  2 MB byte-exact
 * either way.
 */
static size_t pmtu_path, pmtu_largest[2];

static bool
pmtu_tap(struct qp *p, int from, uint8_t *d, size_t *len)
{
	(void)p;
	(void)d;
	if (*len > pmtu_largest[from])
		pmtu_largest[from] = *len;
	return pmtu_path == 0 || *len <= pmtu_path;
}

static void
pmtu_run(size_t path)
{
	struct tq_quic_conn_cfg cfg = { .max_dgram_probe = 1472 };

	pmtu_path = path;
	pmtu_largest[0] = pmtu_largest[1] = 0;
	xfer_size = 2000000;
	xpair(&clean, 5, &cfg);
	P.tap = pmtu_tap;
	assert_true(qp_run(&P, 30 * S, both_established, NULL));
	xopen(P.c[0], false);
	xrun_whole(60 * S);
}

static void
test_pmtu(void **state)
{
	unsigned int avail = tq_test_pool_avail(), i;

	(void)state;
	pmtu_run(0);
	for (i = 0; i < 2; i++) {
		const struct tq_quic_conn_stats *st = tq_quic_conn_stats(P.c[i]);

		assert_int_equal(st->pmtu_probes, 1);
		assert_int_equal(st->pmtu_raised, 1);
		assert_int_equal(P.c[i]->max_dgram, 1472);
		assert_int_equal(pmtu_largest[i], 1472);
		assert_int_equal(st->proto_err, 0);
	}
	qp_fini(&P);
	pmtu_run(1300);
	for (i = 0; i < 2; i++) {
		const struct tq_quic_conn_stats *st = tq_quic_conn_stats(P.c[i]);

		assert_int_equal(st->pmtu_probes, 3);
		assert_int_equal(st->pmtu_raised, 0);
		assert_int_equal(P.c[i]->max_dgram, 1200);
		assert_int_equal(pmtu_largest[i], 1472);
		/* the clean link lost nothing else */
		assert_int_equal(P.c[i]->rec.stats.lost, 3);
		assert_int_equal(P.c[i]->rec.stats.congestion, 0);
	}
	qp_fini(&P);
	assert_int_equal(tq_test_pool_avail(), avail);
}

/*
 * TQ_OPT_CC on QUIC: each connection of a pair has its own cc, shared
 * by its streams; the client's changes mid-transfer (CUBIC -> BBR) and
 * every byte still arrives.
 */
static bool
half_sent(void *arg)
{
	(void)arg;
	return xs[0].acked > xfer_size / 4;
}

static void
test_cc_per_conn(void **state)
{
	const struct qp_link l = { .delay_ns = 10 * MS, .loss = 0.005,
		.bw_bps = 50000000, .queue_ns = 20 * MS };
	unsigned int avail = tq_test_pool_avail(), i;
	struct tq_conn *cc0, *cc1;
	struct tq_conn_info ci;
	uint32_t v;

	(void)state;
	xfer_size = 4 << 20;
	xpair(&l, 21, NULL);
	assert_true(qp_run(&P, 30 * S, both_established, NULL));
	P.loss_off = false;
	cc0 = tq_quic_conn_base(P.c[0]);
	cc1 = tq_quic_conn_base(P.c[1]);
	assert_int_equal(tq_conn_set_opt(cc0, TQ_OPT_CC, 0), -EINVAL);
	assert_int_equal(tq_conn_set_opt(cc0, TQ_OPT_CC, 77), -EINVAL);
	assert_int_equal(tq_conn_set_opt(cc0, TQ_OPT_NODELAY, 1), -ENOTSUP);
	assert_int_equal(tq_conn_set_opt(cc0, TQ_OPT_CC, TQ_CC_CUBIC), 0);
	xopen(P.c[0], false);
	xopen(P.c[1], true);
	/* through a stream: the connection's */
	assert_int_equal(tq_stream_set_opt(xs[1].st, TQ_OPT_CC, TQ_CC_BBR),
			0);
	assert_int_equal(tq_stream_set_opt(xs[1].st, TQ_OPT_CC, 4), -EINVAL);
	assert_int_equal(tq_conn_get_opt(cc0, TQ_OPT_CC, &v), 0);
	assert_int_equal(v, TQ_CC_CUBIC);
	assert_int_equal(tq_stream_get_opt(xs[1].st, TQ_OPT_CC, &v), 0);
	assert_int_equal(v, TQ_CC_BBR);
	assert_ptr_equal(P.c[1]->rec.cc.ops, &tq_cc_bbr);
	assert_true(qp_run(&P, 600 * S, half_sent, NULL));
	tq_conn_info(cc0, &ci);
	assert_string_equal(ci.cc, "cubic");
	assert_int_equal(P.c[0]->rec.cc.pacing_rate, 0);
	/* the server's BBR ran: a bandwidth estimate and its pacing */
	assert_true(P.c[1]->rec.cc.bbr.btl_bw > 0);
	assert_true(P.c[1]->rec.cc.pacing_rate > 0);
	tq_conn_info(cc1, &ci);
	assert_string_equal(ci.cc, "bbr");
	/* mid-transfer: the client moves to BBR from its window */
	v = P.c[0]->rec.cc.cwnd;
	assert_int_equal(tq_conn_set_opt(cc0, TQ_OPT_CC, TQ_CC_BBR), 0);
	assert_int_equal(P.c[0]->rec.cc.cwnd, v);
	assert_true(P.c[0]->rec.cc.pacing_rate > 0);
	assert_true(qp_run(&P, 600 * S, all_closed, NULL));
	for (i = 0; i < nxs; i++) {
		assert_false(xs[i].bad);
		assert_int_equal(xs[i].rcvd, xs[i].total_rx);
		assert_int_equal(xs[i].sent, xs[i].total_tx);
		assert_int_equal(xs[i].why, TQ_CLOSE_NORMAL);
	}
	assert_true(P.c[0]->rec.cc.bbr.btl_bw > 0);
	tq_conn_info(cc0, &ci);
	assert_string_equal(ci.cc, "bbr");
	qp_fini(&P);
	assert_int_equal(tq_test_pool_avail(), avail);
}

static void
test_streams_clean(void **state)
{
	(void)state;
	transfer(&clean, 6, 1 << 20);
}

static void
test_streams_lossy(void **state)
{
	struct qp_link l = { .delay_ns = 10 * MS, .loss = 0.05,
		.reorder = 0.1 };

	(void)state;
	transfer(&l, 7, 1 << 20);
	transfer(&l, 8, 100000);
}

static void
test_stream_limit(void **state)
{
	struct tq_quic_conn_cfg cfg = { .max_streams_bidi = 2 };
	struct tq_stream *st;
	struct xfer *a;
	int err;

	(void)state;
	xfer_size = 1000;
	xpair(&clean, 9, &cfg);
	assert_true(qp_run(&P, 10 * S, both_established, NULL));
	a = xopen(P.c[0], false);
	xopen(P.c[0], false);
	st = tq_conn_stream_open(tq_quic_conn_base(P.c[0]), 0, &xops, NULL,
			&err);
	assert_null(st);
	assert_int_equal(err, -EAGAIN);
	assert_int_equal(cs.avail[0], 0);
	/* STREAMS_BLOCKED goes out (RFC 9000 4.6) */
	qp_run(&P, 50 * MS, NULL, NULL);
	assert_true(tq_quic_conn_stats(P.c[0])->blocked_sent >= 1);
	/* the first two finish: the server raises MAX_STREAMS */
	assert_true(qp_run(&P, 10 * S, all_closed, NULL));
	assert_true(a->closed);
	assert_true(qp_run(&P, 1 * S, NULL, NULL));
	assert_int_equal(cs.avail[0], 1);
	a = xopen(P.c[0], false);
	assert_int_equal(a->id, 8);
	assert_true(qp_run(&P, 10 * S, all_closed, NULL));
	assert_false(a->bad);
	assert_int_equal(a->rcvd, 1000);
	qp_fini(&P);
}

static void
test_reset_stop_codes(void **state)
{
	struct xfer *a, *b, *pa, *pb;

	(void)state;
	xfer_size = 1 << 20;
	xpair(&clean, 10, NULL);
	assert_true(qp_run(&P, 10 * S, both_established, NULL));
	a = xopen(P.c[0], false);
	b = xopen(P.c[0], false);
	assert_true(qp_run(&P, 100 * MS, NULL, NULL));
	pa = &xs[2];
	pb = &xs[3];
	assert_int_equal(pa->id, a->id);
	assert_int_equal(pb->id, b->id);
	/* a: the client abandons it with 77 both ways */
	tq_stream_abort(a->st, 77);
	/* b: the server stops reading with 55 */
	assert_int_equal(tq_stream_shutdown_read(pb->st, 55), 0);
	assert_true(qp_run(&P, 2 * S, NULL, NULL));
	assert_int_equal(pa->peer_reset, 78);
	assert_int_equal(pa->stop, 78);
	assert_true(a->closed);
	assert_int_equal(a->why, TQ_CLOSE_ABORTED);
	assert_int_equal(b->stop, 56);
	assert_true(pa->closed);
	assert_int_equal(pa->err, 77);
	assert_int_equal(pa->why, TQ_CLOSE_RESET);
	assert_int_equal(pb->rcvd < xfer_size, true);
	assert_int_equal(tq_quic_conn_stats(P.c[0])->proto_err, 0);
	assert_int_equal(tq_quic_conn_stats(P.c[1])->proto_err, 0);
	qp_fini(&P);
}

static void
test_refused_stream(void **state)
{
	struct xfer *a;

	(void)state;
	xfer_size = 5000;
	memset(&cs, 0, sizeof(cs));
	memset(&ss, 0, sizeof(ss));
	nxs = 0;
	qp_init(&P, &clean, 11, NULL, &xconn_ops, &cs, &conn_ops, &ss);
	assert_true(qp_run(&P, 10 * S, both_established, NULL));
	a = xopen(P.c[0], false);
	assert_true(qp_run(&P, 2 * S, all_closed, NULL));
	assert_int_equal(a->stop, 1);
	assert_int_equal(a->peer_reset, 1);
	assert_int_equal(a->why, TQ_CLOSE_RESET);
	assert_int_equal(tq_quic_conn_stats(P.c[1])->streams_refused, 1);
	qp_fini(&P);
}

/* ---- forbidden frames, sent with the client's keys ---- */

/* A 1-RTT packet from the client to the server carrying frames[0, n):
 * written, sealed and put on the link as the client would. */
static void
inject_from(int from, const uint8_t *frames, size_t n, uint8_t set_bits)
{
	struct tq_quic_conn *c = P.c[from];
	struct tq_quic_aead *a = tq_quic_key_set_get(&c->ks,
			TQ_QUIC_LEVEL_APP, TQ_QUIC_DIR_WRITE);
	uint8_t pkt[1500];
	struct tq_quic_hdr_pos pos;
	struct tq_quic_wr w;
	uint64_t pn = c->next_pn[TQ_QUIC_SPACE_APP]++;
	int len;

	assert_non_null(a);
	tq_quic_wr_init(&w, pkt, sizeof(pkt) - TQ_QUIC_TAG_LEN);
	assert_int_equal(tq_quic_hdr_write_short(&w, pkt, c->dcid.id,
			c->dcid.len, false, false, pn, 4, &pos), 0);
	pkt[0] |= set_bits;
	assert_int_equal(tq_quic_wr_bytes(&w, frames, n), 0);
	len = tq_quic_packet_seal(a, c->cw, pkt, pos.pn_off, pn, n);
	assert_true(len > 0);
	qp_inject(&P, 1 - from, pkt, (size_t)len);
	{
		/* the client's recovery knows the packet, so the server's
		 * ACK of it is no violation */
		struct tq_quic_sent s = { .pn = pn, .time_sent = P.now,
			.ack_largest = TQ_QUIC_PN_NONE, .size = (uint32_t)len };

		if (pn > c->rec.sp[TQ_QUIC_SPACE_APP].largest_sent ||
				c->rec.sp[TQ_QUIC_SPACE_APP].largest_sent ==
				TQ_QUIC_PN_NONE)
			assert_int_equal(tq_quic_rec_on_sent(&c->rec,
					TQ_QUIC_SPACE_APP, &s), 0);
	}
}

static void
inject(const uint8_t *frames, size_t n, uint8_t set_bits)
{
	inject_from(0, frames, n, set_bits);
}

struct bad {
	const char *what;
	uint8_t frames[400];
	size_t len;
	uint64_t code;
	uint8_t set_bits;
	bool accept;
};

static size_t
vput(uint8_t *p, uint64_t v)
{
	return (size_t)(tq_quic_varint_put(p, v) - p);
}

static void
bad_case(const struct bad *b)
{
	uint64_t code;
	bool app, remote;

	static const struct tq_stream_ops nop_ops;

	pair(&clean, 20, NULL);
	if (b->accept)
		ss.accept_ops = &nop_ops;
	handshake();
	qp_run(&P, 100 * MS, NULL, NULL);
	inject(b->frames, b->len, b->set_bits);
	qp_run(&P, 5 * S, NULL, NULL);
	print_message("%s -> 0x%llx\n", b->what,
			(unsigned long long)P.c[1]->close_code);
	tq_quic_conn_close_info(P.c[1], &code, &app, &remote);
	assert_int_equal(code, b->code);
	assert_false(app);
	assert_false(remote);
	assert_int_equal(tq_quic_conn_stats(P.c[1])->proto_err, 1);
	/* the client got the code in CONNECTION_CLOSE */
	assert_int_equal(cs.closed, 1);
	assert_int_equal(cs.why, TQ_CLOSE_PROTOCOL);
	assert_int_equal(cs.code, b->code);
	assert_int_equal(ss.closed, 1);
	assert_int_equal(ss.why, TQ_CLOSE_PROTOCOL);
	assert_true(tq_quic_conn_done(P.c[0]) && tq_quic_conn_done(P.c[1]));
	qp_fini(&P);
}

static void
test_forbidden_frames(void **state)
{
	static struct bad b[32];
	unsigned int n = 0, i;
	uint8_t *p;

	(void)state;
	memset(b, 0, sizeof(b));
#define ADD(w, c) (b[n].what = (w), b[n].code = (c), p = b[n].frames)
#define END() (b[n].len = (size_t)(p - b[n].frames), n++)
	ADD("STREAM on the server's unopened bidi stream",
			TQ_QUIC_STREAM_STATE_ERROR);
	*p++ = 0x0a; *p++ = 1; *p++ = 1; *p++ = 'x'; END();
	ADD("STREAM on the server's uni stream", TQ_QUIC_STREAM_STATE_ERROR);
	*p++ = 0x0a; *p++ = 3; *p++ = 1; *p++ = 'x'; END();
	ADD("STREAM past MAX_STREAMS", TQ_QUIC_STREAM_LIMIT_ERROR);
	*p++ = 0x0a; p += vput(p, 400); *p++ = 1; *p++ = 'x'; END();
	ADD("STREAM past the stream window", TQ_QUIC_FLOW_CONTROL_ERROR);
	*p++ = 0x0e; *p++ = 0; p += vput(p, 256 * 1024); *p++ = 1;
	*p++ = 'x'; END();
	ADD("STREAM past the final size", TQ_QUIC_FINAL_SIZE_ERROR);
	*p++ = 0x0b; *p++ = 0; *p++ = 2; *p++ = 'a'; *p++ = 'b';
	*p++ = 0x0e; *p++ = 0; *p++ = 4; *p++ = 1; *p++ = 'c'; END();
	ADD("RESET_STREAM below the data received",
			TQ_QUIC_FINAL_SIZE_ERROR);
	*p++ = 0x0a; *p++ = 0; *p++ = 2; *p++ = 'a'; *p++ = 'b';
	*p++ = 0x04; *p++ = 0; *p++ = 0; *p++ = 1; END();
	ADD("STOP_SENDING on the client's uni stream",
			TQ_QUIC_STREAM_STATE_ERROR);
	*p++ = 0x05; *p++ = 2; *p++ = 0; END();
	ADD("MAX_STREAM_DATA on the client's uni stream",
			TQ_QUIC_STREAM_STATE_ERROR);
	*p++ = 0x11; *p++ = 2; *p++ = 9; END();
	ADD("HANDSHAKE_DONE from a client", TQ_QUIC_PROTOCOL_VIOLATION);
	*p++ = 0x1e; END();
	ADD("NEW_TOKEN from a client", TQ_QUIC_PROTOCOL_VIOLATION);
	*p++ = 0x07; *p++ = 1; *p++ = 0xaa; END();
	ADD("DATAGRAM never advertised", TQ_QUIC_PROTOCOL_VIOLATION);
	*p++ = 0x31; *p++ = 1; *p++ = 0xaa; END();
	ADD("RETIRE_CONNECTION_ID never issued", TQ_QUIC_PROTOCOL_VIOLATION);
	*p++ = 0x19; *p++ = 5; END();
	ADD("an unknown frame type", TQ_QUIC_FRAME_ENCODING_ERROR);
	*p++ = 0x21; END();
	ADD("ACK of a packet never sent", TQ_QUIC_PROTOCOL_VIOLATION);
	*p++ = 0x02; p += vput(p, 1000); *p++ = 0; *p++ = 0; *p++ = 0;
	END();
	ADD("CRYPTO past the buffer", TQ_QUIC_CRYPTO_BUFFER_EXCEEDED);
	*p++ = 0x06; p += vput(p, 40000); *p++ = 1; *p++ = 0; END();
	ADD("a packet without frames", TQ_QUIC_PROTOCOL_VIOLATION);
	END();
	ADD("reserved header bits set", TQ_QUIC_PROTOCOL_VIOLATION);
	b[n].set_bits = 0x18;
	*p++ = 0x01; END();
	ADD("PADDING only... then a cut frame",
			TQ_QUIC_FRAME_ENCODING_ERROR);
	*p++ = 0x00; *p++ = 0x00; *p++ = 0x11; *p++ = 0; END();
	ADD("more connection IDs than our limit",
			TQ_QUIC_CONNECTION_ID_LIMIT_ERROR);
	for (i = 1; i <= TQ_QC_PEER_CIDS; i++) {
		*p++ = 0x18; *p++ = (uint8_t)i; *p++ = 0; *p++ = 8;
		memset(p, (int)i, 8 + 16);
		p += 8 + 16;
	}
	END();
#undef ADD
#undef END
	for (i = 0; i < n; i++) {
		/* peer streams refused (read no more) and accepted */
		b[i].accept = false;
		bad_case(&b[i]);
		b[i].accept = true;
		bad_case(&b[i]);
	}
}

/* Garbage and duplicates are dropped and counted, never fatal. */
static void
test_drops(void **state)
{
	uint8_t junk[100];
	const struct tq_quic_conn_stats *st;
	uint8_t ping = 0x01;

	(void)state;
	pair(&clean, 21, NULL);
	handshake();
	qp_run(&P, 100 * MS, NULL, NULL);
	memset(junk, 0x41, sizeof(junk));
	memcpy(junk + 1, P.c[0]->dcid.id, 8);
	qp_inject(&P, 1, junk, sizeof(junk));
	inject(&ping, 1, 0);
	/* the same packet again */
	P.c[0]->next_pn[TQ_QUIC_SPACE_APP]--;
	inject(&ping, 1, 0);
	qp_run(&P, 1 * S, NULL, NULL);
	st = tq_quic_conn_stats(P.c[1]);
	assert_int_equal(st->drop_decrypt, 1);
	assert_int_equal(st->drop_dup, 1);
	assert_int_equal(st->proto_err, 0);
	assert_int_equal(tq_quic_conn_state(P.c[1]), TQ_QUIC_CS_ESTABLISHED);
	qp_fini(&P);
}

/* ---- handshake failures ---- */

static bool
any_closed(void *arg)
{
	(void)arg;
	return cs.closed && ss.closed;
}

/* RFC 9000 7.3: the server expects another initial_source_connection_id
 * than the client's parameters carry. */
static void
bad_expectation(struct qp *p)
{
	p->c[1]->peer_scid.id[0] ^= 1;
}

static void
test_cid_check_server(void **state)
{
	(void)state;
	pair(&clean, 30, NULL);
	P.on_server = bad_expectation;
	assert_true(qp_run(&P, 10 * S, any_closed, NULL));
	assert_int_equal(ss.why, TQ_CLOSE_PROTOCOL);
	assert_int_equal(ss.code, TQ_QUIC_TRANSPORT_PARAMETER_ERROR);
	assert_int_equal(cs.why, TQ_CLOSE_PROTOCOL);
	assert_int_equal(cs.code, TQ_QUIC_TRANSPORT_PARAMETER_ERROR);
	assert_int_equal(cs.established, 0);
	assert_int_equal(ss.established, 0);
	assert_true(qp_run(&P, 10 * S, both_closed, NULL));
	qp_fini(&P);
}

/* The client's check: original_destination_connection_id. */
static void
test_cid_check_client(void **state)
{
	(void)state;
	pair(&clean, 31, NULL);
	P.c[0]->odcid.id[0] ^= 1;
	assert_true(qp_run(&P, 10 * S, any_closed, NULL));
	assert_int_equal(cs.why, TQ_CLOSE_PROTOCOL);
	assert_int_equal(cs.code, TQ_QUIC_TRANSPORT_PARAMETER_ERROR);
	assert_int_equal(ss.code, TQ_QUIC_TRANSPORT_PARAMETER_ERROR);
	assert_int_equal(cs.established, 0);
	qp_fini(&P);
}

/* TLS refuses (no ALPN in common): CRYPTO_ERROR with the alert, sent in
 * an Initial packet, reaches the client. */
static void
test_alpn_mismatch(void **state)
{
	static const char *const alpn[] = { "foo" };
	struct tq_quic_tls_conf sc = { .is_server = true, .alpn = alpn,
		.n_alpn = 1 };
	struct tq_quic_tls_ctx *ctx;
	char *cert, *key;

	(void)state;
	assert_int_equal(tq_quic_tls_self_signed("quic.test", &cert, &key),
			0);
	sc.cert_pem = cert;
	sc.key_pem = key;
	assert_int_equal(tq_quic_tls_ctx_new(&sc, &ctx), 0);
	pair(&clean, 32, NULL);
	P.sctx = ctx;
	assert_true(qp_run(&P, 10 * S, any_closed, NULL));
	assert_int_equal(ss.code, TQ_QUIC_CRYPTO_ERROR_ALERT(
			TQ_TLS_ALERT_NO_APPLICATION_PROTOCOL));
	assert_int_equal(cs.code, ss.code);
	assert_int_equal(cs.why, TQ_CLOSE_PROTOCOL);
	assert_true(qp_run(&P, 10 * S, both_closed, NULL));
	qp_fini(&P);
	tq_quic_tls_ctx_free(ctx);
	free(cert);
	free(key);
}

/* ---- closing and draining ---- */

static bool
tap_none(struct qp *p, int from, uint8_t *d, size_t *len)
{
	(void)p;
	(void)d;
	(void)len;
	return from != 1;
}

static void
test_closing_repeats(void **state)
{
	uint64_t before, pto, elapsed;
	struct xfer *a;

	(void)state;
	xfer_size = 1 << 20;
	xpair(&clean, 33, NULL);
	assert_true(qp_run(&P, 10 * S, both_established, NULL));
	/* the server's CONNECTION_CLOSE never arrives: the client keeps
	 * sending, the server answers each burst, at most once per PTO */
	P.tap = tap_none;
	tq_conn_close(tq_quic_conn_base(P.c[1]), 9);
	before = P.dgrams[1];
	a = xopen(P.c[0], false);
	(void)a;
	pto = tq_quic_rec_pto_base(&P.c[1]->rec);
	elapsed = tq_qc_pto3(P.c[1]);
	qp_run(&P, elapsed, NULL, NULL);
	print_message("closing: %llu CONNECTION_CLOSE in %.0f ms, PTO "
			"%.0f ms, client sent %llu\n",
			(unsigned long long)(P.dgrams[1] - before),
			(double)elapsed / 1e6, (double)pto / 1e6,
			(unsigned long long)P.dgrams[0]);
	assert_true(P.dgrams[1] - before >= 2);
	assert_true(P.dgrams[1] - before <= elapsed / pto + 1);
	/* and after 3 PTO the server is gone */
	qp_run(&P, 1 * S, NULL, NULL);
	assert_true(tq_quic_conn_done(P.c[1]));
	qp_fini(&P);
}

/* The peer's CONNECTION_CLOSE: silence while draining, then done. */
static void
test_draining_silent(void **state)
{
	uint64_t sent;

	(void)state;
	pair(&clean, 34, NULL);
	handshake();
	tq_conn_close(tq_quic_conn_base(P.c[1]), 3);
	assert_true(qp_run(&P, 1 * S, any_closed, NULL));
	assert_int_equal(tq_quic_conn_state(P.c[0]), TQ_QUIC_CS_DRAINING);
	sent = P.dgrams[0];
	/* more from the server (its close again) changes nothing */
	assert_true(qp_run(&P, 10 * S, both_closed, NULL));
	assert_int_equal(P.dgrams[0], sent);
	assert_int_equal(cs.code, 3);
	qp_fini(&P);
}

/* Windows far smaller than what the writer queued: the sender says it
 * is blocked (DATA_BLOCKED / STREAM_DATA_BLOCKED) and never passes the
 * limits (the receiver would close with FLOW_CONTROL_ERROR). */
static bool
slow_done(void *arg)
{
	(void)arg;
	return xs[1].rcvd == xfer_size;
}

static void
test_blocked(void **state)
{
	struct tq_quic_conn_cfg cfg = { .max_stream_data = 16384,
		.max_data = 24576 };
	unsigned int rounds = 0;
	struct xfer *a;

	(void)state;
	xfer_size = 200000;
	xpair(&clean, 35, &cfg);
	assert_true(qp_run(&P, 10 * S, both_established, NULL));
	a = xopen(P.c[0], true);
	(void)a;
	qp_run(&P, 200 * MS, NULL, NULL);
	assert_int_equal(nxs, 2);
	/* the peer took the window and no more: the writer is blocked */
	assert_true(tq_quic_conn_stats(P.c[0])->blocked_sent >= 1);
	assert_int_equal(tq_quic_conn_stats(P.c[1])->proto_err, 0);
	while (!slow_done(NULL) && rounds++ < 1000)
		qp_run(&P, 10 * MS, slow_done, NULL);
	assert_int_equal(xs[1].rcvd, xfer_size);
	assert_false(xs[1].bad);
	assert_int_equal(tq_quic_conn_stats(P.c[1])->proto_err, 0);
	qp_fini(&P);
}

/* RFC 9001 6: key updates started by either side in the middle of a
 * transfer; the other follows, the data arrives whole. */
static bool
half_done(void *arg)
{
	(void)arg;
	return xs[0].rcvd > xfer_size / 2;
}

static void
test_key_update(void **state)
{
	struct qp_link l = { .delay_ns = 10 * MS, .reorder = 0.2 };

	(void)state;
	xfer_size = 1 << 20;
	xpair(&l, 36, NULL);
	assert_true(qp_run(&P, 10 * S, both_established, NULL));
	assert_int_equal(tq_quic_conn_key_update(P.c[0]), 0);
	/* not again before the peer answered */
	assert_int_equal(tq_quic_conn_key_update(P.c[0]), -EBUSY);
	xopen(P.c[0], false);
	assert_true(qp_run(&P, 10 * S, half_done, NULL));
	assert_int_equal(tq_quic_conn_stats(P.c[0])->key_updates, 1);
	assert_int_equal(tq_quic_conn_stats(P.c[1])->key_updates, 1);
	/* now the server, twice */
	assert_int_equal(tq_quic_conn_key_update(P.c[1]), 0);
	qp_run(&P, 200 * MS, NULL, NULL);
	assert_int_equal(tq_quic_conn_key_update(P.c[1]), 0);
	xrun_whole(60 * S);
	assert_int_equal(tq_quic_conn_stats(P.c[0])->key_updates, 3);
	assert_int_equal(tq_quic_conn_stats(P.c[1])->key_updates, 3);
	assert_int_equal(tq_quic_conn_stats(P.c[0])->proto_err, 0);
	assert_int_equal(tq_quic_conn_stats(P.c[1])->proto_err, 0);
	qp_fini(&P);
}

/* Streams come from a slot pool shared by the connections of a thread:
 * fifty rounds of three request/response streams (300 streams, both
 * ends) take slots back from the free list, with no new memory once the
 * most ever open at once (six) were made, each with the send ring its
 * slot's last stream left; all back at the end. */
static void
test_stream_slots(void **state)
{
	struct tq_quic_stream_pool *pool;
	struct tq_quic_stream_pool_stats st;
	struct tq_quic_conn_cfg cfg = { 0 };
	unsigned int r, i;

	(void)state;
	assert_int_equal(tq_quic_stream_pool_new(0, 16, &pool), 0);
	cfg.spool = pool;
	xfer_size = 3000;
	xpair(&clean, 43, &cfg);
	assert_true(qp_run(&P, 10 * S, both_established, NULL));
	for (r = 0; r < 50; r++) {
		nxs = 0;
		for (i = 0; i < 3; i++)
			xopen(P.c[0], false);
		xrun_whole(10 * S);
	}
	tq_quic_stream_pool_stats(pool, &st);
	print_message("stream slots: %llu taken, %llu made, %u in use\n",
			(unsigned long long)st.taken,
			(unsigned long long)st.made, st.in_use);
	assert_int_equal(st.taken, 300);
	assert_true(st.made <= 6);
	assert_true(st.rings_reused >= 300 - st.made);
	qp_fini(&P);
	tq_quic_stream_pool_stats(pool, &st);
	assert_int_equal(st.in_use, 0);
	assert_int_equal(st.free, st.made);
	assert_true(st.rings <= st.made);
	tq_quic_stream_pool_free(pool);
}

/* RFC 9001 6.6: with a confidentiality limit of 2048 packets a key,
 * the ends of a 4 MiB transfer each way update their keys by
 * themselves, before the limit, and the data arrives whole. */
static void
test_aead_conf_limit(void **state)
{
	/* the bottleneck keeps the flight (and so the packets sealed
	 * while an update awaits its answer) well under limit / 8 */
	struct qp_link l = { .delay_ns = 5 * MS, .bw_bps = 50000000,
		.queue_ns = 20 * MS };
	struct tq_quic_conn_cfg cfg = { .aead_conf_limit = 2048 };
	const struct tq_quic_conn_stats *st;
	uint64_t started = 0;
	unsigned int i;

	(void)state;
	xfer_size = 4 << 20;
	xpair(&l, 41, &cfg);
	assert_true(qp_run(&P, 10 * S, both_established, NULL));
	xopen(P.c[0], false);
	xrun_whole(120 * S);
	for (i = 0; i < 2; i++) {
		st = tq_quic_conn_stats(P.c[i]);
		print_message("aead limit %u: %llu packets out, %llu updates "
				"started, %llu key generations\n", i,
				(unsigned long long)st->pkts_out,
				(unsigned long long)st->aead_limit_updates,
				(unsigned long long)st->key_updates);
		/* some 3900 packets each way: an update answered renews
		 * the answering end's key too, so the ends share them */
		started += st->aead_limit_updates;
		assert_true(st->key_updates >= 2);
		assert_int_equal(st->proto_err, 0);
		assert_true(P.c[i]->aead_sealed < 2048);
	}
	assert_true(started >= 2);
	assert_int_equal(cs.closed, 0);
	assert_int_equal(ss.closed, 0);
	qp_fini(&P);
}

/* RFC 9001 6.6: packets failing authentication past the integrity
 * limit (4 here) close the connection with AEAD_LIMIT_REACHED. */
static void
test_aead_integ_limit(void **state)
{
	struct qp_link l = { .delay_ns = 10 * MS, .corrupt = 0.05 };
	struct tq_quic_conn_cfg cfg = { .aead_integ_limit = 4 };
	const struct tq_quic_conn_stats *st[2];

	(void)state;
	xfer_size = 1 << 20;
	xpair(&l, 42, &cfg);
	assert_true(qp_run(&P, 10 * S, both_established, NULL));
	xopen(P.c[0], false);
	assert_true(qp_run(&P, 60 * S, both_closed, NULL));
	st[0] = tq_quic_conn_stats(P.c[0]);
	st[1] = tq_quic_conn_stats(P.c[1]);
	/* one end reached the limit and closed; the other heard it */
	assert_true(st[0]->auth_fails >= 4 || st[1]->auth_fails >= 4);
	assert_int_equal(cs.closed, 1);
	assert_int_equal(ss.closed, 1);
	assert_int_equal(cs.code, TQ_QUIC_AEAD_LIMIT_REACHED);
	assert_int_equal(ss.code, TQ_QUIC_AEAD_LIMIT_REACHED);
	qp_fini(&P);
}

/* Random frames, sealed with a peer's keys, into both ends of a busy
 * connection: each is taken or closes the connection with a transport
 * error code; nothing crashes or leaks (the ASan build runs this). */
static uint64_t rs = 88172645463325252ull;

static uint64_t
rnd64(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

static size_t
random_frames(uint8_t *p, size_t cap)
{
	static const uint8_t types[] = {
		0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
		0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13,
		0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d,
		0x1e, 0x30, 0x31,
	};
	size_t n = 0, k, i, nf = 1 + rnd64() % 4;

	while (nf-- && n + 48 < cap) {
		p[n++] = types[rnd64() % sizeof(types)];
		/* a few small varints (stream IDs, offsets, lengths) */
		k = rnd64() % 5;
		for (i = 0; i < k; i++)
			p[n++] = (uint8_t)(rnd64() % 2 ? rnd64() % 16 :
					rnd64() % 64);
		k = rnd64() % 24;
		for (i = 0; i < k; i++)
			p[n++] = (uint8_t)rnd64();
	}
	return n;
}

static void
test_random_frames(void **state)
{
	unsigned int avail = tq_test_pool_avail(), i, pairs = 0;
	unsigned int closed_by[2] = { 0, 0 };
	uint8_t frames[300];
	uint64_t code;
	bool app, remote;
	size_t n;
	int side;

	(void)state;
	xfer_size = 50000;
	for (i = 0; i < 250; i++) {
		if (i == 0 || tq_quic_conn_state(P.c[0]) !=
				TQ_QUIC_CS_ESTABLISHED ||
				tq_quic_conn_state(P.c[1]) !=
				TQ_QUIC_CS_ESTABLISHED) {
			if (i) {
				qp_run(&P, 2 * S, both_closed, NULL);
				qp_fini(&P);
			}
			xpair(&clean, 100 + i, NULL);
			assert_true(qp_run(&P, 10 * S, both_established,
					NULL));
			xopen(P.c[0], false);
			xopen(P.c[1], true);
			pairs++;
		}
		side = (int)(rnd64() % 2);
		n = random_frames(frames, sizeof(frames));
		inject_from(side, frames, n, 0);
		qp_run(&P, 30 * MS, NULL, NULL);
		if (tq_quic_conn_state(P.c[1 - side]) >=
				TQ_QUIC_CS_CLOSING) {
			tq_quic_conn_close_info(P.c[1 - side], &code, &app,
					&remote);
			if (!remote) {
				assert_false(app);
				assert_true((code > 0 &&
						code <= TQ_QUIC_NO_VIABLE_PATH) ||
						(code >= TQ_QUIC_CRYPTO_ERROR &&
						 code <= 0x1ff));
				closed_by[1 - side]++;
			}
		}
	}
	qp_run(&P, 2 * S, NULL, NULL);
	qp_fini(&P);
	print_message("random frames: 250 packets, %u connections, closed "
			"by client %u, by server %u\n", pairs, closed_by[0],
			closed_by[1]);
	assert_true(closed_by[0] > 0 && closed_by[1] > 0);
	assert_int_equal(tq_test_pool_avail(), avail);
}

/* A long fat path (100 ms RTT) both ways at once, 12 MB each way:
 * the congestion window grows past the sent-packet records (768 in
 * 1-RTT), so sending is bounded by them at times; everything arrives. */
static void
test_fat_pipe_both_ways(void **state)
{
	struct tq_quic_conn_cfg cfg = { .max_stream_data = 8 << 20,
		.max_data = 16 << 20, .sndbuf = 4 << 20 };
	struct qp_link l = { .delay_ns = 50 * MS };

	(void)state;
	xfer_size = 12 << 20;
	xpair(&l, 37, &cfg);
	assert_true(qp_run(&P, 10 * S, both_established, NULL));
	xopen(P.c[0], false);
	xrun_whole(120 * S);
	assert_true(P.c[0]->rec.cc.cwnd > 768 * 1200);
	print_message("fat pipe: %.1f s, cwnd %u\n",
			(double)(P.now - 1000000000ull) / 1e9,
			(unsigned int)P.c[0]->rec.cc.cwnd);
	qp_fini(&P);
}

/* ---- Retry (RFC 9000 8.1.2, 17.2.5) ---- */

static void
test_retry(void **state)
{
	uint64_t sent, rcvd;
	bool v;

	(void)state;
	pair(&clean, 40, NULL);
	P.retry = true;
	handshake();
	assert_int_equal(P.retries_sent, 1);
	assert_int_equal(tq_quic_conn_stats(P.c[0])->retries, 1);
	/* the token validated the address: no amplification limit */
	tq_quic_conn_amp(P.c[1], &sent, &rcvd, &v);
	assert_true(v);
	assert_int_equal(P.client_initial_small, 0);
	assert_int_equal(tq_quic_conn_stats(P.c[0])->proto_err, 0);
	qp_fini(&P);
}

/* A Retry whose tag does not verify is dropped; the next one taken. */
static void
test_retry_bad_tag(void **state)
{
	(void)state;
	pair(&clean, 41, NULL);
	P.retry = true;
	P.retry_bad_tag = true;
	handshake();
	/* the probes may bring a Retry each: one is taken, the rest
	 * dropped */
	assert_true(P.retries_sent >= 2);
	assert_int_equal(tq_quic_conn_stats(P.c[0])->retries, 1);
	assert_int_equal(tq_quic_conn_stats(P.c[0])->drop_decrypt, 1);
	qp_fini(&P);
}

/* After a Retry the server's parameters must carry its SCID (RFC 9000
 * 7.3): without it, TRANSPORT_PARAMETER_ERROR. */
static void
test_retry_missing_tp(void **state)
{
	(void)state;
	pair(&clean, 42, NULL);
	P.retry = true;
	P.retry_no_tp = true;
	assert_true(qp_run(&P, 10 * S, any_closed, NULL));
	assert_int_equal(cs.code, TQ_QUIC_TRANSPORT_PARAMETER_ERROR);
	assert_int_equal(cs.established, 0);
	qp_fini(&P);
}

/* ---- the send queue (tq_qc_sq) against a model ---- */

/* Packets of random sizes sent from a queue, acknowledged or lost in
 * random order (many holes, past the ranges it keeps): the queue's base
 * never passes a byte the model has not seen acknowledged, lost bytes
 * come back, and everything ends acknowledged. */
static void
test_send_queue_model(void **state)
{
	enum { TOTAL = 300000, MAXP = 4096 };
	static uint8_t acked[TOTAL];
	static struct { uint64_t off, len; } pk[MAXP];
	struct tq_qc_sq q;
	uint8_t data[1500];
	unsigned int npk = 0, i, rounds = 0, most = 0;
	uint64_t off, len, b;
	bool retx;

	(void)state;
	memset(acked, 0, sizeof(acked));
	assert_int_equal(tq_qc_sq_init(&q, 262144), 0);
	memset(data, 7, sizeof(data));
	while ((q.base < TOTAL || q.end < TOTAL) && rounds++ < 3000000) {
		/* the app writes */
		if (q.end < TOTAL)
			tq_qc_sq_write(&q, data, (uint32_t)RTE_MIN(
					(uint64_t)sizeof(data), TOTAL - q.end));
		/* a packet goes out */
		if (npk < MAXP && tq_qc_sq_peek(&q, &off, &len, &retx)) {
			len = RTE_MIN(len, 1 + rnd64() % 400);
			tq_qc_sq_sent(&q, off, len, retx);
			pk[npk].off = off;
			pk[npk].len = len;
			npk++;
		}
		/* one in flight settles: acked (80%) or lost */
		if (npk && (rnd64() % 3 == 0 || npk == MAXP ||
				!tq_qc_sq_peek(&q, &off, &len, &retx))) {
			i = (unsigned int)(rnd64() % npk);
			if (rnd64() % 5) {
				for (b = pk[i].off; b < pk[i].off + pk[i].len;
						b++)
					acked[b] = 1;
				tq_qc_sq_acked(&q, pk[i].off, pk[i].len);
			} else {
				tq_qc_sq_lost(&q, pk[i].off, pk[i].len);
			}
			pk[i] = pk[--npk];
		}
		for (b = q.base; b > 0 && b + 256 > q.base; b--)
			assert_int_equal(acked[b - 1], 1);
		most = RTE_MAX(most, q.n_acked);
	}
	/* the acknowledged ranges it keeps did fill up */
	print_message("send queue: %u rounds, %u ranges at most\n", rounds,
			most);
	assert_int_equal(most, TQ_QC_RANGES);
	assert_int_equal(q.base, TOTAL);
	for (b = 0; b < TOTAL; b++)
		assert_int_equal(acked[b], 1);
	tq_qc_sq_free(&q);
}

/* Closed by the app before the handshake completed: no application code
 * may go in an Initial or Handshake packet (RFC 9000 10.2.3), so the
 * peer sees APPLICATION_ERROR. */
static void
test_close_during_handshake(void **state)
{
	(void)state;
	pair(&clean, 43, NULL);
	qp_run(&P, 12 * MS, NULL, NULL);	/* the server exists */
	assert_non_null(P.c[1]);
	assert_false(tq_quic_conn_confirmed(P.c[0]));
	tq_conn_close(tq_quic_conn_base(P.c[0]), 77);
	assert_true(qp_run(&P, 10 * S, both_closed, NULL));
	assert_int_equal(cs.closed, 1);
	assert_int_equal(ss.closed, 1);
	assert_int_equal(ss.why, TQ_CLOSE_PROTOCOL);
	assert_int_equal(ss.code, TQ_QUIC_APPLICATION_ERROR);
	assert_int_equal(P.client_initial_small, 0);
	assert_int_equal(P.amp_violations, 0);
	qp_fini(&P);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake),
		cmocka_unit_test(test_pmtu),
		cmocka_unit_test(test_cc_per_conn),
		cmocka_unit_test(test_amplification),
		cmocka_unit_test(test_handshake_lossy),
		cmocka_unit_test(test_close_app_code),
		cmocka_unit_test(test_close_after_quiet),
		cmocka_unit_test(test_keepalive),
		cmocka_unit_test(test_close_no_error),
		cmocka_unit_test(test_close_during_handshake),
		cmocka_unit_test(test_idle_timeout),
		cmocka_unit_test(test_streams_clean),
		cmocka_unit_test(test_streams_lossy),
		cmocka_unit_test(test_stream_limit),
		cmocka_unit_test(test_reset_stop_codes),
		cmocka_unit_test(test_refused_stream),
		cmocka_unit_test(test_forbidden_frames),
		cmocka_unit_test(test_drops),
		cmocka_unit_test(test_cid_check_server),
		cmocka_unit_test(test_cid_check_client),
		cmocka_unit_test(test_alpn_mismatch),
		cmocka_unit_test(test_closing_repeats),
		cmocka_unit_test(test_draining_silent),
		cmocka_unit_test(test_blocked),
		cmocka_unit_test(test_key_update),
		cmocka_unit_test(test_stream_slots),
		cmocka_unit_test(test_aead_conf_limit),
		cmocka_unit_test(test_aead_integ_limit),
		cmocka_unit_test(test_random_frames),
		cmocka_unit_test(test_fat_pipe_both_ways),
		cmocka_unit_test(test_retry),
		cmocka_unit_test(test_retry_bad_tag),
		cmocka_unit_test(test_retry_missing_tp),
		cmocka_unit_test(test_send_queue_model),
	};

	if (tq_test_eal_init("quic_conn") != 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
