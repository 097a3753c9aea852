/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_QPACK_H
#define TQ_QPACK_H

/*
 * QPACK (RFC 9204) without a dynamic table: what an HTTP/3 endpoint
 * needs when it announces SETTINGS_QPACK_MAX_TABLE_CAPACITY = 0 and never
 * inserts into the peer's table.  Field sections are coded with the
 * static table (Appendix A) and literals; string literals are decoded
 * with or without Huffman coding (RFC 7541 Appendix B) and encoded
 * without it.  The peer's encoder and decoder streams are checked by
 * small incremental parsers: with a capacity of zero no instruction but
 * "Set Dynamic Table Capacity 0" (encoder stream) and "Stream
 * Cancellation" (decoder stream) is valid.
 *
 * No allocation, no state beyond what the caller passes: safe on any
 * worker.  See docs/http3.md.
 */

#include <stddef.h>
#include <stdint.h>

/* QPACK error codes (RFC 9204 6). */
#define TQ_QPACK_DECOMPRESSION_FAILED	0x200
#define TQ_QPACK_ENCODER_STREAM_ERROR	0x201
#define TQ_QPACK_DECODER_STREAM_ERROR	0x202

/* Number of entries in the static table (RFC 9204 Appendix A). */
#define TQ_QPACK_STATIC_N 99

/* One field line.  name and value need not be NUL-terminated. */
struct tq_qpack_field {
	const char *name;
	const char *value;
	uint32_t nlen;
	uint32_t vlen;
};

/*
 * Decode one encoded field section (the payload of a HEADERS frame).
 * Names and values of static-table references point into the static
 * table; literals (Huffman-decoded or not) are copied into buf[0, cap),
 * so nothing points into in[] afterwards.
 *
 * Limits: at most max_fields lines go to out[]; the section's size as
 * RFC 9114 4.2.2 counts it (name + value + 32 for each line) may not pass
 * max_size.  Either limit passed: -EMSGSIZE, after checking the rest of
 * the section is well formed (so the caller can answer 431 rather than
 * fail the connection).  buf too small for the literals: also -EMSGSIZE
 * (size buf at least max_size).
 *
 * @return the number of lines in out[], or
 *   -EPROTO   malformed (QPACK_DECOMPRESSION_FAILED): truncated, an
 *             integer over 2^62, a static index >= 99, a non-zero Required
 *             Insert Count or any dynamic-table or post-base reference
 *             (we allow no dynamic table), bad Huffman (an EOS symbol,
 *             padding longer than 7 bits or not all ones);
 *   -EMSGSIZE as above.
 */
int tq_qpack_decode(const uint8_t *in, size_t len,
		struct tq_qpack_field *out, unsigned int max_fields,
		uint32_t max_size, char *buf, size_t cap);

/*
 * Encode a field section: the prefix (Required Insert Count 0, Base 0),
 * then each line as, in order of preference, an indexed static line (name
 * and value both match an entry), a literal with a static name reference
 * (the name matches; the N bit clear), or a literal with a literal name;
 * string literals without Huffman coding.  Names are taken as given (the
 * caller has lower-cased them).
 * @return bytes written to out, or -ENOSPC when cap is too small.
 */
int tq_qpack_encode(uint8_t *out, size_t cap,
		const struct tq_qpack_field *f, unsigned int n);

/* An upper bound on tq_qpack_encode()'s output for these lines. */
size_t tq_qpack_encode_bound(const struct tq_qpack_field *f, unsigned int n);

/*
 * The peer's encoder stream (RFC 9204 4.3) and decoder stream (4.4),
 * parsed as bytes arrive, in pieces of any size.  Zero-initialise the
 * state.
 *
 * Encoder stream: "Set Dynamic Table Capacity" with capacity 0 is
 * accepted (any number of times); a capacity above 0, any insert or a
 * duplicate fails (TQ_QPACK_ENCODER_STREAM_ERROR: we announced 0).
 * Decoder stream: "Stream Cancellation" is accepted; a "Section
 * Acknowledgment" (we never send a section with a non-zero Required
 * Insert Count) or an "Insert Count Increment" (nothing was inserted)
 * fails (TQ_QPACK_DECODER_STREAM_ERROR), as does an integer over 2^62.
 *
 * @return 0, or -EPROTO (the stream's error code is the one above).
 */
struct tq_qpack_sparse {
	uint8_t state;		/* 0: at an instruction's first byte */
	uint8_t what;		/* the instruction being read */
	uint8_t shift;		/* of the integer being read */
	uint64_t val;		/* the integer being read */
	uint64_t skip;		/* string bytes left to skip */
};

int tq_qpack_enc_stream_input(struct tq_qpack_sparse *ps,
		const uint8_t *p, size_t len);
int tq_qpack_dec_stream_input(struct tq_qpack_sparse *ps,
		const uint8_t *p, size_t len);

#endif
