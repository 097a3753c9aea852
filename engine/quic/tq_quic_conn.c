/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A QUIC connection: creation, the TLS session's callbacks, the
 * handshake's progress (key discard, confirmation), closing, draining,
 * the idle timeout and the timers.  See docs/quic.md, Connection layer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "quic/tq_quic_conn_priv.h"

/* ---- send queues ---- */

/* The ring itself comes with the first write: a stream the app never
 * writes (most peer streams of a server) costs none. */
int
tq_qc_sq_init(struct tq_qc_sq *q, uint32_t cap)
{
	/* The range arrays count from n_acked and n_lost: 1 KiB of them
	 * need no zeroing for each new stream. */
	q->buf = NULL;
	q->cap = 0;
	q->base = q->end = q->next = 0;
	q->n_acked = q->n_lost = 0;
	if (cap == 0)
		return -EINVAL;
	q->cap = cap;
	return 0;
}

int
tq_qc_sq_alloc(struct tq_qc_sq *q)
{
	if (!q->buf)
		q->buf = malloc(q->cap);
	return q->buf ? 0 : -ENOMEM;
}

int
tq_qc_sq_grow(struct tq_qc_sq *q, uint32_t cap)
{
	uint64_t off;
	uint32_t at, n;
	uint8_t *b;

	if (cap <= q->cap)
		return 0;
	if (!q->buf) {
		q->cap = cap;
		return 0;
	}
	b = malloc(cap);
	if (!b)
		return -ENOMEM;
	/* each byte goes where off % cap puts it in the new ring */
	for (off = q->base; off < q->end; off += n) {
		at = (uint32_t)(off % cap);
		n = (uint32_t)RTE_MIN(q->end - off, (uint64_t)(cap - at));
		tq_qc_sq_copy(q, off, b + at, n);
	}
	free(q->buf);
	q->buf = b;
	q->cap = cap;
	return 0;
}

void
tq_qc_sq_free(struct tq_qc_sq *q)
{
	free(q->buf);
	q->buf = NULL;
}

uint32_t
tq_qc_sq_write(struct tq_qc_sq *q, const void *p, uint32_t len)
{
	uint32_t n = RTE_MIN(len, tq_qc_sq_space(q));
	uint32_t at = (uint32_t)(q->end % q->cap), k;

	if (n == 0)
		return 0;
	if (tq_qc_sq_alloc(q) < 0)
		return 0;
	k = RTE_MIN(n, q->cap - at);
	memcpy(q->buf + at, p, k);
	if (unlikely(n > k))	/* wraps */
		memcpy(q->buf, (const uint8_t *)p + k, n - k);
	q->end += n;
	return n;
}

void
tq_qc_sq_copy(const struct tq_qc_sq *q, uint64_t off, uint8_t *dst,
		uint32_t len)
{
	uint32_t at = (uint32_t)(off % q->cap);
	uint32_t k = RTE_MIN(len, q->cap - at);

	if (len == 0)
		return; /* an empty frame: the ring may not exist yet */
	memcpy(dst, q->buf + at, k);
	if (unlikely(len > k))	/* wraps */
		memcpy(dst + k, q->buf, len - k);
}

/* Insert [lo, hi) into sorted disjoint ranges, merging what touches.
 * When full and it touches none: exact fails (false), else the nearest
 * range grows to take it (for lost ranges: resending a few bytes twice
 * is harmless, losing track of them is not). */
static bool
ranges_add(struct tq_qc_range *r, uint32_t *n, uint64_t lo, uint64_t hi,
		bool exact)
{
	uint32_t i = 0, j;

	if (lo >= hi)
		return true;
	while (i < *n && r[i].hi < lo)
		i++;
	if (i < *n && r[i].lo <= hi) {
		r[i].lo = RTE_MIN(r[i].lo, lo);
		r[i].hi = RTE_MAX(r[i].hi, hi);
		/* swallow the ranges it now reaches */
		j = i + 1;
		while (j < *n && r[j].lo <= r[i].hi) {
			r[i].hi = RTE_MAX(r[i].hi, r[j].hi);
			j++;
		}
		if (j > i + 1) {
			memmove(&r[i + 1], &r[j], (*n - j) * sizeof(*r));
			*n -= j - i - 1;
		}
		return true;
	}
	if (*n == TQ_QC_RANGES) {
		if (exact)
			return false;
		if (i == *n)
			i--;
		r[i].lo = RTE_MIN(r[i].lo, lo);
		r[i].hi = RTE_MAX(r[i].hi, hi);
		return true;
	}
	memmove(&r[i + 1], &r[i], (*n - i) * sizeof(*r));
	r[i].lo = lo;
	r[i].hi = hi;
	(*n)++;
	return true;
}

bool
tq_qc_sq_peek(struct tq_qc_sq *q, uint64_t *off, uint64_t *len, bool *retx)
{
	while (q->n_lost) {
		struct tq_qc_range *l = &q->lost[0];

		if (l->lo < q->base)
			l->lo = q->base;
		if (l->lo < l->hi) {
			*off = l->lo;
			*len = l->hi - l->lo;
			*retx = true;
			return true;
		}
		memmove(&q->lost[0], &q->lost[1],
				(--q->n_lost) * sizeof(q->lost[0]));
	}
	if (q->next < q->end) {
		*off = q->next;
		*len = q->end - q->next;
		*retx = false;
		return true;
	}
	return false;
}

void
tq_qc_sq_sent(struct tq_qc_sq *q, uint64_t off, uint64_t len, bool retx)
{
	if (retx && q->n_lost) {
		q->lost[0].lo = off + len;
		if (q->lost[0].lo >= q->lost[0].hi)
			memmove(&q->lost[0], &q->lost[1],
					(--q->n_lost) * sizeof(q->lost[0]));
	} else if (!retx) {
		q->next = RTE_MAX(q->next, off + len);
	}
}

void
tq_qc_sq_acked(struct tq_qc_sq *q, uint64_t off, uint64_t len)
{
	uint64_t lo = RTE_MAX(off, q->base), hi = off + len;

	if (lo >= hi)
		return;
	if (!ranges_add(q->acked, &q->n_acked, lo, hi, true)) {
		/* No room to remember it: send it again, the ACK of the
		 * copy will count. */
		ranges_add(q->lost, &q->n_lost, lo, hi, false);
		return;
	}
	while (q->n_acked && q->acked[0].lo <= q->base) {
		q->base = RTE_MAX(q->base, q->acked[0].hi);
		memmove(&q->acked[0], &q->acked[1],
				(--q->n_acked) * sizeof(q->acked[0]));
	}
}

void
tq_qc_sq_lost(struct tq_qc_sq *q, uint64_t off, uint64_t len)
{
	uint64_t lo = RTE_MAX(off, q->base), hi = off + len;

	ranges_add(q->lost, &q->n_lost, lo, hi, false);
}

void
tq_qc_sq_requeue(struct tq_qc_sq *q)
{
	ranges_add(q->lost, &q->n_lost, q->base, q->next, false);
}

/* ---- mbuf references for rxbuf ---- */

static void
ref_get(void *ref)
{
	rte_mbuf_refcnt_update(ref, 1);
}

static void
ref_put(void *ref)
{
	rte_pktmbuf_free(ref);
}

const struct tq_quic_rxbuf_ops tq_qc_mbuf_ref_ops = {
	.get = ref_get,
	.put = ref_put,
};

/* ---- recovery's callbacks ---- */

static void
rec_acked(void *arg, enum tq_quic_space sp, const struct tq_quic_sent *p)
{
	tq_qc_pkt_acked(arg, sp, p);
}

static void
rec_lost(void *arg, enum tq_quic_space sp, const struct tq_quic_sent *p)
{
	tq_qc_pkt_lost(arg, sp, p);
}

static void
rec_discarded(void *arg, enum tq_quic_space sp, const struct tq_quic_sent *p)
{
	tq_qc_pkt_discarded(arg, sp, p);
}

const struct tq_quic_rec_ops tq_qc_rec_ops = {
	.on_acked = rec_acked,
	.on_lost = rec_lost,
	.on_discarded = rec_discarded,
};

/* ---- TLS callbacks ---- */

static enum tq_quic_space
space_of_level(enum tq_quic_level l)
{
	return l == TQ_QUIC_LEVEL_INITIAL ? TQ_QUIC_SPACE_INITIAL :
		l == TQ_QUIC_LEVEL_HANDSHAKE ? TQ_QUIC_SPACE_HANDSHAKE :
		TQ_QUIC_SPACE_APP;
}

static int
on_crypto(void *arg, enum tq_quic_level l, const uint8_t *d, size_t n)
{
	struct tq_quic_conn *c = arg;
	struct tq_qc_sq *q = &c->csq[space_of_level(l)];

	if (l == TQ_QUIC_LEVEL_EARLY)
		return -EINVAL;
	if (tq_qc_sq_write(q, d, (uint32_t)n) != n)
		return -EMSGSIZE;
	return 0;
}

static int
on_secret(void *arg, enum tq_quic_level l, enum tq_quic_dir dir,
		enum tq_quic_cipher ci, const uint8_t *s, size_t n)
{
	struct tq_quic_conn *c = arg;

	/* 0-RTT: a client's write key with its ClientHello, a server's
	 * read key when it takes the early data */
	if (l == TQ_QUIC_LEVEL_HANDSHAKE)
		c->rec.have_handshake_keys = true;
	if (unlikely(c->qlog))
		tq_qc_qlog_key(c, l, dir, "tls");
	return tq_quic_key_set_install(&c->ks, c->cw, l, dir, ci, s, n);
}

static bool
cid_eq(const struct tq_quic_cid *a, const struct tq_quic_cid *b)
{
	return a->len == b->len && memcmp(a->id, b->id, a->len) == 0;
}

/* The peer's transport parameters (RFC 9000 7.3, 18.2). */
static enum tq_quic_err
on_peer_tp(void *arg, const uint8_t *p, size_t n)
{
	struct tq_quic_conn *c = arg;
	struct tq_quic_tp *tp = &c->ptp;
	enum tq_quic_err e;

	e = tq_quic_tp_decode(p, n, !c->is_server, tp);
	if (e != TQ_QUIC_NO_ERROR)
		return e;
	/* The SCID the peer's first packet carried, and (from a server)
	 * the DCID of our first Initial; no Retry was done. */
	if (!cid_eq(&tp->initial_scid, &c->peer_scid))
		return TQ_QUIC_TRANSPORT_PARAMETER_ERROR;
	if (!c->is_server && (!cid_eq(&tp->original_dcid, &c->odcid) ||
			tp->has_retry_scid != c->got_retry ||
			(c->got_retry && !cid_eq(&tp->retry_scid,
						 &c->retry_scid))))
		return TQ_QUIC_TRANSPORT_PARAMETER_ERROR;
	c->have_ptp = true;
	/* the token of the server's handshake CID (sequence 0) */
	if (tp->has_stateless_reset_token && c->dcid_seq == 0) {
		memcpy(c->dcid_token, tp->stateless_reset_token, 16);
		c->has_dcid_token = true;
	}
	tq_quic_fc_tx_update(&c->fct, tp->initial_max_data);
	tq_quic_streams_local_update(&c->sc[0], tp->initial_max_streams_bidi);
	tq_quic_streams_local_update(&c->sc[1], tp->initial_max_streams_uni);
	tq_quic_rec_set_max_ack_delay(&c->rec,
			tp->max_ack_delay * TQ_QUIC_NS_PER_MS);
	if (tp->max_idle_timeout &&
			(c->idle_ns == 0 ||
			 tp->max_idle_timeout * TQ_QUIC_NS_PER_MS < c->idle_ns))
		c->idle_ns = tp->max_idle_timeout * TQ_QUIC_NS_PER_MS;
	if (tp->max_udp_payload_size < c->max_dgram)
		c->max_dgram = (uint32_t)tp->max_udp_payload_size;
	tq_qc_streams_on_peer_tp(c);
	return TQ_QUIC_NO_ERROR;
}

static const struct tq_quic_tls_ops tls_ops = {
	.crypto_data = on_crypto,
	.secret = on_secret,
	.peer_tp = on_peer_tp,
};

/* ---- resumption and 0-RTT ---- */

/* What tq_quic_conn_session() gives: "TQS1", the TLS session's length
 * (4 bytes, network order) and bytes, the server's transport
 * parameters' length (2) and bytes. */
#define SESS_MAGIC "TQS1"

int
tq_quic_conn_session(struct tq_quic_conn *c, uint8_t **out, size_t *len)
{
	const uint8_t *tp;
	uint8_t *tls, *p;
	size_t tls_len, tp_len;
	int rc;

	*out = NULL;
	*len = 0;
	if (c->is_server)
		return -EINVAL;
	tp = tq_quic_tls_peer_tp(c->tls, &tp_len);
	if (!tp || tp_len > UINT16_MAX)
		return -EAGAIN;
	rc = tq_quic_tls_get_session(c->tls, &tls, &tls_len);
	if (rc < 0)
		return rc;
	p = malloc(4 + 4 + tls_len + 2 + tp_len);
	if (!p) {
		free(tls);
		return -ENOMEM;
	}
	memcpy(p, SESS_MAGIC, 4);
	p[4] = (uint8_t)(tls_len >> 24);
	p[5] = (uint8_t)(tls_len >> 16);
	p[6] = (uint8_t)(tls_len >> 8);
	p[7] = (uint8_t)tls_len;
	memcpy(p + 8, tls, tls_len);
	p[8 + tls_len] = (uint8_t)(tp_len >> 8);
	p[9 + tls_len] = (uint8_t)tp_len;
	memcpy(p + 10 + tls_len, tp, tp_len);
	free(tls);
	*out = p;
	*len = 10 + tls_len + tp_len;
	return 0;
}

/* The client's cfg.session into the TLS session and c->rtp; bytes that
 * do not parse leave a full handshake. */
static void
session_load(struct tq_quic_conn *c, const uint8_t *p, size_t n)
{
	size_t tls_len, tp_len;

	if (n < 10 || memcmp(p, SESS_MAGIC, 4) != 0)
		return;
	tls_len = (size_t)p[4] << 24 | (size_t)p[5] << 16 |
		(size_t)p[6] << 8 | p[7];
	if (tls_len == 0 || tls_len > n - 10)
		return;
	tp_len = (size_t)p[8 + tls_len] << 8 | p[9 + tls_len];
	if (tp_len != n - 10 - tls_len)
		return;
	if (tq_quic_tp_decode(p + 10 + tls_len, tp_len, true, &c->rtp) !=
			TQ_QUIC_NO_ERROR)
		return;
	if (tq_quic_tls_set_session(c->tls, p + 8, tls_len) < 0)
		return;
	c->have_rtp = true;
}

/*
 * RFC 9000 7.4.1: 0-RTT obeys the limits the server's transport
 * parameters set on the connection the ticket came from (the others
 * stay at their defaults until the new ones arrive).
 */
static void
early_limits(struct tq_quic_conn *c)
{
	const struct tq_quic_tp *r = &c->rtp;
	struct tq_quic_tp *tp = &c->ptp;

	tp->active_connection_id_limit = r->active_connection_id_limit;
	tp->initial_max_data = r->initial_max_data;
	tp->initial_max_stream_data_bidi_local =
		r->initial_max_stream_data_bidi_local;
	tp->initial_max_stream_data_bidi_remote =
		r->initial_max_stream_data_bidi_remote;
	tp->initial_max_stream_data_uni = r->initial_max_stream_data_uni;
	tp->initial_max_streams_bidi = r->initial_max_streams_bidi;
	tp->initial_max_streams_uni = r->initial_max_streams_uni;
	tp->max_udp_payload_size = r->max_udp_payload_size;
	tq_quic_fc_tx_update(&c->fct, r->initial_max_data);
	tq_quic_streams_local_update(&c->sc[0], r->initial_max_streams_bidi);
	tq_quic_streams_local_update(&c->sc[1], r->initial_max_streams_uni);
}

/* A limit 0-RTT used that the server's new parameters reduce. */
static bool
early_reduced(const struct tq_quic_tp *r, const struct tq_quic_tp *n)
{
	return n->active_connection_id_limit < r->active_connection_id_limit ||
		n->initial_max_data < r->initial_max_data ||
		n->initial_max_stream_data_bidi_local <
			r->initial_max_stream_data_bidi_local ||
		n->initial_max_stream_data_bidi_remote <
			r->initial_max_stream_data_bidi_remote ||
		n->initial_max_stream_data_uni <
			r->initial_max_stream_data_uni ||
		n->initial_max_streams_bidi < r->initial_max_streams_bidi ||
		n->initial_max_streams_uni < r->initial_max_streams_uni;
}

/*
 * Once complete: was the session resumed, was 0-RTT taken.  A client
 * whose 0-RTT was refused sends it all again in 1-RTT (RFC 9001 4.6.2:
 * its packets count as lost, their frames queued again); one whose
 * 0-RTT was taken checks that the server reduced no limit it used
 * (RFC 9000 7.4.1).  A server forgets its 0-RTT key at the first 1-RTT
 * packet (RFC 9001 4.9.3), see the input.
 */
void
tq_qc_early_settle(struct tq_quic_conn *c)
{
	bool taken = tq_quic_tls_early_accepted(c->tls);

	if (c->early_done)
		return;
	c->early_done = true;
	c->stats.resumed = tq_quic_tls_resumed(c->tls);
	if (c->is_server) {
		if (taken)
			c->stats.early_accepted = 1;
		else if (c->early_seen)
			c->stats.early_rejected = 1;
		return;
	}
	if (!c->early_tx)
		return;
	c->early_tx = false;
	tq_quic_key_set_drop(&c->ks, TQ_QUIC_LEVEL_EARLY);
	if (taken) {
		c->stats.early_accepted = 1;
		if (early_reduced(&c->rtp, &c->ptp))
			tq_qc_close(c, TQ_QUIC_PROTOCOL_VIOLATION, 0, false);
		return;
	}
	c->stats.early_rejected = 1;
	tq_quic_rec_lose_all(&c->rec, TQ_QUIC_SPACE_APP);
}

/* ---- qlog ---- */

int
tq_quic_conn_set_qlog(struct tq_quic_conn *c, const char *dir)
{
	int rc;

	if (c->qlog)
		return -EBUSY;
	rc = tq_quic_qlog_open(dir, c->is_server, &c->odcid, c->now,
			&c->qlog);
	if (rc < 0)
		return rc;
	tq_quic_qlog_event(c->qlog, c->now, "connectivity:connection_started",
			"\"protocol\":\"QUIC\",\"src_cid_length\":%u,"
			"\"dst_cid_length\":%u", c->scid.len, c->dcid.len);
	return 0;
}

void
tq_qc_qlog_metrics(struct tq_quic_conn *c, uint64_t now)
{
	const struct tq_quic_rec *r = &c->rec;

	tq_quic_qlog_event(c->qlog, now, "recovery:metrics_updated",
			"\"min_rtt\":%.3f,\"smoothed_rtt\":%.3f,"
			"\"latest_rtt\":%.3f,\"rtt_variance\":%.3f,"
			"\"congestion_window\":%u,\"bytes_in_flight\":%llu",
			(double)r->min_rtt / 1e6, (double)r->smoothed_rtt / 1e6,
			(double)r->latest_rtt / 1e6, (double)r->rttvar / 1e6,
			r->cc.cwnd, (unsigned long long)r->bytes_in_flight);
}

void
tq_qc_qlog_key(struct tq_quic_conn *c, enum tq_quic_level l,
		enum tq_quic_dir dir, const char *trigger)
{
	static const char *const lv[] = {
		[TQ_QUIC_LEVEL_INITIAL] = "initial",
		[TQ_QUIC_LEVEL_EARLY] = "0rtt",
		[TQ_QUIC_LEVEL_HANDSHAKE] = "handshake",
		[TQ_QUIC_LEVEL_APP] = "1rtt",
	};
	/* whose secret: the writer's */
	bool client = (dir == TQ_QUIC_DIR_WRITE) != c->is_server;

	if ((unsigned int)l >= TQ_QUIC_LEVEL_MAX)
		return;
	tq_quic_qlog_event(c->qlog, c->now, "security:key_updated",
			"\"key_type\":\"%s_%s_secret\",\"trigger\":\"%s\","
			"\"generation\":%llu",
			client ? "client" : "server", lv[l], trigger,
			(unsigned long long)c->stats.key_updates);
}

bool
tq_quic_conn_resumed(const struct tq_quic_conn *c)
{
	return c->stats.resumed != 0;
}

/* ---- life ---- */

static int
set_our_tp(struct tq_quic_conn *c)
{
	const struct tq_quic_conn_cfg *g = &c->cfg;
	struct tq_quic_tp *tp = &c->ltp;
	uint8_t b[512];
	int n;

	tq_quic_tp_default(tp);
	tp->has_initial_scid = true;
	tp->initial_scid = c->scid;
	if (c->is_server) {
		tp->has_original_dcid = true;
		tp->original_dcid = c->odcid;
		if (g->retried) {
			tp->original_dcid = g->original_dcid;
			tp->has_retry_scid = true;
			tp->retry_scid = c->odcid;
		}
	}
	tp->max_idle_timeout = g->idle_timeout_ms;
	tp->initial_max_data = g->max_data;
	tp->initial_max_stream_data_bidi_local = g->max_stream_data;
	tp->initial_max_stream_data_bidi_remote = g->max_stream_data;
	tp->initial_max_stream_data_uni = g->max_stream_data;
	tp->initial_max_streams_bidi = g->max_streams_bidi;
	tp->initial_max_streams_uni = g->max_streams_uni;
	tp->active_connection_id_limit = TQ_QC_PEER_CIDS;
	/* no path validation or migration here yet (RFC 9000 9): a
	 * client must not move on purpose */
	/* servers follow a client's new path (tq_quic_conn_path.c) */
	tp->disable_active_migration = false;
	if (c->is_server && g->has_reset_token) {
		tp->has_stateless_reset_token = true;
		memcpy(tp->stateless_reset_token, g->reset_token,
				sizeof(tp->stateless_reset_token));
	}
	n = tq_quic_tp_encode(tp, c->is_server, b, sizeof(b));
	if (n < 0)
		return n;
	return tq_quic_tls_set_tp(c->tls, b, (size_t)n);
}

int
tq_quic_conn_new(const struct tq_quic_conn_cfg *cfg, uint64_t now,
		struct tq_quic_conn **out)
{
	struct tq_quic_conn *c;
	struct tq_quic_rec_cfg rc = { 0 };
	int sp, rc2;

	if (!cfg || !cfg->tls || !cfg->cw || !cfg->pool || !out ||
			cfg->scid.len > TQ_QUIC_CID_MAX ||
			cfg->dcid.len < 8 || cfg->dcid.len > TQ_QUIC_CID_MAX)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->cfg = *cfg;
	if (!c->cfg.idle_timeout_ms)
		c->cfg.idle_timeout_ms = 30000;
	if (!c->cfg.max_stream_data)
		c->cfg.max_stream_data = 256 * 1024;
	if (!c->cfg.max_data)
		c->cfg.max_data = c->cfg.max_stream_data * 3 / 2;
	if (!c->cfg.max_streams_bidi)
		c->cfg.max_streams_bidi = 100;
	if (!c->cfg.max_streams_uni)
		c->cfg.max_streams_uni = 100;
	/* an sndbuf set is the app's choice: it grows only if told to */
	if (!c->cfg.sndbuf_max)
		c->cfg.sndbuf_max = c->cfg.sndbuf ? c->cfg.sndbuf :
			16 * 256 * 1024;
	if (!c->cfg.sndbuf)
		c->cfg.sndbuf = 256 * 1024;
	c->cfg.sndbuf_max = RTE_MAX(c->cfg.sndbuf_max, c->cfg.sndbuf);
	if (!c->cfg.sndbuf_grow_total)
		c->cfg.sndbuf_grow_total = (uint32_t)RTE_MIN(
				2ull * c->cfg.sndbuf_max, (uint64_t)UINT32_MAX);
	if (!c->cfg.max_dgram)
		c->cfg.max_dgram = TQ_QC_MAX_DGRAM_DEFAULT;
	c->base.vt = &tq_qc_conn_vt;
	c->base.transport = TQ_TRANSPORT_QUIC;
	c->is_server = cfg->is_server;
	c->cw = cfg->cw;
	c->qlog = NULL;
	c->pool = cfg->pool;
	c->spool = cfg->spool;
	if (!c->spool) {
		if (tq_quic_stream_pool_new(0, 8, &c->spool) < 0)
			goto nomem;
		c->spool_own = true;
	}
	c->scid = cfg->scid;
	c->odcid = cfg->dcid;
	if (c->is_server) {
		c->dcid = cfg->peer_scid;
		c->peer_scid = cfg->peer_scid;
		c->have_peer_cid = true;
	} else {
		c->dcid = cfg->dcid;
	}
	c->max_dgram = c->cfg.max_dgram;
	tq_qc_cid_init(c);
	/* RFC 9000 8.1.2: a Retry token validates the address */
	c->validated = c->is_server && (cfg->retried || cfg->addr_validated);
	c->idle_ns = c->cfg.idle_timeout_ms * TQ_QUIC_NS_PER_MS;
	c->keepalive_ns = (uint64_t)c->cfg.keepalive_ms * TQ_QUIC_NS_PER_MS;
	c->elicit_tx_at = now;
	c->idle_at = now + c->idle_ns;
	c->now = now;
	c->close_end = UINT64_MAX;
	for (sp = 0; sp < TQ_QUIC_SPACE_N; sp++) {
		tq_quic_ackr_init(&c->ackr[sp], sp,
				sp == TQ_QUIC_SPACE_APP ?
				TQ_QUIC_TP_DEFAULT_MAX_ACK_DELAY *
				TQ_QUIC_NS_PER_MS : 0);
		tq_quic_rxbuf_init(&c->crb[sp], c->cseg[sp], TQ_QC_CRYPTO_SEGS,
				TQ_QC_CRYPTO_SND, true, &tq_qc_mbuf_ref_ops);
		if (tq_qc_sq_init(&c->csq[sp], TQ_QC_CRYPTO_SND) < 0)
			goto nomem;
	}
	/* the caller's token: ours to send (server, NEW_TOKEN) or to put
	 * in our Initials (client) */
	c->cfg.token = NULL;
	c->cfg.token_len = 0;
	if (cfg->token_len) {
		uint8_t *t = malloc(cfg->token_len);

		if (!t || !cfg->token) {
			free(t);
			goto nomem;
		}
		memcpy(t, cfg->token, cfg->token_len);
		if (c->is_server) {
			c->nt = t;
			c->nt_len = cfg->token_len;
		} else {
			c->token = t;
			c->token_len = cfg->token_len;
		}
	}
	if (!c->cfg.max_packets)
		c->cfg.max_packets = TQ_QC_SENT_CAP;
	c->sent = calloc(c->cfg.max_packets, sizeof(*c->sent));
	c->pkts = calloc(c->cfg.max_packets, sizeof(*c->pkts));
	if (!c->sent || !c->pkts)
		goto nomem;
	for (sp = 0; sp < (int)c->cfg.max_packets - 1; sp++)
		c->pkts[sp].next_free = &c->pkts[sp + 1];
	c->pkt_free = &c->pkts[0];
	rc.cc = cfg->cc;
	rc.max_datagram = c->max_dgram;
	rc.is_server = c->is_server;
	rc.ecn = cfg->ecn;
	rc.ops = &tq_qc_rec_ops;
	rc.arg = c;
	if (tq_quic_rec_init(&c->rec, &rc, c->sent, c->cfg.max_packets,
			now) < 0)
		goto inval;
	tq_quic_pacer_init(&c->pacer, (uint64_t)10 * c->max_dgram, now);
	tq_quic_fc_rx_init(&c->fcr, c->cfg.max_data, c->cfg.max_data * 16,
			now);
	tq_quic_fc_tx_init(&c->fct, 0);
	tq_quic_streams_init(&c->sc[0], c->cfg.max_streams_bidi, 0);
	tq_quic_streams_init(&c->sc[1], c->cfg.max_streams_uni, 0);
	rc2 = tq_quic_key_set_initial(&c->ks, c->cw, c->is_server,
			c->odcid.id, c->odcid.len);
	if (rc2 < 0)
		goto fail;
	rc2 = tq_quic_tls_new(cfg->tls, c->is_server ? NULL : cfg->server_name,
			&tls_ops, c, &c->tls);
	if (rc2 < 0)
		goto fail;
	if (!c->is_server && cfg->session)
		session_load(c, cfg->session, cfg->session_len);
	c->cfg.session = NULL;
	c->cfg.session_len = 0;
	rc2 = set_our_tp(c);
	if (rc2 < 0)
		goto fail;
	if (tq_quic_tls_start(c->tls) != TQ_QUIC_NO_ERROR) {
		rc2 = -EIO;
		goto fail;
	}
	if (c->have_rtp && tq_quic_key_set_get(&c->ks, TQ_QUIC_LEVEL_EARLY,
			TQ_QUIC_DIR_WRITE)) {
		c->early_tx = true;
		early_limits(c);
	}
	*out = c;
	return 0;
nomem:
	rc2 = -ENOMEM;
	goto fail;
inval:
	rc2 = -EINVAL;
fail:
	tq_quic_conn_free(c);
	return rc2;
}

void
tq_quic_conn_free(struct tq_quic_conn *c)
{
	int sp;

	if (!c)
		return;
	tq_qc_streams_free(c);
	if (c->spool_own)
		tq_quic_stream_pool_free(c->spool);
	for (sp = 0; sp < TQ_QUIC_SPACE_N; sp++) {
		tq_quic_rxbuf_reset(&c->crb[sp]);
		tq_qc_sq_free(&c->csq[sp]);
	}
	if (c->qlog) {
		tq_quic_qlog_event(c->qlog, c->now,
				"connectivity:connection_closed",
				"\"owner\":\"%s\",\"%s\":%llu,"
				"\"trigger\":\"%s\"",
				c->close_remote ? "remote" : "local",
				c->close_app ? "application_code" :
				"connection_code",
				(unsigned long long)c->close_code,
				c->sreset ? "stateless_reset" :
				c->state < TQ_QUIC_CS_CLOSING ? "unspecified" :
				c->close_code == 0 ? "clean" : "error");
		tq_quic_qlog_close(c->qlog);
	}
	if (c->tls)
		tq_quic_tls_free(c->tls);
	tq_quic_aead_free(c->prev_read);
	tq_quic_aead_free(c->next_read);
	free(c->token);
	free(c->nt);
	free(c->sent);
	free(c->pkts);
	tq_quic_key_set_free(&c->ks);
	free(c);
}

/* ---- handshake ---- */

void
tq_qc_discard(struct tq_quic_conn *c, enum tq_quic_space sp)
{
	if (c->discarded[sp])
		return;
	c->discarded[sp] = true;
	tq_quic_key_set_drop(&c->ks, tq_qc_level(sp));
	tq_quic_rec_discard(&c->rec, sp);
	tq_quic_rxbuf_reset(&c->crb[sp]);
	c->probes[sp] = 0;
}

/* After CRYPTO data went to TLS: completion, confirmation, keys. */
void
tq_qc_handshake_progress(struct tq_quic_conn *c)
{
	if (!c->complete && tq_quic_tls_complete(c->tls)) {
		c->complete = true;
		tq_qc_early_settle(c);
		if (c->is_server) {
			/* RFC 9001 4.1.2: confirmed once complete */
			c->confirmed = true;
			c->hd_want = true;
			c->nt_want = c->nt != NULL;
			tq_quic_tls_confirm(c->tls);
			c->rec.handshake_confirmed = true;
			tq_qc_discard(c, TQ_QUIC_SPACE_HANDSHAKE);
		}
	}
	if (c->complete && !c->established_told &&
			c->state == TQ_QUIC_CS_HANDSHAKE) {
		c->state = TQ_QUIC_CS_ESTABLISHED;
		c->established_told = true;
		tq_conn_cb_established(&c->base);
	}
}

/* ---- closing ---- */

uint64_t
tq_qc_pto3(const struct tq_quic_conn *c)
{
	return 3 * (tq_quic_rec_pto_base(&c->rec) + c->rec.max_ack_delay_ns);
}

static enum tq_close_reason
close_reason(const struct tq_quic_conn *c)
{
	if (c->sreset)
		return TQ_CLOSE_RESET;
	if (!c->close_app && c->close_code != TQ_QUIC_NO_ERROR)
		return TQ_CLOSE_PROTOCOL;
	if (c->close_remote)
		return c->close_app && c->close_code ? TQ_CLOSE_RESET :
			TQ_CLOSE_NORMAL;
	return c->close_app && c->close_code ? TQ_CLOSE_ABORTED :
		TQ_CLOSE_NORMAL;
}

/* Every stream's closed(), then the connection's: the app is done. */
static void
tell_app(struct tq_quic_conn *c, enum tq_close_reason why)
{
	if (c->app_told)
		return;
	c->app_told = true;
	tq_qc_streams_close_all(c, why, c->close_app ? c->close_code : 0);
	tq_conn_cb_closed(&c->base, why, c->close_code);
}

void
tq_qc_close(struct tq_quic_conn *c, uint64_t code, uint64_t ftype, bool app)
{
	if (c->state >= TQ_QUIC_CS_CLOSING)
		return;
	if (!app && code != TQ_QUIC_NO_ERROR)
		c->stats.proto_err++;
	c->state = TQ_QUIC_CS_CLOSING;
	c->close_code = code;
	c->close_ftype = ftype;
	c->close_app = app;
	c->close_send = true;
	c->close_end = c->now + tq_qc_pto3(c);
	tell_app(c, close_reason(c));
}

void
tq_qc_drain(struct tq_quic_conn *c, uint64_t code, bool app)
{
	if (c->state == TQ_QUIC_CS_CLOSED || c->state == TQ_QUIC_CS_DRAINING)
		return;
	if (c->state != TQ_QUIC_CS_CLOSING) {
		c->close_code = code;
		c->close_app = app;
		c->close_remote = true;
	}
	c->state = TQ_QUIC_CS_DRAINING;
	c->close_send = false;
	c->close_end = c->now + tq_qc_pto3(c);
	tell_app(c, close_reason(c));
}

int
tq_quic_conn_ping(struct tq_quic_conn *c)
{
	if (c->state != TQ_QUIC_CS_ESTABLISHED)
		return -ENOTCONN;
	c->ping_want = true;
	tq_qc_kick(c);
	return 0;
}

int
tq_quic_conn_key_update(struct tq_quic_conn *c)
{
	struct tq_quic_aead *w;
	int rc;

	/* RFC 9001 6.1: not before confirmation; 6.5: not again before
	 * the peer answered the last one */
	if (!c->confirmed || c->state != TQ_QUIC_CS_ESTABLISHED ||
			c->write_phase != c->read_phase)
		return -EBUSY;
	rc = tq_quic_key_set_next(&c->ks, c->cw, TQ_QUIC_DIR_WRITE, &w);
	if (rc < 0)
		return rc;
	if (unlikely(c->qlog))
		tq_qc_qlog_key(c, TQ_QUIC_LEVEL_APP, TQ_QUIC_DIR_WRITE,
				"local_update");
	tq_quic_aead_free(c->ks.aead[TQ_QUIC_LEVEL_APP][TQ_QUIC_DIR_WRITE]);
	c->ks.aead[TQ_QUIC_LEVEL_APP][TQ_QUIC_DIR_WRITE] = w;
	c->write_phase = !c->write_phase;
	c->aead_sealed = 0;
	return 0;
}

/*
 * RFC 9001 6.6, B.1 and B.2: packets one key may seal.  AES-GCM's
 * confidentiality limit is 2^23 packets; ChaCha20-Poly1305's is past
 * any connection's reach.
 */
static uint64_t
conf_limit(const struct tq_quic_conn *c, const struct tq_quic_aead *a)
{
	if (c->cfg.aead_conf_limit)
		return c->cfg.aead_conf_limit;
	return tq_quic_aead_cipher(a) == TQ_QUIC_CHACHA20_POLY1305 ?
		UINT64_MAX : UINT64_C(1) << 23;
}

uint64_t
tq_qc_integ_limit(const struct tq_quic_conn *c, const struct tq_quic_aead *a)
{
	if (c->cfg.aead_integ_limit)
		return c->cfg.aead_integ_limit;
	return tq_quic_aead_cipher(a) == TQ_QUIC_CHACHA20_POLY1305 ?
		UINT64_C(1) << 36 : UINT64_C(1) << 52;
}

/*
 * The write key sealed three quarters of what it may: a key update,
 * retried after each datagram while the last one is unanswered (6.5).
 * At seven eighths with none possible the connection closes (6.6: before
 * the limit, so that the close itself stays within it).
 */
void
tq_qc_aead_limit(struct tq_quic_conn *c)
{
	const struct tq_quic_aead *a = c->ks.aead[TQ_QUIC_LEVEL_APP]
		[TQ_QUIC_DIR_WRITE];
	uint64_t limit;

	if (!a)
		return;
	limit = conf_limit(c, a);
	c->aead_soft = limit - limit / 4;
	if (c->aead_sealed < c->aead_soft)
		return;
	if (tq_quic_conn_key_update(c) == 0)
		c->stats.aead_limit_updates++;
	else if (c->aead_sealed >= limit - limit / 8)
		tq_qc_close(c, TQ_QUIC_AEAD_LIMIT_REACHED, 0, false);
}

void
tq_quic_conn_error(struct tq_quic_conn *c, enum tq_quic_err e,
		uint64_t frame_type)
{
	tq_qc_close(c, e, frame_type, false);
}

/* ---- timers ---- */

uint64_t
tq_quic_conn_next_timer(const struct tq_quic_conn *c)
{
	uint64_t t = UINT64_MAX;
	int sp;

	if (c->state == TQ_QUIC_CS_CLOSED)
		return UINT64_MAX;
	if (c->state >= TQ_QUIC_CS_CLOSING)
		return c->close_end;
	/* An ACK that cannot go out (the amplification limit, no record
	 * free) waits for input, not for a timer that would fire at once
	 * again and again. */
	for (sp = 0; sp < TQ_QUIC_SPACE_N; sp++)
		if (!c->discarded[sp] && !c->rec.amp_blocked &&
				tq_quic_rec_can_send(&c->rec, sp))
			t = RTE_MIN(t, tq_quic_ackr_deadline(&c->ackr[sp]));
	t = RTE_MIN(t, tq_quic_rec_timer(&c->rec, c->rec.timer_base));
	t = RTE_MIN(t, c->idle_at);
	if (c->keepalive_ns && c->state == TQ_QUIC_CS_ESTABLISHED &&
			!c->ping_want)
		t = RTE_MIN(t, c->elicit_tx_at + c->keepalive_ns);
	if (c->pace_at)
		t = RTE_MIN(t, c->pace_at);
	t = RTE_MIN(t, tq_qc_path_timer(c));
	return t;
}

static uint64_t
idle_period(const struct tq_quic_conn *c)
{
	uint64_t pto3 = 3 * (tq_quic_rec_pto_base(&c->rec) +
			c->rec.max_ack_delay_ns);

	return c->idle_ns ? RTE_MAX(c->idle_ns, pto3) : UINT64_MAX / 4;
}

void
tq_qc_idle_restart(struct tq_quic_conn *c, uint64_t now)
{
	c->idle_at = now + idle_period(c);
}

void
tq_quic_conn_on_timer(struct tq_quic_conn *c, uint64_t now)
{
	enum tq_quic_space sp;
	unsigned int probes;

	c->now = now;
	if (c->state == TQ_QUIC_CS_CLOSED)
		return;
	if (c->state >= TQ_QUIC_CS_CLOSING) {
		/* An app's close between our calls took the last call's
		 * time: after a quiet spell its closing period would be
		 * over before CONNECTION_CLOSE went out, and the peer
		 * would learn nothing.  It starts when the close goes. */
		if (c->state == TQ_QUIC_CS_CLOSING && c->close_send &&
				!c->close_last_sent && !c->close_rebased) {
			/* once: a close that cannot go (the 3x limit)
			 * must not hold the connection for ever */
			c->close_rebased = true;
			c->close_end = RTE_MAX(c->close_end,
					now + tq_qc_pto3(c));
		}
		if (now >= c->close_end)
			c->state = TQ_QUIC_CS_CLOSED;
		return;
	}
	if (now >= c->idle_at) {
		/* RFC 9000 10.1: silently closed */
		c->close_code = TQ_QUIC_NO_ERROR;
		c->state = TQ_QUIC_CS_CLOSED;
		c->app_told = true;
		tq_qc_streams_close_all(c, TQ_CLOSE_TIMEOUT, 0);
		tq_conn_cb_closed(&c->base, TQ_CLOSE_TIMEOUT, 0);
		return;
	}
	if (c->pace_at && now >= c->pace_at)
		c->pace_at = 0;
	if (c->keepalive_ns && c->state == TQ_QUIC_CS_ESTABLISHED &&
			now >= c->elicit_tx_at + c->keepalive_ns)
		c->ping_want = true;
	tq_qc_path_on_timer(c, now);
	if (tq_quic_rec_timer(&c->rec, now) <= now &&
			tq_quic_rec_on_timeout(&c->rec, now, &sp, &probes) ==
			TQ_QUIC_REC_PTO) {
		c->probes[sp] += probes;
		c->stats.retransmits++;
		/* CRYPTO data in flight is sent again by the probes
		 * (RFC 9002 6.2.4: retransmit rather than PING). */
		if (sp != TQ_QUIC_SPACE_APP)
			tq_qc_sq_requeue(&c->csq[sp]);
		/* The anti-deadlock probe with no Handshake keys yet goes
		 * in an Initial. */
		if (!c->is_server && sp == TQ_QUIC_SPACE_HANDSHAKE &&
				!tq_quic_key_set_get(&c->ks,
					TQ_QUIC_LEVEL_HANDSHAKE,
					TQ_QUIC_DIR_WRITE) &&
				!c->discarded[TQ_QUIC_SPACE_INITIAL])
			c->probes[TQ_QUIC_SPACE_INITIAL] += probes;
	}
}

/* ---- the rest of the API ---- */

int
tq_quic_conn_input_mbuf(struct tq_quic_conn *c, struct rte_mbuf *m,
		enum tq_quic_ecn ecn, uint64_t now)
{
	c->now = now;
	tq_qc_input(c, m, ecn, now);
	tq_qc_reap(c);
	return 0;
}

int
tq_quic_conn_input(struct tq_quic_conn *c, const uint8_t *dgram, size_t len,
		enum tq_quic_ecn ecn, uint64_t now)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(c->pool);
	uint8_t *p;

	if (!m)
		return -ENOMEM;
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
	if (!p || len > UINT16_MAX) {
		rte_pktmbuf_free(m);
		return -EMSGSIZE;
	}
	memcpy(p, dgram, len);
	return tq_quic_conn_input_mbuf(c, m, ecn, now);
}

size_t
tq_quic_conn_output(struct tq_quic_conn *c, uint8_t *buf, size_t cap,
		uint64_t now)
{
	size_t n;

	c->now = now;
	n = tq_qc_output(c, buf, cap, now);
	tq_qc_reap(c);
	c->stats.ecn_ce = c->rec.stats.ecn_ce;
	c->stats.ecn_failed = c->rec.stats.ecn_failed;
	return n;
}

enum tq_quic_ecn
tq_quic_conn_output_ecn(const struct tq_quic_conn *c)
{
	return c->out_ect0 ? TQ_QUIC_ECN_ECT0 : TQ_QUIC_ECN_NOT;
}

struct tq_conn *
tq_quic_conn_base(struct tq_quic_conn *c)
{
	return &c->base;
}

void
tq_quic_conn_set_shard(struct tq_quic_conn *c, struct tq_shard *s)
{
	c->base.s = s;
}

void
tq_quic_conn_set_kick(struct tq_quic_conn *c, void (*fn)(void *arg),
		void *arg)
{
	c->kick = fn;
	c->kick_arg = arg;
}

void
tq_quic_conn_set_addrs(struct tq_quic_conn *c, const struct tq_addr *laddr,
		uint16_t lport, const struct tq_addr *raddr, uint16_t rport)
{
	c->laddr = *laddr;
	c->lport = lport;
	c->raddr = *raddr;
	c->rport = rport;
}

enum tq_quic_conn_state
tq_quic_conn_state(const struct tq_quic_conn *c)
{
	return c->state;
}

bool
tq_quic_conn_done(const struct tq_quic_conn *c)
{
	return c->state == TQ_QUIC_CS_CLOSED;
}

bool
tq_quic_conn_confirmed(const struct tq_quic_conn *c)
{
	return c->confirmed;
}

const struct tq_quic_conn_stats *
tq_quic_conn_stats(const struct tq_quic_conn *c)
{
	return &c->stats;
}

void
tq_quic_conn_close_info(const struct tq_quic_conn *c, uint64_t *code,
		bool *app, bool *remote)
{
	*code = c->close_code;
	*app = c->close_app;
	*remote = c->close_remote;
}

bool
tq_quic_conn_has_keys(const struct tq_quic_conn *c, enum tq_quic_level l)
{
	return tq_quic_key_set_get(&c->ks, l, TQ_QUIC_DIR_READ) ||
		tq_quic_key_set_get(&c->ks, l, TQ_QUIC_DIR_WRITE);
}

struct tq_quic_key_set *
tq_quic_conn_keys(struct tq_quic_conn *c)
{
	return &c->ks;
}

void
tq_quic_conn_amp(const struct tq_quic_conn *c, uint64_t *sent,
		uint64_t *received, bool *validated)
{
	*sent = c->amp_tx;
	*received = c->amp_rx;
	*validated = c->validated;
}

struct tq_quic_tls *
tq_quic_conn_tls(struct tq_quic_conn *c)
{
	return c->tls;
}

const uint8_t *
tq_quic_conn_new_token(const struct tq_quic_conn *c, size_t *len)
{
	*len = c->is_server ? 0 : c->nt_len;
	return c->is_server ? NULL : c->nt;
}

const struct tq_quic_cid *
tq_quic_conn_dcid(const struct tq_quic_conn *c)
{
	return &c->dcid;
}
