/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP data, one host driven by a scripted peer: receiving (read and
 * read_mbuf, delayed ACK, out-of-order segments with SACK, timestamps,
 * our zero window) and sending (MSS-sized segments under the initial
 * cwnd and the peer's window, Nagle and TQ_OPT_NODELAY, the send buffer
 * and the writable callback).
 */
#include "tq_tcptest.h"

#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static const char *const addrs4[] = { "10.0.0.2/24", NULL };

#define MSS 1448 /* 1460 offered, less 12 for timestamps */

static uint32_t
write_pattern(struct tq_stream *st, uint64_t off, uint32_t n)
{
	static uint8_t buf[256 * 1024];
	int r;

	assert_true(n <= sizeof(buf));
	tq_tcptest_pattern_fill(buf, off, n);
	r = tq_stream_write(st, buf, n);
	assert_true(r >= 0);
	return (uint32_t)r;
}

/* ------------------------------------------------------------------ */
/* receiving                                                           */

static void
recv_read(void **state)
{
	static struct tt_fx f;
	uint8_t buf[2000];
	struct tq_conn_info info;

	tt_fx_begin(&f);
	tt_fx_up(&f);
	assert_int_equal(tq_stream_read(f.c.st, buf, sizeof(buf)), -EAGAIN);
	assert_false(tq_stream_eof(f.c.st));
	/* PSH on a short segment: ACKed at once. */
	tt_in(&f.c, "P.", 1, 1, 1000);
	tt_expect(&f.c, ".", 1, 1001, 0);
	assert_int_equal(f.c.n_readable, 1);
	assert_int_equal(tq_stream_readable(f.c.st), 1000);
	assert_int_equal(tq_stream_read(f.c.st, buf, 300), 300);
	assert_int_equal(tq_tcptest_pattern_check(buf, 0, 300), -1);
	assert_int_equal(tq_stream_readable(f.c.st), 700);
	tt_in(&f.c, "P.", 1001, 1, 500);
	tt_expect(&f.c, ".", 1, 1501, 0);
	assert_int_equal(tq_stream_read(f.c.st, buf, sizeof(buf)), 1200);
	assert_int_equal(tq_tcptest_pattern_check(buf, 300, 1200), -1);
	assert_int_equal(tq_stream_read(f.c.st, buf, sizeof(buf)), -EAGAIN);
	tq_stream_info(f.c.st, &info);
	assert_int_equal(info.bytes_received, 1500);
	/* A duplicate of data we have: ACKed, not delivered again. */
	tt_in(&f.c, "P.", 1001, 1, 500);
	tt_expect(&f.c, ".", 1, 1501, 0);
	assert_int_equal(tq_stream_readable(f.c.st), 0);
	/* Partly new: only the new part is delivered. */
	tt_in(&f.c, "P.", 1301, 1, 400);
	tt_expect(&f.c, ".", 1, 1701, 0);
	assert_int_equal(tq_stream_read(f.c.st, buf, sizeof(buf)), 200);
	assert_int_equal(tq_tcptest_pattern_check(buf, 1500, 200), -1);
	tt_fx_end(&f, TT_FX_ABORT);
}

static void
recv_read_mbuf(void **state)
{
	static struct tt_fx f;
	struct rte_mbuf *m;
	uint8_t buf[4 * MSS];
	const void *p;

	tt_fx_begin(&f);
	f.t.conf.quickack_max = 0; /* delayed ACKs from the start */
	tt_fx_up(&f);
	tt_in(&f.c, ".", 1, 1, MSS);
	tt_in(&f.c, ".", 1 + MSS, 1, MSS);
	tt_expect(&f.c, ".", 1, 1 + 2 * MSS, 0);
	tt_in(&f.c, "P.", 1 + 2 * MSS, 1, 100);
	tt_expect(&f.c, ".", 1, 1 + 2 * MSS + 100, 0);
	assert_int_equal(tq_stream_readable(f.c.st), 2 * MSS + 100);
	m = tq_stream_read_mbuf(f.c.st, UINT32_MAX);
	assert_non_null(m);
	assert_int_equal(rte_pktmbuf_pkt_len(m), 2 * MSS + 100);
	assert_int_equal(m->nb_segs, 3);
	p = rte_pktmbuf_read(m, 0, 2 * MSS + 100, buf);
	assert_non_null(p);
	assert_int_equal(tq_tcptest_pattern_check(p, 0, 2 * MSS + 100), -1);
	rte_pktmbuf_free(m);
	assert_null(tq_stream_read_mbuf(f.c.st, UINT32_MAX));
	assert_int_equal(tq_stream_readable(f.c.st), 0);
	/* 2 * MSS + 100 bytes freed: a window update (RFC 9293 3.8.6.2.2). */
	tt_advance(&f.c, 0);
	tt_expect(&f.c, ".", 1, 1 + 2 * MSS + 100, 0);
	/* Zero copy after a partial copy out. */
	tt_in(&f.c, "P.", 1 + 2 * MSS + 100, 1, 1000);
	tt_expect(&f.c, ".", 1, 1 + 2 * MSS + 1100, 0);
	assert_int_equal(tq_stream_read(f.c.st, buf, 10), 10);
	m = tq_stream_read_mbuf(f.c.st, UINT32_MAX);
	assert_non_null(m);
	assert_int_equal(rte_pktmbuf_pkt_len(m), 990);
	p = rte_pktmbuf_read(m, 0, 990, buf);
	assert_int_equal(tq_tcptest_pattern_check(p, 2 * MSS + 110, 990), -1);
	rte_pktmbuf_free(m);
	tt_fx_end(&f, TT_FX_ABORT);
}

/*
 * RFC 1122 4.2.3.2, RFC 5681 4.2: one full segment waits for the 40 ms
 * timer; the second full segment is ACKed at once.
 */
static void
delayed_ack(void **state)
{
	static const struct tt_step script[] = {
		{ 0, '<', ".", 1, 1, MSS, -1 },
		{ 40, '>', ".", 1, 1 + MSS, 0, -1 },
		{ 100, '<', ".", 1 + MSS, 1, MSS, -1 },
		{ 100, '<', ".", 1 + 2 * MSS, 1, MSS, -1 },
		{ 100, '>', ".", 1, 1 + 3 * MSS, 0, -1 },
		{ 200, '<', ".", 1 + 3 * MSS, 1, MSS, -1 },
		{ 230, '<', ".", 1 + 4 * MSS, 1, MSS, -1 },
		{ 230, '>', ".", 1, 1 + 5 * MSS, 0, -1 },
		{ 300, '<', ".", 1 + 5 * MSS, 1, MSS, -1 },
		{ 340, '>', ".", 1, 1 + 6 * MSS, 0, -1 },
	};
	static struct tt_fx f;

	tt_fx_begin(&f);
	f.t.conf.quickack_max = 0; /* delayed ACKs from the start */
	tt_fx_up(&f);
	TT_RUN(&f.c, script);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_DELAYED_ACKS), 2);
	assert_int_equal(tq_stream_readable(f.c.st), 6 * MSS);
	/* The delayed ACK's timer does not outlive its ACK. */
	tt_at(&f.c, TT_MS(1000));
	tt_fx_end(&f, TT_FX_ABORT);
}

/*
 * Quick-ACK mode (Linux's tcp_incr_quickack): the first 16 data segments
 * of a connection are each ACKed at once, then every second one; after
 * an idle RTO, again.  TQ_OPT_QUICKACK: every one, always.
 */
static void
quickack_mode(void **state)
{
	static struct tt_fx f;
	uint32_t i, seq = 1;

	tt_fx_begin(&f);
	tt_fx_up(&f);
	for (i = 0; i < 16; i++, seq += MSS) {
		tt_in(&f.c, ".", seq, 1, MSS);
		tt_expect(&f.c, ".", 1, seq + MSS, 0);
	}
	tt_in(&f.c, ".", seq, 1, MSS);
	tt_none(&f.c);
	tt_in(&f.c, ".", seq + MSS, 1, MSS);
	tt_expect(&f.c, ".", 1, seq + 2 * MSS, 0);
	seq += 2 * MSS;
	/* Idle for more than the RTO: quick again. */
	tt_advance(&f.c, TT_S(2));
	tt_in(&f.c, ".", seq, 1, MSS);
	tt_expect(&f.c, ".", 1, seq + MSS, 0);
	seq += MSS;
	/* The rest of the quick ACKs spent: delayed again. */
	for (i = 0; i < 15; i++, seq += MSS) {
		tt_in(&f.c, ".", seq, 1, MSS);
		tt_expect(&f.c, ".", 1, seq + MSS, 0);
	}
	tt_in(&f.c, ".", seq, 1, MSS);
	tt_none(&f.c);
	seq += MSS;
	/* The option: the owed ACK goes now, and every later one. */
	assert_int_equal(tq_stream_set_opt(f.c.st, TQ_OPT_QUICKACK, 1), 0);
	tt_advance(&f.c, 0);
	tt_expect(&f.c, ".", 1, seq, 0);
	for (i = 0; i < 3; i++, seq += MSS) {
		tt_in(&f.c, ".", seq, 1, MSS);
		tt_expect(&f.c, ".", 1, seq + MSS, 0);
	}
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_DELAYED_ACKS), 0);
	tt_fx_end(&f, TT_FX_ABORT);
}

/* A data segment from the peer, queued on the wire without a poll, so
 * several arrive in one RX burst. */
static void
queue_data(struct tq_tcptest_conn *c, uint32_t seq, uint32_t len)
{
	struct tq_tcptest_seg sg;
	uint8_t pl[2048], fr[2048];
	uint32_t n;

	memset(&sg, 0, sizeof(sg));
	sg.flags = TQ_TH_ACK;
	sg.seq = c->piss + seq;
	sg.ack = c->hiss + 1;
	sg.win = c->win;
	if (c->ts) {
		sg.has_ts = true;
		sg.tsval = (uint32_t)(c->t->h.now / 1000000) + c->ts_base;
		sg.tsecr = c->host_tsval;
		c->peer_tsval = sg.tsval;
	}
	tq_tcptest_pattern_fill(pl, seq - 1, len);
	sg.payload = pl;
	sg.len = len;
	sg.sport = c->pport;
	sg.dport = c->hport;
	n = tq_tcptest_build(fr, c->t->h.ifc.mac.addr_bytes, c->peer,
			c->host, &sg);
	tq_test_wire_send(&c->t->h, fr, n);
}

/*
 * GRO (tq_gro.c): two full segments merged into one are ACKed at once,
 * as the two would be (RFC 5681 4.2), not after the delayed-ACK timer;
 * three out-of-order ones merged get three duplicate ACKs, as unmerged.
 */
static void
gro_merged_acks(void **state)
{
	static struct tt_fx f;
	unsigned int i;

	tt_fx_begin(&f);
	f.t.conf.quickack_max = 0; /* delayed ACKs from the start */
	tt_fx_up(&f);
	f.t.h.s->io.gro = true;
	queue_data(&f.c, 1, MSS);
	queue_data(&f.c, 1 + MSS, MSS);
	tt_advance(&f.c, 0);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_RX_GRO_MERGED), 1);
	tt_expect(&f.c, ".", 1, 1 + 2 * MSS, 0);
	for (i = 3; i < 6; i++)
		queue_data(&f.c, 1 + i * MSS, MSS);
	tt_advance(&f.c, 0);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_RX_GRO_MERGED), 3);
	for (i = 0; i < 3; i++)
		tt_expect(&f.c, ".", 1, 1 + 2 * MSS, 0);
	tt_none(&f.c);
	tt_fx_end(&f, TT_FX_ABORT);
}

/* A data segment of ours carries the owed ACK: no separate ACK later. */
static void
delayed_ack_piggybacked(void **state)
{
	static struct tt_fx f;

	tt_fx_begin(&f);
	f.t.conf.quickack_max = 0; /* delayed ACKs from the start */
	tt_fx_up(&f);
	tt_in(&f.c, ".", 1, 1, MSS);
	tt_none(&f.c);
	tt_at(&f.c, TT_MS(10));
	write_pattern(f.c.st, 0, 100);
	tt_advance(&f.c, 0);
	tt_expect(&f.c, "P.", 1, 1 + MSS, 100);
	/* Past the 40 ms delayed-ACK deadline (and before a tail loss
	 * probe for the 100 bytes, due ~50 ms after they left): nothing. */
	tt_at(&f.c, TT_MS(45));
	tt_none(&f.c);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_DELAYED_ACKS), 0);
	tt_fx_end(&f, TT_FX_ABORT);
}

/*
 * RFC 5681 4.2 / RFC 2018: an out-of-order segment draws an immediate
 * duplicate ACK with a SACK block; filling the hole draws an immediate
 * cumulative ACK for everything.
 */
static void
out_of_order_sack(void **state)
{
	static struct tt_fx f;
	struct tq_tcptest_seg sg;
	uint8_t buf[4 * MSS];

	tt_fx_begin(&f);
	tt_fx_up(&f);
	tt_in(&f.c, ".", 1 + MSS, 1, MSS);
	sg = tt_expect(&f.c, ".", 1, 1, 0);
	assert_int_equal(sg.nsack, 1);
	assert_int_equal(sg.sack[0][0] - f.c.piss, 1 + MSS);
	assert_int_equal(sg.sack[0][1] - f.c.piss, 1 + 2 * MSS);
	/* Options: NOP NOP TS, NOP NOP SACK (12 + 12 bytes). */
	assert_int_equal(sg.optlen, 24);
	assert_int_equal(f.c.n_readable, 0);
	tt_in(&f.c, ".", 1 + 2 * MSS, 1, MSS);
	sg = tt_expect(&f.c, ".", 1, 1, 0);
	assert_int_equal(sg.nsack, 1);
	assert_int_equal(sg.sack[0][0] - f.c.piss, 1 + MSS);
	assert_int_equal(sg.sack[0][1] - f.c.piss, 1 + 3 * MSS);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_OFO_QUEUE), 2);
	assert_int_equal(tq_stream_readable(f.c.st), 0);
	/* The hole fills: one ACK for all three, no SACK left. */
	tt_in(&f.c, ".", 1, 1, MSS);
	sg = tt_expect(&f.c, ".", 1, 1 + 3 * MSS, 0);
	assert_int_equal(sg.nsack, 0);
	assert_int_equal(f.c.n_readable, 1);
	assert_int_equal(tq_stream_read(f.c.st, buf, sizeof(buf)), 3 * MSS);
	assert_int_equal(tq_tcptest_pattern_check(buf, 0, 3 * MSS), -1);
	tt_fx_end(&f, TT_FX_ABORT);
}

/* Two holes: two blocks, the most recently changed first (RFC 2018 4). */
static void
out_of_order_two_holes(void **state)
{
	static struct tt_fx f;
	struct tq_tcptest_seg sg;
	static uint8_t buf[8 * MSS];

	tt_fx_begin(&f);
	tt_fx_up(&f);
	tt_in(&f.c, ".", 1 + 2 * MSS, 1, MSS);	/* segment 3 */
	sg = tt_expect(&f.c, ".", 1, 1, 0);
	assert_int_equal(sg.nsack, 1);
	tt_in(&f.c, ".", 1 + 4 * MSS, 1, MSS);	/* segment 5 */
	sg = tt_expect(&f.c, ".", 1, 1, 0);
	assert_int_equal(sg.nsack, 2);
	assert_int_equal(sg.sack[0][0] - f.c.piss, 1 + 4 * MSS);
	assert_int_equal(sg.sack[0][1] - f.c.piss, 1 + 5 * MSS);
	assert_int_equal(sg.sack[1][0] - f.c.piss, 1 + 2 * MSS);
	assert_int_equal(sg.sack[1][1] - f.c.piss, 1 + 3 * MSS);
	tt_in(&f.c, ".", 1 + 3 * MSS, 1, MSS);	/* segment 4 joins them */
	sg = tt_expect(&f.c, ".", 1, 1, 0);
	assert_int_equal(sg.nsack, 1);
	assert_int_equal(sg.sack[0][0] - f.c.piss, 1 + 2 * MSS);
	assert_int_equal(sg.sack[0][1] - f.c.piss, 1 + 5 * MSS);
	tt_in(&f.c, ".", 1, 1, MSS);		/* segment 1 */
	sg = tt_expect(&f.c, ".", 1, 1 + MSS, 0);
	assert_int_equal(sg.nsack, 1);
	tt_in(&f.c, ".", 1 + MSS, 1, MSS);	/* segment 2: all in */
	sg = tt_expect(&f.c, ".", 1, 1 + 5 * MSS, 0);
	assert_int_equal(sg.nsack, 0);
	assert_int_equal(tq_stream_read(f.c.st, buf, sizeof(buf)), 5 * MSS);
	assert_int_equal(tq_tcptest_pattern_check(buf, 0, 5 * MSS), -1);
	tt_fx_end(&f, TT_FX_ABORT);
}

/*
 * RFC 7323: every segment carries TSval (a ms clock) and echoes in TSecr
 * the TSval of the peer's last in-order segment; an out-of-order segment
 * does not change what is echoed (4.3).
 */
static void
timestamps_echoed(void **state)
{
	static struct tt_fx f;
	struct tq_tcptest_seg sg;
	uint32_t tsv0, ts_inorder;

	tt_fx_begin(&f);
	tt_fx_up(&f);
	tt_in(&f.c, "P.", 1, 1, 100);
	sg = tt_expect(&f.c, ".", 1, 101, 0); /* checks TSecr */
	tsv0 = sg.tsval;
	ts_inorder = f.c.peer_tsval;
	tt_at(&f.c, TT_MS(250));
	/* Out of order, with a newer TSval: the echo stays. */
	tt_in(&f.c, "P.", 201, 1, 100);
	assert_true(tt_out(&f.c, &sg));
	assert_int_equal(sg.rack, 101);
	assert_true(sg.has_ts);
	assert_int_equal(sg.tsecr, ts_inorder);
	assert_int_equal(sg.tsval, tsv0 + 250);
	tt_at(&f.c, TT_MS(300));
	tt_in(&f.c, "P.", 101, 1, 100);
	sg = tt_expect(&f.c, ".", 1, 301, 0);
	assert_int_equal(sg.tsecr, f.c.peer_tsval);
	assert_int_equal(sg.tsval, tsv0 + 300);
	/* Our data segments carry them too. */
	write_pattern(f.c.st, 0, 10);
	tt_advance(&f.c, 0);
	sg = tt_expect(&f.c, "P.", 1, 301, 10);
	assert_int_equal(sg.tsval, tsv0 + 300);
	tt_fx_end(&f, TT_FX_ABORT);
}

/*
 * RFC 7323 5.3 PAWS: a segment whose TSval is older than TS.Recent is an
 * old duplicate: dropped, answered with an ACK, TS.Recent unchanged.
 */
static void
paws_old_timestamp(void **state)
{
	static struct tt_fx f;
	struct tq_tcptest_seg sg;
	uint32_t echo;

	tt_fx_begin(&f);
	tt_fx_up(&f);
	tt_at(&f.c, TT_MS(100));
	tt_in(&f.c, "P.", 1, 1, 100);
	tt_expect(&f.c, ".", 1, 101, 0);
	echo = f.c.peer_tsval;
	f.c.ts_base -= 50; /* the peer's clock as it was 50 ms ago */
	tt_in(&f.c, "P.", 101, 1, 100);
	assert_true(tt_out(&f.c, &sg));
	assert_int_equal(sg.flags, TQ_TH_ACK);
	assert_int_equal(sg.rack, 101);
	assert_int_equal(sg.tsecr, echo);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_PAWS_ESTAB), 1);
	assert_int_equal(tq_stream_readable(f.c.st), 100);
	f.c.ts_base += 50;
	tt_in(&f.c, "P.", 101, 1, 100);
	tt_expect(&f.c, ".", 1, 201, 0);
	assert_int_equal(tq_stream_readable(f.c.st), 200);
	tt_fx_end(&f, TT_FX_ABORT);
}

/* RFC 9293 3.10.7.4: an ACK for data not yet sent is answered with an
 * ACK and otherwise ignored; the data on it is not taken. */
static void
ack_of_unsent_data(void **state)
{
	static struct tt_fx f;

	tt_fx_begin(&f);
	tt_fx_up(&f);
	tt_in(&f.c, "P.", 1, 1000, 10);
	tt_expect(&f.c, ".", 1, 1, 0);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_BAD_ACK), 1);
	assert_int_equal(tq_stream_readable(f.c.st), 0);
	assert_int_equal(tq_stream_tcb(f.c.st)->snd_una, f.c.hiss + 1);
	tt_fx_end(&f, TT_FX_ABORT);
}

/* Our receive buffer full: the window we advertise goes to 0; data
 * beyond it is dropped; reading reopens it with a window update. */
static void
receive_window_full(void **state)
{
	static struct tt_fx f;
	struct tq_tcptest_seg sg;
	uint8_t buf[8192];
	uint32_t seq = 1, last_ack = 0, win = 0xffff;

	tt_fx_begin(&f);
	f.t.conf.rcvbuf = 8192; /* no window scaling needed */
	tt_fx_up(&f);
	assert_int_equal(tq_stream_tcb(f.c.st)->rcv_scale, 0);
	while (seq < 1 + 8192) {
		uint32_t n = RTE_MIN((uint32_t)MSS, 1 + 8192 - seq);

		tt_in(&f.c, "P.", seq, 1, n);
		seq += n;
		while (tt_out(&f.c, &sg)) {
			last_ack = sg.rack;
			win = sg.win;
		}
	}
	tt_at(&f.c, TT_MS(50)); /* a delayed ACK, if any was owed */
	while (tt_out(&f.c, &sg)) {
		last_ack = sg.rack;
		win = sg.win;
	}
	assert_int_equal(last_ack, 1 + 8192);
	assert_int_equal(win, 0);
	assert_int_equal(tq_stream_readable(f.c.st), 8192);
	/* One more byte: not accepted, answered with the same ACK. */
	tt_in(&f.c, "P.", seq, 1, 100);
	sg = tt_expect(&f.c, ".", 1, 1 + 8192, 0);
	assert_int_equal(sg.win, 0);
	assert_int_equal(tq_stream_readable(f.c.st), 8192);
	/* The app reads: the window opens and the peer is told. */
	assert_int_equal(tq_stream_read(f.c.st, buf, sizeof(buf)), 8192);
	assert_int_equal(tq_tcptest_pattern_check(buf, 0, 8192), -1);
	tt_advance(&f.c, 0);
	sg = tt_expect(&f.c, ".", 1, 1 + 8192, 0);
	assert_int_equal(sg.win, 8192);
	tt_fx_end(&f, TT_FX_ABORT);
}

/*
 * Memory pressure (Linux's tcp_mem, TCPRcvQDrop): once the worker's
 * receive queues hold conf.rcv_mbufs mbufs, new data is dropped without
 * an ACK, in order or not, and taken again when the app has read.
 */
static void
receive_memory_budget(void **state)
{
	static struct tt_fx f;
	struct tq_tcptest_seg sg;
	struct tq_tcp *t;
	uint8_t buf[8192];
	uint32_t seq;

	tt_fx_begin(&f);
	f.t.conf.rcv_mbufs = 4;
	tt_fx_up(&f);
	t = tq_tcptest_tcp(&f.t);
	for (seq = 1; seq < 4001; seq += 1000) {
		tt_in(&f.c, "P.", seq, 1, 1000);
		tt_expect(&f.c, ".", 1, seq + 1000, 0);
	}
	assert_int_equal(t->rx_held, 4);
	/* In order, past the budget: dropped, not ACKed. */
	tt_in(&f.c, "P.", 4001, 1, 1000);
	tt_none(&f.c);
	/* Out of order: the same. */
	tt_in(&f.c, "P.", 6001, 1, 1000);
	tt_none(&f.c);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_RCVQ_DROP), 2);
	assert_int_equal(tq_stream_readable(f.c.st), 4000);
	assert_null(tq_stream_tcb(f.c.st)->ooo);
	assert_int_equal(t->rx_held, 4);
	/* The app reads part: one mbuf is freed, one more fits. */
	assert_int_equal(tq_stream_read(f.c.st, buf, 1500), 1500);
	assert_int_equal(tq_tcptest_pattern_check(buf, 0, 1500), -1);
	assert_int_equal(t->rx_held, 3);
	tt_advance(&f.c, 0);
	while (tt_out(&f.c, &sg))
		;
	tt_in(&f.c, "P.", 4001, 1, 1000);
	tt_expect(&f.c, ".", 1, 5001, 0);
	assert_int_equal(t->rx_held, 4);
	tt_in(&f.c, "P.", 5001, 1, 1000);
	tt_none(&f.c);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_RCVQ_DROP), 3);
	/* All read: the budget is whole again, the rest is taken. */
	assert_int_equal(tq_stream_read(f.c.st, buf, sizeof(buf)), 3500);
	assert_int_equal(tq_tcptest_pattern_check(buf, 1500, 3500), -1);
	assert_int_equal(t->rx_held, 0);
	tt_advance(&f.c, 0);
	while (tt_out(&f.c, &sg))
		;
	tt_in(&f.c, "P.", 6001, 1, 1000);
	tt_expect(&f.c, ".", 1, 5001, 0);
	assert_int_equal(t->rx_held, 1);
	tt_in(&f.c, "P.", 5001, 1, 1000);
	tt_expect(&f.c, ".", 1, 7001, 0);
	assert_int_equal(t->rx_held, 2);
	/* Closing with data unread gives the count back. */
	tq_stream_abort(f.c.st, 0);
	f.c.st = NULL;
	tt_advance(&f.c, 0);
	tq_test_wire_drain(&f.t.h);
	assert_int_equal(t->rx_held, 0);
	tt_fx_end(&f, TT_FX_ABORT);
}

/* ------------------------------------------------------------------ */
/* sending                                                             */

/*
 * A zero-copy write of a chain with an empty segment in it (a trimmed
 * RX chain can have one): the data before it is sent and ACKed, which
 * frees the empty segment with it.  What follows must still go out as
 * written, even when the freed mbuf is taken again at once.
 */
static void
write_mbuf_empty_segment(void **state)
{
	static struct tt_fx f;
	struct rte_mbuf *a, *b, *c, *junk;
	uint8_t buf[1000];

	tt_fx_begin(&f);
	tt_fx_up(&f);
	a = rte_pktmbuf_alloc(tq_test_pool());
	b = rte_pktmbuf_alloc(tq_test_pool());
	c = rte_pktmbuf_alloc(tq_test_pool());
	assert_true(a && b && c);
	tq_tcptest_pattern_fill(buf, 0, 1000);
	memcpy(rte_pktmbuf_append(a, 1000), buf, 1000);
	tq_tcptest_pattern_fill(buf, 1000, 1000);
	memcpy(rte_pktmbuf_append(c, 1000), buf, 1000);
	a->next = b; /* b: empty */
	a->nb_segs = 2;
	a->pkt_len = 1000;
	assert_int_equal(tq_stream_write_mbuf(f.c.st, a, NULL), 1000);
	tt_advance(&f.c, 0);
	tt_expect(&f.c, "P.", 1, 1, 1000);
	tt_in(&f.c, ".", 1, 1001, 0);
	/* The freed empty segment is taken again and scribbled on. */
	junk = rte_pktmbuf_alloc(tq_test_pool());
	assert_non_null(junk);
	memset(rte_pktmbuf_append(junk, 1000), 0xee, 1000);
	assert_int_equal(tq_stream_write_mbuf(f.c.st, c, NULL), 1000);
	tt_advance(&f.c, 0);
	tt_expect(&f.c, "P.", 1001, 1, 1000); /* the pattern, checked */
	tt_in(&f.c, ".", 1, 2001, 0);
	rte_pktmbuf_free(junk);
	tt_fx_end(&f, TT_FX_ABORT);
}

/*
 * 100 KB written at once leave in MSS-sized segments, ten at first (the
 * initial window, RFC 6928), then as ACKs open cwnd; never more in flight
 * than cwnd and the peer's window allow; PSH on the last one only.
 */
static void
send_100k(void **state)
{
	static struct tt_fx f;
	struct tq_tcptest_seg sg;
	struct tq_tcb *tp;
	uint32_t total = 100 * 1024, next = 1, burst = 0, rounds = 0;

	tt_fx_begin(&f);
	tt_fx_up(&f);
	tp = tq_stream_tcb(f.c.st);
	assert_int_equal(tp->cc.cwnd, 10 * MSS);
	assert_int_equal(write_pattern(f.c.st, 0, total), total);
	tt_advance(&f.c, 0);
	while (next < 1 + total) {
		burst = 0;
		while (tt_out(&f.c, &sg)) {
			bool last = sg.rseq + sg.len == 1 + total;

			assert_int_equal(sg.rseq, next);
			assert_int_equal(sg.len, last ? total % MSS : MSS);
			assert_int_equal(sg.flags, TQ_TH_ACK |
					(last ? TQ_TH_PSH : 0));
			assert_int_equal(tq_tcptest_pattern_check(sg.payload,
					sg.rseq - 1, sg.len), -1);
			next += sg.len;
			burst++;
		}
		if (rounds == 0)
			assert_int_equal(burst, 10);
		assert_true(burst > 0);
		assert_true(tp->snd_max - tp->snd_una <=
				RTE_MIN(tp->cc.cwnd, tp->snd_wnd));
		/* The peer ACKs each pair of segments, 10 ms later. */
		tt_advance(&f.c, TT_MS(10));
		for (uint32_t a = tp->snd_una - f.c.hiss + 2 * MSS;
				SEQ_LT(a, next); a += 2 * MSS)
			tt_in(&f.c, ".", 1, a, 0);
		tt_in(&f.c, ".", 1, next, 0);
		rounds++;
	}
	tt_none(&f.c);
	assert_int_equal(f.c.acked_total, total);
	assert_int_equal(tp->snd_una, tp->snd_max);
	assert_true(rounds < 10);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_RETRANS_SEGS), 0);
	tt_fx_end(&f, TT_FX_ABORT);
}

/* The peer's window, not cwnd, limits: 5000 bytes allow three segments;
 * sender SWS avoidance holds the 656-byte remainder. */
static void
send_peer_window(void **state)
{
	static struct tt_fx f;
	struct tq_tcb *tp;

	tt_fx_begin(&f);
	assert_int_equal(tq_tcptest_start(&f.t, 2, addrs4), 0);
	tq_test_host_learn(&f.t.h, "10.0.0.1");
	tt_conn_init(&f.c, &f.t, "10.0.0.1", 8080, "10.0.0.2", 0);
	f.c.syn_win = 5000;
	f.c.win = 40; /* << 7: 5120 */
	tt_active_open(&f.c);
	tt_mark(&f.c);
	tp = tq_stream_tcb(f.c.st);
	assert_int_equal(tp->snd_wnd, 5000);
	write_pattern(f.c.st, 0, 20000);
	tt_advance(&f.c, 0);
	tt_expect(&f.c, ".", 1, 1, MSS);
	tt_expect(&f.c, ".", 1 + MSS, 1, MSS);
	tt_expect(&f.c, ".", 1 + 2 * MSS, 1, MSS);
	tt_none(&f.c);
	/* ACK all, window 5120: three more, 776 held back. */
	tt_in(&f.c, ".", 1, 1 + 3 * MSS, 0);
	assert_int_equal(tp->snd_wnd, 5120);
	tt_expect(&f.c, ".", 1 + 3 * MSS, 1, MSS);
	tt_expect(&f.c, ".", 1 + 4 * MSS, 1, MSS);
	tt_expect(&f.c, ".", 1 + 5 * MSS, 1, MSS);
	tt_none(&f.c);
	tt_fx_end(&f, TT_FX_ABORT);
}

/* RFC 896: a small segment waits while data is unacknowledged. */
static void
nagle(void **state)
{
	static const struct tt_step acks[] = {
		{ 20, '<', ".", 1, 1001, 0, -1 },
		{ 20, '>', "P.", 1001, 1, 500, -1 },
	};
	static struct tt_fx f;

	tt_fx_begin(&f);
	tt_fx_up(&f);
	write_pattern(f.c.st, 0, 1000);
	tt_advance(&f.c, 0);
	tt_expect(&f.c, "P.", 1, 1, 1000); /* nothing in flight: goes */
	write_pattern(f.c.st, 1000, 500);
	tt_advance(&f.c, 0);
	tt_none(&f.c); /* held */
	TT_RUN(&f.c, acks);
	tt_in(&f.c, ".", 1, 1501, 0);
	/* TQ_OPT_NODELAY: both go at once. */
	assert_int_equal(tq_stream_set_opt(f.c.st, TQ_OPT_NODELAY, 1), 0);
	write_pattern(f.c.st, 1500, 1000);
	write_pattern(f.c.st, 2500, 500);
	tt_advance(&f.c, 0);
	tt_expect(&f.c, "P.", 1501, 1, 1000);
	tt_expect(&f.c, "P.", 2501, 1, 500);
	tt_none(&f.c);
	/* Back on: held again. */
	tt_in(&f.c, ".", 1, 3001, 0);
	assert_int_equal(tq_stream_set_opt(f.c.st, TQ_OPT_NODELAY, 0), 0);
	write_pattern(f.c.st, 3000, 10);
	write_pattern(f.c.st, 3010, 10);
	tt_advance(&f.c, 0);
	tt_expect(&f.c, "P.", 3001, 1, 10);
	tt_none(&f.c);
	tt_fx_end(&f, TT_FX_ABORT);
}

/* nodelay in the config is the default of new connections. */
static void
nodelay_conf(void **state)
{
	static struct tt_fx f;

	tt_fx_begin(&f);
	f.t.conf.nodelay = true;
	tt_fx_up(&f);
	write_pattern(f.c.st, 0, 1000);
	write_pattern(f.c.st, 1000, 500);
	tt_advance(&f.c, 0);
	tt_expect(&f.c, "P.", 1, 1, 1000);
	tt_expect(&f.c, "P.", 1001, 1, 500);
	tt_fx_end(&f, TT_FX_ABORT);
}

/* conf.init_cwnd is the initial window in segments. */
static void
init_cwnd_conf(void **state)
{
	static struct tt_fx f;
	unsigned int n = 0;
	struct tq_tcptest_seg sg;

	tt_fx_begin(&f);
	f.t.conf.init_cwnd = 4;
	tt_fx_up(&f);
	assert_int_equal(tq_stream_tcb(f.c.st)->cc.cwnd, 4 * MSS);
	write_pattern(f.c.st, 0, 20 * MSS);
	tt_advance(&f.c, 0);
	while (tt_out(&f.c, &sg))
		n++;
	assert_int_equal(n, 4);
	tt_fx_end(&f, TT_FX_ABORT);
}

/*
 * The send buffer bounds writes; a short write arms the writable
 * callback, which comes once half the buffer is free.  acked() reports
 * the running total.
 */
static void
send_buffer_writable(void **state)
{
	static struct tt_fx f;
	struct tq_tcptest_seg sg;
	uint32_t w, next = 1;

	tt_fx_begin(&f);
	tt_fx_up(&f);
	assert_int_equal(tq_stream_set_opt(f.c.st, TQ_OPT_SNDBUF, 16384), 0);
	assert_int_equal(tq_stream_set_opt(f.c.st, TQ_OPT_SNDBUF, 100),
			-EINVAL);
	assert_int_equal(tq_stream_write_space(f.c.st), 16384);
	w = write_pattern(f.c.st, 0, 20000);
	assert_int_equal(w, 16384);
	assert_int_equal(tq_stream_write_space(f.c.st), 0);
	tt_advance(&f.c, 0);
	while (tt_out(&f.c, &sg))
		next = sg.rseq + sg.len;
	assert_int_equal(next, 1 + 10 * MSS);
	/* 4 segments acked: 10592 still queued, above half. */
	tt_in(&f.c, ".", 1, 1 + 4 * MSS, 0);
	assert_int_equal(f.c.n_writable, 0);
	assert_int_equal(f.c.acked_total, 4 * MSS);
	while (tt_out(&f.c, &sg))
		;
	/* 8 acked: 4800 queued, below half: writable. */
	tt_in(&f.c, ".", 1, 1 + 8 * MSS, 0);
	assert_int_equal(f.c.n_writable, 1);
	assert_int_equal(f.c.acked_total, 8 * MSS);
	w = write_pattern(f.c.st, 16384, 3616);
	assert_int_equal(w, 3616);
	tt_advance(&f.c, 0);
	while (tt_out(&f.c, &sg))
		;
	tt_fx_end(&f, TT_FX_ABORT);
}

/* Writes before the connection is up, and after shutdown, are refused. */
static void
write_states(void **state)
{
	static struct tt_fx f;
	struct tq_addr dst;
	struct tq_stream *st;
	int err;

	tt_fx_begin(&f);
	tt_fx_up(&f);
	dst = tq_test_addr("10.0.0.1");
	st = tq_tcp_connect(f.t.h.s, &dst, 8081, NULL, 0, NULL, NULL, &err);
	assert_non_null(st);
	assert_int_equal(tq_stream_write(st, "x", 1), -ENOTCONN);
	tq_stream_abort(st, 0);
	tt_advance(&f.c, 0);
	tq_test_wire_drain(&f.t.h);
	assert_int_equal(tq_stream_shutdown(f.c.st), 0);
	assert_int_equal(tq_stream_write(f.c.st, "x", 1), -EPIPE);
	tt_advance(&f.c, 0);
	tt_expect(&f.c, "F.", 1, 1, 0);
	tt_fx_end(&f, TT_FX_ABORT);
}

/* ------------------------------------------------------------------ */

static sigjmp_buf hang_env;

static void
on_alarm(int sig)
{
	siglongjmp(hang_env, 1);
}

/*
 * A sender that retransmits with a different segmentation (Linux
 * collapses small segments into one on retransmission): 500-byte
 * segments A [1,501) B [501,1001) C [1001,1501); A is lost, B and C
 * arrive and are held as one run; the retransmission [1,1449) covers A,
 * all of B and most of C.  Everything must be readable, once.
 *
 * Runs last: a read that never returns is caught by an alarm.
 */
static void
overlapping_retransmission_read(void **state)
{
	static struct tt_fx f;
	static uint8_t buf[4096];
	struct sigaction sa, old;
	volatile int n = -1;

	tt_fx_begin(&f);
	tt_fx_up(&f);
	tt_in(&f.c, ".", 501, 1, 500);
	tt_expect(&f.c, ".", 1, 1, 0);
	tt_in(&f.c, ".", 1001, 1, 500);
	tt_expect(&f.c, ".", 1, 1, 0);
	tt_in(&f.c, ".", 1, 1, MSS);
	tt_expect(&f.c, ".", 1, 1501, 0);
	assert_int_equal(tq_stream_readable(f.c.st), 1500);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, &old);
	if (sigsetjmp(hang_env, 1) == 0) {
		alarm(5);
		n = tq_stream_read(f.c.st, buf, sizeof(buf));
		alarm(0);
	} else {
		sigaction(SIGALRM, &old, NULL);
		fail_msg("tq_stream_read(4096) with 1500 bytes readable did "
				"not return within 5 s");
	}
	sigaction(SIGALRM, &old, NULL);
	assert_int_equal(n, 1500);
	assert_int_equal(tq_tcptest_pattern_check(buf, 0, 1500), -1);
	tt_fx_end(&f, TT_FX_ABORT);
}

/*
 * A request answered from the readable callback: the answer carries the
 * ACK the request was due (a short PSH segment is ACKed at once), so the
 * host sends one segment, not a pure ACK and then the data.
 */
static void
answer_echo(struct tq_stream *st, void *ctx)
{
	uint8_t buf[256];
	int n;

	while ((n = tq_stream_read(st, buf, sizeof(buf))) > 0)
		assert_int_equal(tq_stream_write(st, buf, (uint32_t)n), n);
}

static const struct tq_stream_ops echo_ops = { .readable = answer_echo };

static void
answer_carries_ack(void **state)
{
	static struct tt_fx f;
	uint8_t data[100];

	tt_fx_begin(&f);
	tt_fx_up(&f);
	tq_stream_set_ops(f.c.st, &echo_ops, &f.c);
	/* The first data (quick-ACK mode, and a short PSH) is due an ACK
	 * at once. */
	tq_tcptest_pattern_fill(data, 0, sizeof(data));
	tt_in_data(&f.c, "P.", 1, 1, data, sizeof(data));
	{
		struct tq_tcptest_seg sg;

		assert_true(tt_out(&f.c, &sg));
		assert_int_equal(sg.flags, TQ_TH_ACK | TQ_TH_PSH);
		assert_int_equal(sg.rack, 101);
		assert_int_equal(sg.len, sizeof(data));
	}
	tt_none(&f.c);
	tt_in(&f.c, ".", 101, 101, 0);
	tt_fx_end(&f, TT_FX_ABORT);
}

/*
 * The same on the passive side, where the first read also opens the
 * window past what the SYN-ACK could offer (65535 unscaled): the window
 * update the read owes rides on the answer too, not ahead of it.
 */
static void
answer_carries_window_update(void **state)
{
	static struct tt_fx f;
	uint8_t data[100];
	struct tq_tcptest_seg sg;

	tt_fx_begin(&f);
	tt_fx_start(&f, false, 16);
	tt_passive_open(&f.c);
	assert_non_null(f.c.st);
	tq_stream_set_ops(f.c.st, &echo_ops, &f.c);
	tq_tcptest_pattern_fill(data, 0, sizeof(data));
	tt_in_data(&f.c, "P.", 1, 1, data, sizeof(data));
	assert_true(tt_out(&f.c, &sg));
	assert_int_equal(sg.flags, TQ_TH_ACK | TQ_TH_PSH);
	assert_int_equal(sg.rack, 101);
	assert_int_equal(sg.len, sizeof(data));
	/* the window it offers is the whole buffer, scaled */
	assert_true(((uint32_t)sg.win << f.c.ws) > UINT16_MAX);
	tt_none(&f.c);
	tt_in(&f.c, ".", 101, 101, 0);
	tt_fx_end(&f, TT_FX_ABORT);
}

/*
 * A request written from connected(): it rides on the handshake's last
 * ACK, one segment, rather than a pure ACK and then the data.
 */
static void
hello_connected(struct tq_stream *st, void *ctx)
{
	uint8_t buf[10];

	tq_tcptest_pattern_fill(buf, 0, sizeof(buf));
	assert_int_equal(tq_stream_write(st, buf, sizeof(buf)), sizeof(buf));
}

static const struct tq_stream_ops hello_ops = {
	.connected = hello_connected,
};

static void
request_rides_on_handshake_ack(void **state)
{
	static struct tt_fx f;
	struct tq_addr dst = tq_test_addr("10.0.0.1");
	struct tq_tcptest_seg sg;
	int err = 1;

	tt_fx_begin(&f);
	tt_fx_start(&f, false, 0);
	f.c.st = tq_tcp_connect(f.t.h.s, &dst, f.c.pport, NULL, 0,
			&hello_ops, &f.c, &err);
	assert_non_null(f.c.st);
	tt_advance(&f.c, 0);
	assert_true(tt_out(&f.c, &sg));
	assert_int_equal(sg.flags, TQ_TH_SYN);
	tt_in(&f.c, "S.", 0, 1, 0);
	tt_expect(&f.c, "P.", 1, 1, 10);
	tt_none(&f.c);
	tt_in(&f.c, ".", 1, 11, 0);
	tt_fx_end(&f, TT_FX_ABORT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TT_TEST(recv_read),
		TT_TEST(recv_read_mbuf),
		TT_TEST(delayed_ack),
		TT_TEST(delayed_ack_piggybacked),
		TT_TEST(quickack_mode),
		TT_TEST(gro_merged_acks),
		TT_TEST(out_of_order_sack),
		TT_TEST(out_of_order_two_holes),
		TT_TEST(timestamps_echoed),
		TT_TEST(paws_old_timestamp),
		TT_TEST(ack_of_unsent_data),
		TT_TEST(receive_window_full),
		TT_TEST(receive_memory_budget),
		TT_TEST(write_mbuf_empty_segment),
		TT_TEST(send_100k),
		TT_TEST(send_peer_window),
		TT_TEST(nagle),
		TT_TEST(nodelay_conf),
		TT_TEST(init_cwnd_conf),
		TT_TEST(send_buffer_writable),
		TT_TEST(write_states),
		TT_TEST(overlapping_retransmission_read),
		TT_TEST(answer_carries_ack),
		TT_TEST(request_rides_on_handshake_ack),
		TT_TEST(answer_carries_window_update),
	};

	if (tq_test_eal_init("tcp_data") < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
