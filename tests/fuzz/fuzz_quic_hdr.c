/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QUIC packet headers and coalesced datagrams (engine/quic/tq_quic_hdr.c)
 * alone: no host, no EAL.  Input:
 *
 *   [ctl][datagram...]
 *
 * ctl bits 0-4: the DCID length of short headers (21-31 must be
 * refused); bits 5-7 with the packet number: the largest received,
 * for the packet number decode.  Every packet the walk returns must lie
 * inside the datagram, and the builders must write a header that parses
 * back to the same fields: long headers, short headers, Retry, and the
 * version negotiation answer to an unsupported version.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "quic/tq_quic_wire.h"

#include "fuzz_common.h"

int tq_fuzz_quic_hdr_one(const uint8_t *d, size_t n);

#define QH_IN(p, len, base, n)                                    \
	((len) == 0 || ((p) >= (base) && (p) + (len) <= (base) + (n)))

static void
qh_same(const struct tq_quic_hdr *a, const struct tq_quic_hdr *b)
{
	FZ_CHECK(a->type == b->type, "type %d, rebuilt %d", a->type, b->type);
	FZ_CHECK(a->dcid_len == b->dcid_len &&
			!memcmp(a->dcid, b->dcid, a->dcid_len), "dcid");
	FZ_CHECK(a->scid_len == b->scid_len &&
			(!a->scid_len || !memcmp(a->scid, b->scid,
			a->scid_len)), "scid");
	FZ_CHECK(a->token_len == b->token_len &&
			(!a->token_len || !memcmp(a->token, b->token,
			a->token_len)), "token");
	FZ_CHECK(a->version == b->version, "version");
}

/* Rebuild the packet h found and parse it again. */
static void
qh_rebuild(const struct tq_quic_hdr *h, const uint8_t *pkt,
		size_t short_dcid_len)
{
	uint8_t *buf = malloc(h->len + 600);
	struct tq_quic_hdr_pos pos;
	struct tq_quic_hdr g;
	struct tq_quic_wr w;
	size_t pn_len = tq_quic_hdr_pn_len(h->first), body, end;
	int rc;

	if (!buf)
		abort();
	tq_quic_wr_init(&w, buf, h->len + 600);
	switch (h->type) {
	case TQ_QUIC_PKT_INITIAL:
	case TQ_QUIC_PKT_0RTT:
	case TQ_QUIC_PKT_HANDSHAKE:
		rc = tq_quic_hdr_write_long(&w, buf, h->type, h->version,
				h->dcid, h->dcid_len, h->scid, h->scid_len,
				h->token, h->token_len, 0, pn_len, &pos);
		FZ_CHECK(rc == 0, "write_long %d", rc);
		/* what followed the Length field, as it was */
		body = h->len - h->pn_off;
		if (body < pn_len || tq_quic_wr_left(&w) < body - pn_len)
			break;
		memcpy(w.pos, pkt + h->pn_off + pn_len, body - pn_len);
		end = (size_t)(w.pos - buf) + body - pn_len;
		if (tq_quic_hdr_set_length(buf, &pos, end) < 0) {
			FZ_CHECK(body > 16383, "Length %zu refused", body);
			break;
		}
		rc = tq_quic_hdr_parse(buf, end, short_dcid_len, &g);
		FZ_CHECK(rc == 0, "rebuilt long header: %d", rc);
		qh_same(h, &g);
		FZ_CHECK(g.pn_off == pos.pn_off && g.len == end, "bounds");
		break;
	case TQ_QUIC_PKT_1RTT:
		rc = tq_quic_hdr_write_short(&w, buf, h->dcid, h->dcid_len,
				h->first & TQ_QUIC_HDR_SHORT_SPIN,
				h->first & TQ_QUIC_HDR_KEY_PHASE, 0, pn_len,
				&pos);
		FZ_CHECK(rc == 0, "write_short %d", rc);
		rc = tq_quic_hdr_parse(buf, (size_t)(w.pos - buf),
				short_dcid_len, &g);
		FZ_CHECK(rc == 0, "rebuilt short header: %d", rc);
		qh_same(h, &g);
		FZ_CHECK(g.pn_off == pos.pn_off, "pn offset");
		break;
	case TQ_QUIC_PKT_RETRY:
		if (!h->token_len)
			break;
		rc = tq_quic_hdr_write_retry(&w, h->version, h->dcid,
				h->dcid_len, h->scid, h->scid_len, h->token,
				h->token_len, h->first);
		FZ_CHECK(rc == 0, "write_retry %d", rc);
		rc = tq_quic_wr_bytes(&w, h->retry_tag, TQ_QUIC_RETRY_TAG_LEN);
		FZ_CHECK(rc == 0, "tag");
		rc = tq_quic_hdr_parse(buf, (size_t)(w.pos - buf),
				short_dcid_len, &g);
		FZ_CHECK(rc == 0, "rebuilt Retry: %d", rc);
		qh_same(h, &g);
		break;
	case TQ_QUIC_PKT_VN: {
		uint32_t v[64];
		size_t i, nv = h->token_len / 4;

		if (nv == 0 || nv > 64)
			break;
		for (i = 0; i < nv; i++)
			v[i] = (uint32_t)h->token[4 * i] << 24 |
				(uint32_t)h->token[4 * i + 1] << 16 |
				(uint32_t)h->token[4 * i + 2] << 8 |
				h->token[4 * i + 3];
		rc = tq_quic_vn_write(&w, h->dcid, h->dcid_len, h->scid,
				h->scid_len, v, nv, h->first);
		FZ_CHECK(rc == 0, "vn_write %d", rc);
		rc = tq_quic_hdr_parse(buf, (size_t)(w.pos - buf),
				short_dcid_len, &g);
		FZ_CHECK(rc == 0, "rebuilt VN: %d", rc);
		qh_same(h, &g);
		break;
	}
	default:
		FZ_CHECK(0, "type %d", h->type);
	}
	free(buf);
}

/* A.3: the decoded number ends in the truncated bits and lies within
 * half a window of what was expected. */
static void
qh_pn(const struct tq_quic_hdr *h, const uint8_t *pkt, uint64_t largest)
{
	size_t len = tq_quic_hdr_pn_len(h->first), i;
	uint64_t trunc = 0, full, win = UINT64_C(1) << (8 * len);

	if (h->pn_off + len > h->len)
		return;
	for (i = 0; i < len; i++)
		trunc = trunc << 8 | pkt[h->pn_off + i];
	full = tq_quic_pn_decode(largest, trunc, len);
	FZ_CHECK((full & (win - 1)) == trunc, "pn low bits");
	FZ_CHECK(full <= TQ_QUIC_PN_MAX, "pn past 2^62");
	/* above the window only where going down would pass 0 */
	FZ_CHECK(full + win / 2 >= largest + 1 &&
			(full <= largest + 1 + win / 2 || full < win),
			"pn out of window");
}

int
tq_fuzz_quic_hdr_one(const uint8_t *d, size_t n)
{
	struct tq_quic_dgram_iter it;
	struct tq_quic_hdr h;
	const uint8_t *p;
	size_t sdl, off = 0;
	uint64_t largest;
	int rc;

	if (n < 1)
		return 0;
	sdl = d[0] & 0x1f;
	largest = (uint64_t)(d[0] >> 5) << 20 | 0x3456;
	p = d + 1;
	n -= 1;
	tq_quic_dgram_iter_init(&it, p, n, sdl);
	while ((rc = tq_quic_dgram_next(&it, &h)) == 1) {
		const uint8_t *pkt = p + it.off - h.len;

		FZ_CHECK(it.off <= n && h.len > 0 && h.len <= it.off,
				"packet [%zu, %zu) of %zu", it.off - h.len,
				it.off, n);
		FZ_CHECK(it.off - h.len >= off, "packets overlap");
		off = it.off;
		FZ_CHECK(QH_IN(h.dcid, h.dcid_len, pkt, h.len), "dcid out");
		FZ_CHECK(QH_IN(h.scid, h.scid_len, pkt, h.len), "scid out");
		FZ_CHECK(QH_IN(h.token, h.token_len, pkt, h.len), "token out");
		FZ_CHECK(sdl <= TQ_QUIC_CID_MAX || h.type != TQ_QUIC_PKT_1RTT,
				"short header with a %zu-byte DCID", sdl);
		if (h.type != TQ_QUIC_PKT_VN && h.type != TQ_QUIC_PKT_RETRY) {
			FZ_CHECK(h.pn_off < h.len, "pn at %zu of %zu",
					h.pn_off, h.len);
			FZ_CHECK(h.dcid_len <= TQ_QUIC_CID_MAX &&
					h.scid_len <= TQ_QUIC_CID_MAX,
					"v1 ID too long");
			qh_pn(&h, pkt, largest);
		}
		qh_rebuild(&h, pkt, sdl);
	}
	FZ_CHECK(rc == 0 || rc == -EBADMSG || rc == -EPROTONOSUPPORT,
			"walk ended with %d", rc);
	if (rc == -EPROTONOSUPPORT) {
		/* the answer a server sends: IDs swapped */
		static const uint32_t v1 = TQ_QUIC_VERSION_1;
		uint8_t buf[7 + 255 + 255 + 4];
		struct tq_quic_hdr g;
		struct tq_quic_wr w;

		tq_quic_wr_init(&w, buf, sizeof(buf));
		rc = tq_quic_vn_write(&w, h.scid, h.scid_len, h.dcid,
				h.dcid_len, &v1, 1, 0);
		FZ_CHECK(rc == 0, "vn_write %d", rc);
		rc = tq_quic_hdr_parse(buf, (size_t)(w.pos - buf), 0, &g);
		FZ_CHECK(rc == 0 && g.type == TQ_QUIC_PKT_VN &&
				g.dcid_len == h.scid_len &&
				g.scid_len == h.dcid_len && g.token_len == 4,
				"VN answer");
	}
	FZ_CHECK(tq_quic_dgram_next(&it, &h) == 0, "walk goes on");
	return 0;
}

#ifndef TQ_FUZZ_NO_ENTRY
/* No host to build: the codecs need no EAL. */
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	return tq_fuzz_quic_hdr_one(d, n);
}
#endif
