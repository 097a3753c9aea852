/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_udp.h>

#include "../core/tq_mbuf.h"
#include "tq_net.h"

static bool
l4_cksum_ok(struct tq_shard *s, struct tq_rx *rx, struct rte_udp_hdr *uh)
{
	uint64_t f = rx->m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;

	if (f == RTE_MBUF_F_RX_L4_CKSUM_GOOD)
		return true;
	if (f == RTE_MBUF_F_RX_L4_CKSUM_BAD)
		return false;
	if (uh->dgram_cksum == 0)
		/* RFC 768: none for IPv4; RFC 8200 8.1: must for IPv6. */
		return rx->src.family == AF_INET;
	/* Over the pseudo-header of the addresses we parsed: the library's
	 * helpers would take lengths and proto from the IP header, wrong
	 * with IPv4 options and IPv6 extension headers. */
	RTE_SET_USED(s);
	return tq_l4_cksum_check(rx, IPPROTO_UDP,
			rte_be_to_cpu_16(uh->dgram_len));
}

void
tq_udp_input(struct tq_shard *s, struct tq_rx *rx)
{
	struct rte_mbuf *m = rx->m;
	struct tq_udp_socks *t = &tq_net(s)->udp;
	const struct tq_udp_slot *u;
	struct rte_udp_hdr *uh;
	struct tq_udp_dgram d;
	uint16_t ulen;

	if (unlikely(m->data_len < sizeof(*uh))) {
		TQ_INC(s, UDP_IN_ERRORS);
		goto drop;
	}
	uh = rte_pktmbuf_mtod(m, struct rte_udp_hdr *);
	ulen = rte_be_to_cpu_16(uh->dgram_len);
	if (unlikely(ulen < sizeof(*uh) || ulen > m->pkt_len)) {
		TQ_INC(s, UDP_IN_ERRORS);
		goto drop;
	}
	if (ulen < m->pkt_len)
		tq_mbuf_trim_to(m, ulen);
	if (unlikely(!l4_cksum_ok(s, rx, uh))) {
		TQ_INC(s, UDP_IN_CSUM_ERRORS);
		goto drop;
	}
	if (unlikely(t->list && t->list_done != t->list->n))
		tq_udp_list_sync(s);
	u = tq_udp_lookup(t, &rx->dst, rte_be_to_cpu_16(uh->dst_port));
	if (!u) {
		TQ_INC(s, UDP_NO_PORTS);
		if (UDP_LOG_ON(DEBUG)) {
			char fb[TQ_ADDR_STRLEN + 8], lb[TQ_ADDR_STRLEN + 8];

			UDP_LOG(DEBUG, "no socket on %s, from %s",
				tq_log_ep(&rx->dst,
					rte_be_to_cpu_16(uh->dst_port), lb,
					sizeof(lb)),
				tq_log_ep(&rx->src,
					rte_be_to_cpu_16(uh->src_port), fb,
					sizeof(fb)));
		}
		if (rx->src.family == AF_INET)
			tq_icmp_port_unreach(s, rx);
		else
			tq_icmp6_port_unreach(s, rx);
		goto drop;
	}
	TQ_INC(s, UDP_IN_DATAGRAMS);
	if (tq_ecn(rx->tos) == TQ_ECN_CE)
		TQ_INC(s, UDP_IN_CE);
	d.tos = rx->tos;
	d.src = rx->src;
	d.dst = rx->dst;
	d.sport = rte_be_to_cpu_16(uh->src_port);
	d.dport = rte_be_to_cpu_16(uh->dst_port);
	d.peer_mac = rx->peer_mac;
	rte_pktmbuf_adj(m, sizeof(*uh));
	m->ol_flags = 0;
	d.m = m;
	/* The callback may bind or unbind, which can move slots. */
	{
		tq_udp_rx_cb cb = u->cb;

		cb(s, &d, u->arg);
	}
	return;
drop:
	rte_pktmbuf_free(m);
}

static void
udp_hdr_push(struct tq_shard *s, struct rte_mbuf *m, uint16_t sport,
		uint16_t dport, struct rte_udp_hdr *uh)
{
	uh->src_port = rte_cpu_to_be_16(sport);
	uh->dst_port = rte_cpu_to_be_16(dport);
	uh->dgram_len = rte_cpu_to_be_16((uint16_t)m->pkt_len);
	uh->dgram_cksum = 0; /* filled by IP output */
	m->l4_len = sizeof(*uh);
	TQ_INC(s, UDP_OUT_DATAGRAMS);
}

static int
udp_send(struct tq_shard *s, struct rte_mbuf *m, const struct tq_addr *src,
		uint16_t sport, const struct tq_addr *dst, uint16_t dport,
		const struct rte_ether_addr *l2dst, uint8_t tos)
{
	struct tq_ip_txopt o = { .tos = tos };
	struct rte_udp_hdr *uh;

	if (m->pkt_len > 65507) {
		rte_pktmbuf_free(m);
		return -EMSGSIZE;
	}
	uh = (struct rte_udp_hdr *)rte_pktmbuf_prepend(m, sizeof(*uh));
	if (!uh) {
		TQ_INC(s, NO_MBUF);
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	udp_hdr_push(s, m, sport, dport, uh);
	return tq_ip_output_opt(s, m, src, dst, IPPROTO_UDP, l2dst, &o);
}

int
tq_udp_reply_tos(struct tq_shard *s, struct tq_udp_dgram *d, uint8_t tos)
{
	struct tq_addr src = d->dst;

	/* A datagram sent to a broadcast or group address is answered from
	 * our unicast address on that link. */
	if (!tq_iface_has_addr(tq_net(s)->ifc, &src)) {
		struct tq_addr nh;

		memset(&src, 0, sizeof(src));
		src.family = d->src.family;
		if (tq_route_lookup(tq_net(s)->ifc, &d->src, &nh, &src) < 0) {
			rte_pktmbuf_free(d->m);
			return -EHOSTUNREACH;
		}
	}
	d->m->ol_flags = 0;
	return udp_send(s, d->m, &src, d->dport, &d->src, d->sport,
			&d->peer_mac, tos);
}

int
tq_udp_reply(struct tq_shard *s, struct tq_udp_dgram *d)
{
	return tq_udp_reply_tos(s, d, 0);
}

/* len bytes of buf in a chain of the shard's mbufs; NULL: none left. */
static struct rte_mbuf *
udp_copy_in(struct tq_shard *s, const void *buf, uint32_t len)
{
	struct rte_mbuf *m, *last;
	const uint8_t *p = buf;
	uint32_t left = len;

	m = tq_net_alloc(s);
	if (!m)
		return NULL;
	last = m;
	/* Chain segments for datagrams bigger than one mbuf. */
	for (;;) {
		uint16_t room = rte_pktmbuf_tailroom(last);
		uint32_t k = RTE_MIN((uint32_t)room, left);

		memcpy(rte_pktmbuf_mtod_offset(last, uint8_t *,
				last->data_len), p, k);
		last->data_len += (uint16_t)k;
		m->pkt_len += k;
		p += k;
		left -= k;
		if (!left)
			break;
		last->next = tq_net_alloc(s);
		if (!last->next) {
			rte_pktmbuf_free(m);
			return NULL;
		}
		last = last->next;
		m->nb_segs++;
	}
	return m;
}

int
tq_udp_sendto_tos(struct tq_shard *s, const struct tq_addr *src,
		uint16_t sport, const struct tq_addr *dst, uint16_t dport,
		const void *buf, uint32_t len, uint8_t tos)
{
	struct rte_mbuf *m;

	if (len > 65507)
		return -EMSGSIZE;
	m = udp_copy_in(s, buf, len);
	if (!m)
		return -ENOMEM;
	return udp_send(s, m, src, sport, dst, dport, NULL, tos);
}

int
tq_udp_sendto(struct tq_shard *s, const struct tq_addr *src, uint16_t sport,
		const struct tq_addr *dst, uint16_t dport, const void *buf,
		uint32_t len)
{
	return tq_udp_sendto_tos(s, src, sport, dst, dport, buf, len, 0);
}

/* Neither a group nor a broadcast: the burst resolves one neighbour. */
static bool
is_unicast(const struct tq_iface *ifc, const struct tq_addr *a)
{
	if (a->family == AF_INET6)
		return a->v6[0] != 0xff && !tq_addr_is_any(a);
	if (a->family != AF_INET)
		return false;
	return (rte_be_to_cpu_32(a->v4) >> 28) != 0xe && a->v4 != 0 &&
		!tq_iface_is_bcast4(ifc, a->v4);
}

static bool
same_src(const struct tq_addr *a, const struct tq_addr *b)
{
	bool wa = a->family == 0 || tq_addr_is_any(a);
	bool wb = b->family == 0 || tq_addr_is_any(b);

	return wa || wb ? wa && wb : tq_addr_equal(a, b);
}

/* The route of a run of datagrams, and its neighbour once known. */
struct burst_route {
	const struct tq_udp_tx *first;	/* the datagram that looked it up */
	struct tq_addr src, nh;
	struct rte_ether_addr mac;
	bool mac_looked, mac_ok;
};

static int
burst_check(struct tq_shard *s, const struct tq_udp_tx *t,
		struct burst_route *r)
{
	const struct tq_iface *ifc = tq_net(s)->ifc;
	bool v4 = t->dst.family == AF_INET;
	uint32_t len = t->m ? t->m->pkt_len : t->len;
	uint32_t mtu = v4 ? ifc->mtu : RTE_MAX(ifc->mtu, 1280u);

	if (r->first && tq_addr_equal(&t->dst, &r->first->dst) &&
			same_src(&t->src, &r->first->src))
		goto routed;
	if (!is_unicast(ifc, &t->dst) || (t->src.family &&
			t->src.family != t->dst.family))
		return -EINVAL;
	memset(&r->src, 0, sizeof(r->src));
	if (t->src.family)
		r->src = t->src;
	else
		r->src.family = t->dst.family;
	if (tq_route_lookup(ifc, &t->dst, &r->nh, &r->src) < 0) {
		if (v4)
			TQ_INC(s, IP_OUT_NO_ROUTES);
		else
			TQ_INC(s, IP6_OUT_NO_ROUTES);
		r->first = NULL;
		return -EHOSTUNREACH;
	}
	r->first = t;
	r->mac_looked = r->mac_ok = false;
routed:
	if (t->dport == 0)
		return -EINVAL;
	if (len + sizeof(struct rte_udp_hdr) + (v4 ? 20 : 40) > mtu)
		return -EMSGSIZE;
	if (t->m && rte_pktmbuf_headroom(t->m) < TQ_UDP_HDR_ROOM)
		return -EINVAL;
	return 0;
}

int
tq_udp_send_burst(struct tq_shard *s, const struct tq_udp_tx *tx,
		unsigned int n)
{
	struct burst_route r = { .first = NULL };
	unsigned int i;
	int ret = 0;

	for (i = 0; i < n; i++) {
		const struct tq_udp_tx *t = &tx[i];
		struct tq_ip_txopt o = { .tos = t->tos, .df = true };
		struct rte_udp_hdr *uh;
		struct rte_mbuf *m;

		ret = burst_check(s, t, &r);
		if (ret < 0)
			break;
		m = t->m;
		if (!m) {
			m = udp_copy_in(s, t->buf, t->len);
			if (!m) {
				ret = -ENOMEM;
				break;
			}
		}
		m->ol_flags = 0;
		/* Headroom checked: the prepends below cannot fail. */
		uh = (struct rte_udp_hdr *)rte_pktmbuf_prepend(m, sizeof(*uh));
		udp_hdr_push(s, m, t->sport, t->dport, uh);
		if (r.mac_ok) {
			tq_ip_output_opt(s, m, &r.src, &t->dst, IPPROTO_UDP,
					&r.mac, &o);
			continue;
		}
		/* The first of a run goes through the neighbour cache, which
		 * also confirms a stale entry; the rest reuse its MAC. */
		o.nexthop = &r.nh;
		tq_ip_output_opt(s, m, &r.src, &t->dst, IPPROTO_UDP, NULL, &o);
		if (!r.mac_looked) {
			r.mac_looked = true;
			r.mac_ok = tq_neigh_lookup(s, &r.nh, &r.mac) == 0;
		}
	}
	return i ? (int)i : ret;
}
