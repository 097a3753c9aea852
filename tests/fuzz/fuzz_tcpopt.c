/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tq_tcp_parse_options() alone.  The first byte says whether the options
 * are a SYN's (bit 0); the rest are the options, in a buffer of exactly
 * their size so ASan sees any read past them.
 */
#include <errno.h>
#include <stdlib.h>

#include "fuzz_common.h"

int tq_fuzz_tcpopt_one(const uint8_t *d, size_t n);

int
tq_fuzz_tcpopt_one(const uint8_t *d, size_t n)
{
	struct tq_tcp_seg seg;
	uint8_t *opt;
	bool syn;
	int rc;

	if (n < 1)
		return 0;
	syn = d[0] & 1;
	n--;
	/* A header holds at most 40 bytes of options, but the parser
	 * should not care. */
	opt = malloc(n ? n : 1);
	if (!opt)
		return 0;
	memcpy(opt, d + 1, n);
	memset(&seg, 0, sizeof(seg));
	rc = tq_tcp_parse_options(opt, (unsigned int)n, &seg, syn);
	FZ_CHECK(rc == 0 || rc == -EINVAL, "parse returned %d", rc);
	FZ_CHECK(seg.nsack <= TQ_TCP_MAX_SACK, "%u SACK blocks", seg.nsack);
	FZ_CHECK(!seg.has_ws || seg.ws <= TQ_TCP_MAX_WINSHIFT,
			"window shift %u", seg.ws);
	FZ_CHECK(!seg.tfo || seg.tfo_len <= sizeof(seg.tfo_cookie),
			"fast open cookie of %u bytes", seg.tfo_len);
	FZ_CHECK(syn || (!seg.has_mss && !seg.has_ws && !seg.sack_ok &&
			!seg.tfo), "SYN-only options taken from a non-SYN");
	FZ_CHECK(!syn || seg.nsack == 0, "SACK blocks taken from a SYN");
	FZ_CHECK(!seg.has_mss || n >= 4, "MSS from %zu bytes", n);
	FZ_CHECK(!seg.has_ts || n >= 10, "timestamps from %zu bytes", n);
	free(opt);
	return 0;
}

TQ_FUZZ_TARGET("fuzz_tcpopt", tq_fuzz_tcpopt_one)
