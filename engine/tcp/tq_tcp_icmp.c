/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICMP errors about our segments (RFC 1122 4.2.3.9, RFC 5927):
 *   - "fragmentation needed" / "packet too big" (RFC 1191, RFC 8201): the
 *     path MTU is smaller than our segments; the MSS is cut and what was
 *     sent at the old size goes again, as Linux's tcp_simple_retransmit()
 *     does, without taking it for congestion.  Without this, IPv6 (which
 *     routers never fragment) stalls on any path with a smaller MTU;
 *   - a hard unreachable (port, protocol, administratively prohibited)
 *     ends an open still in SYN-SENT, as on Linux; on a synchronized
 *     connection it is only a soft error (RFC 1122), ignored.
 * An error must quote a sequence number in flight, or it is ignored
 * (OutOfWindowIcmps): a blind attacker would have to guess one.  A path
 * MTU learned is kept per peer address for ten minutes, so the next
 * connections to that peer start with the smaller MSS.
 */
#include <string.h>

#include <rte_hash_crc.h>

#include "tq_tcp.h"

/* Linux's floors: net.ipv4.route.min_pmtu, and IPv6's minimum link MTU. */
#define MIN_PMTU4 552
#define MIN_PMTU6 1280

static struct tq_pmtu_entry *
pmtu_slot(struct tq_shard *s, const struct tq_tcp_key *k)
{
	/* CRC32-C of the address words (a handful of instructions; Jenkins'
	 * hash of 16 bytes was ~100, once per connection set-up). */
	uint64_t w[2];
	uint32_t h;

	memcpy(w, k->faddr, sizeof(w));
	h = rte_hash_crc_8byte(w[1], rte_hash_crc_8byte(w[0], k->family));

	return &tq_tcp(s)->pmtu[h & (TQ_PMTU_CACHE - 1)];
}

uint16_t
tq_tcp_pmtu_mss(struct tq_shard *s, const struct tq_tcp_key *k)
{
	const struct tq_pmtu_entry *e = pmtu_slot(s, k);

	if (e->family != k->family || e->expire <= s->now ||
			memcmp(e->addr, k->faddr, sizeof(e->addr)))
		return UINT16_MAX;
	return (uint16_t)(e->mtu - (k->family == AF_INET ? 40 : 60));
}

static void
pmtu_remember(struct tq_shard *s, const struct tq_tcp_key *k, uint32_t mtu)
{
	struct tq_pmtu_entry *e = pmtu_slot(s, k);

	memcpy(e->addr, k->faddr, sizeof(e->addr));
	e->family = k->family;
	e->mtu = (uint16_t)mtu;
	e->expire = s->now + TQ_PMTU_EXPIRE_NS;
}

static void
pmtu_update(struct tq_tcb *tp, uint32_t mtu)
{
	uint32_t hdrs, mss;

	if (tp->key.family == AF_INET) {
		mtu = RTE_MAX(mtu, (uint32_t)MIN_PMTU4);
		hdrs = 20 + 20;
	} else {
		mtu = RTE_MAX(mtu, (uint32_t)MIN_PMTU6);
		hdrs = 40 + 20;
	}
	mss = mtu - hdrs - ((tp->flags & TF_TS_OK) ? 12 : 0);
	if (mss >= tp->mss)
		return;
	pmtu_remember(tp->s, &tp->key, mtu);
	tp->mss = (uint16_t)mss;
	tp->cc.mss = mss;
	TQ_INC(tp->s, TCP_PMTU_UPDATES);
	if (tp->snd_max == tp->snd_una)
		return;
	/* Everything in flight was cut to the old size: send it again at
	 * the new one (no congestion response: nothing says there was
	 * congestion), and take no RTT sample from it (Karn). */
	tp->snd_nxt = tp->snd_una;
	tp->cur_seg = NULL;
	tp->flags &= ~TF_RTT_TIMING;
	tq_tcp_output(tp);
}

void
tq_tcp_icmp_input(struct tq_shard *s, struct tq_rx *rx,
		const struct tq_icmp_err *e)
{
	struct tq_tcp_key k;
	struct tq_tcb *tp;
	uint32_t sig;

	tq_tcp_key_make(&k, &e->laddr, &e->faddr, e->lport, e->fport);
	/* The error came from a router, so it may have landed on any
	 * worker: the connection's owner handles it. */
	if (tq_tcp_steer_to_owner(s, rx, &k))
		return;
	tp = tq_tcp_lookup(s, &k, &sig);
	if (!tp || tp->state == TQ_TCPS_TIME_WAIT) {
		TQ_INC(s, TCP_ICMP_NO_CONN);
		goto done;
	}
	if (SEQ_LT(e->seq, tp->snd_una) || SEQ_GEQ(e->seq, tp->snd_max)) {
		TQ_INC(s, TCP_OUT_OF_WINDOW_ICMPS);
		goto done;
	}
	if (e->mtu) {
		pmtu_update(tp, e->mtu);
	} else if (e->hard && tp->state == TQ_TCPS_SYN_SENT) {
		TQ_INC(s, TCP_ICMP_ABORTS);
		TQ_INC(s, TCP_ATTEMPT_FAILS);
		tq_tcb_close(tp, TQ_CLOSE_UNREACHABLE);
	}
done:
	rte_pktmbuf_free(rx->m);
}
