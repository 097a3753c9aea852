/* SPDX-License-Identifier: BSD-3-Clause */
#include "tq_gro.h"

#include <stdbool.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "net/tq_net.h"

#define TH_MERGE (RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG)
#define IPV4_FRAG_MASK 0x3fff	/* MF and the offset; DF may be set */

/* A frame parsed as a TCP segment GRO may merge. */
struct seg {
	void *l3;
	struct rte_tcp_hdr *th;
	uint32_t seq;
	uint16_t hlen;		/* Ethernet + IP + TCP */
	uint16_t plen;		/* payload */
	bool v6;
};

struct flow {
	struct rte_mbuf *head;
	struct rte_mbuf *last;	/* last mbuf of head's chain */
	struct seg s;		/* the head's */
	uint32_t next_seq;
	uint32_t plen;		/* payload so far */
	uint16_t segs;
	uint8_t flags;		/* PSH of the merged frames */
	bool open;		/* takes more */
};

static bool
l4_cksum_ok(struct rte_mbuf *m, const struct seg *g)
{
	uint64_t f = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
	uint32_t l4len = (uint32_t)(g->hlen - RTE_ETHER_HDR_LEN) -
		(g->v6 ? sizeof(struct rte_ipv6_hdr) :
			sizeof(struct rte_ipv4_hdr)) + g->plen;
	struct tq_addr sa, da;
	uint16_t body;
	uint32_t sum;

	if (f == RTE_MBUF_F_RX_L4_CKSUM_GOOD)
		return true;
	if (f == RTE_MBUF_F_RX_L4_CKSUM_BAD)
		return false;
	if (g->v6) {
		const struct rte_ipv6_hdr *ip = g->l3;

		sa.family = da.family = AF_INET6;
		memcpy(sa.v6, ip->src_addr, 16);
		memcpy(da.v6, ip->dst_addr, 16);
	} else {
		const struct rte_ipv4_hdr *ip = g->l3;

		sa = tq_addr_v4(ip->src_addr);
		da = tq_addr_v4(ip->dst_addr);
	}
	if (tq_cksum_mbuf(m, (uint32_t)(g->hlen + g->plen) - l4len, l4len,
			&body) < 0)
		return false;
	sum = (uint32_t)tq_l4_pseudo_sum(&sa, &da, IPPROTO_TCP, l4len) + body;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	if (sum != 0xffff)
		return false;
	/* verified once: TCP input need not again */
	m->ol_flags = (m->ol_flags & ~RTE_MBUF_F_RX_L4_CKSUM_MASK) |
		RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	return true;
}

/*
 * Parse m as a TCP segment; false for anything else.  *tcp says whether
 * it is TCP at all (so a frame of a merged flow that cannot merge still
 * ends that flow's merge); *cand whether it may merge.
 */
static bool
parse(struct rte_mbuf *m, struct seg *g, bool *cand)
{
	const struct rte_ether_hdr *eh;
	uint16_t l3len, l4len;
	uint32_t iplen;
	uint8_t *p;

	*cand = false;
	if (m->data_len < RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv4_hdr) +
			sizeof(struct rte_tcp_hdr))
		return false;
	p = rte_pktmbuf_mtod(m, uint8_t *);
	eh = (const struct rte_ether_hdr *)p;
	g->l3 = p + RTE_ETHER_HDR_LEN;
	if (eh->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV4)) {
		struct rte_ipv4_hdr *ip = g->l3;

		if (ip->next_proto_id != IPPROTO_TCP)
			return false;
		g->v6 = false;
		l3len = sizeof(*ip);
		iplen = rte_be_to_cpu_16(ip->total_length);
		if (ip->version_ihl != RTE_IPV4_VHL_DEF ||
				(ip->fragment_offset &
				 RTE_BE16(IPV4_FRAG_MASK)) ||
				iplen + RTE_ETHER_HDR_LEN != m->pkt_len)
			goto tcp_only;
		if ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) ==
				RTE_MBUF_F_RX_IP_CKSUM_BAD)
			goto tcp_only;
		if ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) !=
				RTE_MBUF_F_RX_IP_CKSUM_GOOD) {
			if (rte_raw_cksum(ip, sizeof(*ip)) != 0xffff)
				goto tcp_only;
			m->ol_flags = (m->ol_flags &
					~RTE_MBUF_F_RX_IP_CKSUM_MASK) |
				RTE_MBUF_F_RX_IP_CKSUM_GOOD;
		}
	} else if (eh->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV6)) {
		struct rte_ipv6_hdr *ip = g->l3;

		if (ip->proto != IPPROTO_TCP || m->data_len <
				RTE_ETHER_HDR_LEN + sizeof(*ip) +
				sizeof(struct rte_tcp_hdr))
			return false;
		g->v6 = true;
		l3len = sizeof(*ip);
		iplen = sizeof(*ip) + rte_be_to_cpu_16(ip->payload_len);
		if (iplen + RTE_ETHER_HDR_LEN != m->pkt_len)
			goto tcp_only;
	} else {
		return false;
	}
	g->th = (struct rte_tcp_hdr *)((uint8_t *)g->l3 + l3len);
	l4len = (uint16_t)((g->th->data_off >> 4) * 4);
	g->hlen = (uint16_t)(RTE_ETHER_HDR_LEN + l3len + l4len);
	if (l4len < sizeof(struct rte_tcp_hdr) || m->data_len < g->hlen ||
			iplen <= (uint32_t)l3len + l4len)
		return true;	/* no payload, or a header we do not take */
	if ((g->th->tcp_flags & ~TH_MERGE) != 0 ||
			!(g->th->tcp_flags & RTE_TCP_ACK_FLAG))
		return true;
	g->plen = (uint16_t)(iplen - l3len - l4len);
	g->seq = rte_be_to_cpu_32(g->th->sent_seq);
	*cand = l4_cksum_ok(m, g);
	return true;
tcp_only:
	/* ports of a frame we do not take, for ending its flow's merge */
	g->th = NULL;
	return true;
}

static bool
same_flow(const struct seg *a, const struct seg *b, const struct rte_mbuf *bm)
{
	const struct rte_tcp_hdr *tb;

	if (a->v6 != b->v6)
		return false;
	if (b->th)
		tb = b->th;
	else if (bm->data_len >= RTE_ETHER_HDR_LEN + (b->v6 ?
			sizeof(struct rte_ipv6_hdr) :
			sizeof(struct rte_ipv4_hdr)) +
			sizeof(struct rte_tcp_hdr))
		/* not parsed past IP (options, fragment): ports where
		 * they would be without options, a guess that can only
		 * end a merge early */
		tb = (const struct rte_tcp_hdr *)((const uint8_t *)b->l3 +
				(b->v6 ? sizeof(struct rte_ipv6_hdr) :
				 sizeof(struct rte_ipv4_hdr)));
	else
		return true;
	if (memcmp(&a->th->src_port, &tb->src_port, 4) != 0)
		return false;
	if (a->v6) {
		const struct rte_ipv6_hdr *x = a->l3, *y = b->l3;

		return memcmp(x->src_addr, y->src_addr, 32) == 0;
	} else {
		const struct rte_ipv4_hdr *x = a->l3, *y = b->l3;

		return x->src_addr == y->src_addr &&
			x->dst_addr == y->dst_addr;
	}
}

/* Whether segment g (of f's flow, a candidate) may join f. */
static bool
joins(const struct flow *f, const struct seg *g, uint16_t nb_segs)
{
	const struct seg *h = &f->s;
	uint32_t optlen = (uint32_t)h->hlen - ((uint8_t *)(h->th + 1) -
			((uint8_t *)h->l3 - RTE_ETHER_HDR_LEN));

	if (!f->open || g->seq != f->next_seq || g->plen > h->plen ||
			g->hlen != h->hlen ||
			f->head->nb_segs + (uint32_t)nb_segs > UINT16_MAX)
		return false;
	if (h->hlen - RTE_ETHER_HDR_LEN + f->plen + g->plen > UINT16_MAX)
		return false;
	if (g->th->recv_ack != h->th->recv_ack ||
			g->th->rx_win != h->th->rx_win ||
			memcmp(g->th + 1, h->th + 1, optlen) != 0)
		return false;
	if (h->v6) {
		const struct rte_ipv6_hdr *x = h->l3, *y = g->l3;

		return x->vtc_flow == y->vtc_flow &&
			x->hop_limits == y->hop_limits;
	} else {
		const struct rte_ipv4_hdr *x = h->l3, *y = g->l3;

		return x->type_of_service == y->type_of_service &&
			x->time_to_live == y->time_to_live &&
			x->fragment_offset == y->fragment_offset;
	}
}

/* Chain m's payload (its headers dropped) onto f. */
static void
append(struct flow *f, struct rte_mbuf *m, const struct seg *g)
{
	struct rte_mbuf *piece;

	if (m->data_len > g->hlen) {
		rte_pktmbuf_adj(m, g->hlen);
		piece = m;
	} else {
		/* headers alone in the first mbuf (a cut frame) */
		piece = m->next;
		piece->pkt_len = m->pkt_len - g->hlen;
		piece->nb_segs = (uint16_t)(m->nb_segs - 1);
		m->next = NULL;
		m->nb_segs = 1;
		rte_pktmbuf_free(m);
	}
	f->last->next = piece;
	f->head->nb_segs = (uint16_t)(f->head->nb_segs + piece->nb_segs);
	f->head->pkt_len += piece->pkt_len;
	f->last = rte_pktmbuf_lastseg(piece);
	f->next_seq += g->plen;
	f->plen += g->plen;
	f->segs++;
	f->flags |= g->th->tcp_flags & RTE_TCP_PSH_FLAG;
	if ((g->th->tcp_flags & RTE_TCP_PSH_FLAG) || g->plen < f->s.plen)
		f->open = false;
}

/* End f's merge: headers and flags of what it made; the slot is free. */
static void
finish(struct flow *f, struct tq_gro_stats *st)
{
	struct rte_mbuf *m = f->head;
	uint32_t l4 = (uint32_t)f->s.hlen - RTE_ETHER_HDR_LEN;

	f->head = NULL;
	if (f->segs < 2)
		return;
	st->segs++;
	f->s.th->tcp_flags |= f->flags;
	if (f->s.v6) {
		struct rte_ipv6_hdr *ip = f->s.l3;

		ip->payload_len = rte_cpu_to_be_16((uint16_t)(l4 -
				sizeof(*ip) + f->plen));
	} else {
		struct rte_ipv4_hdr *ip = f->s.l3;

		ip->total_length = rte_cpu_to_be_16((uint16_t)(l4 +
				f->plen));
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	m->ol_flags = (m->ol_flags & ~(RTE_MBUF_F_RX_IP_CKSUM_MASK |
			RTE_MBUF_F_RX_L4_CKSUM_MASK)) |
		RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD |
		RTE_MBUF_F_RX_LRO;
	m->tso_segsz = f->s.plen;
}

static void
start(struct flow *f, struct rte_mbuf *m, const struct seg *g)
{
	f->head = m;
	f->last = rte_pktmbuf_lastseg(m);
	f->s = *g;
	f->next_seq = g->seq + g->plen;
	f->plen = g->plen;
	f->segs = 1;
	f->flags = 0;
	f->open = true;
}

uint16_t
tq_gro_burst(struct rte_mbuf **pkts, uint16_t n, struct tq_gro_stats *st)
{
	struct flow fl[TQ_GRO_FLOWS];
	unsigned int nf = 0, evict = 0, i, k;
	uint16_t out = 0;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct flow *f = NULL;
		struct seg g;
		bool cand;

		if (!parse(m, &g, &cand)) {
			pkts[out++] = m;
			continue;
		}
		for (k = 0; k < nf; k++)
			if (fl[k].head && same_flow(&fl[k].s, &g, m)) {
				f = &fl[k];
				break;
			}
		if (f && cand && joins(f, &g, m->nb_segs)) {
			append(f, m, &g);
			st->merged++;
			if (!f->open)
				finish(f, st);
			continue;
		}
		if (f)
			finish(f, st);	/* nothing overtakes m */
		pkts[out++] = m;
		if (!cand || (g.th->tcp_flags & RTE_TCP_PSH_FLAG))
			continue;	/* nothing can join it */
		for (k = 0; k < nf; k++)
			if (!fl[k].head)
				break;
		if (k == nf) {
			if (nf < TQ_GRO_FLOWS) {
				nf++;
			} else {
				k = evict++ % TQ_GRO_FLOWS;
				finish(&fl[k], st);
			}
		}
		start(&fl[k], m, &g);
	}
	for (k = 0; k < nf; k++)
		if (fl[k].head)
			finish(&fl[k], st);
	return out;
}
