/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_SIPHASH_H
#define TQ_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

/* SipHash-2-4 of len bytes under a 128-bit key (little-endian words). */
uint64_t tq_siphash(const uint8_t key[16], const void *data, size_t len);

/*
 * The same over input already in words: n full blocks m[] (each the
 * little-endian load of its 8 bytes) and the last block as SipHash pads
 * it (the tail's bytes little-endian, the input's length in bytes in the
 * top byte).  For a caller whose input is a few fields it can place in
 * words directly, without a byte buffer and the tail's byte loop.
 */
uint64_t tq_siphash_words(const uint8_t key[16], const uint64_t *m,
		size_t n, uint64_t last);

#endif
