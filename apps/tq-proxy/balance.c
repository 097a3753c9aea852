/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Backend choice: round robin, least connections, and rendezvous
 * (highest random weight) hashing of the client address, which moves
 * only the clients of a backend that goes down.
 */
#include <errno.h>
#include <string.h>

#include "balance.h"

/* splitmix64's finaliser: every input bit reaches every output bit. */
static uint64_t
mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

uint64_t
balance_addr_key(const struct tq_addr *a)
{
	/* FNV-1a over the family and the address bytes. */
	uint64_t h = 0xcbf29ce484222325ull;
	const uint8_t *p;
	unsigned int i, len;

	if (a->family == AF_INET) {
		p = (const uint8_t *)&a->v4;
		len = 4;
	} else {
		p = a->v6;
		len = 16;
	}
	h = (h ^ a->family) * 0x100000001b3ull;
	for (i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static uint64_t
candidates(const struct balance_in *in)
{
	uint64_t all = (in->n >= 64 ? ~0ull : (1ull << in->n) - 1) & in->pool;
	uint64_t c = all & in->up & ~in->tried;

	return c ? c : all & ~in->tried;
}

int
balance_pick(const struct balance_in *in, uint32_t *cursor)
{
	uint64_t c = candidates(in), best_score = 0, score;
	unsigned int i, b;
	int best = -ENOENT;

	if (!c || in->n == 0)
		return -ENOENT;
	switch (in->mode) {
	case BALANCE_HASH:
		for (b = 0; b < in->n; b++) {
			if (!(c >> b & 1))
				continue;
			score = mix64(in->key ^ mix64(b + 1));
			if (best < 0 || score > best_score) {
				best = (int)b;
				best_score = score;
			}
		}
		return best;
	case BALANCE_LEASTCONN:
		for (i = 0; i < in->n; i++) {
			b = (*cursor + i) % in->n;
			if (!(c >> b & 1))
				continue;
			if (best < 0 || in->active[b] < in->active[best])
				best = (int)b;
		}
		*cursor = (*cursor + 1) % in->n;
		return best;
	case BALANCE_RR:
	default:
		for (i = 0; i < in->n; i++) {
			b = (*cursor + i) % in->n;
			if (c >> b & 1) {
				*cursor = (b + 1) % in->n;
				return (int)b;
			}
		}
		return -ENOENT;
	}
}
