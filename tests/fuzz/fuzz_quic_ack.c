/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QUIC received packet tracking (engine/quic/tq_quic_ack.c) against a
 * bitmap of the packet numbers held.  No host, no EAL.  Input:
 *
 *   [ctl][op a b]...
 *
 * ctl bits 0-1: the space (3 reads as 1-RTT).  Each op's low 2 bits:
 * 0, 1 a packet numbered around the largest (a: distance, op bit 2 up
 * or down, op bit 3 ack-eliciting, bits 4-5 the ECN codepoint, b: time
 * step); 2 forget up to a packet number below the largest; 3 the ACK is
 * written, read back through the frame decoder, and sent.
 *
 * The reference: packet numbers at or above the floor are held in a
 * bitmap; a new one below the floor is refused; one that would open a
 * 33rd range is refused if it would be the oldest, else the oldest
 * range is forgotten and the floor moves above it.  After each op the
 * tracker's ranges are exactly the bitmap's runs, largest first, and
 * an ACK is due when the rules of RFC 9000 13.2.1-2 say.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "quic/tq_quic_ack.h"

#include "fuzz_common.h"

int tq_fuzz_quic_ack_one(const uint8_t *d, size_t n);

#define AF_PNS 2048
#define AF_MS UINT64_C(1000000)

struct af_ref {
	bool have[AF_PNS];
	uint64_t floor;
	uint64_t largest; /* TQ_QUIC_PN_NONE */
};

/* The runs at or above the floor, largest first. */
static size_t
af_runs(const struct af_ref *m, struct tq_quic_ack_range *out, size_t cap)
{
	size_t n = 0;
	uint64_t i = m->largest == TQ_QUIC_PN_NONE ? 0 : m->largest + 1;

	while (i-- > m->floor) {
		if (!m->have[i])
			continue;
		if (n > 0 && out[n - 1].smallest == i + 1) {
			out[n - 1].smallest = i;
			continue;
		}
		if (n < cap) {
			out[n].largest = i;
			out[n].smallest = i;
		}
		n++;
	}
	return n;
}

static void
af_forget_below(struct af_ref *m, uint64_t floor)
{
	uint64_t i;

	for (i = m->floor; i < floor && i < AF_PNS; i++)
		m->have[i] = false;
	if (floor > m->floor)
		m->floor = floor;
}

/* What record must return, and the reference updated to match. */
static int
af_record(struct af_ref *m, uint64_t pn)
{
	struct tq_quic_ack_range r[64];
	size_t n;

	if (pn < m->floor)
		return -ERANGE;
	if (m->have[pn])
		return -EEXIST;
	m->have[pn] = true;
	/* a refused one is the oldest, never the largest */
	if (m->largest == TQ_QUIC_PN_NONE || pn > m->largest)
		m->largest = pn;
	n = af_runs(m, r, 64);
	if (n > TQ_QUIC_ACKR_RANGES) {
		struct tq_quic_ack_range *old = &r[n - 1];

		if (old->smallest == pn && old->largest == pn) {
			m->have[pn] = false;
			return -ERANGE;
		}
		af_forget_below(m, old->largest + 1);
	}
	return 0;
}

static void
af_compare(const struct tq_quic_ackr *a, const struct af_ref *m)
{
	struct tq_quic_ack_range r[64];
	size_t n = af_runs(m, r, 64), i;

	FZ_CHECK(n == a->n, "%zu ranges, reference %zu", (size_t)a->n, n);
	for (i = 0; i < n; i++)
		FZ_CHECK(a->r[i].largest == r[i].largest &&
				a->r[i].smallest == r[i].smallest,
				"range %zu: [%llu, %llu], reference [%llu, %llu]",
				i, (unsigned long long)a->r[i].smallest,
				(unsigned long long)a->r[i].largest,
				(unsigned long long)r[i].smallest,
				(unsigned long long)r[i].largest);
	FZ_CHECK(a->floor == m->floor, "floor");
	FZ_CHECK(a->largest == m->largest, "largest");
}

/* Written, decoded, the same ranges (a prefix if the room is short). */
static void
af_write(const struct tq_quic_ackr *a, uint64_t now, size_t room)
{
	struct tq_quic_ack_iter it;
	struct tq_quic_ack_range x;
	struct tq_quic_frame f;
	struct tq_quic_wr w;
	struct tq_quic_rd rd;
	uint8_t buf[1024];
	int k;
	size_t i = 0;

	tq_quic_wr_init(&w, buf, room);
	k = tq_quic_ackr_write(a, &w, now, 3);
	if (a->n == 0) {
		FZ_CHECK(k == -ENOENT, "write with nothing: %d", k);
		return;
	}
	if (k == -EMSGSIZE)
		return;
	FZ_CHECK(k > 0 && (uint32_t)k <= a->n, "write %d", k);
	tq_quic_rd_init(&rd, buf, (size_t)(w.pos - buf));
	FZ_CHECK(tq_quic_frame_decode(&rd, TQ_QUIC_PKT_1RTT, &f) ==
			TQ_QUIC_NO_ERROR && rd.pos == rd.end, "decode");
	FZ_CHECK(f.ack.ecn == a->ecn_seen, "ecn");
	tq_quic_ack_iter_init(&it, &f.ack);
	while (tq_quic_ack_iter_next(&it, &x)) {
		FZ_CHECK(i < (size_t)k && x.largest == a->r[i].largest &&
				x.smallest == a->r[i].smallest, "range back");
		i++;
	}
	FZ_CHECK(i == (size_t)k, "ranges back");
}

int
tq_fuzz_quic_ack_one(const uint8_t *d, size_t n)
{
	static struct af_ref m;
	static struct tq_quic_ackr a;
	enum tq_quic_space sp;
	uint64_t now = 1000 * AF_MS, first_unacked = 0;
	uint32_t elicit = 0;
	bool now_due = false;
	size_t i;

	if (n < 1)
		return 0;
	sp = (enum tq_quic_space)(d[0] & 3);
	if (sp > TQ_QUIC_SPACE_APP)
		sp = TQ_QUIC_SPACE_APP;
	memset(&m, 0, sizeof(m));
	m.largest = TQ_QUIC_PN_NONE;
	tq_quic_ackr_init(&a, sp, 25 * AF_MS);
	for (i = 1; i + 3 <= n; i += 3) {
		uint8_t op = d[i], x = d[i + 1], y = d[i + 2];

		now += (uint64_t)y * AF_MS / 8;
		switch (op & 3) {
		case 0:
		case 1: {
			uint64_t base = m.largest == TQ_QUIC_PN_NONE ? 0 :
				m.largest, pn;
			bool el = op & 8;
			enum tq_quic_ecn ecn = (enum tq_quic_ecn)((op >> 4) & 3);
			bool gap, reord;
			int want, rc;

			pn = (op & 4) ? base + x : (base >= x ? base - x : 0);
			if (pn >= AF_PNS)
				break;
			gap = m.largest != TQ_QUIC_PN_NONE && pn > m.largest + 1;
			reord = m.largest != TQ_QUIC_PN_NONE && pn < m.largest;
			FZ_CHECK(tq_quic_ackr_dup(&a, pn) == (pn < m.floor ||
					m.have[pn] || (a.n == TQ_QUIC_ACKR_RANGES &&
					pn + 1 < a.r[a.n - 1].smallest)), "dup");
			want = af_record(&m, pn);
			rc = tq_quic_ackr_record(&a, pn, el, ecn, now);
			FZ_CHECK(rc == want, "record %llu: %d, want %d",
					(unsigned long long)pn, rc, want);
			if (rc != 0 || !el)
				break;
			if (elicit++ == 0)
				first_unacked = now;
			if (sp != TQ_QUIC_SPACE_APP || gap || reord ||
					ecn == TQ_QUIC_ECN_CE || elicit >= 2)
				now_due = true;
			break;
		}
		case 2:
			if (m.largest != TQ_QUIC_PN_NONE) {
				uint64_t l = m.largest >= x ? m.largest - x : 0;

				tq_quic_ackr_forget(&a, l);
				af_forget_below(&m, l + 1);
			}
			break;
		default:
			af_write(&a, now, 4 + (size_t)y * 4);
			tq_quic_ackr_sent(&a);
			elicit = 0;
			now_due = false;
			break;
		}
		af_compare(&a, &m);
		/* when the ACK is due */
		if (a.n == 0 || elicit == 0)
			FZ_CHECK(tq_quic_ackr_deadline(&a) == UINT64_MAX ||
					(a.n > 0 && elicit > 0),
					"due with nothing to acknowledge");
		else if (now_due)
			FZ_CHECK(tq_quic_ackr_deadline(&a) <= now, "not due");
		else
			FZ_CHECK(tq_quic_ackr_deadline(&a) ==
					first_unacked + 25 * AF_MS, "deadline");
	}
	return 0;
}

#ifndef TQ_FUZZ_NO_ENTRY
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	return tq_fuzz_quic_ack_one(d, n);
}
#endif
