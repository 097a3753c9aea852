/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_QUIC_RXBUF_H
#define TQ_QUIC_RXBUF_H

/*
 * Reassembly of STREAM and CRYPTO data received out of order, without
 * copying: a segment points at the bytes where they arrived and holds a
 * reference (the RX mbuf for the connection) that keeps them alive.
 * Pure: no allocation past init (the caller gives the descriptor
 * array), no clock, no locks.  See docs/quic.md, Connection internals.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tq_quic_wire.h"

/* RFC 9000 7.5: at least 4096 bytes of CRYPTO data out of order. */
#define TQ_QUIC_CRYPTO_BUFFER_MIN 4096
#define TQ_QUIC_FINAL_NONE UINT64_MAX

struct tq_quic_rxseg {
	uint64_t off;
	const uint8_t *data;
	uint32_t len;
	void *ref;
};

/*
 * References: get takes one more on ref (a frame cut into pieces holds
 * one per piece), put drops one (a piece read, a duplicate, a drop).
 * For mbufs: rte_mbuf_refcnt_update(m, 1) and rte_pktmbuf_free(m).
 */
struct tq_quic_rxbuf_ops {
	void (*get)(void *ref);
	void (*put)(void *ref);
};

struct tq_quic_rxbuf {
	struct tq_quic_rxseg *seg; /* by offset, disjoint, >= read_off */
	uint32_t cap;
	uint32_t n;
	bool crypto;
	uint64_t read_off;	/* the next byte to read */
	uint64_t max_off;	/* the highest end received */
	uint64_t final_size;	/* TQ_QUIC_FINAL_NONE until known */
	uint64_t max_buffer;	/* data must end by read_off + this */
	uint64_t buffered;	/* bytes held */
	const struct tq_quic_rxbuf_ops *ops;
};

/*
 * seg[0, cap): the descriptors (holes plus in-order pieces not yet read
 * are at most cap).  max_buffer: how far past the read offset data is
 * kept.  crypto: a CRYPTO stream (no final size; data past max_buffer
 * is CRYPTO_BUFFER_EXCEEDED rather than dropped).
 */
void tq_quic_rxbuf_init(struct tq_quic_rxbuf *rb, struct tq_quic_rxseg *seg,
		uint32_t cap, uint64_t max_buffer, bool crypto,
		const struct tq_quic_rxbuf_ops *ops);

/*
 * Data [off, off + len) arrived (fin: the STREAM frame's FIN bit).  The
 * reference is the buffer's in every case.  Returns the bytes not held
 * before (0 for a duplicate), -ENOBUFS (dropped: no descriptor free, or
 * past read_off + max_buffer on a stream; the peer will resend), or
 * -EPROTO with *err FINAL_SIZE_ERROR or CRYPTO_BUFFER_EXCEEDED.
 */
int tq_quic_rxbuf_insert(struct tq_quic_rxbuf *rb, uint64_t off,
		const uint8_t *data, uint32_t len, bool fin, void *ref,
		enum tq_quic_err *err);

/* RESET_STREAM's final size: 0 or -EPROTO (FINAL_SIZE_ERROR). */
int tq_quic_rxbuf_set_final(struct tq_quic_rxbuf *rb, uint64_t size,
		enum tq_quic_err *err);

/* The first contiguous piece at the read offset; false if none. */
bool tq_quic_rxbuf_peek(const struct tq_quic_rxbuf *rb,
		struct tq_quic_rxseg *out);

/* Consume up to n readable bytes; returns how many. */
uint64_t tq_quic_rxbuf_consume(struct tq_quic_rxbuf *rb, uint64_t n);

/* Take the first piece, reference and all (zero copy up); false if
 * nothing is readable. */
bool tq_quic_rxbuf_take(struct tq_quic_rxbuf *rb, struct tq_quic_rxseg *out);

/* Copy up to n readable bytes into buf and consume them. */
size_t tq_quic_rxbuf_read(struct tq_quic_rxbuf *rb, uint8_t *buf, size_t n);

/* Contiguous bytes readable from the read offset. */
uint64_t tq_quic_rxbuf_readable(const struct tq_quic_rxbuf *rb);

/* Everything up to the final size has been read. */
static inline bool
tq_quic_rxbuf_fin(const struct tq_quic_rxbuf *rb)
{
	return rb->final_size != TQ_QUIC_FINAL_NONE &&
		rb->read_off == rb->final_size;
}

/* Drop everything held (stream reset or closed). */
void tq_quic_rxbuf_reset(struct tq_quic_rxbuf *rb);

#endif
