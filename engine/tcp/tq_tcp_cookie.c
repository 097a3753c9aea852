/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SYN cookies, encoded as Linux does (net/ipv4/syncookies.c): when a
 * listener's SYN queue is full, the SYN-ACK's ISN carries a keyed hash of
 * the 4-tuple, a minute counter and an index into a table of MSS values,
 * and no state is kept.  With timestamps, the low 6 bits of our TSval
 * carry the window scale and SACK-permitted so they survive too; without
 * timestamps they are lost, as on Linux.
 */
#include <string.h>

#include "tq_tcp.h"

#define COOKIEBITS 24
#define COOKIEMASK ((1u << COOKIEBITS) - 1)
#define MAX_AGE 2		/* minutes a cookie stays valid (Linux) */
#define TSBITS 6
#define TSMASK ((1u << TSBITS) - 1)
#define TS_NO_WSCALE 0xf
#define TS_SACK 0x10

/* Linux's tables: the common MSS values of each family. */
static const uint16_t msstab4[] = { 536, 1300, 1440, 1460 };
static const uint16_t msstab6[] = { 1280 - 60, 1480 - 60, 1500 - 60,
				    9000 - 60 };

static uint32_t
cookie_hash(const uint8_t *secret, const struct tq_tcp_key *k,
		uint32_t count, uint32_t c)
{
	struct {
		struct tq_tcp_key k;
		uint32_t count;
		uint32_t c;
	} in;

	memset(&in, 0, sizeof(in));
	in.k = *k;
	in.count = count;
	in.c = c;
	return (uint32_t)tq_siphash(secret, &in, sizeof(in));
}

static uint32_t
minutes(uint64_t now)
{
	return (uint32_t)(now / 60000000000ull);
}

uint32_t
tq_tcp_cookie_make(const uint8_t *secret, const struct tq_tcp_key *k,
		uint32_t sseq, uint16_t mss, uint64_t now, uint16_t *mss_out)
{
	const uint16_t *tab = k->family == AF_INET ? msstab4 : msstab6;
	uint32_t count = minutes(now), idx;

	for (idx = RTE_DIM(msstab4) - 1; idx > 0; idx--)
		if (mss >= tab[idx])
			break;
	*mss_out = tab[idx];
	return cookie_hash(secret, k, 0, 0) + sseq + (count << COOKIEBITS) +
		((cookie_hash(secret, k, count, 1) + idx) & COOKIEMASK);
}

int
tq_tcp_cookie_check(const uint8_t *secret, const struct tq_tcp_key *k,
		uint32_t cookie, uint32_t sseq, uint64_t now, uint16_t *mss)
{
	const uint16_t *tab = k->family == AF_INET ? msstab4 : msstab6;
	uint32_t count = minutes(now), diff, idx;

	cookie -= cookie_hash(secret, k, 0, 0) + sseq;
	diff = (count - (cookie >> COOKIEBITS)) & ((uint32_t)-1 >> COOKIEBITS);
	if (diff >= MAX_AGE)
		return -1;
	idx = (cookie - cookie_hash(secret, k, count - diff, 1)) & COOKIEMASK;
	if (idx >= RTE_DIM(msstab4))
		return -1;
	*mss = tab[idx];
	return 0;
}

/* Linux's cookie_init_timestamp(): options in the low bits, never a
 * value ahead of the clock. */
uint32_t
tq_tcp_cookie_ts(uint32_t ts_now, uint8_t wscale, bool ws, bool sack)
{
	uint32_t opts = (ws ? (wscale & 0xf) : TS_NO_WSCALE) |
		(sack ? TS_SACK : 0);
	uint32_t ts = (ts_now & ~TSMASK) | opts;

	if (SEQ_GT(ts, ts_now))
		ts = (((ts >> TSBITS) - 1) << TSBITS) | opts;
	return ts;
}

void
tq_tcp_cookie_ts_decode(uint32_t tsecr, bool *ws, uint8_t *wscale,
		bool *sack)
{
	uint32_t opts = tsecr & TSMASK;

	*ws = (opts & 0xf) != TS_NO_WSCALE;
	*wscale = (uint8_t)RTE_MIN(opts & 0xf, (uint32_t)TQ_TCP_MAX_WINSHIFT);
	*sack = (opts & TS_SACK) != 0;
}

/* RFC 7413 4.1.2: a MAC of the client's address under a server secret
 * (Linux uses AES of the addresses; SipHash serves the same purpose). */
void
tq_tfo_server_cookie(const uint8_t *secret, const struct tq_tcp_key *k,
		uint8_t out[TQ_TFO_COOKIE_LEN])
{
	struct {
		uint8_t tag[4];
		uint8_t faddr[16];
		uint8_t laddr[16];
	} in;
	uint64_t h;

	memset(&in, 0, sizeof(in));
	memcpy(in.tag, "TFO", 3);
	memcpy(in.faddr, k->faddr, 16);
	memcpy(in.laddr, k->laddr, 16);
	h = tq_siphash(secret, &in, sizeof(in));
	memcpy(out, &h, TQ_TFO_COOKIE_LEN);
}

struct tq_tfo_entry *
tq_tfo_lookup(struct tq_tcp *t, const struct tq_addr *a, bool create)
{
	uint32_t h = a->family == AF_INET ? a->v4 :
		(uint32_t)tq_siphash(t->secret, a->v6, 16);
	struct tq_tfo_entry *e;

	h ^= h >> 16;
	e = &t->tfo[(h ^ (h >> 8)) & (TQ_TFO_CACHE - 1)];
	if (tq_addr_equal(&e->addr, a))
		return e;
	if (!create)
		return NULL;
	/* Direct-mapped: a newer server takes the slot. */
	memset(e, 0, sizeof(*e));
	e->addr = *a;
	return e;
}
