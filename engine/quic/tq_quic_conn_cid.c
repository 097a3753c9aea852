/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A connection's connection IDs beyond the handshake's (RFC 9000 5.1):
 * ours issued with NEW_CONNECTION_ID up to the peer's
 * active_connection_id_limit, each made by the module (routable to the
 * worker, with its stateless reset token, in the module's table) and
 * given back to it when the peer retires it; the peer's retired when it
 * says so (Retire Prior To) or when we move to another.  The frames
 * themselves are written in tq_quic_conn_tx.c and read in _rx.c.
 */
#include <errno.h>
#include <string.h>

#include "quic/tq_quic_conn_priv.h"

void
tq_qc_cid_init(struct tq_quic_conn *c)
{
	c->lcid[0].seq = 0;
	c->lcid[0].cid = c->scid;
	if (c->cfg.has_reset_token)
		memcpy(c->lcid[0].token, c->cfg.reset_token, 16);
	c->n_lcid = 1;
	c->lcid_next = 1;
}

bool
tq_qc_cid_ours(const struct tq_quic_conn *c, const uint8_t *id, size_t len)
{
	unsigned int i;

	for (i = 0; i < c->n_lcid; i++)
		if (c->lcid[i].cid.len == len &&
				memcmp(c->lcid[i].cid.id, id, len) == 0)
			return true;
	return false;
}

struct tq_qc_lcid *
tq_qc_cid_find(struct tq_quic_conn *c, uint64_t seq)
{
	unsigned int i;

	for (i = 0; i < c->n_lcid; i++)
		if (c->lcid[i].seq == seq)
			return &c->lcid[i];
	return NULL;
}

/* Issue CIDs until the peer holds as many as its limit allows (ours
 * asked to retire do not count: RFC 9000 5.1.2 lets them exceed it
 * until retired). */
void
tq_qc_cid_top_up(struct tq_quic_conn *c)
{
	uint64_t limit;
	unsigned int active = 0, i;
	struct tq_qc_lcid *l;

	if (!c->cid_ops || !c->have_ptp || !c->confirmed ||
			c->lcid_starved || c->lcid_full ||
			c->state != TQ_QUIC_CS_ESTABLISHED)
		return;
	limit = RTE_MIN(c->ptp.active_connection_id_limit,
			(uint64_t)TQ_QC_PEER_CIDS);
	if (c->cfg.max_cids)
		limit = RTE_MIN(limit, (uint64_t)c->cfg.max_cids);
	for (i = 0; i < c->n_lcid; i++)
		active += c->lcid[i].seq >= c->lcid_rpt;
	while (active < limit && c->n_lcid < TQ_QC_LOCAL_CIDS) {
		l = &c->lcid[c->n_lcid];
		memset(l, 0, sizeof(*l));
		if (c->cid_ops->make(c->cid_arg, &l->cid, l->token) < 0 ||
				l->cid.len != c->scid.len) {
			c->lcid_starved = true;
			return;
		}
		l->seq = c->lcid_next++;
		l->want = true;
		c->n_lcid++;
		active++;
		c->stats.cids_issued++;
	}
	c->lcid_full = active >= limit;
}

bool
tq_qc_cid_pending(struct tq_quic_conn *c)
{
	unsigned int i;

	if (c->n_rcid)
		return true;
	tq_qc_cid_top_up(c);
	for (i = 0; i < c->n_lcid; i++)
		if (c->lcid[i].want)
			return true;
	return false;
}

/* RFC 9000 19.16: the peer retires one of ours. */
enum tq_quic_err
tq_qc_cid_on_retire(struct tq_quic_conn *c, uint64_t seq)
{
	struct tq_qc_lcid *l;
	struct tq_quic_cid cid;

	if (seq >= c->lcid_next)
		return TQ_QUIC_PROTOCOL_VIOLATION;
	l = tq_qc_cid_find(c, seq);
	if (!l)
		return TQ_QUIC_NO_ERROR;	/* retired already */
	/* not the one the packet carrying it was sent to */
	if (l->cid.len == c->rx_dcid.len &&
			memcmp(l->cid.id, c->rx_dcid.id, l->cid.len) == 0)
		return TQ_QUIC_PROTOCOL_VIOLATION;
	cid = l->cid;
	*l = c->lcid[--c->n_lcid];
	c->stats.cids_retired++;
	c->lcid_starved = false;
	c->lcid_full = false;
	if (c->cid_ops)
		c->cid_ops->retired(c->cid_arg, &cid);
	return TQ_QUIC_NO_ERROR;
}

/* Queue RETIRE_CONNECTION_ID for a CID of the peer's.  The queue holds
 * what the peer's limit allows (RFC 9000 5.1.2); past it the oldest
 * goes unsent, which only leaves the peer holding a CID longer. */
void
tq_qc_cid_retire_peer(struct tq_quic_conn *c, uint64_t seq)
{
	unsigned int i;

	for (i = 0; i < c->n_rcid; i++)
		if (c->rcid_q[i] == seq)
			return;
	if (c->n_rcid == TQ_QC_RETIRE_Q) {
		memmove(c->rcid_q, c->rcid_q + 1,
				(TQ_QC_RETIRE_Q - 1) * sizeof(c->rcid_q[0]));
		c->n_rcid--;
	}
	c->rcid_q[c->n_rcid++] = seq;
}

void
tq_quic_conn_set_cid_ops(struct tq_quic_conn *c,
		const struct tq_quic_conn_cid_ops *ops, void *arg)
{
	c->cid_ops = ops;
	c->cid_arg = arg;
}

bool
tq_quic_conn_local_cid(const struct tq_quic_conn *c, unsigned int i,
		struct tq_quic_cid *out)
{
	if (i >= c->n_lcid)
		return false;
	*out = c->lcid[i].cid;
	return true;
}

int
tq_quic_conn_retire_cids(struct tq_quic_conn *c)
{
	if (!c->cid_ops)
		return -ENOTSUP;
	if (!c->confirmed || c->state != TQ_QUIC_CS_ESTABLISHED)
		return -ENOTCONN;
	c->lcid_rpt = c->lcid_next;
	c->lcid_starved = false;
	c->lcid_full = false;
	tq_qc_cid_top_up(c);
	tq_qc_kick(c);
	return 0;
}

int
tq_quic_conn_rotate_dcid(struct tq_quic_conn *c)
{
	unsigned int i, best = UINT32_MAX;

	for (i = 0; i < c->n_pcid; i++)
		if (best == UINT32_MAX || c->pcid[i].seq < c->pcid[best].seq)
			best = i;
	if (best == UINT32_MAX)
		return -ENOENT;
	tq_qc_cid_retire_peer(c, c->dcid_seq);
	c->dcid_seq = c->pcid[best].seq;
	c->dcid = c->pcid[best].cid;
	memcpy(c->dcid_token, c->pcid[best].token, 16);
	c->has_dcid_token = true;
	c->pcid[best] = c->pcid[--c->n_pcid];
	tq_qc_kick(c);
	return 0;
}

unsigned int
tq_quic_conn_spare_dcids(const struct tq_quic_conn *c)
{
	return c->n_pcid;
}

/*
 * RFC 9000 10.3.1: a datagram that ends with the stateless reset token
 * of the peer's CID in use ends the connection at once: draining, no
 * packet sent again, the app told (RESET).  The compare takes the same
 * time wherever it differs (10.3.1), so a forger learns nothing of the
 * token from our timing.
 */
bool
tq_qc_reset_check(struct tq_quic_conn *c, const uint8_t *d, size_t len)
{
	const uint8_t *t;
	uint8_t diff = 0;
	unsigned int i;

	/* 10.3: the smallest a reset can be is 21 bytes */
	if (!c->has_dcid_token || len < 21 || (d[0] & 0x80) ||
			c->state >= TQ_QUIC_CS_DRAINING)
		return false;
	t = d + len - TQ_QUIC_RESET_TOKEN_LEN;
	for (i = 0; i < TQ_QUIC_RESET_TOKEN_LEN; i++)
		diff |= (uint8_t)(t[i] ^ c->dcid_token[i]);
	if (diff)
		return false;
	c->sreset = true;
	c->stats.stateless_resets++;
	tq_qc_drain(c, TQ_QUIC_NO_ERROR, false);
	return true;
}

bool
tq_quic_conn_stateless_reset(struct tq_quic_conn *c, const uint8_t *d,
		size_t len, uint64_t now)
{
	c->now = now;
	return tq_qc_reset_check(c, d, len);
}

bool
tq_quic_conn_peer_reset_token(const struct tq_quic_conn *c,
		uint8_t out[TQ_QUIC_RESET_TOKEN_LEN])
{
	if (!c->has_dcid_token || c->state >= TQ_QUIC_CS_DRAINING)
		return false;
	memcpy(out, c->dcid_token, TQ_QUIC_RESET_TOKEN_LEN);
	return true;
}
