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

/*
 * Delivery-rate estimation (draft-cheng-iccrg-delivery-rate-estimation),
 * which BBR's model is built from.  The transport keeps one tq_cc_rate
 * per connection and a tq_cc_pkt_rs in each sent-packet record, calls
 * tq_cc_rate_on_sent() as a packet goes out, tq_cc_rate_on_acked() for
 * each packet an ACK newly acknowledges, then tq_cc_rate_finish() and
 * passes the sample to ops->on_rate_sample.
 */
struct tq_cc_pkt_rs {
	uint64_t delivered;	/* C.delivered when it was sent */
	uint64_t delivered_time;/* C.delivered_time then */
	uint64_t first_sent_time; /* C.first_sent_time then */
	bool app_limited;	/* sent while the app held us back */
};

struct tq_cc_rate {
	uint64_t delivered;	/* bytes delivered so far */
	uint64_t delivered_time;/* ns of the last delivery */
	uint64_t first_sent_time; /* send time of the last acked packet */
	uint64_t app_limited;	/* delivered mark ending app-limited; 0: not */
};

struct tq_cc_rs {
	uint64_t delivery_rate;	/* bytes/s; 0: no valid sample */
	uint64_t delivered;	/* C.delivered after the ACK */
	uint64_t prior_delivered; /* of the newest packet acked, 0: none */
	uint64_t prior_time;	/* its delivered_time */
	uint64_t send_elapsed, ack_elapsed;
	uint64_t newest_sent;	/* send time of the newest packet acked */
	uint64_t rtt;		/* ns, of the newest packet acked; 0: none */
	uint32_t newly_acked;	/* bytes */
	uint32_t newly_lost;	/* bytes declared lost since the last sample */
	uint32_t prior_in_flight; /* bytes in flight before the ACK */
	bool is_app_limited;
	bool has_prior;		/* prior_* are set */
};

/* A packet goes out with in_flight bytes already in flight before it. */
void tq_cc_rate_on_sent(struct tq_cc_rate *r, struct tq_cc_pkt_rs *p,
		uint64_t in_flight, uint64_t now);
/* Start a sample for an ACK (zero it). */
void tq_cc_rate_begin(struct tq_cc_rs *rs, uint32_t prior_in_flight);
/* The ACK newly acknowledges a packet of size bytes sent at sent. */
void tq_cc_rate_on_acked(struct tq_cc_rate *r, struct tq_cc_rs *rs,
		const struct tq_cc_pkt_rs *p, uint32_t size, uint64_t sent,
		uint64_t now);
/*
 * Compute the rate.  min_rtt: the transport's (0: unknown); a sample
 * over a shorter interval is dropped (ACK compression inflates it).
 */
void tq_cc_rate_finish(struct tq_cc_rate *r, struct tq_cc_rs *rs,
		uint64_t min_rtt);
/* Nothing more to send though cwnd allows it: the samples of packets
 * sent from now until these in_flight bytes are delivered are
 * app-limited and cannot lower the bandwidth estimate. */
void tq_cc_rate_app_limited(struct tq_cc_rate *r, uint64_t in_flight);

/*
 * A token bucket for a transport that paces with a timer wheel rather
 * than a per-packet clock (TCP): the bucket refills from the burst's
 * time stamp at the rate and holds at most one quantum: the bytes the
 * rate gives per wheel tick (at least two segments, as Linux's fq
 * quantum) plus one segment for what a tick's sends leave of one.
 */
struct tq_cc_pace {
	uint64_t tokens;	/* bytes that may go now */
	uint64_t stamp;		/* ns of the last refill */
};

/* Bytes per quantum at rate bytes/s for ticks of tick_ns. */
uint32_t tq_cc_pace_quantum(uint64_t rate, uint64_t tick_ns, uint32_t mss);
/* Refill to now; returns the bytes that may go. */
uint64_t tq_cc_pace_avail(struct tq_cc_pace *p, uint64_t rate,
		uint32_t quantum, uint64_t now);
/* bytes went out (may overdraw: the bucket floors at zero). */
void tq_cc_pace_spend(struct tq_cc_pace *p, uint32_t bytes);
/* When need bytes will have accumulated, at rate, from now. */
uint64_t tq_cc_pace_next(const struct tq_cc_pace *p, uint64_t rate,
		uint32_t need, uint64_t now);

struct tq_cc_ops {
	const char *name;
	/* The app's number for it: enum tq_cc_algo (tachyon/tq_stream.h). */
	unsigned int id;
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
	/*
	 * A delivery-rate sample from an ACK that newly acknowledged data,
	 * in or out of recovery; in_flight is after the ACK and its losses.
	 * Optional: model-based algorithms (BBR) need it and do their work
	 * here rather than in on_ack.
	 */
	void (*on_rate_sample)(struct tq_cc *cc, const struct tq_cc_rs *rs,
			uint32_t in_flight, uint64_t now);
	/* The transport must feed on_rate_sample (BBR): one that does not
	 * must refuse the algorithm. */
	bool needs_rate_samples;
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

#define TQ_CC_BBR_BW_ROUNDS 10	/* BtlBwFilterLen, in round trips */

struct tq_cc_bbr {
	struct {
		uint64_t bw;	/* bytes/s, the round's max */
		uint64_t round;
	} bw_win[TQ_CC_BBR_BW_ROUNDS];
	uint64_t btl_bw;	/* bytes/s, the windowed max */
	uint64_t rtprop;	/* ns; UINT64_MAX: no sample */
	uint64_t rtprop_stamp;
	uint64_t round_count;
	uint64_t next_round_delivered;
	uint64_t full_bw;
	uint64_t cycle_stamp;
	uint64_t probe_rtt_done;	/* ns, 0: not yet timed */
	/* samples of packets sent before C.delivered reached this are
	 * PROBE_RTT's and cannot lower btl_bw */
	uint64_t probe_rtt_mark;
	uint64_t delivered;	/* C.delivered at the last sample */
	uint32_t prior_cwnd;	/* saved for recovery and PROBE_RTT */
	uint32_t pacing_gain;	/* x256 */
	uint32_t cwnd_gain;	/* x256 */
	uint8_t mode;
	uint8_t cycle_index;
	uint8_t full_bw_count;
	bool filled_pipe;
	bool round_start;
	bool probe_rtt_round_done;
	bool packet_conservation;
	uint64_t conservation_end;	/* round at which it stops */
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
	/*
	 * Bytes per second the transport paces at; 0: the algorithm sets
	 * none and the transport derives one from cwnd and its smoothed
	 * RTT (RFC 9002 7.7).  BBR sets it.
	 */
	uint64_t pacing_rate;
	union {
		struct tq_cc_cubic cubic;
		struct tq_cc_bbr bbr;
	};
};

extern const struct tq_cc_ops tq_cc_newreno;
extern const struct tq_cc_ops tq_cc_cubic;
extern const struct tq_cc_ops tq_cc_bbr;

/* Look an algorithm up by name ("newreno", "reno", "cubic", "bbr"); NULL
 * if none. */
const struct tq_cc_ops *tq_cc_find(const char *name);

/* The algorithm of enum tq_cc_algo id; NULL if none. */
const struct tq_cc_ops *tq_cc_by_id(unsigned int id);

/* Set ops and mss, then ops->init(). */
void tq_cc_init(struct tq_cc *cc, const struct tq_cc_ops *ops, uint32_t mss,
		uint64_t now);

/*
 * Change a running connection's algorithm (the app's TQ_OPT_CC, as
 * Linux's TCP_CONGESTION): the new one starts from its init() with the
 * window the path has shown so far: cwnd and ssthresh carry over, and
 * so does being in recovery (the transport still ends it); the old
 * algorithm's own state and what it kept for undo do not.  A pacing
 * rate the new one derives from its initial window (BBR) is scaled to
 * the carried cwnd.  Same ops: nothing changes.
 */
void tq_cc_switch(struct tq_cc *cc, const struct tq_cc_ops *ops,
		uint64_t now);

#endif
