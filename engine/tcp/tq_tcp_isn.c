/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RFC 6528 initial sequence numbers: ISN = M + F(4-tuple, secret), with
 * M a 4 microsecond clock and F SipHash-2-4 (core/tq_siphash.c) keyed with
 * a secret chosen at start.  The same hash, over the tuple alone, gives the per-connection
 * timestamp offset (as Linux does) so TSval leaks no uptime.
 */
#include <string.h>

#include "tq_tcp.h"

static uint32_t
isn_clock(uint64_t now)
{
	return (uint32_t)(now / 4000); /* RFC 6528's M: 4 us ticks */
}

uint32_t
tq_tcp_isn(const uint8_t *secret, const struct tq_tcp_key *k, uint64_t now)
{
	return isn_clock(now) + (uint32_t)tq_siphash(secret, k, sizeof(*k));
}

uint32_t
tq_tcp_isn_tcb(const struct tq_tcb *tp, uint64_t now)
{
	return isn_clock(now) + tp->isn_hash;
}

uint32_t
tq_tcp_ts_offset(const uint8_t *secret, const struct tq_tcp_key *k)
{
	return (uint32_t)(tq_siphash(secret, k, sizeof(*k)) >> 32);
}
