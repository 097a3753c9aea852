/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Out-of-order reassembly.  Segments are kept sorted and disjoint; new
 * data keeps only its bytes that fill holes (RFC 9000 2.2: the same
 * offset carries the same bytes, so the first copy is as good as any),
 * each such piece pointing into the frame's own buffer.  A frame that
 * straddles held data becomes several pieces sharing one reference,
 * taken once per piece.  The descriptor array is small (the holes of
 * one stream), so a sorted array with memmove beats a tree here.
 */
#include <string.h>

#include "tq_quic_rxbuf.h"

void
tq_quic_rxbuf_init(struct tq_quic_rxbuf *rb, struct tq_quic_rxseg *seg,
		uint32_t cap, uint64_t max_buffer, bool crypto,
		const struct tq_quic_rxbuf_ops *ops)
{
	memset(rb, 0, sizeof(*rb));
	rb->seg = seg;
	rb->cap = cap;
	rb->max_buffer = max_buffer;
	rb->crypto = crypto;
	rb->final_size = TQ_QUIC_FINAL_NONE;
	rb->ops = ops;
}

static inline void
ref_put(const struct tq_quic_rxbuf *rb, void *ref)
{
	if (ref != NULL && rb->ops != NULL && rb->ops->put != NULL)
		rb->ops->put(ref);
}

static inline void
ref_get(const struct tq_quic_rxbuf *rb, void *ref)
{
	if (ref != NULL && rb->ops != NULL && rb->ops->get != NULL)
		rb->ops->get(ref);
}

static inline uint64_t
seg_end(const struct tq_quic_rxseg *s)
{
	return s->off + s->len;
}

/* The first segment ending after off. */
static uint32_t
first_after(const struct tq_quic_rxbuf *rb, uint64_t off)
{
	uint32_t lo = 0, hi = rb->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (seg_end(&rb->seg[mid]) <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Walk the holes of [off, end) from segment i on: calls back (when
 * apply) or counts the pieces.  Returns the pieces, and their bytes in
 * *bytes.
 */
static uint32_t
fill_holes(struct tq_quic_rxbuf *rb, uint64_t off, uint64_t end,
		const uint8_t *data, uint64_t data_off, void *ref, bool apply,
		uint64_t *bytes)
{
	uint32_t i = first_after(rb, off), pieces = 0;
	uint64_t cur = off;

	*bytes = 0;
	while (cur < end) {
		uint64_t hole_end;

		if (i < rb->n && rb->seg[i].off <= cur) {
			cur = seg_end(&rb->seg[i]);
			i++;
			continue;
		}
		hole_end = i < rb->n && rb->seg[i].off < end ?
			rb->seg[i].off : end;
		if (apply) {
			struct tq_quic_rxseg *s = &rb->seg[i];

			memmove(s + 1, s, (rb->n - i) * sizeof(*s));
			s->off = cur;
			s->data = data + (cur - data_off);
			s->len = (uint32_t)(hole_end - cur);
			s->ref = ref;
			if (pieces > 0)
				ref_get(rb, ref);
			rb->n++;
			i++;
		}
		pieces++;
		*bytes += hole_end - cur;
		cur = hole_end;
	}
	return pieces;
}

static int
final_error(enum tq_quic_err *err, enum tq_quic_err code)
{
	if (err != NULL)
		*err = code;
	return -EPROTO;
}

int
tq_quic_rxbuf_insert(struct tq_quic_rxbuf *rb, uint64_t off,
		const uint8_t *data, uint32_t len, bool fin, void *ref,
		enum tq_quic_err *err)
{
	uint64_t end = off + len, start = off, bytes;
	uint32_t pieces;

	/* RFC 9000 4.5: the final size never changes, nothing is received
	 * past it, and it is not below what was received */
	if (!rb->crypto && rb->final_size != TQ_QUIC_FINAL_NONE &&
			(end > rb->final_size ||
			 (fin && end != rb->final_size))) {
		ref_put(rb, ref);
		return final_error(err, TQ_QUIC_FINAL_SIZE_ERROR);
	}
	if (!rb->crypto && fin && end < rb->max_off) {
		ref_put(rb, ref);
		return final_error(err, TQ_QUIC_FINAL_SIZE_ERROR);
	}
	if (end > rb->read_off + rb->max_buffer) {
		ref_put(rb, ref);
		/* 7.5: a peer sending CRYPTO data that far ahead is not
		 * one we can finish a handshake with */
		if (rb->crypto)
			return final_error(err,
					TQ_QUIC_CRYPTO_BUFFER_EXCEEDED);
		return -ENOBUFS;
	}
	if (start < rb->read_off)
		start = rb->read_off;
	pieces = start < end ? fill_holes(rb, start, end, data, off, ref,
			false, &bytes) : 0;
	if (rb->n + pieces > rb->cap) {
		ref_put(rb, ref);
		return -ENOBUFS;
	}
	if (end > rb->max_off)
		rb->max_off = end;
	if (fin && !rb->crypto)
		rb->final_size = end;
	if (pieces == 0) {
		ref_put(rb, ref);
		return 0;
	}
	fill_holes(rb, start, end, data, off, ref, true, &bytes);
	rb->buffered += bytes;
	return (int)bytes;
}

int
tq_quic_rxbuf_set_final(struct tq_quic_rxbuf *rb, uint64_t size,
		enum tq_quic_err *err)
{
	if ((rb->final_size != TQ_QUIC_FINAL_NONE && size != rb->final_size) ||
			size < rb->max_off)
		return final_error(err, TQ_QUIC_FINAL_SIZE_ERROR);
	rb->final_size = size;
	rb->max_off = size;
	return 0;
}

bool
tq_quic_rxbuf_peek(const struct tq_quic_rxbuf *rb, struct tq_quic_rxseg *out)
{
	if (rb->n == 0 || rb->seg[0].off != rb->read_off)
		return false;
	*out = rb->seg[0];
	return true;
}

static void
drop_first(struct tq_quic_rxbuf *rb)
{
	rb->n--;
	memmove(&rb->seg[0], &rb->seg[1], rb->n * sizeof(rb->seg[0]));
}

uint64_t
tq_quic_rxbuf_consume(struct tq_quic_rxbuf *rb, uint64_t n)
{
	uint64_t done = 0;

	while (done < n && rb->n > 0 && rb->seg[0].off == rb->read_off) {
		struct tq_quic_rxseg *s = &rb->seg[0];
		uint64_t take = n - done < s->len ? n - done : s->len;

		s->off += take;
		s->data += take;
		s->len -= (uint32_t)take;
		rb->read_off += take;
		rb->buffered -= take;
		done += take;
		if (s->len == 0) {
			ref_put(rb, s->ref);
			drop_first(rb);
		}
	}
	return done;
}

bool
tq_quic_rxbuf_take(struct tq_quic_rxbuf *rb, struct tq_quic_rxseg *out)
{
	if (!tq_quic_rxbuf_peek(rb, out))
		return false;
	rb->read_off += out->len;
	rb->buffered -= out->len;
	drop_first(rb);
	return true;
}

size_t
tq_quic_rxbuf_read(struct tq_quic_rxbuf *rb, uint8_t *buf, size_t n)
{
	size_t done = 0;

	while (done < n && rb->n > 0 && rb->seg[0].off == rb->read_off) {
		const struct tq_quic_rxseg *s = &rb->seg[0];
		size_t k = n - done < s->len ? n - done : s->len;

		memcpy(buf + done, s->data, k);
		done += k;
		tq_quic_rxbuf_consume(rb, k);
	}
	return done;
}

uint64_t
tq_quic_rxbuf_readable(const struct tq_quic_rxbuf *rb)
{
	uint64_t at = rb->read_off;
	uint32_t i;

	for (i = 0; i < rb->n && rb->seg[i].off == at; i++)
		at += rb->seg[i].len;
	return at - rb->read_off;
}

void
tq_quic_rxbuf_reset(struct tq_quic_rxbuf *rb)
{
	uint32_t i;

	for (i = 0; i < rb->n; i++)
		ref_put(rb, rb->seg[i].ref);
	rb->n = 0;
	rb->buffered = 0;
}
