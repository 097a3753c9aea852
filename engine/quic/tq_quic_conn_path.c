/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A server connection's path (RFC 9000 8.2, 9): the client's address
 * changing under it, by a NAT rebinding or the client moving.  The
 * highest-numbered non-probing packet from a new address moves our
 * sending there at once (9.3); the new path is validated with
 * PATH_CHALLENGE / PATH_RESPONSE, held to three times what it brought
 * until then (9.3, 8.2), and, unless only the port changed (9.4: most
 * likely a rebinding, the same path underneath), starts with a fresh
 * congestion controller and RTT.  A path that does not answer in
 * 3 PTO (8.2.4) gives way to the last validated one, its RTT and
 * window back.  The module tells where each datagram came from
 * (tq_quic_conn_set_rx_path()) and sends where tq_quic_conn_path()
 * says.
 */
#include <string.h>

#include <rte_random.h>

#include "quic/tq_quic_conn_priv.h"

static bool
same_path(const struct tq_addr *a, uint16_t ap, const struct tq_addr *b,
		uint16_t bp)
{
	return ap == bp && tq_addr_equal(a, b);
}

static void
save_rec(struct tq_quic_conn *c)
{
	struct tq_quic_rec *r = &c->rec;

	c->pv.smoothed_rtt = r->smoothed_rtt;
	c->pv.rttvar = r->rttvar;
	c->pv.min_rtt = r->min_rtt;
	c->pv.latest_rtt = r->latest_rtt;
	c->pv.first_rtt_sample = r->first_rtt_sample;
	c->pv.has_rtt = r->has_rtt;
	c->pv.cc = r->cc;
}

static void
restore_rec(struct tq_quic_conn *c)
{
	struct tq_quic_rec *r = &c->rec;

	r->smoothed_rtt = c->pv.smoothed_rtt;
	r->rttvar = c->pv.rttvar;
	r->min_rtt = c->pv.min_rtt;
	r->latest_rtt = c->pv.latest_rtt;
	r->first_rtt_sample = c->pv.first_rtt_sample;
	r->has_rtt = c->pv.has_rtt;
	r->cc = c->pv.cc;
	/* the path MTU is searched again (pmtu_reset came with the move) */
	r->cc.mss = c->max_dgram;
}

/* A new path's MTU is unknown: 1200-byte datagrams until a probe on it
 * says more (RFC 9000 14.3). */
static void
pmtu_reset(struct tq_quic_conn *c)
{
	c->max_dgram = c->cfg.max_dgram;
	c->rec.max_datagram = c->max_dgram;
	c->rec.cc.mss = c->max_dgram;
	memset(&c->pmtu, 0, sizeof(c->pmtu));
}

/* RFC 9000 9.4: a new path's capacity and delay are unknown: the
 * initial RTT and window. */
static void
reset_rec(struct tq_quic_conn *c, uint64_t now)
{
	struct tq_quic_rec *r = &c->rec;
	uint32_t segs = r->cc.init_cwnd_segs;
	const struct tq_cc_ops *ops = r->cc.ops;

	r->smoothed_rtt = TQ_QUIC_INITIAL_RTT;
	r->rttvar = TQ_QUIC_INITIAL_RTT / 2;
	r->min_rtt = 0;
	r->latest_rtt = 0;
	r->first_rtt_sample = 0;
	r->has_rtt = false;
	memset(&r->cc, 0, sizeof(r->cc));
	r->cc.init_cwnd_segs = segs;
	tq_cc_init(&r->cc, ops, r->max_datagram, now);
}

/* How long a challenge may go unanswered (8.2.4: 3 PTO, at least 6
 * initial-RTT PTOs) and how often it is sent again meanwhile. */
static uint64_t
pv_timeout(const struct tq_quic_conn *c)
{
	uint64_t pto = tq_quic_rec_pto_base(&c->rec);
	uint64_t ipto = TQ_QUIC_INITIAL_RTT + 4 * (TQ_QUIC_INITIAL_RTT / 2);

	return RTE_MAX(3 * pto, 6 * ipto);
}

static void
challenge(struct tq_quic_conn *c, uint64_t now)
{
	uint64_t v = rte_rand();

	memcpy(c->pv.data, &v, sizeof(c->pv.data));
	c->pv.want = true;
	c->pv.resend_at = now + 2 * tq_quic_rec_pto_base(&c->rec);
	c->pv.end = now + pv_timeout(c);
	c->stats.path_challenges++;
}

void
tq_qc_path_on_packet(struct tq_quic_conn *c, bool largest, bool probing,
		uint64_t now)
{
	bool port_only;

	if (!c->is_server || !c->rx_path_set || c->raddr.family == 0 ||
			same_path(&c->rx_addr, c->rx_port, &c->raddr,
				c->rport))
		return;
	/* 9.3: only the highest-numbered non-probing packet moves us; a
	 * probe is answered where it came from by the path's own
	 * validation, which the peer drives */
	if (!largest || probing || !c->confirmed ||
			c->state != TQ_QUIC_CS_ESTABLISHED)
		return;
	port_only = tq_addr_equal(&c->rx_addr, &c->raddr);
	if (!c->pv.active) {
		/* the last validated path, to go back to */
		c->pv.old_addr = c->raddr;
		c->pv.old_port = c->rport;
		save_rec(c);
	}
	if (!port_only) {
		pmtu_reset(c);
		reset_rec(c, now);
	}
	c->pv.rec_reset |= !port_only;
	c->raddr = c->rx_addr;
	c->rport = c->rx_port;
	c->pv.active = true;
	/* 8.2, 9.3: unvalidated, the new path gets 3x what it sent */
	c->validated = false;
	c->amp_rx = c->rx_dgram_len;
	c->amp_tx = 0;
	challenge(c, now);
	c->stats.migrations++;
}

void
tq_qc_path_on_response(struct tq_quic_conn *c, const uint8_t data[8])
{
	if (!c->pv.active || memcmp(data, c->pv.data, 8) != 0)
		return;
	c->pv.active = false;
	c->pv.want = false;
	c->pv.rec_reset = false;
	c->validated = true;
	c->rec.amp_blocked = false;
}

uint64_t
tq_qc_path_timer(const struct tq_quic_conn *c)
{
	if (!c->pv.active)
		return UINT64_MAX;
	return RTE_MIN(c->pv.end, c->pv.resend_at);
}

void
tq_qc_path_on_timer(struct tq_quic_conn *c, uint64_t now)
{
	if (!c->pv.active)
		return;
	if (now >= c->pv.end) {
		/* 9.3.2: back to the last validated path */
		c->raddr = c->pv.old_addr;
		c->rport = c->pv.old_port;
		if (c->pv.rec_reset)
			restore_rec(c);
		c->pv.active = false;
		c->pv.want = false;
		c->pv.rec_reset = false;
		c->validated = true;
		c->rec.amp_blocked = false;
		/* the old path has been silent for a while: probe it now,
		 * not after a PTO backed off over the failed one */
		c->rec.pto_count = 0;
		c->probes[TQ_QUIC_SPACE_APP]++;
		c->stats.path_failed++;
		return;
	}
	if (now >= c->pv.resend_at) {
		c->pv.want = true;
		c->pv.resend_at = now + 2 * tq_quic_rec_pto_base(&c->rec);
	}
}

void
tq_quic_conn_set_rx_path(struct tq_quic_conn *c, const struct tq_addr *raddr,
		uint16_t rport)
{
	c->rx_addr = *raddr;
	c->rx_port = rport;
	c->rx_path_set = true;
}

void
tq_quic_conn_path(const struct tq_quic_conn *c, struct tq_addr *raddr,
		uint16_t *rport, bool *validating)
{
	*raddr = c->raddr;
	*rport = c->rport;
	if (validating)
		*validating = c->pv.active;
}
