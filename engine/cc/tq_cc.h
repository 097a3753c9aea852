/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_CC_H
#define TQ_CC_H

/*
 * Congestion control shared by TCP and QUIC: an ops struct chosen per
 * connection.  Everything is in bytes and nanoseconds, and time is passed
 * in, so the same algorithm serves both transports and runs under a fake
 * clock in tests.  The transport owns loss detection and recovery; it tells
 * the algorithm what happened through these hooks.
 */

#include <stdbool.h>
#include <stdint.h>

struct tq_cc;

struct tq_cc_ops {
	const char *name;
	/* Reset state for a new connection (cwnd = initial window). */
	void (*init)(struct tq_cc *cc, uint64_t now);
	/*
	 * New data acknowledged outside recovery: acked bytes, the RTT sample
	 * of this ACK (0 if none), bytes in flight before the ACK.
	 */
	void (*on_ack)(struct tq_cc *cc, uint32_t acked, uint64_t rtt_ns,
			uint32_t in_flight, uint64_t now);
	/*
	 * Loss detected (3 dupacks, SACK or QUIC's packet threshold): enter
	 * recovery.  Called once per recovery episode.
	 */
	void (*on_congestion)(struct tq_cc *cc, uint32_t in_flight,
			uint64_t now);
	/* Recovery ended (all data outstanding at its start is acked). */
	void (*on_recovery_end)(struct tq_cc *cc, uint64_t now);
	/* Retransmission timeout: collapse to the loss window. */
	void (*on_rto)(struct tq_cc *cc, uint32_t in_flight, uint64_t now);
	/*
	 * A timeout or recovery turned out spurious (RFC 5682/RFC 4015 style
	 * undo); restore the state saved at on_congestion/on_rto.  Optional.
	 */
	void (*on_undo)(struct tq_cc *cc);
};

struct tq_cc_cubic {
	uint64_t epoch_start;	/* ns, 0: no epoch */
	uint32_t w_max;		/* bytes, before the last reduction */
	uint32_t w_last_max;	/* for fast convergence */
	uint32_t w_est;		/* Reno-friendly estimate, bytes */
	uint64_t k_ns;		/* time to reach w_max again */
	uint32_t cwnd_prior;
	uint64_t min_rtt_ns;
	uint32_t ack_bytes;	/* acked bytes not yet turned into growth */
};

struct tq_cc {
	const struct tq_cc_ops *ops;
	uint32_t mss;		/* sender max segment size, bytes */
	uint32_t cwnd;		/* bytes */
	uint32_t ssthresh;	/* bytes; UINT32_MAX: none yet */
	uint32_t init_cwnd_segs;/* initial window in segments (10) */
	uint32_t bytes_acked;	/* congestion avoidance accumulator */
	uint32_t prior_cwnd;	/* for undo */
	uint32_t prior_ssthresh;
	bool in_recovery;
	union {
		struct tq_cc_cubic cubic;
	};
};

extern const struct tq_cc_ops tq_cc_newreno;
extern const struct tq_cc_ops tq_cc_cubic;

/* Look an algorithm up by name ("newreno", "reno", "cubic"); NULL if none. */
const struct tq_cc_ops *tq_cc_find(const char *name);

/* Set ops and mss, then ops->init(). */
void tq_cc_init(struct tq_cc *cc, const struct tq_cc_ops *ops, uint32_t mss,
		uint64_t now);

#endif
