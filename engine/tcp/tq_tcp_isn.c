/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RFC 6528 initial sequence numbers: ISN = M + F(4-tuple, secret), with
 * M a 4 microsecond clock and F SipHash-2-4 (core/tq_siphash.c) keyed with
 * a secret chosen at start.  The same hash, over the tuple alone, gives the per-connection
 * timestamp offset (as Linux does) so TSval leaks no uptime.
 */
#include <string.h>

#include "tq_tcp.h"

/*
 * F()'s input: the 4-tuple alone, addresses then ports, not the whole
 * 40-byte key with its zero padding: for IPv4 12 bytes, two SipHash
 * compressions instead of six (half the rounds of a connection's hash).
 */
uint64_t
tq_tcp_tuple_hash(const uint8_t *secret, const struct tq_tcp_key *k)
{
	uint8_t in[36];
	size_t alen = k->family == AF_INET ? 4 : 16;

	memcpy(in, k->laddr, alen);
	memcpy(in + alen, k->faddr, alen);
	memcpy(in + 2 * alen, &k->lport, 2);
	memcpy(in + 2 * alen + 2, &k->fport, 2);
	return tq_siphash(secret, in, 2 * alen + 4);
}

static uint32_t
isn_clock(uint64_t now)
{
	return (uint32_t)(now / 4000); /* RFC 6528's M: 4 us ticks */
}

uint32_t
tq_tcp_isn(const uint8_t *secret, const struct tq_tcp_key *k, uint64_t now)
{
	return isn_clock(now) + (uint32_t)tq_tcp_tuple_hash(secret, k);
}

uint32_t
tq_tcp_isn_tcb(const struct tq_tcb *tp, uint64_t now)
{
	return isn_clock(now) + tp->isn_hash;
}

uint32_t
tq_tcp_ts_offset(const uint8_t *secret, const struct tq_tcp_key *k)
{
	return (uint32_t)(tq_tcp_tuple_hash(secret, k) >> 32);
}
