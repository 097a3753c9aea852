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
/*
 * SipHash of the bytes laddr, faddr, lport, fport, fed as words: the
 * addresses are whole blocks, the two ports the tail (the same value
 * as tq_siphash() over those bytes in a buffer; test_tcp_flows checks).
 */
uint64_t
tq_tcp_tuple_hash(const uint8_t *secret, const struct tq_tcp_key *k)
{
	uint16_t lp = rte_le_to_cpu_16(k->lport);
	uint16_t fp = rte_le_to_cpu_16(k->fport);
	uint64_t last, m[4];
	uint32_t la, fa;
	unsigned int i;

	if (k->family == AF_INET) {
		memcpy(&la, k->laddr, 4);
		memcpy(&fa, k->faddr, 4);
		m[0] = rte_le_to_cpu_32(la) |
			(uint64_t)rte_le_to_cpu_32(fa) << 32;
		last = (uint64_t)12 << 56 | (uint64_t)fp << 16 | lp;
		return tq_siphash_words(secret, m, 1, last);
	}
	memcpy(m, k->laddr, 16);
	memcpy(m + 2, k->faddr, 16);
	for (i = 0; i < 4; i++)
		m[i] = rte_le_to_cpu_64(m[i]);
	last = (uint64_t)36 << 56 | (uint64_t)fp << 16 | lp;
	return tq_siphash_words(secret, m, 4, last);
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
