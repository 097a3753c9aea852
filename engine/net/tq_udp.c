/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_udp.h>

#include "../core/tq_mbuf.h"
#include "tq_net.h"

/*
 * Exact address first, then the wildcard.  The table is small and read
 * only on the data path; a hash takes over when services bind many ports.
 */
static const struct tq_udp_sock *
udp_lookup(const struct tq_udp_table *t, const struct tq_addr *dst,
		uint16_t port)
{
	const struct tq_udp_sock *wild = NULL;
	unsigned int i;

	if (!t)
		return NULL;
	for (i = 0; i < t->n; i++) {
		const struct tq_udp_sock *u = &t->socks[i];

		if (u->port != port)
			continue;
		if (u->addr.family == 0)
			wild = u;
		else if (tq_addr_equal(&u->addr, dst))
			return u;
	}
	return wild;
}

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
	const struct tq_udp_sock *u;
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
	u = udp_lookup(tq_net(s)->udp, &rx->dst,
			rte_be_to_cpu_16(uh->dst_port));
	if (!u) {
		TQ_INC(s, UDP_NO_PORTS);
		if (rx->src.family == AF_INET)
			tq_icmp_port_unreach(s, rx);
		else
			tq_icmp6_port_unreach(s, rx);
		goto drop;
	}
	TQ_INC(s, UDP_IN_DATAGRAMS);
	d.src = rx->src;
	d.dst = rx->dst;
	d.sport = rte_be_to_cpu_16(uh->src_port);
	d.dport = rte_be_to_cpu_16(uh->dst_port);
	d.peer_mac = rx->peer_mac;
	rte_pktmbuf_adj(m, sizeof(*uh));
	m->ol_flags = 0;
	d.m = m;
	u->cb(s, &d, u->arg);
	return;
drop:
	rte_pktmbuf_free(m);
}

static int
udp_send(struct tq_shard *s, struct rte_mbuf *m, const struct tq_addr *src,
		uint16_t sport, const struct tq_addr *dst, uint16_t dport,
		const struct rte_ether_addr *l2dst)
{
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
	uh->src_port = rte_cpu_to_be_16(sport);
	uh->dst_port = rte_cpu_to_be_16(dport);
	uh->dgram_len = rte_cpu_to_be_16((uint16_t)m->pkt_len);
	uh->dgram_cksum = 0; /* filled by IP output */
	m->l4_len = sizeof(*uh);
	TQ_INC(s, UDP_OUT_DATAGRAMS);
	return tq_ip_output(s, m, src, dst, IPPROTO_UDP, l2dst);
}

int
tq_udp_reply(struct tq_shard *s, struct tq_udp_dgram *d)
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
			&d->peer_mac);
}

int
tq_udp_sendto(struct tq_shard *s, const struct tq_addr *src, uint16_t sport,
		const struct tq_addr *dst, uint16_t dport, const void *buf,
		uint32_t len)
{
	struct rte_mbuf *m, *last;
	const uint8_t *p = buf;
	uint32_t left = len;

	if (len > 65507)
		return -EMSGSIZE;
	m = tq_net_alloc(s);
	if (!m)
		return -ENOMEM;
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
			return -ENOMEM;
		}
		last = last->next;
		m->nb_segs++;
	}
	return udp_send(s, m, src, sport, dst, dport, NULL);
}

int
tq_udp_table_bind(struct tq_udp_table *t, const struct tq_addr *addr,
		uint16_t port, tq_udp_rx_cb cb, void *arg)
{
	struct tq_udp_sock *u;
	unsigned int i;
	bool wild = !addr || addr->family == 0 || tq_addr_is_any(addr);

	if (port == 0 || !cb)
		return -EINVAL;
	for (i = 0; i < t->n; i++) {
		const struct tq_udp_sock *o = &t->socks[i];

		if (o->port != port)
			continue;
		/* Linux without SO_REUSEADDR/PORT: a port is taken by an
		 * exact bind of the same address or by any wildcard. */
		if (wild || o->addr.family == 0 ||
				tq_addr_equal(&o->addr, addr))
			return -EADDRINUSE;
	}
	if (t->n == TQ_UDP_MAX_SOCKS)
		return -ENOSPC;
	u = &t->socks[t->n++];
	memset(u, 0, sizeof(*u));
	if (!wild)
		u->addr = *addr;
	u->port = port;
	u->cb = cb;
	u->arg = arg;
	return 0;
}
