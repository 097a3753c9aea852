/* SPDX-License-Identifier: BSD-3-Clause */
/* PROXY protocol v2 header writer (proxy-protocol.txt, section 2.2). */
#include <errno.h>
#include <string.h>

#include "ppv2.h"

static const uint8_t ppv2_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
};

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

int
ppv2_encode(uint8_t *buf, size_t cap, const struct tq_addr *src,
		uint16_t sport, const struct tq_addr *dst, uint16_t dport)
{
	size_t alen, len;
	uint8_t *p;

	if (src->family != dst->family)
		return -EINVAL;
	if (src->family == AF_INET)
		alen = 4;
	else if (src->family == AF_INET6)
		alen = 16;
	else
		return -EINVAL;
	len = 16 + 2 * alen + 4;
	if (cap < len)
		return -ENOSPC;
	memcpy(buf, ppv2_sig, sizeof(ppv2_sig));
	buf[12] = 0x21;		/* version 2, PROXY */
	/* Address family (high nibble) and STREAM transport (low). */
	buf[13] = alen == 4 ? 0x11 : 0x21;
	put16(buf + 14, (uint16_t)(len - 16));
	p = buf + 16;
	memcpy(p, alen == 4 ? (const void *)&src->v4 : src->v6, alen);
	memcpy(p + alen, alen == 4 ? (const void *)&dst->v4 : dst->v6, alen);
	put16(p + 2 * alen, sport);
	put16(p + 2 * alen + 2, dport);
	return (int)len;
}
