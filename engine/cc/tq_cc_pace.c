/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pacing by token bucket.  The transport reads no clock per packet: it
 * refills from the time its worker stamped the burst with, sends what
 * the bucket holds and arms a timer for the rest.  The bucket's cap is
 * what bounds the burst a late timer or a long poll can release.
 */
#include "tq_cc.h"

#define NS_PER_S UINT64_C(1000000000)
#define PACE_QUANTUM_MAX (64u * 1024)

uint32_t
tq_cc_pace_quantum(uint64_t rate, uint64_t tick_ns, uint32_t mss)
{
	uint64_t q = (uint64_t)((unsigned __int128)rate * tick_ns / NS_PER_S);

	if (q < 2ull * mss)
		q = 2ull * mss;
	/* room for what is left of a segment's worth after a tick's
	 * sends, or a timer per tick would lose up to a segment of it */
	q += mss;
	if (q > PACE_QUANTUM_MAX && PACE_QUANTUM_MAX >= 2ull * mss)
		q = PACE_QUANTUM_MAX;
	return (uint32_t)q;
}

uint64_t
tq_cc_pace_avail(struct tq_cc_pace *p, uint64_t rate, uint32_t quantum,
		uint64_t now)
{
	unsigned __int128 add;

	if (now <= p->stamp || rate == 0)
		return p->tokens;
	add = (unsigned __int128)rate * (now - p->stamp) / NS_PER_S;
	if (p->tokens >= quantum || add >= quantum - p->tokens) {
		p->tokens = quantum;
		p->stamp = now;
	} else if (add > 0) {
		/* the stamp moves by the time of the whole bytes only, so
		 * the fraction of one carries to the next refill */
		p->tokens += (uint64_t)add;
		p->stamp += (uint64_t)(add * NS_PER_S / rate);
	}
	return p->tokens;
}

void
tq_cc_pace_spend(struct tq_cc_pace *p, uint32_t bytes)
{
	p->tokens = p->tokens > bytes ? p->tokens - bytes : 0;
}

uint64_t
tq_cc_pace_next(const struct tq_cc_pace *p, uint64_t rate, uint32_t need,
		uint64_t now)
{
	uint64_t lack, at;

	if (p->tokens >= need || rate == 0)
		return now;
	/* the tokens were counted at stamp and grow from there */
	lack = need - p->tokens;
	at = p->stamp + (uint64_t)(((unsigned __int128)lack * NS_PER_S +
				rate - 1) / rate);
	return at > now ? at : now;
}
