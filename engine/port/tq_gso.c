/* SPDX-License-Identifier: BSD-3-Clause */
#include "tq_gso.h"

#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "net/tq_net.h"

#define TH_FIN 0x01
#define TH_PSH 0x08

/* Headers of frame k of n, carrying len bytes at sequence seq. */
static void
fix_headers(struct rte_mbuf *h, const struct rte_mbuf *m, uint32_t seq,
		uint32_t len, uint16_t id, bool last, bool ip_ol, bool l4_ol)
{
	uint16_t l3off = m->l2_len, l4off = m->l2_len + m->l3_len;
	struct rte_tcp_hdr *th = rte_pktmbuf_mtod_offset(h,
			struct rte_tcp_hdr *, l4off);
	bool v6 = (m->ol_flags & RTE_MBUF_F_TX_IPV6) != 0;

	h->l2_len = m->l2_len;
	h->l3_len = m->l3_len;
	h->l4_len = m->l4_len;
	h->tso_segsz = 0;
	h->ol_flags = v6 ? RTE_MBUF_F_TX_IPV6 : RTE_MBUF_F_TX_IPV4;
	th->sent_seq = rte_cpu_to_be_32(seq);
	if (!last)
		th->tcp_flags &= (uint8_t)~(TH_FIN | TH_PSH);
	th->cksum = 0;
	if (v6) {
		struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(h,
				struct rte_ipv6_hdr *, l3off);

		ip->payload_len = rte_cpu_to_be_16((uint16_t)(m->l3_len -
				sizeof(*ip) + m->l4_len + len));
		if (l4_ol) {
			h->ol_flags |= RTE_MBUF_F_TX_TCP_CKSUM;
			th->cksum = rte_ipv6_phdr_cksum(ip, h->ol_flags);
		} else {
			struct tq_addr sa = { .family = AF_INET6 };
			struct tq_addr da = { .family = AF_INET6 };

			memcpy(sa.v6, ip->src_addr, 16);
			memcpy(da.v6, ip->dst_addr, 16);
			th->cksum = tq_l4_cksum_out(&sa, &da, IPPROTO_TCP, h,
					l4off, m->l4_len + len);
		}
		return;
	}
	{
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(h,
				struct rte_ipv4_hdr *, l3off);

		ip->total_length = rte_cpu_to_be_16((uint16_t)(m->l3_len +
				m->l4_len + len));
		ip->packet_id = rte_cpu_to_be_16(id);
		ip->hdr_checksum = 0;
		if (ip_ol)
			h->ol_flags |= RTE_MBUF_F_TX_IP_CKSUM;
		else
			ip->hdr_checksum = rte_ipv4_cksum(ip);
		if (l4_ol) {
			h->ol_flags |= RTE_MBUF_F_TX_TCP_CKSUM;
			th->cksum = tq_ipv4_phdr_sum(ip);
		} else {
			struct tq_addr sa = tq_addr_v4(ip->src_addr);
			struct tq_addr da = tq_addr_v4(ip->dst_addr);

			/* not rte_ipv4_udptcp_cksum_mbuf(): wrong on chains
			 * with odd-length pieces (tq_cksum.c) */
			th->cksum = tq_l4_cksum_out(&sa, &da, IPPROTO_TCP, h,
					l4off, m->l4_len + len);
		}
	}
}

int
tq_gso_segment(struct rte_mbuf *m, struct rte_mempool *pool, bool ip_ol,
		bool l4_ol, struct rte_mbuf **out, unsigned int max)
{
	uint32_t hlen = (uint32_t)m->l2_len + m->l3_len + m->l4_len;
	uint32_t segsz = m->tso_segsz, plen, off = 0, seq0, nseg, k;
	const struct rte_tcp_hdr *th;
	struct rte_mbuf *src;
	uint16_t id0 = 0;
	unsigned int n = 0;
	int err = -EINVAL;

	if (segsz == 0 || m->l4_len < sizeof(*th) || m->data_len < hlen ||
			m->pkt_len <= hlen)
		goto fail;
	plen = m->pkt_len - hlen;
	nseg = (plen + segsz - 1) / segsz;
	if (nseg > max)
		goto fail;
	th = rte_pktmbuf_mtod_offset(m, const struct rte_tcp_hdr *,
			m->l2_len + m->l3_len);
	seq0 = rte_be_to_cpu_32(th->sent_seq);
	if (!(m->ol_flags & RTE_MBUF_F_TX_IPV6))
		id0 = rte_be_to_cpu_16(rte_pktmbuf_mtod_offset(m,
				const struct rte_ipv4_hdr *,
				m->l2_len)->packet_id);
	/* m keeps only the headers; payload behind them in its own buffer
	 * (a segment copied rather than chained) is shared like the rest. */
	src = m->next;
	if (m->data_len > hlen) {
		struct rte_mbuf *mi = rte_pktmbuf_alloc(pool);

		if (!mi) {
			err = -ENOBUFS;
			goto fail;
		}
		rte_pktmbuf_attach(mi, m);
		mi->data_off = (uint16_t)(m->data_off + hlen);
		mi->data_len = (uint16_t)(m->data_len - hlen);
		mi->pkt_len = mi->data_len;
		mi->next = src;
		src = mi;
		m->data_len = (uint16_t)hlen;
	}
	m->next = NULL;
	m->nb_segs = 1;
	m->pkt_len = hlen;

	for (k = 0; k < nseg; k++) {
		uint32_t want = RTE_MIN(segsz, plen - off), len = want;
		struct rte_mbuf *h = rte_pktmbuf_alloc(pool), *last;

		if (!h) {
			err = -ENOBUFS;
			goto fail_out;
		}
		out[n++] = h;
		if (rte_pktmbuf_tailroom(h) < hlen)
			goto fail_out;
		memcpy(rte_pktmbuf_mtod(h, void *),
				rte_pktmbuf_mtod(m, const void *), hlen);
		h->data_len = (uint16_t)hlen;
		h->pkt_len = hlen;
		last = h;
		while (want) {
			struct rte_mbuf *p = src;

			if (!p)
				goto fail_out;	/* chain shorter than pkt_len */
			if (p->data_len <= want) {
				src = p->next;
				p->next = NULL;
				p->nb_segs = 1;
				p->pkt_len = p->data_len;
			} else {
				/* straddles two frames: share its buffer */
				p = rte_pktmbuf_alloc(pool);
				if (!p) {
					err = -ENOBUFS;
					goto fail_out;
				}
				rte_pktmbuf_attach(p, src);
				p->data_off = src->data_off;
				p->data_len = (uint16_t)want;
				p->pkt_len = want;
				src->data_off = (uint16_t)(src->data_off + want);
				src->data_len = (uint16_t)(src->data_len - want);
			}
			last->next = p;
			last = p;
			h->nb_segs++;
			h->pkt_len += p->data_len;
			want -= p->data_len;
		}
		fix_headers(h, m, seq0 + off, len, (uint16_t)(id0 + k),
				k + 1 == nseg, ip_ol, l4_ol);
		off += len;
	}
	rte_pktmbuf_free(src);	/* nothing, unless pkt_len undercounted */
	rte_pktmbuf_free(m);
	return (int)n;

fail_out:
	while (n)
		rte_pktmbuf_free(out[--n]);
	rte_pktmbuf_free(src);
fail:
	rte_pktmbuf_free(m);
	return err;
}
