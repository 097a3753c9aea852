/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Delivery-rate sampling, after draft-cheng-iccrg-delivery-rate-
 * estimation-02: each packet remembers how much had been delivered, and
 * when, as it left; its ACK then gives the bytes delivered over the
 * interval between the two, the larger of the send and the ACK
 * intervals so that neither a burst of sends nor a burst of ACKs
 * overstates the rate.
 */
#include "tq_cc.h"

#include <string.h>

#define NS_PER_S UINT64_C(1000000000)

void
tq_cc_rate_on_sent(struct tq_cc_rate *r, struct tq_cc_pkt_rs *p,
		uint64_t in_flight, uint64_t now)
{
	/* 3.2: an idle connection starts its intervals at this packet,
	 * not at the last ACK (which may be long ago). */
	if (in_flight == 0) {
		r->first_sent_time = now;
		r->delivered_time = now;
	}
	p->delivered = r->delivered;
	p->delivered_time = r->delivered_time;
	p->first_sent_time = r->first_sent_time;
	p->app_limited = r->app_limited != 0;
}

void
tq_cc_rate_begin(struct tq_cc_rs *rs, uint32_t prior_in_flight)
{
	memset(rs, 0, sizeof(*rs));
	rs->prior_in_flight = prior_in_flight;
}

void
tq_cc_rate_on_acked(struct tq_cc_rate *r, struct tq_cc_rs *rs,
		const struct tq_cc_pkt_rs *p, uint32_t size, uint64_t sent,
		uint64_t now)
{
	r->delivered += size;
	r->delivered_time = now;
	rs->newly_acked += size;
	/* 3.3: the sample follows the most recently sent packet acked */
	if (!rs->has_prior || p->delivered > rs->prior_delivered ||
			(p->delivered == rs->prior_delivered &&
			 sent > rs->newest_sent)) {
		rs->has_prior = true;
		rs->prior_delivered = p->delivered;
		rs->prior_time = p->delivered_time;
		rs->is_app_limited = p->app_limited;
		rs->send_elapsed = sent > p->first_sent_time ?
			sent - p->first_sent_time : 0;
		rs->ack_elapsed = now > p->delivered_time ?
			now - p->delivered_time : 0;
		rs->newest_sent = sent;
		rs->rtt = now > sent ? now - sent : 0;
		r->first_sent_time = sent;
	}
}

void
tq_cc_rate_finish(struct tq_cc_rate *r, struct tq_cc_rs *rs,
		uint64_t min_rtt)
{
	uint64_t interval;

	rs->delivered = r->delivered;
	/* 3.3: the app-limited stretch ends once its bytes are delivered */
	if (r->app_limited != 0 && r->delivered > r->app_limited)
		r->app_limited = 0;
	rs->delivery_rate = 0;
	if (!rs->has_prior)
		return;
	interval = rs->send_elapsed > rs->ack_elapsed ? rs->send_elapsed :
		rs->ack_elapsed;
	/* an interval shorter than the path's minimum RTT cannot be a full
	 * flight's worth: ACK compression or a stretch ACK */
	if (interval == 0 || (min_rtt != 0 && interval < min_rtt))
		return;
	rs->delivery_rate = (uint64_t)((unsigned __int128)(r->delivered -
				rs->prior_delivered) * NS_PER_S / interval);
}

void
tq_cc_rate_app_limited(struct tq_cc_rate *r, uint64_t in_flight)
{
	uint64_t mark = r->delivered + in_flight;

	r->app_limited = mark != 0 ? mark : 1;
}
