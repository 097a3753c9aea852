/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QPACK (RFC 9204) without a dynamic table: see tq_qpack.h.  Decoding
 * checks a whole field section even past a limit, so that the caller
 * can tell a section it may answer with 431 from one that must fail the
 * connection.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>

#include "http3/tq_qpack.h"
#include "http3/tq_qpack_huff.h"

/* Every QPACK integer here is a length, an index or a stream ID: none
 * is valid past what a QUIC varint holds. */
#define QP_INT_MAX	((UINT64_C(1) << 62) - 1)

/* Per line of a section, RFC 9114 4.2.2. */
#define QP_LINE_OVERHEAD	32

#define ST(n, v) { n, v, sizeof(n) - 1, sizeof(v) - 1 }

/* RFC 9204 Appendix A. */
static const struct tq_qpack_field st[TQ_QPACK_STATIC_N] = {
	ST(":authority", ""), /* 0 */
	ST(":path", "/"), /* 1 */
	ST("age", "0"), /* 2 */
	ST("content-disposition", ""), /* 3 */
	ST("content-length", "0"), /* 4 */
	ST("cookie", ""), /* 5 */
	ST("date", ""), /* 6 */
	ST("etag", ""), /* 7 */
	ST("if-modified-since", ""), /* 8 */
	ST("if-none-match", ""), /* 9 */
	ST("last-modified", ""), /* 10 */
	ST("link", ""), /* 11 */
	ST("location", ""), /* 12 */
	ST("referer", ""), /* 13 */
	ST("set-cookie", ""), /* 14 */
	ST(":method", "CONNECT"), /* 15 */
	ST(":method", "DELETE"), /* 16 */
	ST(":method", "GET"), /* 17 */
	ST(":method", "HEAD"), /* 18 */
	ST(":method", "OPTIONS"), /* 19 */
	ST(":method", "POST"), /* 20 */
	ST(":method", "PUT"), /* 21 */
	ST(":scheme", "http"), /* 22 */
	ST(":scheme", "https"), /* 23 */
	ST(":status", "103"), /* 24 */
	ST(":status", "200"), /* 25 */
	ST(":status", "304"), /* 26 */
	ST(":status", "404"), /* 27 */
	ST(":status", "503"), /* 28 */
	ST("accept", "*/*"), /* 29 */
	ST("accept", "application/dns-message"), /* 30 */
	ST("accept-encoding", "gzip, deflate, br"), /* 31 */
	ST("accept-ranges", "bytes"), /* 32 */
	ST("access-control-allow-headers", "cache-control"), /* 33 */
	ST("access-control-allow-headers", "content-type"), /* 34 */
	ST("access-control-allow-origin", "*"), /* 35 */
	ST("cache-control", "max-age=0"), /* 36 */
	ST("cache-control", "max-age=2592000"), /* 37 */
	ST("cache-control", "max-age=604800"), /* 38 */
	ST("cache-control", "no-cache"), /* 39 */
	ST("cache-control", "no-store"), /* 40 */
	ST("cache-control", "public, max-age=31536000"), /* 41 */
	ST("content-encoding", "br"), /* 42 */
	ST("content-encoding", "gzip"), /* 43 */
	ST("content-type", "application/dns-message"), /* 44 */
	ST("content-type", "application/javascript"), /* 45 */
	ST("content-type", "application/json"), /* 46 */
	ST("content-type", "application/x-www-form-urlencoded"), /* 47 */
	ST("content-type", "image/gif"), /* 48 */
	ST("content-type", "image/jpeg"), /* 49 */
	ST("content-type", "image/png"), /* 50 */
	ST("content-type", "text/css"), /* 51 */
	ST("content-type", "text/html; charset=utf-8"), /* 52 */
	ST("content-type", "text/plain"), /* 53 */
	ST("content-type", "text/plain;charset=utf-8"), /* 54 */
	ST("range", "bytes=0-"), /* 55 */
	ST("strict-transport-security", "max-age=31536000"), /* 56 */
	ST("strict-transport-security",
	   "max-age=31536000; includesubdomains"), /* 57 */
	ST("strict-transport-security",
	   "max-age=31536000; includesubdomains; preload"), /* 58 */
	ST("vary", "accept-encoding"), /* 59 */
	ST("vary", "origin"), /* 60 */
	ST("x-content-type-options", "nosniff"), /* 61 */
	ST("x-xss-protection", "1; mode=block"), /* 62 */
	ST(":status", "100"), /* 63 */
	ST(":status", "204"), /* 64 */
	ST(":status", "206"), /* 65 */
	ST(":status", "302"), /* 66 */
	ST(":status", "400"), /* 67 */
	ST(":status", "403"), /* 68 */
	ST(":status", "421"), /* 69 */
	ST(":status", "425"), /* 70 */
	ST(":status", "500"), /* 71 */
	ST("accept-language", ""), /* 72 */
	ST("access-control-allow-credentials", "FALSE"), /* 73 */
	ST("access-control-allow-credentials", "TRUE"), /* 74 */
	ST("access-control-allow-headers", "*"), /* 75 */
	ST("access-control-allow-methods", "get"), /* 76 */
	ST("access-control-allow-methods", "get, post, options"), /* 77 */
	ST("access-control-allow-methods", "options"), /* 78 */
	ST("access-control-expose-headers", "content-length"), /* 79 */
	ST("access-control-request-headers", "content-type"), /* 80 */
	ST("access-control-request-method", "get"), /* 81 */
	ST("access-control-request-method", "post"), /* 82 */
	ST("alt-svc", "clear"), /* 83 */
	ST("authorization", ""), /* 84 */
	ST("content-security-policy",
	   "script-src 'none'; object-src 'none'; base-uri 'none'"), /* 85 */
	ST("early-data", "1"), /* 86 */
	ST("expect-ct", ""), /* 87 */
	ST("forwarded", ""), /* 88 */
	ST("if-range", ""), /* 89 */
	ST("origin", ""), /* 90 */
	ST("purpose", "prefetch"), /* 91 */
	ST("server", ""), /* 92 */
	ST("timing-allow-origin", "*"), /* 93 */
	ST("upgrade-insecure-requests", "1"), /* 94 */
	ST("user-agent", ""), /* 95 */
	ST("x-forwarded-for", ""), /* 96 */
	ST("x-frame-options", "deny"), /* 97 */
	ST("x-frame-options", "sameorigin"), /* 98 */
};

/*
 * The encoder's index of the table: its names by length, each with the
 * entries that carry it, so that a lookup compares a few names of the
 * right length and then only that name's values.  Derived from st[]
 * (test_qpack checks every entry comes back from it).
 */
/* A name's entries: first, the lowest (what a name alone is sent as);
 * idx[], its values in the order an encoder meets them most (200 before
 * 103, text/html before the rest), the order a value is looked for. */
struct st_name {
	const char *name;
	uint8_t nlen;
	uint8_t n;
	uint8_t first;
	uint8_t idx[14];
};

static const struct st_name st_names[] = {
	{ "age", 3, 1, 2, { 2 } },
	{ "date", 4, 1, 6, { 6 } },
	{ "etag", 4, 1, 7, { 7 } },
	{ "link", 4, 1, 11, { 11 } },
	{ "vary", 4, 2, 59, { 59, 60 } },
	{ ":path", 5, 1, 1, { 1 } },
	{ "range", 5, 1, 55, { 55 } },
	{ "accept", 6, 2, 29, { 29, 30 } },
	{ "cookie", 6, 1, 5, { 5 } },
	{ "origin", 6, 1, 90, { 90 } },
	{ "server", 6, 1, 92, { 92 } },
	{ ":method", 7, 7, 15, { 17, 18, 20, 21, 16, 19, 15 } },
	{ ":scheme", 7, 2, 22, { 23, 22 } },
	{ ":status", 7, 14, 24,
	  { 25, 26, 27, 64, 65, 66, 67, 68, 71, 28, 63, 24, 69, 70 } },
	{ "alt-svc", 7, 1, 83, { 83 } },
	{ "purpose", 7, 1, 91, { 91 } },
	{ "referer", 7, 1, 13, { 13 } },
	{ "if-range", 8, 1, 89, { 89 } },
	{ "location", 8, 1, 12, { 12 } },
	{ "expect-ct", 9, 1, 87, { 87 } },
	{ "forwarded", 9, 1, 88, { 88 } },
	{ ":authority", 10, 1, 0, { 0 } },
	{ "early-data", 10, 1, 86, { 86 } },
	{ "set-cookie", 10, 1, 14, { 14 } },
	{ "user-agent", 10, 1, 95, { 95 } },
	{ "content-type", 12, 11, 44,
	  { 52, 54, 53, 51, 45, 46, 50, 49, 48, 44, 47 } },
	{ "accept-ranges", 13, 1, 32, { 32 } },
	{ "authorization", 13, 1, 84, { 84 } },
	{ "cache-control", 13, 6, 36, { 36, 37, 38, 39, 40, 41 } },
	{ "if-none-match", 13, 1, 9, { 9 } },
	{ "last-modified", 13, 1, 10, { 10 } },
	{ "content-length", 14, 1, 4, { 4 } },
	{ "accept-encoding", 15, 1, 31, { 31 } },
	{ "accept-language", 15, 1, 72, { 72 } },
	{ "x-forwarded-for", 15, 1, 96, { 96 } },
	{ "x-frame-options", 15, 2, 97, { 97, 98 } },
	{ "content-encoding", 16, 2, 42, { 42, 43 } },
	{ "x-xss-protection", 16, 1, 62, { 62 } },
	{ "if-modified-since", 17, 1, 8, { 8 } },
	{ "content-disposition", 19, 1, 3, { 3 } },
	{ "timing-allow-origin", 19, 1, 93, { 93 } },
	{ "x-content-type-options", 22, 1, 61, { 61 } },
	{ "content-security-policy", 23, 1, 85, { 85 } },
	{ "strict-transport-security", 25, 3, 56, { 56, 57, 58 } },
	{ "upgrade-insecure-requests", 25, 1, 94, { 94 } },
	{ "access-control-allow-origin", 27, 1, 35, { 35 } },
	{ "access-control-allow-headers", 28, 3, 33, { 33, 34, 75 } },
	{ "access-control-allow-methods", 28, 3, 76, { 76, 77, 78 } },
	{ "access-control-expose-headers", 29, 1, 79, { 79 } },
	{ "access-control-request-method", 29, 2, 81, { 81, 82 } },
	{ "access-control-request-headers", 30, 1, 80, { 80 } },
	{ "access-control-allow-credentials", 32, 2, 73, { 73, 74 } },
};

static const uint8_t st_by_len[34] = {
	0, 0, 0, 0, 1, 5, 7, 11, 17, 19, 21, 25,
	25, 26, 31, 32, 36, 38, 39, 39, 41, 41, 41, 42,
	43, 43, 45, 45, 46, 48, 50, 51, 51, 52,
};

#define ST_NAME_MAXLEN	(sizeof(st_by_len) - 2)

/* ---- integers (RFC 7541 5.1) ---- */

/*
 * Read an integer with an n-bit prefix at *pp.  The prefix's flag bits
 * are the caller's.
 * @return 0 and *pp past it, or -EPROTO (truncated, or past QP_INT_MAX).
 */
static inline int
qp_rd_int(const uint8_t **pp, const uint8_t *end, unsigned int n,
		uint64_t *v)
{
	const uint8_t *p = *pp;
	uint64_t mask = (1u << n) - 1, val;
	unsigned int shift = 0;
	uint8_t b;

	if (p == end)
		return -EPROTO;
	val = *p++ & mask;
	if (val < mask) {
		*pp = p;
		*v = val;
		return 0;
	}
	do {
		if (p == end)
			return -EPROTO;
		b = *p++;
		/* Checked before adding, so nothing wraps; an encoding
		 * padded with zero groups ends here too. */
		if (shift > 62 ||
				(uint64_t)(b & 0x7f) >
				(QP_INT_MAX - val) >> shift)
			return -EPROTO;
		val += (uint64_t)(b & 0x7f) << shift;
		shift += 7;
	} while (b & 0x80);
	*pp = p;
	*v = val;
	return 0;
}

static inline size_t
qp_int_len(unsigned int n, uint64_t v)
{
	uint64_t mask = (1u << n) - 1;
	size_t len = 1;

	if (v < mask)
		return 1;
	for (v -= mask; v >= 0x80; v >>= 7)
		len++;
	return len + 1;
}

/* Write v with an n-bit prefix after the flag bits in flags.
 * @return past it, or NULL when it does not fit before end. */
static inline uint8_t *
qp_wr_int(uint8_t *p, uint8_t *end, uint8_t flags, unsigned int n,
		uint64_t v)
{
	uint64_t mask = (1u << n) - 1;

	if (p == end)
		return NULL;
	if (v < mask) {
		*p++ = flags | (uint8_t)v;
		return p;
	}
	*p++ = flags | (uint8_t)mask;
	for (v -= mask; v >= 0x80; v >>= 7) {
		if (p == end)
			return NULL;
		*p++ = (uint8_t)(v | 0x80);
	}
	if (p == end)
		return NULL;
	*p++ = (uint8_t)v;
	return p;
}

/* ---- Huffman (RFC 7541 5.2, Appendix B) ---- */

/*
 * The code at the top of acc: its length in *l, its symbol in *c (256 for
 * EOS).  Codes of up to 8 bits come from one table look-up; the longer
 * ones (rare in header text) from the canonical code's limits.
 */
static inline void
huff_sym(uint64_t acc, unsigned int *l, uint32_t *c)
{
	const struct tq_qpack_huff_len *hl;
	uint16_t t = tq_qpack_huff_fast[acc >> 56];
	uint32_t w, k;
	unsigned int n, rank;

	if (likely(t != 0)) {
		*l = t >> 8;
		*c = t & 0xff;
		return;
	}
	/* Canonical: the codes of length n are those below lim, and every
	 * shorter code was ruled out. */
	w = (uint32_t)(acc >> 32);
	for (n = 9;; n++) {
		hl = &tq_qpack_huff_len[n];
		k = w >> (32 - n);
		if (k < hl->lim)
			break;
	}
	rank = hl->rank + (k - hl->first);
	*l = n;
	*c = rank < TQ_QPACK_HUFF_EOS_RANK ? tq_qpack_huff_sym[rank] :
		TQ_QPACK_HUFF_EOS_RANK;
}

int
tq_qpack_huff_decode(const uint8_t *in, size_t len, char *out,
		size_t cap, size_t *outlen)
{
	/* Bits not used yet, from bit 63 down: nb of them are the input's
	 * next ones; below them are zeros or the input's bits after those
	 * (a refill ORs the same bits in again). */
	uint64_t acc = 0, v;
	unsigned int nb = 0, l, k;
	size_t i = 0, n = 0, rem;
	uint32_t c;

	for (;;) {
		rem = len - i;
		if (rem) {
			/* As many whole bytes as fit (nb lands in 56..63, or
			 * the input ends), read eight at a time: a string
			 * shorter than that byte by byte, the last eight
			 * bytes of a longer one shifted past those taken. */
			if (likely(rem >= 8)) {
				memcpy(&v, in + i, sizeof(v));
				v = rte_be_to_cpu_64(v);
			} else if (len >= 8) {
				memcpy(&v, in + len - 8, sizeof(v));
				v = rte_be_to_cpu_64(v) << (8 * (8 - rem));
			} else {
				v = 0;
				for (k = 0; k < rem; k++)
					v |= (uint64_t)in[i + k] << (56 - 8 * k);
			}
			acc |= v >> nb;
			k = (63 - nb) >> 3;
			if (k > rem)
				k = (unsigned int)rem;
			i += k;
			nb += 8 * k;
		}
		/* A longest code fits in what is left: no bound to check
		 * but EOS. */
		while (nb >= TQ_QPACK_HUFF_MAXLEN) {
			huff_sym(acc, &l, &c);
			if (unlikely(c == TQ_QPACK_HUFF_EOS_RANK))
				return -EPROTO;
			if (n < cap)
				out[n] = (char)c;
			n++;
			acc <<= l;
			nb -= l;
		}
		if (i < len)
			continue;
		/* The input is all in acc: the last codes, then padding of
		 * at most 7 bits, all ones (a prefix of EOS).  No code is
		 * all ones short of EOS, so a real one never ends past nb. */
		while (nb) {
			huff_sym(acc, &l, &c);
			if (l > nb) {
				if (nb > 7 ||
						(acc >> (64 - nb)) != (1u << nb) - 1)
					return -EPROTO;
				break;
			}
			if (c == TQ_QPACK_HUFF_EOS_RANK)
				return -EPROTO;
			if (n < cap)
				out[n] = (char)c;
			n++;
			acc <<= l;
			nb -= l;
		}
		break;
	}
	*outlen = n;
	return 0;
}

/* ---- field sections (RFC 9204 4.5) ---- */

struct qp_dec {
	const uint8_t *p, *end;
	char *buf;
	size_t cap, used;
	bool full;		/* a limit passed: check on, store nothing */
};

/*
 * A string literal with an n-bit length prefix whose H bit is hbit of
 * the first byte: into the buffer while nothing overflowed.
 */
static int
qp_rd_str(struct qp_dec *d, unsigned int n, uint8_t hbit, const char **s,
		uint32_t *slen)
{
	size_t room = d->full ? 0 : d->cap - d->used, dlen;
	char *dst = room ? d->buf + d->used : NULL;
	uint64_t len;
	bool huff;

	if (d->p == d->end)
		return -EPROTO;
	huff = *d->p & hbit;
	if (qp_rd_int(&d->p, d->end, n, &len) < 0 ||
			len > (uint64_t)(d->end - d->p))
		return -EPROTO;
	if (huff) {
		if (tq_qpack_huff_decode(d->p, len, dst, room, &dlen) < 0)
			return -EPROTO;
	} else {
		dlen = len;
		if (dlen != 0 && dlen <= room)
			memcpy(dst, d->p, dlen);
	}
	d->p += len;
	if (dlen > room || dlen > UINT32_MAX) {
		/* Checked to the end all the same; nothing stored. */
		d->full = true;
		dlen = 0;
	} else {
		d->used += dlen;
	}
	*s = dlen ? dst : "";
	*slen = (uint32_t)dlen;
	return 0;
}

int
tq_qpack_decode(const uint8_t *in, size_t len,
		struct tq_qpack_field *out, unsigned int max_fields,
		uint32_t max_size, char *buf, size_t cap)
{
	struct qp_dec d = { .p = in, .end = in + len, .buf = buf, .cap = cap };
	struct tq_qpack_field f;
	uint64_t v, size = 0;
	unsigned int nf = 0;
	uint8_t b;

	if (buf == NULL)
		d.cap = 0;
	/* Required Insert Count: anything but 0 refers to a table we
	 * never let the peer have. */
	if (qp_rd_int(&d.p, d.end, 8, &v) < 0 || v != 0)
		return -EPROTO;
	/* With the sign bit Base would be 0 - Delta Base - 1, below 0,
	 * which 4.5.1.2 makes invalid; without it any Base goes, as
	 * nothing may refer to it. */
	if (d.p == d.end || (*d.p & 0x80))
		return -EPROTO;
	if (qp_rd_int(&d.p, d.end, 7, &v) < 0)
		return -EPROTO;

	while (d.p < d.end) {
		b = *d.p;
		if (b & 0x80) {
			/* Indexed Field Line: 1 T index(6+) */
			if (!(b & 0x40) || qp_rd_int(&d.p, d.end, 6, &v) < 0 ||
					v >= TQ_QPACK_STATIC_N)
				return -EPROTO;
			f = st[v];
		} else if (b & 0x40) {
			/* Literal with Name Reference: 01 N T index(4+) */
			if (!(b & 0x10) || qp_rd_int(&d.p, d.end, 4, &v) < 0 ||
					v >= TQ_QPACK_STATIC_N)
				return -EPROTO;
			f.name = st[v].name;
			f.nlen = st[v].nlen;
			if (qp_rd_str(&d, 7, 0x80, &f.value, &f.vlen) < 0)
				return -EPROTO;
		} else if (b & 0x20) {
			/* Literal with Literal Name: 001 N H len(3+) */
			if (qp_rd_str(&d, 3, 0x08, &f.name, &f.nlen) < 0 ||
					qp_rd_str(&d, 7, 0x80, &f.value,
						&f.vlen) < 0)
				return -EPROTO;
		} else {
			/* 0001 post-base indexed, 0000 literal with a
			 * post-base name: the dynamic table again. */
			return -EPROTO;
		}
		size += (uint64_t)f.nlen + f.vlen + QP_LINE_OVERHEAD;
		if (nf >= max_fields || nf >= INT_MAX || size > max_size)
			d.full = true;
		if (!d.full)
			out[nf] = f;
		nf++;
	}
	if (d.full)
		return -EMSGSIZE;
	return (int)nf;
}

/* ---- encoding ---- */

/*
 * a[0, n) == b[0, n) for the short strings of header lines, inline: a
 * word or two (overlapping) at a time, no read outside either.
 */
static inline bool
qp_eq(const char *a, const char *b, uint32_t n)
{
	uint64_t x, y, u, v;
	uint32_t i, w, z;

	if (n >= 8) {
		for (i = 0; i + 8 < n; i += 8) {
			memcpy(&x, a + i, 8);
			memcpy(&y, b + i, 8);
			if (x != y)
				return false;
		}
		memcpy(&x, a + n - 8, 8);
		memcpy(&y, b + n - 8, 8);
		return x == y;
	}
	if (n >= 4) {
		memcpy(&w, a, 4);
		memcpy(&z, b, 4);
		u = w;
		v = z;
		memcpy(&w, a + n - 4, 4);
		memcpy(&z, b + n - 4, 4);
		return (u | (uint64_t)w << 32) == (v | (uint64_t)z << 32);
	}
	for (i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

/*
 * The static entry to use for a line: its index, and whether the value
 * matches too; -1 for none with the name.
 */
static inline int
qp_st_find(const struct tq_qpack_field *f, bool *exact)
{
	const struct st_name *sn;
	const struct tq_qpack_field *e;
	unsigned int i, j;

	*exact = false;
	if (f->nlen > ST_NAME_MAXLEN)
		return -1;
	for (i = st_by_len[f->nlen]; i < st_by_len[f->nlen + 1]; i++) {
		sn = &st_names[i];
		if (!qp_eq(sn->name, f->name, f->nlen))
			continue;
		for (j = 0; j < sn->n; j++) {
			e = &st[sn->idx[j]];
			if (e->vlen == f->vlen &&
					qp_eq(e->value, f->value, f->vlen)) {
				*exact = true;
				return sn->idx[j];
			}
		}
		return sn->first;
	}
	return -1;
}

static inline uint8_t *
qp_wr_bytes(uint8_t *p, uint8_t *end, const char *s, uint32_t len)
{
	if (p == NULL || (size_t)(end - p) < len)
		return NULL;
	if (len != 0)
		memcpy(p, s, len);
	return p + len;
}

int
tq_qpack_encode(uint8_t *out, size_t cap,
		const struct tq_qpack_field *f, unsigned int n)
{
	uint8_t *p = out, *end;
	unsigned int i;
	bool exact;
	int idx;

	/* The count must fit the return value. */
	end = out + (cap > INT_MAX ? INT_MAX : cap);
	/* Required Insert Count 0, Delta Base 0. */
	if (end - p < 2)
		return -ENOSPC;
	*p++ = 0;
	*p++ = 0;
	for (i = 0; i < n; i++) {
		idx = qp_st_find(&f[i], &exact);
		if (exact) {
			p = qp_wr_int(p, end, 0xc0, 6, (uint64_t)idx);
		} else {
			if (idx >= 0) {
				p = qp_wr_int(p, end, 0x50, 4, (uint64_t)idx);
			} else {
				p = qp_wr_int(p, end, 0x20, 3, f[i].nlen);
				p = qp_wr_bytes(p, end, f[i].name, f[i].nlen);
			}
			if (p != NULL)
				p = qp_wr_int(p, end, 0x00, 7, f[i].vlen);
			p = qp_wr_bytes(p, end, f[i].value, f[i].vlen);
		}
		if (p == NULL)
			return -ENOSPC;
	}
	return (int)(p - out);
}

size_t
tq_qpack_encode_bound(const struct tq_qpack_field *f, unsigned int n)
{
	size_t len = 2;
	unsigned int i;

	/* The longest form: a literal name; both lengths as integers. */
	for (i = 0; i < n; i++)
		len += qp_int_len(3, f[i].nlen) + f[i].nlen +
			qp_int_len(7, f[i].vlen) + f[i].vlen;
	return len;
}

/* ---- encoder and decoder streams (RFC 9204 4.3, 4.4) ---- */

enum {
	QP_PS_START = 0,	/* at an instruction's first byte */
	QP_PS_INT,		/* in a Stream Cancellation's stream ID */
	QP_PS_ERR,		/* failed: so it stays */
};

int
tq_qpack_enc_stream_input(struct tq_qpack_sparse *ps,
		const uint8_t *p, size_t len)
{
	size_t i;

	if (ps->state == QP_PS_ERR)
		return -EPROTO;
	/* With a 5-bit prefix, 0 is 0x20 alone, and a longer integer is
	 * at least 31: every instruction but that one byte fails, so no
	 * state is kept between bytes. */
	for (i = 0; i < len; i++) {
		if (p[i] != 0x20) {
			ps->state = QP_PS_ERR;
			return -EPROTO;
		}
	}
	return 0;
}

int
tq_qpack_dec_stream_input(struct tq_qpack_sparse *ps,
		const uint8_t *p, size_t len)
{
	const uint8_t *end = p + len;
	uint8_t b;

	if (ps->state == QP_PS_ERR)
		return -EPROTO;
	while (p < end) {
		b = *p++;
		switch (ps->state) {
		case QP_PS_START:
			/* 1: Section Acknowledgment, 00: Insert Count
			 * Increment; only 01, Stream Cancellation, goes. */
			if ((b & 0xc0) != 0x40)
				goto fail;
			if ((b & 0x3f) == 0x3f) {
				ps->state = QP_PS_INT;
				ps->val = 0x3f;
				ps->shift = 0;
			}
			break;
		case QP_PS_INT:
			if (ps->shift > 62 || (uint64_t)(b & 0x7f) >
					(QP_INT_MAX - ps->val) >> ps->shift)
				goto fail;
			ps->val += (uint64_t)(b & 0x7f) << ps->shift;
			ps->shift += 7;
			if (!(b & 0x80))
				ps->state = QP_PS_START;
			break;
		default:
			return -EPROTO;
		}
	}
	return 0;
fail:
	ps->state = QP_PS_ERR;
	return -EPROTO;
}
