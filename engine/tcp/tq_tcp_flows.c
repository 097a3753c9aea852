/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The flow table of one shard: 4-tuple to TCB, chained through the TCBs
 * themselves, one worker only (no locks, no RCU).
 *
 * Why not rte_hash: measured with callgrind on bench/cost (crr, one side
 * per connection) rte_hash cost ~350 instructions to add a key, ~135 to
 * find one and ~170 to delete one, for a table whose size is known up
 * front (the TCB pool's) and whose entries already have a home (the
 * TCB).  Here a bucket is one pointer, the chain runs through the TCB,
 * and removal is O(1) through the back pointer.  Buckets are a power of
 * two at least the pool's size, so chains average under one entry.
 *
 * The hash is keyed (NH, as in UMAC: sums of products of key-offset
 * words), its key drawn from the engine's secret, so a peer that does
 * not know the secret cannot choose 4-tuples that share a chain; an
 * unkeyed CRC could be inverted to do just that.  A chain is still
 * capped, so even bad luck costs a refused connection, not a walk.
 */
#include <errno.h>
#include <string.h>

#include <rte_common.h>
#include <rte_malloc.h>

#include "tq_tcp.h"

int
tq_flows_init(struct tq_flows *ft, uint32_t entries, const uint8_t *secret,
		uint16_t salt, int socket)
{
	uint32_t n = rte_align32pow2(RTE_MAX(entries, 64u));
	unsigned int i;

	memset(ft, 0, sizeof(*ft));
	ft->b = rte_zmalloc_socket("tq_flows", n * sizeof(*ft->b),
			RTE_CACHE_LINE_SIZE, socket);
	if (!ft->b)
		return -ENOMEM;
	ft->mask = n - 1;
	for (i = 0; i < RTE_DIM(ft->k) / 2; i++) {
		/* Domain-separated from the ISN's and cookies' inputs. */
		uint8_t in[8] = { 'f', 'l', 'o', 'w', 's', (uint8_t)salt,
			(uint8_t)(salt >> 8), (uint8_t)i };
		uint64_t v = tq_siphash(secret, in, sizeof(in));

		ft->k[2 * i] = (uint32_t)v;
		ft->k[2 * i + 1] = (uint32_t)(v >> 32);
	}
	return 0;
}

void
tq_flows_free(struct tq_flows *ft)
{
	rte_free(ft->b);
	ft->b = NULL;
	ft->n = 0;
}

int
tq_flows_add(struct tq_flows *ft, struct tq_tcb *tp)
{
	struct tq_tcb **head = &ft->b[tp->sig & ft->mask];
	const struct tq_tcb *c;
	unsigned int len = 0;

	for (c = *head; c; c = c->hnext)
		if (++len >= TQ_FLOWS_CHAIN_MAX)
			return -ENOSPC;
	tp->hnext = *head;
	if (tp->hnext)
		tp->hnext->hpprev = &tp->hnext;
	tp->hpprev = head;
	*head = tp;
	ft->n++;
	return 0;
}

void
tq_flows_del(struct tq_flows *ft, struct tq_tcb *tp)
{
	if (!tp->hpprev)
		return;
	*tp->hpprev = tp->hnext;
	if (tp->hnext)
		tp->hnext->hpprev = tp->hpprev;
	tp->hnext = NULL;
	tp->hpprev = NULL;
	ft->n--;
}

struct tq_tcb *
tq_flows_next(const struct tq_flows *ft, uint32_t *cursor)
{
	uint32_t b = *cursor >> TQ_FLOWS_CHAIN_BITS;
	uint32_t pos = *cursor & (TQ_FLOWS_CHAIN_MAX - 1);

	for (; b <= ft->mask; b++, pos = 0) {
		struct tq_tcb *tp = ft->b[b];
		uint32_t i;

		for (i = 0; tp && i < pos; i++)
			tp = tp->hnext;
		if (!tp)
			continue;
		/* The next call starts one further along this chain; at the
		 * cap that is past its end, so the next bucket. */
		*cursor = (b << TQ_FLOWS_CHAIN_BITS) + pos + 1;
		return tp;
	}
	*cursor = (ft->mask + 1) << TQ_FLOWS_CHAIN_BITS;
	return NULL;
}
