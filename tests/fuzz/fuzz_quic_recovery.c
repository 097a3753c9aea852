/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QUIC loss recovery (engine/quic/tq_quic_recovery.c) under random
 * sends, ACK frames (through the real encoder and decoder), timeouts,
 * key discards and state changes, against a model of each packet's
 * fate.  No host, no EAL.  Input:
 *
 *   [ctl][op x y]...
 *
 * ctl bit 0: server; bit 1: CUBIC rather than NewReno; bit 2: ECN
 * (packets marked while tq_quic_rec_ecn_mark() says so).  Each op's
 * first byte: bits 0-2 the operation, bits 3-4 the space (3 reads as
 * 1-RTT).  0, 1: send a packet (x: size and flags, y: time step and a
 * skipped packet number); 2, 3: an ACK with up to 4 ranges built from
 * x and y (sometimes past the largest sent, which must be
 * PROTOCOL_VIOLATION), ECN-CE counts from 3; 4: time passes (x ms) and
 * the timer runs if due; 5: flags (x: handshake confirmed, peer
 * validated, amplification blocked, handshake keys); 6: discard the
 * space; 7: max_ack_delay.  Checked throughout: each packet is acked,
 * lost or discarded at most once and only when it may be (acked: in
 * the ACK's ranges; lost: at or below the largest acked, or on a
 * timeout), bytes in flight equal the model's, the window stays at or
 * above one datagram, and at the end, with every space discarded,
 * every packet has had its one fate and nothing is in flight.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "quic/tq_quic_recovery.h"

#include "fuzz_common.h"

int tq_fuzz_quic_recovery_one(const uint8_t *d, size_t n);

#define RF_PKTS 1024 /* per space */
#define RF_MS UINT64_C(1000000)

enum { RF_NONE, RF_LIVE, RF_ACKED, RF_LOST, RF_DISC };

struct rf_model {
	uint8_t fate[TQ_QUIC_SPACE_N][RF_PKTS];
	uint32_t size[TQ_QUIC_SPACE_N][RF_PKTS];
	bool in_flight[TQ_QUIC_SPACE_N][RF_PKTS];
	uint64_t next_pn[TQ_QUIC_SPACE_N];
	uint64_t largest_acked[TQ_QUIC_SPACE_N];
	bool discarded[TQ_QUIC_SPACE_N];
	/* the ACK being processed */
	const struct tq_quic_ack_range *ranges;
	size_t nranges;
	bool in_ack;
	bool in_timeout;
};

static bool
rf_in_ranges(const struct rf_model *m, uint64_t pn)
{
	size_t i;

	for (i = 0; i < m->nranges; i++)
		if (pn >= m->ranges[i].smallest && pn <= m->ranges[i].largest)
			return true;
	return false;
}

static void
rf_acked(void *arg, enum tq_quic_space sp, const struct tq_quic_sent *p)
{
	struct rf_model *m = arg;

	FZ_CHECK(p->pn < RF_PKTS && m->fate[sp][p->pn] == RF_LIVE,
			"acked %llu not live", (unsigned long long)p->pn);
	FZ_CHECK(m->in_ack && rf_in_ranges(m, p->pn), "acked outside");
	FZ_CHECK(p->handle == (void *)(uintptr_t)(p->pn * 3 + sp + 1),
			"handle");
	m->fate[sp][p->pn] = RF_ACKED;
}

static void
rf_lost(void *arg, enum tq_quic_space sp, const struct tq_quic_sent *p)
{
	struct rf_model *m = arg;

	FZ_CHECK(p->pn < RF_PKTS && m->fate[sp][p->pn] == RF_LIVE,
			"lost %llu not live", (unsigned long long)p->pn);
	FZ_CHECK(m->in_ack || m->in_timeout, "lost outside");
	FZ_CHECK(m->largest_acked[sp] != TQ_QUIC_PN_NONE &&
			p->pn < m->largest_acked[sp], "lost above largest");
	m->fate[sp][p->pn] = RF_LOST;
}

static void
rf_disc(void *arg, enum tq_quic_space sp, const struct tq_quic_sent *p)
{
	struct rf_model *m = arg;

	FZ_CHECK(p->pn < RF_PKTS && m->fate[sp][p->pn] == RF_LIVE,
			"discarded %llu not live", (unsigned long long)p->pn);
	m->fate[sp][p->pn] = RF_DISC;
}

static const struct tq_quic_rec_ops rf_ops = {
	.on_acked = rf_acked,
	.on_lost = rf_lost,
	.on_discarded = rf_disc,
};

static void
rf_check(const struct tq_quic_rec *r, const struct rf_model *m)
{
	uint64_t flight = 0, pn;
	int sp;

	for (sp = 0; sp < TQ_QUIC_SPACE_N; sp++)
		for (pn = 0; pn < m->next_pn[sp] && pn < RF_PKTS; pn++)
			if (m->fate[sp][pn] == RF_LIVE && m->in_flight[sp][pn])
				flight += m->size[sp][pn];
	FZ_CHECK(r->bytes_in_flight == flight, "flight %llu, model %llu",
			(unsigned long long)r->bytes_in_flight,
			(unsigned long long)flight);
	FZ_CHECK(r->cc.cwnd >= r->cc.mss, "cwnd %u", r->cc.cwnd);
	FZ_CHECK(r->smoothed_rtt > 0 || r->has_rtt, "srtt");
}

static void
rf_ack(struct tq_quic_rec *r, struct rf_model *m, enum tq_quic_space sp,
		uint8_t x, uint8_t y, bool ecn, uint64_t *ce, uint64_t now)
{
	struct tq_quic_ack_range rg[4];
	struct tq_quic_ecn_counts cnt = { 0 };
	struct tq_quic_frame f;
	struct tq_quic_wr w;
	struct tq_quic_rd rd;
	enum tq_quic_err e, want;
	uint8_t buf[128];
	uint64_t top, back;
	size_t nr = 0, i;
	int rc;

	if (m->next_pn[sp] == 0 && (x & 0x80) == 0)
		return;
	/* largest: near the newest sent, or one past it (x bit 7) */
	back = (uint64_t)(x & 0x1f);
	top = m->next_pn[sp] ? m->next_pn[sp] - 1 : 0;
	top = (x & 0x80) ? m->next_pn[sp] : (back > top ? 0 : top - back);
	/* ranges: y's 2-bit fields as lengths and gaps */
	{
		uint64_t hi = top;

		for (i = 0; i < 4; i++) {
			uint64_t len = (y >> (2 * i)) & 3;
			uint64_t lo = hi >= len ? hi - len : 0;

			rg[nr].largest = hi;
			rg[nr].smallest = lo;
			nr++;
			/* x bits 5-6: how many more ranges */
			if (lo < 2 || i + 1 > ((x >> 5) & 3u))
				break;
			hi = lo - 2 - (lo > 2 ? (y & 1) : 0);
		}
	}
	if (ecn) {
		/* counts that mostly grow, sometimes not enough, so that
		 * validation passes and fails */
		ce[0] += (y >> 4) & 3;
		ce[1] += x & 1;
		cnt.ect0 = ce[0];
		cnt.ce = ce[1];
	}
	tq_quic_wr_init(&w, buf, sizeof(buf));
	rc = tq_quic_ack_encode(&w, rg, nr, y, ecn ? &cnt : NULL);
	FZ_CHECK(rc == (int)nr, "ack_encode %d", rc);
	tq_quic_rd_init(&rd, buf, (size_t)(w.pos - buf));
	FZ_CHECK(tq_quic_frame_decode(&rd, TQ_QUIC_PKT_1RTT, &f) ==
			TQ_QUIC_NO_ERROR, "ack decode");
	want = TQ_QUIC_NO_ERROR;
	if (!m->discarded[sp] && (m->next_pn[sp] == 0 ||
			top >= m->next_pn[sp]))
		want = TQ_QUIC_PROTOCOL_VIOLATION;
	m->ranges = rg;
	m->nranges = nr;
	m->in_ack = true;
	if (want == TQ_QUIC_NO_ERROR && !m->discarded[sp] &&
			(m->largest_acked[sp] == TQ_QUIC_PN_NONE ||
			 top > m->largest_acked[sp]))
		m->largest_acked[sp] = top;
	e = tq_quic_rec_on_ack(r, sp, &f.ack,
			tq_quic_ack_delay_ns(f.ack.delay, 3), now);
	m->in_ack = false;
	FZ_CHECK(e == want, "on_ack %d, want %d", (int)e, (int)want);
	/* everything in the ranges is settled now */
	for (i = 0; i < nr && e == TQ_QUIC_NO_ERROR && !m->discarded[sp]; i++) {
		uint64_t pn;

		for (pn = rg[i].smallest; pn <= rg[i].largest && pn < RF_PKTS;
				pn++)
			FZ_CHECK(m->fate[sp][pn] != RF_LIVE,
					"%llu acked but live",
					(unsigned long long)pn);
	}
}

int
tq_fuzz_quic_recovery_one(const uint8_t *d, size_t n)
{
	static struct tq_quic_sent store[512];
	static struct rf_model m;
	struct tq_quic_rec_cfg cfg = { 0 };
	struct tq_quic_rec r;
	uint64_t now = 1000 * RF_MS, ce[TQ_QUIC_SPACE_N][2] = { { 0 } }, pn;
	size_t i;
	int sp;

	if (n < 1)
		return 0;
	memset(&m, 0, sizeof(m));
	for (sp = 0; sp < TQ_QUIC_SPACE_N; sp++)
		m.largest_acked[sp] = TQ_QUIC_PN_NONE;
	cfg.cc = (d[0] & 8) ? &tq_cc_bbr :
		(d[0] & 2) ? &tq_cc_cubic : &tq_cc_newreno;
	cfg.max_datagram = 1200;
	cfg.is_server = d[0] & 1;
	cfg.ecn = d[0] & 4;
	cfg.ops = &rf_ops;
	cfg.arg = &m;
	FZ_CHECK(tq_quic_rec_init(&r, &cfg, store, 512, now) == 0, "init");
	for (i = 1; i + 3 <= n; i += 3) {
		uint8_t op = d[i], x = d[i + 1], y = d[i + 2];
		enum tq_quic_space s = (enum tq_quic_space)((op >> 3) & 3);

		if (s > TQ_QUIC_SPACE_APP)
			s = TQ_QUIC_SPACE_APP;
		switch (op & 7) {
		case 0:
		case 1: {
			struct tq_quic_sent p = { 0 };
			int rc, want;

			now += (uint64_t)(y >> 2) * RF_MS / 4;
			p.pn = m.next_pn[s] + (y & 3);
			if (p.pn >= RF_PKTS)
				break;
			p.time_sent = now;
			p.size = 20 + (uint32_t)(x & 0x3f) * 20;
			p.ack_eliciting = x & 0x40;
			p.in_flight = p.ack_eliciting || (x & 0x80);
			p.ack_largest = TQ_QUIC_PN_NONE;
			p.handle = (void *)(uintptr_t)(p.pn * 3 + s + 1);
			p.ecn = tq_quic_rec_ecn_mark(&r);
			want = m.discarded[s] ? -EINVAL :
				tq_quic_rec_can_send(&r, s) ? 0 : -ENOBUFS;
			rc = tq_quic_rec_on_sent(&r, s, &p);
			FZ_CHECK(rc == want, "on_sent %d, want %d", rc, want);
			if (rc == 0) {
				m.fate[s][p.pn] = RF_LIVE;
				m.size[s][p.pn] = p.size;
				m.in_flight[s][p.pn] = p.in_flight;
				m.next_pn[s] = p.pn + 1;
			}
			break;
		}
		case 2:
		case 3:
			now += (uint64_t)(y & 0xf) * RF_MS;
			rf_ack(&r, &m, s, x, y, (op & 7) == 3, ce[s], now);
			break;
		case 4: {
			enum tq_quic_rec_timeout t;
			enum tq_quic_space ps;
			unsigned int probes;
			uint64_t due;

			now += (uint64_t)x * RF_MS * (y & 7 ? 1 : 50);
			due = tq_quic_rec_timer(&r, now);
			m.in_timeout = true;
			t = tq_quic_rec_on_timeout(&r, now, &ps, &probes);
			m.in_timeout = false;
			FZ_CHECK((t != TQ_QUIC_REC_NONE) == (due <= now),
					"timeout %d, due %llu, now %llu", t,
					(unsigned long long)due,
					(unsigned long long)now);
			if (t == TQ_QUIC_REC_PTO)
				FZ_CHECK(probes == 1 || probes == 2, "probes");
			break;
		}
		case 5:
			r.handshake_confirmed = x & 1;
			r.peer_validated = x & 2;
			r.amp_blocked = x & 4;
			r.have_handshake_keys = x & 8;
			break;
		case 6:
			tq_quic_rec_discard(&r, s);
			m.discarded[s] = true;
			for (pn = 0; pn < m.next_pn[s]; pn++)
				FZ_CHECK(m.fate[s][pn] != RF_LIVE,
						"live after discard");
			break;
		default:
			tq_quic_rec_set_max_ack_delay(&r,
					(uint64_t)x * RF_MS / 4);
			break;
		}
		rf_check(&r, &m);
	}
	for (sp = 0; sp < TQ_QUIC_SPACE_N; sp++)
		tq_quic_rec_discard(&r, (enum tq_quic_space)sp);
	for (sp = 0; sp < TQ_QUIC_SPACE_N; sp++)
		for (pn = 0; pn < m.next_pn[sp]; pn++)
			FZ_CHECK(m.fate[sp][pn] != RF_LIVE, "never settled");
	FZ_CHECK(r.bytes_in_flight == 0, "flight at the end");
	return 0;
}

#ifndef TQ_FUZZ_NO_ENTRY
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	return tq_fuzz_quic_recovery_one(d, n);
}
#endif
