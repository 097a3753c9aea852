/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QUIC frames (RFC 9000 19, DATAGRAM from RFC 9221): decoding with all
 * the checks the RFC puts on the frame itself, and encoders.
 *
 * A decoded frame points into the packet: nothing is copied but the
 * 8 bytes of PATH_CHALLENGE/PATH_RESPONSE.  An ACK's ranges stay in the
 * packet as well and are walked with tq_quic_ack_iter; decode has
 * walked them once already so that a bad range closes the connection
 * before any of the frame is acted on.
 *
 * What needs connection state (stream limits, stream direction, who may
 * send NEW_TOKEN or HANDSHAKE_DONE, final sizes) is checked above.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "tq_quic_wire.h"

#define FEE TQ_QUIC_FRAME_ENCODING_ERROR

/* RFC 9000 12.4 Table 3 (the "Pkts" column), RFC 9221 4: which packet
 * types may carry each frame type. */
#define P_I (1u << TQ_QUIC_PKT_INITIAL)
#define P_0 (1u << TQ_QUIC_PKT_0RTT)
#define P_H (1u << TQ_QUIC_PKT_HANDSHAKE)
#define P_1 (1u << TQ_QUIC_PKT_1RTT)
#define IH01 (P_I | P_H | P_0 | P_1)
#define IH_1 (P_I | P_H | P_1)
#define __01 (P_0 | P_1)
#define ___1 (P_1)

static const uint8_t frame_pkts[] = {
	[TQ_QUIC_FT_PADDING] = IH01,
	[TQ_QUIC_FT_PING] = IH01,
	[TQ_QUIC_FT_ACK] = IH_1,
	[TQ_QUIC_FT_ACK_ECN] = IH_1,
	[TQ_QUIC_FT_RESET_STREAM] = __01,
	[TQ_QUIC_FT_STOP_SENDING] = __01,
	[TQ_QUIC_FT_CRYPTO] = IH_1,
	[TQ_QUIC_FT_NEW_TOKEN] = ___1,
	[0x08 ... 0x0f] = __01,
	[TQ_QUIC_FT_MAX_DATA] = __01,
	[TQ_QUIC_FT_MAX_STREAM_DATA] = __01,
	[TQ_QUIC_FT_MAX_STREAMS_BIDI] = __01,
	[TQ_QUIC_FT_MAX_STREAMS_UNI] = __01,
	[TQ_QUIC_FT_DATA_BLOCKED] = __01,
	[TQ_QUIC_FT_STREAM_DATA_BLOCKED] = __01,
	[TQ_QUIC_FT_STREAMS_BLOCKED_BIDI] = __01,
	[TQ_QUIC_FT_STREAMS_BLOCKED_UNI] = __01,
	[TQ_QUIC_FT_NEW_CONNECTION_ID] = __01,
	[TQ_QUIC_FT_RETIRE_CONNECTION_ID] = ___1,
	[TQ_QUIC_FT_PATH_CHALLENGE] = __01,
	[TQ_QUIC_FT_PATH_RESPONSE] = ___1,
	[TQ_QUIC_FT_CONNECTION_CLOSE] = IH01,
	[TQ_QUIC_FT_CONNECTION_CLOSE_APP] = __01,
	[TQ_QUIC_FT_HANDSHAKE_DONE] = ___1,
	[TQ_QUIC_FT_DATAGRAM] = __01,
	[TQ_QUIC_FT_DATAGRAM_LEN] = __01,
};

static const char *const frame_names[] = {
	[TQ_QUIC_FT_PADDING] = "PADDING",
	[TQ_QUIC_FT_PING] = "PING",
	[TQ_QUIC_FT_ACK] = "ACK",
	[TQ_QUIC_FT_ACK_ECN] = "ACK_ECN",
	[TQ_QUIC_FT_RESET_STREAM] = "RESET_STREAM",
	[TQ_QUIC_FT_STOP_SENDING] = "STOP_SENDING",
	[TQ_QUIC_FT_CRYPTO] = "CRYPTO",
	[TQ_QUIC_FT_NEW_TOKEN] = "NEW_TOKEN",
	[0x08 ... 0x0f] = "STREAM",
	[TQ_QUIC_FT_MAX_DATA] = "MAX_DATA",
	[TQ_QUIC_FT_MAX_STREAM_DATA] = "MAX_STREAM_DATA",
	[TQ_QUIC_FT_MAX_STREAMS_BIDI] = "MAX_STREAMS_BIDI",
	[TQ_QUIC_FT_MAX_STREAMS_UNI] = "MAX_STREAMS_UNI",
	[TQ_QUIC_FT_DATA_BLOCKED] = "DATA_BLOCKED",
	[TQ_QUIC_FT_STREAM_DATA_BLOCKED] = "STREAM_DATA_BLOCKED",
	[TQ_QUIC_FT_STREAMS_BLOCKED_BIDI] = "STREAMS_BLOCKED_BIDI",
	[TQ_QUIC_FT_STREAMS_BLOCKED_UNI] = "STREAMS_BLOCKED_UNI",
	[TQ_QUIC_FT_NEW_CONNECTION_ID] = "NEW_CONNECTION_ID",
	[TQ_QUIC_FT_RETIRE_CONNECTION_ID] = "RETIRE_CONNECTION_ID",
	[TQ_QUIC_FT_PATH_CHALLENGE] = "PATH_CHALLENGE",
	[TQ_QUIC_FT_PATH_RESPONSE] = "PATH_RESPONSE",
	[TQ_QUIC_FT_CONNECTION_CLOSE] = "CONNECTION_CLOSE",
	[TQ_QUIC_FT_CONNECTION_CLOSE_APP] = "CONNECTION_CLOSE_APP",
	[TQ_QUIC_FT_HANDSHAKE_DONE] = "HANDSHAKE_DONE",
	[TQ_QUIC_FT_DATAGRAM] = "DATAGRAM",
	[TQ_QUIC_FT_DATAGRAM_LEN] = "DATAGRAM",
};

#define NTYPES (sizeof(frame_pkts) / sizeof(frame_pkts[0]))

bool
tq_quic_frame_allowed(uint64_t type, enum tq_quic_pkt_type pkt)
{
	if (type >= NTYPES || pkt >= TQ_QUIC_PKT_MAX)
		return false;
	return frame_pkts[type] & (1u << pkt);
}

const char *
tq_quic_frame_name(uint64_t type)
{
	if (type < NTYPES && frame_names[type])
		return frame_names[type];
	return "unknown";
}

/* Read a varint or fail the frame. */
#define RD(v)                                           \
	do {                                            \
		if (tq_quic_rd_varint(r, &(v)) < 0)     \
			return FEE;                     \
	} while (0)

/* A length-prefixed (or to-the-end) run of bytes. */
static enum tq_quic_err
rd_span(struct tq_quic_rd *r, bool prefixed, const uint8_t **p, size_t *len)
{
	uint64_t n;

	if (prefixed) {
		RD(n);
		if (n > tq_quic_rd_left(r))
			return FEE;
	} else {
		n = tq_quic_rd_left(r);
	}
	*p = r->pos;
	*len = (size_t)n;
	r->pos += n;
	return TQ_QUIC_NO_ERROR;
}

/* RFC 9000 19.3.1: every range's smallest must stay >= 0. */
static enum tq_quic_err
dec_ack(struct tq_quic_rd *r, struct tq_quic_frame_ack *a, bool ecn)
{
	uint64_t smallest, gap, len, i;

	RD(a->largest);
	RD(a->delay);
	RD(a->range_count);
	RD(a->first_range);
	if (a->first_range > a->largest)
		return FEE;
	smallest = a->largest - a->first_range;
	a->ranges = r->pos;
	/* each pair takes at least two bytes, so a huge count ends at the
	 * end of the packet */
	for (i = 0; i < a->range_count; i++) {
		RD(gap);
		RD(len);
		if (smallest < gap + 2 || smallest - gap - 2 < len)
			return FEE;
		smallest = smallest - gap - 2 - len;
	}
	a->ranges_len = (size_t)(r->pos - a->ranges);
	a->ecn = ecn;
	if (ecn) {
		RD(a->counts.ect0);
		RD(a->counts.ect1);
		RD(a->counts.ce);
	} else {
		memset(&a->counts, 0, sizeof(a->counts));
	}
	return TQ_QUIC_NO_ERROR;
}

static enum tq_quic_err
dec_stream(struct tq_quic_rd *r, uint64_t t, struct tq_quic_frame *f)
{
	enum tq_quic_err e;

	RD(f->stream.id);
	f->stream.offset = 0;
	if (t & TQ_QUIC_STREAM_OFF)
		RD(f->stream.offset);
	e = rd_span(r, t & TQ_QUIC_STREAM_LEN, &f->stream.data,
			&f->stream.len);
	if (e)
		return e;
	/* RFC 9000 19.8: the final offset must stay a varint; 4.5 lets
	 * this be FRAME_ENCODING_ERROR or FLOW_CONTROL_ERROR */
	if (f->stream.len > TQ_QUIC_VARINT_MAX - f->stream.offset)
		return FEE;
	f->stream.fin = t & TQ_QUIC_STREAM_FIN;
	return TQ_QUIC_NO_ERROR;
}

static enum tq_quic_err
dec_new_cid(struct tq_quic_rd *r, struct tq_quic_frame *f)
{
	uint8_t len;

	RD(f->new_cid.seq);
	RD(f->new_cid.retire_prior_to);
	/* RFC 9000 19.15 */
	if (f->new_cid.retire_prior_to > f->new_cid.seq)
		return FEE;
	if (tq_quic_rd_u8(r, &len) < 0 || len < 1 || len > TQ_QUIC_CID_MAX)
		return FEE;
	f->new_cid.cid_len = len;
	if (tq_quic_rd_bytes(r, len, &f->new_cid.cid) < 0 ||
			tq_quic_rd_bytes(r, TQ_QUIC_RESET_TOKEN_LEN,
			&f->new_cid.reset_token) < 0)
		return FEE;
	return TQ_QUIC_NO_ERROR;
}

enum tq_quic_err
tq_quic_frame_decode(struct tq_quic_rd *r, enum tq_quic_pkt_type pkt,
		struct tq_quic_frame *f)
{
	const uint8_t *p;
	enum tq_quic_err e;
	uint64_t t;
	int len;

	f->type = 0;
	len = tq_quic_rd_varint(r, &t);
	if (len < 0)
		return FEE;
	f->type = t;
	/* RFC 9000 12.4: an unknown type is FRAME_ENCODING_ERROR; one
	 * not in its shortest form may be PROTOCOL_VIOLATION */
	if (t >= NTYPES || !frame_pkts[t])
		return FEE;
	if ((size_t)len != tq_quic_varint_len(t))
		return TQ_QUIC_PROTOCOL_VIOLATION;
	if (!tq_quic_frame_allowed(t, pkt))
		return TQ_QUIC_PROTOCOL_VIOLATION;
	if (TQ_QUIC_FT_IS_STREAM(t))
		return dec_stream(r, t, f);
	switch (t) {
	case TQ_QUIC_FT_PADDING:
		/* a run of padding is one frame: a full Initial is mostly
		 * padding, not worth a call per byte */
		p = r->pos;
		while (p < r->end && *p == 0)
			p++;
		f->padding.len = (size_t)(p - r->pos) + 1;
		r->pos = p;
		return TQ_QUIC_NO_ERROR;
	case TQ_QUIC_FT_PING:
	case TQ_QUIC_FT_HANDSHAKE_DONE:
		return TQ_QUIC_NO_ERROR;
	case TQ_QUIC_FT_ACK:
	case TQ_QUIC_FT_ACK_ECN:
		return dec_ack(r, &f->ack, t == TQ_QUIC_FT_ACK_ECN);
	case TQ_QUIC_FT_RESET_STREAM:
		RD(f->reset_stream.id);
		RD(f->reset_stream.app_err);
		RD(f->reset_stream.final_size);
		return TQ_QUIC_NO_ERROR;
	case TQ_QUIC_FT_STOP_SENDING:
		RD(f->stop_sending.id);
		RD(f->stop_sending.app_err);
		return TQ_QUIC_NO_ERROR;
	case TQ_QUIC_FT_CRYPTO:
		RD(f->crypto.offset);
		e = rd_span(r, true, &f->crypto.data, &f->crypto.len);
		if (e)
			return e;
		/* RFC 9000 19.6 */
		if (f->crypto.len > TQ_QUIC_VARINT_MAX - f->crypto.offset)
			return FEE;
		return TQ_QUIC_NO_ERROR;
	case TQ_QUIC_FT_NEW_TOKEN:
		e = rd_span(r, true, &f->new_token.token, &f->new_token.len);
		/* RFC 9000 19.7: an empty token is an encoding error */
		if (!e && f->new_token.len == 0)
			return FEE;
		return e;
	case TQ_QUIC_FT_MAX_DATA:
		RD(f->max_data.max);
		return TQ_QUIC_NO_ERROR;
	case TQ_QUIC_FT_MAX_STREAMS_BIDI:
	case TQ_QUIC_FT_MAX_STREAMS_UNI:
		RD(f->max_data.max);
		/* RFC 9000 19.11 */
		return f->max_data.max > TQ_QUIC_MAX_STREAMS ? FEE :
				TQ_QUIC_NO_ERROR;
	case TQ_QUIC_FT_MAX_STREAM_DATA:
		RD(f->max_stream_data.id);
		RD(f->max_stream_data.max);
		return TQ_QUIC_NO_ERROR;
	case TQ_QUIC_FT_DATA_BLOCKED:
		RD(f->blocked.limit);
		return TQ_QUIC_NO_ERROR;
	case TQ_QUIC_FT_STREAMS_BLOCKED_BIDI:
	case TQ_QUIC_FT_STREAMS_BLOCKED_UNI:
		RD(f->blocked.limit);
		/* RFC 9000 19.14: STREAM_LIMIT_ERROR or this */
		return f->blocked.limit > TQ_QUIC_MAX_STREAMS ? FEE :
				TQ_QUIC_NO_ERROR;
	case TQ_QUIC_FT_STREAM_DATA_BLOCKED:
		RD(f->stream_data_blocked.id);
		RD(f->stream_data_blocked.limit);
		return TQ_QUIC_NO_ERROR;
	case TQ_QUIC_FT_NEW_CONNECTION_ID:
		return dec_new_cid(r, f);
	case TQ_QUIC_FT_RETIRE_CONNECTION_ID:
		RD(f->retire_cid.seq);
		return TQ_QUIC_NO_ERROR;
	case TQ_QUIC_FT_PATH_CHALLENGE:
	case TQ_QUIC_FT_PATH_RESPONSE:
		if (tq_quic_rd_bytes(r, 8, &p) < 0)
			return FEE;
		memcpy(f->path.data, p, 8);
		return TQ_QUIC_NO_ERROR;
	case TQ_QUIC_FT_CONNECTION_CLOSE:
	case TQ_QUIC_FT_CONNECTION_CLOSE_APP:
		RD(f->close.error);
		f->close.frame_type = 0;
		if (t == TQ_QUIC_FT_CONNECTION_CLOSE)
			RD(f->close.frame_type);
		return rd_span(r, true, &f->close.reason, &f->close.reason_len);
	case TQ_QUIC_FT_DATAGRAM:
	case TQ_QUIC_FT_DATAGRAM_LEN:
		return rd_span(r, t == TQ_QUIC_FT_DATAGRAM_LEN,
				&f->datagram.data, &f->datagram.len);
	}
	return FEE;
}

void
tq_quic_ack_iter_init(struct tq_quic_ack_iter *it,
		const struct tq_quic_frame_ack *ack)
{
	tq_quic_rd_init(&it->r, ack->ranges, ack->ranges_len);
	it->left = ack->range_count;
	it->smallest = 0;
	it->first = true;
	it->ack = ack;
}

bool
tq_quic_ack_iter_next(struct tq_quic_ack_iter *it,
		struct tq_quic_ack_range *out)
{
	uint64_t gap, len;

	if (it->first) {
		it->first = false;
		if (it->ack->first_range > it->ack->largest)
			return false;
		out->largest = it->ack->largest;
		out->smallest = it->ack->largest - it->ack->first_range;
		it->smallest = out->smallest;
		return true;
	}
	if (it->left == 0)
		return false;
	/* decode checked all this; an ACK built by hand is not trusted */
	if (tq_quic_rd_varint(&it->r, &gap) < 0 ||
			tq_quic_rd_varint(&it->r, &len) < 0 ||
			it->smallest < gap + 2 ||
			it->smallest - gap - 2 < len) {
		it->left = 0;
		return false;
	}
	it->left--;
	out->largest = it->smallest - gap - 2;
	out->smallest = out->largest - len;
	it->smallest = out->smallest;
	return true;
}

/* ---- encoding ---- */

#define WV(v)                                                   \
	do {                                                    \
		int rc_ = tq_quic_wr_varint(w, (v));            \
		if (rc_ < 0)                                    \
			return rc_;                             \
	} while (0)
#define WB(p, n)                                                \
	do {                                                    \
		int rc_ = tq_quic_wr_bytes(w, (p), (n));        \
		if (rc_ < 0)                                    \
			return rc_;                             \
	} while (0)

static int
enc_ack(struct tq_quic_wr *w, const struct tq_quic_frame_ack *a)
{
	if (a->first_range > a->largest)
		return -EINVAL;
	WV(a->ecn ? TQ_QUIC_FT_ACK_ECN : TQ_QUIC_FT_ACK);
	WV(a->largest);
	WV(a->delay);
	WV(a->range_count);
	WV(a->first_range);
	/* a decoded frame's pairs go back as they came */
	WB(a->ranges, a->ranges_len);
	if (a->ecn) {
		WV(a->counts.ect0);
		WV(a->counts.ect1);
		WV(a->counts.ce);
	}
	return 0;
}

static int
enc_stream(struct tq_quic_wr *w, const struct tq_quic_frame *f)
{
	uint64_t t = f->type & ~(uint64_t)TQ_QUIC_STREAM_FIN;

	if ((!(t & TQ_QUIC_STREAM_OFF) && f->stream.offset) ||
			f->stream.offset > TQ_QUIC_VARINT_MAX ||
			f->stream.len > TQ_QUIC_VARINT_MAX - f->stream.offset)
		return -EINVAL;
	if (f->stream.fin)
		t |= TQ_QUIC_STREAM_FIN;
	WV(t);
	WV(f->stream.id);
	if (t & TQ_QUIC_STREAM_OFF)
		WV(f->stream.offset);
	if (t & TQ_QUIC_STREAM_LEN)
		WV(f->stream.len);
	WB(f->stream.data, f->stream.len);
	return 0;
}

static int
enc_body(struct tq_quic_wr *w, const struct tq_quic_frame *f)
{
	uint64_t t = f->type;

	if (t >= NTYPES || !frame_pkts[t])
		return -EINVAL;
	if (TQ_QUIC_FT_IS_STREAM(t))
		return enc_stream(w, f);
	switch (t) {
	case TQ_QUIC_FT_PADDING:
		if (f->padding.len == 0)
			return -EINVAL;
		if (tq_quic_wr_left(w) < f->padding.len)
			return -EMSGSIZE;
		memset(w->pos, 0, f->padding.len);
		w->pos += f->padding.len;
		return 0;
	case TQ_QUIC_FT_ACK:
	case TQ_QUIC_FT_ACK_ECN:
		return enc_ack(w, &f->ack);
	}
	WV(t);
	switch (t) {
	case TQ_QUIC_FT_RESET_STREAM:
		WV(f->reset_stream.id);
		WV(f->reset_stream.app_err);
		WV(f->reset_stream.final_size);
		break;
	case TQ_QUIC_FT_STOP_SENDING:
		WV(f->stop_sending.id);
		WV(f->stop_sending.app_err);
		break;
	case TQ_QUIC_FT_CRYPTO:
		if (f->crypto.offset > TQ_QUIC_VARINT_MAX ||
				f->crypto.len > TQ_QUIC_VARINT_MAX -
				f->crypto.offset)
			return -EINVAL;
		WV(f->crypto.offset);
		WV(f->crypto.len);
		WB(f->crypto.data, f->crypto.len);
		break;
	case TQ_QUIC_FT_NEW_TOKEN:
		if (f->new_token.len == 0)
			return -EINVAL;
		WV(f->new_token.len);
		WB(f->new_token.token, f->new_token.len);
		break;
	case TQ_QUIC_FT_MAX_STREAMS_BIDI:
	case TQ_QUIC_FT_MAX_STREAMS_UNI:
		if (f->max_data.max > TQ_QUIC_MAX_STREAMS)
			return -EINVAL;
		/* fall through */
	case TQ_QUIC_FT_MAX_DATA:
		WV(f->max_data.max);
		break;
	case TQ_QUIC_FT_MAX_STREAM_DATA:
		WV(f->max_stream_data.id);
		WV(f->max_stream_data.max);
		break;
	case TQ_QUIC_FT_STREAMS_BLOCKED_BIDI:
	case TQ_QUIC_FT_STREAMS_BLOCKED_UNI:
		if (f->blocked.limit > TQ_QUIC_MAX_STREAMS)
			return -EINVAL;
		/* fall through */
	case TQ_QUIC_FT_DATA_BLOCKED:
		WV(f->blocked.limit);
		break;
	case TQ_QUIC_FT_STREAM_DATA_BLOCKED:
		WV(f->stream_data_blocked.id);
		WV(f->stream_data_blocked.limit);
		break;
	case TQ_QUIC_FT_NEW_CONNECTION_ID:
		if (f->new_cid.cid_len < 1 ||
				f->new_cid.cid_len > TQ_QUIC_CID_MAX ||
				f->new_cid.retire_prior_to > f->new_cid.seq)
			return -EINVAL;
		WV(f->new_cid.seq);
		WV(f->new_cid.retire_prior_to);
		WV(f->new_cid.cid_len);
		WB(f->new_cid.cid, f->new_cid.cid_len);
		WB(f->new_cid.reset_token, TQ_QUIC_RESET_TOKEN_LEN);
		break;
	case TQ_QUIC_FT_RETIRE_CONNECTION_ID:
		WV(f->retire_cid.seq);
		break;
	case TQ_QUIC_FT_PATH_CHALLENGE:
	case TQ_QUIC_FT_PATH_RESPONSE:
		WB(f->path.data, 8);
		break;
	case TQ_QUIC_FT_CONNECTION_CLOSE:
	case TQ_QUIC_FT_CONNECTION_CLOSE_APP:
		WV(f->close.error);
		if (t == TQ_QUIC_FT_CONNECTION_CLOSE)
			WV(f->close.frame_type);
		WV(f->close.reason_len);
		WB(f->close.reason, f->close.reason_len);
		break;
	case TQ_QUIC_FT_DATAGRAM_LEN:
		WV(f->datagram.len);
		/* fall through */
	case TQ_QUIC_FT_DATAGRAM:
		WB(f->datagram.data, f->datagram.len);
		break;
	default: /* PING, HANDSHAKE_DONE: the type alone */
		break;
	}
	return 0;
}

int
tq_quic_frame_encode(struct tq_quic_wr *w, const struct tq_quic_frame *f)
{
	uint8_t *start = w->pos;
	int rc = enc_body(w, f);

	if (rc < 0) {
		w->pos = start;
		return rc;
	}
	return (int)(w->pos - start);
}

int
tq_quic_ack_encode(struct tq_quic_wr *w,
		const struct tq_quic_ack_range *ranges, size_t n,
		uint64_t delay, const struct tq_quic_ecn_counts *ecn)
{
	size_t base, room = tq_quic_wr_left(w), used = 0, k = 0, i;
	uint64_t gap, len;

	if (n == 0 || tq_quic_varint_len(delay) == 0)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (ranges[i].smallest > ranges[i].largest ||
				ranges[i].largest > TQ_QUIC_PN_MAX)
			return -EINVAL;
		/* a gap field of 0 still means one packet missing */
		if (i && ranges[i].largest + 2 > ranges[i - 1].smallest)
			return -EINVAL;
	}
	if (ecn && (tq_quic_varint_len(ecn->ect0) == 0 ||
			tq_quic_varint_len(ecn->ect1) == 0 ||
			tq_quic_varint_len(ecn->ce) == 0))
		return -EINVAL;
	base = 1 + tq_quic_varint_len(ranges[0].largest) +
		tq_quic_varint_len(delay) +
		tq_quic_varint_len(ranges[0].largest - ranges[0].smallest);
	if (ecn)
		base += tq_quic_varint_len(ecn->ect0) +
			tq_quic_varint_len(ecn->ect1) +
			tq_quic_varint_len(ecn->ce);
	if (base + 1 > room)
		return -EMSGSIZE;
	/* the oldest ranges are the ones to drop: the peer has most
	 * likely seen an earlier ACK carrying them */
	for (i = 1; i < n; i++) {
		size_t need;

		gap = ranges[i - 1].smallest - ranges[i].largest - 2;
		len = ranges[i].largest - ranges[i].smallest;
		need = tq_quic_varint_len(gap) + tq_quic_varint_len(len);
		if (base + tq_quic_varint_len(k + 1) + used + need > room)
			break;
		used += need;
		k++;
	}
	w->pos = tq_quic_varint_put(w->pos,
			ecn ? TQ_QUIC_FT_ACK_ECN : TQ_QUIC_FT_ACK);
	w->pos = tq_quic_varint_put(w->pos, ranges[0].largest);
	w->pos = tq_quic_varint_put(w->pos, delay);
	w->pos = tq_quic_varint_put(w->pos, k);
	w->pos = tq_quic_varint_put(w->pos,
			ranges[0].largest - ranges[0].smallest);
	for (i = 1; i <= k; i++) {
		w->pos = tq_quic_varint_put(w->pos,
				ranges[i - 1].smallest - ranges[i].largest - 2);
		w->pos = tq_quic_varint_put(w->pos,
				ranges[i].largest - ranges[i].smallest);
	}
	if (ecn) {
		w->pos = tq_quic_varint_put(w->pos, ecn->ect0);
		w->pos = tq_quic_varint_put(w->pos, ecn->ect1);
		w->pos = tq_quic_varint_put(w->pos, ecn->ce);
	}
	return (int)(k + 1);
}

/* The most data (<= len) that fits room bytes after its Length field. */
static size_t
fit_with_length(size_t len, size_t room)
{
	size_t n = len < room ? len : room;

	while (n > 0 && n + tq_quic_varint_len(n) > room)
		n--;
	return n;
}

int
tq_quic_stream_encode_hdr(struct tq_quic_wr *w, uint64_t id, uint64_t offset,
		size_t len, bool fin, bool to_end, size_t *fit)
{
	size_t room = tq_quic_wr_left(w), hdr, n;
	uint64_t t = TQ_QUIC_FT_STREAM;
	uint8_t *start = w->pos;

	if (tq_quic_varint_len(id) == 0 || offset > TQ_QUIC_VARINT_MAX ||
			len > TQ_QUIC_VARINT_MAX - offset)
		return -EINVAL;
	hdr = 1 + tq_quic_varint_len(id) +
		(offset ? tq_quic_varint_len(offset) : 0);
	if (room < hdr)
		return -EMSGSIZE;
	room -= hdr;
	if (to_end) {
		n = len < room ? len : room;
	} else {
		n = fit_with_length(len, room);
		if (n + tq_quic_varint_len(n) > room)
			return -EMSGSIZE;
		t |= TQ_QUIC_STREAM_LEN;
	}
	if (n == 0 && len > 0)
		return -EMSGSIZE;
	if (offset)
		t |= TQ_QUIC_STREAM_OFF;
	if (fin && n == len)
		t |= TQ_QUIC_STREAM_FIN;
	w->pos = tq_quic_varint_put(w->pos, t);
	w->pos = tq_quic_varint_put(w->pos, id);
	if (offset)
		w->pos = tq_quic_varint_put(w->pos, offset);
	if (!to_end)
		w->pos = tq_quic_varint_put(w->pos, n);
	*fit = n;
	return (int)(w->pos - start);
}

int
tq_quic_stream_encode(struct tq_quic_wr *w, uint64_t id, uint64_t offset,
		const uint8_t *data, size_t len, bool fin, bool to_end,
		size_t *fit)
{
	int hl = tq_quic_stream_encode_hdr(w, id, offset, len, fin, to_end,
			fit);

	if (hl < 0)
		return hl;
	if (*fit)
		memcpy(w->pos, data, *fit);
	w->pos += *fit;
	return hl + (int)*fit;
}

int
tq_quic_crypto_encode(struct tq_quic_wr *w, uint64_t offset,
		const uint8_t *data, size_t len, size_t *fit)
{
	size_t room = tq_quic_wr_left(w), hdr, n;
	uint8_t *start = w->pos;

	if (offset > TQ_QUIC_VARINT_MAX || len > TQ_QUIC_VARINT_MAX - offset)
		return -EINVAL;
	hdr = 1 + tq_quic_varint_len(offset);
	if (room < hdr)
		return -EMSGSIZE;
	room -= hdr;
	n = fit_with_length(len, room);
	if (n + tq_quic_varint_len(n) > room || (n == 0 && len > 0))
		return -EMSGSIZE;
	w->pos = tq_quic_varint_put(w->pos, TQ_QUIC_FT_CRYPTO);
	w->pos = tq_quic_varint_put(w->pos, offset);
	w->pos = tq_quic_varint_put(w->pos, n);
	if (n)
		memcpy(w->pos, data, n);
	w->pos += n;
	*fit = n;
	return (int)(w->pos - start);
}
