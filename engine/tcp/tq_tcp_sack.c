/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SACK (RFC 2018).  Sender: a scoreboard of SACKed ranges above snd_una,
 * merged and sorted, for RFC 6675 recovery.  Receiver: the blocks we
 * report, built from the out-of-order queue with the most recently
 * changed block first.
 */
#include <string.h>

#include "../core/tq_mbuf.h"
#include "tq_tcp.h"

static void
sb_recount(struct tq_tcb *tp)
{
	uint32_t n = 0;
	unsigned int i;

	for (i = 0; i < tp->sb_n; i++)
		n += tp->sb[i][1] - tp->sb[i][0];
	tp->sacked_bytes = n;
}

void
tq_tcp_sb_free(struct tq_tcb *tp)
{
	if (!tp->sb)
		return;
	rte_mempool_put(tq_tcp(tp->s)->sbs, tp->sb);
	tp->sb = NULL;
	tp->sb_n = 0;
}

static void
sb_insert(struct tq_tcb *tp, uint32_t a, uint32_t b)
{
	unsigned int i, j;
	void *obj;

	/* The first range: the connection needs a board now.  With the
	 * pool empty, recovery goes by duplicate ACKs alone. */
	if (!tp->sb) {
		if (rte_mempool_get(tq_tcp(tp->s)->sbs, &obj) < 0) {
			TQ_INC(tp->s, TCP_SACK_NO_BOARD);
			return;
		}
		tp->sb = obj;
		tp->sb_n = 0;
	}

	/* Find the first range ending at or after a. */
	for (i = 0; i < tp->sb_n && SEQ_LT(tp->sb[i][1], a); i++)
		;
	/* Merge every range that overlaps or touches [a, b). */
	j = i;
	while (j < tp->sb_n && SEQ_LEQ(tp->sb[j][0], b)) {
		a = SEQ_MIN(a, tp->sb[j][0]);
		b = SEQ_MAX(b, tp->sb[j][1]);
		j++;
	}
	if (j == i) {
		if (tp->sb_n == TQ_TCP_SB_MAX) {
			/* Full: forget the highest range; it will be
			 * reported again if it still matters. */
			if (i == tp->sb_n)
				return;
			tp->sb_n--;
		}
		memmove(&tp->sb[i + 1], &tp->sb[i],
				(tp->sb_n - i) * sizeof(tp->sb[0]));
		tp->sb_n++;
	} else if (j > i + 1) {
		memmove(&tp->sb[i + 1], &tp->sb[j],
				(tp->sb_n - j) * sizeof(tp->sb[0]));
		tp->sb_n -= j - i - 1;
	}
	tp->sb[i][0] = a;
	tp->sb[i][1] = b;
}

void
tq_tcp_sb_update(struct tq_tcb *tp, const struct tq_tcp_seg *seg)
{
	unsigned int k;

	for (k = 0; k < seg->nsack; k++) {
		uint32_t a = seg->sack[k][0], b = seg->sack[k][1];

		/* RFC 2018/6675: ignore blocks that are empty, below the
		 * cumulative ACK (D-SACK) or beyond what we sent. */
		if (!SEQ_LT(a, b) || SEQ_LEQ(b, tp->snd_una) ||
				SEQ_GT(b, tp->snd_max))
			continue;
		if (SEQ_LT(a, tp->snd_una))
			a = tp->snd_una;
		sb_insert(tp, a, b);
	}
	sb_recount(tp);
}

void
tq_tcp_sb_ack(struct tq_tcb *tp)
{
	unsigned int i = 0, k;

	while (i < tp->sb_n && SEQ_LEQ(tp->sb[i][1], tp->snd_una))
		i++;
	if (i) {
		for (k = i; k < tp->sb_n; k++) {
			tp->sb[k - i][0] = tp->sb[k][0];
			tp->sb[k - i][1] = tp->sb[k][1];
		}
		tp->sb_n -= i;
	}
	if (tp->sb_n && SEQ_LT(tp->sb[0][0], tp->snd_una))
		tp->sb[0][0] = tp->snd_una;
	if (!tp->sb_n)
		tq_tcp_sb_free(tp);
	sb_recount(tp);
}

bool
tq_tcp_sb_is_sacked(const struct tq_tcb *tp, uint32_t seq, uint32_t *end)
{
	unsigned int i;

	for (i = 0; i < tp->sb_n; i++) {
		if (SEQ_LEQ(tp->sb[i][0], seq) && SEQ_LT(seq, tp->sb[i][1])) {
			*end = tp->sb[i][1];
			return true;
		}
	}
	return false;
}

uint32_t
tq_tcp_sb_highest(const struct tq_tcb *tp)
{
	return tp->sb_n ? tp->sb[tp->sb_n - 1][1] : tp->snd_una;
}

/* RFC 2018 4: the first block holds the most recent segment, then
 * the other runs of the out-of-order queue. */
unsigned int
tq_tcp_sack_blocks(const struct tq_tcb *tp, uint32_t out[][2],
		unsigned int max)
{
	struct rte_mbuf *m = tp->ooo;
	unsigned int n = 0;

	if (max && SEQ_LT(tp->last_ooo[0], tp->last_ooo[1]) &&
			SEQ_GT(tp->last_ooo[0], tp->rcv_nxt)) {
		out[n][0] = tp->last_ooo[0];
		out[n][1] = tp->last_ooo[1];
		n++;
	}
	for (; m && n < max; m = *tq_mbuf_link(m)) {
		uint32_t a = m->hash.usr, b = a + m->pkt_len;

		if (n && out[0][0] == a && out[0][1] == b)
			continue;
		out[n][0] = a;
		out[n][1] = b;
		n++;
	}
	return n;
}
