/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_QUIC_RECOVERY_H
#define TQ_QUIC_RECOVERY_H

/*
 * QUIC loss detection and congestion control (RFC 9002), shaped after
 * its Appendix A and B pseudo-code: the sent packets of each packet
 * number space, what an ACK acknowledges, RTT estimation, loss by
 * packet and time thresholds, the probe timeout, persistent congestion,
 * ECN-CE, and the congestion controller of engine/cc driven from them.
 * Plus a pacer (7.7).  Pure: time in ns is passed in, no allocation past
 * init (the sent-packet records live in a caller's array), no locks.
 * See docs/quic.md, Connection internals.
 */

#include <stdbool.h>
#include <stdint.h>

#include "cc/tq_cc.h"
#include "tq_quic_ack.h"
#include "tq_quic_wire.h"

#define TQ_QUIC_NS_PER_MS UINT64_C(1000000)
/* RFC 9002 6.1.1, 6.1.2, 6.2.2, 7.6.1 */
#define TQ_QUIC_PACKET_THRESHOLD 3
#define TQ_QUIC_GRANULARITY TQ_QUIC_NS_PER_MS
#define TQ_QUIC_INITIAL_RTT (333 * TQ_QUIC_NS_PER_MS)
#define TQ_QUIC_PERSISTENT_CONGESTION_THRESHOLD 3
/* RFC 9000 13.4.2: packets marked ECT(0) before their fate is known */
#define TQ_QUIC_ECN_TESTING_PKTS 10
/* Backoff stops doubling here (2^16 PTOs: hours; the idle timeout
 * closes the connection long before). */
#define TQ_QUIC_PTO_SHIFT_MAX 16

/* A packet we sent, as recovery keeps it. */
struct tq_quic_sent {
	uint64_t pn;
	uint64_t time_sent;
	/* the Largest Acknowledged of an ACK frame it carried, or
	 * TQ_QUIC_PN_NONE: for tq_quic_ackr_forget() when it is acked */
	uint64_t ack_largest;
	void *handle;	/* the caller's: the frames it carried */
	uint32_t size;	/* bytes on the wire (UDP payload) */
	bool ack_eliciting;
	bool in_flight;	/* counts toward bytes in flight, cwnd */
	bool ecn;	/* sent marked ECT(0) (tq_quic_rec_ecn_mark()) */
	/* a PMTU probe: its loss says the path is narrower, not
	 * congested (RFC 9000 14.4): no congestion response */
	bool no_cc;
	uint8_t state;	/* private */
	struct tq_cc_pkt_rs rs;	/* private: delivery-rate state */
};

/* ECN on the path (RFC 9000 13.4.2). */
enum tq_quic_ecn_state {
	TQ_QUIC_ECN_OFF,	/* configured off, or validation failed */
	TQ_QUIC_ECN_TESTING,	/* marking the first packets */
	TQ_QUIC_ECN_UNKNOWN,	/* those sent, waiting for their counts */
	TQ_QUIC_ECN_CAPABLE,	/* validated: mark every packet */
};

/*
 * What becomes of sent packets.  Each is called once per record, from
 * within tq_quic_rec_on_ack() / _on_timeout() / _discard(); p is valid
 * only during the call.  on_lost: requeue the frames that need it;
 * on_acked: free them (and tq_quic_ackr_forget() with ack_largest);
 * on_discarded: their keys are gone, free them without resending.
 */
struct tq_quic_rec_ops {
	void (*on_acked)(void *arg, enum tq_quic_space sp,
			const struct tq_quic_sent *p);
	void (*on_lost)(void *arg, enum tq_quic_space sp,
			const struct tq_quic_sent *p);
	void (*on_discarded)(void *arg, enum tq_quic_space sp,
			const struct tq_quic_sent *p);
};

struct tq_quic_rec_space {
	struct tq_quic_sent *ring;
	uint32_t cap;
	uint32_t head;
	uint32_t count;		/* records from head, settled ones included */
	uint64_t largest_sent;	/* TQ_QUIC_PN_NONE */
	uint64_t largest_acked;	/* TQ_QUIC_PN_NONE */
	uint64_t loss_time;	/* 0: none */
	uint64_t last_elicit_time; /* last ack-eliciting sent, 0: none */
	uint32_t elicit_in_flight;
	struct tq_quic_ecn_counts ecn_peer; /* the peer's counts so far */
	uint64_t ect0_sent;	/* packets sent marked ECT(0) */
	bool discarded;
};

struct tq_quic_rec_stats {
	uint64_t lost;		/* packets declared lost */
	uint64_t lost_bytes;
	uint64_t pto;		/* probe timeouts */
	uint64_t congestion;	/* congestion events (loss or CE) */
	uint64_t ecn_ce;	/* of them, from ECN-CE */
	uint64_t persistent;	/* persistent congestion */
	uint64_t ecn_failed;	/* ECN validation failed (0 or 1) */
};

struct tq_quic_rec {
	struct tq_quic_rec_space sp[TQ_QUIC_SPACE_N];
	struct tq_cc cc;
	const struct tq_quic_rec_ops *ops;
	void *arg;
	/* RTT (5.3), ns */
	uint64_t latest_rtt;
	uint64_t smoothed_rtt;
	uint64_t rttvar;
	uint64_t min_rtt;
	uint64_t first_rtt_sample; /* when, 0 with has_rtt false */
	bool has_rtt;
	uint64_t max_ack_delay_ns; /* the peer's */
	uint32_t pto_count;
	uint64_t timer_base;	/* when A.8 would last have set the timer */
	uint32_t max_datagram;
	uint64_t bytes_in_flight;
	uint64_t recovery_start;
	bool in_recovery_period;
	/* Inputs the connection keeps current (see docs/quic.md). */
	bool is_server;
	bool handshake_confirmed;
	bool peer_validated;	/* client: the server validated our address */
	bool amp_blocked;	/* server: the 3x limit stops us sending */
	bool have_handshake_keys;
	enum tq_quic_ecn_state ecn_state;
	uint32_t ecn_testing_sent;
	uint32_t ecn_testing_lost;
	struct tq_quic_rec_stats stats;
	/* delivery-rate sampling for the cc (BBR) */
	struct tq_cc_rate rate;
	uint64_t rate_lost_mark;	/* stats.lost_bytes at the last sample */
};

struct tq_quic_rec_cfg {
	const struct tq_cc_ops *cc;	/* NULL: NewReno */
	uint32_t max_datagram;		/* the cc's mss */
	uint32_t init_cwnd_pkts;	/* 0: 10 */
	uint64_t max_ack_delay_ns;	/* 0: 25 ms until the peer says */
	bool is_server;
	bool ecn;			/* try ECN (validated, 13.4.2) */
	const struct tq_quic_rec_ops *ops;
	void *arg;
};

/*
 * Set up with sent-packet storage: cap records, split over the spaces
 * (an eighth each to Initial and Handshake, the rest to 1-RTT; at least
 * 4 each: -EINVAL below 12).
 */
int tq_quic_rec_init(struct tq_quic_rec *r, const struct tq_quic_rec_cfg *cfg,
		struct tq_quic_sent *storage, uint32_t cap, uint64_t now);

/* The peer's max_ack_delay, once its transport parameters are known. */
static inline void
tq_quic_rec_set_max_ack_delay(struct tq_quic_rec *r, uint64_t ns)
{
	r->max_ack_delay_ns = ns;
}

/*
 * A packet went out: p's pn, time_sent, size, flags, ack_largest and
 * handle are copied.  -EINVAL for a packet number not above the last
 * one of the space or a discarded space, -ENOBUFS when no record is
 * free (send nothing new in that space until ACKs or losses free some).
 */
int tq_quic_rec_on_sent(struct tq_quic_rec *r, enum tq_quic_space sp,
		const struct tq_quic_sent *p);

/* Whether to mark the next packet ECT(0): while testing the path's ECN
 * and once it is validated (RFC 9000 13.4.2). */
static inline bool
tq_quic_rec_ecn_mark(const struct tq_quic_rec *r)
{
	return r->ecn_state == TQ_QUIC_ECN_TESTING ||
		r->ecn_state == TQ_QUIC_ECN_CAPABLE;
}

/*
 * The sender had cwnd to spare and nothing to send: what goes out until
 * the bytes now in flight are delivered is app-limited, and its rate
 * samples do not lower the cc's bandwidth estimate.
 */
static inline void
tq_quic_rec_app_limited(struct tq_quic_rec *r)
{
	tq_cc_rate_app_limited(&r->rate, r->bytes_in_flight);
}

/* Whether a record is free in the space. */
bool tq_quic_rec_can_send(const struct tq_quic_rec *r, enum tq_quic_space sp);

/*
 * An ACK frame arrived in space sp.  ack_delay_ns: its delay field
 * decoded (tq_quic_ack_delay_ns()).  Returns TQ_QUIC_NO_ERROR, or
 * PROTOCOL_VIOLATION when it acknowledges a packet number we never sent
 * (RFC 9000 13.1).
 */
enum tq_quic_err tq_quic_rec_on_ack(struct tq_quic_rec *r,
		enum tq_quic_space sp, const struct tq_quic_frame_ack *ack,
		uint64_t ack_delay_ns, uint64_t now);

/* When the loss detection timer fires; UINT64_MAX: not armed.  Computed
 * from the state, so it is asked again after anything changed. */
uint64_t tq_quic_rec_timer(const struct tq_quic_rec *r, uint64_t now);

enum tq_quic_rec_timeout {
	TQ_QUIC_REC_NONE,	/* not due (a stale timer): nothing done */
	TQ_QUIC_REC_LOSS,	/* packets were declared lost */
	TQ_QUIC_REC_PTO,	/* send probes in *space */
};

/*
 * The timer fired (6.2.1, A.9): time-threshold losses are declared, or
 * pto_count goes up and the caller must send *probes (1 or 2)
 * ack-eliciting packets in *space, whatever the congestion window.
 */
enum tq_quic_rec_timeout tq_quic_rec_on_timeout(struct tq_quic_rec *r,
		uint64_t now, enum tq_quic_space *space, unsigned int *probes);

/* 6.4: the space's keys were discarded; its packets leave. */
void tq_quic_rec_discard(struct tq_quic_rec *r, enum tq_quic_space sp);
/* RFC 9001 4.6.2: 0-RTT refused, so every packet of sp in flight is
 * lost (on_lost, no congestion event); the space stays. */
void tq_quic_rec_lose_all(struct tq_quic_rec *r, enum tq_quic_space sp);

/* smoothed_rtt + max(4 rttvar, 1 ms): the PTO before max_ack_delay and
 * backoff (also 3 of them for closing and draining, RFC 9000 10.2). */
uint64_t tq_quic_rec_pto_base(const struct tq_quic_rec *r);

/* Bytes the congestion window lets us send now. */
static inline uint64_t
tq_quic_rec_cwnd_avail(const struct tq_quic_rec *r)
{
	return r->cc.cwnd > r->bytes_in_flight ?
		r->cc.cwnd - r->bytes_in_flight : 0;
}

/*
 * Pacing (RFC 9002 7.7): a token bucket filled at N * cwnd /
 * smoothed_rtt with N = 1.25, so a window goes out over 0.8 RTT rather
 * than in one burst; at most burst bytes accumulate (the initial window,
 * the burst 7.7 allows).
 */
struct tq_quic_pacer {
	uint64_t tokens;	/* bytes */
	uint64_t burst;
	uint64_t last;		/* ns of the last refill */
};

void tq_quic_pacer_init(struct tq_quic_pacer *p, uint64_t burst,
		uint64_t now);
/* The earliest time a packet of size bytes may go (<= now: at once). */
uint64_t tq_quic_pacer_next(struct tq_quic_pacer *p, uint64_t cwnd,
		uint64_t srtt, uint32_t size, uint64_t now);
/* The same at a rate the cc gives (bytes per second, BBR's pacing rate). */
uint64_t tq_quic_pacer_next_rate(struct tq_quic_pacer *p, uint64_t rate,
		uint32_t size, uint64_t now);
/* A packet of size bytes went out. */
void tq_quic_pacer_sent(struct tq_quic_pacer *p, uint32_t size);

#endif
