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

struct sip {
	uint64_t v0, v1, v2, v3;
};

static inline void
sip_init(struct sip *x, const uint8_t key[16])
{
	uint64_t k0 = le64(key), k1 = le64(key + 8);

	x->v0 = 0x736f6d6570736575ull ^ k0;
	x->v1 = 0x646f72616e646f6dull ^ k1;
	x->v2 = 0x6c7967656e657261ull ^ k0;
	x->v3 = 0x7465646279746573ull ^ k1;
}

static inline void
sip_block(struct sip *x, uint64_t m)
{
	uint64_t v0 = x->v0, v1 = x->v1, v2 = x->v2, v3 = x->v3 ^ m;

	SIPROUND;
	SIPROUND;
	x->v0 = v0 ^ m;
	x->v1 = v1;
	x->v2 = v2;
	x->v3 = v3;
}

/* The last block (tail and length), then the finalisation. */
static inline uint64_t
sip_final(struct sip *x, uint64_t b)
{
	uint64_t v0, v1, v2, v3;

	sip_block(x, b);
	v0 = x->v0;
	v1 = x->v1;
	v2 = x->v2 ^ 0xff;
	v3 = x->v3;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t
tq_siphash(const uint8_t key[16], const void *data, size_t len)
{
	const uint8_t *in = data;
	uint64_t b = (uint64_t)len << 56;
	size_t i, tail = len & 7;
	struct sip x;

	sip_init(&x, key);
	for (i = 0; i + 8 <= len; i += 8)
		sip_block(&x, le64(in + i));
	for (size_t j = 0; j < tail; j++)
		b |= (uint64_t)in[i + j] << (8 * j);
	return sip_final(&x, b);
}

uint64_t
tq_siphash_words(const uint8_t key[16], const uint64_t *m, size_t n,
		uint64_t last)
{
	struct sip x;
	size_t i;

	sip_init(&x, key);
	for (i = 0; i < n; i++)
		sip_block(&x, m[i]);
	return sip_final(&x, last);
}
