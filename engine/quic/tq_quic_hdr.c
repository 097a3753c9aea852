/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QUIC packet headers (RFC 9000 17) and coalesced packets (12.2).
 *
 * Parsing stops short of what header protection hides (RFC 9001 5.4):
 * the low bits of the first byte and the packet number.  It finds where
 * the packet number starts and where the packet ends, which is what the
 * crypto module needs to take the protection off.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "tq_quic_wire.h"

bool
tq_quic_version_supported(uint32_t v)
{
	return v == TQ_QUIC_VERSION_1;
}

static uint32_t
get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		(uint32_t)p[2] << 8 | p[3];
}

static void
put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* A connection ID: length byte, then up to max bytes. */
static int
rd_cid(struct tq_quic_rd *r, size_t max, const uint8_t **cid, uint8_t *len)
{
	uint8_t l;

	if (tq_quic_rd_u8(r, &l) < 0 || l > max)
		return -EBADMSG;
	*len = l;
	return tq_quic_rd_bytes(r, l, cid);
}

static int
parse_long(struct tq_quic_rd *r, const uint8_t *p, size_t n,
		struct tq_quic_hdr *h)
{
	const uint8_t *v;
	uint64_t tlen, length;

	if (tq_quic_rd_bytes(r, 4, &v) < 0)
		return -EBADMSG;
	h->version = get_u32(v);
	/* RFC 8999 5.1: any version's IDs may be up to 255 bytes; a v1
	 * packet with a longer one than 20 is dropped (RFC 9000 17.2) */
	if (rd_cid(r, TQ_QUIC_CID_MAX_ANY, &h->dcid, &h->dcid_len) < 0 ||
			rd_cid(r, TQ_QUIC_CID_MAX_ANY, &h->scid,
			&h->scid_len) < 0)
		return -EBADMSG;
	if (h->version == TQ_QUIC_VERSION_NEG) {
		/* RFC 9000 17.2.1: the fixed bit is unused here */
		h->type = TQ_QUIC_PKT_VN;
		h->token = r->pos;
		h->token_len = tq_quic_rd_left(r);
		if (h->token_len % 4)
			return -EBADMSG;
		h->len = n;
		return 0;
	}
	if (!tq_quic_version_supported(h->version)) {
		h->len = n;
		return -EPROTONOSUPPORT;
	}
	if (h->dcid_len > TQ_QUIC_CID_MAX || h->scid_len > TQ_QUIC_CID_MAX)
		return -EBADMSG;
	/* RFC 9000 17.2: packets with the fixed bit 0 are not valid */
	if (!(h->first & TQ_QUIC_HDR_FIXED))
		return -EBADMSG;
	switch ((h->first & TQ_QUIC_HDR_LONG_TYPE) >> 4) {
	case 0:
		h->type = TQ_QUIC_PKT_INITIAL;
		if (tq_quic_rd_varint(r, &tlen) < 0 ||
				tlen > tq_quic_rd_left(r))
			return -EBADMSG;
		h->token_len = (size_t)tlen;
		h->token = r->pos;
		r->pos += tlen;
		break;
	case 1:
		h->type = TQ_QUIC_PKT_0RTT;
		break;
	case 2:
		h->type = TQ_QUIC_PKT_HANDSHAKE;
		break;
	default:
		/* RFC 9000 17.2.5: a token, then the tag, to the end */
		h->type = TQ_QUIC_PKT_RETRY;
		if (tq_quic_rd_left(r) < TQ_QUIC_RETRY_TAG_LEN)
			return -EBADMSG;
		h->token = r->pos;
		h->token_len = tq_quic_rd_left(r) - TQ_QUIC_RETRY_TAG_LEN;
		h->retry_tag = h->token + h->token_len;
		h->len = n;
		return 0;
	}
	/* Length covers the packet number and the payload; a packet
	 * without even a packet number cannot be anything */
	if (tq_quic_rd_varint(r, &length) < 0 || length == 0 ||
			length > tq_quic_rd_left(r))
		return -EBADMSG;
	h->pn_off = (size_t)(r->pos - p);
	h->len = h->pn_off + (size_t)length;
	return 0;
}

int
tq_quic_hdr_parse(const uint8_t *p, size_t n, size_t short_dcid_len,
		struct tq_quic_hdr *h)
{
	struct tq_quic_rd r;

	memset(h, 0, sizeof(*h));
	tq_quic_rd_init(&r, p, n);
	if (tq_quic_rd_u8(&r, &h->first) < 0)
		return -EBADMSG;
	if (h->first & TQ_QUIC_HDR_FORM)
		return parse_long(&r, p, n, h);
	/* RFC 9000 17.3.1: only v1 is spoken, so a short header is v1's */
	if (!(h->first & TQ_QUIC_HDR_FIXED) ||
			short_dcid_len > TQ_QUIC_CID_MAX ||
			tq_quic_rd_bytes(&r, short_dcid_len, &h->dcid) < 0 ||
			r.pos == r.end)
		return -EBADMSG;
	h->type = TQ_QUIC_PKT_1RTT;
	h->version = TQ_QUIC_VERSION_1;
	h->dcid_len = (uint8_t)short_dcid_len;
	h->pn_off = 1 + short_dcid_len;
	h->len = n;
	return 0;
}

enum tq_quic_err
tq_quic_hdr_check_reserved(enum tq_quic_pkt_type type, uint8_t first)
{
	uint8_t mask;

	switch (type) {
	case TQ_QUIC_PKT_INITIAL:
	case TQ_QUIC_PKT_0RTT:
	case TQ_QUIC_PKT_HANDSHAKE:
		mask = TQ_QUIC_HDR_LONG_RESERVED;
		break;
	case TQ_QUIC_PKT_1RTT:
		mask = TQ_QUIC_HDR_SHORT_RESERVED;
		break;
	default:
		return TQ_QUIC_NO_ERROR;
	}
	return (first & mask) ? TQ_QUIC_PROTOCOL_VIOLATION : TQ_QUIC_NO_ERROR;
}

void
tq_quic_dgram_iter_init(struct tq_quic_dgram_iter *it, const uint8_t *p,
		size_t n, size_t short_dcid_len)
{
	memset(it, 0, sizeof(*it));
	it->p = p;
	it->n = n;
	it->short_dcid_len = short_dcid_len;
}

int
tq_quic_dgram_next(struct tq_quic_dgram_iter *it, struct tq_quic_hdr *h)
{
	int rc;

	for (;;) {
		if (it->off >= it->n)
			return 0;
		rc = tq_quic_hdr_parse(it->p + it->off, it->n - it->off,
				it->short_dcid_len, h);
		if (rc < 0) {
			it->off = it->n; /* 12.2: nothing after it is found */
			return rc;
		}
		it->off += h->len;
		if (!it->started) {
			it->started = true;
			it->dcid = h->dcid;
			it->dcid_len = h->dcid_len;
			return 1;
		}
		/* RFC 9000 12.2: a packet for another connection's ID
		 * cannot have been coalesced by the sender, so it is not
		 * trusted (an attacker may have appended it) */
		if (h->dcid_len == it->dcid_len &&
				!memcmp(h->dcid, it->dcid, h->dcid_len))
			return 1;
		it->skipped++;
	}
}

static int
long_type_bits(enum tq_quic_pkt_type type)
{
	switch (type) {
	case TQ_QUIC_PKT_INITIAL:
		return 0;
	case TQ_QUIC_PKT_0RTT:
		return 1;
	case TQ_QUIC_PKT_HANDSHAKE:
		return 2;
	case TQ_QUIC_PKT_RETRY:
		return 3;
	default:
		return -1;
	}
}

/* First byte, version and both connection IDs of a long header. */
static int
wr_long_start(struct tq_quic_wr *w, uint8_t first, uint32_t version,
		const uint8_t *dcid, size_t dcid_len, const uint8_t *scid,
		size_t scid_len, size_t cid_max)
{
	uint8_t v[4];

	if (dcid_len > cid_max || scid_len > cid_max)
		return -EINVAL;
	if (tq_quic_wr_left(w) < 7 + dcid_len + scid_len)
		return -EMSGSIZE;
	put_u32(v, version);
	tq_quic_wr_u8(w, first);
	tq_quic_wr_bytes(w, v, 4);
	tq_quic_wr_u8(w, (uint8_t)dcid_len);
	tq_quic_wr_bytes(w, dcid, dcid_len);
	tq_quic_wr_u8(w, (uint8_t)scid_len);
	tq_quic_wr_bytes(w, scid, scid_len);
	return 0;
}

int
tq_quic_hdr_write_long(struct tq_quic_wr *w, const uint8_t *base,
		enum tq_quic_pkt_type type, uint32_t version,
		const uint8_t *dcid, size_t dcid_len, const uint8_t *scid,
		size_t scid_len, const uint8_t *token, size_t token_len,
		uint64_t pn, size_t pn_len, struct tq_quic_hdr_pos *pos)
{
	uint8_t *start = w->pos;
	int bits = long_type_bits(type);
	int rc;

	if (bits < 0 || type == TQ_QUIC_PKT_RETRY || pn_len < 1 ||
			pn_len > 4 || pn > TQ_QUIC_PN_MAX ||
			(token_len && type != TQ_QUIC_PKT_INITIAL))
		return -EINVAL;
	rc = wr_long_start(w, (uint8_t)(TQ_QUIC_HDR_FORM | TQ_QUIC_HDR_FIXED |
			bits << 4 | (pn_len - 1)), version, dcid, dcid_len,
			scid, scid_len, TQ_QUIC_CID_MAX);
	if (rc < 0)
		goto fail;
	if (type == TQ_QUIC_PKT_INITIAL) {
		rc = tq_quic_wr_varint(w, token_len);
		if (rc < 0 || (rc = tq_quic_wr_bytes(w, token, token_len)) < 0)
			goto fail;
	}
	pos->start = (size_t)(start - base);
	pos->len_off = (size_t)(w->pos - base);
	/* the placeholder: Length 0 in the field's full size */
	rc = tq_quic_wr_varint_n(w, 0, TQ_QUIC_LENGTH_FIELD);
	if (rc < 0)
		goto fail;
	pos->pn_off = (size_t)(w->pos - base);
	pos->pn_len = (uint8_t)pn_len;
	rc = tq_quic_wr_pn(w, pn, pn_len);
	if (rc < 0)
		goto fail;
	return 0;
fail:
	w->pos = start;
	return rc;
}

int
tq_quic_hdr_set_length(uint8_t *base, const struct tq_quic_hdr_pos *pos,
		size_t end)
{
	struct tq_quic_wr w;

	if (end < pos->pn_off + pos->pn_len)
		return -EINVAL;
	tq_quic_wr_init(&w, base + pos->len_off, TQ_QUIC_LENGTH_FIELD);
	return tq_quic_wr_varint_n(&w, end - pos->pn_off,
			TQ_QUIC_LENGTH_FIELD) == -EINVAL ? -EMSGSIZE : 0;
}

int
tq_quic_hdr_write_short(struct tq_quic_wr *w, const uint8_t *base,
		const uint8_t *dcid, size_t dcid_len, bool spin, bool key_phase,
		uint64_t pn, size_t pn_len, struct tq_quic_hdr_pos *pos)
{
	uint8_t first = TQ_QUIC_HDR_FIXED;

	if (dcid_len > TQ_QUIC_CID_MAX || pn_len < 1 || pn_len > 4 ||
			pn > TQ_QUIC_PN_MAX)
		return -EINVAL;
	if (tq_quic_wr_left(w) < 1 + dcid_len + pn_len)
		return -EMSGSIZE;
	if (spin)
		first |= TQ_QUIC_HDR_SHORT_SPIN;
	if (key_phase)
		first |= TQ_QUIC_HDR_KEY_PHASE;
	first |= (uint8_t)(pn_len - 1);
	pos->start = (size_t)(w->pos - base);
	pos->len_off = 0;
	tq_quic_wr_u8(w, first);
	tq_quic_wr_bytes(w, dcid, dcid_len);
	pos->pn_off = (size_t)(w->pos - base);
	pos->pn_len = (uint8_t)pn_len;
	return tq_quic_wr_pn(w, pn, pn_len);
}

int
tq_quic_hdr_write_retry(struct tq_quic_wr *w, uint32_t version,
		const uint8_t *dcid, size_t dcid_len, const uint8_t *scid,
		size_t scid_len, const uint8_t *token, size_t token_len,
		uint8_t unused)
{
	uint8_t *start = w->pos;
	int rc;

	/* RFC 9000 17.2.5.2: a client discards a Retry without a token */
	if (token_len == 0)
		return -EINVAL;
	rc = wr_long_start(w, (uint8_t)(TQ_QUIC_HDR_FORM | TQ_QUIC_HDR_FIXED |
			3 << 4 | (unused & 0x0f)), version, dcid, dcid_len,
			scid, scid_len, TQ_QUIC_CID_MAX);
	if (rc == 0)
		rc = tq_quic_wr_bytes(w, token, token_len);
	if (rc < 0)
		w->pos = start;
	return rc;
}

int
tq_quic_vn_write(struct tq_quic_wr *w, const uint8_t *dcid,
		size_t dcid_len, const uint8_t *scid, size_t scid_len,
		const uint32_t *versions, size_t nversions, uint8_t unused)
{
	uint8_t *start = w->pos;
	uint8_t v[4];
	size_t i;
	int rc;

	if (nversions == 0)
		return -EINVAL;
	rc = wr_long_start(w, (uint8_t)(TQ_QUIC_HDR_FORM | TQ_QUIC_HDR_FIXED |
			(unused & 0x7f)), TQ_QUIC_VERSION_NEG, dcid, dcid_len,
			scid, scid_len, TQ_QUIC_CID_MAX_ANY);
	if (rc < 0)
		return rc;
	if (tq_quic_wr_left(w) < 4 * nversions) {
		w->pos = start;
		return -EMSGSIZE;
	}
	for (i = 0; i < nversions; i++) {
		put_u32(v, versions[i]);
		tq_quic_wr_bytes(w, v, 4);
	}
	return 0;
}
