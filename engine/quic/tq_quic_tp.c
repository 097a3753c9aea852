/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QUIC transport parameters (RFC 9000 18; max_datagram_frame_size from
 * RFC 9221 3): the body of the TLS quic_transport_parameters extension.
 *
 * The encoder refuses what a decoder would refuse, so a bad value in our
 * own configuration shows up here rather than as the peer closing the
 * connection.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "tq_quic_wire.h"

#define TPE TQ_QUIC_TRANSPORT_PARAMETER_ERROR

void
tq_quic_tp_default(struct tq_quic_tp *tp)
{
	memset(tp, 0, sizeof(*tp));
	tp->max_udp_payload_size = TQ_QUIC_TP_DEFAULT_MAX_UDP_PAYLOAD;
	tp->ack_delay_exponent = TQ_QUIC_TP_DEFAULT_ACK_DELAY_EXPONENT;
	tp->max_ack_delay = TQ_QUIC_TP_DEFAULT_MAX_ACK_DELAY;
	tp->active_connection_id_limit = TQ_QUIC_TP_DEFAULT_ACTIVE_CID_LIMIT;
}

/* RFC 9000 18.2: the parameters only a server may send. */
static bool
server_only(uint64_t id)
{
	return id == TQ_QUIC_TP_ORIGINAL_DCID ||
		id == TQ_QUIC_TP_STATELESS_RESET_TOKEN ||
		id == TQ_QUIC_TP_PREFERRED_ADDRESS ||
		id == TQ_QUIC_TP_RETRY_SCID;
}

/* The limits of 18.2 on numeric values, shared by both directions. */
static bool
numbers_valid(const struct tq_quic_tp *tp)
{
	return tp->max_udp_payload_size >= TQ_QUIC_TP_MIN_MAX_UDP_PAYLOAD &&
		tp->ack_delay_exponent <= TQ_QUIC_TP_MAX_ACK_DELAY_EXPONENT &&
		tp->max_ack_delay < TQ_QUIC_TP_MAX_MAX_ACK_DELAY &&
		tp->active_connection_id_limit >= 2 &&
		tp->initial_max_streams_bidi <= TQ_QUIC_MAX_STREAMS &&
		tp->initial_max_streams_uni <= TQ_QUIC_MAX_STREAMS;
}

/* ---- encoding ---- */

static int
wr_param(struct tq_quic_wr *w, uint64_t id, const void *p, size_t len)
{
	int rc;

	if ((rc = tq_quic_wr_varint(w, id)) < 0 ||
			(rc = tq_quic_wr_varint(w, len)) < 0)
		return rc;
	return tq_quic_wr_bytes(w, p, len);
}

/* A number, unless it is the default (absent means the default). */
static int
wr_num(struct tq_quic_wr *w, uint64_t id, uint64_t v, uint64_t dflt)
{
	uint8_t buf[8];

	if (v == dflt)
		return 0;
	if (tq_quic_varint_len(v) == 0)
		return -EINVAL;
	return wr_param(w, id, buf, (size_t)(tq_quic_varint_put(buf, v) -
			buf));
}

static int
wr_cid(struct tq_quic_wr *w, uint64_t id, bool has,
		const struct tq_quic_cid *c)
{
	if (!has)
		return 0;
	if (c->len > TQ_QUIC_CID_MAX)
		return -EINVAL;
	return wr_param(w, id, c->id, c->len);
}

static int
wr_preferred(struct tq_quic_wr *w, const struct tq_quic_preferred_addr *a)
{
	uint8_t buf[4 + 2 + 16 + 2 + 1 + TQ_QUIC_CID_MAX + 16], *p = buf;

	/* RFC 9000 18.2: never a zero-length ID here */
	if (a->cid.len < 1 || a->cid.len > TQ_QUIC_CID_MAX)
		return -EINVAL;
	memcpy(p, a->ipv4, 4);
	p += 4;
	*p++ = (uint8_t)(a->ipv4_port >> 8);
	*p++ = (uint8_t)a->ipv4_port;
	memcpy(p, a->ipv6, 16);
	p += 16;
	*p++ = (uint8_t)(a->ipv6_port >> 8);
	*p++ = (uint8_t)a->ipv6_port;
	*p++ = a->cid.len;
	memcpy(p, a->cid.id, a->cid.len);
	p += a->cid.len;
	memcpy(p, a->reset_token, TQ_QUIC_RESET_TOKEN_LEN);
	p += TQ_QUIC_RESET_TOKEN_LEN;
	return wr_param(w, TQ_QUIC_TP_PREFERRED_ADDRESS, buf,
			(size_t)(p - buf));
}

#define TRY(x)                          \
	do {                            \
		int rc_ = (x);          \
		if (rc_ < 0)            \
			return rc_;     \
	} while (0)

static int
encode(struct tq_quic_wr *w, const struct tq_quic_tp *tp)
{
	TRY(wr_cid(w, TQ_QUIC_TP_ORIGINAL_DCID, tp->has_original_dcid,
			&tp->original_dcid));
	TRY(wr_num(w, TQ_QUIC_TP_MAX_IDLE_TIMEOUT, tp->max_idle_timeout, 0));
	if (tp->has_stateless_reset_token)
		TRY(wr_param(w, TQ_QUIC_TP_STATELESS_RESET_TOKEN,
				tp->stateless_reset_token,
				TQ_QUIC_RESET_TOKEN_LEN));
	TRY(wr_num(w, TQ_QUIC_TP_MAX_UDP_PAYLOAD_SIZE,
			tp->max_udp_payload_size,
			TQ_QUIC_TP_DEFAULT_MAX_UDP_PAYLOAD));
	TRY(wr_num(w, TQ_QUIC_TP_INITIAL_MAX_DATA, tp->initial_max_data, 0));
	TRY(wr_num(w, TQ_QUIC_TP_INITIAL_MAX_STREAM_DATA_BIDI_LOCAL,
			tp->initial_max_stream_data_bidi_local, 0));
	TRY(wr_num(w, TQ_QUIC_TP_INITIAL_MAX_STREAM_DATA_BIDI_REMOTE,
			tp->initial_max_stream_data_bidi_remote, 0));
	TRY(wr_num(w, TQ_QUIC_TP_INITIAL_MAX_STREAM_DATA_UNI,
			tp->initial_max_stream_data_uni, 0));
	TRY(wr_num(w, TQ_QUIC_TP_INITIAL_MAX_STREAMS_BIDI,
			tp->initial_max_streams_bidi, 0));
	TRY(wr_num(w, TQ_QUIC_TP_INITIAL_MAX_STREAMS_UNI,
			tp->initial_max_streams_uni, 0));
	TRY(wr_num(w, TQ_QUIC_TP_ACK_DELAY_EXPONENT, tp->ack_delay_exponent,
			TQ_QUIC_TP_DEFAULT_ACK_DELAY_EXPONENT));
	TRY(wr_num(w, TQ_QUIC_TP_MAX_ACK_DELAY, tp->max_ack_delay,
			TQ_QUIC_TP_DEFAULT_MAX_ACK_DELAY));
	if (tp->disable_active_migration)
		TRY(wr_param(w, TQ_QUIC_TP_DISABLE_ACTIVE_MIGRATION, NULL, 0));
	if (tp->has_preferred_address)
		TRY(wr_preferred(w, &tp->preferred_address));
	TRY(wr_num(w, TQ_QUIC_TP_ACTIVE_CONNECTION_ID_LIMIT,
			tp->active_connection_id_limit,
			TQ_QUIC_TP_DEFAULT_ACTIVE_CID_LIMIT));
	TRY(wr_cid(w, TQ_QUIC_TP_INITIAL_SCID, tp->has_initial_scid,
			&tp->initial_scid));
	TRY(wr_cid(w, TQ_QUIC_TP_RETRY_SCID, tp->has_retry_scid,
			&tp->retry_scid));
	TRY(wr_num(w, TQ_QUIC_TP_MAX_DATAGRAM_FRAME_SIZE,
			tp->max_datagram_frame_size, 0));
	return 0;
}

int
tq_quic_tp_encode(const struct tq_quic_tp *tp, bool is_server, uint8_t *buf,
		size_t cap)
{
	struct tq_quic_wr w;
	int rc;

	if (!numbers_valid(tp))
		return -EINVAL;
	if (!is_server && (tp->has_original_dcid ||
			tp->has_stateless_reset_token ||
			tp->has_preferred_address || tp->has_retry_scid))
		return -EINVAL;
	tq_quic_wr_init(&w, buf, cap);
	rc = encode(&w, tp);
	if (rc < 0)
		return rc;
	return (int)(w.pos - buf);
}

/* ---- decoding ---- */

/* A parameter whose value is one varint filling it exactly. */
static enum tq_quic_err
rd_num(struct tq_quic_rd *v, uint64_t *out)
{
	if (tq_quic_rd_varint(v, out) < 0 || tq_quic_rd_left(v) != 0)
		return TPE;
	return TQ_QUIC_NO_ERROR;
}

static enum tq_quic_err
rd_cid(struct tq_quic_rd *v, struct tq_quic_cid *c, bool *has)
{
	size_t n = tq_quic_rd_left(v);

	if (n > TQ_QUIC_CID_MAX)
		return TPE;
	c->len = (uint8_t)n;
	if (n)
		memcpy(c->id, v->pos, n);
	*has = true;
	return TQ_QUIC_NO_ERROR;
}

static uint16_t
get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static enum tq_quic_err
rd_preferred(struct tq_quic_rd *v, struct tq_quic_preferred_addr *a)
{
	const uint8_t *p;
	uint8_t len;

	if (tq_quic_rd_bytes(v, 4 + 2 + 16 + 2, &p) < 0)
		return TPE;
	memcpy(a->ipv4, p, 4);
	a->ipv4_port = get_u16(p + 4);
	memcpy(a->ipv6, p + 6, 16);
	a->ipv6_port = get_u16(p + 22);
	/* RFC 9000 18.2: a zero-length ID here is an error */
	if (tq_quic_rd_u8(v, &len) < 0 || len < 1 || len > TQ_QUIC_CID_MAX ||
			tq_quic_rd_bytes(v, len, &p) < 0)
		return TPE;
	a->cid.len = len;
	memcpy(a->cid.id, p, len);
	if (tq_quic_rd_bytes(v, TQ_QUIC_RESET_TOKEN_LEN, &p) < 0 ||
			tq_quic_rd_left(v) != 0)
		return TPE;
	memcpy(a->reset_token, p, TQ_QUIC_RESET_TOKEN_LEN);
	return TQ_QUIC_NO_ERROR;
}

static enum tq_quic_err
rd_param(uint64_t id, struct tq_quic_rd *v, struct tq_quic_tp *tp)
{
	switch (id) {
	case TQ_QUIC_TP_ORIGINAL_DCID:
		return rd_cid(v, &tp->original_dcid, &tp->has_original_dcid);
	case TQ_QUIC_TP_MAX_IDLE_TIMEOUT:
		return rd_num(v, &tp->max_idle_timeout);
	case TQ_QUIC_TP_STATELESS_RESET_TOKEN:
		if (tq_quic_rd_left(v) != TQ_QUIC_RESET_TOKEN_LEN)
			return TPE;
		memcpy(tp->stateless_reset_token, v->pos,
				TQ_QUIC_RESET_TOKEN_LEN);
		tp->has_stateless_reset_token = true;
		return TQ_QUIC_NO_ERROR;
	case TQ_QUIC_TP_MAX_UDP_PAYLOAD_SIZE:
		return rd_num(v, &tp->max_udp_payload_size);
	case TQ_QUIC_TP_INITIAL_MAX_DATA:
		return rd_num(v, &tp->initial_max_data);
	case TQ_QUIC_TP_INITIAL_MAX_STREAM_DATA_BIDI_LOCAL:
		return rd_num(v, &tp->initial_max_stream_data_bidi_local);
	case TQ_QUIC_TP_INITIAL_MAX_STREAM_DATA_BIDI_REMOTE:
		return rd_num(v, &tp->initial_max_stream_data_bidi_remote);
	case TQ_QUIC_TP_INITIAL_MAX_STREAM_DATA_UNI:
		return rd_num(v, &tp->initial_max_stream_data_uni);
	case TQ_QUIC_TP_INITIAL_MAX_STREAMS_BIDI:
		return rd_num(v, &tp->initial_max_streams_bidi);
	case TQ_QUIC_TP_INITIAL_MAX_STREAMS_UNI:
		return rd_num(v, &tp->initial_max_streams_uni);
	case TQ_QUIC_TP_ACK_DELAY_EXPONENT:
		return rd_num(v, &tp->ack_delay_exponent);
	case TQ_QUIC_TP_MAX_ACK_DELAY:
		return rd_num(v, &tp->max_ack_delay);
	case TQ_QUIC_TP_DISABLE_ACTIVE_MIGRATION:
		if (tq_quic_rd_left(v) != 0)
			return TPE;
		tp->disable_active_migration = true;
		return TQ_QUIC_NO_ERROR;
	case TQ_QUIC_TP_PREFERRED_ADDRESS:
		tp->has_preferred_address = true;
		return rd_preferred(v, &tp->preferred_address);
	case TQ_QUIC_TP_ACTIVE_CONNECTION_ID_LIMIT:
		return rd_num(v, &tp->active_connection_id_limit);
	case TQ_QUIC_TP_INITIAL_SCID:
		return rd_cid(v, &tp->initial_scid, &tp->has_initial_scid);
	case TQ_QUIC_TP_RETRY_SCID:
		return rd_cid(v, &tp->retry_scid, &tp->has_retry_scid);
	case TQ_QUIC_TP_MAX_DATAGRAM_FRAME_SIZE:
		return rd_num(v, &tp->max_datagram_frame_size);
	}
	/* RFC 9000 7.4.2: unknown ones, reserved 31 * N + 27 among them,
	 * are ignored */
	return TQ_QUIC_NO_ERROR;
}

enum tq_quic_err
tq_quic_tp_decode(const uint8_t *p, size_t n, bool is_server_params,
		struct tq_quic_tp *tp)
{
	struct tq_quic_rd r, v;
	uint64_t seen = 0, id, len;
	enum tq_quic_err e;

	tq_quic_tp_default(tp);
	tq_quic_rd_init(&r, p, n);
	while (tq_quic_rd_left(&r)) {
		if (tq_quic_rd_varint(&r, &id) < 0 ||
				tq_quic_rd_varint(&r, &len) < 0 ||
				len > tq_quic_rd_left(&r))
			return TPE;
		tq_quic_rd_init(&v, r.pos, (size_t)len);
		r.pos += len;
		/* RFC 9000 7.4: a duplicate may be refused.  Only the ids
		 * we know (all below 64) are tracked: a greasing peer may
		 * repeat a reserved one, and it means nothing to us */
		if (id <= TQ_QUIC_TP_RETRY_SCID ||
				id == TQ_QUIC_TP_MAX_DATAGRAM_FRAME_SIZE) {
			if (seen & (UINT64_C(1) << id))
				return TPE;
			seen |= UINT64_C(1) << id;
		}
		/* RFC 9000 18.2: a server refuses these from a client */
		if (!is_server_params && server_only(id))
			return TPE;
		e = rd_param(id, &v, tp);
		if (e)
			return e;
	}
	if (!numbers_valid(tp))
		return TPE;
	/* RFC 9000 7.3: the IDs that authenticate the handshake */
	if (!tp->has_initial_scid ||
			(is_server_params && !tp->has_original_dcid))
		return TPE;
	return TQ_QUIC_NO_ERROR;
}
