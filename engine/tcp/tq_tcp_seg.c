/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>

#include "tq_tcp.h"

#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define TCPOPT_WS 3
#define TCPOPT_SACK_PERM 4
#define TCPOPT_SACK 5
#define TCPOPT_TS 8
#define TCPOPT_FASTOPEN 34

static uint32_t
get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
		((uint32_t)p[2] << 8) | p[3];
}

/*
 * The SYN layout Linux sends and we send (tq_tcp_output.c): MSS,
 * SACK_PERM, TS, NOP, WS in 20 bytes.  Read as three compares and the
 * values in place, as the options loop would read them.
 */
static bool
parse_linux_syn(const uint8_t *opt, struct tq_tcp_seg *seg)
{
	if ((get32(opt) & 0xffff0000) != 0x02040000 ||
			get32(opt + 4) != 0x0402080a ||
			(get32(opt + 16) & 0xffffff00) != 0x01030300)
		return false;
	seg->has_mss = true;
	seg->mss = (uint16_t)get32(opt);
	seg->sack_ok = true;
	seg->has_ts = true;
	seg->tsval = get32(opt + 8);
	seg->tsecr = get32(opt + 12);
	seg->has_ws = true;
	seg->ws = RTE_MIN(opt[19], (uint8_t)TQ_TCP_MAX_WINSHIFT);
	return true;
}

int
tq_tcp_parse_options(const uint8_t *opt, unsigned int len,
		struct tq_tcp_seg *seg, bool syn)
{
	unsigned int i = 0;

	if (syn && len == 20 && parse_linux_syn(opt, seg))
		return 0;
	while (i < len) {
		uint8_t kind = opt[i], olen;

		if (kind == TCPOPT_EOL)
			break;
		if (kind == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= len)
			return -EINVAL;
		olen = opt[i + 1];
		if (olen < 2 || i + olen > len)
			return -EINVAL;
		switch (kind) {
		case TCPOPT_MSS:
			/* RFC 9293 3.7.1: only on SYNs. */
			if (olen == 4 && syn) {
				seg->has_mss = true;
				seg->mss = (uint16_t)((opt[i + 2] << 8) |
						opt[i + 3]);
			}
			break;
		case TCPOPT_WS:
			if (olen == 3 && syn) {
				seg->has_ws = true;
				/* RFC 7323 2.3: treat more than 14 as 14 */
				seg->ws = RTE_MIN(opt[i + 2],
						(uint8_t)TQ_TCP_MAX_WINSHIFT);
			}
			break;
		case TCPOPT_SACK_PERM:
			if (olen == 2 && syn)
				seg->sack_ok = true;
			break;
		case TCPOPT_TS:
			if (olen == 10) {
				seg->has_ts = true;
				seg->tsval = get32(&opt[i + 2]);
				seg->tsecr = get32(&opt[i + 6]);
			}
			break;
		case TCPOPT_SACK:
			if (!syn && olen >= 10 && (olen - 2) % 8 == 0) {
				unsigned int k, n = (olen - 2u) / 8u;

				for (k = 0; k < n && seg->nsack < TQ_TCP_MAX_SACK;
						k++) {
					seg->sack[seg->nsack][0] =
						get32(&opt[i + 2 + k * 8]);
					seg->sack[seg->nsack][1] =
						get32(&opt[i + 6 + k * 8]);
					seg->nsack++;
				}
			}
			break;
		case TCPOPT_FASTOPEN:
			/* RFC 7413 2: empty (a request) or a 4..16 byte,
			 * even-length cookie. */
			if (syn && (olen == 2 || (olen >= 6 && olen <= 18 &&
					(olen % 2) == 0))) {
				seg->tfo = true;
				seg->tfo_len = (uint8_t)(olen - 2);
				memcpy(seg->tfo_cookie, &opt[i + 2],
						seg->tfo_len);
			}
			break;
		default:
			break; /* unknown: skipped by its length */
		}
		i += olen;
	}
	return 0;
}
