/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_QUIC_WIRE_H
#define TQ_QUIC_WIRE_H

/*
 * QUIC version 1 (RFC 9000) wire codecs: variable-length integers and
 * packet numbers (tq_quic_varint.c), packet headers and coalesced
 * datagrams (tq_quic_hdr.c), frames (tq_quic_frame.c), transport
 * parameters (tq_quic_tp.c), error codes (tq_quic_err.c).  No crypto and
 * no connection state: decoders point into the caller's buffer and never
 * copy payload, encoders write into a bounded writer.
 *
 * Error model: what a peer gets wrong inside a connection (frames,
 * transport parameters) is returned as an RFC 9000 20.1 transport error
 * code, which the connection layer turns into CONNECTION_CLOSE and a
 * counter; a packet whose header does not parse is dropped, so header
 * parsing returns negative errno.  Encoders return negative errno:
 * -EMSGSIZE when the writer is too small (the writer is then left as it
 * was), -EINVAL for a value the wire cannot carry.
 */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---- errors (RFC 9000 20.1) ---- */

enum tq_quic_err {
	TQ_QUIC_NO_ERROR = 0x00,
	TQ_QUIC_INTERNAL_ERROR = 0x01,
	TQ_QUIC_CONNECTION_REFUSED = 0x02,
	TQ_QUIC_FLOW_CONTROL_ERROR = 0x03,
	TQ_QUIC_STREAM_LIMIT_ERROR = 0x04,
	TQ_QUIC_STREAM_STATE_ERROR = 0x05,
	TQ_QUIC_FINAL_SIZE_ERROR = 0x06,
	TQ_QUIC_FRAME_ENCODING_ERROR = 0x07,
	TQ_QUIC_TRANSPORT_PARAMETER_ERROR = 0x08,
	TQ_QUIC_CONNECTION_ID_LIMIT_ERROR = 0x09,
	TQ_QUIC_PROTOCOL_VIOLATION = 0x0a,
	TQ_QUIC_INVALID_TOKEN = 0x0b,
	TQ_QUIC_APPLICATION_ERROR = 0x0c,
	TQ_QUIC_CRYPTO_BUFFER_EXCEEDED = 0x0d,
	TQ_QUIC_KEY_UPDATE_ERROR = 0x0e,
	TQ_QUIC_AEAD_LIMIT_REACHED = 0x0f,
	TQ_QUIC_NO_VIABLE_PATH = 0x10,
	/* 0x0100-0x01ff: CRYPTO_ERROR, the TLS alert in the low byte */
	TQ_QUIC_CRYPTO_ERROR = 0x0100,
};

#define TQ_QUIC_CRYPTO_ERROR_ALERT(alert) (TQ_QUIC_CRYPTO_ERROR | (alert))

/* The RFC's name of a transport error code ("CRYPTO_ERROR" for the
 * whole alert range, "unknown" past it); never NULL. */
const char *tq_quic_err_str(uint64_t code);

/* ---- bounded reader and writer ---- */

struct tq_quic_rd {
	const uint8_t *pos;
	const uint8_t *end;
};

struct tq_quic_wr {
	uint8_t *pos;
	uint8_t *end;
};

static inline void
tq_quic_rd_init(struct tq_quic_rd *r, const void *p, size_t n)
{
	r->pos = p;
	r->end = n ? r->pos + n : r->pos; /* NULL + 0 is undefined */
}

static inline size_t
tq_quic_rd_left(const struct tq_quic_rd *r)
{
	return (size_t)(r->end - r->pos);
}

static inline void
tq_quic_wr_init(struct tq_quic_wr *w, void *p, size_t n)
{
	w->pos = p;
	w->end = n ? w->pos + n : w->pos;
}

static inline size_t
tq_quic_wr_left(const struct tq_quic_wr *w)
{
	return (size_t)(w->end - w->pos);
}

/* n bytes at *p, advancing; -EBADMSG if fewer are left. */
static inline int
tq_quic_rd_bytes(struct tq_quic_rd *r, size_t n, const uint8_t **p)
{
	if (tq_quic_rd_left(r) < n)
		return -EBADMSG;
	*p = r->pos;
	r->pos += n;
	return 0;
}

static inline int
tq_quic_rd_u8(struct tq_quic_rd *r, uint8_t *v)
{
	if (r->pos == r->end)
		return -EBADMSG;
	*v = *r->pos++;
	return 0;
}

static inline int
tq_quic_wr_bytes(struct tq_quic_wr *w, const void *p, size_t n)
{
	if (tq_quic_wr_left(w) < n)
		return -EMSGSIZE;
	if (n)
		memcpy(w->pos, p, n);
	w->pos += n;
	return 0;
}

static inline int
tq_quic_wr_u8(struct tq_quic_wr *w, uint8_t v)
{
	if (w->pos == w->end)
		return -EMSGSIZE;
	*w->pos++ = v;
	return 0;
}

/* ---- variable-length integers (RFC 9000 16) ---- */

#define TQ_QUIC_VARINT_MAX ((UINT64_C(1) << 62) - 1)

/*
 * The varint calls of the packet and frame paths are inline: a request
 * takes a few dozen of them, and each call cost as much as its body.
 */

/* Bytes v takes (1, 2, 4 or 8), 0 if it is above TQ_QUIC_VARINT_MAX. */
static inline size_t
tq_quic_varint_len(uint64_t v)
{
	if (v < (UINT64_C(1) << 6))
		return 1;
	if (v < (UINT64_C(1) << 14))
		return 2;
	if (v < (UINT64_C(1) << 30))
		return 4;
	if (v <= TQ_QUIC_VARINT_MAX)
		return 8;
	return 0;
}
/* Bytes of the varint whose first byte is b. */
static inline size_t
tq_quic_varint_len_of(uint8_t b)
{
	return (size_t)1 << (b >> 6);
}
/* Decode one; returns the bytes it took, or -EBADMSG if it is cut. */
static inline int
tq_quic_rd_varint(struct tq_quic_rd *r, uint64_t *v)
{
	const uint8_t *p = r->pos;
	size_t len;
	uint16_t x2;
	uint32_t x4;
	uint64_t x8;

	if (p == r->end)
		return -EBADMSG;
	len = tq_quic_varint_len_of(p[0]);
	if ((size_t)(r->end - p) < len)
		return -EBADMSG;
	switch (len) {
	case 1:
		*v = p[0];
		break;
	case 2:
		memcpy(&x2, p, 2);
		*v = __builtin_bswap16(x2) & 0x3fff;
		break;
	case 4:
		memcpy(&x4, p, 4);
		*v = __builtin_bswap32(x4) & 0x3fffffff;
		break;
	default:
		memcpy(&x8, p, 8);
		*v = __builtin_bswap64(x8) & TQ_QUIC_VARINT_MAX;
		break;
	}
	r->pos += len;
	return (int)len;
}
/* Encode v in its shortest form; -EINVAL above the max, -EMSGSIZE. */
int tq_quic_wr_varint(struct tq_quic_wr *w, uint64_t v);
/* Encode v in exactly len bytes (1, 2, 4, 8): for a field written
 * before its value is known; -EINVAL if v does not fit len. */
int tq_quic_wr_varint_n(struct tq_quic_wr *w, uint64_t v, size_t len);
/* v into p in exactly len bytes (1, 2, 4 or 8; v fits them), by one
 * byte-swapped store; returns past it. */
static inline uint8_t *
tq_quic_varint_put_n(uint8_t *p, uint64_t v, size_t len)
{
	uint16_t x2;
	uint32_t x4;
	uint64_t x8;

	switch (len) {
	case 1:
		*p = (uint8_t)v;
		break;
	case 2:
		x2 = __builtin_bswap16((uint16_t)(v | 0x4000));
		memcpy(p, &x2, 2);
		break;
	case 4:
		x4 = __builtin_bswap32((uint32_t)(v | 0x80000000u));
		memcpy(p, &x4, 4);
		break;
	case 8:
		x8 = __builtin_bswap64(v | UINT64_C(0xc000000000000000));
		memcpy(p, &x8, 8);
		break;
	default:
		return p;
	}
	return p + len;
}
/* Encode into p, which has room: the shortest form; returns past it
 * (p itself, nothing written, for a v above the max). */
static inline uint8_t *
tq_quic_varint_put(uint8_t *p, uint64_t v)
{
	return tq_quic_varint_put_n(p, v, tq_quic_varint_len(v));
}

/* ---- packet numbers (RFC 9000 17.1, A.2, A.3) ---- */

#define TQ_QUIC_PN_MAX TQ_QUIC_VARINT_MAX
/* largest_acked / largest_pn when there is none yet */
#define TQ_QUIC_PN_NONE UINT64_MAX

/* Bytes (1-4) to send pn in, so that the peer, whose largest acked is
 * largest_acked (or TQ_QUIC_PN_NONE), decodes it; -ERANGE if more than
 * 2^31 packets are unacknowledged, -EINVAL for a bad pn. */
int tq_quic_pn_len(uint64_t pn, uint64_t largest_acked);
/* Write the low len bytes of pn; -EINVAL, -EMSGSIZE. */
int tq_quic_wr_pn(struct tq_quic_wr *w, uint64_t pn, size_t len);
/* The full packet number of truncated (len bytes) given the largest
 * packet number received in the space (or TQ_QUIC_PN_NONE). */
uint64_t tq_quic_pn_decode(uint64_t largest_pn, uint64_t truncated,
		size_t len);

/* ---- packet headers (RFC 9000 17) ---- */

#define TQ_QUIC_VERSION_1 UINT32_C(0x00000001)
#define TQ_QUIC_VERSION_NEG UINT32_C(0)
#define TQ_QUIC_CID_MAX 20	 /* v1 connection IDs */
#define TQ_QUIC_CID_MAX_ANY 255 /* any version (RFC 8999 5.1) */
#define TQ_QUIC_RESET_TOKEN_LEN 16
#define TQ_QUIC_RETRY_TAG_LEN 16
/* The Length field this builder writes (2 bytes: up to 16383). */
#define TQ_QUIC_LENGTH_FIELD 2
#define TQ_QUIC_MIN_INITIAL_DGRAM 1200 /* RFC 9000 14.1 */

/* First-byte bits. */
#define TQ_QUIC_HDR_FORM 0x80
#define TQ_QUIC_HDR_FIXED 0x40
#define TQ_QUIC_HDR_LONG_TYPE 0x30
#define TQ_QUIC_HDR_LONG_RESERVED 0x0c
#define TQ_QUIC_HDR_SHORT_SPIN 0x20
#define TQ_QUIC_HDR_SHORT_RESERVED 0x18
#define TQ_QUIC_HDR_KEY_PHASE 0x04
#define TQ_QUIC_HDR_PN_LEN 0x03

enum tq_quic_pkt_type {
	TQ_QUIC_PKT_INITIAL,
	TQ_QUIC_PKT_0RTT,
	TQ_QUIC_PKT_HANDSHAKE,
	TQ_QUIC_PKT_RETRY,
	TQ_QUIC_PKT_VN,	  /* version negotiation */
	TQ_QUIC_PKT_1RTT, /* short header */
	TQ_QUIC_PKT_MAX,
};

/*
 * A parsed header.  Pointers are into the datagram.  first is the first
 * byte as received: its low bits (reserved, key phase, packet number
 * length) are header-protected until the crypto module removes the
 * protection, so the parser neither reads nor checks them.
 */
struct tq_quic_hdr {
	enum tq_quic_pkt_type type;
	uint8_t first;
	uint8_t dcid_len;
	uint8_t scid_len;
	uint32_t version;     /* long headers */
	const uint8_t *dcid;
	const uint8_t *scid;  /* long headers */
	/* Initial: the token; Retry: the retry token; VN: the versions
	 * (4 bytes each) */
	const uint8_t *token;
	size_t token_len;
	const uint8_t *retry_tag; /* Retry: the integrity tag */
	size_t pn_off;	/* packet number, from the packet's start */
	size_t len;	/* the whole packet, header included */
};

/*
 * Parse the packet at the start of p[0, n): a long header (any version
 * enough to answer it, v1 entirely) or a short header whose DCID is
 * short_dcid_len bytes.  Returns 0, or:
 *   -EBADMSG: malformed or cut (drop the packet and the rest of the
 *     datagram: RFC 9000 12.2, a datagram cannot be split past it);
 *   -EPROTONOSUPPORT: a long header of a version other than 1; version,
 *     dcid and scid (up to 255 bytes) are set for a version negotiation
 *     answer, and len is the rest of the datagram.
 */
int tq_quic_hdr_parse(const uint8_t *p, size_t n, size_t short_dcid_len,
		struct tq_quic_hdr *h);

/* Packet number length from a first byte without header protection. */
static inline size_t
tq_quic_hdr_pn_len(uint8_t first)
{
	return (size_t)(first & TQ_QUIC_HDR_PN_LEN) + 1;
}

/* RFC 9000 17.2, 17.3.1: reserved bits, once unprotected, must be 0:
 * PROTOCOL_VIOLATION otherwise.  For VN and Retry there is none. */
enum tq_quic_err tq_quic_hdr_check_reserved(enum tq_quic_pkt_type type,
		uint8_t first);

/* Whether this engine speaks version v. */
bool tq_quic_version_supported(uint32_t v);

/*
 * Walk the packets coalesced in one datagram (RFC 9000 12.2).  A packet
 * whose DCID differs from the first packet's is skipped (counted in
 * skipped) as 12.2 suggests.  next() returns 1 with the next packet in
 * h, 0 at the end, or the parse error of the packet that ended the walk.
 */
struct tq_quic_dgram_iter {
	const uint8_t *p;
	size_t n;
	size_t off;
	size_t short_dcid_len;
	const uint8_t *dcid; /* of the first packet */
	uint8_t dcid_len;
	bool started;
	unsigned int skipped;
};

void tq_quic_dgram_iter_init(struct tq_quic_dgram_iter *it, const uint8_t *p,
		size_t n, size_t short_dcid_len);
int tq_quic_dgram_next(struct tq_quic_dgram_iter *it, struct tq_quic_hdr *h);

/* Where the builder left the fields the packet's writer fills later. */
struct tq_quic_hdr_pos {
	size_t start;	/* the packet's first byte, from the writer's base */
	size_t len_off; /* the Length field (long headers) */
	size_t pn_off;
	uint8_t pn_len;
};

/*
 * Write an Initial, 0-RTT or Handshake header up to and including the
 * packet number (pn in pn_len bytes; the length bits are set in the
 * first byte, unprotected), with a TQ_QUIC_LENGTH_FIELD placeholder for
 * Length.  base: the buffer the offsets in pos are counted from.
 * token: Initial only.  -EINVAL, -EMSGSIZE.
 */
int tq_quic_hdr_write_long(struct tq_quic_wr *w, const uint8_t *base,
		enum tq_quic_pkt_type type, uint32_t version,
		const uint8_t *dcid, size_t dcid_len, const uint8_t *scid,
		size_t scid_len, const uint8_t *token, size_t token_len,
		uint64_t pn, size_t pn_len, struct tq_quic_hdr_pos *pos);
/* Set Length once the packet is complete: end is one past its last
 * byte (AEAD tag included).  -EMSGSIZE if it does not fit the field. */
int tq_quic_hdr_set_length(uint8_t *base, const struct tq_quic_hdr_pos *pos,
		size_t end);
/* A 1-RTT header: spin bit and key phase as given.  -EINVAL,
 * -EMSGSIZE. */
int tq_quic_hdr_write_short(struct tq_quic_wr *w, const uint8_t *base,
		const uint8_t *dcid, size_t dcid_len, bool spin, bool key_phase,
		uint64_t pn, size_t pn_len, struct tq_quic_hdr_pos *pos);
/* A Retry packet without its integrity tag, which the crypto module
 * computes over it and appends.  unused: the 4 low bits of the first
 * byte (arbitrary, RFC 9000 17.2.5). */
int tq_quic_hdr_write_retry(struct tq_quic_wr *w, uint32_t version,
		const uint8_t *dcid, size_t dcid_len, const uint8_t *scid,
		size_t scid_len, const uint8_t *token, size_t token_len,
		uint8_t unused);
/*
 * A version negotiation packet (RFC 9000 17.2.1) answering a client's
 * long header: dcid is the client's SCID, scid the client's DCID (each
 * up to 255 bytes).  versions: what we speak (a greased one may be
 * among them).  unused: the low 7 bits of the first byte, arbitrary;
 * 0x40 is always set so that QUIC stays distinguishable (RFC 7983).
 */
int tq_quic_vn_write(struct tq_quic_wr *w, const uint8_t *dcid,
		size_t dcid_len, const uint8_t *scid, size_t scid_len,
		const uint32_t *versions, size_t nversions, uint8_t unused);

/* ---- frames (RFC 9000 19, RFC 9221) ---- */

enum tq_quic_frame_type {
	TQ_QUIC_FT_PADDING = 0x00,
	TQ_QUIC_FT_PING = 0x01,
	TQ_QUIC_FT_ACK = 0x02,
	TQ_QUIC_FT_ACK_ECN = 0x03,
	TQ_QUIC_FT_RESET_STREAM = 0x04,
	TQ_QUIC_FT_STOP_SENDING = 0x05,
	TQ_QUIC_FT_CRYPTO = 0x06,
	TQ_QUIC_FT_NEW_TOKEN = 0x07,
	TQ_QUIC_FT_STREAM = 0x08, /* to 0x0f: the bits below */
	TQ_QUIC_FT_MAX_DATA = 0x10,
	TQ_QUIC_FT_MAX_STREAM_DATA = 0x11,
	TQ_QUIC_FT_MAX_STREAMS_BIDI = 0x12,
	TQ_QUIC_FT_MAX_STREAMS_UNI = 0x13,
	TQ_QUIC_FT_DATA_BLOCKED = 0x14,
	TQ_QUIC_FT_STREAM_DATA_BLOCKED = 0x15,
	TQ_QUIC_FT_STREAMS_BLOCKED_BIDI = 0x16,
	TQ_QUIC_FT_STREAMS_BLOCKED_UNI = 0x17,
	TQ_QUIC_FT_NEW_CONNECTION_ID = 0x18,
	TQ_QUIC_FT_RETIRE_CONNECTION_ID = 0x19,
	TQ_QUIC_FT_PATH_CHALLENGE = 0x1a,
	TQ_QUIC_FT_PATH_RESPONSE = 0x1b,
	TQ_QUIC_FT_CONNECTION_CLOSE = 0x1c,
	TQ_QUIC_FT_CONNECTION_CLOSE_APP = 0x1d,
	TQ_QUIC_FT_HANDSHAKE_DONE = 0x1e,
	TQ_QUIC_FT_DATAGRAM = 0x30,	/* RFC 9221: to the packet's end */
	TQ_QUIC_FT_DATAGRAM_LEN = 0x31, /* with a Length */
};

#define TQ_QUIC_STREAM_FIN 0x01
#define TQ_QUIC_STREAM_LEN 0x02
#define TQ_QUIC_STREAM_OFF 0x04
#define TQ_QUIC_FT_IS_STREAM(t) (((t) & ~UINT64_C(7)) == TQ_QUIC_FT_STREAM)

/* RFC 9000 4.6, 19.11: stream counts go up to 2^60. */
#define TQ_QUIC_MAX_STREAMS (UINT64_C(1) << 60)

struct tq_quic_ack_range {
	uint64_t smallest;
	uint64_t largest;
};

struct tq_quic_ecn_counts {
	uint64_t ect0;
	uint64_t ect1;
	uint64_t ce;
};

struct tq_quic_frame_ack {
	uint64_t largest;
	uint64_t delay; /* as sent: the caller scales it (ack_delay_exponent) */
	uint64_t first_range;
	uint64_t range_count;	/* Gap/ACK Range pairs after the first */
	const uint8_t *ranges;	/* those pairs, validated */
	size_t ranges_len;
	bool ecn;
	struct tq_quic_ecn_counts counts;
};

/* The acknowledged ranges of a decoded ACK, largest first, read from the
 * frame's bytes as they are walked. */
struct tq_quic_ack_iter {
	struct tq_quic_rd r;
	uint64_t left;	   /* pairs still to read */
	uint64_t smallest; /* of the range returned last */
	bool first;
	const struct tq_quic_frame_ack *ack;
};

struct tq_quic_frame {
	uint64_t type; /* set even when decoding fails once it was read */
	union {
		struct {
			size_t len; /* bytes of padding, this one included */
		} padding;
		struct tq_quic_frame_ack ack;
		struct {
			uint64_t id;
			uint64_t app_err;
			uint64_t final_size;
		} reset_stream;
		struct {
			uint64_t id;
			uint64_t app_err;
		} stop_sending;
		struct {
			uint64_t offset;
			const uint8_t *data;
			size_t len;
		} crypto;
		struct {
			const uint8_t *token;
			size_t len;
		} new_token;
		/* the type's OFF and LEN bits say what is on the wire; fin
		 * mirrors its FIN bit */
		struct {
			uint64_t id;
			uint64_t offset;
			const uint8_t *data;
			size_t len;
			bool fin;
		} stream;
		struct {
			uint64_t max;
		} max_data; /* also MAX_STREAMS */
		struct {
			uint64_t id;
			uint64_t max;
		} max_stream_data;
		struct {
			uint64_t limit;
		} blocked; /* DATA_BLOCKED, STREAMS_BLOCKED */
		struct {
			uint64_t id;
			uint64_t limit;
		} stream_data_blocked;
		struct {
			uint64_t seq;
			uint64_t retire_prior_to;
			const uint8_t *cid;
			uint8_t cid_len;
			const uint8_t *reset_token; /* 16 bytes */
		} new_cid;
		struct {
			uint64_t seq;
		} retire_cid;
		struct {
			uint8_t data[8];
		} path; /* PATH_CHALLENGE, PATH_RESPONSE */
		struct {
			uint64_t error;
			uint64_t frame_type; /* 0x1c only */
			const uint8_t *reason;
			size_t reason_len;
		} close;
		struct {
			const uint8_t *data;
			size_t len;
		} datagram;
	};
};

/*
 * Decode one frame from r in a packet of the given type, validating it
 * entirely (the ACK ranges included).  Returns TQ_QUIC_NO_ERROR with r
 * past the frame, or the error to close the connection with:
 * FRAME_ENCODING_ERROR for an unknown type, a cut or inconsistent frame;
 * PROTOCOL_VIOLATION for a frame the packet type may not carry (RFC 9000
 * 12.4) or a type not in its shortest encoding.  On error r is
 * unspecified and f->type is the frame's type if it was read.
 */
enum tq_quic_err tq_quic_frame_decode(struct tq_quic_rd *r,
		enum tq_quic_pkt_type pkt, struct tq_quic_frame *f);

/* Whether a packet of type pkt may carry frames of this type. */
bool tq_quic_frame_allowed(uint64_t type, enum tq_quic_pkt_type pkt);
/* RFC 9002 2: whether the frame makes its packet ack-eliciting. */
static inline bool
tq_quic_frame_ack_eliciting(uint64_t type)
{
	return type != TQ_QUIC_FT_PADDING && type != TQ_QUIC_FT_ACK &&
		type != TQ_QUIC_FT_ACK_ECN &&
		type != TQ_QUIC_FT_CONNECTION_CLOSE &&
		type != TQ_QUIC_FT_CONNECTION_CLOSE_APP;
}

void tq_quic_ack_iter_init(struct tq_quic_ack_iter *it,
		const struct tq_quic_frame_ack *ack);
/* The next range, largest first; false after the last. */
bool tq_quic_ack_iter_next(struct tq_quic_ack_iter *it,
		struct tq_quic_ack_range *out);

/*
 * Encode f (as decoded: STREAM's variant from its type bits, PADDING
 * as padding.len zero bytes, a decoded ACK's ranges re-encoded).
 * Returns the bytes written, -EMSGSIZE (w unchanged), -EINVAL.
 */
int tq_quic_frame_encode(struct tq_quic_wr *w, const struct tq_quic_frame *f);

/*
 * An ACK frame from ranges[0, n), largest first, disjoint and not
 * adjacent; ecn: ACK_ECN with these counts, or NULL.  Writes as many
 * ranges as fit (the oldest are dropped) and returns how many, or
 * -EMSGSIZE if not even the first fits, -EINVAL.
 */
int tq_quic_ack_encode(struct tq_quic_wr *w,
		const struct tq_quic_ack_range *ranges, size_t n,
		uint64_t delay, const struct tq_quic_ecn_counts *ecn);

/*
 * A STREAM frame carrying as much of data[0, len) as fits; fin is sent
 * only if all of it does.  to_end: the frame ends the packet, so it
 * goes without a Length field and fills what is left.  *fit gets the
 * bytes of data taken.  Returns the bytes written, -EMSGSIZE if no data
 * fits (an empty frame with fin needs only its header), -EINVAL when
 * offset + len would pass 2^62-1.
 */
int tq_quic_stream_encode(struct tq_quic_wr *w, uint64_t id, uint64_t offset,
		const uint8_t *data, size_t len, bool fin, bool to_end,
		size_t *fit);
/* The same frame's header alone, w past it: the caller writes the *fit
 * bytes of data at w->pos itself (from where they are, with no copy in
 * between).  Returns the header's bytes, or the errors above. */
int tq_quic_stream_encode_hdr(struct tq_quic_wr *w, uint64_t id,
		uint64_t offset, size_t len, bool fin, bool to_end, size_t *fit);
/* A CRYPTO frame taking as much of data as fits; as above. */
int tq_quic_crypto_encode(struct tq_quic_wr *w, uint64_t offset,
		const uint8_t *data, size_t len, size_t *fit);

/* The frame type's RFC name ("STREAM" for all eight), "unknown". */
const char *tq_quic_frame_name(uint64_t type);

/* ---- transport parameters (RFC 9000 18) ---- */

enum tq_quic_tp_id {
	TQ_QUIC_TP_ORIGINAL_DCID = 0x00,
	TQ_QUIC_TP_MAX_IDLE_TIMEOUT = 0x01,
	TQ_QUIC_TP_STATELESS_RESET_TOKEN = 0x02,
	TQ_QUIC_TP_MAX_UDP_PAYLOAD_SIZE = 0x03,
	TQ_QUIC_TP_INITIAL_MAX_DATA = 0x04,
	TQ_QUIC_TP_INITIAL_MAX_STREAM_DATA_BIDI_LOCAL = 0x05,
	TQ_QUIC_TP_INITIAL_MAX_STREAM_DATA_BIDI_REMOTE = 0x06,
	TQ_QUIC_TP_INITIAL_MAX_STREAM_DATA_UNI = 0x07,
	TQ_QUIC_TP_INITIAL_MAX_STREAMS_BIDI = 0x08,
	TQ_QUIC_TP_INITIAL_MAX_STREAMS_UNI = 0x09,
	TQ_QUIC_TP_ACK_DELAY_EXPONENT = 0x0a,
	TQ_QUIC_TP_MAX_ACK_DELAY = 0x0b,
	TQ_QUIC_TP_DISABLE_ACTIVE_MIGRATION = 0x0c,
	TQ_QUIC_TP_PREFERRED_ADDRESS = 0x0d,
	TQ_QUIC_TP_ACTIVE_CONNECTION_ID_LIMIT = 0x0e,
	TQ_QUIC_TP_INITIAL_SCID = 0x0f,
	TQ_QUIC_TP_RETRY_SCID = 0x10,
	TQ_QUIC_TP_MAX_DATAGRAM_FRAME_SIZE = 0x20, /* RFC 9221 */
};

/* Defaults (RFC 9000 18.2) and limits. */
#define TQ_QUIC_TP_DEFAULT_MAX_UDP_PAYLOAD 65527
#define TQ_QUIC_TP_MIN_MAX_UDP_PAYLOAD 1200
#define TQ_QUIC_TP_DEFAULT_ACK_DELAY_EXPONENT 3
#define TQ_QUIC_TP_MAX_ACK_DELAY_EXPONENT 20
#define TQ_QUIC_TP_DEFAULT_MAX_ACK_DELAY 25 /* ms */
#define TQ_QUIC_TP_MAX_MAX_ACK_DELAY (1u << 14) /* exclusive */
#define TQ_QUIC_TP_DEFAULT_ACTIVE_CID_LIMIT 2

struct tq_quic_cid {
	uint8_t len;
	uint8_t id[TQ_QUIC_CID_MAX];
};

struct tq_quic_preferred_addr {
	uint8_t ipv4[4];
	uint16_t ipv4_port;
	uint8_t ipv6[16];
	uint16_t ipv6_port;
	struct tq_quic_cid cid;
	uint8_t reset_token[TQ_QUIC_RESET_TOKEN_LEN];
};

/*
 * One side's transport parameters.  The has_ flags say which optional
 * ones were sent (decoding) or are to be sent (encoding); numbers equal
 * to their default are not sent.
 */
struct tq_quic_tp {
	bool has_original_dcid;
	bool has_stateless_reset_token;
	bool has_preferred_address;
	bool has_initial_scid;
	bool has_retry_scid;
	bool disable_active_migration;
	struct tq_quic_cid original_dcid;
	struct tq_quic_cid initial_scid;
	struct tq_quic_cid retry_scid;
	uint8_t stateless_reset_token[TQ_QUIC_RESET_TOKEN_LEN];
	struct tq_quic_preferred_addr preferred_address;
	uint64_t max_idle_timeout; /* ms, 0: none */
	uint64_t max_udp_payload_size;
	uint64_t initial_max_data;
	uint64_t initial_max_stream_data_bidi_local;
	uint64_t initial_max_stream_data_bidi_remote;
	uint64_t initial_max_stream_data_uni;
	uint64_t initial_max_streams_bidi;
	uint64_t initial_max_streams_uni;
	uint64_t ack_delay_exponent;
	uint64_t max_ack_delay; /* ms */
	uint64_t active_connection_id_limit;
	uint64_t max_datagram_frame_size; /* 0: no DATAGRAM frames */
};

/* All defaults, nothing optional present. */
void tq_quic_tp_default(struct tq_quic_tp *tp);

/*
 * Encode tp as sent by a server (is_server) or a client, which may not
 * send the server-only ones.  Returns the bytes written, -EMSGSIZE,
 * -EINVAL for a value decode would refuse.
 */
int tq_quic_tp_encode(const struct tq_quic_tp *tp, bool is_server,
		uint8_t *buf, size_t cap);

/*
 * Decode the peer's transport parameters: is_server_params when the
 * peer is the server.  tp starts from the defaults.  Unknown and
 * reserved (31 * N + 27) parameters are skipped, repeated or not.
 * Returns TQ_QUIC_NO_ERROR or TRANSPORT_PARAMETER_ERROR (RFC 9000 7.4,
 * 18.2): a known parameter twice, a bad length or value, a server-only
 * one from a client, a missing initial_source_connection_id, or a
 * server's missing original_destination_connection_id (7.3).
 */
enum tq_quic_err tq_quic_tp_decode(const uint8_t *p, size_t n,
		bool is_server_params, struct tq_quic_tp *tp);

#endif
