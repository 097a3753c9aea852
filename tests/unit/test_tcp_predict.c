/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Header prediction (the established fast path in tq_tcp_input.c) must be
 * an optimisation only: the same segments through the fast path and
 * through the full checks leave the same TCB state and make the host
 * send the same segments; so must the output's (tq_tcp_output.c: one
 * segment of new data sent without the loop).  One script (in-order
 * data, pure ACKs, data with an ACK, out-of-order and gap-filling data,
 * a window change, a duplicate ACK, an old timestamp, SACK and MSS
 * options, our writes held by Nagle and by a small window, a FIN) runs
 * twice, with tq_tcp_conf.predict on and off, and every step's state and
 * output are compared; the first run must have taken both fast paths
 * and the second never.  The SYN's option layout read by compares gives
 * what the options loop gives.
 */
#include "tq_tcptest.h"

#include <errno.h>
#include <string.h>

#define STEPS 20
#define OUTS 32

/* What a step leaves, relative to the ISNs so runs compare. */
struct snap {
	uint32_t state, flags;
	uint32_t snd_una, snd_nxt, snd_max, snd_wl1, snd_wl2, snd_wnd;
	uint32_t rcv_nxt, rcv_adv, ts_recent;
	uint64_t ts_recent_age, last_rcv, srtt, rttvar, rto;
	uint32_t cwnd, ssthresh, cc_acked, dupacks, segs_unacked, quick;
	uint32_t rcvq, sndq, ooo_bytes, ooo_segs, sb_n, sacked;
	uint64_t bytes_acked, bytes_received;
	uint64_t rexmt_at;	/* the retransmission timer's time, if armed */
};

struct out {
	uint8_t flags;
	uint32_t rseq, rack, len, win, tsval, tsecr, nsack;
	uint32_t sack[4][2];
};

struct run {
	struct snap s[STEPS];
	struct out o[OUTS];
	unsigned int ns, no;
	uint64_t hits, out_hits;
};

static void
snap(struct tq_tcptest_conn *c, struct run *r)
{
	struct tq_tcb *tp = tt_tcb(c);
	struct snap *s = &r->s[r->ns++];
	struct tq_tcptest_seg sg;

	assert_true(r->ns <= STEPS);
	memset(s, 0, sizeof(*s));
	assert_non_null(tp);
	s->state = tp->state;
	s->flags = tp->flags;
	s->rexmt_at = tq_timer_pending(&tp->t_rexmt) ? tp->t_rexmt.expire : 0;
	s->snd_una = tp->snd_una - tp->iss;
	s->snd_nxt = tp->snd_nxt - tp->iss;
	s->snd_max = tp->snd_max - tp->iss;
	s->snd_wl1 = tp->snd_wl1 - tp->irs;
	s->snd_wl2 = tp->snd_wl2 - tp->iss;
	s->snd_wnd = tp->snd_wnd;
	s->rcv_nxt = tp->rcv_nxt - tp->irs;
	s->rcv_adv = tp->rcv_adv - tp->irs;
	s->ts_recent = tp->ts_recent;
	s->ts_recent_age = tp->ts_recent_age;
	s->last_rcv = tp->last_rcv;
	s->srtt = tp->srtt;
	s->rttvar = tp->rttvar;
	s->rto = tp->rto;
	s->cwnd = tp->cc.cwnd;
	s->ssthresh = tp->cc.ssthresh;
	s->cc_acked = tp->cc.bytes_acked;
	s->dupacks = tp->dupacks;
	s->segs_unacked = tp->segs_unacked;
	s->quick = tp->quick;
	s->rcvq = tp->rcvq.bytes;
	s->sndq = tp->sndq.bytes;
	s->ooo_bytes = tp->ooo_bytes;
	s->ooo_segs = tp->ooo_segs;
	s->sb_n = tp->sb_n;
	s->sacked = tp->sacked_bytes;
	s->bytes_acked = tp->bytes_acked;
	s->bytes_received = tp->bytes_received;
	/* and what the host sent meanwhile */
	while (tt_out(c, &sg)) {
		struct out *o = &r->o[r->no++];

		assert_true(r->no <= OUTS);
		memset(o, 0, sizeof(*o));
		o->flags = sg.flags;
		o->rseq = sg.rseq;
		o->rack = sg.rack;
		o->len = sg.len;
		o->win = sg.win;
		o->tsval = sg.tsval;
		o->tsecr = sg.tsecr;
		o->nsack = sg.nsack;
		memcpy(o->sack, sg.sack, sizeof(o->sack));
		if (sg.nsack)
			for (unsigned int k = 0; k < sg.nsack; k++) {
				o->sack[k][0] -= c->piss;
				o->sack[k][1] -= c->piss;
			}
	}
}

static void
host_write(struct tq_tcptest_conn *c, uint64_t off, uint32_t n)
{
	uint8_t buf[1024];

	assert_true(n <= sizeof(buf));
	tq_tcptest_pattern_fill(buf, off, n);
	assert_int_equal(tq_stream_write(c->st, buf, n), (int)n);
	tt_advance(c, 0);
}

static void
script(struct tt_fx *f, bool predict, struct run *r)
{
	struct tq_tcptest_conn *c = &f->c;
	struct tq_tcptest_seg sg;
	static const uint8_t sack_opts[] = {
		/* NOP NOP SACK(301..401): nothing we sent, but parsed */
		1, 1, 5, 10, 0, 0, 0, 0, 0, 0, 0, 0,
	};

	memset(r, 0, sizeof(*r));
	tt_fx_begin(f);
	f->t.conf.predict = predict;
	tt_fx_up(f);
	snap(c, r);

	/* in-order data, alone */
	tt_in(c, "P.", 1, 1, 100);
	tt_advance(c, 1000000);
	snap(c, r);
	/* our data, then a pure ACK for it */
	host_write(c, 0, 300);
	tt_advance(c, 1000000);
	tt_in(c, ".", 101, 301, 0);
	snap(c, r);
	/* data that also ACKs ours */
	host_write(c, 300, 100);
	tt_advance(c, 2000000);
	tt_in(c, "P.", 101, 401, 200);
	snap(c, r);
	/* out of order (a hole at 301), then the hole filled */
	tt_in(c, "P.", 401, 401, 100);
	snap(c, r);
	tt_in(c, "P.", 301, 401, 100);
	tt_advance(c, 1000000);
	snap(c, r);
	/* a window change on a pure ACK */
	tt_in_win(c, ".", 501, 401, 0, 50);
	snap(c, r);
	/* our data, a duplicate ACK, then the ACK */
	host_write(c, 400, 500);
	tt_advance(c, 1000000);
	tt_in(c, ".", 501, 401, 0);
	snap(c, r);
	tt_in(c, "P.", 501, 901, 10);
	tt_advance(c, 50000000);
	snap(c, r);
	/* an old timestamp: PAWS drops it (the slow path's work) */
	c->ts_base -= 100000;
	tt_in(c, "P.", 511, 901, 10);
	c->ts_base += 100000;
	snap(c, r);
	/* an option layout the prediction does not read: SACK */
	memset(&sg, 0, sizeof(sg));
	sg.flags = tq_tcptest_flags(".");
	sg.seq = c->piss + 511;
	sg.ack = c->hiss + 901;
	sg.win = c->win;
	sg.raw_opts = sack_opts;
	sg.raw_optlen = sizeof(sack_opts);
	tt_in_seg(c, &sg);
	snap(c, r);
	/* Our writes the output's fast path must leave to the loop: a
	 * small one behind unacknowledged data (Nagle holds it unless the
	 * connection has nodelay), then more than the peer's window (a
	 * small one) takes; the ACKs release them. */
	host_write(c, 900, 40);
	host_write(c, 940, 40);
	tt_advance(c, 1000000);
	snap(c, r);
	tt_in_win(c, ".", 511, 941, 0, 20);
	tt_advance(c, 1000000);
	snap(c, r);
	/* with nodelay, a second write while the first is in flight and
	 * its tail loss probe armed: the probe's time moves on */
	assert_int_equal(tq_stream_set_opt(c->st, TQ_OPT_NODELAY, 1), 0);
	host_write(c, 980, 30);
	tt_advance(c, 1000);
	host_write(c, 1010, 30);
	snap(c, r);
	tt_advance(c, 1000000);
	tt_in(c, ".", 511, 1041, 0);
	tt_advance(c, 1000000);
	snap(c, r);
	tt_in_win(c, ".", 511, 1041, 0, 2);
	host_write(c, 1040, 1000);
	tt_advance(c, 1000000);
	snap(c, r);
	tt_in(c, ".", 511, 1041, 0);
	tt_advance(c, 1000000);
	snap(c, r);
	/* the peer closes */
	tt_in(c, "F.", 511, 1041, 0);
	tt_advance(c, 1000000);
	snap(c, r);
	r->hits = tq_tcptest_ctr(&f->t, TQ_CTR_TCP_HP_HITS);
	r->out_hits = tq_tcptest_ctr(&f->t, TQ_CTR_TCP_OUT_PREDICTED);
	tt_fx_end(f, TT_FX_ABORT);
}

static void
same_state(void **state)
{
	static struct tt_fx f;
	static struct run fast, slow;
	unsigned int i;

	script(&f, true, &fast);
	script(&f, false, &slow);
	assert_true(fast.hits >= 5);
	assert_int_equal(slow.hits, 0);
	assert_true(fast.out_hits >= 3);
	assert_int_equal(slow.out_hits, 0);
	assert_int_equal(fast.ns, slow.ns);
	for (i = 0; i < fast.ns; i++)
		if (memcmp(&fast.s[i], &slow.s[i], sizeof(fast.s[i])) != 0)
			fail_msg("TCB state differs after step %u", i);
	assert_int_equal(fast.no, slow.no);
	for (i = 0; i < fast.no; i++)
		if (memcmp(&fast.o[i], &slow.o[i], sizeof(fast.o[i])) != 0)
			fail_msg("segment %u the host sent differs", i);
}

/* The option layout read in place, and everything else left to the
 * full parser, which must agree on it. */
static void
ts_only_layout(void **state)
{
	static const uint8_t ts[12] = { 1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8 };
	static const uint8_t ts_first[12] = { 8, 10, 1, 2, 3, 4, 5, 6, 7, 8,
		1, 1 };
	struct tq_tcp_seg a, b;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	assert_true(tq_tcp_parse_ts_only(ts, sizeof(ts), &a));
	assert_int_equal(tq_tcp_parse_options(ts, sizeof(ts), &b, false), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_true(a.has_ts);
	assert_int_equal(a.tsval, 0x01020304);
	assert_int_equal(a.tsecr, 0x05060708);
	memset(&a, 0, sizeof(a));
	assert_false(tq_tcp_parse_ts_only(ts_first, sizeof(ts_first), &a));
	assert_false(tq_tcp_parse_ts_only(ts, 10, &a));
	assert_false(a.has_ts);
}

/*
 * Linux's SYN layout (ours too), read by compares: the same fields as
 * the loop gives for the same options (padded with EOL to 24 bytes so
 * that the loop reads them) and for the same options in another order;
 * a window scale past 14 taken as 14; a layout one byte off goes to
 * the loop and still parses.
 */
static void
syn_layout(void **state)
{
	static const uint8_t lx[20] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10,
		1, 2, 3, 4, 5, 6, 7, 8, 1, 3, 3, 7 };
	static const uint8_t other[20] = { 1, 3, 3, 7, 8, 10, 1, 2, 3, 4,
		5, 6, 7, 8, 2, 4, 0x05, 0xb4, 4, 2 };
	uint8_t pad[24] = { 0 }, big[20], off[20];
	struct tq_tcp_seg a, b, c;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	memcpy(pad, lx, sizeof(lx));
	assert_int_equal(tq_tcp_parse_options(lx, sizeof(lx), &a, true), 0);
	assert_int_equal(tq_tcp_parse_options(pad, sizeof(pad), &b, true), 0);
	assert_int_equal(tq_tcp_parse_options(other, sizeof(other), &c,
			true), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_memory_equal(&a, &c, sizeof(a));
	assert_true(a.has_mss && a.sack_ok && a.has_ts && a.has_ws);
	assert_int_equal(a.mss, 1460);
	assert_int_equal(a.tsval, 0x01020304);
	assert_int_equal(a.tsecr, 0x05060708);
	assert_int_equal(a.ws, 7);

	memcpy(big, lx, sizeof(lx));
	big[19] = 20;
	memset(&a, 0, sizeof(a));
	assert_int_equal(tq_tcp_parse_options(big, sizeof(big), &a, true), 0);
	assert_int_equal(a.ws, TQ_TCP_MAX_WINSHIFT);

	/* NOP where WS's kind was: NOP, NOP, then a truncated option. */
	memcpy(off, lx, sizeof(lx));
	off[17] = 1;
	memset(&a, 0, sizeof(a));
	assert_int_equal(tq_tcp_parse_options(off, sizeof(off), &a, true),
			-EINVAL);
	/* Not a SYN: MSS, SACK_PERM and WS are ignored, TS read. */
	memset(&a, 0, sizeof(a));
	assert_int_equal(tq_tcp_parse_options(lx, sizeof(lx), &a, false), 0);
	assert_false(a.has_mss || a.sack_ok || a.has_ws);
	assert_true(a.has_ts);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TT_TEST(same_state),
		cmocka_unit_test(ts_only_layout),
		cmocka_unit_test(syn_layout),
	};

	if (tq_test_eal_init("tcp_predict") < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
