/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QUIC transport parameters (engine/quic/tq_quic_tp.c) alone: no host,
 * no EAL.  Input:
 *
 *   [ctl][transport parameters...]
 *
 * ctl bit 0: the parameters are the server's (else the client's).  What
 * decodes must satisfy the limits of RFC 9000 18.2, encode again in the
 * same role, and decode from that to parameters that encode to the same
 * bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "quic/tq_quic_wire.h"

#include "fuzz_common.h"

int tq_fuzz_quic_tp_one(const uint8_t *d, size_t n);

int
tq_fuzz_quic_tp_one(const uint8_t *d, size_t n)
{
	struct tq_quic_tp a, b;
	uint8_t e1[1024], e2[1024];
	enum tq_quic_err e;
	bool server;
	int n1, n2;

	if (n < 1)
		return 0;
	server = d[0] & 1;
	e = tq_quic_tp_decode(d + 1, n - 1, server, &a);
	if (e != TQ_QUIC_NO_ERROR) {
		FZ_CHECK(e == TQ_QUIC_TRANSPORT_PARAMETER_ERROR, "error %d", e);
		return 0;
	}
	FZ_CHECK(a.max_udp_payload_size >= 1200 &&
			a.ack_delay_exponent <= 20 &&
			a.max_ack_delay < (1u << 14) &&
			a.active_connection_id_limit >= 2 &&
			a.initial_max_streams_bidi <= TQ_QUIC_MAX_STREAMS &&
			a.initial_max_streams_uni <= TQ_QUIC_MAX_STREAMS,
			"a limit let through");
	FZ_CHECK(a.has_initial_scid && (!server || a.has_original_dcid),
			"IDs missing");
	FZ_CHECK(server || !(a.has_original_dcid || a.has_retry_scid ||
			a.has_preferred_address ||
			a.has_stateless_reset_token),
			"server-only from client");
	n1 = tq_quic_tp_encode(&a, server, e1, sizeof(e1));
	FZ_CHECK(n1 > 0, "encode %d", n1);
	e = tq_quic_tp_decode(e1, (size_t)n1, server, &b);
	FZ_CHECK(e == TQ_QUIC_NO_ERROR, "re-encoded decodes to %d", e);
	n2 = tq_quic_tp_encode(&b, server, e2, sizeof(e2));
	FZ_CHECK(n2 == n1 && !memcmp(e1, e2, (size_t)n1),
			"parameters changed on the way");
	return 0;
}

#ifndef TQ_FUZZ_NO_ENTRY
/* No host to build: the codecs need no EAL. */
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	return tq_fuzz_quic_tp_one(d, n);
}
#endif
