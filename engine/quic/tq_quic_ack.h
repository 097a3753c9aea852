/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_QUIC_ACK_H
#define TQ_QUIC_ACK_H

/*
 * Received packet numbers, per packet number space, and the ACK frames
 * we send for them (RFC 9000 13.2).  Pure: no clock (now in ns is passed
 * in), no allocation, no locks; one struct per space inside the
 * connection.  See docs/quic.md, Connection internals.
 */

#include <stdbool.h>
#include <stdint.h>

#include "tq_quic_wire.h"

/* Packet number spaces (RFC 9000 12.3); 0-RTT and 1-RTT share APP. */
enum tq_quic_space {
	TQ_QUIC_SPACE_INITIAL,
	TQ_QUIC_SPACE_HANDSHAKE,
	TQ_QUIC_SPACE_APP,
	TQ_QUIC_SPACE_N,
};

/* ECN codepoint of a received packet (the IP header's low 2 bits). */
enum tq_quic_ecn {
	TQ_QUIC_ECN_NOT = 0,
	TQ_QUIC_ECN_ECT1 = 1,
	TQ_QUIC_ECN_ECT0 = 2,
	TQ_QUIC_ECN_CE = 3,
};

/*
 * Ranges kept.  Past it the oldest is forgotten (and its packets
 * refused from then on): an ACK frame carries the newest ranges anyway
 * and the peer has long declared the oldest holes lost.
 */
#define TQ_QUIC_ACKR_RANGES 32
/* RFC 9000 13.2.2: an ACK after this many ack-eliciting packets. */
#define TQ_QUIC_ACKR_ELICIT_THRESHOLD 2

struct tq_quic_ackr {
	/* disjoint, not adjacent, largest first */
	struct tq_quic_ack_range r[TQ_QUIC_ACKR_RANGES];
	uint32_t n;
	enum tq_quic_space space;
	uint64_t max_ack_delay_ns;	/* ours, as advertised */
	uint64_t largest;		/* received, TQ_QUIC_PN_NONE */
	uint64_t largest_time;		/* when largest arrived */
	uint64_t floor;			/* packets below are refused */
	uint32_t elicit_unacked;	/* ack-eliciting since our last ACK */
	bool unacked;			/* anything since our last ACK */
	bool ack_now;
	bool ecn_seen;
	uint64_t ack_deadline;		/* UINT64_MAX: none */
	struct tq_quic_ecn_counts ecn;
};

void tq_quic_ackr_init(struct tq_quic_ackr *a, enum tq_quic_space space,
		uint64_t max_ack_delay_ns);

/*
 * Whether pn must be dropped as a duplicate (RFC 9000 12.3): received
 * already, below a forgotten range, or older than the oldest range
 * while all ranges are in use.
 */
bool tq_quic_ackr_dup(const struct tq_quic_ackr *a, uint64_t pn);

/*
 * Record a packet once processed.  ecn: its codepoint.  Returns 0,
 * -EEXIST (a duplicate) or -ERANGE (too old to track); both leave the
 * state as it was.
 */
int tq_quic_ackr_record(struct tq_quic_ackr *a, uint64_t pn,
		bool ack_eliciting, enum tq_quic_ecn ecn, uint64_t now);

/* When an ACK is due: a time <= now if at once, UINT64_MAX if none. */
uint64_t tq_quic_ackr_deadline(const struct tq_quic_ackr *a);

static inline bool
tq_quic_ackr_due(const struct tq_quic_ackr *a, uint64_t now)
{
	return tq_quic_ackr_deadline(a) <= now;
}

/* Whether anything arrived since our last ACK (to piggyback one). */
static inline bool
tq_quic_ackr_pending(const struct tq_quic_ackr *a)
{
	return a->unacked && a->n > 0;
}

/*
 * Write the ACK frame (ACK_ECN once an ECN mark was seen) into w.
 * Returns the ranges written (the oldest are dropped if w is short),
 * -ENOENT with nothing to acknowledge, -EMSGSIZE.  Changes nothing.
 */
int tq_quic_ackr_write(const struct tq_quic_ackr *a, struct tq_quic_wr *w,
		uint64_t now, unsigned int ack_delay_exponent);

/* The ACK written is in a packet that was sent: nothing is pending. */
void tq_quic_ackr_sent(struct tq_quic_ackr *a);

/*
 * RFC 9000 13.2.4: the peer acknowledged a packet of ours carrying an
 * ACK whose largest was largest; stop acknowledging packets at or below
 * it and refuse them from now on.
 */
void tq_quic_ackr_forget(struct tq_quic_ackr *a, uint64_t largest);

/* An ACK frame's ack delay field in ns (RFC 9000 19.3), saturating. */
uint64_t tq_quic_ack_delay_ns(uint64_t field, unsigned int exponent);

#endif
