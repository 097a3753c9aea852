/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Received packet numbers and when to acknowledge them (RFC 9000 13.2).
 * The ranges are kept largest first, the order an ACK frame carries
 * them, so writing one is a single call to the frame encoder.  Packets
 * mostly arrive in order, so the search from the newest range ends at
 * the first one.
 */
#include <string.h>

#include "tq_quic_ack.h"

void
tq_quic_ackr_init(struct tq_quic_ackr *a, enum tq_quic_space space,
		uint64_t max_ack_delay_ns)
{
	memset(a, 0, sizeof(*a));
	a->space = space;
	a->max_ack_delay_ns = max_ack_delay_ns;
	a->largest = TQ_QUIC_PN_NONE;
	a->ack_deadline = UINT64_MAX;
}

/*
 * Where pn goes: the index of the first range entirely below it (n if
 * none); -1 if a range holds it already.
 */
static int
ackr_find(const struct tq_quic_ackr *a, uint64_t pn)
{
	uint32_t i;

	for (i = 0; i < a->n; i++) {
		if (pn > a->r[i].largest)
			return (int)i;
		if (pn >= a->r[i].smallest)
			return -1;
	}
	return (int)i;
}

/* pn would start a new range older than all the ranges held, and there
 * is no room for one. */
static bool
ackr_too_old(const struct tq_quic_ackr *a, uint64_t pn)
{
	const struct tq_quic_ack_range *last;

	if (a->n < TQ_QUIC_ACKR_RANGES)
		return false;
	last = &a->r[a->n - 1];
	return pn + 1 < last->smallest;
}

bool
tq_quic_ackr_dup(const struct tq_quic_ackr *a, uint64_t pn)
{
	return pn < a->floor || ackr_too_old(a, pn) || ackr_find(a, pn) < 0;
}

static void
ackr_insert(struct tq_quic_ackr *a, uint32_t i, uint64_t pn)
{
	bool above = i > 0 && a->r[i - 1].smallest == pn + 1;
	bool below = i < a->n && a->r[i].largest + 1 == pn;

	if (above && below) {
		/* pn fills the hole between two ranges: join them. */
		a->r[i - 1].smallest = a->r[i].smallest;
		memmove(&a->r[i], &a->r[i + 1],
				(a->n - i - 1) * sizeof(a->r[0]));
		a->n--;
		return;
	}
	if (above) {
		a->r[i - 1].smallest = pn;
		return;
	}
	if (below) {
		a->r[i].largest = pn;
		return;
	}
	if (a->n == TQ_QUIC_ACKR_RANGES) {
		/*
		 * Forget the oldest range (the caller checked pn is not
		 * older still), and refuse what it covered: we could no
		 * longer tell a duplicate there.
		 */
		a->floor = a->r[a->n - 1].largest + 1;
		a->n--;
	}
	memmove(&a->r[i + 1], &a->r[i], (a->n - i) * sizeof(a->r[0]));
	a->r[i].smallest = pn;
	a->r[i].largest = pn;
	a->n++;
}

int
tq_quic_ackr_record(struct tq_quic_ackr *a, uint64_t pn,
		bool ack_eliciting, enum tq_quic_ecn ecn, uint64_t now)
{
	bool none = a->largest == TQ_QUIC_PN_NONE;
	bool reordered = !none && pn < a->largest;
	bool gap = !none && pn > a->largest + 1;
	int i;

	if (pn < a->floor || ackr_too_old(a, pn))
		return -ERANGE;
	i = ackr_find(a, pn);
	if (i < 0)
		return -EEXIST;
	ackr_insert(a, (uint32_t)i, pn);
	if (none || pn > a->largest) {
		a->largest = pn;
		a->largest_time = now;
	}
	switch (ecn) {
	case TQ_QUIC_ECN_ECT0:
		a->ecn.ect0++;
		a->ecn_seen = true;
		break;
	case TQ_QUIC_ECN_ECT1:
		a->ecn.ect1++;
		a->ecn_seen = true;
		break;
	case TQ_QUIC_ECN_CE:
		a->ecn.ce++;
		a->ecn_seen = true;
		break;
	default:
		break;
	}
	a->unacked = true;
	/* RFC 9000 13.2.1: only ack-eliciting packets make an ACK due, so
	 * two endpoints never acknowledge each other's ACKs forever. */
	if (!ack_eliciting)
		return 0;
	a->elicit_unacked++;
	/*
	 * 13.2.1: at once in Initial and Handshake (the handshake waits
	 * on it), for reordering or a gap (the peer's loss detection wants
	 * to know at once), for CE (7.1 of RFC 9002: the peer's congestion
	 * response should not wait); 13.2.2: every second ack-eliciting
	 * packet.  Otherwise within max_ack_delay of the first one.
	 */
	if (a->space != TQ_QUIC_SPACE_APP || reordered || gap ||
			ecn == TQ_QUIC_ECN_CE ||
			a->elicit_unacked >= TQ_QUIC_ACKR_ELICIT_THRESHOLD) {
		a->ack_now = true;
		a->ack_deadline = now;
	} else if (a->ack_deadline == UINT64_MAX) {
		a->ack_deadline = now + a->max_ack_delay_ns;
	}
	return 0;
}

uint64_t
tq_quic_ackr_deadline(const struct tq_quic_ackr *a)
{
	if (a->n == 0)
		return UINT64_MAX;
	return a->ack_deadline;
}

int
tq_quic_ackr_write(const struct tq_quic_ackr *a, struct tq_quic_wr *w,
		uint64_t now, unsigned int ack_delay_exponent)
{
	uint64_t delay = 0;

	if (a->n == 0)
		return -ENOENT;
	/*
	 * RFC 9000 13.2.5: the delay since the largest arrived.  In Initial
	 * and Handshake the peer ignores it (RFC 9002 5.3), so send 0
	 * rather than a value it might misread.
	 */
	if (a->space == TQ_QUIC_SPACE_APP && now > a->largest_time &&
			ack_delay_exponent <= TQ_QUIC_TP_MAX_ACK_DELAY_EXPONENT)
		delay = ((now - a->largest_time) / 1000) >>
			ack_delay_exponent;
	return tq_quic_ack_encode(w, a->r, a->n, delay,
			a->ecn_seen ? &a->ecn : NULL);
}

void
tq_quic_ackr_sent(struct tq_quic_ackr *a)
{
	a->ack_now = false;
	a->unacked = false;
	a->elicit_unacked = 0;
	a->ack_deadline = UINT64_MAX;
}

void
tq_quic_ackr_forget(struct tq_quic_ackr *a, uint64_t largest)
{
	uint32_t i;

	if (largest == TQ_QUIC_PN_NONE || largest + 1 <= a->floor)
		return;
	a->floor = largest + 1;
	for (i = 0; i < a->n; i++)
		if (a->r[i].smallest <= largest)
			break;
	if (i == a->n)
		return;
	if (a->r[i].largest > largest) {
		a->r[i].smallest = largest + 1;
		i++;
	}
	a->n = i;
}

uint64_t
tq_quic_ack_delay_ns(uint64_t field, unsigned int exponent)
{
	if (exponent > 63 || field > (UINT64_MAX / 1000) >> exponent)
		return UINT64_MAX;
	return (field << exponent) * 1000;
}
