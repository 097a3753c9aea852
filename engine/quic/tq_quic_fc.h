/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_QUIC_FC_H
#define TQ_QUIC_FC_H

/*
 * QUIC flow control (RFC 9000 4): stream and connection data limits
 * both ways, with receive window autotuning, and stream count limits
 * (4.6).  Pure: no clock (now and srtt in ns are passed in), no
 * allocation, no locks.  See docs/quic.md, Connection internals.
 */

#include <stdbool.h>
#include <stdint.h>

#include "tq_quic_wire.h"

/* Autotuning doubles the window when updates come this many smoothed
 * RTTs apart or closer. */
#define TQ_QUIC_FC_AUTOTUNE_RTTS 2

/* ---- receiving: the limits we advertise ---- */

struct tq_quic_fc_rx {
	uint64_t max;		/* the limit advertised */
	uint64_t highest;	/* stream: highest offset; conn: their sum */
	uint64_t consumed;	/* read by the app */
	uint64_t window;
	uint64_t window_max;
	uint64_t last_update;	/* ns: init or the last limit update */
};

void tq_quic_fc_rx_init(struct tq_quic_fc_rx *fc, uint64_t window,
		uint64_t window_max, uint64_t now);

/*
 * Stream level: a frame's data ends at end.  Returns NO_ERROR with
 * *newly the growth of the highest offset (for the connection's count),
 * or FLOW_CONTROL_ERROR past the limit.
 */
enum tq_quic_err tq_quic_fc_rx_data(struct tq_quic_fc_rx *fc, uint64_t end,
		uint64_t *newly);

/* Connection level: n more bytes of new stream data; FLOW_CONTROL_ERROR
 * past the limit. */
enum tq_quic_err tq_quic_fc_rx_add(struct tq_quic_fc_rx *fc, uint64_t n);

/* The app read n bytes (or a reset stream's unread ones count as read). */
void tq_quic_fc_rx_consumed(struct tq_quic_fc_rx *fc, uint64_t n);

/*
 * Whether to send MAX_DATA / MAX_STREAM_DATA now: half the window is
 * consumed.  If so the limit moves to consumed + window, the window
 * first doubled (up to window_max) when the last update was less than
 * TQ_QUIC_FC_AUTOTUNE_RTTS smoothed RTTs ago, and *max is the value
 * to send.
 */
bool tq_quic_fc_rx_update(struct tq_quic_fc_rx *fc, uint64_t now,
		uint64_t srtt, uint64_t *max);

/* Keep the window at least min (the connection's above its streams'). */
void tq_quic_fc_rx_ensure(struct tq_quic_fc_rx *fc, uint64_t min);

/* ---- sending: the peer's limits ---- */

struct tq_quic_fc_tx {
	uint64_t max;		/* the peer's limit */
	uint64_t sent;		/* stream: highest offset; conn: their sum */
	uint64_t blocked_at;	/* the limit a *_BLOCKED was sent for */
};

void tq_quic_fc_tx_init(struct tq_quic_fc_tx *fc, uint64_t max);

static inline uint64_t
tq_quic_fc_tx_credit(const struct tq_quic_fc_tx *fc)
{
	return fc->max > fc->sent ? fc->max - fc->sent : 0;
}

/* n new bytes went out (the caller stayed within the credit). */
void tq_quic_fc_tx_sent(struct tq_quic_fc_tx *fc, uint64_t n);

/* MAX_DATA / MAX_STREAM_DATA: a limit never goes down (RFC 9000 4.1).
 * Returns whether it went up. */
bool tq_quic_fc_tx_update(struct tq_quic_fc_tx *fc, uint64_t max);

/* Whether to send DATA_BLOCKED / STREAM_DATA_BLOCKED, with *limit: no
 * credit, and not sent yet for this limit. */
bool tq_quic_fc_tx_blocked(const struct tq_quic_fc_tx *fc, uint64_t *limit);
void tq_quic_fc_tx_blocked_sent(struct tq_quic_fc_tx *fc, uint64_t limit);
/* The frame was lost: send it again if the limit is still the same. */
void tq_quic_fc_tx_blocked_lost(struct tq_quic_fc_tx *fc, uint64_t limit);

/* ---- stream counts (RFC 9000 4.6), one per type: bidi, uni ---- */

struct tq_quic_streams {
	/* opened by the peer, limited by us */
	uint64_t peer_max;	/* our MAX_STREAMS */
	uint64_t peer_opened;	/* highest index opened + 1 */
	uint64_t peer_closed;
	uint64_t peer_window;	/* streams the peer may have open */
	/* opened by us, limited by the peer */
	uint64_t local_max;	/* the peer's MAX_STREAMS */
	uint64_t local_opened;
	uint64_t blocked_at;
};

/* window: our limit on the peer's open streams; peer_limit: the
 * peer's initial_max_streams for us. */
void tq_quic_streams_init(struct tq_quic_streams *s, uint64_t window,
		uint64_t peer_limit);

/*
 * A frame names the peer's stream of this index (stream ID >> 2).
 * STREAM_LIMIT_ERROR at or past our limit; otherwise *newly is the
 * number of streams it opens (lower ones open with it: RFC 9000 3.2).
 */
enum tq_quic_err tq_quic_streams_peer_open(struct tq_quic_streams *s,
		uint64_t index, uint64_t *newly);

/* A peer stream is closed and its state freed. */
void tq_quic_streams_peer_closed(struct tq_quic_streams *s);

/* Whether to send MAX_STREAMS (*max): half the window's streams were
 * closed since the last one. */
bool tq_quic_streams_update(struct tq_quic_streams *s, uint64_t *max);

/* Open one of ours: its index, or -EAGAIN at the peer's limit. */
int64_t tq_quic_streams_local_open(struct tq_quic_streams *s);

/* The peer's MAX_STREAMS; whether it went up. */
bool tq_quic_streams_local_update(struct tq_quic_streams *s, uint64_t max);

/* Whether to send STREAMS_BLOCKED (*limit), once per limit. */
bool tq_quic_streams_blocked(const struct tq_quic_streams *s,
		uint64_t *limit);
void tq_quic_streams_blocked_sent(struct tq_quic_streams *s, uint64_t limit);

#endif
