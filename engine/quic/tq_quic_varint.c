/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Variable-length integers (RFC 9000 16) and packet numbers (17.1,
 * Appendix A.2, A.3).
 *
 * Decoding accepts any encoding of a value, not only the shortest: RFC
 * 9000 16 allows it everywhere except frame types (12.4), which the
 * frame decoder checks itself.
 */
#include <errno.h>
#include <stdint.h>

#include "tq_quic_wire.h"

int
tq_quic_wr_varint_n(struct tq_quic_wr *w, uint64_t v, size_t len)
{
	if ((len != 1 && len != 2 && len != 4 && len != 8) ||
			tq_quic_varint_len(v) == 0 ||
			tq_quic_varint_len(v) > len)
		return -EINVAL;
	if (tq_quic_wr_left(w) < len)
		return -EMSGSIZE;
	w->pos = tq_quic_varint_put_n(w->pos, v, len);
	return 0;
}

int
tq_quic_wr_varint(struct tq_quic_wr *w, uint64_t v)
{
	size_t len = tq_quic_varint_len(v);

	if (len == 0)
		return -EINVAL;
	return tq_quic_wr_varint_n(w, v, len);
}

/*
 * RFC 9000 A.2: enough bits for twice the distance to the largest
 * acknowledged packet, so the peer's window (A.3) centred on what it
 * expects still covers pn.  Equivalently, the smallest k with
 * num_unacked <= 2^(8k - 1).
 */
int
tq_quic_pn_len(uint64_t pn, uint64_t largest_acked)
{
	uint64_t unacked;
	int k;

	if (pn > TQ_QUIC_PN_MAX)
		return -EINVAL;
	if (largest_acked == TQ_QUIC_PN_NONE)
		unacked = pn + 1;
	else if (largest_acked >= pn)
		return -EINVAL;
	else
		unacked = pn - largest_acked;
	for (k = 1; k <= 4; k++)
		if (unacked <= UINT64_C(1) << (8 * k - 1))
			return k;
	return -ERANGE;
}

int
tq_quic_wr_pn(struct tq_quic_wr *w, uint64_t pn, size_t len)
{
	size_t i;

	if (len < 1 || len > 4 || pn > TQ_QUIC_PN_MAX)
		return -EINVAL;
	if (tq_quic_wr_left(w) < len)
		return -EMSGSIZE;
	for (i = len; i-- > 0;) {
		w->pos[i] = (uint8_t)pn;
		pn >>= 8;
	}
	w->pos += len;
	return 0;
}

/* RFC 9000 A.3, in unsigned arithmetic that cannot wrap: packet numbers
 * stay below 2^62, so expected + hwin and candidate + win do not. */
uint64_t
tq_quic_pn_decode(uint64_t largest_pn, uint64_t truncated, size_t len)
{
	uint64_t expected = largest_pn + 1; /* NONE + 1 == 0 */
	uint64_t win = UINT64_C(1) << (8 * len);
	uint64_t hwin = win / 2;
	uint64_t candidate = (expected & ~(win - 1)) | (truncated & (win - 1));

	if (expected >= hwin && candidate <= expected - hwin &&
			candidate < (UINT64_C(1) << 62) - win)
		return candidate + win;
	if (candidate > expected + hwin && candidate >= win)
		return candidate - win;
	return candidate;
}
