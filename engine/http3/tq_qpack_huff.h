/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_QPACK_HUFF_H
#define TQ_QPACK_HUFF_H

/*
 * The HPACK Huffman code (RFC 7541 Appendix B) as tables for a canonical
 * decoder: tq_qpack_huff.c, written by tq_qpack_huff_gen.py.
 */

#include <stddef.h>
#include <stdint.h>

#define TQ_QPACK_HUFF_EOS_RANK	256	/* EOS has the last, longest code */
#define TQ_QPACK_HUFF_MAXLEN	30

/* The codes of one length L, left in the low L bits: first .. lim - 1,
 * their symbols from tq_qpack_huff_sym[rank] on. */
struct tq_qpack_huff_len {
	uint32_t lim;
	uint32_t first;
	uint16_t rank;
};

extern const uint16_t tq_qpack_huff_fast[256];
extern const struct tq_qpack_huff_len
	tq_qpack_huff_len[TQ_QPACK_HUFF_MAXLEN + 1];
extern const uint8_t tq_qpack_huff_sym[256];

/*
 * Decode a Huffman-coded string literal into out[0, cap): *outlen gets
 * its whole decoded length even when that is more than cap (what does
 * not fit is checked, not written; out may be NULL with cap 0).
 * @return 0, or -EPROTO for an EOS symbol, more than 7 bits of padding or
 *   padding that is not all ones.
 */
int tq_qpack_huff_decode(const uint8_t *in, size_t len, char *out,
		size_t cap, size_t *outlen);

#endif
