/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SipHash-2-4 (Aumasson and Bernstein): a keyed hash for what an
 * attacker chooses and must not be able to aim, TCP's ISNs and flow
 * table, QUIC's connection ID table.
 */
#include <string.h>

#include <rte_byteorder.h>

#include "core/tq_siphash.h"

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

/* The state in four locals, so that it stays in registers. */
#define SIP_INIT(key)                                                  \
	uint64_t k0 = le64(key), k1 = le64((key) + 8);                 \
	uint64_t v0 = 0x736f6d6570736575ull ^ k0;                      \
	uint64_t v1 = 0x646f72616e646f6dull ^ k1;                      \
	uint64_t v2 = 0x6c7967656e657261ull ^ k0;                      \
	uint64_t v3 = 0x7465646279746573ull ^ k1

#define SIP_BLOCK(m)                                                   \
	do {                                                           \
		uint64_t m_ = (m);                                     \
		v3 ^= m_;                                              \
		SIPROUND;                                              \
		SIPROUND;                                              \
		v0 ^= m_;                                              \
	} while (0)

/* The last block (tail and length), then the finalisation. */
#define SIP_FINAL(b)                                                   \
	do {                                                           \
		SIP_BLOCK(b);                                          \
		v2 ^= 0xff;                                            \
		SIPROUND;                                              \
		SIPROUND;                                              \
		SIPROUND;                                              \
		SIPROUND;                                              \
	} while (0)

uint64_t
tq_siphash(const uint8_t key[16], const void *data, size_t len)
{
	const uint8_t *in = data;
	uint64_t b = (uint64_t)len << 56;
	size_t i, tail = len & 7;
	SIP_INIT(key);

	for (i = 0; i + 8 <= len; i += 8)
		SIP_BLOCK(le64(in + i));
	for (size_t j = 0; j < tail; j++)
		b |= (uint64_t)in[i + j] << (8 * j);
	SIP_FINAL(b);
	return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t
tq_siphash_words(const uint8_t key[16], const uint64_t *m, size_t n,
		uint64_t last)
{
	size_t i;
	SIP_INIT(key);

	for (i = 0; i < n; i++)
		SIP_BLOCK(m[i]);
	SIP_FINAL(last);
	return v0 ^ v1 ^ v2 ^ v3;
}
