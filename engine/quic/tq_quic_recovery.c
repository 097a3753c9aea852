/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RFC 9002 loss detection and congestion control.  The structure is the
 * RFC's Appendix A/B pseudo-code; what differs is storage: the sent
 * packets of a space are a ring in packet number order, and a record
 * acked or lost out of order stays in place, settled, until the ring's
 * head passes it.  Packet numbers only grow, so a range of an ACK is
 * found by binary search and walked in order, and loss detection walks
 * the ring from its head, where the old packets are.
 */
#include <string.h>

#include "tq_quic_recovery.h"

enum {
	SENT_LIVE = 0,
	SENT_ACKED,
	SENT_LOST,
};

static inline struct tq_quic_sent *
ring_at(const struct tq_quic_rec_space *s, uint32_t i)
{
	uint32_t k = s->head + i;

	if (k >= s->cap)
		k -= s->cap;
	return &s->ring[k];
}

/* Drop settled records from the head. */
static void
ring_pop(struct tq_quic_rec_space *s)
{
	while (s->count > 0 && s->ring[s->head].state != SENT_LIVE) {
		s->head = s->head + 1 == s->cap ? 0 : s->head + 1;
		s->count--;
	}
}

/* Index of the first record with pn >= want (count if none). */
static uint32_t
ring_lower_bound(const struct tq_quic_rec_space *s, uint64_t want)
{
	uint32_t lo = 0, hi = s->count;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (ring_at(s, mid)->pn < want)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static inline uint64_t
u64_max(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static inline uint64_t
u64_min(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static inline uint32_t
clamp32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

int
tq_quic_rec_init(struct tq_quic_rec *r, const struct tq_quic_rec_cfg *cfg,
		struct tq_quic_sent *storage, uint32_t cap, uint64_t now)
{
	uint32_t small = cap / 8;
	int i;

	if (cap < 12 || storage == NULL || cfg == NULL || cfg->ops == NULL)
		return -EINVAL;
	if (small < 4)
		small = 4;
	memset(r, 0, sizeof(*r));
	r->sp[TQ_QUIC_SPACE_INITIAL].ring = storage;
	r->sp[TQ_QUIC_SPACE_INITIAL].cap = small;
	r->sp[TQ_QUIC_SPACE_HANDSHAKE].ring = storage + small;
	r->sp[TQ_QUIC_SPACE_HANDSHAKE].cap = small;
	r->sp[TQ_QUIC_SPACE_APP].ring = storage + 2 * small;
	r->sp[TQ_QUIC_SPACE_APP].cap = cap - 2 * small;
	for (i = 0; i < TQ_QUIC_SPACE_N; i++) {
		r->sp[i].largest_sent = TQ_QUIC_PN_NONE;
		r->sp[i].largest_acked = TQ_QUIC_PN_NONE;
	}
	r->ops = cfg->ops;
	r->arg = cfg->arg;
	r->is_server = cfg->is_server;
	r->max_datagram = cfg->max_datagram ? cfg->max_datagram : 1200;
	r->max_ack_delay_ns = cfg->max_ack_delay_ns ? cfg->max_ack_delay_ns :
		TQ_QUIC_TP_DEFAULT_MAX_ACK_DELAY * TQ_QUIC_NS_PER_MS;
	/* 5.3: before any sample */
	r->smoothed_rtt = TQ_QUIC_INITIAL_RTT;
	r->rttvar = TQ_QUIC_INITIAL_RTT / 2;
	/* 7.2: the initial window is 10 datagrams (the 14720-byte cap of
	 * the RFC applies to 1472-byte ones, which is the same here) */
	r->ecn_state = cfg->ecn ? TQ_QUIC_ECN_TESTING : TQ_QUIC_ECN_OFF;
	r->cc.init_cwnd_segs = cfg->init_cwnd_pkts;
	tq_cc_init(&r->cc, cfg->cc, r->max_datagram, now);
	return 0;
}

bool
tq_quic_rec_can_send(const struct tq_quic_rec *r, enum tq_quic_space sp)
{
	const struct tq_quic_rec_space *s = &r->sp[sp];

	return !s->discarded && s->count < s->cap;
}

int
tq_quic_rec_on_sent(struct tq_quic_rec *r, enum tq_quic_space sp,
		const struct tq_quic_sent *p)
{
	struct tq_quic_rec_space *s = &r->sp[sp];
	struct tq_quic_sent *e;

	if (s->discarded || p->pn > TQ_QUIC_PN_MAX ||
			(s->largest_sent != TQ_QUIC_PN_NONE &&
			 p->pn <= s->largest_sent))
		return -EINVAL;
	ring_pop(s);
	if (s->count == s->cap)
		return -ENOBUFS;
	e = ring_at(s, s->count);
	*e = *p;
	e->state = SENT_LIVE;
	/* RFC 9002 2: ack-eliciting packets are always in flight */
	if (e->ack_eliciting)
		e->in_flight = true;
	s->count++;
	s->largest_sent = p->pn;
	r->timer_base = p->time_sent;
	if (e->in_flight) {
		tq_cc_rate_on_sent(&r->rate, &e->rs, r->bytes_in_flight,
				p->time_sent);
		r->bytes_in_flight += e->size;
	}
	if (e->ack_eliciting) {
		s->last_elicit_time = p->time_sent;
		s->elicit_in_flight++;
	}
	if (e->ecn) {
		s->ect0_sent++;
		if (r->ecn_state == TQ_QUIC_ECN_TESTING &&
				++r->ecn_testing_sent >=
				TQ_QUIC_ECN_TESTING_PKTS)
			r->ecn_state = TQ_QUIC_ECN_UNKNOWN;
	}
	return 0;
}

/* A live record leaves flight: acked, lost or discarded. */
static void
sent_settle(struct tq_quic_rec *r, struct tq_quic_rec_space *s,
		struct tq_quic_sent *e, uint8_t state)
{
	e->state = state;
	if (e->in_flight)
		r->bytes_in_flight -= u64_min(r->bytes_in_flight, e->size);
	if (e->ack_eliciting && s->elicit_in_flight > 0)
		s->elicit_in_flight--;
}

uint64_t
tq_quic_rec_pto_base(const struct tq_quic_rec *r)
{
	return r->smoothed_rtt + u64_max(4 * r->rttvar, TQ_QUIC_GRANULARITY);
}

/* RFC 9002 5.3 */
static void
rtt_update(struct tq_quic_rec *r, enum tq_quic_space sp, uint64_t latest,
		uint64_t ack_delay, uint64_t now)
{
	uint64_t adjusted, diff;

	r->latest_rtt = latest;
	if (!r->has_rtt) {
		r->has_rtt = true;
		r->first_rtt_sample = now;
		r->min_rtt = latest;
		r->smoothed_rtt = latest;
		r->rttvar = latest / 2;
		return;
	}
	/* min_rtt is the raw sample: ack delay is never taken off it */
	r->min_rtt = u64_min(r->min_rtt, latest);
	/*
	 * The peer's ack delay: Initial ACKs are sent at once, so theirs is
	 * ignored (5.3 allows it; the peer sends 0 anyway).  Until the
	 * handshake is confirmed the peer may delay more than its
	 * max_ack_delay, so it is not capped; after, it is.
	 */
	if (sp == TQ_QUIC_SPACE_INITIAL)
		ack_delay = 0;
	else if (r->handshake_confirmed)
		ack_delay = u64_min(ack_delay, r->max_ack_delay_ns);
	adjusted = latest;
	if (latest >= r->min_rtt + ack_delay)
		adjusted = latest - ack_delay;
	diff = r->smoothed_rtt > adjusted ? r->smoothed_rtt - adjusted :
		adjusted - r->smoothed_rtt;
	r->rttvar = (3 * r->rttvar + diff) / 4;
	r->smoothed_rtt = (7 * r->smoothed_rtt + adjusted) / 8;
}

static bool
peer_completed_addr_validation(const struct tq_quic_rec *r)
{
	/* A.6: servers are assumed validated by their client; a client
	 * learns it from a Handshake ACK or the handshake's confirmation. */
	return r->is_server || r->peer_validated || r->handshake_confirmed;
}

/* B.6 OnCongestionEvent: once per recovery period. */
static bool
congestion_event(struct tq_quic_rec *r, uint64_t sent_time, uint64_t now)
{
	if (r->in_recovery_period && sent_time <= r->recovery_start)
		return false;
	/*
	 * A new period ends the old one.  engine/cc's algorithms ignore a
	 * second on_congestion while they think they are recovering (TCP
	 * ends recovery on the full ACK first); QUIC's period is
	 * delimited by time, so the old one is closed here.
	 */
	if (r->cc.in_recovery)
		r->cc.ops->on_recovery_end(&r->cc, now);
	r->in_recovery_period = true;
	r->recovery_start = now;
	r->cc.ops->on_congestion(&r->cc, clamp32(r->bytes_in_flight), now);
	r->stats.congestion++;
	return true;
}

/*
 * A.10 DetectAndRemoveLostPackets, B.8 and OnPacketsLost for one space.
 * Returns whether any in-flight packet was lost; *cong is set when that
 * started a congestion event.
 */
static bool
detect_lost(struct tq_quic_rec *r, enum tq_quic_space sp, uint64_t now,
		bool *cong)
{
	struct tq_quic_rec_space *s = &r->sp[sp];
	uint64_t loss_delay, pc_duration, run_start = UINT64_MAX;
	uint64_t last_lost_time = 0, flight_before = r->bytes_in_flight;
	bool lost_in_flight = false, persistent = false;
	uint32_t i;

	*cong = false;
	s->loss_time = 0;
	if (s->largest_acked == TQ_QUIC_PN_NONE)
		return false;
	/* 6.1.2: 9/8 of the larger of latest and smoothed, >= 1 ms */
	loss_delay = u64_max(r->latest_rtt, r->smoothed_rtt);
	loss_delay += loss_delay / 8;
	loss_delay = u64_max(loss_delay, TQ_QUIC_GRANULARITY);
	/* 7.6.1 */
	pc_duration = (tq_quic_rec_pto_base(r) + r->max_ack_delay_ns) *
		TQ_QUIC_PERSISTENT_CONGESTION_THRESHOLD;

	for (i = 0; i < s->count; i++) {
		struct tq_quic_sent *e = ring_at(s, i);

		if (e->pn > s->largest_acked)
			break;
		if (e->state == SENT_ACKED) {
			/* 7.6.2: an acknowledged packet between two lost
			 * ones means the path delivered in between */
			run_start = UINT64_MAX;
			continue;
		}
		if (e->state != SENT_LIVE)
			continue;
		if (e->time_sent + loss_delay > now &&
				s->largest_acked < e->pn +
				TQ_QUIC_PACKET_THRESHOLD) {
			uint64_t t = e->time_sent + loss_delay;

			if (s->loss_time == 0 || t < s->loss_time)
				s->loss_time = t;
			continue;
		}
		sent_settle(r, s, e, SENT_LOST);
		r->stats.lost++;
		r->stats.lost_bytes += e->size;
		if (e->ecn && ++r->ecn_testing_lost >=
				TQ_QUIC_ECN_TESTING_PKTS &&
				r->ecn_state == TQ_QUIC_ECN_UNKNOWN) {
			/* 13.4.2: every marked test packet lost, a path
			 * that drops ECT: stop marking */
			r->ecn_state = TQ_QUIC_ECN_OFF;
			r->stats.ecn_failed++;
		}
		if (e->in_flight && !e->no_cc) {
			lost_in_flight = true;
			last_lost_time = u64_max(last_lost_time, e->time_sent);
		}
		/* 7.6.2: only ack-eliciting packets sent after the first RTT
		 * sample, spanning more than the duration */
		if (e->ack_eliciting && !e->no_cc && r->has_rtt &&
				e->time_sent > r->first_rtt_sample) {
			if (run_start == UINT64_MAX)
				run_start = e->time_sent;
			else if (e->time_sent - run_start > pc_duration)
				persistent = true;
		}
		r->ops->on_lost(r->arg, sp, e);
	}
	ring_pop(s);
	if (!lost_in_flight)
		return false;
	/* on_congestion sees the bytes in flight with the lost ones, as
	 * TCP's FlightSize includes the segments it is about to resend */
	{
		uint64_t after = r->bytes_in_flight;

		r->bytes_in_flight = flight_before;
		*cong = congestion_event(r, last_lost_time, now);
		r->bytes_in_flight = after;
	}
	if (persistent) {
		/* 7.6.2: collapse to the minimum window, as TCP after a
		 * timeout; the minimum window is 2 datagrams (7.2) where
		 * TCP's loss window is one segment */
		r->cc.ops->on_rto(&r->cc, clamp32(flight_before), now);
		if (r->cc.cwnd < 2 * r->cc.mss)
			r->cc.cwnd = 2 * r->cc.mss;
		r->in_recovery_period = false;
		r->stats.persistent++;
	}
	return true;
}

static void
ecn_fail(struct tq_quic_rec *r)
{
	if (r->ecn_state == TQ_QUIC_ECN_OFF)
		return;
	r->ecn_state = TQ_QUIC_ECN_OFF;
	r->stats.ecn_failed++;
}

/*
 * RFC 9000 13.4.2.1: the peer's counts must account for the marked
 * packets this ACK newly acknowledges (as ECT(0) or CE), never go down
 * and never pass what we sent; a path or peer that bleaches, drops or
 * invents marks fails and ECN is off from then on.  Only an ACK that
 * raises the largest acknowledged is judged: a reordered older one
 * carries older counts.  Returns whether the CE count went up.
 */
static bool
ecn_validate(struct tq_quic_rec *r, struct tq_quic_rec_space *s,
		const struct tq_quic_frame_ack *ack, uint64_t newly_marked)
{
	const struct tq_quic_ecn_counts *c = &ack->counts;
	struct tq_quic_ecn_counts *p = &s->ecn_peer;
	bool ce_up;

	if (r->ecn_state == TQ_QUIC_ECN_OFF)
		return false;
	if (!ack->ecn) {
		if (newly_marked > 0)
			ecn_fail(r);
		return false;
	}
	if (c->ect0 < p->ect0 || c->ect1 < p->ect1 || c->ce < p->ce ||
			(c->ect0 - p->ect0) + (c->ce - p->ce) < newly_marked ||
			c->ect0 > s->ect0_sent || c->ect1 > 0) {
		/* we never send ECT(1) */
		ecn_fail(r);
		return false;
	}
	ce_up = c->ce > p->ce;
	*p = *c;
	if (newly_marked > 0 && r->ecn_state != TQ_QUIC_ECN_CAPABLE)
		r->ecn_state = TQ_QUIC_ECN_CAPABLE;
	return ce_up;
}

enum tq_quic_err
tq_quic_rec_on_ack(struct tq_quic_rec *r, enum tq_quic_space sp,
		const struct tq_quic_frame_ack *ack, uint64_t ack_delay_ns,
		uint64_t now)
{
	struct tq_quic_rec_space *s = &r->sp[sp];
	struct tq_quic_ack_iter it;
	struct tq_quic_ack_range rg;
	uint64_t largest_time = 0, grow_bytes = 0;
	uint64_t flight_before = r->bytes_in_flight;
	bool largest_new = false, elicit_new = false, any_new = false;
	bool recovery_over = false, cong = false, loss_cong, raises;
	uint64_t newly_marked = 0;
	struct tq_cc_rs rs;

	if (s->discarded)
		return TQ_QUIC_NO_ERROR;
	if (s->largest_sent == TQ_QUIC_PN_NONE || ack->largest > s->largest_sent)
		return TQ_QUIC_PROTOCOL_VIOLATION;
	r->timer_base = now;
	raises = s->largest_acked == TQ_QUIC_PN_NONE ||
		ack->largest > s->largest_acked;
	if (raises)
		s->largest_acked = ack->largest;

	tq_cc_rate_begin(&rs, clamp32(flight_before));
	tq_quic_ack_iter_init(&it, ack);
	while (tq_quic_ack_iter_next(&it, &rg)) {
		uint32_t i = ring_lower_bound(s, rg.smallest);

		for (; i < s->count; i++) {
			struct tq_quic_sent *e = ring_at(s, i);

			if (e->pn > rg.largest)
				break;
			if (e->state != SENT_LIVE)
				continue;
			any_new = true;
			if (e->pn == ack->largest) {
				largest_new = true;
				largest_time = e->time_sent;
			}
			if (e->ack_eliciting)
				elicit_new = true;
			if (e->ecn)
				newly_marked++;
			sent_settle(r, s, e, SENT_ACKED);
			if (e->in_flight)
				tq_cc_rate_on_acked(&r->rate, &rs, &e->rs,
						e->size, e->time_sent, now);
			if (e->in_flight && (!r->in_recovery_period ||
					e->time_sent > r->recovery_start)) {
				/* 7.3.2: a packet sent during recovery is
				 * acknowledged: the period is over */
				if (r->in_recovery_period)
					recovery_over = true;
				grow_bytes += e->size;
			}
			r->ops->on_acked(r->arg, sp, e);
		}
	}
	if (!any_new)
		return TQ_QUIC_NO_ERROR;
	/* 5.1: a sample only when the largest is newly acknowledged and
	 * something ack-eliciting is among what is */
	if (largest_new && elicit_new && now >= largest_time)
		rtt_update(r, sp, now - largest_time, ack_delay_ns, now);
	/* 7.1 / B.7: more CE marks reported, from validated counts, are a
	 * congestion signal */
	if (raises && ecn_validate(r, s, ack, newly_marked)) {
		if (largest_new && congestion_event(r, largest_time, now)) {
			cong = true;
			r->stats.ecn_ce++;
		}
	}
	if (detect_lost(r, sp, now, &loss_cong) && loss_cong)
		cong = true;
	if (cong) {
		grow_bytes = 0;
	} else if (recovery_over) {
		r->in_recovery_period = false;
		if (r->cc.in_recovery)
			r->cc.ops->on_recovery_end(&r->cc, now);
	}
	ring_pop(s);
	if (r->cc.ops->on_rate_sample && rs.newly_acked > 0) {
		rs.newly_lost = clamp32(r->stats.lost_bytes -
				r->rate_lost_mark);
		r->rate_lost_mark = r->stats.lost_bytes;
		tq_cc_rate_finish(&r->rate, &rs, r->has_rtt ? r->min_rtt : 0);
		r->cc.ops->on_rate_sample(&r->cc, &rs,
				clamp32(r->bytes_in_flight), now);
	}
	/*
	 * 7.8: grow only while cwnd is what limits us (at least half used,
	 * in whole datagrams, the rule TCP applies too); growth on ACKs of
	 * a sender the app held back says nothing about the path.
	 */
	if (grow_bytes > 0 &&
			(flight_before + r->cc.mss - 1) / r->cc.mss * r->cc.mss *
			2 >= r->cc.cwnd)
		r->cc.ops->on_ack(&r->cc, clamp32(grow_bytes),
				largest_new && elicit_new ? r->latest_rtt : 0,
				clamp32(flight_before), now);
	/* A.7: the backoff ends once the peer has shown it hears us (a
	 * client's Initial ACK before validation does not show that) */
	if (peer_completed_addr_validation(r))
		r->pto_count = 0;
	return TQ_QUIC_NO_ERROR;
}

/* The space with the earliest loss time; false if none. */
static bool
loss_time_space(const struct tq_quic_rec *r, uint64_t *t,
		enum tq_quic_space *sp)
{
	bool found = false;
	int i;

	for (i = 0; i < TQ_QUIC_SPACE_N; i++) {
		const struct tq_quic_rec_space *s = &r->sp[i];

		if (s->loss_time == 0)
			continue;
		if (!found || s->loss_time < *t) {
			*t = s->loss_time;
			*sp = (enum tq_quic_space)i;
			found = true;
		}
	}
	return found;
}

static uint64_t
elicit_in_flight(const struct tq_quic_rec *r)
{
	return (uint64_t)r->sp[0].elicit_in_flight + r->sp[1].elicit_in_flight +
		r->sp[2].elicit_in_flight;
}

/* A.8 GetPtoTimeAndSpace; false when no PTO applies. */
static bool
pto_time_space(const struct tq_quic_rec *r, uint64_t now, uint64_t *t,
		enum tq_quic_space *sp)
{
	uint32_t shift = r->pto_count < TQ_QUIC_PTO_SHIFT_MAX ?
		r->pto_count : TQ_QUIC_PTO_SHIFT_MAX;
	uint64_t duration = tq_quic_rec_pto_base(r) << shift;
	bool found = false;
	int i;

	if (elicit_in_flight(r) == 0) {
		/* anti-deadlock (6.2.2.1): a client not yet validated
		 * probes, with Handshake if it can, a PTO after the timer
		 * was last set (A.8 arms it from now at each send, ACK
		 * and timeout) */
		*t = r->timer_base + duration;
		*sp = r->have_handshake_keys ? TQ_QUIC_SPACE_HANDSHAKE :
			TQ_QUIC_SPACE_INITIAL;
		return true;
	}
	for (i = 0; i < TQ_QUIC_SPACE_N; i++) {
		const struct tq_quic_rec_space *s = &r->sp[i];
		uint64_t d = duration, ti;

		if (s->elicit_in_flight == 0)
			continue;
		if (i == TQ_QUIC_SPACE_APP) {
			/* 6.2.1: no 1-RTT PTO before the handshake is
			 * confirmed; the handshake spaces probe instead */
			if (!r->handshake_confirmed)
				break;
			d += r->max_ack_delay_ns << shift;
		}
		ti = s->last_elicit_time + d;
		if (!found || ti < *t) {
			*t = ti;
			*sp = (enum tq_quic_space)i;
			found = true;
		}
	}
	return found;
}

uint64_t
tq_quic_rec_timer(const struct tq_quic_rec *r, uint64_t now)
{
	enum tq_quic_space sp;
	uint64_t t = 0;

	if (loss_time_space(r, &t, &sp))
		return t;
	/* 6.2.2.1: a server blocked by the amplification limit could not
	 * send a probe anyway; receiving re-arms it */
	if (r->is_server && r->amp_blocked)
		return UINT64_MAX;
	if (elicit_in_flight(r) == 0 && peer_completed_addr_validation(r))
		return UINT64_MAX;
	if (!pto_time_space(r, now, &t, &sp))
		return UINT64_MAX;
	return t;
}

enum tq_quic_rec_timeout
tq_quic_rec_on_timeout(struct tq_quic_rec *r, uint64_t now,
		enum tq_quic_space *space, unsigned int *probes)
{
	enum tq_quic_space sp;
	uint64_t t = 0;
	bool cong;

	if (tq_quic_rec_timer(r, now) > now)
		return TQ_QUIC_REC_NONE;
	if (loss_time_space(r, &t, &sp)) {
		r->timer_base = now;
		detect_lost(r, sp, now, &cong);
		*space = sp;
		*probes = 0;
		return TQ_QUIC_REC_LOSS;
	}
	if (!pto_time_space(r, now, &t, &sp))
		return TQ_QUIC_REC_NONE;
	r->pto_count++;
	r->stats.pto++;
	r->timer_base = now;
	*space = sp;
	/* 6.2.4: two probes make a single loss less likely to need
	 * another timeout; the anti-deadlock probe is one packet */
	*probes = elicit_in_flight(r) == 0 ? 1 : 2;
	return TQ_QUIC_REC_PTO;
}

void
tq_quic_rec_discard(struct tq_quic_rec *r, enum tq_quic_space sp)
{
	struct tq_quic_rec_space *s = &r->sp[sp];
	uint32_t i;

	if (s->discarded)
		return;
	for (i = 0; i < s->count; i++) {
		struct tq_quic_sent *e = ring_at(s, i);

		if (e->state != SENT_LIVE)
			continue;
		sent_settle(r, s, e, SENT_LOST);
		if (r->ops->on_discarded != NULL)
			r->ops->on_discarded(r->arg, sp, e);
	}
	s->head = 0;
	s->count = 0;
	s->loss_time = 0;
	s->last_elicit_time = 0;
	s->elicit_in_flight = 0;
	s->discarded = true;
	/* 6.4 / A.11 */
	r->pto_count = 0;
}

void
tq_quic_rec_lose_all(struct tq_quic_rec *r, enum tq_quic_space sp)
{
	struct tq_quic_rec_space *s = &r->sp[sp];
	uint32_t i;

	for (i = 0; i < s->count; i++) {
		struct tq_quic_sent *e = ring_at(s, i);

		if (e->state != SENT_LIVE)
			continue;
		sent_settle(r, s, e, SENT_LOST);
		if (r->ops->on_lost != NULL)
			r->ops->on_lost(r->arg, sp, e);
	}
	s->head = 0;
	s->count = 0;
	s->loss_time = 0;
	s->elicit_in_flight = 0;
	r->pto_count = 0;
}

/* ---- pacing ---- */

#define NS_PER_S UINT64_C(1000000000)

void
tq_quic_pacer_init(struct tq_quic_pacer *p, uint64_t burst, uint64_t now)
{
	p->burst = burst;
	p->tokens = burst;
	p->last = now;
}

uint64_t
tq_quic_pacer_next(struct tq_quic_pacer *p, uint64_t cwnd, uint64_t srtt,
		uint32_t size, uint64_t now)
{
	unsigned __int128 add, need;

	if (srtt == 0 || cwnd == 0) {
		p->tokens = p->burst;
		p->last = now;
		return now;
	}
	if (now > p->last) {
		/* rate = 1.25 * cwnd / srtt = 5 cwnd / (4 srtt) bytes/ns */
		add = (unsigned __int128)(now - p->last) * 5 * cwnd /
			(4 * (unsigned __int128)srtt);
		p->tokens = add >= p->burst - p->tokens ? p->burst :
			p->tokens + (uint64_t)add;
		p->last = now;
	}
	if (p->tokens >= size || p->tokens >= p->burst)
		return now;
	need = (unsigned __int128)(size - p->tokens) * 4 * srtt;
	return now + (uint64_t)((need + 5 * (unsigned __int128)cwnd - 1) /
			(5 * (unsigned __int128)cwnd));
}

uint64_t
tq_quic_pacer_next_rate(struct tq_quic_pacer *p, uint64_t rate, uint32_t size,
		uint64_t now)
{
	unsigned __int128 add, need;

	if (rate == 0) {
		p->tokens = p->burst;
		p->last = now;
		return now;
	}
	if (now > p->last) {
		add = (unsigned __int128)(now - p->last) * rate / NS_PER_S;
		p->tokens = add >= p->burst - p->tokens ? p->burst :
			p->tokens + (uint64_t)add;
		p->last = now;
	}
	if (p->tokens >= size || p->tokens >= p->burst)
		return now;
	need = (unsigned __int128)(size - p->tokens) * NS_PER_S;
	return now + (uint64_t)((need + rate - 1) / rate);
}

void
tq_quic_pacer_sent(struct tq_quic_pacer *p, uint32_t size)
{
	p->tokens = p->tokens > size ? p->tokens - size : 0;
}
