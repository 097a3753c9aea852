/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A QUIC connection's output: one datagram per call, Initial, Handshake
 * and 1-RTT packets coalesced, each assembled unsealed and sealed at the
 * end (so the last can take the padding), within the anti-amplification
 * limit, the congestion window and the pacer; and what becomes of the
 * frames of a packet acknowledged or lost.
 */
#include <errno.h>
#include <string.h>

#include "quic/tq_quic_conn_priv.h"

#define MIN_ROOM 48	/* not worth a packet below this */
#define RECORD_RESERVE 16 /* sent-packet records only ACKs may take */

struct pend {
	enum tq_quic_space sp;
	struct tq_quic_hdr_pos pos;
	struct tq_quic_aead *a;
	uint64_t pn;
	size_t end;		/* payload end, from the datagram start */
	bool elicit;
	bool zrtt;		/* a client's 0-RTT packet (long header) */
	bool has_ack;
	bool path;		/* PATH_CHALLENGE or PATH_RESPONSE in it */
	uint64_t ack_largest;
	struct tq_qc_pktrec *rec;
};

struct txctx {
	uint8_t *buf;
	size_t limit;
	size_t used;
	uint64_t now;
	bool can_send;		/* cwnd and pacing allow new data */
	bool pmtu;		/* a PMTU probe, padded to limit */
	struct pend p[TQ_QUIC_SPACE_N];
	unsigned int n;
};

static struct tq_qc_pktrec *
rec_alloc(struct tq_quic_conn *c)
{
	struct tq_qc_pktrec *r = c->pkt_free;

	if (r) {
		c->pkt_free = r->next_free;
		r->n = 0;
	}
	return r;
}

static void
rec_put(struct tq_quic_conn *c, struct tq_qc_pktrec *r)
{
	if (!r)
		return;
	r->next_free = c->pkt_free;
	c->pkt_free = r;
}

static bool
rec_add(struct tq_qc_pktrec *r, uint8_t kind, uint64_t id, uint64_t off,
		uint32_t len, bool fin)
{
	if (r->n == TQ_QC_PKT_FRAMES)
		return false;
	r->f[r->n].kind = kind;
	r->f[r->n].id = id;
	r->f[r->n].off = off;
	r->f[r->n].len = len;
	r->f[r->n].fin = fin;
	r->n++;
	return true;
}

static bool
rec_full(const struct tq_qc_pktrec *r)
{
	return r->n == TQ_QC_PKT_FRAMES;
}

/* ---- frames ---- */

static void
put_crypto(struct tq_quic_conn *c, enum tq_quic_space sp,
		struct tq_quic_wr *w, struct pend *pp)
{
	struct tq_qc_sq *q = &c->csq[sp];
	uint8_t tmp[1500];
	uint64_t off, len;
	size_t fit;
	bool retx;

	while (!rec_full(pp->rec) && tq_quic_wr_left(w) > 16 &&
			tq_qc_sq_peek(q, &off, &len, &retx)) {
		len = RTE_MIN(len, (uint64_t)RTE_MIN(tq_quic_wr_left(w),
					sizeof(tmp)));
		tq_qc_sq_copy(q, off, tmp, (uint32_t)len);
		if (tq_quic_crypto_encode(w, off, tmp, len, &fit) < 0)
			break;
		tq_qc_sq_sent(q, off, fit, retx);
		rec_add(pp->rec, TQ_QC_F_CRYPTO, sp, off, (uint32_t)fit, false);
		pp->elicit = true;
	}
}

static bool
put_simple(struct tq_quic_wr *w, struct tq_quic_frame *f)
{
	return tq_quic_frame_encode(w, f) > 0;
}

/* A stream's control frames and data; false if nothing fit. */
static void
put_stream(struct tq_quic_conn *c, struct tq_quic_stream *s,
		struct tq_quic_wr *w, struct pend *pp, bool can_send)
{
	struct tq_quic_frame f;
	uint64_t off, len, max, newb;
	size_t fit;
	bool retx, fin;
	int rc;

	if (s->msd_want && !rec_full(pp->rec)) {
		memset(&f, 0, sizeof(f));
		f.type = TQ_QUIC_FT_MAX_STREAM_DATA;
		f.max_stream_data.id = (uint64_t)s->st.id;
		f.max_stream_data.max = s->fcr.max;
		if (put_simple(w, &f)) {
			s->msd_want = false;
			rec_add(pp->rec, TQ_QC_F_MAX_STREAM_DATA,
					(uint64_t)s->st.id, 0, 0, false);
			pp->elicit = true;
		}
	}
	if (s->stop_want && !s->stop_sent && !rec_full(pp->rec)) {
		memset(&f, 0, sizeof(f));
		f.type = TQ_QUIC_FT_STOP_SENDING;
		f.stop_sending.id = (uint64_t)s->st.id;
		f.stop_sending.app_err = s->stop_code;
		if (put_simple(w, &f)) {
			s->stop_sent = true;
			rec_add(pp->rec, TQ_QC_F_STOP, (uint64_t)s->st.id, 0, 0,
					false);
			pp->elicit = true;
		}
	}
	if (s->reset_want) {
		if (!s->reset_sent && !rec_full(pp->rec)) {
			memset(&f, 0, sizeof(f));
			f.type = TQ_QUIC_FT_RESET_STREAM;
			f.reset_stream.id = (uint64_t)s->st.id;
			f.reset_stream.app_err = s->reset_code;
			f.reset_stream.final_size = s->reset_final;
			if (put_simple(w, &f)) {
				s->reset_sent = true;
				rec_add(pp->rec, TQ_QC_F_RESET,
						(uint64_t)s->st.id, 0, 0, false);
				pp->elicit = true;
			}
		}
		return; /* no more data after a reset */
	}
	if (!can_send || !s->has_send)
		return;
	if (s->sq.next < s->sq.end && !rec_full(pp->rec) &&
			tq_quic_fc_tx_blocked(&s->fct, &max)) {
		/* RFC 9000 4.1: say the stream's limit holds data back */
		memset(&f, 0, sizeof(f));
		f.type = TQ_QUIC_FT_STREAM_DATA_BLOCKED;
		f.stream_data_blocked.id = (uint64_t)s->st.id;
		f.stream_data_blocked.limit = max;
		if (put_simple(w, &f)) {
			tq_quic_fc_tx_blocked_sent(&s->fct, max);
			rec_add(pp->rec, TQ_QC_F_STREAM_DATA_BLOCKED,
					(uint64_t)s->st.id, max, 0, false);
			pp->elicit = true;
			c->stats.blocked_sent++;
		}
	}
	while (!rec_full(pp->rec) && tq_quic_wr_left(w) > 24) {
		if (tq_qc_sq_peek(&s->sq, &off, &len, &retx)) {
			if (!retx) {
				max = RTE_MIN(tq_quic_fc_tx_credit(&s->fct),
					tq_quic_fc_tx_credit(&c->fct));
				if (tq_quic_fc_tx_credit(&c->fct) == 0)
					c->db_want = true;
				len = RTE_MIN(len, max);
			}
		} else {
			len = 0;
			off = s->sq.end;
			retx = false;
		}
		fin = s->fin_want && (!s->fin_sent || s->fin_lost);
		if (len == 0 && !(fin && off == s->sq.end && s->sq.next ==
				s->sq.end) && !(s->announce && off == 0))
			return;
		len = RTE_MIN(len, (uint64_t)tq_quic_wr_left(w));
		fin = fin && off + len == s->sq.end;
		/* the data straight from the ring into the packet */
		rc = tq_quic_stream_encode_hdr(w, (uint64_t)s->st.id, off,
				len, fin, false, &fit);
		if (rc < 0)
			return;
		tq_qc_sq_copy(&s->sq, off, w->pos, (uint32_t)fit);
		w->pos += fit;
		fin = fin && off + fit == s->sq.end;
		if (!retx && fit) {
			newb = off + fit - s->sq.next;
			tq_quic_fc_tx_sent(&s->fct, newb);
			tq_quic_fc_tx_sent(&c->fct, newb);
		}
		tq_qc_sq_sent(&s->sq, off, fit, retx);
		if (s->want_write && s->sq.next == s->sq.end)
			s->sq_starved = true;
		if (fin) {
			s->fin_sent = true;
			s->fin_lost = false;
		}
		rec_add(pp->rec, TQ_QC_F_STREAM, (uint64_t)s->st.id, off,
				(uint32_t)fit, fin);
		pp->elicit = true;
		s->announce = false;
		if (fit == 0)
			return;
	}
}

static bool
stream_pending(const struct tq_quic_conn *c, struct tq_quic_stream *s)
{
	uint64_t off, len;
	bool retx;

	if (s->msd_want || (s->stop_want && !s->stop_sent))
		return true;
	if (s->reset_want)
		return !s->reset_sent;
	if (!s->has_send)
		return false;
	if (s->sq.n_lost || s->announce)
		return true;
	if (tq_qc_sq_peek(&s->sq, &off, &len, &retx) &&
			(retx || (tq_quic_fc_tx_credit(&s->fct) &&
				  tq_quic_fc_tx_credit(&c->fct))))
		return true;
	if (s->sq.next < s->sq.end && tq_quic_fc_tx_blocked(&s->fct, &off))
		return true;
	return s->fin_want && (!s->fin_sent || s->fin_lost) &&
		s->sq.next == s->sq.end;
}

static void
put_streams(struct tq_quic_conn *c, struct tq_quic_wr *w, struct pend *pp,
		bool can_send)
{
	unsigned int turns = c->nstreams + 1;
	struct tq_quic_stream *s;

	while (turns-- && (s = c->sq_head) != NULL && !rec_full(pp->rec) &&
			tq_quic_wr_left(w) > 24) {
		c->sq_head = s->snext;
		if (!c->sq_head)
			c->sq_tail = NULL;
		s->snext = NULL;
		s->in_sendq = false;
		put_stream(c, s, w, pp, can_send);
		if (stream_pending(c, s)) {
			tq_qc_stream_sendq(s);
			continue;
		}
		/* new data the connection's limit holds back: MAX_DATA
		 * puts it back (tq_qc_streams_fc_unblock) */
		if (s->has_send && !s->reset_want && s->sq.next < s->sq.end &&
				tq_quic_fc_tx_credit(&c->fct) == 0)
			c->fc_held = true;
		tq_qc_stream_maybe_free(s);
	}
}

/* PATH_CHALLENGE (RFC 9000 8.2.1: to the new path, which output now
 * is) and PATH_RESPONSE. */
static void
put_path(struct tq_quic_conn *c, struct tq_quic_wr *w, struct pend *pp)
{
	struct tq_quic_frame f;

	memset(&f, 0, sizeof(f));
	if (c->pv.want) {
		f.type = TQ_QUIC_FT_PATH_CHALLENGE;
		memcpy(f.path.data, c->pv.data, 8);
		if (put_simple(w, &f)) {
			c->pv.want = false;
			pp->elicit = true;
			pp->path = true;
		}
	}
	if (c->path_resp_want) {
		f.type = TQ_QUIC_FT_PATH_RESPONSE;
		memcpy(f.path.data, c->path_data, 8);
		if (put_simple(w, &f)) {
			c->path_resp_want = false;
			pp->elicit = true;
			pp->path = true;
		}
	}
}

static void
put_app_control(struct tq_quic_conn *c, struct tq_quic_wr *w,
		struct pend *pp)
{
	struct tq_quic_frame f;
	uint64_t max;
	unsigned int i;
	int uni;

	memset(&f, 0, sizeof(f));
	if (c->hd_want && !rec_full(pp->rec)) {
		f.type = TQ_QUIC_FT_HANDSHAKE_DONE;
		if (put_simple(w, &f)) {
			c->hd_want = false;
			rec_add(pp->rec, TQ_QC_F_HANDSHAKE_DONE, 0, 0, 0, false);
			pp->elicit = true;
		}
	}
	if (c->nt_want && !c->hd_want && !rec_full(pp->rec)) {
		f.type = TQ_QUIC_FT_NEW_TOKEN;
		f.new_token.token = c->nt;
		f.new_token.len = c->nt_len;
		if (put_simple(w, &f)) {
			c->nt_want = false;
			rec_add(pp->rec, TQ_QC_F_NEW_TOKEN, 0, 0, 0, false);
			pp->elicit = true;
			c->stats.new_tokens++;
		}
	}
	tq_qc_cid_top_up(c);
	for (i = 0; i < c->n_lcid && !rec_full(pp->rec); i++) {
		struct tq_qc_lcid *l = &c->lcid[i];

		if (!l->want)
			continue;
		f.type = TQ_QUIC_FT_NEW_CONNECTION_ID;
		f.new_cid.seq = l->seq;
		f.new_cid.retire_prior_to = c->lcid_rpt;
		f.new_cid.cid = l->cid.id;
		f.new_cid.cid_len = l->cid.len;
		f.new_cid.reset_token = l->token;
		if (!put_simple(w, &f))
			break;
		l->want = false;
		rec_add(pp->rec, TQ_QC_F_NEW_CID, l->seq, 0, 0, false);
		pp->elicit = true;
	}
	while (c->n_rcid && !rec_full(pp->rec)) {
		f.type = TQ_QUIC_FT_RETIRE_CONNECTION_ID;
		f.retire_cid.seq = c->rcid_q[0];
		if (!put_simple(w, &f))
			break;
		rec_add(pp->rec, TQ_QC_F_RETIRE_CID, c->rcid_q[0], 0, 0,
				false);
		pp->elicit = true;
		memmove(c->rcid_q, c->rcid_q + 1,
				--c->n_rcid * sizeof(c->rcid_q[0]));
	}
	put_path(c, w, pp);
	if (!c->md_want && tq_quic_fc_rx_update(&c->fcr, c->now,
			c->rec.smoothed_rtt, &max))
		c->md_want = true;
	if (c->md_want && !rec_full(pp->rec)) {
		f.type = TQ_QUIC_FT_MAX_DATA;
		f.max_data.max = c->fcr.max;
		if (put_simple(w, &f)) {
			c->md_want = false;
			rec_add(pp->rec, TQ_QC_F_MAX_DATA, 0, 0, 0, false);
			pp->elicit = true;
		}
	}
	if (c->db_want && !rec_full(pp->rec)) {
		c->db_want = false;
		if (tq_quic_fc_tx_blocked(&c->fct, &max)) {
			f.type = TQ_QUIC_FT_DATA_BLOCKED;
			f.blocked.limit = max;
			if (put_simple(w, &f)) {
				tq_quic_fc_tx_blocked_sent(&c->fct, max);
				rec_add(pp->rec, TQ_QC_F_DATA_BLOCKED, max, 0,
						0, false);
				pp->elicit = true;
				c->stats.blocked_sent++;
			}
		}
	}
	for (uni = 0; uni < 2; uni++) {
		if (c->sa_want[uni] && !rec_full(pp->rec) &&
				tq_quic_streams_blocked(&c->sc[uni], &max)) {
			f.type = uni ? TQ_QUIC_FT_STREAMS_BLOCKED_UNI :
				TQ_QUIC_FT_STREAMS_BLOCKED_BIDI;
			f.blocked.limit = max;
			if (put_simple(w, &f)) {
				tq_quic_streams_blocked_sent(&c->sc[uni], max);
				rec_add(pp->rec, uni ?
					TQ_QC_F_STREAMS_BLOCKED_UNI :
					TQ_QC_F_STREAMS_BLOCKED_BIDI, max, 0, 0,
					false);
				pp->elicit = true;
				c->stats.blocked_sent++;
			}
		}
	}
	for (uni = 0; uni < 2; uni++) {
		if (!c->ms_want[uni] && tq_quic_streams_update(&c->sc[uni],
				&max))
			c->ms_want[uni] = true;
		if (c->ms_want[uni] && !rec_full(pp->rec)) {
			f.type = uni ? TQ_QUIC_FT_MAX_STREAMS_UNI :
				TQ_QUIC_FT_MAX_STREAMS_BIDI;
			f.max_data.max = c->sc[uni].peer_max;
			if (put_simple(w, &f)) {
				c->ms_want[uni] = false;
				rec_add(pp->rec, uni ? TQ_QC_F_MAX_STREAMS_UNI :
					TQ_QC_F_MAX_STREAMS_BIDI, 0, 0, 0,
					false);
				pp->elicit = true;
			}
		}
	}
}

/* ---- packets ---- */

/* A client sends at 1-RTT once it has the key, before that at 0-RTT
 * while its early data may be taken. */
static bool
early_out(const struct tq_quic_conn *c, enum tq_quic_space sp)
{
	return sp == TQ_QUIC_SPACE_APP && c->early_tx &&
		!tq_quic_key_set_get(&c->ks, TQ_QUIC_LEVEL_APP,
				TQ_QUIC_DIR_WRITE);
}

static bool
space_wants(struct tq_quic_conn *c, enum tq_quic_space sp, uint64_t now,
		bool can_send)
{
	uint64_t off, len;
	bool retx;
	int uni;

	if (c->probes[sp])
		return true;
	if (sp == TQ_QUIC_SPACE_APP && c->complete &&
			(c->pv.want || c->path_resp_want))
		return true;
	if (tq_quic_ackr_due(&c->ackr[sp], now))
		return true;
	if (!can_send)
		return false;
	if (tq_qc_sq_peek(&c->csq[sp], &off, &len, &retx))
		return true;
	if (early_out(c, sp))
		return c->sq_head != NULL;
	if (sp != TQ_QUIC_SPACE_APP || !c->complete)
		return sp == TQ_QUIC_SPACE_APP && c->path_resp_want;
	if (!c->md_want && tq_quic_fc_rx_update(&c->fcr, now,
			c->rec.smoothed_rtt, &off))
		c->md_want = true;
	for (uni = 0; uni < 2; uni++)
		if (!c->ms_want[uni] && tq_quic_streams_update(&c->sc[uni],
				&off))
			c->ms_want[uni] = true;
	for (uni = 0; uni < 2; uni++)
		if (c->sa_want[uni] && tq_quic_streams_blocked(&c->sc[uni],
				&off))
			return true;
	return c->hd_want || c->md_want || c->ms_want[0] || c->ms_want[1] ||
		c->nt_want || tq_qc_cid_pending(c) || c->pv.want ||
		c->path_resp_want || c->sq_head || c->ping_want ||
		(c->db_want && tq_quic_fc_tx_blocked(&c->fct, &off));
}

/* Start a packet of sp at the datagram's end: the header. */
static int
begin(struct tq_quic_conn *c, struct txctx *t, enum tq_quic_space sp,
		struct tq_quic_wr *w, struct pend *pp)
{
	static const enum tq_quic_pkt_type types[] = {
		TQ_QUIC_PKT_INITIAL, TQ_QUIC_PKT_HANDSHAKE, TQ_QUIC_PKT_1RTT,
	};
	int pn_len, rc;

	memset(pp, 0, sizeof(*pp));
	pp->sp = sp;
	pp->zrtt = early_out(c, sp);
	pp->pn = c->next_pn[sp];
	pn_len = tq_quic_pn_len(pp->pn, c->rec.sp[sp].largest_acked);
	if (pn_len < 0)
		return pn_len;
	tq_quic_wr_init(w, t->buf + t->used,
			t->limit - t->used - TQ_QUIC_TAG_LEN);
	if (pp->zrtt)
		rc = tq_quic_hdr_write_long(w, t->buf, TQ_QUIC_PKT_0RTT,
				TQ_QUIC_VERSION_1, c->dcid.id, c->dcid.len,
				c->scid.id, c->scid.len, NULL, 0, pp->pn,
				(size_t)pn_len, &pp->pos);
	else if (sp == TQ_QUIC_SPACE_APP)
		rc = tq_quic_hdr_write_short(w, t->buf, c->dcid.id,
				c->dcid.len, false, c->write_phase, pp->pn,
				(size_t)pn_len, &pp->pos);
	else
		rc = tq_quic_hdr_write_long(w, t->buf, types[sp],
				TQ_QUIC_VERSION_1, c->dcid.id, c->dcid.len,
				c->scid.id, c->scid.len,
				sp == TQ_QUIC_SPACE_INITIAL ? c->token : NULL,
				sp == TQ_QUIC_SPACE_INITIAL ? c->token_len : 0,
				pp->pn, (size_t)pn_len, &pp->pos);
	return rc < 0 ? rc : 0;
}

/* The packet of sp, if it has anything to carry. */
static void
build(struct tq_quic_conn *c, struct txctx *t, enum tq_quic_space sp)
{
	struct pend *pp = &t->p[t->n];
	const struct tq_quic_rec_space *rs = &c->rec.sp[sp];
	struct tq_quic_wr w;
	uint8_t *start;
	bool probe = c->probes[sp] > 0;
	bool can = t->can_send || probe;
	/* path validation goes whatever the window (RFC 9000 8.2: a
	 * PATH_RESPONSE at once; a PATH_CHALLENGE probes a path the
	 * window was not measured on), alone */
	bool path_only = !can && sp == TQ_QUIC_SPACE_APP && c->complete &&
		(c->pv.want || c->path_resp_want);

	/* The last records are kept for ACKs: two ends whose records are
	 * all in flight must still acknowledge each other's. */
	if (rs->cap - rs->count <= RECORD_RESERVE && !probe)
		can = false;

	if (t->limit - t->used < MIN_ROOM + TQ_QUIC_TAG_LEN)
		return;
	if (!space_wants(c, sp, t->now, can))
		return;
	if (!tq_quic_rec_can_send(&c->rec, sp) || !c->pkt_free)
		return;
	if (begin(c, t, sp, &w, pp) < 0)
		return;
	pp->a = tq_quic_key_set_get(&c->ks, pp->zrtt ? TQ_QUIC_LEVEL_EARLY :
			tq_qc_level(sp), TQ_QUIC_DIR_WRITE);
	pp->rec = rec_alloc(c);
	start = w.pos;
	if (tq_quic_ackr_pending(&c->ackr[sp]) &&
			tq_quic_ackr_write(&c->ackr[sp], &w, t->now,
				TQ_QUIC_TP_DEFAULT_ACK_DELAY_EXPONENT) > 0) {
		pp->has_ack = true;
		pp->ack_largest = c->ackr[sp].largest;
	}
	if (can) {
		put_crypto(c, sp, &w, pp);
		if (sp == TQ_QUIC_SPACE_APP && c->complete) {
			put_app_control(c, &w, pp);
			put_streams(c, &w, pp, can);
		} else if (pp->zrtt) {
			put_streams(c, &w, pp, can);
		}
	} else if (path_only) {
		put_path(c, &w, pp);
	}
	if ((probe || (sp == TQ_QUIC_SPACE_APP && c->ping_want && can)) &&
			!pp->elicit && tq_quic_wr_u8(&w, TQ_QUIC_FT_PING) == 0)
		pp->elicit = true;
	if (sp == TQ_QUIC_SPACE_APP && pp->elicit)
		c->ping_want = false;
	if (probe && pp->elicit)
		c->probes[sp]--;
	if (w.pos == start) {
		rec_put(c, pp->rec);
		return;
	}
	/* header protection samples 4 bytes past the packet number */
	while ((size_t)(w.pos - t->buf) < pp->pos.pn_off + 4)
		tq_quic_wr_u8(&w, TQ_QUIC_FT_PADDING);
	pp->end = (size_t)(w.pos - t->buf);
	t->used = pp->end + TQ_QUIC_TAG_LEN;
	c->next_pn[sp]++;
	t->n++;
}

static enum tq_quic_pkt_type
pkt_type(enum tq_quic_space sp, bool zrtt)
{
	return zrtt ? TQ_QUIC_PKT_0RTT : sp == TQ_QUIC_SPACE_INITIAL ?
		TQ_QUIC_PKT_INITIAL : sp == TQ_QUIC_SPACE_HANDSHAKE ?
		TQ_QUIC_PKT_HANDSHAKE : TQ_QUIC_PKT_1RTT;
}

/* transport:packet_sent, the frames read back from the plaintext */
static void
qlog_sent(struct tq_quic_conn *c, const struct txctx *t,
		const struct pend *pp)
{
	size_t at = pp->pos.pn_off + pp->pos.pn_len;

	tq_quic_qlog_packet(c->qlog, t->now, true, pkt_type(pp->sp, pp->zrtt),
			pp->pn, t->buf + at, pp->end - at,
			pp->end + TQ_QUIC_TAG_LEN - pp->pos.start);
}

/* Seal the packets and hand them to recovery. */
static void
finish(struct tq_quic_conn *c, struct txctx *t)
{
	bool pad = false, path = false;
	unsigned int i;
	size_t target;

	for (i = 0; i < t->n; i++) {
		if (t->p[i].sp == TQ_QUIC_SPACE_INITIAL &&
				(!c->is_server || t->p[i].elicit))
			pad = true;
		path |= t->p[i].path;
	}
	/* RFC 9000 8.2.1/8.2.2: a PATH_CHALLENGE or PATH_RESPONSE goes in
	 * a 1200-byte datagram, so that validating a path proves it
	 * carries them; t->limit holds the 3x limit of an unvalidated
	 * path, under which it goes smaller (allowed, and counted) */
	if (path && t->limit < TQ_QUIC_MIN_INITIAL_DGRAM)
		c->stats.path_small++;
	if (pad || path || t->pmtu) {
		/* RFC 9000 14.1: the datagram to 1200 bytes (a PMTU probe:
		 * to the size it probes) */
		struct pend *last = &t->p[t->n - 1];

		target = t->pmtu ? t->limit :
			RTE_MIN((size_t)TQ_QUIC_MIN_INITIAL_DGRAM, t->limit);
		if (t->used < target) {
			memset(t->buf + last->end, 0, target - t->used);
			last->end += target - t->used;
			t->used = target;
		}
	}
	/* one codepoint for the datagram, decided before its packets
	 * are counted (the 10th test packet ends the testing phase) */
	c->out_ect0 = tq_quic_rec_ecn_mark(&c->rec);
	for (i = 0; i < t->n; i++) {
		struct pend *pp = &t->p[i];
		struct tq_quic_sent s = { 0 };
		size_t payload = pp->end - pp->pos.pn_off - pp->pos.pn_len;
		int n;

		if (pp->sp != TQ_QUIC_SPACE_APP || pp->zrtt)
			tq_quic_hdr_set_length(t->buf, &pp->pos,
					pp->end + TQ_QUIC_TAG_LEN);
		if (pp->zrtt)
			c->stats.early_pkts++;
		if (unlikely(c->qlog))
			qlog_sent(c, t, pp);
		n = tq_quic_packet_seal(pp->a, c->cw, t->buf + pp->pos.start,
				pp->pos.pn_off - pp->pos.start, pp->pn,
				payload);
		(void)n;
		if (pp->sp == TQ_QUIC_SPACE_APP && !pp->zrtt)
			c->aead_sealed++;
		s.pn = pp->pn;
		s.time_sent = t->now;
		s.size = (uint32_t)(pp->end + TQ_QUIC_TAG_LEN - pp->pos.start);
		s.ack_eliciting = pp->elicit;
		s.in_flight = pp->elicit || pad;
		s.ack_largest = pp->has_ack ? pp->ack_largest :
			TQ_QUIC_PN_NONE;
		s.handle = pp->rec;
		s.ecn = c->out_ect0;
		s.no_cc = t->pmtu;
		if (tq_quic_rec_on_sent(&c->rec, pp->sp, &s) < 0)
			rec_put(c, pp->rec);
		if (pp->has_ack)
			tq_quic_ackr_sent(&c->ackr[pp->sp]);
		c->stats.pkts_out++;
		if (pp->elicit)
			c->elicit_tx_at = t->now;
		if (pp->elicit && !c->elicit_since_rx) {
			c->elicit_since_rx = true;
			tq_qc_idle_restart(c, t->now);
		}
		if (pp->sp == TQ_QUIC_SPACE_HANDSHAKE && !c->is_server)
			c->sent_hs_pkt = true;
	}
}

/* CONNECTION_CLOSE at every level we still have keys for. */
static size_t
output_close(struct tq_quic_conn *c, uint8_t *buf, size_t cap, uint64_t now)
{
	struct txctx t = { .buf = buf, .limit = cap, .now = now };
	struct tq_quic_frame f;
	struct tq_quic_wr w;
	int sp;

	/* closing packets are not tracked by recovery: unmarked */
	c->out_ect0 = false;
	if (!c->close_send)
		return 0;
	if (c->close_last_sent && now < c->close_last_sent +
			tq_quic_rec_pto_base(&c->rec))
		return 0; /* at most one per PTO (RFC 9000 10.2.1) */
	if (c->is_server && !c->validated) {
		/* the amplification limit holds for this too (8.1) */
		uint64_t left = 3 * c->amp_rx > c->amp_tx ?
			3 * c->amp_rx - c->amp_tx : 0;

		if (left < 256)
			return 0;
		t.limit = RTE_MIN(t.limit, (size_t)left);
	}
	for (sp = 0; sp < TQ_QUIC_SPACE_N; sp++) {
		struct pend *pp = &t.p[t.n];

		if (c->discarded[sp] || !tq_quic_key_set_get(&c->ks,
				tq_qc_level(sp), TQ_QUIC_DIR_WRITE))
			continue;
		if (sp == TQ_QUIC_SPACE_APP && !c->complete && c->is_server)
			continue;
		if (t.limit - t.used < 128)
			break;
		if (begin(c, &t, sp, &w, pp) < 0)
			continue;
		pp->a = tq_quic_key_set_get(&c->ks, tq_qc_level(sp),
				TQ_QUIC_DIR_WRITE);
		memset(&f, 0, sizeof(f));
		if (c->close_app && sp == TQ_QUIC_SPACE_APP) {
			f.type = TQ_QUIC_FT_CONNECTION_CLOSE_APP;
			f.close.error = c->close_code;
		} else {
			/* RFC 9000 10.2.3: no application code before
			 * 1-RTT */
			f.type = TQ_QUIC_FT_CONNECTION_CLOSE;
			f.close.error = c->close_app ?
				TQ_QUIC_APPLICATION_ERROR : c->close_code;
			f.close.frame_type = c->close_ftype;
		}
		if (tq_quic_frame_encode(&w, &f) < 0)
			continue;
		while ((size_t)(w.pos - t.buf) < pp->pos.pn_off + 4)
			tq_quic_wr_u8(&w, TQ_QUIC_FT_PADDING);
		pp->end = (size_t)(w.pos - t.buf);
		t.used = pp->end + TQ_QUIC_TAG_LEN;
		c->next_pn[sp]++;
		t.n++;
	}
	if (t.n == 0)
		return 0;
	for (sp = 0; sp < (int)t.n; sp++) {
		struct pend *pp = &t.p[sp];

		if (pp->sp != TQ_QUIC_SPACE_APP)
			tq_quic_hdr_set_length(t.buf, &pp->pos,
					pp->end + TQ_QUIC_TAG_LEN);
		if (unlikely(c->qlog))
			qlog_sent(c, &t, pp);
		tq_quic_packet_seal(pp->a, c->cw, t.buf + pp->pos.start,
				pp->pos.pn_off - pp->pos.start, pp->pn,
				pp->end - pp->pos.pn_off - pp->pos.pn_len);
	}
	if (!c->is_server && t.p[0].sp == TQ_QUIC_SPACE_INITIAL &&
			t.used < TQ_QUIC_MIN_INITIAL_DGRAM) {
		/* a client's Initial datagram is padded: zeros after the
		 * packets are fine (RFC 9000 14.1) */
		memset(t.buf + t.used, 0, TQ_QUIC_MIN_INITIAL_DGRAM - t.used);
		t.used = TQ_QUIC_MIN_INITIAL_DGRAM;
	}
	c->close_send = false;
	c->close_last_sent = now;
	if (c->is_server && !c->validated)
		c->amp_tx += t.used;
	c->stats.dgrams_out++;
	c->stats.bytes_out += t.used;
	return t.used;
}

/*
 * DPLPMTUD (RFC 9000 14.3, RFC 8899), one step: once the handshake is
 * confirmed on a validated path, a PING padded to the largest UDP
 * payload the local link carries (within the peer's
 * max_udp_payload_size) tells whether the path carries it; its
 * acknowledgement moves our datagrams to that size.  A lost probe is
 * tried again up to TQ_QC_PMTU_TRIES times, and is no congestion
 * signal (14.4).  Datagrams stay at 1200 bytes meanwhile.
 */
#define TQ_QC_PMTU_TRIES 3

static bool
pmtu_due(struct tq_quic_conn *c, size_t bufcap)
{
	uint64_t size;

	if (!c->cfg.max_dgram_probe || c->pmtu.done || c->pmtu.inflight ||
			!c->confirmed || (c->is_server && !c->validated) ||
			c->pv.active ||
			c->state != TQ_QUIC_CS_ESTABLISHED)
		return false;
	size = RTE_MIN((uint64_t)c->cfg.max_dgram_probe, (uint64_t)bufcap);
	if (c->have_ptp)
		size = RTE_MIN(size, c->ptp.max_udp_payload_size);
	if (size <= c->max_dgram) {
		c->pmtu.done = true;
		return false;
	}
	c->pmtu.size = (uint32_t)size;
	return true;
}

static void
pmtu_build(struct tq_quic_conn *c, struct txctx *t, size_t bufcap)
{
	struct pend *pp = &t->p[0];
	struct tq_quic_wr w;

	if (!tq_quic_rec_can_send(&c->rec, TQ_QUIC_SPACE_APP) ||
			!c->pkt_free || c->pmtu.size > bufcap)
		return;
	t->limit = c->pmtu.size;
	if (begin(c, t, TQ_QUIC_SPACE_APP, &w, pp) < 0)
		return;
	pp->a = tq_quic_key_set_get(&c->ks, tq_qc_level(TQ_QUIC_SPACE_APP),
			TQ_QUIC_DIR_WRITE);
	pp->rec = rec_alloc(c);
	if (tq_quic_wr_u8(&w, TQ_QUIC_FT_PING) < 0) {
		rec_put(c, pp->rec);
		return;
	}
	pp->elicit = true;
	rec_add(pp->rec, TQ_QC_F_PMTU_PROBE, c->pmtu.size, 0, 0, false);
	pp->end = (size_t)(w.pos - t->buf);
	t->used = pp->end + TQ_QUIC_TAG_LEN;
	c->next_pn[TQ_QUIC_SPACE_APP]++;
	t->n = 1;
	t->pmtu = true;
	c->pmtu.inflight = true;
	c->stats.pmtu_probes++;
}

static void
pmtu_fate(struct tq_quic_conn *c, bool acked)
{
	c->pmtu.inflight = false;
	if (acked) {
		c->max_dgram = c->pmtu.size;
		c->rec.max_datagram = c->pmtu.size;
		c->rec.cc.mss = c->pmtu.size;
		c->pmtu.done = true;
		c->stats.pmtu_raised++;
	} else if (++c->pmtu.tries >= TQ_QC_PMTU_TRIES) {
		c->pmtu.done = true;
	}
}

size_t
tq_qc_output(struct tq_quic_conn *c, uint8_t *buf, size_t cap, uint64_t now)
{
	struct txctx t = { .buf = buf, .now = now };
	size_t bufcap = cap;
	uint64_t pace;
	int sp;

	if (c->state == TQ_QUIC_CS_CLOSED || c->state == TQ_QUIC_CS_DRAINING)
		return 0;
	cap = RTE_MIN(cap, (size_t)RTE_MAX(c->max_dgram,
				(uint32_t)TQ_QUIC_MIN_INITIAL_DGRAM));
	if (c->state == TQ_QUIC_CS_CLOSING)
		return output_close(c, buf, cap, now);
	t.limit = cap;
	if (c->is_server && !c->validated) {
		/* RFC 9000 8.1: 3 times what was received */
		uint64_t left = 3 * c->amp_rx > c->amp_tx ?
			3 * c->amp_rx - c->amp_tx : 0;

		/* a new path's (9.3) needs no 1200-byte Initial: what fits
		 * (a PATH_CHALLENGE, an ACK) goes */
		if (left < (c->pv.active ? 64 : TQ_QUIC_MIN_INITIAL_DGRAM)) {
			c->rec.amp_blocked = true;
			c->stats.amp_blocked++;
			return 0;
		}
		t.limit = RTE_MIN(t.limit, (size_t)left);
	}
	t.can_send = tq_quic_rec_cwnd_avail(&c->rec) > 0;
	if (t.can_send) {
		/* the cc's own rate when it sets one (BBR), else 7.7's */
		pace = c->rec.cc.pacing_rate != 0 ?
			tq_quic_pacer_next_rate(&c->pacer,
					c->rec.cc.pacing_rate,
					(uint32_t)t.limit, now) :
			tq_quic_pacer_next(&c->pacer, c->rec.cc.cwnd,
				c->rec.smoothed_rtt, (uint32_t)t.limit, now);
		if (pace > now) {
			c->pace_at = pace;
			t.can_send = false;
		}
	}
	if (t.can_send && pmtu_due(c, bufcap))
		pmtu_build(c, &t, bufcap);
	for (sp = 0; sp < TQ_QUIC_SPACE_N && !t.pmtu; sp++) {
		if (c->discarded[sp] || (!tq_quic_key_set_get(&c->ks,
				tq_qc_level(sp), TQ_QUIC_DIR_WRITE) &&
				!early_out(c, sp)))
			continue;
		build(c, &t, sp);
	}
	if (t.n == 0) {
		/* window and pacer allowed a packet and no stream had data:
		 * the app limits us, not the path (a stream held back by the
		 * peer's flow control stays queued and is not app-limited,
		 * as Linux counts rwnd-limited apart) */
		if (t.can_send && !c->sq_head)
			tq_quic_rec_app_limited(&c->rec);
		return 0;
	}
	finish(c, &t);
	if (unlikely(c->aead_sealed >= c->aead_soft))
		tq_qc_aead_limit(c);
	if (c->is_server && !c->validated)
		c->amp_tx += t.used;
	for (sp = 0; sp < (int)t.n; sp++)
		if (t.p[sp].elicit) {
			tq_quic_pacer_sent(&c->pacer, (uint32_t)t.used);
			break;
		}
	c->stats.dgrams_out++;
	c->stats.bytes_out += t.used;
	/* RFC 9001 4.9.1: a client drops Initial keys once it sends a
	 * Handshake packet */
	if (c->sent_hs_pkt && !c->discarded[TQ_QUIC_SPACE_INITIAL])
		tq_qc_discard(c, TQ_QUIC_SPACE_INITIAL);
	return t.used;
}

/* ---- the fate of a sent packet's frames ---- */

static void
frames_fate(struct tq_quic_conn *c, const struct tq_quic_sent *p, bool acked)
{
	struct tq_qc_pktrec *r = p->handle;
	struct tq_quic_stream *s;
	unsigned int i;
	bool retx = false;

	if (!r)
		return;
	for (i = 0; i < r->n; i++) {
		uint8_t k = r->f[i].kind;

		switch (k) {
		case TQ_QC_F_CRYPTO:
			if (c->discarded[r->f[i].id])
				break;
			if (acked)
				tq_qc_sq_acked(&c->csq[r->f[i].id], r->f[i].off,
						r->f[i].len);
			else
				tq_qc_sq_lost(&c->csq[r->f[i].id], r->f[i].off,
						r->f[i].len);
			retx = true;
			break;
		case TQ_QC_F_HANDSHAKE_DONE:
			if (!acked)
				c->hd_want = true;
			break;
		case TQ_QC_F_PMTU_PROBE:
			if (c->pmtu.inflight && r->f[i].id == c->pmtu.size)
				pmtu_fate(c, acked);
			break;
		case TQ_QC_F_NEW_TOKEN:
			if (!acked)
				c->nt_want = true;
			break;
		case TQ_QC_F_NEW_CID: {
			struct tq_qc_lcid *l = acked ? NULL :
				tq_qc_cid_find(c, r->f[i].id);

			/* again, unless retired since */
			if (l)
				l->want = true;
			break;
		}
		case TQ_QC_F_RETIRE_CID:
			if (!acked)
				tq_qc_cid_retire_peer(c, r->f[i].id);
			break;
		case TQ_QC_F_MAX_DATA:
			if (!acked)
				c->md_want = true;
			break;
		case TQ_QC_F_MAX_STREAMS_BIDI:
		case TQ_QC_F_MAX_STREAMS_UNI:
			if (!acked)
				c->ms_want[k == TQ_QC_F_MAX_STREAMS_UNI] = true;
			break;
		case TQ_QC_F_DATA_BLOCKED:
			if (!acked) {
				tq_quic_fc_tx_blocked_lost(&c->fct, r->f[i].id);
				c->db_want = true;
			}
			break;
		case TQ_QC_F_STREAMS_BLOCKED_BIDI:
		case TQ_QC_F_STREAMS_BLOCKED_UNI: {
			struct tq_quic_streams *sc = &c->sc[k ==
				TQ_QC_F_STREAMS_BLOCKED_UNI];

			/* again, if the limit has not moved */
			if (!acked && sc->blocked_at == r->f[i].id &&
					sc->local_max == r->f[i].id)
				sc->blocked_at = UINT64_MAX;
			break;
		}
		default:
			s = tq_qc_stream_find(c, r->f[i].id);
			if (!s)
				break;
			if (k == TQ_QC_F_STREAM) {
				if (s->reset_want)
					break;
				if (acked) {
					c->bytes_acked += r->f[i].len;
					tq_qc_stream_connected(s);
					tq_qc_sq_acked(&s->sq, r->f[i].off,
							r->f[i].len);
					if (r->f[i].fin)
						s->fin_acked = true;
					tq_qc_stream_acked_tell(s);
				} else {
					tq_qc_sq_lost(&s->sq, r->f[i].off,
							r->f[i].len);
					if (r->f[i].fin && !s->fin_acked)
						s->fin_lost = true;
					if (r->f[i].len == 0 && !r->f[i].fin &&
							!s->connected_told)
						s->announce = true;
					retx = true;
				}
			} else if (k == TQ_QC_F_RESET) {
				if (acked)
					s->reset_acked = true;
				else
					s->reset_sent = false;
			} else if (k == TQ_QC_F_STOP) {
				if (acked)
					s->stop_acked = true;
				else
					s->stop_sent = false;
			} else if (k == TQ_QC_F_MAX_STREAM_DATA && !acked) {
				s->msd_want = true;
			} else if (k == TQ_QC_F_STREAM_DATA_BLOCKED && !acked) {
				tq_quic_fc_tx_blocked_lost(&s->fct,
						r->f[i].off);
			}
			if (acked)
				tq_qc_stream_maybe_free(s);
			else
				tq_qc_stream_sendq(s);
			break;
		}
	}
	if (retx)
		c->stats.retransmits++;
}

void
tq_qc_pkt_acked(struct tq_quic_conn *c, enum tq_quic_space sp,
		const struct tq_quic_sent *p)
{
	if (p->ack_largest != TQ_QUIC_PN_NONE)
		tq_quic_ackr_forget(&c->ackr[sp], p->ack_largest);
	frames_fate(c, p, true);
	rec_put(c, p->handle);
}

void
tq_qc_pkt_lost(struct tq_quic_conn *c, enum tq_quic_space sp,
		const struct tq_quic_sent *p)
{
	if (unlikely(c->qlog))
		tq_quic_qlog_event(c->qlog, c->now, "recovery:packet_lost",
				"\"header\":{\"packet_type\":\"%s\","
				"\"packet_number\":%llu}",
				tq_quic_qlog_pkt_type(pkt_type(sp, false)),
				(unsigned long long)p->pn);
	frames_fate(c, p, false);
	rec_put(c, p->handle);
}

void
tq_qc_pkt_discarded(struct tq_quic_conn *c, enum tq_quic_space sp,
		const struct tq_quic_sent *p)
{
	(void)sp;
	rec_put(c, p->handle);
}
