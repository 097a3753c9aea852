/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include <rte_icmp.h>
#include <rte_ip.h>

#include "tq_net.h"

#define ICMP_DEST_UNREACH 3
#define ICMP_PROT_UNREACH 2
#define ICMP_PORT_UNREACH 3
#define ICMP_FRAG_NEEDED 4
#define ICMP_PKT_FILTERED 13

/* RFC 1812 4.3.2.1 asks for a limit; like Linux, a token bucket of
 * icmp_rate messages a second with a burst of icmp_burst, per worker. */
bool
tq_icmp_allow(struct tq_shard *s)
{
	struct tq_net *n = tq_net(s);
	const uint64_t one = 1000000000ull;
	uint64_t cap = (uint64_t)n->conf->icmp_burst * one;
	uint64_t dt = s->now - n->icmp_last;

	if (dt > 100 * one)
		dt = 100 * one;
	n->icmp_last = s->now;
	n->icmp_tokens_ns += dt * n->conf->icmp_rate;
	if (n->icmp_tokens_ns > cap)
		n->icmp_tokens_ns = cap;
	if (n->icmp_tokens_ns < one)
		return false;
	n->icmp_tokens_ns -= one;
	return true;
}

static uint16_t
mbuf_cksum(const struct rte_mbuf *m, uint32_t off, uint32_t len)
{
	uint16_t sum = 0;

	if (tq_cksum_mbuf(m, off, len, &sum) < 0)
		return 0;
	return sum;
}

/*
 * Destination unreachable quoting one of our TCP segments (RFC 792: the
 * IP header and at least 8 bytes of what follows; RFC 1191: code 4
 * carries the next hop's MTU).  Handed to TCP, which owns rx->m then.
 */
static bool
dest_unreach(struct tq_shard *s, struct tq_rx *rx,
		const struct rte_icmp_hdr *ic)
{
	struct tq_net *n = tq_net(s);
	struct tq_icmp_err e;
	uint8_t q[60 + 8];
	const struct rte_ipv4_hdr *ip;
	uint32_t len;
	unsigned int ihl;

	if (!n->tcp_icmp || rx->m->pkt_len < sizeof(*ic) + 20 + 8)
		return false;
	len = RTE_MIN(rx->m->pkt_len - (uint32_t)sizeof(*ic),
			(uint32_t)sizeof(q));
	ip = rte_pktmbuf_read(rx->m, sizeof(*ic), len, q);
	if (!ip || (ip->version_ihl >> 4) != 4 ||
			ip->next_proto_id != IPPROTO_TCP)
		return false;
	ihl = (ip->version_ihl & 0xf) * 4u;
	if (ihl < 20 || len < ihl + 8)
		return false;
	memset(&e, 0, sizeof(e));
	e.laddr.family = e.faddr.family = AF_INET;
	e.laddr.v4 = ip->src_addr;
	e.faddr.v4 = ip->dst_addr;
	if (!tq_icmp_err_tcp(n->ifc, &e, (const uint8_t *)ip + ihl))
		return false;
	switch (ic->icmp_code) {
	case ICMP_FRAG_NEEDED:
		/* The MTU is in the second half of the unused word. */
		e.mtu = rte_be_to_cpu_16(ic->icmp_seq_nb);
		if (e.mtu == 0)
			e.mtu = 576; /* an old router: RFC 1191 5's floor */
		break;
	case ICMP_PROT_UNREACH:
	case ICMP_PORT_UNREACH:
	case ICMP_PKT_FILTERED:
		e.hard = true;
		break;
	default:
		break;
	}
	n->tcp_icmp(s, rx, &e);
	return true;
}

void
tq_icmp_input(struct tq_shard *s, struct tq_rx *rx)
{
	struct rte_mbuf *m = rx->m;
	struct rte_icmp_hdr *ic;

	if (m->data_len < sizeof(*ic)) {
		TQ_INC(s, ICMP_IN_ERRORS);
		goto drop;
	}
	if (mbuf_cksum(m, 0, m->pkt_len) != 0xffff) {
		TQ_INC(s, ICMP_IN_CSUM_ERRORS);
		goto drop;
	}
	ic = rte_pktmbuf_mtod(m, struct rte_icmp_hdr *);
	if (ic->icmp_type == ICMP_DEST_UNREACH) {
		TQ_INC(s, ICMP_IN_DEST_UNREACHS);
		if (dest_unreach(s, rx, ic))
			return;
		goto drop;
	}
	/* Echo replies are not ours; other errors concern no socket
	 * of ours that would act on them. */
	if (ic->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || ic->icmp_code != 0)
		goto drop;
	TQ_INC(s, ICMP_IN_ECHOS);
	/* Like Linux's icmp_echo_ignore_broadcasts=1 (smurf defence). */
	if (rx->to_bcast)
		goto drop;
	ic->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	ic->icmp_cksum = 0;
	ic->icmp_cksum = (uint16_t)~mbuf_cksum(m, 0, m->pkt_len);
	m->ol_flags = 0;
	TQ_INC(s, ICMP_OUT_ECHO_REPS);
	tq_ipv4_output(s, m, rx->dst.v4, rx->src.v4, IPPROTO_ICMP,
			&rx->peer_mac);
	return;
drop:
	rte_pktmbuf_free(m);
}

/* RFC 1122 3.2.2.1: port unreachable quoting the IP header and data. */
void
tq_icmp_port_unreach(struct tq_shard *s, struct tq_rx *rx)
{
	/* RFC 1812 4.3.2.3: as much as fits in 576 bytes. */
	const uint32_t room = 576 - sizeof(struct rte_ipv4_hdr) -
		sizeof(struct rte_icmp_hdr);
	struct rte_icmp_hdr *ic;
	struct rte_mbuf *m;
	const void *q;
	uint32_t body;
	uint8_t *p;

	if (rx->to_bcast)
		return;
	if (!tq_icmp_allow(s)) {
		TQ_INC(s, ICMP_RATELIMITED);
		return;
	}
	m = tq_net_alloc(s);
	if (!m)
		return;
	body = RTE_MIN(room - rx->l3_len, rx->m->pkt_len);
	ic = (struct rte_icmp_hdr *)rte_pktmbuf_append(m,
			sizeof(*ic) + rx->l3_len + body);
	if (!ic) {
		rte_pktmbuf_free(m);
		return;
	}
	memset(ic, 0, sizeof(*ic));
	ic->icmp_type = ICMP_DEST_UNREACH;
	ic->icmp_code = ICMP_PORT_UNREACH;
	p = (uint8_t *)(ic + 1);
	memcpy(p, rx->l3, rx->l3_len);
	q = rte_pktmbuf_read(rx->m, 0, body, p + rx->l3_len);
	if (q && q != p + rx->l3_len)
		memcpy(p + rx->l3_len, q, body);
	ic->icmp_cksum = (uint16_t)~rte_raw_cksum(ic, m->pkt_len);
	TQ_INC(s, ICMP_OUT_DEST_UNREACHS);
	tq_ipv4_output(s, m, rx->dst.v4, rx->src.v4, IPPROTO_ICMP,
			&rx->peer_mac);
}
