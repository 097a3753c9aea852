/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QUIC STREAM/CRYPTO reassembly (engine/quic/tq_quic_rxbuf.c) against a
 * reference: a bitmap of the bytes held, the read offset, the final
 * size.  No host, no EAL.  Input:
 *
 *   [ctl][op a_lo a_hi b]...
 *
 * ctl bit 0: a CRYPTO buffer; bits 1-5: descriptors - 1 (1..32); bits
 * 6-7: the buffer bound, 64 << that.  Each op (low 3 bits of its first
 * byte): 0, 1 insert [a, a + b) of a 1 KiB stream (a mod 1024), 2 the
 * same with FIN, 3 read b bytes, 4 take the first piece, 5 consume b,
 * 6 a RESET_STREAM final size a (mod 1100), 7 peek.  Every inserted
 * frame lives in a buffer of its own, freed when its last reference is
 * put, so a leak or a double put shows under ASan.  After each op: the
 * return values match the reference, the segments are sorted, disjoint,
 * at or past the read offset, hold exactly the reference's bytes and
 * point at the right bytes of the stream.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "quic/tq_quic_rxbuf.h"

#include "fuzz_common.h"

int tq_fuzz_quic_rxbuf_one(const uint8_t *d, size_t n);

#define RB_STREAM 1024
#define RB_SPAN 1400 /* offsets the reference tracks */

struct rb_frame {
	int refs;
	uint8_t data[];
};

static int rb_live;

static void
rb_get(void *ref)
{
	struct rb_frame *f = ref;

	FZ_CHECK(f->refs > 0, "get on a freed frame");
	f->refs++;
}

static void
rb_put(void *ref)
{
	struct rb_frame *f = ref;

	FZ_CHECK(f->refs > 0, "put on a freed frame");
	if (--f->refs == 0) {
		free(f);
		rb_live--;
	}
}

static const struct tq_quic_rxbuf_ops rb_ops = {
	.get = rb_get,
	.put = rb_put,
};

static inline uint8_t
rb_byte(uint64_t off)
{
	return (uint8_t)(off * 31 + (off >> 7) + 7);
}

struct rb_ref {
	bool have[RB_SPAN];
	uint64_t read_off;
	uint64_t max_off;
	uint64_t final;
	bool crypto;
	uint64_t max_buffer;
};

static uint64_t
rb_readable(const struct rb_ref *m)
{
	uint64_t e = m->read_off;

	while (e < RB_SPAN && m->have[e])
		e++;
	return e - m->read_off;
}

static void
rb_check(const struct tq_quic_rxbuf *rb, const struct rb_ref *m)
{
	uint64_t held = 0, total = 0, prev_end = m->read_off, i;
	uint32_t k;

	FZ_CHECK(rb->read_off == m->read_off, "read offset");
	FZ_CHECK(rb->n <= rb->cap, "descriptors");
	for (k = 0; k < rb->n; k++) {
		const struct tq_quic_rxseg *s = &rb->seg[k];

		FZ_CHECK(s->len > 0 && s->off >= prev_end, "segment %u", k);
		for (i = 0; i < s->len; i++) {
			FZ_CHECK(s->off + i < RB_SPAN && m->have[s->off + i],
					"segment byte not received");
			FZ_CHECK(s->data[i] == rb_byte(s->off + i),
					"segment byte wrong");
		}
		held += s->len;
		total += s->len;
		prev_end = s->off + s->len;
	}
	for (i = m->read_off; i < RB_SPAN; i++)
		held -= m->have[i];
	FZ_CHECK(held == 0, "bytes held differ");
	FZ_CHECK(rb->buffered == total, "buffered");
	FZ_CHECK(tq_quic_rxbuf_readable(rb) == rb_readable(m), "readable");
	FZ_CHECK(tq_quic_rxbuf_fin(rb) == (!m->crypto &&
			m->final != TQ_QUIC_FINAL_NONE &&
			m->read_off == m->final), "fin");
}

/* The first run of missing bytes in [a, e) and how many runs. */
static uint32_t
rb_holes(const struct rb_ref *m, uint64_t a, uint64_t e, uint64_t *bytes)
{
	uint32_t runs = 0;
	bool in = false;
	uint64_t i;

	*bytes = 0;
	for (i = a; i < e; i++) {
		if (!m->have[i]) {
			(*bytes)++;
			if (!in)
				runs++;
			in = true;
		} else {
			in = false;
		}
	}
	return runs;
}

static void
rb_insert(struct tq_quic_rxbuf *rb, struct rb_ref *m, uint64_t off,
		uint32_t len, bool fin)
{
	struct rb_frame *f = malloc(sizeof(*f) + len + 1);
	uint64_t end = off + len, start, bytes = 0, i;
	enum tq_quic_err err = TQ_QUIC_NO_ERROR;
	int want, rc;
	uint32_t pieces = 0;

	if (f == NULL)
		abort();
	f->refs = 1;
	rb_live++;
	for (i = 0; i < len; i++)
		f->data[i] = rb_byte(off + i);
	/* what the reference says */
	if (!m->crypto && m->final != TQ_QUIC_FINAL_NONE &&
			(end > m->final || (fin && end != m->final)))
		want = -EPROTO;
	else if (!m->crypto && fin && end < m->max_off)
		want = -EPROTO;
	else if (end > m->read_off + m->max_buffer)
		want = m->crypto ? -EPROTO : -ENOBUFS;
	else {
		start = off > m->read_off ? off : m->read_off;
		if (start < end)
			pieces = rb_holes(m, start, end, &bytes);
		want = rb->n + pieces > rb->cap ? -ENOBUFS : (int)bytes;
	}
	rc = tq_quic_rxbuf_insert(rb, off, f->data, len, fin, f, &err);
	FZ_CHECK(rc == want, "insert [%llu, %llu) fin %d: %d, want %d",
			(unsigned long long)off, (unsigned long long)end,
			fin, rc, want);
	if (rc == -EPROTO)
		FZ_CHECK(err == (end > m->read_off + m->max_buffer &&
				m->crypto ? TQ_QUIC_CRYPTO_BUFFER_EXCEEDED :
				TQ_QUIC_FINAL_SIZE_ERROR), "error code");
	if (rc < 0)
		return;
	for (i = off > m->read_off ? off : m->read_off; i < end; i++)
		m->have[i] = true;
	if (end > m->max_off)
		m->max_off = end;
	if (fin && !m->crypto)
		m->final = end;
}

static void
rb_consumed(struct rb_ref *m, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		m->have[m->read_off + i] = false;
	m->read_off += n;
}

int
tq_fuzz_quic_rxbuf_one(const uint8_t *d, size_t n)
{
	struct tq_quic_rxseg seg[32], s;
	struct tq_quic_rxbuf rb;
	struct rb_ref m;
	uint8_t out[256];
	size_t i;

	if (n < 1)
		return 0;
	memset(&m, 0, sizeof(m));
	m.crypto = d[0] & 1;
	m.max_buffer = UINT64_C(64) << (d[0] >> 6);
	m.final = TQ_QUIC_FINAL_NONE;
	rb_live = 0;
	tq_quic_rxbuf_init(&rb, seg, 1 + ((d[0] >> 1) & 31), m.max_buffer,
			m.crypto, &rb_ops);
	for (i = 1; i + 4 <= n; i += 4) {
		uint64_t a = (uint64_t)d[i + 1] | (uint64_t)d[i + 2] << 8;
		uint32_t b = d[i + 3];
		uint64_t r = rb_readable(&m), k, x;
		enum tq_quic_err err;

		switch (d[i] & 7) {
		case 0:
		case 1:
		case 2:
			a %= RB_STREAM;
			rb_insert(&rb, &m, a, b, (d[i] & 7) == 2);
			break;
		case 3:
			k = tq_quic_rxbuf_read(&rb, out, b);
			FZ_CHECK(k == (b < r ? b : r), "read %llu",
					(unsigned long long)k);
			for (x = 0; x < k; x++)
				FZ_CHECK(out[x] == rb_byte(m.read_off + x),
						"read byte");
			rb_consumed(&m, k);
			break;
		case 4:
			if (tq_quic_rxbuf_take(&rb, &s)) {
				FZ_CHECK(r > 0 && s.off == m.read_off &&
						s.len <= r, "take");
				for (x = 0; x < s.len; x++)
					FZ_CHECK(s.data[x] ==
						rb_byte(s.off + x), "take byte");
				rb_consumed(&m, s.len);
				rb_put(s.ref);
			} else {
				FZ_CHECK(r == 0, "nothing taken");
			}
			break;
		case 5:
			k = tq_quic_rxbuf_consume(&rb, b);
			FZ_CHECK(k == (b < r ? b : r), "consume");
			rb_consumed(&m, k);
			break;
		case 6:
			if (m.crypto)
				break;
			a %= 1100;
			k = (m.final != TQ_QUIC_FINAL_NONE && a != m.final) ||
				a < m.max_off;
			FZ_CHECK(tq_quic_rxbuf_set_final(&rb, a, &err) ==
					(k ? -EPROTO : 0), "set_final");
			if (!k) {
				m.final = a;
				m.max_off = a;
			}
			break;
		default:
			FZ_CHECK(tq_quic_rxbuf_peek(&rb, &s) == (r > 0),
					"peek");
			break;
		}
		rb_check(&rb, &m);
	}
	tq_quic_rxbuf_reset(&rb);
	FZ_CHECK(rb_live == 0, "%d frames not freed", rb_live);
	return 0;
}

#ifndef TQ_FUZZ_NO_ENTRY
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	return tq_fuzz_quic_rxbuf_one(d, n);
}
#endif
