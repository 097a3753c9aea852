/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Congestion control chosen per TCP connection (TQ_OPT_CC), on two hosts
 * over tq_tcptest's simulated link, both engines defaulting to NewReno:
 *   (a) two connections at once from one host, one set to CUBIC and one
 *       to BBR right after tq_tcp_connect() (before the handshake): each
 *       reports its own cc in tq_conn_info() and getopt, BBR's model ran
 *       (a bandwidth estimate and a pacing rate of its own), CUBIC's
 *       window grew past NewReno's initial one; the listener side
 *       starts with what each listener was given (tq_tcp_listen_set_opt()
 *       on one port, the default on the other); bytes arrive exact;
 *   (b) one connection switched mid-transfer through a lossy link,
 *       CUBIC -> BBR -> NewReno: every switch takes, the window carries
 *       over, BBR ran while it held the connection, and the stream
 *       arrives bit-exact;
 *   (c) bad values: -EINVAL, the choice unchanged; another option on the
 *       connection: -ENOTSUP.
 */
#include "tq_tcptest.h"

#include <inttypes.h>
#include <string.h>

static const char *const addrs_a[] = { "10.0.0.1/24", NULL };
static const char *const addrs_b[] = { "10.0.0.2/24", NULL };

#define PORT 5001	/* the engine's default cc */
#define PORT_BBR 5002	/* a listener set to BBR */

struct snd {
	struct tq_stream *st;
	uint64_t total, written;
	bool shut, closed;
	enum tq_close_reason why;
};

struct sink {
	struct tq_stream *st;
	uint64_t received;
	int64_t bad_off;
	uint32_t cc_at_accept;
	bool eof, closed;
	enum tq_close_reason why;
};

static uint8_t wbuf[64 * 1024];

static void
snd_fill(struct snd *s)
{
	while (s->st && s->written < s->total) {
		uint32_t n = (uint32_t)RTE_MIN((uint64_t)sizeof(wbuf),
				s->total - s->written);
		int r;

		tq_tcptest_pattern_fill(wbuf, s->written, n);
		r = tq_stream_write(s->st, wbuf, n);
		if (r <= 0)
			return;
		s->written += (uint32_t)r;
		if ((uint32_t)r < n)
			return;
	}
	if (s->st && s->written == s->total && !s->shut) {
		s->shut = true;
		tq_stream_close(s->st);
	}
}

static void
snd_connected(struct tq_stream *st, void *ctx)
{
	snd_fill(ctx);
}

static void
snd_writable(struct tq_stream *st, void *ctx)
{
	snd_fill(ctx);
}

static void
snd_closed(struct tq_stream *st, enum tq_close_reason why, void *ctx)
{
	struct snd *s = ctx;

	s->closed = true;
	s->why = why;
	s->st = NULL;
}

static const struct tq_stream_ops snd_ops = {
	.connected = snd_connected,
	.writable = snd_writable,
	.closed = snd_closed,
};

static void
sink_readable(struct tq_stream *st, void *ctx)
{
	struct sink *k = ctx;
	uint8_t buf[16384];
	int n;

	while ((n = tq_stream_read(st, buf, sizeof(buf))) > 0) {
		int64_t bad = tq_tcptest_pattern_check(buf, k->received,
				(uint32_t)n);

		if (bad >= 0 && k->bad_off < 0)
			k->bad_off = (int64_t)k->received + bad;
		k->received += (uint32_t)n;
	}
	if (!k->eof && tq_stream_eof(st)) {
		k->eof = true;
		tq_stream_close(st);
	}
}

static void
sink_closed(struct tq_stream *st, enum tq_close_reason why, void *ctx)
{
	struct sink *k = ctx;

	k->closed = true;
	k->why = why;
	k->st = NULL;
}

static const struct tq_stream_ops sink_ops = {
	.readable = sink_readable,
	.closed = sink_closed,
};

static void
sink_accept(struct tq_shard *s, struct tq_listener *l, void *arg)
{
	struct sink *k = arg;
	struct tq_stream *st;

	while ((st = tq_tcp_accept(l, &sink_ops, k)) != NULL) {
		assert_null(k->st);
		k->st = st;
		assert_int_equal(tq_stream_get_opt(st, TQ_OPT_CC,
				&k->cc_at_accept), 0);
		sink_readable(st, k);
	}
}

static void
check_exact(const struct snd *s, const struct sink *k)
{
	if (k->bad_off >= 0)
		fail_msg("byte %" PRId64 " differs", k->bad_off);
	assert_int_equal(s->written, s->total);
	assert_int_equal(k->received, s->total);
	assert_true(k->eof);
	assert_int_equal(s->why, TQ_CLOSE_NORMAL);
	assert_int_equal(k->why, TQ_CLOSE_NORMAL);
}

/* ------------------------------------------------------------------ */

struct two {
	struct snd s[2];
	struct sink k[2];
	/* sampled while both run */
	char cc[2][16];
	uint32_t cwnd[2];
	uint64_t bbr_btl_bw, bbr_pacing;
	bool sampled;
};

static bool
two_done(void *arg)
{
	struct two *t = arg;
	int i;

	if (!t->sampled && t->s[0].st && t->s[1].st &&
			t->k[0].received > 4000000 &&
			t->k[1].received > 4000000) {
		for (i = 0; i < 2; i++) {
			struct tq_conn_info info;

			tq_stream_info(t->s[i].st, &info);
			snprintf(t->cc[i], sizeof(t->cc[i]), "%s", info.cc);
			t->cwnd[i] = info.cwnd;
		}
		t->bbr_btl_bw = tq_stream_tcb(t->s[1].st)->cc.bbr.btl_bw;
		t->bbr_pacing = tq_stream_tcb(t->s[1].st)->cc.pacing_rate;
		t->sampled = true;
	}
	return t->s[0].closed && t->s[1].closed && t->k[0].closed &&
		t->k[1].closed;
}

static void
two_conns_two_ccs(void **state)
{
	static struct tq_tcptest_host a, b;
	static struct two t;
	unsigned int avail = tq_test_pool_avail();
	const struct tq_sim_link_conf link = {
		.delay_ns = TT_MS(5),
		.bw_bps = 200000000ull,
		.queue_bytes = 256 * 1024,
	};
	struct tq_addr dst = tq_test_addr("10.0.0.2");
	struct tq_sim sim;
	uint32_t v;
	int i, err;

	memset(&t, 0, sizeof(t));
	tq_tcptest_prepare(&a);
	tq_tcptest_prepare(&b);
	a.conf.cc = &tq_cc_newreno;
	b.conf.cc = &tq_cc_newreno;
	for (i = 0; i < 2; i++) {
		t.k[i].bad_off = -1;
		t.s[i].total = 20ull * 1000 * 1000;
	}
	assert_int_equal(tq_tcptest_listen(&b, NULL, PORT, 16, sink_accept,
			&t.k[0]), 0);
	assert_int_equal(tq_tcptest_listen(&b, NULL, PORT_BBR, 16,
			sink_accept, &t.k[1]), 0);
	assert_int_equal(tq_tcp_listen_table_set_opt(&b.lt, NULL, PORT_BBR,
			TQ_OPT_CC, TQ_CC_BBR), 0);
	assert_int_equal(tq_tcp_listen_table_set_opt(&b.lt, NULL, PORT_BBR,
			TQ_OPT_CC, 9), -EINVAL);
	assert_int_equal(tq_tcp_listen_table_set_opt(&b.lt, NULL, 7,
			TQ_OPT_CC, TQ_CC_BBR), -ENOENT);
	assert_int_equal(tq_tcp_listen_table_set_opt(&b.lt, NULL, PORT,
			TQ_OPT_NODELAY, 1), -ENOTSUP);
	assert_int_equal(tq_tcptest_start(&a, 1, addrs_a), 0);
	assert_int_equal(tq_tcptest_start(&b, 2, addrs_b), 0);
	tq_sim_init(&sim, &a, &b, &link, 7);

	t.s[0].st = tq_tcp_connect(a.h.s, &dst, PORT, NULL, 0, &snd_ops,
			&t.s[0], &err);
	assert_non_null(t.s[0].st);
	t.s[1].st = tq_tcp_connect(a.h.s, &dst, PORT_BBR, NULL, 0, &snd_ops,
			&t.s[1], &err);
	assert_non_null(t.s[1].st);
	/* before the handshake: the choice waits for it */
	assert_int_equal(tq_stream_get_opt(t.s[0].st, TQ_OPT_CC, &v), 0);
	assert_int_equal(v, TQ_CC_NEWRENO);
	assert_int_equal(tq_stream_set_opt(t.s[0].st, TQ_OPT_CC,
			TQ_CC_CUBIC), 0);
	assert_int_equal(tq_conn_set_opt(tq_stream_conn(t.s[1].st),
			TQ_OPT_CC, TQ_CC_BBR), 0);
	assert_int_equal(tq_stream_get_opt(t.s[0].st, TQ_OPT_CC, &v), 0);
	assert_int_equal(v, TQ_CC_CUBIC);
	assert_int_equal(tq_conn_get_opt(tq_stream_conn(t.s[1].st),
			TQ_OPT_CC, &v), 0);
	assert_int_equal(v, TQ_CC_BBR);

	assert_true(tq_sim_run(&sim, sim.now + TT_S(120), two_done, &t));
	for (i = 0; i < 2; i++)
		check_exact(&t.s[i], &t.k[i]);
	assert_true(t.sampled);
	print_message("cubic conn: cc %s cwnd %u; bbr conn: cc %s cwnd %u "
			"btl_bw %" PRIu64 " B/s pacing %" PRIu64 " B/s\n",
			t.cc[0], t.cwnd[0], t.cc[1], t.cwnd[1],
			t.bbr_btl_bw, t.bbr_pacing);
	assert_string_equal(t.cc[0], "cubic");
	assert_string_equal(t.cc[1], "bbr");
	/* each algorithm ran: BBR's model has a bandwidth and paces by it,
	 * CUBIC left the initial window far behind and set no pacing */
	assert_true(t.bbr_btl_bw > 1000000);
	assert_true(t.bbr_pacing > 1000000);
	assert_true(t.cwnd[0] > 40 * 1460);
	/* the listener side: what each listener said */
	assert_int_equal(t.k[0].cc_at_accept, TQ_CC_NEWRENO);
	assert_int_equal(t.k[1].cc_at_accept, TQ_CC_BBR);
	tq_sim_fini(&sim);
	tq_tcptest_fini(&a);
	tq_tcptest_fini(&b);
	tq_tcptest_check_pool(avail);
}

/* ------------------------------------------------------------------ */

struct sw {
	struct snd s;
	struct sink k;
	int phase;		/* switches done */
	uint32_t cwnd_before, cwnd_after;
	uint64_t bbr_btl_bw;
	char cc_mid[16];
};

static bool
sw_done(void *arg)
{
	struct sw *w = arg;
	struct tq_conn_info info;
	struct tq_tcb *tp;

	if (w->s.st && w->phase == 0 && w->k.received > 10000000) {
		/* CUBIC -> BBR: the window the path gave carries over */
		tp = tq_stream_tcb(w->s.st);
		w->cwnd_before = tp->cc.cwnd;
		assert_int_equal(tq_stream_set_opt(w->s.st, TQ_OPT_CC,
				TQ_CC_BBR), 0);
		w->cwnd_after = tp->cc.cwnd;
		assert_ptr_equal(tp->cc.ops, &tq_cc_bbr);
		assert_non_null(tp->rate);
		w->phase = 1;
	} else if (w->s.st && w->phase == 1 && w->k.received > 25000000) {
		tp = tq_stream_tcb(w->s.st);
		tq_stream_info(w->s.st, &info);
		snprintf(w->cc_mid, sizeof(w->cc_mid), "%s", info.cc);
		w->bbr_btl_bw = tp->cc.bbr.btl_bw;
		assert_int_equal(tq_stream_set_opt(w->s.st, TQ_OPT_CC,
				TQ_CC_NEWRENO), 0);
		assert_int_equal(tp->cc.pacing_rate, 0);
		w->phase = 2;
	}
	return w->s.closed && w->k.closed;
}

static void
switch_mid_transfer(void **state)
{
	static struct tq_tcptest_host a, b;
	static struct sw w;
	unsigned int avail = tq_test_pool_avail();
	const struct tq_sim_link_conf link = {
		.delay_ns = TT_MS(10),
		.bw_bps = 100000000ull,
		.queue_bytes = 256 * 1024,
		.loss = 0.002,
		.reorder = 0.005,
		.reorder_min_ns = TT_US(100),
		.reorder_max_ns = TT_MS(1),
	};
	struct tq_addr dst = tq_test_addr("10.0.0.2");
	struct tq_sim sim;
	int err;

	memset(&w, 0, sizeof(w));
	w.k.bad_off = -1;
	w.s.total = 40ull * 1000 * 1000;
	tq_tcptest_prepare(&a);
	tq_tcptest_prepare(&b);
	a.conf.cc = &tq_cc_cubic;
	b.conf.cc = &tq_cc_newreno;
	assert_int_equal(tq_tcptest_listen(&b, NULL, PORT, 16, sink_accept,
			&w.k), 0);
	assert_int_equal(tq_tcptest_start(&a, 1, addrs_a), 0);
	assert_int_equal(tq_tcptest_start(&b, 2, addrs_b), 0);
	tq_sim_init(&sim, &a, &b, &link, 11);
	w.s.st = tq_tcp_connect(a.h.s, &dst, PORT, NULL, 0, &snd_ops, &w.s,
			&err);
	assert_non_null(w.s.st);
	assert_true(tq_sim_run(&sim, sim.now + TT_S(300), sw_done, &w));
	check_exact(&w.s, &w.k);
	assert_int_equal(w.phase, 2);
	print_message("switch: cubic cwnd %u -> bbr cwnd %u; bbr btl_bw %"
			PRIu64 " B/s\n", w.cwnd_before, w.cwnd_after,
			w.bbr_btl_bw);
	assert_int_equal(w.cwnd_after, w.cwnd_before);
	assert_string_equal(w.cc_mid, "bbr");
	assert_true(w.bbr_btl_bw > 1000000);
	/* B's end never changed: the engine's default */
	assert_int_equal(w.k.cc_at_accept, TQ_CC_NEWRENO);
	tq_sim_fini(&sim);
	tq_tcptest_fini(&a);
	tq_tcptest_fini(&b);
	tq_tcptest_check_pool(avail);
}

/* ------------------------------------------------------------------ */

static void
bad_values(void **state)
{
	static struct tt_fx f;
	uint32_t v;

	tt_fx_begin(&f);
	tt_fx_up(&f);
	assert_int_equal(tq_stream_set_opt(f.c.st, TQ_OPT_CC, 0), -EINVAL);
	assert_int_equal(tq_stream_set_opt(f.c.st, TQ_OPT_CC, 4), -EINVAL);
	assert_int_equal(tq_stream_set_opt(f.c.st, TQ_OPT_CC, UINT32_MAX),
			-EINVAL);
	assert_int_equal(tq_stream_get_opt(f.c.st, TQ_OPT_CC, &v), 0);
	assert_int_equal(v, tq_stream_tcb(f.c.st)->cc.ops->id);
	assert_int_equal(tq_conn_set_opt(tq_stream_conn(f.c.st),
			TQ_OPT_NODELAY, 1), -ENOTSUP);
	/* the ids are the public enum's */
	assert_ptr_equal(tq_cc_by_id(TQ_CC_NEWRENO), &tq_cc_newreno);
	assert_ptr_equal(tq_cc_by_id(TQ_CC_CUBIC), &tq_cc_cubic);
	assert_ptr_equal(tq_cc_by_id(TQ_CC_BBR), &tq_cc_bbr);
	/* the stream's own options read back */
	assert_int_equal(tq_stream_set_opt(f.c.st, TQ_OPT_SNDBUF, 16384), 0);
	assert_int_equal(tq_stream_get_opt(f.c.st, TQ_OPT_SNDBUF, &v), 0);
	assert_int_equal(v, 16384);
	tt_fx_end(&f, TT_FX_ABORT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TT_TEST(two_conns_two_ccs),
		TT_TEST(switch_mid_transfer),
		TT_TEST(bad_values),
	};

	if (tq_test_eal_init("sim_cc_conn") < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
