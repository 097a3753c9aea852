/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tq_quic_conn_info(): what recovery, the cc and the stream list hold,
 * in one copy for the control path (tq_quic_conn_info.h).  Apart from
 * the connection files so the telemetry does not reach into them.
 */
#include <string.h>

#include "cc/tq_cc.h"
#include "quic/tq_quic_conn_info.h"
#include "quic/tq_quic_conn_priv.h"

void
tq_quic_conn_info(const struct tq_quic_conn *c, struct tq_quic_conn_info *out)
{
	const struct tq_quic_rec *r = &c->rec;

	memset(out, 0, sizeof(*out));
	out->state = c->state;
	out->confirmed = c->confirmed;
	if (r->has_rtt) {
		out->srtt_ns = r->smoothed_rtt;
		out->rttvar_ns = r->rttvar;
	}
	out->cwnd = r->cc.cwnd;
	out->ssthresh = r->cc.ssthresh;
	out->inflight = r->bytes_in_flight;
	out->bytes_in = c->stats.bytes_in;
	out->bytes_out = c->stats.bytes_out;
	out->retransmits = c->stats.retransmits;
	out->lost = r->stats.lost;
	out->streams = c->nstreams;
	out->cc = r->cc.ops && r->cc.ops->name ? r->cc.ops->name : "newreno";
}
