/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RFC 6528 initial sequence numbers: ISN = M + F(4-tuple, secret), with
 * M a 4 microsecond clock and F SipHash-2-4 keyed with a secret chosen at
 * start.  The same hash, over the tuple alone, gives the per-connection
 * timestamp offset (as Linux does) so TSval leaks no uptime.
 */
#include <string.h>

#include "tq_tcp.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                       \
	do {                                                           \
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                 \
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                 \
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); \
	} while (0)

static uint64_t
le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return rte_le_to_cpu_64(v);
}

uint64_t
tq_siphash(const uint8_t key[16], const void *data, size_t len)
{
	const uint8_t *in = data;
	uint64_t k0 = le64(key), k1 = le64(key + 8);
	uint64_t v0 = 0x736f6d6570736575ull ^ k0;
	uint64_t v1 = 0x646f72616e646f6dull ^ k1;
	uint64_t v2 = 0x6c7967656e657261ull ^ k0;
	uint64_t v3 = 0x7465646279746573ull ^ k1;
	uint64_t b = (uint64_t)len << 56, m;
	size_t i, tail = len & 7;

	for (i = 0; i + 8 <= len; i += 8) {
		m = le64(in + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t j = 0; j < tail; j++)
		b |= (uint64_t)in[i + j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

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
