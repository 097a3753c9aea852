/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_QUIC_CONN_INFO_H
#define TQ_QUIC_CONN_INFO_H

/*
 * A connection's figures as tq-ctl conns shows them (docs/quic.md,
 * Observability): read on its worker, between packets.
 */

#include <stdint.h>

#include "quic/tq_quic_conn.h"

struct tq_quic_conn_info {
	enum tq_quic_conn_state state;
	bool confirmed;
	uint64_t srtt_ns, rttvar_ns;	/* 0 before the first sample */
	uint32_t cwnd, ssthresh;	/* bytes; ssthresh UINT32_MAX: none */
	uint64_t inflight;		/* bytes in flight */
	uint64_t bytes_in, bytes_out;	/* datagram bytes */
	uint64_t retransmits;		/* packets whose frames were resent */
	uint64_t lost;			/* packets declared lost */
	uint32_t streams;		/* open */
	const char *cc;			/* the congestion control's name */
};

void tq_quic_conn_info(const struct tq_quic_conn *c,
		struct tq_quic_conn_info *out);

#endif
