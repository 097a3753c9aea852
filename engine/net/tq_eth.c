/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "tq_net.h"

RTE_LOG_REGISTER(tq_net_logtype, tachyon.net, INFO);

#define NEIGH_TICK_NS (100ull * 1000 * 1000)

void
tq_net_conf_defaults(struct tq_net_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->neigh_entries = 1024;
	c->neigh_queue = 8;
	/* Linux: base_reachable_time 30 s, gc_stale_time 60 s,
	 * retrans_time 1 s, mcast_solicit 3. */
	c->neigh_reachable_ns = 30ull * 1000000000;
	c->neigh_gc_ns = 60ull * 1000000000;
	c->neigh_retrans_ns = 1000000000ull;
	c->neigh_probes = 3;
	c->frag_entries = 1024;
	c->frag_timeout_ns = 30ull * 1000000000; /* ipfrag_time */
	c->icmp_rate = 1000;			   /* icmp_msgs_per_sec */
	c->icmp_burst = 50;			   /* icmp_msgs_burst */
	c->ttl = 64;
	c->garp = true;
}

/*
 * rte_ip_frag ages an incomplete datagram only when a later fragment
 * lands in its bucket: without this sweep one missing fragment would hold
 * its mbufs and table entry for good, and frag_timeout would mean nothing.
 */
static void
frag_expire(struct tq_shard *s)
{
	struct tq_net *n = tq_net(s);
	uint32_t i, first;

	do {
		first = n->dr.cnt;
		rte_ip_frag_table_del_expired_entries(n->frag, &n->dr, s->now);
		for (i = first; i < n->dr.cnt; i++) {
			const uint8_t *ip = rte_pktmbuf_mtod(n->dr.row[i],
					const uint8_t *);

			/* held fragments still start at their IP header */
			if ((ip[0] >> 4) == 4)
				TQ_INC(s, IP_REASM_FAILS);
			else
				TQ_INC(s, IP6_REASM_FAILS);
		}
		/* The row is bounded and the sweep stops when it is full:
		 * empty it and sweep again until nothing more expires. */
		rte_ip_frag_free_death_row(&n->dr, 0);
	} while (i > first);
}

static void
neigh_timer_cb(struct tq_timer *t, void *arg)
{
	struct tq_shard *s = arg;

	tq_neigh_tick(s);
	frag_expire(s);
	tq_timer_arm(s->timers, t, s->now + NEIGH_TICK_NS);
}

/* A neighbour learned by another worker. */
static void
net_xmsg(struct tq_shard *s, const struct tq_xmsg *msg)
{
	struct tq_addr a;
	struct rte_ether_addr mac;

	if (msg->type == TQ_XMSG_FRAME) {
		struct rte_mbuf *m;

		memcpy(&m, msg->data, sizeof(m));
		tq_net_input(s, &m, 1);
		return;
	}
	if (msg->type != TQ_XMSG_NEIGH ||
			msg->len != sizeof(a) + sizeof(mac) + 1)
		return;
	memcpy(&a, msg->data, sizeof(a));
	memcpy(&mac, msg->data + sizeof(a), sizeof(mac));
	tq_neigh_update(s, &a, &mac, msg->data[sizeof(a) + sizeof(mac)] != 0,
			false);
}

int
tq_net_attach(struct tq_shard *s, const struct tq_iface *ifc,
		const struct tq_net_conf *conf, const struct tq_udp_table *udp)
{
	struct tq_net *n;
	uint64_t max_cycles;
	int ret;

	n = rte_zmalloc_socket("tq_net", sizeof(*n), RTE_CACHE_LINE_SIZE,
			s->socket);
	if (!n)
		return -ENOMEM;
	n->ifc = ifc;
	n->conf = conf;
	n->neigh = tq_neigh_create(conf, s->socket);
	/* rte_ip_frag measures age in whatever unit it is given: our ns. */
	max_cycles = conf->frag_timeout_ns;
	n->frag = rte_ip_frag_table_create(conf->frag_entries, 16,
			conf->frag_entries, max_cycles, s->socket);
	if (!n->neigh || !n->frag) {
		tq_neigh_free(n->neigh);
		if (n->frag)
			rte_ip_frag_table_destroy(n->frag);
		rte_free(n);
		return -ENOMEM;
	}
	n->ip_id = (uint16_t)(s->id * 7919 + 1);
	n->l2_gen = 1; /* a zeroed route cache is empty */
	n->ip6_frag_id = (uint32_t)(s->id << 24) + 1;
	n->icmp_tokens_ns = (uint64_t)conf->icmp_burst * 1000000000ull;
	n->icmp_last = s->now;
	s->net = n;
	s->input = tq_net_input;
	s->xmsg_input = net_xmsg;
	tq_timer_init(&n->neigh_timer, neigh_timer_cb, s);
	tq_timer_arm(s->timers, &n->neigh_timer, s->now + NEIGH_TICK_NS);
	ret = tq_udp_attach(s, udp);
	if (ret < 0)
		tq_net_detach(s);
	return ret;
}

void
tq_net_detach(struct tq_shard *s)
{
	struct tq_net *n = s->net;

	if (!n)
		return;
	tq_timer_cancel(s->timers, &n->neigh_timer);
	rte_ip_frag_free_death_row(&n->dr, 0);
	rte_ip_frag_table_destroy(n->frag);
	tq_neigh_free(n->neigh);
	tq_udp_detach(s);
	rte_free(n);
	s->net = NULL;
	s->input = NULL;
	s->xmsg_input = NULL;
}

static bool
mac_for_us(const struct tq_iface *ifc, const struct rte_ether_addr *d)
{
	/* Multicast (incl. broadcast) is filtered again at L3 by address. */
	if (rte_is_multicast_ether_addr(d))
		return true;
	return rte_is_same_ether_addr(d, &ifc->mac);
}

void
tq_net_input(struct tq_shard *s, struct rte_mbuf **pkts, uint16_t n)
{
	const struct tq_iface *ifc = tq_net(s)->ifc;
	uint16_t i;

	for (i = 0; i < n; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct rte_ether_hdr *eh;
		bool mcast;
		uint16_t type;

		if (unlikely(m->data_len < sizeof(*eh))) {
			TQ_INC(s, ETH_TRUNCATED);
			rte_pktmbuf_free(m);
			continue;
		}
		eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
		if (unlikely(!mac_for_us(ifc, &eh->dst_addr))) {
			TQ_INC(s, ETH_NOT_FOR_US);
			rte_pktmbuf_free(m);
			continue;
		}
		mcast = rte_is_multicast_ether_addr(&eh->dst_addr);
		type = eh->ether_type;
		/* The header stays in the buffer in front of the data: the
		 * IP layer reads the peer's MAC from it before anything is
		 * prepended. */
		rte_pktmbuf_adj(m, sizeof(*eh));
		m->l2_len = 0;
		switch (type) {
		case RTE_BE16(RTE_ETHER_TYPE_IPV4):
			tq_ipv4_input(s, m, &eh->src_addr, mcast);
			break;
		case RTE_BE16(RTE_ETHER_TYPE_IPV6):
			tq_ipv6_input(s, m, &eh->src_addr, mcast);
			break;
		case RTE_BE16(RTE_ETHER_TYPE_ARP):
			tq_arp_input(s, m);
			break;
		default:
			TQ_INC(s, ETH_UNKNOWN_TYPE);
			rte_pktmbuf_free(m);
		}
	}
	/* Fragments the reassembly tables gave up on in this burst. */
	if (tq_net(s)->dr.cnt)
		rte_ip_frag_free_death_row(&tq_net(s)->dr, 0);
}
