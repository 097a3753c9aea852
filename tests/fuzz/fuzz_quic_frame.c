/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QUIC frames (engine/quic/tq_quic_frame.c) alone: no host, no EAL.
 * Input:
 *
 *   [ctl][frames...]
 *
 * ctl bits 0-1: the packet type (Initial, 0-RTT, Handshake, 1-RTT);
 * bits 2-7: a room size for the fitting encoders.  The frames are
 * decoded one after another until the end or an error, which must be
 * FRAME_ENCODING_ERROR or PROTOCOL_VIOLATION.  Each decoded frame must
 * lie inside the input, encode again (never longer than it came) and
 * decode from that to the same frame; an ACK's ranges must go down with
 * a gap between each, and survive tq_quic_ack_encode; STREAM and CRYPTO
 * data must survive the fitting encoders in a small room.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "quic/tq_quic_wire.h"

#include "fuzz_common.h"

int tq_fuzz_quic_frame_one(const uint8_t *d, size_t n);

static const enum tq_quic_pkt_type qf_pkts[4] = { TQ_QUIC_PKT_INITIAL,
	TQ_QUIC_PKT_0RTT, TQ_QUIC_PKT_HANDSHAKE, TQ_QUIC_PKT_1RTT };

static void
qf_hash(uint64_t *h, const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		*h ^= b[i];
		*h *= 0x100000001b3ull;
	}
}

static void
qf_hash_u(uint64_t *h, uint64_t v)
{
	qf_hash(h, &v, sizeof(v));
}

/* Everything a frame says, as one number; ACK ranges walked. */
static uint64_t
qf_digest(const struct tq_quic_frame *f)
{
	uint64_t h = 0xcbf29ce484222325ull;
	struct tq_quic_ack_iter it;
	struct tq_quic_ack_range r;

	qf_hash_u(&h, f->type);
	if (TQ_QUIC_FT_IS_STREAM(f->type)) {
		qf_hash_u(&h, f->stream.id);
		qf_hash_u(&h, f->stream.offset);
		qf_hash_u(&h, f->stream.fin);
		qf_hash_u(&h, f->stream.len);
		qf_hash(&h, f->stream.data, f->stream.len);
		return h;
	}
	switch (f->type) {
	case TQ_QUIC_FT_PADDING:
		qf_hash_u(&h, f->padding.len);
		break;
	case TQ_QUIC_FT_ACK:
	case TQ_QUIC_FT_ACK_ECN:
		qf_hash_u(&h, f->ack.delay);
		qf_hash(&h, &f->ack.counts, sizeof(f->ack.counts));
		tq_quic_ack_iter_init(&it, &f->ack);
		while (tq_quic_ack_iter_next(&it, &r)) {
			qf_hash_u(&h, r.smallest);
			qf_hash_u(&h, r.largest);
		}
		break;
	case TQ_QUIC_FT_RESET_STREAM:
		qf_hash(&h, &f->reset_stream, sizeof(f->reset_stream));
		break;
	case TQ_QUIC_FT_STOP_SENDING:
		qf_hash(&h, &f->stop_sending, sizeof(f->stop_sending));
		break;
	case TQ_QUIC_FT_CRYPTO:
		qf_hash_u(&h, f->crypto.offset);
		qf_hash_u(&h, f->crypto.len);
		qf_hash(&h, f->crypto.data, f->crypto.len);
		break;
	case TQ_QUIC_FT_NEW_TOKEN:
		qf_hash(&h, f->new_token.token, f->new_token.len);
		break;
	case TQ_QUIC_FT_NEW_CONNECTION_ID:
		qf_hash_u(&h, f->new_cid.seq);
		qf_hash_u(&h, f->new_cid.retire_prior_to);
		qf_hash(&h, f->new_cid.cid, f->new_cid.cid_len);
		qf_hash(&h, f->new_cid.reset_token, 16);
		break;
	case TQ_QUIC_FT_PATH_CHALLENGE:
	case TQ_QUIC_FT_PATH_RESPONSE:
		qf_hash(&h, f->path.data, 8);
		break;
	case TQ_QUIC_FT_CONNECTION_CLOSE:
	case TQ_QUIC_FT_CONNECTION_CLOSE_APP:
		qf_hash_u(&h, f->close.error);
		qf_hash_u(&h, f->close.frame_type);
		qf_hash_u(&h, f->close.reason_len);
		qf_hash(&h, f->close.reason, f->close.reason_len);
		break;
	case TQ_QUIC_FT_DATAGRAM:
	case TQ_QUIC_FT_DATAGRAM_LEN:
		qf_hash_u(&h, f->datagram.len);
		qf_hash(&h, f->datagram.data, f->datagram.len);
		break;
	case TQ_QUIC_FT_MAX_STREAM_DATA:
		qf_hash(&h, &f->max_stream_data, sizeof(f->max_stream_data));
		break;
	case TQ_QUIC_FT_STREAM_DATA_BLOCKED:
		qf_hash(&h, &f->stream_data_blocked,
				sizeof(f->stream_data_blocked));
		break;
	case TQ_QUIC_FT_PING:
	case TQ_QUIC_FT_HANDSHAKE_DONE:
		break;
	default: /* one number: MAX_*, *_BLOCKED, RETIRE_CONNECTION_ID */
		qf_hash_u(&h, f->max_data.max);
		break;
	}
	return h;
}

#define QF_IN(p, len, base, n)                                    \
	((len) == 0 || ((p) >= (base) && (p) + (len) <= (base) + (n)))

/* The ACK's ranges go down, apart; tq_quic_ack_encode takes them back. */
static void
qf_ack(const struct tq_quic_frame_ack *a, size_t room)
{
	struct tq_quic_ack_range r[64];
	struct tq_quic_ack_iter it;
	struct tq_quic_ack_range x;
	struct tq_quic_frame g;
	struct tq_quic_rd rd;
	struct tq_quic_wr w;
	uint64_t k = 0, prev = 0;
	uint8_t buf[1024];
	size_t nr = 0, i;
	int rc;

	tq_quic_ack_iter_init(&it, a);
	while (tq_quic_ack_iter_next(&it, &x)) {
		FZ_CHECK(x.smallest <= x.largest, "range upside down");
		FZ_CHECK(k == 0 || x.largest + 2 <= prev, "ranges not apart");
		prev = x.smallest;
		if (nr < 64)
			r[nr++] = x;
		k++;
	}
	FZ_CHECK(k == a->range_count + 1, "walked %llu ranges of %llu",
			(unsigned long long)k,
			(unsigned long long)a->range_count + 1);
	tq_quic_wr_init(&w, buf, room < sizeof(buf) ? room : sizeof(buf));
	rc = tq_quic_ack_encode(&w, r, nr, a->delay, a->ecn ? &a->counts :
			NULL);
	if (rc == -EMSGSIZE)
		return;
	FZ_CHECK(rc >= 1 && (size_t)rc <= nr, "ack_encode %d", rc);
	tq_quic_rd_init(&rd, buf, (size_t)(w.pos - buf));
	FZ_CHECK(tq_quic_frame_decode(&rd, TQ_QUIC_PKT_1RTT, &g) ==
			TQ_QUIC_NO_ERROR && rd.pos == rd.end,
			"re-encoded ACK does not decode");
	tq_quic_ack_iter_init(&it, &g.ack);
	for (i = 0; tq_quic_ack_iter_next(&it, &x); i++)
		FZ_CHECK(i < (size_t)rc && x.smallest == r[i].smallest &&
				x.largest == r[i].largest, "range %zu", i);
	FZ_CHECK(i == (size_t)rc, "%zu ranges back of %d", i, rc);
}

/* The fitting encoders with this frame's data in room bytes. */
static void
qf_fit(const struct tq_quic_frame *f, size_t room)
{
	const uint8_t *data = f->type == TQ_QUIC_FT_CRYPTO ? f->crypto.data :
		f->stream.data;
	size_t len = f->type == TQ_QUIC_FT_CRYPTO ? f->crypto.len :
		f->stream.len, fit = 0;
	uint8_t buf[128];
	struct tq_quic_frame g;
	struct tq_quic_rd rd;
	struct tq_quic_wr w;
	int rc;

	tq_quic_wr_init(&w, buf, room < sizeof(buf) ? room : sizeof(buf));
	if (f->type == TQ_QUIC_FT_CRYPTO)
		rc = tq_quic_crypto_encode(&w, f->crypto.offset, data, len,
				&fit);
	else
		rc = tq_quic_stream_encode(&w, f->stream.id, f->stream.offset,
				data, len, f->stream.fin, room & 1, &fit);
	if (rc == -EMSGSIZE) {
		FZ_CHECK(w.pos == buf, "wrote on failure");
		return;
	}
	FZ_CHECK(rc > 0 && fit <= len && buf + rc == w.pos, "fit %d", rc);
	tq_quic_rd_init(&rd, buf, (size_t)rc);
	FZ_CHECK(tq_quic_frame_decode(&rd, TQ_QUIC_PKT_1RTT, &g) ==
			TQ_QUIC_NO_ERROR && rd.pos == rd.end,
			"fitted frame does not decode");
	if (f->type == TQ_QUIC_FT_CRYPTO)
		FZ_CHECK(g.crypto.len == fit && g.crypto.offset ==
				f->crypto.offset && (!fit ||
				!memcmp(g.crypto.data, data, fit)), "crypto");
	else
		FZ_CHECK(g.stream.len == fit && g.stream.offset ==
				f->stream.offset && g.stream.id == f->stream.id
				&& g.stream.fin == (f->stream.fin && fit == len)
				&& (!fit || !memcmp(g.stream.data, data, fit)),
				"stream");
}

int
tq_fuzz_quic_frame_one(const uint8_t *d, size_t n)
{
	enum tq_quic_pkt_type pkt;
	struct tq_quic_frame f, g;
	struct tq_quic_rd r, r2;
	struct tq_quic_wr w;
	enum tq_quic_err e;
	uint8_t *buf;
	size_t room;
	int len;

	if (n < 1)
		return 0;
	pkt = qf_pkts[d[0] & 3];
	room = (size_t)(d[0] >> 2) * 2;
	buf = malloc(n);
	if (!buf)
		abort();
	tq_quic_rd_init(&r, d + 1, n - 1);
	while (tq_quic_rd_left(&r)) {
		const uint8_t *start = r.pos;

		e = tq_quic_frame_decode(&r, pkt, &f);
		if (e != TQ_QUIC_NO_ERROR) {
			FZ_CHECK(e == TQ_QUIC_FRAME_ENCODING_ERROR ||
					e == TQ_QUIC_PROTOCOL_VIOLATION,
					"error %d", e);
			break;
		}
		FZ_CHECK(r.pos > start && r.pos <= r.end, "frame bounds");
		FZ_CHECK(tq_quic_frame_allowed(f.type, pkt), "not allowed");
		if (TQ_QUIC_FT_IS_STREAM(f.type))
			FZ_CHECK(QF_IN(f.stream.data, f.stream.len, start,
					(size_t)(r.pos - start)), "data out");
		tq_quic_wr_init(&w, buf, n);
		len = tq_quic_frame_encode(&w, &f);
		FZ_CHECK(len > 0 && len <= r.pos - start,
				"re-encoded %s: %d of %zu",
				tq_quic_frame_name(f.type), len,
				(size_t)(r.pos - start));
		tq_quic_rd_init(&r2, buf, (size_t)len);
		/* 1-RTT takes every frame */
		e = tq_quic_frame_decode(&r2, TQ_QUIC_PKT_1RTT, &g);
		FZ_CHECK(e == TQ_QUIC_NO_ERROR && r2.pos == r2.end,
				"re-encoded %s decodes to %d",
				tq_quic_frame_name(f.type), e);
		/* padding re-encoded may join padding that follows */
		FZ_CHECK(qf_digest(&f) == qf_digest(&g), "%s changed",
				tq_quic_frame_name(f.type));
		if (f.type == TQ_QUIC_FT_ACK || f.type == TQ_QUIC_FT_ACK_ECN)
			qf_ack(&f.ack, room);
		if (f.type == TQ_QUIC_FT_CRYPTO || TQ_QUIC_FT_IS_STREAM(f.type))
			qf_fit(&f, room);
	}
	free(buf);
	return 0;
}

#ifndef TQ_FUZZ_NO_ENTRY
/* No host to build: the codecs need no EAL. */
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	return tq_fuzz_quic_frame_one(d, n);
}
#endif
