/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A QUIC connection's input: coalesced packets, keys by level, header
 * protection and packet numbers, duplicates, then each frame validated
 * against the packet type, our role and the limits, and handled.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "quic/tq_quic_conn_priv.h"

static enum tq_quic_space
space_of(enum tq_quic_pkt_type t)
{
	return t == TQ_QUIC_PKT_INITIAL ? TQ_QUIC_SPACE_INITIAL :
		t == TQ_QUIC_PKT_HANDSHAKE ? TQ_QUIC_SPACE_HANDSHAKE :
		TQ_QUIC_SPACE_APP;
}

static bool
cid_is(const struct tq_quic_cid *c, const uint8_t *id, size_t len)
{
	return c->len == len && memcmp(c->id, id, len) == 0;
}

/* ---- frames ---- */

static enum tq_quic_err
on_crypto(struct tq_quic_conn *c, enum tq_quic_space sp,
		const struct tq_quic_frame *f, struct rte_mbuf *m)
{
	struct tq_quic_rxbuf *rb = &c->crb[sp];
	struct tq_quic_rxseg seg;
	enum tq_quic_err e = TQ_QUIC_NO_ERROR;
	int rc;

	if (f->crypto.len == 0)
		return TQ_QUIC_NO_ERROR;
	rte_mbuf_refcnt_update(m, 1);
	rc = tq_quic_rxbuf_insert(rb, f->crypto.offset, f->crypto.data,
			(uint32_t)f->crypto.len, false, m, &e);
	if (rc == -EPROTO)
		return e;
	while (tq_quic_rxbuf_peek(rb, &seg)) {
		e = tq_quic_tls_provide(c->tls, tq_qc_level(sp), seg.data,
				seg.len);
		tq_quic_rxbuf_consume(rb, seg.len);
		if (e != TQ_QUIC_NO_ERROR)
			return e;
	}
	tq_qc_handshake_progress(c);
	return TQ_QUIC_NO_ERROR;
}

static enum tq_quic_err
on_stream(struct tq_quic_conn *c, const struct tq_quic_frame *f,
		struct rte_mbuf *m)
{
	struct tq_quic_stream *s;
	enum tq_quic_err e;
	uint64_t end = f->stream.offset + f->stream.len, newly = 0;
	uint64_t before;
	int rc;

	s = tq_qc_stream_get(c, f->stream.id, true, &e);
	if (!s)
		return e;
	c->stats.stream_frames_in++;
	e = tq_quic_fc_rx_data(&s->fcr, end, &newly);
	if (e == TQ_QUIC_NO_ERROR)
		e = tq_quic_fc_rx_add(&c->fcr, newly);
	if (e != TQ_QUIC_NO_ERROR)
		return e;
	if (s->peer_reset)
		return TQ_QUIC_NO_ERROR;
	if (s->shut_rd) {
		/* read no more: what arrives counts as read at once, so
		 * the windows keep moving */
		tq_quic_fc_rx_consumed(&s->fcr, newly);
		tq_quic_fc_rx_consumed(&c->fcr, newly);
		/* the final size rules hold for data dropped too (4.5) */
		if (s->rb.final_size != TQ_QUIC_FINAL_NONE &&
				end > s->rb.final_size)
			return TQ_QUIC_FINAL_SIZE_ERROR;
		if (end > s->rb.max_off)
			s->rb.max_off = end;
		if (f->stream.fin && tq_quic_rxbuf_set_final(&s->rb, end,
				&e) < 0)
			return e;
		tq_qc_stream_maybe_free(s);
		return TQ_QUIC_NO_ERROR;
	}
	if (f->stream.len && tq_qc_stream_rx_ready(s) < 0)
		return TQ_QUIC_NO_ERROR; /* dropped: the peer sends again */
	before = tq_quic_rxbuf_readable(&s->rb);
	rte_mbuf_refcnt_update(m, 1);
	rc = tq_quic_rxbuf_insert(&s->rb, f->stream.offset, f->stream.data,
			(uint32_t)f->stream.len, f->stream.fin, m, &e);
	if (rc == -EPROTO)
		return e;
	if (rc > 0)
		c->stats.stream_bytes_in += (uint64_t)rc;
	if (s->app_closed || s->closed_told)
		return TQ_QUIC_NO_ERROR;
	if (s->rb.final_size != TQ_QUIC_FINAL_NONE && !s->fin_told &&
			tq_quic_rxbuf_readable(&s->rb) ==
			s->rb.final_size - s->rb.read_off) {
		s->fin_told = true;
		tq_stream_cb_readable(&s->st);
		tq_stream_cb_peer_fin(&s->st);
	} else if (tq_quic_rxbuf_readable(&s->rb) > before) {
		tq_stream_cb_readable(&s->st);
	}
	return TQ_QUIC_NO_ERROR;
}

static enum tq_quic_err
on_reset(struct tq_quic_conn *c, const struct tq_quic_frame *f)
{
	struct tq_quic_stream *s;
	enum tq_quic_err e;
	uint64_t newly = 0, unread;

	s = tq_qc_stream_get(c, f->reset_stream.id, true, &e);
	if (!s)
		return e;
	e = tq_quic_fc_rx_data(&s->fcr, f->reset_stream.final_size, &newly);
	if (e == TQ_QUIC_NO_ERROR)
		e = tq_quic_fc_rx_add(&c->fcr, newly);
	if (e != TQ_QUIC_NO_ERROR)
		return e;
	if (tq_quic_rxbuf_set_final(&s->rb, f->reset_stream.final_size,
			&e) < 0)
		return e;
	if (s->peer_reset)
		return TQ_QUIC_NO_ERROR;
	s->peer_reset = true;
	/* the bytes never read count as read for the connection window */
	unread = f->reset_stream.final_size - s->rb.read_off;
	tq_quic_fc_rx_consumed(&c->fcr, unread);
	tq_quic_rxbuf_reset(&s->rb);
	s->rb.read_off = f->reset_stream.final_size;
	if (!s->app_closed && !s->closed_told && !s->shut_rd)
		tq_stream_cb_peer_reset(&s->st, f->reset_stream.app_err);
	tq_qc_stream_maybe_free(s);
	return TQ_QUIC_NO_ERROR;
}

static enum tq_quic_err
on_stop_sending(struct tq_quic_conn *c, const struct tq_quic_frame *f)
{
	struct tq_quic_stream *s;
	enum tq_quic_err e;

	s = tq_qc_stream_get(c, f->stop_sending.id, false, &e);
	if (!s)
		return e;
	if (s->stop_recvd)
		return TQ_QUIC_NO_ERROR;
	s->stop_recvd = true;
	/* RFC 9000 3.5: answer with RESET_STREAM, its code */
	if (!s->reset_want && !s->fin_acked) {
		s->reset_want = true;
		s->reset_code = f->stop_sending.app_err;
		s->reset_final = s->sq.next;
		tq_qc_stream_sendq(s);
	}
	if (!s->app_closed && !s->closed_told)
		tq_stream_cb_stop_sending(&s->st, f->stop_sending.app_err);
	tq_qc_stream_maybe_free(s);
	return TQ_QUIC_NO_ERROR;
}

static enum tq_quic_err
on_new_cid(struct tq_quic_conn *c, const struct tq_quic_frame *f)
{
	unsigned int i, j;

	if (c->dcid.len == 0)
		return TQ_QUIC_PROTOCOL_VIOLATION; /* 19.15 */
	for (i = 0; i < c->n_pcid; i++)
		if (c->pcid[i].seq == f->new_cid.seq)
			return TQ_QUIC_NO_ERROR;
	if (f->new_cid.seq == c->dcid_seq)
		return TQ_QUIC_NO_ERROR;	/* the one in use, again */
	/* RFC 9000 5.1.2: retire what it asks, with RETIRE_CONNECTION_ID;
	 * the one in use too, moving to the lowest left */
	if (f->new_cid.retire_prior_to > c->peer_rpt) {
		c->peer_rpt = f->new_cid.retire_prior_to;
		for (i = j = 0; i < c->n_pcid; i++) {
			if (c->pcid[i].seq >= c->peer_rpt)
				c->pcid[j++] = c->pcid[i];
			else
				tq_qc_cid_retire_peer(c, c->pcid[i].seq);
		}
		c->n_pcid = j;
	}
	if (f->new_cid.seq < c->peer_rpt) {
		/* retired on arrival (19.15) */
		tq_qc_cid_retire_peer(c, f->new_cid.seq);
		return TQ_QUIC_NO_ERROR;
	}
	/* the one in use counts toward our limit */
	if (c->n_pcid + 1 >= TQ_QC_PEER_CIDS)
		return TQ_QUIC_CONNECTION_ID_LIMIT_ERROR;
	c->pcid[c->n_pcid].seq = f->new_cid.seq;
	c->pcid[c->n_pcid].cid.len = f->new_cid.cid_len;
	memcpy(c->pcid[c->n_pcid].cid.id, f->new_cid.cid, f->new_cid.cid_len);
	memcpy(c->pcid[c->n_pcid].token, f->new_cid.reset_token, 16);
	c->n_pcid++;
	if (c->dcid_seq < c->peer_rpt && tq_quic_conn_rotate_dcid(c) < 0)
		return TQ_QUIC_INTERNAL_ERROR;
	return TQ_QUIC_NO_ERROR;
}

static enum tq_quic_err
on_frame(struct tq_quic_conn *c, enum tq_quic_space sp,
		const struct tq_quic_frame *f, struct rte_mbuf *m, uint64_t now)
{
	struct tq_quic_stream *s;
	enum tq_quic_err e = TQ_QUIC_NO_ERROR;
	unsigned int exp;
	bool uni;

	if (TQ_QUIC_FT_IS_STREAM(f->type))
		return on_stream(c, f, m);
	switch (f->type) {
	case TQ_QUIC_FT_PADDING:
	case TQ_QUIC_FT_PING:
		return TQ_QUIC_NO_ERROR;
	case TQ_QUIC_FT_ACK:
	case TQ_QUIC_FT_ACK_ECN:
		exp = sp == TQ_QUIC_SPACE_APP && c->have_ptp ?
			(unsigned int)c->ptp.ack_delay_exponent :
			TQ_QUIC_TP_DEFAULT_ACK_DELAY_EXPONENT;
		e = tq_quic_rec_on_ack(&c->rec, sp, &f->ack,
				tq_quic_ack_delay_ns(f->ack.delay, exp), now);
		if (unlikely(c->qlog))
			tq_qc_qlog_metrics(c, now);
		if (!c->is_server && sp == TQ_QUIC_SPACE_HANDSHAKE)
			c->rec.peer_validated = true;
		return e;
	case TQ_QUIC_FT_CRYPTO:
		return on_crypto(c, sp, f, m);
	case TQ_QUIC_FT_RESET_STREAM:
		return on_reset(c, f);
	case TQ_QUIC_FT_STOP_SENDING:
		return on_stop_sending(c, f);
	case TQ_QUIC_FT_NEW_TOKEN: {
		uint8_t *t;

		/* 19.7: only servers send it; the client keeps the last
		 * one for a later connection (8.1.3) */
		if (c->is_server)
			return TQ_QUIC_PROTOCOL_VIOLATION;
		t = realloc(c->nt, f->new_token.len);
		if (!t)
			return TQ_QUIC_NO_ERROR;	/* only an optimisation */
		memcpy(t, f->new_token.token, f->new_token.len);
		c->nt = t;
		c->nt_len = f->new_token.len;
		c->stats.new_tokens++;
		return TQ_QUIC_NO_ERROR;
	}
	case TQ_QUIC_FT_MAX_DATA:
		if (tq_quic_fc_tx_update(&c->fct, f->max_data.max))
			tq_qc_streams_fc_unblock(c);
		return TQ_QUIC_NO_ERROR;
	case TQ_QUIC_FT_MAX_STREAM_DATA:
		s = tq_qc_stream_get(c, f->max_stream_data.id, false, &e);
		if (s && tq_quic_fc_tx_update(&s->fct, f->max_stream_data.max))
			tq_qc_stream_sendq(s);
		return e;
	case TQ_QUIC_FT_MAX_STREAMS_BIDI:
	case TQ_QUIC_FT_MAX_STREAMS_UNI:
		uni = f->type == TQ_QUIC_FT_MAX_STREAMS_UNI;
		if (tq_quic_streams_local_update(&c->sc[uni],
				f->max_data.max) && c->sa_want[uni]) {
			c->sa_want[uni] = false;
			tq_conn_cb_streams_available(&c->base, uni);
		}
		return TQ_QUIC_NO_ERROR;
	case TQ_QUIC_FT_STREAM_DATA_BLOCKED:
		/* the peer's sending side must exist */
		tq_qc_stream_get(c, f->stream_data_blocked.id, true, &e);
		return e;
	case TQ_QUIC_FT_DATA_BLOCKED:
	case TQ_QUIC_FT_STREAMS_BLOCKED_BIDI:
	case TQ_QUIC_FT_STREAMS_BLOCKED_UNI:
		return TQ_QUIC_NO_ERROR;
	case TQ_QUIC_FT_NEW_CONNECTION_ID:
		return on_new_cid(c, f);
	case TQ_QUIC_FT_RETIRE_CONNECTION_ID:
		return tq_qc_cid_on_retire(c, f->retire_cid.seq);
	case TQ_QUIC_FT_PATH_CHALLENGE:
		memcpy(c->path_data, f->path.data, 8);
		c->path_resp_want = true;
		return TQ_QUIC_NO_ERROR;
	case TQ_QUIC_FT_PATH_RESPONSE:
		tq_qc_path_on_response(c, f->path.data);
		return TQ_QUIC_NO_ERROR;
	case TQ_QUIC_FT_CONNECTION_CLOSE:
	case TQ_QUIC_FT_CONNECTION_CLOSE_APP:
		tq_qc_drain(c, f->close.error,
				f->type == TQ_QUIC_FT_CONNECTION_CLOSE_APP);
		return TQ_QUIC_NO_ERROR;
	case TQ_QUIC_FT_HANDSHAKE_DONE:
		if (c->is_server)
			return TQ_QUIC_PROTOCOL_VIOLATION; /* 19.20 */
		if (!c->confirmed) {
			c->confirmed = true;
			tq_quic_tls_confirm(c->tls);
			c->rec.handshake_confirmed = true;
			c->rec.peer_validated = true;
			tq_qc_discard(c, TQ_QUIC_SPACE_HANDSHAKE);
		}
		return TQ_QUIC_NO_ERROR;
	case TQ_QUIC_FT_DATAGRAM:
	case TQ_QUIC_FT_DATAGRAM_LEN:
		/* RFC 9221 3: we advertise no max_datagram_frame_size */
		return TQ_QUIC_PROTOCOL_VIOLATION;
	default:
		return TQ_QUIC_FRAME_ENCODING_ERROR;
	}
}

/* ---- packets ---- */

/* RFC 9000 17.2.5.2, 9001 5.8: a client takes one Retry, before any
 * Initial from the server: its tag checked against our first DCID, its
 * token kept for our Initials, its SCID our new DCID and the source of
 * new Initial keys, the ClientHello sent again (packet numbers go on). */
static void
on_retry(struct tq_quic_conn *c, const uint8_t *pkt,
		const struct tq_quic_hdr *h)
{
	struct tq_quic_aead *a;
	int rc;

	if (c->is_server || c->got_retry || c->have_peer_cid ||
			h->token_len == 0 || h->scid_len > TQ_QUIC_CID_MAX) {
		c->stats.drop_unsupported++;
		return;
	}
	if (!cid_is(&c->scid, h->dcid, h->dcid_len)) {
		c->stats.drop_cid++;
		return;
	}
	if (tq_quic_retry_aead_new(c->cw, &a) < 0) {
		c->stats.drop_decrypt++;
		return;
	}
	rc = tq_quic_retry_verify(a, c->cw, c->odcid.id, c->odcid.len, pkt,
			h->len);
	tq_quic_aead_free(a);
	if (rc < 0) {
		c->stats.drop_decrypt++;
		return;
	}
	/* a NEW_TOKEN token we had is replaced by the Retry's */
	free(c->token);
	c->token_len = 0;
	c->token = malloc(h->token_len);
	if (!c->token) {
		tq_qc_close(c, TQ_QUIC_INTERNAL_ERROR, 0, false);
		return;
	}
	memcpy(c->token, h->token, h->token_len);
	c->token_len = h->token_len;
	c->got_retry = true;
	c->retry_scid.len = h->scid_len;
	memcpy(c->retry_scid.id, h->scid, h->scid_len);
	c->dcid = c->retry_scid;
	tq_quic_key_set_drop(&c->ks, TQ_QUIC_LEVEL_INITIAL);
	if (tq_quic_key_set_initial(&c->ks, c->cw, false, c->dcid.id,
			c->dcid.len) < 0) {
		tq_qc_close(c, TQ_QUIC_INTERNAL_ERROR, 0, false);
		return;
	}
	tq_qc_sq_requeue(&c->csq[TQ_QUIC_SPACE_INITIAL]);
	c->stats.retries++;
}

/* A 1-RTT packet: header protection off (its key never changes), then
 * the key of the phase it carries (RFC 9001 6.3): the current one, the
 * previous generation's for a packet from before the last update, or
 * the next generation's, which moves both directions on when it opens
 * the packet.  The plaintext length, or negative. */
int
tq_qc_open_1rtt(struct tq_quic_conn *c, uint8_t *pkt,
		const struct tq_quic_hdr *h, uint64_t *pn, size_t *off)
{
	struct tq_quic_aead *cur = tq_quic_key_set_get(&c->ks,
			TQ_QUIC_LEVEL_APP, TQ_QUIC_DIR_READ), *a, *w;
	uint64_t trunc;
	bool phase, next = false;
	int pn_len, n;

	pn_len = tq_quic_hp_remove(cur, c->cw, pkt, h->len, h->pn_off,
			&trunc);
	if (pn_len < 0)
		return pn_len;
	*pn = tq_quic_pn_decode(c->ackr[TQ_QUIC_SPACE_APP].largest, trunc,
			(size_t)pn_len);
	*off = h->pn_off + (size_t)pn_len;
	phase = (pkt[0] & TQ_QUIC_HDR_KEY_PHASE) != 0;
	a = cur;
	if (phase != c->read_phase) {
		if (c->prev_read && *pn < c->ku_pn) {
			a = c->prev_read;
		} else {
			if (!c->complete)
				return -EBADMSG;
			if (!c->next_read && tq_quic_key_set_next(&c->ks,
					c->cw, TQ_QUIC_DIR_READ,
					&c->next_read) < 0)
				return -EIO;
			a = c->next_read;
			next = true;
		}
	}
	n = tq_quic_open(a, c->cw, *pn, pkt, *off, pkt + *off,
			h->len - *off);
	if (n < 0 || !next)
		return n;
	/* the peer moved on: so do we */
	tq_quic_aead_free(c->prev_read);
	c->prev_read = cur;
	c->ks.aead[TQ_QUIC_LEVEL_APP][TQ_QUIC_DIR_READ] = c->next_read;
	c->next_read = NULL;
	c->read_phase = phase;
	c->ku_pn = *pn;
	c->stats.key_updates++;
	if (unlikely(c->qlog))
		tq_qc_qlog_key(c, TQ_QUIC_LEVEL_APP, TQ_QUIC_DIR_READ,
				"remote_update");
	if (c->write_phase != phase) {
		if (tq_quic_key_set_next(&c->ks, c->cw, TQ_QUIC_DIR_WRITE,
				&w) < 0)
			return -EIO;
		tq_quic_aead_free(c->ks.aead[TQ_QUIC_LEVEL_APP]
				[TQ_QUIC_DIR_WRITE]);
		c->ks.aead[TQ_QUIC_LEVEL_APP][TQ_QUIC_DIR_WRITE] = w;
		c->write_phase = phase;
		c->aead_sealed = 0;
	}
	return n;
}

static void
packet_in(struct tq_quic_conn *c, struct rte_mbuf *m, uint8_t *pkt,
		const struct tq_quic_hdr *h, enum tq_quic_ecn ecn, uint64_t now)
{
	enum tq_quic_space sp;
	struct tq_quic_aead *a;
	struct tq_quic_frame f;
	struct tq_quic_rd rd;
	enum tq_quic_err e;
	bool elicit = false, largest, probing = true;
	uint64_t pn;
	size_t off;
	int len;

	if (h->type == TQ_QUIC_PKT_RETRY) {
		on_retry(c, pkt, h);
		return;
	}
	if (h->type == TQ_QUIC_PKT_VN ||
			(h->type == TQ_QUIC_PKT_0RTT && !c->is_server)) {
		c->stats.drop_unsupported++;
		return;
	}
	if (h->type == TQ_QUIC_PKT_0RTT)
		c->early_seen = true;
	sp = space_of(h->type);
	if (!tq_qc_cid_ours(c, h->dcid, h->dcid_len) &&
			!(c->is_server && !c->complete &&
			  cid_is(&c->odcid, h->dcid, h->dcid_len))) {
		c->stats.drop_cid++;
		return;
	}
	c->rx_dcid.len = h->dcid_len;
	memcpy(c->rx_dcid.id, h->dcid, h->dcid_len);
	a = c->discarded[sp] ? NULL :
		tq_quic_key_set_get(&c->ks, h->type == TQ_QUIC_PKT_0RTT ?
				TQ_QUIC_LEVEL_EARLY : tq_qc_level(sp),
				TQ_QUIC_DIR_READ);
	if (!a) {
		c->stats.drop_nokey++;
		return;
	}
	if (h->type == TQ_QUIC_PKT_1RTT)
		len = tq_qc_open_1rtt(c, pkt, h, &pn, &off);
	else
		len = tq_quic_packet_open(a, c->cw, pkt, h->len, h->pn_off,
				c->ackr[sp].largest, &pn, &off);
	if (len < 0) {
		c->stats.drop_decrypt++;
		/* RFC 9001 6.6: forgeries are counted against the integrity
		 * limit; Initial keys are public, so theirs do not count */
		if (len == -EBADMSG && h->type != TQ_QUIC_PKT_INITIAL &&
				++c->stats.auth_fails >= tq_qc_integ_limit(c, a))
			tq_qc_close(c, TQ_QUIC_AEAD_LIMIT_REACHED, 0, false);
		return;
	}
	e = tq_quic_hdr_check_reserved(h->type, pkt[0]);
	if (e != TQ_QUIC_NO_ERROR) {
		tq_qc_close(c, e, 0, false);
		return;
	}
	if (tq_quic_ackr_dup(&c->ackr[sp], pn)) {
		c->stats.drop_dup++;
		return;
	}
	c->stats.pkts_in++;
	if (unlikely(c->qlog))
		tq_quic_qlog_packet(c->qlog, now, false, h->type, pn, pkt + off,
				(size_t)len, h->len);
	if (h->type == TQ_QUIC_PKT_0RTT)
		c->stats.early_pkts++;
	else if (h->type == TQ_QUIC_PKT_1RTT && c->is_server &&
			tq_quic_key_set_get(&c->ks, TQ_QUIC_LEVEL_EARLY,
				TQ_QUIC_DIR_READ))
		/* RFC 9001 4.9.3: no 0-RTT after the client's 1-RTT */
		tq_quic_key_set_drop(&c->ks, TQ_QUIC_LEVEL_EARLY);
	if (!c->is_server && sp == TQ_QUIC_SPACE_INITIAL &&
			!c->have_peer_cid) {
		/* RFC 9000 7.2: the server's SCID from now on */
		c->dcid.len = h->scid_len;
		memcpy(c->dcid.id, h->scid, h->scid_len);
		c->peer_scid = c->dcid;
		c->have_peer_cid = true;
	}
	if (c->is_server && sp == TQ_QUIC_SPACE_HANDSHAKE) {
		/* RFC 9000 8.1: the client's address is validated; RFC
		 * 9001 4.9.1: a server drops Initial keys now */
		c->validated = true;
		c->rec.amp_blocked = false;
		tq_qc_discard(c, TQ_QUIC_SPACE_INITIAL);
	}
	if (len == 0) {
		tq_qc_close(c, TQ_QUIC_PROTOCOL_VIOLATION, 0, false);
		return;
	}
	largest = c->ackr[sp].largest == TQ_QUIC_PN_NONE ||
		pn > c->ackr[sp].largest;
	tq_quic_rd_init(&rd, pkt + off, (size_t)len);
	while (tq_quic_rd_left(&rd)) {
		e = tq_quic_frame_decode(&rd, h->type, &f);
		if (e == TQ_QUIC_NO_ERROR)
			e = on_frame(c, sp, &f, m, now);
		if (e != TQ_QUIC_NO_ERROR) {
			tq_qc_close(c, e, f.type, false);
			return;
		}
		if (c->state >= TQ_QUIC_CS_CLOSING || c->discarded[sp])
			return;
		elicit |= tq_quic_frame_ack_eliciting(f.type);
		/* RFC 9000 9.1: probing frames */
		probing &= f.type == TQ_QUIC_FT_PADDING ||
			f.type == TQ_QUIC_FT_PATH_CHALLENGE ||
			f.type == TQ_QUIC_FT_PATH_RESPONSE ||
			f.type == TQ_QUIC_FT_NEW_CONNECTION_ID;
	}
	tq_quic_ackr_record(&c->ackr[sp], pn, elicit, ecn, now);
	if (h->type == TQ_QUIC_PKT_1RTT)
		tq_qc_path_on_packet(c, largest, probing, now);
	c->elicit_since_rx = false;
	tq_qc_idle_restart(c, now);
}

void
tq_qc_input(struct tq_quic_conn *c, struct rte_mbuf *m, enum tq_quic_ecn ecn,
		uint64_t now)
{
	struct tq_quic_dgram_iter it;
	struct tq_quic_hdr h;
	uint8_t *p;
	uint64_t pkts;
	size_t n;
	int rc;

	if (c->state >= TQ_QUIC_CS_DRAINING) {
		rte_pktmbuf_free(m);
		return;
	}
	if (c->state == TQ_QUIC_CS_CLOSING) {
		/* RFC 9000 10.2.1: answer with the CONNECTION_CLOSE again */
		c->close_send = true;
		rte_pktmbuf_free(m);
		return;
	}
	if (m->nb_segs != 1) {
		c->stats.drop_unsupported++;
		rte_pktmbuf_free(m);
		return;
	}
	p = rte_pktmbuf_mtod(m, uint8_t *);
	n = m->data_len;
	c->stats.dgrams_in++;
	c->stats.bytes_in += n;
	c->rx_dgram_len = n;
	if (c->is_server && !c->validated)
		c->amp_rx += n;
	c->rec.amp_blocked = false;
	pkts = c->stats.pkts_in;
	tq_quic_dgram_iter_init(&it, p, n, c->scid.len);
	while ((rc = tq_quic_dgram_next(&it, &h)) == 1) {
		packet_in(c, m, p + it.off - h.len, &h, ecn, now);
		if (c->state >= TQ_QUIC_CS_CLOSING)
			break;
	}
	if (rc < 0)
		c->stats.drop_unsupported++;
	c->stats.drop_cid += it.skipped;
	/* RFC 9000 10.3.1: a short header that did not open (or was a
	 * duplicate) may be a stateless reset */
	if (c->stats.pkts_in == pkts && !(p[0] & 0x80))
		tq_qc_reset_check(c, p, n);
	rte_pktmbuf_free(m);
}
