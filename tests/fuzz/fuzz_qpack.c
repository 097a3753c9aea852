/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QPACK without a dynamic table (engine/http3/tq_qpack.c) alone: no
 * host, no EAL.  Input:
 *
 *   [ctl][split][bytes...]
 *
 * The bytes are decoded as a field section twice: with room for
 * everything, and with small limits from ctl (bits 0-2 the lines, 3-7 the
 * size in 16s, and a 64-byte buffer).  The two must agree (a section
 * malformed for one is for the other; one that fits the small limits
 * decodes the same), and what decodes must encode within the bound and
 * decode again to the same lines.  The bytes are also fed to the encoder
 * and decoder stream parsers whole and in two pieces cut at split (of
 * the bytes' length + 1): the answers must be the same.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "http3/tq_qpack.h"

#include "fuzz_common.h"

#define QFZ_LINES	64

int tq_fuzz_qpack_one(const uint8_t *d, size_t n);

static struct tq_qpack_field qfz_f[QFZ_LINES], qfz_g[QFZ_LINES];
static char qfz_buf[16384], qfz_buf2[16384], qfz_small[64];
static uint8_t qfz_enc[32768];

static int
qfz_same(const struct tq_qpack_field *a, const struct tq_qpack_field *b,
		int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (a[i].nlen != b[i].nlen || a[i].vlen != b[i].vlen ||
				memcmp(a[i].name, b[i].name, a[i].nlen) ||
				memcmp(a[i].value, b[i].value, a[i].vlen))
			return 0;
	return 1;
}

static void
qfz_stream(int (*fn)(struct tq_qpack_sparse *, const uint8_t *, size_t),
		const uint8_t *d, size_t n, size_t split)
{
	struct tq_qpack_sparse a, b;
	int ra, rb;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	ra = fn(&a, d, n);
	rb = fn(&b, d, split);
	if (rb == 0)
		rb = fn(&b, d + split, n - split);
	FZ_CHECK(ra == 0 || ra == -EPROTO, "stream parser %d", ra);
	FZ_CHECK(ra == rb, "stream parser %d whole, %d in pieces", ra, rb);
}

int
tq_fuzz_qpack_one(const uint8_t *d, size_t n)
{
	unsigned int small_lines;
	uint32_t small_size;
	size_t split, bound;
	int r, rs, len, r2;

	if (n < 2)
		return 0;
	small_lines = d[0] & 7;
	small_size = (uint32_t)(d[0] >> 3) * 16;
	split = d[1] % (n - 1);
	d += 2;
	n -= 2;

	qfz_stream(tq_qpack_enc_stream_input, d, n, split);
	qfz_stream(tq_qpack_dec_stream_input, d, n, split);

	r = tq_qpack_decode(d, n, qfz_f, QFZ_LINES, 1u << 20, qfz_buf,
			sizeof(qfz_buf));
	rs = tq_qpack_decode(d, n, qfz_g, small_lines, small_size,
			qfz_small, sizeof(qfz_small));
	FZ_CHECK(r >= 0 || r == -EPROTO || r == -EMSGSIZE, "decode %d", r);
	if (r == -EPROTO)
		FZ_CHECK(rs == -EPROTO, "malformed, yet small gave %d", rs);
	else if (r == -EMSGSIZE)
		FZ_CHECK(rs == -EMSGSIZE, "too large, yet small gave %d", rs);
	else if (rs != -EMSGSIZE)
		FZ_CHECK(rs == r && qfz_same(qfz_f, qfz_g, r),
				"%d lines, small limits gave %d", r, rs);
	if (r < 0)
		return 0;

	bound = tq_qpack_encode_bound(qfz_f, (unsigned int)r);
	FZ_CHECK(bound <= sizeof(qfz_enc), "bound %zu", bound);
	len = tq_qpack_encode(qfz_enc, bound, qfz_f, (unsigned int)r);
	FZ_CHECK(len >= 2 && (size_t)len <= bound, "encode %d of %zu", len,
			bound);
	FZ_CHECK(tq_qpack_encode(qfz_enc, (size_t)len - 1, qfz_f,
			(unsigned int)r) == -ENOSPC, "encode in less room");
	r2 = tq_qpack_decode(qfz_enc, (size_t)len, qfz_g, QFZ_LINES, 1u << 20,
			qfz_buf2, sizeof(qfz_buf2));
	FZ_CHECK(r2 == r && qfz_same(qfz_f, qfz_g, r),
			"%d lines re-encoded decode to %d", r, r2);
	return 0;
}

#ifndef TQ_FUZZ_NO_ENTRY
/* No host to build: the codec needs no EAL. */
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	return tq_fuzz_qpack_one(d, n);
}
#endif
