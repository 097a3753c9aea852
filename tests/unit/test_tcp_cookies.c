/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cookies, both kinds.  SYN cookies (Linux's encoding): the cookie and
 * timestamp codecs on their own, then end to end through a listener whose
 * SYN queue is full.  TCP Fast Open (RFC 7413): the server (cookie
 * request, data on the SYN with a good and a bad cookie, off) and the
 * client (asking for a cookie, data on the next SYN, the server taking
 * or not taking it).  One host driven by a scripted peer.
 */
#include "tq_tcptest.h"

#include <errno.h>
#include <string.h>

static const char *const addrs4[] = { "10.0.0.2/24", NULL };

/* The conn the next accepted connection belongs to. */
static struct tq_tcptest_conn *acc_to;

static void
accept_to(struct tq_shard *s, struct tq_listener *l, void *arg)
{
	RTE_SET_USED(arg);
	tq_tcptest_accept_cb(s, l, acc_to);
}

/* After tt_fx_begin() and conf changes: listening on port 80 with backlog
 * (0: none, the peer is 10.0.0.1:8080 and the host connects). */
static void
start(struct tt_fx *f, uint32_t backlog)
{
	if (backlog)
		assert_int_equal(tq_tcptest_listen(&f->t, NULL, 80, backlog,
				accept_to, NULL), 0);
	assert_int_equal(tq_tcptest_start(&f->t, 2, addrs4), 0);
	tq_test_host_learn(&f->t.h, "10.0.0.1");
	tt_conn_init(&f->c, &f->t, "10.0.0.1", backlog ? 40000 : 8080,
			"10.0.0.2", backlog ? 80 : 0);
	acc_to = &f->c;
}

static void
abort_conn(struct tq_tcptest_conn *c, uint32_t seq, uint32_t ack)
{
	assert_non_null(c->st);
	tq_stream_abort(c->st, 0);
	tt_advance(c, 0);
	tt_expect(c, "R.", seq, ack, 0);
	assert_int_equal(c->why, TQ_CLOSE_ABORTED);
}

static void
mkkey(struct tq_tcp_key *k, const char *laddr, uint16_t lport,
		const char *faddr, uint16_t fport)
{
	struct tq_addr l = tq_test_addr(laddr), f = tq_test_addr(faddr);

	memset(k, 0, sizeof(*k));
	k->family = l.family;
	if (l.family == AF_INET) {
		memcpy(k->laddr, &l.v4, 4);
		memcpy(k->faddr, &f.v4, 4);
	} else {
		memcpy(k->laddr, l.v6, 16);
		memcpy(k->faddr, f.v6, 16);
	}
	k->lport = rte_cpu_to_be_16(lport);
	k->fport = rte_cpu_to_be_16(fport);
}

/* ------------------------------------------------------------------ */
/* SYN cookie codecs                                                   */

static const uint8_t secret[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
	13, 14, 15, 16 };

struct mss_case {
	uint16_t in, out;
};

/*
 * A cookie made for a 4-tuple, the peer's ISN and MSS checks for the same
 * within two minutes and gives back the MSS rounded down to the table;
 * not later, not earlier, not with any bit flipped, not for another
 * ISN or 4-tuple.
 */
static void
cookie_roundtrip(const struct tq_tcp_key *k, const struct mss_case *mc,
		unsigned int n, const uint16_t *tab)
{
	/* 10 min 30 s: the minute counter is 10. */
	const uint64_t now = TT_S(630);
	uint32_t sseq = 0x89abcdef;
	unsigned int i, bit;

	for (i = 0; i < n; i++) {
		uint16_t mss = 0, got = 0;
		uint32_t c = tq_tcp_cookie_make(secret, k, sseq, mc[i].in, now,
				&mss);

		if (mss != mc[i].out)
			fail_msg("MSS %u made a cookie for %u, expected %u",
					mc[i].in, mss, mc[i].out);
		assert_int_equal(tq_tcp_cookie_check(secret, k, c, sseq, now,
				&got), 0);
		assert_int_equal(got, mc[i].out);
		/* Same minute, the next one: still good. */
		got = 0;
		assert_int_equal(tq_tcp_cookie_check(secret, k, c, sseq,
				now + TT_S(29), &got), 0);
		assert_int_equal(got, mc[i].out);
		got = 0;
		assert_int_equal(tq_tcp_cookie_check(secret, k, c, sseq,
				now + TT_S(89), &got), 0);
		assert_int_equal(got, mc[i].out);
		/* Two minutes on: expired.  From the future: no. */
		assert_int_equal(tq_tcp_cookie_check(secret, k, c, sseq,
				now + TT_S(90), &got), -1);
		assert_int_equal(tq_tcp_cookie_check(secret, k, c, sseq,
				now + TT_S(150), &got), -1);
		assert_int_equal(tq_tcp_cookie_check(secret, k, c, sseq,
				now - TT_S(60), &got), -1);
		/* Linux's encoding adds the MSS index to a keyed hash in
		 * the low 24 bits, so bits 0 and 1 may turn a cookie into
		 * the one for another MSS (never the same); any other bit
		 * flipped makes it invalid. */
		for (bit = 0; bit < 32; bit++) {
			int rc;

			got = 0;
			rc = tq_tcp_cookie_check(secret, k, c ^ (1u << bit),
					sseq, now, &got);
			if (rc == 0 && (bit >= 2 || got == mc[i].out))
				fail_msg("cookie with bit %u flipped passes "
						"(MSS %u)", bit, got);
		}
		/* Another ISN of the peer (off by one: at most another
		 * MSS, as above). */
		assert_int_equal(tq_tcp_cookie_check(secret, k, c,
				sseq + 0x10000, now, &got), -1);
		assert_int_equal(tq_tcp_cookie_check(secret, k, c,
				sseq - 4, now, &got), -1);
		got = 0;
		if (tq_tcp_cookie_check(secret, k, c, sseq + 1, now, &got) ==
				0 && got == mc[i].out)
			fail_msg("cookie passes for ISN + 1 with its MSS");
		{
			struct tq_tcp_key o = *k;

			o.fport = (uint16_t)(o.fport ^ 0x100);
			assert_int_equal(tq_tcp_cookie_check(secret, &o, c,
					sseq, now, &got), -1);
			o = *k;
			o.lport = (uint16_t)(o.lport ^ 0x100);
			assert_int_equal(tq_tcp_cookie_check(secret, &o, c,
					sseq, now, &got), -1);
			o = *k;
			o.faddr[3] ^= 1;
			assert_int_equal(tq_tcp_cookie_check(secret, &o, c,
					sseq, now, &got), -1);
		}
		/* Another secret. */
		{
			uint8_t s2[16];

			memcpy(s2, secret, 16);
			s2[0] ^= 0x80;
			assert_int_equal(tq_tcp_cookie_check(s2, k, c, sseq,
					now, &got), -1);
		}
		sseq += 0x01010101;
	}
	/* Every index of the table comes back as itself. */
	for (i = 0; i < 4; i++) {
		uint16_t mss, got;
		uint32_t c = tq_tcp_cookie_make(secret, k, 7, tab[i], now,
				&mss);

		assert_int_equal(mss, tab[i]);
		assert_int_equal(tq_tcp_cookie_check(secret, k, c, 7, now,
				&got), 0);
		assert_int_equal(got, tab[i]);
	}
}

static void
syncookie_v4(void **state)
{
	static const struct mss_case mc[] = {
		{ 9000, 1460 }, { 1460, 1460 }, { 1459, 1440 },
		{ 1440, 1440 }, { 1439, 1300 }, { 1300, 1300 },
		{ 1299, 536 }, { 536, 536 }, { 200, 536 },
	};
	static const uint16_t tab[] = { 536, 1300, 1440, 1460 };
	unsigned int avail = tq_test_pool_avail();
	struct tq_tcp_key k;

	mkkey(&k, "10.0.0.2", 80, "10.0.0.1", 40000);
	cookie_roundtrip(&k, mc, RTE_DIM(mc), tab);
	tq_tcptest_check_pool(avail);
}

static void
syncookie_v6(void **state)
{
	static const struct mss_case mc[] = {
		{ 9000, 8940 }, { 8940, 8940 }, { 8939, 1440 },
		{ 1460, 1440 }, { 1440, 1440 }, { 1439, 1420 },
		{ 1420, 1420 }, { 1419, 1220 }, { 1220, 1220 },
		{ 1000, 1220 },
	};
	static const uint16_t tab[] = { 1220, 1420, 1440, 8940 };
	unsigned int avail = tq_test_pool_avail();
	struct tq_tcp_key k, k4;
	uint16_t mss, got;
	uint32_t c;

	mkkey(&k, "2001:db8::2", 443, "2001:db8::1", 50000);
	cookie_roundtrip(&k, mc, RTE_DIM(mc), tab);
	/* A v4 cookie is no v6 one for the "same" addresses' bytes. */
	mkkey(&k4, "10.0.0.2", 443, "10.0.0.1", 50000);
	c = tq_tcp_cookie_make(secret, &k4, 1, 1460, TT_S(60), &mss);
	k = k4;
	k.family = AF_INET6;
	assert_int_equal(tq_tcp_cookie_check(secret, &k, c, 1, TT_S(60),
			&got), -1);
	tq_tcptest_check_pool(avail);
}

/*
 * With timestamps, our TSval on the cookie SYN-ACK carries the peer's
 * window scale (0xf: none) and SACK-permitted (0x10) in its low 6 bits,
 * is never ahead of the clock (and less than 64 behind), and decodes to
 * what went in.
 */
static void
syncookie_ts(void **state)
{
	static const uint32_t clocks[] = { 0, 1, 5, 0x3f, 0x40, 0x41, 0x1000,
		0x1003f, 0x12345678, 0x7fffffc0, 0x80000000, 0xfffffff0,
		0xffffffff };
	unsigned int avail = tq_test_pool_avail();
	unsigned int i, ws, sack, sh;

	for (i = 0; i < RTE_DIM(clocks); i++)
	for (ws = 0; ws < 2; ws++)
	for (sack = 0; sack < 2; sack++)
	for (sh = 0; sh <= (ws ? 14u : 0u); sh++) {
		uint32_t now = clocks[i];
		uint32_t ts = tq_tcp_cookie_ts(now, (uint8_t)sh, ws, sack);
		uint32_t want = (ws ? sh : 0xfu) | (sack ? 0x10u : 0);
		bool dws = !ws, dsack = !sack;
		uint8_t dsh = 0xff;

		if ((ts & 0x3f) != want)
			fail_msg("ts %#x for now %#x ws %u/%u sack %u: low "
					"bits %#x, expected %#x", ts, now, ws,
					sh, sack, ts & 0x3f, want);
		if (SEQ_GT(ts, now) || now - ts >= 64)
			fail_msg("ts %#x for now %#x: not within 64 before",
					ts, now);
		tq_tcp_cookie_ts_decode(ts, &dws, &dsh, &dsack);
		assert_int_equal(dws, (bool)ws);
		assert_int_equal(dsack, (bool)sack);
		if (ws)
			assert_int_equal(dsh, sh);
	}
	tq_tcptest_check_pool(avail);
}

/* ------------------------------------------------------------------ */
/* SYN cookies end to end                                              */

/*
 * Backlog 1: one half-open connection fills the SYN queue; the next SYN
 * gets a SYN-ACK whose ISN is a cookie (SyncookiesSent) and no TCB.  The
 * third ACK, echoing our TSval, makes an ESTABLISHED connection on the
 * accept queue with the peer's MSS, window scale and SACK
 * (SyncookiesRecv); data flows both ways, scaled.  A third ACK with a
 * wrong number is reset (SyncookiesFailed).
 */
static void
syncookie_listener(void **state)
{
	static struct tt_fx f;
	static struct tq_tcptest_conn b, x;
	struct tq_tcptest_seg sg;
	struct tq_tcp_key k;
	struct tq_tcb *tp;
	uint16_t mss = 0;
	uint8_t buf[256];

	tt_fx_begin(&f);
	start(&f, 1);
	tt_in(&f.c, "S", 0, 0, 0);
	assert_true(tt_out(&f.c, &sg));
	assert_int_equal(sg.flags, TQ_TH_SYN | TQ_TH_ACK);
	assert_int_equal(tq_tcptest_nconns(&f.t), 1);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_SYNCOOKIES_SENT), 0);

	tt_conn_init(&b, &f.t, "10.0.0.1", 40001, "10.0.0.2", 80);
	b.ws = 5;
	b.piss = 7000000;
	acc_to = &b;
	tt_in(&b, "S", 0, 0, 0);
	assert_true(tt_out(&b, &sg));
	assert_int_equal(sg.flags, TQ_TH_SYN | TQ_TH_ACK);
	assert_int_equal(sg.rack, 1);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_SYNCOOKIES_SENT), 1);
	assert_int_equal(tq_tcptest_nconns(&f.t), 1);
	assert_null(tt_tcb(&b));
	mkkey(&k, "10.0.0.2", 80, "10.0.0.1", 40001);
	assert_int_equal(tq_tcp_cookie_check(f.t.secret, &k, sg.seq, b.piss,
			f.t.h.now, &mss), 0);
	assert_int_equal(mss, 1460);
	/* What the cookie cannot hold rides in the TSval. */
	assert_true(sg.has_ts && sg.sack_perm && sg.has_ws);
	assert_int_equal(sg.tsecr, b.peer_tsval);
	assert_int_equal(sg.tsval & 0x3f, 5 | 0x10);
	assert_int_equal(sg.ws, 3);
	tt_none(&b);

	/* A third ACK with the wrong number: RST, nothing made. */
	tt_in(&b, ".", 1, 2, 0);
	assert_true(tt_out(&b, &sg));
	assert_int_equal(sg.flags, TQ_TH_RST);
	assert_int_equal(sg.rseq, 2);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_SYNCOOKIES_FAILED), 1);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_SYNCOOKIES_RECV), 0);
	assert_int_equal(tq_tcptest_nconns(&f.t), 1);
	assert_int_equal(b.n_accept, 0);

	tt_in(&b, ".", 1, 1, 0);
	tt_none(&b);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_SYNCOOKIES_RECV), 1);
	assert_int_equal(b.n_accept, 1);
	assert_non_null(b.st);
	tp = tq_stream_tcb(b.st);
	assert_int_equal(tp->state, TQ_TCPS_ESTABLISHED);
	assert_int_equal(tp->mss, 1460 - 12);
	assert_int_equal(tp->flags & (TF_TS_OK | TF_SACK_OK | TF_WS_OK),
			TF_TS_OK | TF_SACK_OK | TF_WS_OK);
	assert_int_equal(tp->snd_scale, 5);
	assert_int_equal(tp->rcv_scale, 3);
	assert_int_equal(tp->snd_wnd, 1024u << 5);
	assert_int_equal(tq_tcptest_nconns(&f.t), 2);

	tt_in(&b, "P.", 1, 1, 100);
	sg = tt_expect(&b, ".", 1, 101, 0);
	assert_int_equal(sg.win, (256u * 1024 - 100) >> 3);
	assert_int_equal(tq_stream_read(b.st, buf, sizeof(buf)), 100);
	assert_int_equal(tq_tcptest_pattern_check(buf, 0, 100), -1);
	tq_tcptest_pattern_fill(buf, 0, 50);
	assert_int_equal(tq_stream_write(b.st, buf, 50), 50);
	tt_advance(&b, 0);
	tt_expect(&b, "P.", 1, 101, 50);
	tt_in(&b, ".", 101, 51, 0);
	tt_none(&b);

	/* An ACK from a peer that never sent a SYN. */
	tt_conn_init(&x, &f.t, "10.0.0.1", 40002, "10.0.0.2", 80);
	x.hiss = 0x12345678;
	x.hiss_known = true;
	tt_in(&x, ".", 1, 1, 0);
	assert_true(tt_out(&x, &sg));
	assert_int_equal(sg.flags, TQ_TH_RST);
	assert_int_equal(sg.seq, 0x12345679);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_SYNCOOKIES_FAILED), 2);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_SYNCOOKIES_RECV), 1);
	assert_int_equal(tq_tcptest_nconns(&f.t), 2);
	abort_conn(&b, 51, 101);

	/* The half-open one goes by its RST. */
	tt_in(&f.c, "R", 1, 0, 0);
	tt_none(&f.c);
	tt_fx_end(&f, 0);
}

/*
 * Without timestamps the cookie has nowhere to keep the window scale and
 * SACK: the SYN-ACK offers neither, and the connection has neither; the
 * MSS is the table's (1400 rounds down to 1300).
 */
static void
syncookie_no_timestamps(void **state)
{
	static struct tt_fx f;
	static struct tq_tcptest_conn b;
	struct tq_tcptest_seg sg;
	struct tq_tcb *tp;

	tt_fx_begin(&f);
	start(&f, 1);
	tt_in(&f.c, "S", 0, 0, 0);
	assert_true(tt_out(&f.c, &sg));

	tt_conn_init(&b, &f.t, "10.0.0.1", 40001, "10.0.0.2", 80);
	b.ts = false;
	b.mss = 1400;
	acc_to = &b;
	tt_in(&b, "S", 0, 0, 0);
	assert_true(tt_out(&b, &sg));
	assert_int_equal(sg.flags, TQ_TH_SYN | TQ_TH_ACK);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_SYNCOOKIES_SENT), 1);
	assert_int_equal(sg.nkinds, 1);
	assert_true(sg.has_mss);
	assert_false(sg.has_ws || sg.sack_perm || sg.has_ts);
	/* Our own MSS, not the peer's from the cookie table. */
	assert_int_equal(sg.mss, 1460);
	tt_in(&b, ".", 1, 1, 0);
	assert_int_equal(b.n_accept, 1);
	tp = tq_stream_tcb(b.st);
	assert_int_equal(tp->state, TQ_TCPS_ESTABLISHED);
	assert_int_equal(tp->flags & (TF_TS_OK | TF_SACK_OK | TF_WS_OK), 0);
	assert_int_equal(tp->snd_scale, 0);
	assert_int_equal(tp->rcv_scale, 0);
	assert_int_equal(tp->mss, 1300);
	assert_int_equal(tp->snd_wnd, 1024);
	tt_in(&b, "P.", 1, 1, 100);
	sg = tt_expect(&b, ".", 1, 101, 0);
	assert_int_equal(sg.win, 65535); /* unscaled, and capped */
	assert_int_equal(sg.nkinds, 0);
	assert_int_equal(tq_stream_readable(b.st), 100);
	abort_conn(&b, 1, 101);
	tt_in(&f.c, "R", 1, 0, 0);
	tt_fx_end(&f, 0);
}

/* ------------------------------------------------------------------ */
/* TCP Fast Open                                                       */

/*
 * A SYN or SYN-ACK from the fake peer with its usual options and a fast
 * open option: tfo false none, else a cookie of clen bytes (0: a
 * request).  Data: len bytes of the pattern from offset 0.
 */
static void
tfo_in(struct tq_tcptest_conn *c, const char *flags, uint32_t ack,
		bool tfo, const uint8_t *cookie, uint8_t clen, uint32_t len)
{
	struct tq_tcptest_seg sg;
	uint8_t o[40], pl[1500];
	unsigned int n = 0, pad;
	uint32_t tsval = (uint32_t)(c->t->h.now / 1000000) + c->ts_base;

	memset(&sg, 0, sizeof(sg));
	sg.flags = tq_tcptest_flags(flags);
	assert_true(sg.flags & TQ_TH_SYN);
	sg.seq = c->piss;
	sg.ack = (sg.flags & TQ_TH_ACK) ? c->hiss + ack : 0;
	sg.win = c->syn_win;
	o[n++] = 2;
	o[n++] = 4;
	o[n++] = (uint8_t)(c->mss >> 8);
	o[n++] = (uint8_t)c->mss;
	o[n++] = 4;
	o[n++] = 2;
	o[n++] = 8;
	o[n++] = 10;
	o[n++] = (uint8_t)(tsval >> 24);
	o[n++] = (uint8_t)(tsval >> 16);
	o[n++] = (uint8_t)(tsval >> 8);
	o[n++] = (uint8_t)tsval;
	{
		uint32_t ecr = (sg.flags & TQ_TH_ACK) ? c->host_tsval : 0;

		o[n++] = (uint8_t)(ecr >> 24);
		o[n++] = (uint8_t)(ecr >> 16);
		o[n++] = (uint8_t)(ecr >> 8);
		o[n++] = (uint8_t)ecr;
	}
	o[n++] = 1;
	o[n++] = 3;
	o[n++] = 3;
	o[n++] = c->ws;
	if (tfo) {
		pad = (4 - (2 + clen) % 4) % 4;
		while (pad--)
			o[n++] = 1;
		o[n++] = 34;
		o[n++] = (uint8_t)(2 + clen);
		if (clen)
			memcpy(&o[n], cookie, clen);
		n += clen;
	}
	assert_true(n <= sizeof(o) && n % 4 == 0);
	sg.raw_opts = o;
	sg.raw_optlen = (uint8_t)n;
	c->peer_tsval = tsval;
	assert_true(len <= sizeof(pl));
	tq_tcptest_pattern_fill(pl, 0, len);
	sg.payload = pl;
	sg.len = len;
	tt_in_seg(c, &sg);
}

/* The fast open option of a segment the host sent: -1 when there is
 * none, else the cookie length (cookie copied out). */
static int
tfo_of(const struct tq_tcptest_seg *sg, uint8_t cookie[16])
{
	const uint8_t *o = sg->payload - sg->optlen;
	unsigned int i = 0;

	while (i < sg->optlen) {
		if (o[i] == 0)
			break;
		if (o[i] == 1) {
			i++;
			continue;
		}
		if (o[i] == 34) {
			int clen = o[i + 1] - 2;

			assert_true(clen >= 0 && clen <= 16);
			if (clen)
				memcpy(cookie, &o[i + 2], (size_t)clen);
			return clen;
		}
		i += o[i + 1];
	}
	return -1;
}

/*
 * Server (conf.fastopen = 2): an empty option asks for a cookie and gets
 * 8 bytes on the SYN-ACK (TCPFastOpenCookieReqd).  That cookie with data
 * on the SYN: the SYN-ACK acknowledges the data, the connection is on the
 * accept queue at once, the app reads the data before the handshake ends,
 * and what it writes goes after the third ACK (TCPFastOpenPassive).  A
 * wrong cookie: the data is not acknowledged and a fresh cookie comes
 * back (TCPFastOpenPassiveFail); the client sends the data again later.
 */
static void
tfo_server(void **state)
{
	static struct tt_fx f;
	static struct tq_tcptest_conn c2, c3;
	uint8_t cookie[16], got[16], want[TQ_TFO_COOKIE_LEN], buf[512];
	struct tq_tcptest_seg sg;
	struct tq_tcp_key k;

	tt_fx_begin(&f);
	f.t.conf.fastopen = 2;
	start(&f, 16);
	/* The cookie request. */
	tfo_in(&f.c, "S", 0, true, NULL, 0, 0);
	assert_true(tt_out(&f.c, &sg));
	assert_int_equal(sg.flags, TQ_TH_SYN | TQ_TH_ACK);
	assert_int_equal(sg.rack, 1);
	assert_int_equal(tfo_of(&sg, cookie), TQ_TFO_COOKIE_LEN);
	mkkey(&k, "10.0.0.2", 80, "10.0.0.1", 40000);
	tq_tfo_server_cookie(f.t.secret, &k, want);
	assert_memory_equal(cookie, want, TQ_TFO_COOKIE_LEN);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_FASTOPEN_COOKIE_REQD),
			1);
	assert_int_equal(f.c.n_accept, 0);
	tt_in(&f.c, ".", 1, 1, 0);
	assert_int_equal(f.c.n_accept, 1);
	abort_conn(&f.c, 1, 1);

	/* Data on the SYN with the cookie, from another port. */
	tt_conn_init(&c2, &f.t, "10.0.0.1", 40001, "10.0.0.2", 80);
	c2.piss = 2000000;
	acc_to = &c2;
	tfo_in(&c2, "S", 0, true, cookie, TQ_TFO_COOKIE_LEN, 200);
	assert_int_equal(c2.n_accept, 1);
	assert_non_null(c2.st);
	assert_int_equal(tq_stream_tcb(c2.st)->state, TQ_TCPS_SYN_RECEIVED);
	assert_true(tt_out(&c2, &sg));
	assert_int_equal(sg.flags, TQ_TH_SYN | TQ_TH_ACK);
	assert_int_equal(sg.rack, 201);
	assert_int_equal(sg.len, 0);
	assert_int_equal(tfo_of(&sg, got), -1);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_FASTOPEN_PASSIVE), 1);
	tt_none(&c2);
	assert_int_equal(tq_stream_read(c2.st, buf, sizeof(buf)), 200);
	assert_int_equal(tq_tcptest_pattern_check(buf, 0, 200), -1);
	tq_tcptest_pattern_fill(buf, 0, 50);
	assert_int_equal(tq_stream_write(c2.st, buf, 50), 50);
	tt_advance(&c2, 0);
	tt_none(&c2); /* the reply waits for the handshake */
	tt_in(&c2, ".", 201, 1, 0);
	tt_expect(&c2, "P.", 1, 201, 50);
	assert_int_equal(tq_stream_tcb(c2.st)->state, TQ_TCPS_ESTABLISHED);
	assert_int_equal(c2.n_accept, 1);
	tt_in(&c2, ".", 201, 51, 0);
	tt_none(&c2);
	abort_conn(&c2, 51, 201);

	/* A wrong cookie. */
	tt_conn_init(&c3, &f.t, "10.0.0.1", 40002, "10.0.0.2", 80);
	c3.piss = 3000000;
	acc_to = &c3;
	memcpy(got, cookie, TQ_TFO_COOKIE_LEN);
	got[0] ^= 1;
	tfo_in(&c3, "S", 0, true, got, TQ_TFO_COOKIE_LEN, 200);
	assert_true(tt_out(&c3, &sg));
	assert_int_equal(sg.flags, TQ_TH_SYN | TQ_TH_ACK);
	assert_int_equal(sg.rack, 1);
	assert_int_equal(tfo_of(&sg, got), TQ_TFO_COOKIE_LEN);
	assert_memory_equal(got, want, TQ_TFO_COOKIE_LEN);
	assert_int_equal(tq_tcptest_ctr(&f.t,
			TQ_CTR_TCP_FASTOPEN_PASSIVE_FAIL), 1);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_FASTOPEN_PASSIVE), 1);
	assert_int_equal(c3.n_accept, 0);
	tt_in(&c3, ".", 1, 1, 0);
	assert_int_equal(c3.n_accept, 1);
	assert_int_equal(tq_stream_readable(c3.st), 0);
	tt_in(&c3, "P.", 1, 1, 200);
	tt_expect(&c3, ".", 1, 201, 0);
	assert_int_equal(tq_stream_readable(c3.st), 200);
	abort_conn(&c3, 1, 201);
	tt_fx_end(&f, 0);
}

/* Fast open off (0), or client only (1): a server ignores the option:
 * no cookie, data on the SYN not acknowledged, no early accept. */
static void
tfo_server_off(void **state)
{
	static struct tt_fx f;
	static struct tq_tcptest_conn c2;
	uint8_t cookie[TQ_TFO_COOKIE_LEN], got[16];
	struct tq_tcptest_seg sg;
	struct tq_tcp_key k;
	unsigned int mode;

	for (mode = 0; mode < 2; mode++) {
		tt_fx_begin(&f);
		f.t.conf.fastopen = (uint8_t)mode;
		start(&f, 16);
		tfo_in(&f.c, "S", 0, true, NULL, 0, 0);
		assert_true(tt_out(&f.c, &sg));
		assert_int_equal(sg.flags, TQ_TH_SYN | TQ_TH_ACK);
		assert_int_equal(tfo_of(&sg, got), -1);
		tt_in(&f.c, ".", 1, 1, 0);
		abort_conn(&f.c, 1, 1);
		tt_conn_init(&c2, &f.t, "10.0.0.1", 40001, "10.0.0.2", 80);
		acc_to = &c2;
		mkkey(&k, "10.0.0.2", 80, "10.0.0.1", 40001);
		tq_tfo_server_cookie(f.t.secret, &k, cookie);
		tfo_in(&c2, "S", 0, true, cookie, TQ_TFO_COOKIE_LEN, 200);
		assert_true(tt_out(&c2, &sg));
		assert_int_equal(sg.rack, 1);
		assert_int_equal(tfo_of(&sg, got), -1);
		assert_int_equal(c2.n_accept, 0);
		tt_in(&c2, ".", 1, 1, 0);
		assert_int_equal(c2.n_accept, 1);
		assert_int_equal(tq_stream_readable(c2.st), 0);
		abort_conn(&c2, 1, 1);
		assert_int_equal(tq_tcptest_ctr(&f.t,
				TQ_CTR_TCP_FASTOPEN_COOKIE_REQD), 0);
		assert_int_equal(tq_tcptest_ctr(&f.t,
				TQ_CTR_TCP_FASTOPEN_PASSIVE), 0);
		assert_int_equal(tq_tcptest_ctr(&f.t,
				TQ_CTR_TCP_FASTOPEN_PASSIVE_FAIL), 0);
		tt_fx_end(&f, 0);
	}
}

/* tq_tcp_connect_data with n pattern bytes, from an ephemeral port. */
static void
connect_data(struct tq_tcptest_conn *c, uint32_t n)
{
	struct tq_addr dst = tq_test_addr(c->peer);
	uint8_t buf[2048];
	int err = 1;

	assert_true(n <= sizeof(buf));
	tq_tcptest_pattern_fill(buf, 0, n);
	c->st = tq_tcp_connect_data(c->t->h.s, &dst, c->pport, NULL, 0,
			&tq_tcptest_ops, c, buf, n, &err);
	assert_non_null(c->st);
	assert_int_equal(err, 0);
	tt_advance(c, 0);
}

/*
 * The client's first connection learns a cookie: the SYN asks with an
 * empty option and carries no data; the data follows the handshake.
 */
static void
tfo_learn_cookie(struct tt_fx *f, uint8_t cookie[TQ_TFO_COOKIE_LEN])
{
	struct tq_tcptest_seg sg;
	uint8_t got[16];
	unsigned int i;

	for (i = 0; i < TQ_TFO_COOKIE_LEN; i++)
		cookie[i] = (uint8_t)(0xc0 + i);
	connect_data(&f->c, 300);
	assert_true(tt_out(&f->c, &sg));
	assert_int_equal(sg.flags, TQ_TH_SYN);
	assert_int_equal(sg.len, 0);
	assert_int_equal(tfo_of(&sg, got), 0);
	tfo_in(&f->c, "S.", 1, true, cookie, TQ_TFO_COOKIE_LEN, 0);
	tt_expect(&f->c, "P.", 1, 1, 300);
	tt_none(&f->c);
	assert_int_equal(f->c.n_connected, 1);
	tt_in(&f->c, ".", 1, 301, 0);
	abort_conn(&f->c, 301, 1);
	assert_int_equal(tq_tcptest_ctr(&f->t, TQ_CTR_TCP_FASTOPEN_ACTIVE), 0);
	assert_int_equal(tq_tcptest_ctr(&f->t,
			TQ_CTR_TCP_FASTOPEN_ACTIVE_FAIL), 0);
}

/* The next SYN to that server carries the cookie and the data. */
static void
tfo_syn_with_data(struct tq_tcptest_conn *c, const uint8_t *cookie)
{
	struct tq_tcptest_seg sg;
	uint8_t got[16];

	connect_data(c, 300);
	assert_true(tt_out(c, &sg));
	assert_int_equal(sg.flags, TQ_TH_SYN);
	assert_int_equal(sg.len, 300);
	assert_int_equal(tq_tcptest_pattern_check(sg.payload, 0, 300), -1);
	assert_int_equal(tfo_of(&sg, got), TQ_TFO_COOKIE_LEN);
	assert_memory_equal(got, cookie, TQ_TFO_COOKIE_LEN);
	tt_none(c);
}

/*
 * Client (conf.fastopen = 1): a cookie learned on the first connection
 * puts the data on the second SYN.  A SYN-ACK that acknowledges it:
 * TCPFastOpenActive, only the ACK follows.  One that acknowledges the
 * SYN alone (the server dropped the data): the data goes again right
 * after (TCPFastOpenActiveFail).
 */
static void
tfo_client(void **state)
{
	static struct tt_fx f;
	static struct tq_tcptest_conn c2, c3;
	uint8_t cookie[TQ_TFO_COOKIE_LEN];
	struct tq_conn_info info;

	tt_fx_begin(&f);
	f.t.conf.fastopen = 1;
	start(&f, 0);
	tfo_learn_cookie(&f, cookie);

	tt_conn_init(&c2, &f.t, "10.0.0.1", 8080, "10.0.0.2", 0);
	tfo_syn_with_data(&c2, cookie);
	tt_in(&c2, "S.", 0, 301, 0);
	tt_expect(&c2, ".", 301, 1, 0);
	tt_none(&c2);
	assert_int_equal(c2.n_connected, 1);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_FASTOPEN_ACTIVE), 1);
	assert_int_equal(tq_tcptest_ctr(&f.t,
			TQ_CTR_TCP_FASTOPEN_ACTIVE_FAIL), 0);
	tq_stream_info(c2.st, &info);
	assert_int_equal(info.bytes_acked, 300);
	assert_int_equal(info.unacked, 0);
	tt_at(&c2, TT_S(5)); /* nothing is resent */
	abort_conn(&c2, 301, 1);

	tt_conn_init(&c3, &f.t, "10.0.0.1", 8080, "10.0.0.2", 0);
	tfo_syn_with_data(&c3, cookie);
	tt_in(&c3, "S.", 0, 1, 0);
	tt_expect(&c3, "P.", 1, 1, 300);
	tt_none(&c3);
	assert_int_equal(c3.n_connected, 1);
	assert_int_equal(tq_tcptest_ctr(&f.t,
			TQ_CTR_TCP_FASTOPEN_ACTIVE_FAIL), 1);
	assert_int_equal(tq_tcptest_ctr(&f.t, TQ_CTR_TCP_FASTOPEN_ACTIVE), 1);
	tt_in(&c3, ".", 1, 301, 0);
	tt_none(&c3);
	tq_stream_info(c3.st, &info);
	assert_int_equal(info.bytes_acked, 300);
	abort_conn(&c3, 301, 1);
	tt_fx_end(&f, 0);
}

/*
 * The app is told how much the peer acknowledged (features.md [28]),
 * data that rode on the SYN included: acked(300) once the SYN-ACK
 * covers it.
 */
static void
tfo_client_syn_data_acked_cb(void **state)
{
	static struct tt_fx f;
	static struct tq_tcptest_conn c2;
	uint8_t cookie[TQ_TFO_COOKIE_LEN];

	tt_fx_begin(&f);
	f.t.conf.fastopen = 1;
	start(&f, 0);
	tfo_learn_cookie(&f, cookie);
	tt_conn_init(&c2, &f.t, "10.0.0.1", 8080, "10.0.0.2", 0);
	tfo_syn_with_data(&c2, cookie);
	tt_in(&c2, "S.", 0, 301, 0);
	tt_expect(&c2, ".", 301, 1, 0);
	assert_int_equal(c2.acked_total, 300);
	abort_conn(&c2, 301, 1);
	tt_fx_end(&f, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TT_TEST(syncookie_v4),
		TT_TEST(syncookie_v6),
		TT_TEST(syncookie_ts),
		TT_TEST(syncookie_listener),
		TT_TEST(syncookie_no_timestamps),
		TT_TEST(tfo_server),
		TT_TEST(tfo_server_off),
		TT_TEST(tfo_client),
		TT_TEST(tfo_client_syn_data_acked_cb),
	};

	if (tq_test_eal_init("tcp_cookies") < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
