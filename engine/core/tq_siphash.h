/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_SIPHASH_H
#define TQ_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

/* SipHash-2-4 of len bytes under a 128-bit key (little-endian words). */
uint64_t tq_siphash(const uint8_t key[16], const void *data, size_t len);

#endif
