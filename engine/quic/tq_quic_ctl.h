/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_QUIC_CTL_H
#define TQ_QUIC_CTL_H

/*
 * The QUIC module's control path: /tachyon/quic/conns (tq-ctl conns),
 * one worker and one page per call, walked on the worker.
 */

#include <stdbool.h>
#include <stdint.h>

#include <tachyon/tq_addr.h>

struct tq_shard;

struct tq_quic_conn_filter {
	int state;		/* enum tq_quic_conn_state; -1: any */
	uint16_t port;		/* local or peer; 0: any */
};

struct tq_quic_conn_row {
	struct tq_addr la, fa;
	uint16_t lport, fport;
	uint8_t state;		/* enum tq_quic_conn_state */
	bool client;
	/* the u64 columns, in the order tq_quic_ctl.c lists them */
	uint64_t rtt_us, rttvar_us, cwnd, ssthresh, inflight;
	uint64_t bytes_in, bytes_out, retrans, lost, streams;
	char cc[16];
};

/*
 * Up to max rows of the shard's QUIC connections matching f, walking
 * its CID table from slot *cursor (at most 65536 slots per call); the
 * next page starts at the new *cursor, *end says the table is done.  A
 * connection opened or closed between pages may be missed or listed
 * twice (its CIDs move), as ss's dump.  On the worker.
 */
unsigned int tq_quic_conns_walk(struct tq_shard *s,
		const struct tq_quic_conn_filter *f, uint32_t *cursor,
		bool *end, struct tq_quic_conn_row *rows, unsigned int max);

/* The QUIC state's name as tq-ctl shows it; -1 from the parse for a
 * name that is none. */
const char *tq_quic_state_ss_name(unsigned int st);
int tq_quic_state_by_name(const char *name);

/* Registers /tachyon/quic/conns (the module's telemetry hook). */
void tq_quic_telemetry(void);

#endif
