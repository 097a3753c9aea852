/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_PROXY_PPV2_H
#define TQ_PROXY_PPV2_H

/*
 * The PROXY protocol version 2 header (haproxy's proxy-protocol.txt,
 * section 2.2): tells the backend who the client was.
 */
#include <stddef.h>
#include <stdint.h>

#include <tachyon/tq_addr.h>

/* Signature, version and command, family, length, two IPv6 addresses
 * and two ports. */
#define PPV2_MAX_LEN (16 + 36)

/*
 * Write the header of a TCP connection from src:sport (the client) to
 * dst:dport (the address it reached, ours); both of one family.
 * @return the length written, -EINVAL (families differ or unknown), or
 *   -ENOSPC (cap too small).
 */
int ppv2_encode(uint8_t *buf, size_t cap, const struct tq_addr *src,
		uint16_t sport, const struct tq_addr *dst, uint16_t dport);

#endif
