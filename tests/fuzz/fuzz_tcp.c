/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP segments, options included, against an established connection,
 * against the listener, and against the host's own active open.
 *
 * Each input starts with a handshake the harness crafts (MSS, SACK,
 * timestamps, window scale all on) from the peer's port 40000 to the
 * listener on port 80; the connection is accepted.  Every record is
 * then a TCP header with options and payload.  Its ports are set to that
 * connection's and it is delivered; then the same bytes go, as the second
 * control byte says, to the listener (from port 40001 + the record's
 * source port modulo 8, so that later records carry on a conversation or
 * fill the SYN queue) and/or to a connection the host opened to the
 * peer's port 40100 (in SYN_SENT until the fuzzer answers).  On the
 * connection the payload is replaced by a pattern of the stream offset,
 * and the app checks that it reads the pattern, in order.
 *
 * Input: [ctl][ctl2] then records (see fuzz_common.h).
 *   ctl bit 0     IPv6 (else IPv4)
 *   ctl bit 1     relative numbers: seq to the peer's next sequence number
 *                 on port 40000 (as it is elsewhere); ack and SACK blocks
 *                 to the host's ISN + 1 in that conversation (port 40000:
 *                 the accepted connection's; the listener's ports: that
 *                 of its last SYN-ACK there; port 40100: its SYN's)
 *   ctl bits 2-3  both set: leave the TCP checksum as it is (else fixed)
 *   ctl bit 4     the host has 6000 bytes in flight when segments come
 *   ctl bit 5     the app does not read (data piles up, the window shuts)
 *   ctl bits 6-7  the app: 0 nothing, 1 shuts down its side before the
 *                 segments, 2 closes after them, 3 writes 20000 bytes after
 *   ctl2 bits 0-1 the second target: 0 the listener, 1 the active open,
 *                 2 both, 3 none
 *   ctl2 bit 2    the app leaves new connections on the accept queue
 *   ctl2 bit 3    TQ_OPT_NODELAY on the connection
 *   ctl2 bit 4    keepalive off on the connection
 *   ctl2 bit 5    pad frames with junk to 3000 bytes (a chain of mbufs),
 *   ctl2 bit 6    or to 60 (Ethernet's minimum); the junk is made to leave
 *                 the checksum right, so taking it for data shows
 *   ctl2 bit 7    the app ends the connection from inside its readable
 *                 callback, once it has read something: it closes, or
 *                 aborts when it has read an odd number of bytes
 */
#include <inttypes.h>

#include "fuzz_common.h"

#include <rte_tcp.h>

int tq_fuzz_tcp_one(const uint8_t *d, size_t n);

#define PPORT_CONN 40000
#define PPORT_LISTEN 40001 /* to 40008 */
#define PPORT_ACTIVE 40100
#define PEER_ISS 1000000u
#define PEER_TS 1000u
#define MAX_SEGS 12

struct tcp_run {
	bool v6;
	bool synack_conn;
	uint32_t hiss_conn;
	uint8_t synack_listen;	/* bit per listener port seen */
	uint32_t hiss_listen[8];
	bool syn_active;
	uint16_t active_port;	/* the host's, host order */
	uint32_t hiss_active;
};

static struct tq_stream *conn_st, *active_st;
static uint8_t wbuf[20000];
/* The connection's stream: what the peer sends on it is the pattern of
 * its stream offset (whatever the fuzzer put there), so whatever the
 * reassembly does, the app must read the pattern in order. */
static uint64_t conn_read;
static bool conn_reads;
static bool conn_end_in_cb;

/* Index of the first byte of buf that is not the pattern, or -1. */
static FZ_NO_COV int
pattern_diff(const uint8_t *buf, int n, uint64_t off)
{
	int i;

	for (i = 0; i < n; i++)
		if (buf[i] != tq_tcptest_pattern((uint32_t)(off + i)))
			return i;
	return -1;
}

static void
conn_readable(struct tq_stream *st, void *ctx)
{
	uint8_t buf[4096];
	int n, i;

	RTE_SET_USED(ctx);
	if (!conn_reads)
		return;
	while ((n = tq_stream_read(st, buf, sizeof(buf))) > 0) {
		i = pattern_diff(buf, n, conn_read);
		FZ_CHECK(i < 0, "the app read %#x at stream offset %" PRIu64
				", the peer sent %#x", buf[i], conn_read + i,
				tq_tcptest_pattern((uint32_t)(conn_read + i)));
		conn_read += (uint64_t)n;
	}
	if (conn_end_in_cb && conn_read) {
		if (conn_read & 1)
			tq_stream_abort(st, 0);
		else
			tq_stream_close(st);
	}
}

static void
conn_closed(struct tq_stream *st, enum tq_close_reason why, void *ctx)
{
	RTE_SET_USED(why);
	RTE_SET_USED(ctx);
	if (st == conn_st)
		conn_st = NULL;
}

static const struct tq_stream_ops conn_ops = {
	.readable = conn_readable,
	.closed = conn_closed,
};

static uint32_t
get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
		((uint32_t)p[2] << 8) | p[3];
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Learn the host's ISNs from its SYNs and SYN-ACKs. */
static void
tcp_out(const uint8_t *f, uint32_t len, void *arg)
{
	struct tcp_run *run = arg;
	uint16_t type = (uint16_t)((f[12] << 8) | f[13]), dport;
	const uint8_t *l4;
	uint8_t fl;

	if (type == RTE_ETHER_TYPE_IPV4 && len >= 34 && f[23] == IPPROTO_TCP)
		l4 = f + 14 + (f[14] & 0xf) * 4;
	else if (type == RTE_ETHER_TYPE_IPV6 && len >= 54 &&
			f[20] == IPPROTO_TCP)
		l4 = f + 54;
	else
		return;
	if (l4 + 20 > f + len)
		return;
	fl = l4[13];
	if (!(fl & TQ_TH_SYN))
		return;
	dport = (uint16_t)((l4[2] << 8) | l4[3]);
	if (!(fl & TQ_TH_ACK)) {
		if (dport == PPORT_ACTIVE) {
			run->syn_active = true;
			run->active_port = (uint16_t)((l4[0] << 8) | l4[1]);
			run->hiss_active = get32(l4 + 4);
		}
		return;
	}
	if (dport == PPORT_CONN) {
		run->synack_conn = true;
		run->hiss_conn = get32(l4 + 4);
	} else if (dport >= PPORT_LISTEN && dport < PPORT_LISTEN + 8) {
		run->synack_listen |= (uint8_t)(1u << (dport - PPORT_LISTEN));
		run->hiss_listen[dport - PPORT_LISTEN] = get32(l4 + 4);
	}
}

/* Ethernet + IP around a TCP segment of len bytes already at l4. */
static uint32_t
wrap(uint8_t *f, bool v6, uint32_t len)
{
	tq_fuzz_eth(f, tq_fuzz_host_mac(),
			v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
	if (v6) {
		tq_fuzz_ip6(f + 14, FZ_PEER6, FZ_HOST6, IPPROTO_TCP, 64, len);
		return 54 + len;
	}
	tq_fuzz_ip4(f + 14, FZ_PEER4, FZ_HOST4, IPPROTO_TCP, len);
	return 34 + len;
}

/*
 * Pad a frame (TCP segment of len bytes at l4, checksum right) to the
 * frame length to, with junk whose last word makes the checksum right
 * also over the segment and the junk, with the pseudo-header's length
 * counting the junk: a host that forgets to cut the padding off sees a
 * valid segment with more data.  Returns the new frame length.
 */
static FZ_NO_COV uint32_t
tcp_pad(uint8_t *f, uint32_t flen, uint8_t *l4, uint32_t len, bool v6,
		uint32_t to)
{
	struct tq_addr s = tq_test_addr(v6 ? FZ_PEER6 : FZ_PEER4);
	struct tq_addr d = tq_test_addr(v6 ? FZ_HOST6 : FZ_HOST4);
	uint32_t p, total, sum;
	uint16_t c;

	if (flen + 2 > to)
		return flen;
	p = to - flen;
	total = len + p;
	/* the fixing word at an even offset of the segment */
	if ((total - 2) & 1) {
		p++;
		total++;
	}
	memset(l4 + len, 0xaa, p);
	l4[total - 2] = l4[total - 1] = 0;
	sum = tq_test_phdr_sum(&s, &d, IPPROTO_TCP, total);
	c = rte_be_to_cpu_16(tq_test_cksum(l4, total, sum));
	c = (uint16_t)(0xffff - c);
	l4[total - 2] = (uint8_t)(c >> 8);
	l4[total - 1] = (uint8_t)c;
	return flen + p;
}

static void
fix_cksum(uint8_t *l4, bool v6, uint32_t len)
{
	struct tq_addr s = tq_test_addr(v6 ? FZ_PEER6 : FZ_PEER4);
	struct tq_addr d = tq_test_addr(v6 ? FZ_HOST6 : FZ_HOST4);

	tq_fuzz_l4_cksum(l4, len, &s, &d, IPPROTO_TCP);
}

/* SACK blocks of a segment made relative to the host's sequence. */
static void
sack_rel(uint8_t *l4, uint32_t len, uint32_t hb)
{
	uint32_t hlen = RTE_MIN((uint32_t)(l4[12] >> 4) * 4u, len), i = 20;

	while (i < hlen) {
		uint32_t olen, k;

		if (l4[i] == 0)
			break;
		if (l4[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= hlen || l4[i + 1] < 2 || i + l4[i + 1] > hlen)
			break;
		olen = l4[i + 1];
		if (l4[i] == 5)
			for (k = i + 2; k + 4 <= i + olen; k += 4)
				put32(l4 + k, get32(l4 + k) + hb);
		i += olen;
	}
}

/* The peer's side of the handshake, from PPORT_CONN. */
static void
handshake(uint8_t *f, struct tcp_run *run)
{
	uint32_t hl = run->v6 ? 40 : 20;
	uint8_t *l4 = f + 14 + hl;
	static const uint8_t syn_opts[20] = {
		2, 4, 0x05, 0xb4,		/* MSS 1460 */
		4, 2,				/* SACK permitted */
		8, 10, 0, 0, 0x03, 0xe8, 0, 0, 0, 0, /* TS 1000, 0 */
		1, 3, 3, 7,			/* NOP, WS 7 */
	};
	uint8_t ack_opts[12] = { 1, 1, 8, 10 };

	memset(l4, 0, 40);
	l4[0] = PPORT_CONN >> 8;
	l4[1] = PPORT_CONN & 0xff;
	l4[3] = FZ_TCP_PORT;
	put32(l4 + 4, PEER_ISS);
	l4[12] = (20 + 20) / 4 << 4;
	l4[13] = TQ_TH_SYN;
	l4[14] = 0xff;
	l4[15] = 0xff;
	memcpy(l4 + 20, syn_opts, sizeof(syn_opts));
	fix_cksum(l4, run->v6, 40);
	tq_fuzz_send(f, wrap(f, run->v6, 40));
	tq_fuzz_poll(0);
	FZ_CHECK(run->synack_conn, "no SYN-ACK to the handshake");

	memset(l4, 0, 32);
	l4[0] = PPORT_CONN >> 8;
	l4[1] = PPORT_CONN & 0xff;
	l4[3] = FZ_TCP_PORT;
	put32(l4 + 4, PEER_ISS + 1);
	put32(l4 + 8, run->hiss_conn + 1);
	l4[12] = (20 + 12) / 4 << 4;
	l4[13] = TQ_TH_ACK;
	l4[14] = 0x04;	/* 1024 << 7 */
	put32(ack_opts + 4, PEER_TS + 1);
	memcpy(l4 + 20, ack_opts, sizeof(ack_opts));
	fix_cksum(l4, run->v6, 32);
	tq_fuzz_send(f, wrap(f, run->v6, 32));
	tq_fuzz_poll(0);
	conn_st = tq_fuzz_last_accepted();
	FZ_CHECK(conn_st != NULL, "the handshake did not end in accept");
	tq_stream_set_ops(conn_st, &conn_ops, NULL);
}

/* The payload of a segment to the connection: the stream's pattern. */
static FZ_NO_COV void
fill_pattern(uint8_t *l4, uint32_t len)
{
	uint32_t hlen = (uint32_t)(l4[12] >> 4) * 4u, i;
	uint32_t off;

	if (hlen < 20 || hlen > len)
		return;
	off = get32(l4 + 4) - (PEER_ISS + 1) + ((l4[13] & TQ_TH_SYN) ? 1 : 0);
	for (i = hlen; i < len; i++)
		l4[i] = tq_tcptest_pattern((uint32_t)(off + i - hlen));
}

/* The host opens a connection to the peer's PPORT_ACTIVE. */
static void
active_open(struct tcp_run *run)
{
	struct tq_addr dst = tq_test_addr(run->v6 ? FZ_PEER6 : FZ_PEER4);
	int err = 0;

	active_st = tq_tcp_connect(tq_fuzz_shard(), &dst, PPORT_ACTIVE, NULL,
			0, tq_fuzz_ops(), NULL, &err);
	FZ_CHECK(active_st != NULL, "connect failed: %d", err);
	tq_fuzz_watch(&active_st);
	tq_fuzz_poll(0);
	FZ_CHECK(run->syn_active, "no SYN from the active open");
}

enum target { TO_CONN, TO_LISTEN, TO_ACTIVE };

static void
deliver(uint8_t *f, struct tcp_run *run, uint8_t ctl, uint8_t ctl2,
		const uint8_t *seg, uint32_t len, enum target to)
{
	uint32_t hl = run->v6 ? 40 : 20;
	uint8_t *l4 = f + 14 + hl;
	uint16_t sport, dport;
	uint32_t pb = 0, hb = 0, flen;

	len = RTE_MIN(len, (uint32_t)FZ_MAX_FRAME - 14 - hl - 4);
	len = RTE_MIN(len, 65535u - hl);
	memcpy(l4, seg, len);
	switch (to) {
	case TO_CONN:
		sport = PPORT_CONN;
		dport = FZ_TCP_PORT;
		pb = PEER_ISS + 1;
		hb = run->hiss_conn + 1;
		break;
	case TO_LISTEN: {
		unsigned int i = len >= 2 ? l4[1] & 7 : 0;

		sport = (uint16_t)(PPORT_LISTEN + i);
		dport = FZ_TCP_PORT;
		if (run->synack_listen & (1u << i))
			hb = run->hiss_listen[i] + 1;
		break;
	}
	default:
		sport = PPORT_ACTIVE;
		dport = run->active_port;
		hb = run->hiss_active + 1;
		break;
	}
	if (len >= 4) {
		l4[0] = (uint8_t)(sport >> 8);
		l4[1] = (uint8_t)sport;
		l4[2] = (uint8_t)(dport >> 8);
		l4[3] = (uint8_t)dport;
	}
	if ((ctl & 2) && len >= 12) {
		put32(l4 + 4, get32(l4 + 4) + pb);
		put32(l4 + 8, get32(l4 + 8) + hb);
		if (len >= 20)
			sack_rel(l4, len, hb);
	}
	if (to == TO_CONN && len >= 20)
		fill_pattern(l4, len);
	if ((ctl & 0x0c) != 0x0c)
		fix_cksum(l4, run->v6, len);
	flen = wrap(f, run->v6, len);
	if (ctl2 & 0x20)
		flen = tcp_pad(f, flen, l4, len, run->v6, 3000);
	else if (ctl2 & 0x40)
		flen = tcp_pad(f, flen, l4, len, run->v6, 60);
	tq_fuzz_send(f, flen);
	tq_fuzz_poll(0);
}

int
tq_fuzz_tcp_one(const uint8_t *d, size_t n)
{
	static uint8_t f[FZ_MAX_FRAME];
	struct tq_fuzz_rec r[MAX_SEGS];
	struct tcp_run run;
	unsigned int k, i, second;
	uint8_t ctl, ctl2;

	if (n < 2)
		return 0;
	ctl = d[0];
	ctl2 = d[1];
	second = ctl2 & 3;
	memset(&run, 0, sizeof(run));
	run.v6 = ctl & 1;
	k = tq_fuzz_records(d + 2, n - 2, r, MAX_SEGS);
	tq_fuzz_begin();
	tq_fuzz_set_out(tcp_out, &run);
	conn_st = NULL;
	active_st = NULL;
	conn_read = 0;
	conn_reads = true;
	conn_end_in_cb = false;
	handshake(f, &run);
	if (ctl2 & 8)
		tq_stream_set_opt(conn_st, TQ_OPT_NODELAY, 1);
	if (ctl2 & 0x10)
		tq_stream_set_opt(conn_st, TQ_OPT_KEEPALIVE, 0);
	if (second == 1 || second == 2)
		active_open(&run);
	if (ctl & 0x10) {
		FZ_CHECK(tq_stream_write(conn_st, wbuf, 6000) == 6000,
				"could not write to the connection");
		tq_fuzz_poll(0);
	}
	tq_fuzz_set_app_reads(!(ctl & 0x20));
	conn_reads = !(ctl & 0x20);
	conn_end_in_cb = ctl2 & 0x80;
	tq_fuzz_set_accept(!(ctl2 & 4));
	if ((ctl >> 6) == 1 && conn_st)
		tq_stream_shutdown(conn_st);
	for (i = 0; i < k; i++) {
		const uint8_t *p = r[i].p;
		uint32_t len = r[i].len;

		deliver(f, &run, ctl, ctl2, p, len, TO_CONN);
		if (second == 0 || second == 2)
			deliver(f, &run, ctl, ctl2, p, len, TO_LISTEN);
		if (second == 1 || second == 2)
			deliver(f, &run, ctl, ctl2, p, len, TO_ACTIVE);
	}
	if ((ctl >> 6) == 2 && conn_st)
		tq_stream_close(conn_st);
	if ((ctl >> 6) == 3 && conn_st)
		tq_stream_write(conn_st, wbuf, sizeof(wbuf));
	if ((ctl >> 6) == 3 && active_st)
		tq_stream_write(active_st, wbuf, 3000);
	tq_fuzz_settle();
	tq_fuzz_end();
	return 0;
}

TQ_FUZZ_TARGET("fuzz_tcp", tq_fuzz_tcp_one)
