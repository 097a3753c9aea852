/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow control and stream limits (RFC 9000 4).  Limits are absolute
 * offsets (or counts) that only grow; an update goes out once half a
 * window is used, so the peer is never stalled waiting for it if it
 * arrives within half a window's time, and there is one frame per half
 * window rather than one per read.
 */
#include <string.h>

#include "tq_quic_fc.h"

#define NONE UINT64_MAX

void
tq_quic_fc_rx_init(struct tq_quic_fc_rx *fc, uint64_t window,
		uint64_t window_max, uint64_t now)
{
	memset(fc, 0, sizeof(*fc));
	fc->max = window;
	fc->window = window;
	fc->window_max = window_max > window ? window_max : window;
	fc->last_update = now;
}

enum tq_quic_err
tq_quic_fc_rx_data(struct tq_quic_fc_rx *fc, uint64_t end, uint64_t *newly)
{
	*newly = 0;
	if (end > fc->max)
		return TQ_QUIC_FLOW_CONTROL_ERROR;
	if (end > fc->highest) {
		*newly = end - fc->highest;
		fc->highest = end;
	}
	return TQ_QUIC_NO_ERROR;
}

enum tq_quic_err
tq_quic_fc_rx_add(struct tq_quic_fc_rx *fc, uint64_t n)
{
	if (n > fc->max - fc->highest)
		return TQ_QUIC_FLOW_CONTROL_ERROR;
	fc->highest += n;
	return TQ_QUIC_NO_ERROR;
}

void
tq_quic_fc_rx_consumed(struct tq_quic_fc_rx *fc, uint64_t n)
{
	fc->consumed += n;
	if (fc->consumed > fc->highest)
		fc->consumed = fc->highest;
}

bool
tq_quic_fc_rx_update(struct tq_quic_fc_rx *fc, uint64_t now, uint64_t srtt,
		uint64_t *max)
{
	if (fc->max - fc->consumed > fc->window / 2)
		return false;
	/*
	 * Half a window read within two RTTs of the last update: the app
	 * keeps up and the window, not the app, limits the peer (the
	 * kernel's receive buffer autotuning, quiche's autotune_window).
	 * Doubling each time such an update comes reaches the
	 * bandwidth-delay product in a few RTTs.
	 */
	if (now - fc->last_update < TQ_QUIC_FC_AUTOTUNE_RTTS * srtt &&
			fc->window < fc->window_max) {
		fc->window *= 2;
		if (fc->window > fc->window_max)
			fc->window = fc->window_max;
	}
	fc->last_update = now;
	if (fc->consumed + fc->window > TQ_QUIC_VARINT_MAX)
		return false;
	fc->max = fc->consumed + fc->window;
	*max = fc->max;
	return true;
}

void
tq_quic_fc_rx_ensure(struct tq_quic_fc_rx *fc, uint64_t min)
{
	if (fc->window >= min)
		return;
	fc->window = min;
	if (fc->window_max < min)
		fc->window_max = min;
}

void
tq_quic_fc_tx_init(struct tq_quic_fc_tx *fc, uint64_t max)
{
	fc->max = max;
	fc->sent = 0;
	fc->blocked_at = NONE;
}

void
tq_quic_fc_tx_sent(struct tq_quic_fc_tx *fc, uint64_t n)
{
	fc->sent += n;
}

bool
tq_quic_fc_tx_update(struct tq_quic_fc_tx *fc, uint64_t max)
{
	/* 4.1: a frame with a lower limit (reordered) has no effect */
	if (max <= fc->max)
		return false;
	fc->max = max;
	return true;
}

bool
tq_quic_fc_tx_blocked(const struct tq_quic_fc_tx *fc, uint64_t *limit)
{
	if (fc->sent < fc->max || fc->blocked_at == fc->max)
		return false;
	*limit = fc->max;
	return true;
}

void
tq_quic_fc_tx_blocked_sent(struct tq_quic_fc_tx *fc, uint64_t limit)
{
	fc->blocked_at = limit;
}

void
tq_quic_fc_tx_blocked_lost(struct tq_quic_fc_tx *fc, uint64_t limit)
{
	if (fc->blocked_at == limit)
		fc->blocked_at = NONE;
}

void
tq_quic_streams_init(struct tq_quic_streams *s, uint64_t window,
		uint64_t peer_limit)
{
	memset(s, 0, sizeof(*s));
	s->peer_max = window;
	s->peer_window = window;
	s->local_max = peer_limit;
	s->blocked_at = NONE;
}

enum tq_quic_err
tq_quic_streams_peer_open(struct tq_quic_streams *s, uint64_t index,
		uint64_t *newly)
{
	*newly = 0;
	if (index >= s->peer_max)
		return TQ_QUIC_STREAM_LIMIT_ERROR;
	if (index >= s->peer_opened) {
		*newly = index + 1 - s->peer_opened;
		s->peer_opened = index + 1;
	}
	return TQ_QUIC_NO_ERROR;
}

void
tq_quic_streams_peer_closed(struct tq_quic_streams *s)
{
	if (s->peer_closed < s->peer_opened)
		s->peer_closed++;
}

bool
tq_quic_streams_update(struct tq_quic_streams *s, uint64_t *max)
{
	uint64_t want = s->peer_closed + s->peer_window;
	uint64_t half = s->peer_window / 2 ? s->peer_window / 2 : 1;

	if (want > TQ_QUIC_MAX_STREAMS)
		want = TQ_QUIC_MAX_STREAMS;
	if (want <= s->peer_max || want - s->peer_max < half)
		return false;
	s->peer_max = want;
	*max = want;
	return true;
}

int64_t
tq_quic_streams_local_open(struct tq_quic_streams *s)
{
	if (s->local_opened >= s->local_max)
		return -EAGAIN;
	return (int64_t)s->local_opened++;
}

bool
tq_quic_streams_local_update(struct tq_quic_streams *s, uint64_t max)
{
	if (max <= s->local_max)
		return false;
	s->local_max = max;
	return true;
}

bool
tq_quic_streams_blocked(const struct tq_quic_streams *s, uint64_t *limit)
{
	if (s->local_opened < s->local_max || s->blocked_at == s->local_max)
		return false;
	*limit = s->local_max;
	return true;
}

void
tq_quic_streams_blocked_sent(struct tq_quic_streams *s, uint64_t limit)
{
	s->blocked_at = limit;
}
