/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_ip_frag.h>

#include "../core/tq_mbuf.h"
#include "tq_net.h"

#define MAX_FRAGS 64
#define IPV6_MIN_MTU 1280

void
tq_ipv6_solicited_node(const uint8_t *a, uint8_t *out)
{
	static const uint8_t pfx[13] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0,
					 0, 0, 0, 1, 0xff };

	memcpy(out, pfx, sizeof(pfx));
	memcpy(out + 13, a + 13, 3);
}

void
tq_ipv6_mcast_mac(const uint8_t *a, struct rte_ether_addr *mac)
{
	mac->addr_bytes[0] = 0x33;
	mac->addr_bytes[1] = 0x33;
	memcpy(&mac->addr_bytes[2], a + 12, 4);
}

/* Ours, all-nodes, or the solicited-node group of one of ours. */
static bool
dst_accepted(const struct tq_iface *ifc, const struct tq_addr *d, bool *mc)
{
	static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };
	uint8_t sn[16];
	unsigned int i;

	*mc = d->v6[0] == 0xff;
	if (!*mc)
		return tq_iface_has_addr(ifc, d);
	if (!memcmp(d->v6, all_nodes, 16))
		return true;
	for (i = 0; i < ifc->nb_addrs; i++) {
		if (ifc->addrs[i].addr.family != AF_INET6)
			continue;
		tq_ipv6_solicited_node(ifc->addrs[i].addr.v6, sn);
		if (!memcmp(sn, d->v6, 16))
			return true;
	}
	return false;
}

void
tq_ipv6_input(struct tq_shard *s, struct rte_mbuf *m,
		const struct rte_ether_addr *peer, bool l2_mcast)
{
	struct tq_net *n = tq_net(s);
	struct rte_ipv6_hdr *ip;
	struct tq_rx rx;
	uint32_t plen, off;
	uint8_t nh;
	bool first = true;

	TQ_INC(s, IP6_IN_RECEIVES);
	if (unlikely(m->data_len < sizeof(*ip))) {
		TQ_INC(s, IP6_IN_HDR_ERRORS);
		goto drop;
	}
	ip = rte_pktmbuf_mtod(m, struct rte_ipv6_hdr *);
	plen = rte_be_to_cpu_16(ip->payload_len);
	if (unlikely((rte_be_to_cpu_32(ip->vtc_flow) >> 28) != 6 ||
			plen == 0)) {
		/* plen 0 would be a jumbogram: not on Ethernet. */
		TQ_INC(s, IP6_IN_HDR_ERRORS);
		goto drop;
	}
	if (unlikely(plen + sizeof(*ip) > m->pkt_len)) {
		TQ_INC(s, IP6_IN_TRUNCATED);
		goto drop;
	}
	if (m->pkt_len > plen + sizeof(*ip))
		tq_mbuf_trim_to(m, plen + sizeof(*ip));

	memset(&rx, 0, sizeof(rx));
	rx.src.family = rx.dst.family = AF_INET6;
	memcpy(rx.src.v6, ip->src_addr, 16);
	memcpy(rx.dst.v6, ip->dst_addr, 16);
	/* peer points into the frame's Ethernet header: read it before
	 * reassembly can touch the buffer. */
	rx.peer_mac = *peer;
	if (unlikely(rx.src.v6[0] == 0xff ||
			!dst_accepted(n->ifc, &rx.dst, &rx.to_bcast))) {
		TQ_INC(s, IP6_IN_ADDR_ERRORS);
		goto drop;
	}
	rx.to_bcast |= l2_mcast;

	/* RFC 8200 4: walk the extension headers in order. */
	nh = ip->proto;
	off = sizeof(*ip);
	for (;;) {
		const uint8_t *eh;
		uint8_t buf[8];
		uint32_t elen;

		if (nh == IPPROTO_FRAGMENT) {
			struct rte_ipv6_fragment_ext *fh;
			uint32_t before = n->dr.cnt;
			struct rte_mbuf *r;

			TQ_INC(s, IP6_REASM_REQDS);
			/* rte_ip_frag wants the fragment header right after
			 * the fixed one, which is what every sender does. */
			if (off != sizeof(*ip) ||
					m->data_len < off + sizeof(*fh)) {
				TQ_INC(s, IP6_REASM_FAILS);
				goto drop;
			}
			fh = (struct rte_ipv6_fragment_ext *)(ip + 1);
			if (RTE_IPV6_GET_FO(rte_be_to_cpu_16(fh->frag_data)) ==
					0 &&
				!RTE_IPV6_GET_MF(rte_be_to_cpu_16(
					fh->frag_data))) {
				/* RFC 8200 4.5 atomic fragment: just skip */
				nh = fh->next_header;
				off += sizeof(*fh);
				continue;
			}
			m->l2_len = 0;
			m->l3_len = sizeof(*ip) + sizeof(*fh);
			r = rte_ipv6_frag_reassemble_packet(n->frag, &n->dr, m,
					s->now, ip, fh);
			if (n->dr.cnt > before)
				TQ_ADD(s, IP6_REASM_FAILS, n->dr.cnt - before);
			if (!r)
				return;
			TQ_INC(s, IP6_REASM_OKS);
			m = r;
			ip = rte_pktmbuf_mtod(m, struct rte_ipv6_hdr *);
			if (rte_be_to_cpu_16(ip->payload_len) + sizeof(*ip) !=
					m->pkt_len) {
				TQ_INC(s, IP6_REASM_FAILS);
				goto drop;
			}
			nh = ip->proto;
			off = sizeof(*ip);
			first = false;
			continue;
		}
		if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING &&
				nh != IPPROTO_DSTOPTS)
			break;
		if (nh == IPPROTO_HOPOPTS && (!first || off != sizeof(*ip))) {
			TQ_INC(s, IP6_IN_HDR_ERRORS);
			goto drop;
		}
		eh = rte_pktmbuf_read(m, off, 8, buf);
		if (!eh) {
			TQ_INC(s, IP6_IN_TRUNCATED);
			goto drop;
		}
		elen = ((uint32_t)eh[1] + 1) * 8;
		/* A routing header with segments left is for a router. */
		if (nh == IPPROTO_ROUTING && eh[3] != 0) {
			TQ_INC(s, IP6_IN_HDR_ERRORS);
			goto drop;
		}
		if (off + elen > m->pkt_len || off + elen > m->data_len) {
			TQ_INC(s, IP6_IN_HDR_ERRORS);
			goto drop;
		}
		nh = eh[0];
		off += elen;
	}

	rx.l3 = ip;
	rx.l3_len = (uint16_t)off;
	rx.tos = (uint8_t)(rte_be_to_cpu_32(ip->vtc_flow) >> 20);
	rx.proto = nh;
	rte_pktmbuf_adj(m, (uint16_t)off);
	m->l3_len = (uint16_t)off;
	rx.m = m;
	switch (nh) {
	case IPPROTO_UDP:
		TQ_INC(s, IP6_IN_DELIVERS);
		tq_udp_input(s, &rx);
		return;
	case IPPROTO_ICMPV6:
		TQ_INC(s, IP6_IN_DELIVERS);
		tq_icmp6_input(s, &rx);
		return;
	case IPPROTO_TCP:
		if (!n->tcp_input) {
			TQ_INC(s, TCP_NO_HANDLER);
			goto drop;
		}
		TQ_INC(s, IP6_IN_DELIVERS);
		n->tcp_input(s, &rx);
		return;
	case IPPROTO_NONE:
		goto drop;
	default:
		TQ_INC(s, IP6_IN_UNKNOWN_PROTOS);
		goto drop;
	}
drop:
	rte_pktmbuf_free(m);
}

static void
l4_cksum6(struct tq_shard *s, struct rte_mbuf *m, struct rte_ipv6_hdr *ip,
		uint8_t proto, bool may_offload)
{
	const struct tq_iface *ifc = tq_net(s)->ifc;
	uint16_t *field;

	if (proto == IPPROTO_UDP)
		field = rte_pktmbuf_mtod_offset(m, uint16_t *, sizeof(*ip) + 6);
	else if (proto == IPPROTO_TCP)
		field = rte_pktmbuf_mtod_offset(m, uint16_t *,
				sizeof(*ip) + 16);
	else
		return;
	*field = 0;
	if (may_offload && ((proto == IPPROTO_UDP && ifc->tx_udp_cksum) ||
			(proto == IPPROTO_TCP && ifc->tx_tcp_cksum))) {
		m->ol_flags |= RTE_MBUF_F_TX_IPV6 | (proto == IPPROTO_UDP ?
				RTE_MBUF_F_TX_UDP_CKSUM :
				RTE_MBUF_F_TX_TCP_CKSUM);
		m->l2_len = RTE_ETHER_HDR_LEN;
		m->l3_len = sizeof(*ip);
		*field = rte_ipv6_phdr_cksum(ip, m->ol_flags);
		return;
	}
	{
		struct tq_addr sa = { .family = AF_INET6 };
		struct tq_addr da = { .family = AF_INET6 };

		memcpy(sa.v6, ip->src_addr, 16);
		memcpy(da.v6, ip->dst_addr, 16);
		*field = tq_l4_cksum_out(&sa, &da, proto, m, sizeof(*ip),
				m->pkt_len - sizeof(*ip));
	}
}

int
tq_ipv6_output_opt(struct tq_shard *s, struct rte_mbuf *m,
		const struct tq_addr *src, const struct tq_addr *dst,
		uint8_t proto, const struct rte_ether_addr *l2dst, uint8_t hlim,
		const struct tq_ip_txopt *o)
{
	struct tq_net *n = tq_net(s);
	const struct tq_iface *ifc = n->ifc;
	struct rte_ipv6_hdr *ip;
	struct tq_addr nh, sa;
	struct rte_mbuf *frags[MAX_FRAGS];
	uint32_t plen = m->pkt_len;
	uint16_t mtu = RTE_MAX(ifc->mtu, (uint16_t)IPV6_MIN_MTU);
	int nf, i;

	memset(&sa, 0, sizeof(sa));
	sa.family = AF_INET6;
	if (src)
		sa = *src;
	nh = *dst;
	if (!l2dst && o->nexthop)
		nh = *o->nexthop;
	else if (!l2dst && dst->v6[0] != 0xff &&
			tq_route_lookup(ifc, dst, &nh, &sa) < 0) {
		TQ_INC(s, IP6_OUT_NO_ROUTES);
		if (NET_LOG_ON(DEBUG)) {
			char a[TQ_ADDR_STRLEN];

			NET_LOG(DEBUG, "no route to %s",
				tq_addr_format(dst, a, sizeof(a)));
		}
		rte_pktmbuf_free(m);
		return -EHOSTUNREACH;
	}
	if (plen > UINT16_MAX) {
		rte_pktmbuf_free(m);
		return -EMSGSIZE;
	}
	ip = (struct rte_ipv6_hdr *)rte_pktmbuf_prepend(m, sizeof(*ip));
	if (!ip) {
		TQ_INC(s, NO_MBUF);
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	ip->vtc_flow = rte_cpu_to_be_32(6u << 28 | (uint32_t)o->tos << 20);
	ip->payload_len = rte_cpu_to_be_16((uint16_t)plen);
	ip->proto = proto;
	ip->hop_limits = hlim;
	memcpy(ip->src_addr, sa.v6, 16);
	memcpy(ip->dst_addr, dst->v6, 16);
	TQ_INC(s, IP6_OUT_REQUESTS);

	if (unlikely(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG) &&
			dst->v6[0] != 0xff) {
		/* Cut to the MSS below, as for IPv4. */
		m->l2_len = RTE_ETHER_HDR_LEN;
		m->l3_len = sizeof(*ip);
		m->ol_flags |= RTE_MBUF_F_TX_IPV6 |
			(ifc->tx_tcp_cksum ? RTE_MBUF_F_TX_TCP_CKSUM : 0);
		tq_eth_output(s, m, RTE_ETHER_TYPE_IPV6, &nh, l2dst);
		return 0;
	}
	if (likely(plen + sizeof(*ip) <= mtu)) {
		struct rte_ether_addr mc;

		l4_cksum6(s, m, ip, proto, true);
		if (dst->v6[0] == 0xff && !l2dst) {
			tq_ipv6_mcast_mac(dst->v6, &mc);
			l2dst = &mc;
		}
		tq_eth_output(s, m, RTE_ETHER_TYPE_IPV6, &nh, l2dst);
		return 0;
	}
	l4_cksum6(s, m, ip, proto, false);
	nf = rte_ipv6_fragment_packet(m, frags, MAX_FRAGS, mtu, s->pool,
			s->pool);
	rte_pktmbuf_free(m);
	if (nf < 0) {
		TQ_INC(s, IP6_FRAG_FAILS);
		return nf;
	}
	TQ_ADD(s, IP6_FRAG_CREATES, nf);
	n->ip6_frag_id++;
	for (i = 0; i < nf; i++) {
		struct rte_mbuf *f = frags[i];
		struct rte_ipv6_fragment_ext *fh = rte_pktmbuf_mtod_offset(f,
				struct rte_ipv6_fragment_ext *, sizeof(*ip));

		/* Every datagram needs its own identification (RFC 8200
		 * 4.5); set it here rather than trust the library's. */
		fh->id = rte_cpu_to_be_32(n->ip6_frag_id);
		f->ol_flags = 0;
		tq_eth_output(s, f, RTE_ETHER_TYPE_IPV6, &nh, l2dst);
	}
	return 0;
}

int
tq_ipv6_output_hlim(struct tq_shard *s, struct rte_mbuf *m,
		const struct tq_addr *src, const struct tq_addr *dst,
		uint8_t proto, const struct rte_ether_addr *l2dst, uint8_t hlim)
{
	static const struct tq_ip_txopt none;

	return tq_ipv6_output_opt(s, m, src, dst, proto, l2dst, hlim, &none);
}

int
tq_ipv6_output(struct tq_shard *s, struct rte_mbuf *m,
		const struct tq_addr *src, const struct tq_addr *dst,
		uint8_t proto, const struct rte_ether_addr *l2dst)
{
	return tq_ipv6_output_hlim(s, m, src, dst, proto, l2dst,
			tq_net(s)->conf->ttl);
}
