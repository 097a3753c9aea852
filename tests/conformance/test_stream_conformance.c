/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stream conformance: what every transport's streams must do, written
 * against tachyon/tq_stream.h alone and run once per transport fixture
 * (cf_fixture.h).  Two hosts on a simulated link: ordered delivery under
 * loss, reordering and duplication; each side's shutdown; read shutdown;
 * abort with a code seen by the peer; bounded zero-copy reads; partial
 * zero-copy writes; a splice relay whose mbufs stay bounded while its
 * reader stalls; writable() after back-pressure.  Every test also checks
 * that every mbuf is back in the pool at the end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <rte_mbuf.h>

#include <tachyon/tq_stream.h>

#include "cf_fixture.h"

#define MS(x) ((uint64_t)(x) * 1000000ull)
#define S(x) ((uint64_t)(x) * 1000000000ull)

int cf_eal_init(const char *name);

/* The byte at offset off of a test stream (seeded per direction). */
static inline uint8_t
pat(uint64_t off, uint8_t seed)
{
	uint64_t x = (off >> 3) * 0x9e3779b97f4a7c15ull + seed;

	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 32;
	return (uint8_t)(x >> ((off & 7) * 8));
}

static void
pat_fill(uint8_t *p, uint64_t off, uint32_t n, uint8_t seed)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		p[i] = pat(off + i, seed);
}

/* ------------------------------------------------------------------ */
/* an endpoint: one stream and what its callbacks saw                  */

enum rd_mode {
	RD_COPY,	/* read everything with tq_stream_read() */
	RD_MBUF,	/* with tq_stream_read_mbuf(), in 3000-byte bites */
	RD_NONE,	/* leave it queued */
};

struct ep {
	struct tq_stream *st;
	uint8_t seed_in, seed_out;
	enum rd_mode mode;
	uint64_t rcvd;		/* bytes read, checked against the pattern */
	int64_t bad;		/* first offset that differed, -1 */
	uint64_t to_write, written;
	bool shut_after_write;	/* shutdown() once to_write is queued */
	bool close_on_eof;
	bool eof;
	unsigned int n_fin, n_reset, n_stop, n_closed, n_writable;
	uint64_t reset_code, stop_code, err_in_cb;
	enum tq_close_reason why;
	uint64_t acked;
	int write_err;
};

static const struct cf_transport *T;

static void
ep_init(struct ep *e, uint8_t seed_in, uint8_t seed_out)
{
	memset(e, 0, sizeof(*e));
	e->seed_in = seed_in;
	e->seed_out = seed_out;
	e->bad = -1;
}

static void
ep_check(struct ep *e, const uint8_t *p, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n && e->bad < 0; i++)
		if (p[i] != pat(e->rcvd + i, e->seed_in))
			e->bad = (int64_t)(e->rcvd + i);
	e->rcvd += n;
}

static void
ep_check_mbuf(struct ep *e, struct rte_mbuf *m)
{
	struct rte_mbuf *x;
	uint32_t sum = 0;
	uint16_t segs = 0;

	for (x = m; x; x = x->next) {
		ep_check(e, rte_pktmbuf_mtod(x, const uint8_t *), x->data_len);
		sum += x->data_len;
		segs++;
	}
	assert_int_equal(sum, m->pkt_len);
	assert_int_equal(segs, m->nb_segs);
}

static void
ep_fill(struct ep *e)
{
	static uint8_t buf[16384];

	while (e->st && e->written < e->to_write) {
		uint32_t n = (uint32_t)RTE_MIN((uint64_t)sizeof(buf),
				e->to_write - e->written);
		int r;

		pat_fill(buf, e->written, n, e->seed_out);
		r = tq_stream_write(e->st, buf, n);
		if (r < 0) {
			e->write_err = r;
			return;
		}
		e->written += (uint32_t)r;
		if ((uint32_t)r < n)
			return;
	}
	if (e->st && e->shut_after_write && e->written == e->to_write) {
		e->shut_after_write = false;
		assert_int_equal(tq_stream_shutdown(e->st), 0);
	}
}

static void
ep_drain(struct ep *e)
{
	uint8_t buf[4096];
	struct rte_mbuf *m;
	int n;

	if (e->mode == RD_COPY) {
		while ((n = tq_stream_read(e->st, buf, sizeof(buf))) > 0)
			ep_check(e, buf, (uint32_t)n);
	} else if (e->mode == RD_MBUF) {
		while ((m = tq_stream_read_mbuf(e->st, 3000)) != NULL) {
			assert_true(m->pkt_len <= 3000);
			ep_check_mbuf(e, m);
			rte_pktmbuf_free(m);
		}
	}
}

static void
ep_readable(struct tq_stream *st, void *ctx)
{
	struct ep *e = ctx;

	e->st = st;
	if (e->mode == RD_NONE)
		return;
	ep_drain(e);
	if (tq_stream_eof(st) && !e->eof) {
		e->eof = true;
		if (e->close_on_eof)
			tq_stream_close(st);
	}
}

static void
ep_writable(struct tq_stream *st, void *ctx)
{
	struct ep *e = ctx;

	e->n_writable++;
	ep_fill(e);
}

static void
ep_connected(struct tq_stream *st, void *ctx)
{
	ep_fill(ctx);
}

static void
ep_acked(struct tq_stream *st, uint64_t total, void *ctx)
{
	((struct ep *)ctx)->acked = total;
}

static void
ep_peer_fin(struct tq_stream *st, void *ctx)
{
	struct ep *e = ctx;

	e->n_fin++;
	/* Every byte was readable before the FIN was announced. */
	if (e->mode != RD_NONE)
		assert_int_equal(tq_stream_readable(st), 0);
}

static void
ep_peer_reset(struct tq_stream *st, uint64_t code, void *ctx)
{
	struct ep *e = ctx;

	e->n_reset++;
	e->reset_code = code;
	e->err_in_cb = tq_stream_error_code(st);
}

static void
ep_stop(struct tq_stream *st, uint64_t code, void *ctx)
{
	struct ep *e = ctx;

	e->n_stop++;
	e->stop_code = code;
}

static void
ep_closed(struct tq_stream *st, enum tq_close_reason why, void *ctx)
{
	struct ep *e = ctx;

	e->n_closed++;
	e->why = why;
	e->st = NULL;
}

static const struct tq_stream_ops ep_ops = {
	.connected = ep_connected,
	.readable = ep_readable,
	.writable = ep_writable,
	.acked = ep_acked,
	.peer_fin = ep_peer_fin,
	.peer_reset = ep_peer_reset,
	.stop_sending = ep_stop,
	.closed = ep_closed,
};

/* ------------------------------------------------------------------ */
/* set-up, with a leak check                                           */

static unsigned int pool_avail0;
static struct ep cl, sv;

static void
begin(void **state, const struct cf_link *link, uint32_t sndbuf,
		uint32_t rcvbuf)
{
	T = *state;
	pool_avail0 = rte_mempool_avail_count(T->pool());
	T->setup(link, 42, sndbuf, rcvbuf);
	ep_init(&cl, 2, 1);
	ep_init(&sv, 1, 2);
}

static void
open_pair(void)
{
	struct tq_stream *c, *s;

	T->open(&ep_ops, &cl, &ep_ops, &sv, &c, &s);
	cl.st = c;
	sv.st = s;
	assert_true(tq_stream_shard(c) != tq_stream_shard(s));
	assert_int_equal(tq_conn_transport(tq_stream_conn(c)),
			tq_conn_transport(tq_stream_conn(s)));
}

static void
end(void)
{
	T->teardown();
	assert_int_equal(rte_mempool_avail_count(T->pool()), pool_avail0);
}

static bool
both_closed(void *arg)
{
	return cl.n_closed && sv.n_closed;
}

static const struct cf_link clean = { .delay_ns = MS(1) };

/* ------------------------------------------------------------------ */
/* the tests                                                           */

/* 2 MB each way through 1% loss, 2% reordering, 1% duplication. */
static void
ordered_under_loss(void **state)
{
	struct cf_link l = {
		.delay_ns = MS(5), .bw_bps = 100000000,
		.loss = 0.01, .reorder = 0.02, .dup = 0.01,
	};

	begin(state, &l, 0, 0);
	cl.to_write = sv.to_write = 2u << 20;
	cl.shut_after_write = sv.shut_after_write = true;
	cl.mode = RD_COPY;
	sv.mode = RD_MBUF;
	open_pair();
	ep_fill(&cl);
	ep_fill(&sv);
	assert_true(T->run(S(120), both_closed, NULL));
	assert_int_equal(cl.bad, -1);
	assert_int_equal(sv.bad, -1);
	assert_int_equal(sv.rcvd, 2u << 20);
	assert_int_equal(cl.rcvd, 2u << 20);
	assert_int_equal(cl.n_fin, 1);
	assert_int_equal(sv.n_fin, 1);
	assert_int_equal(cl.why, TQ_CLOSE_NORMAL);
	assert_int_equal(sv.why, TQ_CLOSE_NORMAL);
	end();
}

static bool
sv_eof(void *arg)
{
	return sv.eof;
}

/* Each side shuts its writing down on its own; the other still writes. */
static void
write_shutdown_each_side(void **state)
{
	begin(state, &clean, 0, 0);
	cl.to_write = 10000;
	cl.shut_after_write = true;
	cl.mode = sv.mode = RD_COPY;
	open_pair();
	ep_fill(&cl);
	assert_true(T->run(S(5), sv_eof, NULL));
	assert_int_equal(sv.rcvd, 10000);
	assert_int_equal(sv.n_fin, 1);
	assert_int_equal(tq_stream_read(sv.st, (uint8_t[8]){ 0 }, 8), 0);
	/* Our side is shut: no more writes, reads go on. */
	assert_int_equal(tq_stream_write(cl.st, "x", 1), -EPIPE);
	assert_int_equal(cl.n_closed, 0);
	sv.to_write = 20000;
	sv.shut_after_write = true;
	ep_fill(&sv);
	assert_true(T->run(S(5), both_closed, NULL));
	assert_int_equal(cl.rcvd, 20000);
	assert_int_equal(cl.bad, -1);
	assert_int_equal(cl.n_fin, 1);
	assert_int_equal(cl.why, TQ_CLOSE_NORMAL);
	assert_int_equal(sv.why, TQ_CLOSE_NORMAL);
	end();
}

static bool
cl_acked_all(void *arg)
{
	return cl.acked >= cl.to_write || cl.n_stop || cl.write_err;
}

/* The reader shuts reading down: the writer is not held up by it. */
static void
read_shutdown(void **state)
{
	begin(state, &clean, 0, 65536);
	cl.to_write = 400000; /* six receive buffers */
	sv.mode = RD_NONE;
	open_pair();
	ep_fill(&cl);
	assert_true(T->run(MS(20), NULL, NULL) || true);
	assert_int_equal(tq_stream_shutdown_read(sv.st, 7), 0);
	assert_int_equal(tq_stream_readable(sv.st), 0);
	assert_int_equal(tq_stream_read(sv.st, (uint8_t[8]){ 0 }, 8), 0);
	assert_true(T->run(S(20), cl_acked_all, NULL));
	if (T->stop_sending) {
		assert_int_equal(cl.n_stop, 1);
		assert_int_equal(cl.stop_code, 7);
		assert_int_equal(tq_stream_write(cl.st, "x", 1), -EPIPE);
	} else {
		/* Acknowledged and dropped: every byte, past the window. */
		assert_int_equal(cl.acked, cl.to_write);
		assert_null(tq_stream_read_mbuf(sv.st, UINT32_MAX));
	}
	tq_stream_close(cl.st);
	tq_stream_close(sv.st);
	assert_true(T->run(S(5), both_closed, NULL));
	end();
}

static bool
sv_gone(void *arg)
{
	return sv.n_closed && cl.n_closed;
}

/* An abort carries its code to the peer where the transport can. */
static void
abort_with_code(void **state)
{
	begin(state, &clean, 0, 0);
	cl.to_write = 5000;
	sv.mode = RD_NONE;
	open_pair();
	ep_fill(&cl);
	T->run(MS(20), NULL, NULL);
	tq_stream_abort(cl.st, 42);
	assert_int_equal(cl.n_closed, 1);
	assert_int_equal(cl.why, TQ_CLOSE_ABORTED);
	assert_true(T->run(S(2), sv_gone, NULL));
	assert_int_equal(sv.n_reset, 1);
	assert_int_equal(sv.reset_code, T->app_codes ? 42 : 0);
	assert_int_equal(sv.err_in_cb, sv.reset_code);
	assert_int_equal(sv.why, TQ_CLOSE_RESET);
	end();
}

static bool
sv_has_50k(void *arg)
{
	return tq_stream_readable(sv.st) >= 50000;
}

/* read_mbuf takes exactly what it is allowed, splitting segments. */
static void
bounded_zero_copy_read(void **state)
{
	static const uint32_t bites[] = { 1, 777, 1448, 3000, 1, 65536 };
	struct rte_mbuf *m;
	uint32_t left = 50000, i = 0;

	begin(state, &clean, 0, 0);
	cl.to_write = 50000;
	sv.mode = RD_NONE;
	open_pair();
	ep_fill(&cl);
	assert_true(T->run(S(5), sv_has_50k, NULL));
	assert_int_equal(tq_stream_readable(sv.st), 50000);
	while (left) {
		uint32_t want = bites[i++ % RTE_DIM(bites)];
		uint32_t exp = RTE_MIN(want, left);

		m = tq_stream_read_mbuf(sv.st, want);
		assert_non_null(m);
		assert_int_equal(m->pkt_len, exp);
		ep_check_mbuf(&sv, m);
		rte_pktmbuf_free(m);
		left -= exp;
		assert_int_equal(tq_stream_readable(sv.st), left);
	}
	assert_int_equal(sv.bad, -1);
	assert_null(tq_stream_read_mbuf(sv.st, 100));
	assert_null(tq_stream_read_mbuf(sv.st, 0));
	tq_stream_close(cl.st);
	tq_stream_close(sv.st);
	assert_true(T->run(S(5), both_closed, NULL));
	end();
}

/* A chain of n mbufs of len bytes each, carrying the pattern from off. */
static struct rte_mbuf *
chain(unsigned int n, uint16_t len, uint64_t off, uint8_t seed)
{
	struct rte_mbuf *head = NULL, *prev = NULL;
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(T->pool());
		uint8_t *p;

		assert_non_null(m);
		p = (uint8_t *)rte_pktmbuf_append(m, len);
		assert_non_null(p);
		pat_fill(p, off + (uint64_t)i * len, len, seed);
		if (prev) {
			prev->next = m;
			head->nb_segs++;
			head->pkt_len += len;
		} else {
			head = m;
		}
		prev = m;
	}
	return head;
}

static bool
cl_writable(void *arg)
{
	return cl.n_writable > *(unsigned int *)arg;
}

/* write_mbuf takes what fits, in bytes and in mbufs, and hands back
 * the rest; the peer gets exactly the bytes in order. */
static void
partial_zero_copy_write(void **state)
{
	struct rte_mbuf *m, *rest;
	uint64_t total = 0, sent = 0;
	unsigned int w;
	int n;

	begin(state, &clean, 65536, 0);
	sv.mode = RD_COPY;
	open_pair();
	/* Bytes: 100 KB offered to a 64 KB send buffer. */
	m = chain(50, 2000, 0, cl.seed_out);
	total = m->pkt_len;
	while (m) {
		n = tq_stream_write_mbuf(cl.st, m, &rest);
		assert_true(n >= 0);
		if (rest) {
			assert_int_equal(rest->pkt_len, m == rest ?
					m->pkt_len : total - sent - (uint32_t)n);
			assert_true(n < 65536 + 1);
		}
		sent += (uint32_t)n;
		m = rest;
		if (m) {
			assert_true(tq_stream_write_space(cl.st) < 2000 ||
					tq_stream_write_space_mbufs(cl.st) == 0 ||
					n == 0);
			w = cl.n_writable;
			assert_true(T->run(S(5), cl_writable, &w));
		}
	}
	assert_int_equal(sent, total);
	/* Mbufs: 8 allowed, 100 small ones offered. */
	assert_int_equal(tq_stream_set_opt(cl.st, TQ_OPT_SNDBUF_MBUFS, 8), 0);
	T->run(S(1), NULL, NULL); /* the first part drains */
	m = chain(100, 100, total, cl.seed_out);
	n = tq_stream_write_mbuf(cl.st, m, &rest);
	assert_true(n > 0 && n <= 800);
	assert_non_null(rest);
	assert_int_equal(rest->pkt_len, 10000 - (uint32_t)n);
	assert_int_equal(tq_stream_write_space_mbufs(cl.st), 0);
	sent += (uint32_t)n;
	total += 10000;
	m = rest;
	while (m) {
		w = cl.n_writable;
		assert_true(T->run(S(5), cl_writable, &w));
		n = tq_stream_write_mbuf(cl.st, m, &rest);
		assert_true(n >= 0);
		sent += (uint32_t)n;
		m = rest;
	}
	assert_int_equal(sent, total);
	assert_int_equal(tq_stream_shutdown(cl.st), 0);
	sv.close_on_eof = true;
	assert_true(T->run(S(10), sv_eof, NULL));
	assert_int_equal(sv.rcvd, total);
	assert_int_equal(sv.bad, -1);
	assert_true(T->run(S(5), both_closed, NULL));
	end();
}

/*
 * A relay on host 1 splices A's stream into B's; B's reader on host 0
 * stalls for a second, then drains.  The writer sends many small
 * segments, the case where a byte-only bound lets a send queue hold
 * thousands of mbufs.  The mbufs in use stay under a bound set by the
 * buffers, all bytes arrive in order, and FIN carries across.
 */
static struct ep a_cl, a_sv, b_cl, b_sv;
static bool stalled;

static void
relay_pump(void)
{
	int n;

	if (!a_sv.st || !b_sv.st)
		return;
	n = tq_stream_splice(a_sv.st, b_sv.st, UINT32_MAX);
	assert_true(n >= 0);
}

static void
relay_readable(struct tq_stream *st, void *ctx)
{
	relay_pump();
}

static void
relay_writable(struct tq_stream *st, void *ctx)
{
	relay_pump();
}

static void
relay_closed(struct tq_stream *st, enum tq_close_reason why, void *ctx)
{
	ep_closed(st, why, ctx);
}

static const struct tq_stream_ops relay_in_ops = {
	.readable = relay_readable,
	.closed = relay_closed,
};

static const struct tq_stream_ops relay_out_ops = {
	.writable = relay_writable,
	.closed = relay_closed,
};

static void
sink_readable(struct tq_stream *st, void *ctx)
{
	if (!stalled)
		ep_readable(st, ctx);
}

static const struct tq_stream_ops sink_ops = {
	.readable = sink_readable,
	.peer_fin = ep_peer_fin,
	.closed = ep_closed,
};

static bool
relay_done(void *arg)
{
	return b_cl.eof;
}

static void
splice_bounded(void **state)
{
	struct rte_mempool *pool;
	struct tq_stream *c, *s;
	unsigned int max_used = 0, used0;
	const uint64_t total = 1500000;
	uint64_t t0;
	uint8_t buf[100];

	begin(state, &clean, 1u << 20, 65536);
	pool = T->pool();
	ep_init(&a_cl, 9, 3);
	ep_init(&a_sv, 3, 9);
	ep_init(&b_cl, 3, 9);
	ep_init(&b_sv, 9, 3);
	b_cl.mode = RD_MBUF;
	T->open(&ep_ops, &a_cl, &relay_in_ops, &a_sv, &c, &s);
	a_cl.st = c;
	a_sv.st = s;
	T->open(&sink_ops, &b_cl, &relay_out_ops, &b_sv, &c, &s);
	b_cl.st = c;
	b_sv.st = s;
	/* The relay's send side: 1 MB of bytes but only 64 mbufs. */
	assert_int_equal(tq_stream_set_opt(b_sv.st, TQ_OPT_SNDBUF_MBUFS, 64),
			0);
	assert_int_equal(tq_stream_set_opt(a_cl.st, TQ_OPT_NODELAY, 1), 0);
	used0 = rte_mempool_in_use_count(pool);
	stalled = true;
	t0 = T->now();
	/* 100 bytes every 50 us: small segments, 2 MB/s. */
	while (a_cl.written < total) {
		if (tq_stream_write_space(a_cl.st) >= sizeof(buf)) {
			pat_fill(buf, a_cl.written, sizeof(buf), a_cl.seed_out);
			assert_int_equal(tq_stream_write(a_cl.st, buf,
					sizeof(buf)), sizeof(buf));
			a_cl.written += sizeof(buf);
		}
		T->run(50000, NULL, NULL);
		max_used = RTE_MAX(max_used, rte_mempool_in_use_count(pool));
		if (stalled && T->now() - t0 >= S(1)) {
			stalled = false;
			ep_readable(b_cl.st, &b_cl);
		}
		assert_int_equal(b_cl.bad, -1);
	}
	assert_int_equal(tq_stream_shutdown(a_cl.st), 0);
	assert_true(T->run(S(30), relay_done, NULL));
	max_used = RTE_MAX(max_used, rte_mempool_in_use_count(pool));
	assert_int_equal(b_cl.rcvd, total);
	assert_int_equal(b_cl.bad, -1);
	assert_int_equal(b_cl.n_fin, 1);
	/*
	 * Held while the sink stalls: A's receive queue (64 KB of 100-byte
	 * segments: ~660 mbufs), the relay's send queue (64), B's receive
	 * queue and the frames on the wire.  Counting B's send queue by
	 * bytes alone would let it take ~10000.
	 */
	print_message("%s: splice relay: %u mbufs in use at most (%u at "
			"start)\n", T->name, max_used, used0);
	assert_true(max_used - used0 < 2500);
	tq_stream_close(b_cl.st);
	tq_stream_close(a_sv.st);
	tq_stream_close(b_sv.st);
	T->run(S(5), NULL, NULL);
	end();
}

/*
 * A writer that filled the send buffer (and, behind it, the peer's
 * receive buffer) is not woken while the reader stalls, and is woken
 * once, with at least half the buffer free, when it reads.
 */
static void
writable_after_backpressure(void **state)
{
	unsigned int w;
	uint32_t space;

	begin(state, &clean, 65536, 65536);
	sv.mode = RD_NONE;
	open_pair();
	cl.to_write = UINT64_MAX;	/* writable() refills to the brim */
	ep_fill(&cl);
	assert_int_equal(tq_stream_write_space(cl.st), 0);
	T->run(S(2), NULL, NULL);
	assert_true(cl.written > 65536 + 16384); /* some went to the peer */
	/* Under the low-water mark (half): no wake-up is due. */
	assert_true(tq_stream_write_space(cl.st) < 65536 / 2);
	w = cl.n_writable;
	T->run(S(3), NULL, NULL);
	assert_int_equal(cl.n_writable, w);
	cl.to_write = cl.written;	/* stop writing when woken */
	sv.mode = RD_COPY;
	ep_readable(sv.st, &sv);
	assert_true(T->run(S(5), cl_writable, &w));
	assert_int_equal(cl.n_writable, w + 1);
	space = tq_stream_write_space(cl.st);
	assert_true(space >= 65536 / 2);
	tq_stream_close(cl.st);
	sv.close_on_eof = true;
	assert_true(T->run(S(5), both_closed, NULL));
	assert_int_equal(sv.bad, -1);
	assert_int_equal(sv.rcvd, cl.written);
	end();
}

/*
 * Who opened a stream and which way it goes: the opener's is local, the
 * acceptor's not, both bidirectional.  A second stream on the same
 * connection opens where the transport has them (QUIC) and is refused
 * with -ENOTSUP where the connection is its one stream (TCP); either
 * way the first stream carries on.
 */
static void
stream_roles(void **state)
{
	struct tq_stream *more;
	struct ep extra;
	int err = 0;

	begin(state, &clean, 0, 0);
	open_pair();
	assert_true(tq_stream_is_local(cl.st));
	assert_false(tq_stream_is_local(sv.st));
	assert_false(tq_stream_is_uni(cl.st));
	assert_false(tq_stream_is_uni(sv.st));
	assert_null(tq_conn_stream_open(tq_stream_conn(cl.st), 0x80, &ep_ops,
			NULL, &err));
	assert_int_equal(err, -EINVAL);
	ep_init(&extra, 5, 6);
	more = tq_conn_stream_open(tq_stream_conn(cl.st), 0, &ep_ops, &extra,
			&err);
	if (T->multi_stream) {
		assert_non_null(more);
		assert_true(tq_stream_is_local(more));
		assert_true(tq_stream_id(more) != tq_stream_id(cl.st));
		tq_stream_close(more);
		/* closed() comes, and nothing else (docs/api.md) */
	} else {
		assert_null(more);
		assert_int_equal(err, -ENOTSUP);
	}
	cl.to_write = 100000;
	cl.shut_after_write = true;
	sv.close_on_eof = true;
	ep_fill(&cl);
	assert_true(T->run(S(5), both_closed, NULL));
	assert_int_equal(sv.rcvd, 100000);
	assert_int_equal(sv.bad, -1);
	end();
}

/* A failed test leaves its hosts up: take them down for the next. */
static int
cf_cleanup(void **state)
{
	((const struct cf_transport *)*state)->teardown();
	return 0;
}

#define CF_TEST(f, tr) \
	cmocka_unit_test_prestate_setup_teardown(f, NULL, cf_cleanup, \
			(void *)&tr)

#define CF_TESTS(tr)                                                   \
	CF_TEST(ordered_under_loss, tr),        \
	CF_TEST(write_shutdown_each_side, tr),  \
	CF_TEST(read_shutdown, tr),             \
	CF_TEST(abort_with_code, tr),           \
	CF_TEST(bounded_zero_copy_read, tr),    \
	CF_TEST(partial_zero_copy_write, tr),   \
	CF_TEST(splice_bounded, tr),            \
	CF_TEST(writable_after_backpressure, tr), \
	CF_TEST(stream_roles, tr)

int
main(void)
{
	const struct CMUnitTest tcp[] = { CF_TESTS(cf_tcp) };
	const struct CMUnitTest quic[] = { CF_TESTS(cf_quic) };
	int fails = 0;

	if (cf_eal_init("stream_conformance") < 0)
		return 1;
	fails += cmocka_run_group_tests_name("stream conformance: tcp", tcp,
			NULL, NULL);
	fails += cmocka_run_group_tests_name("stream conformance: quic", quic,
			NULL, NULL);
	return fails;
}
