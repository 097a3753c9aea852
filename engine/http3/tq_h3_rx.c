/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP/3 receiving (RFC 9114 6, 7, 4.1-4.3): the frame reader each
 * stream runs over the segments the transport hands up, unidirectional
 * stream types, the control stream's frames, field sections through
 * QPACK (tq_qpack.c) and the message rules, and body bytes to the app
 * as spans of the received segments (or indirect mbufs sharing them):
 * a body is not copied here.
 *
 * Errors take the code RFC 9114 gives them: a frame where its stream
 * type does not allow it H3_FRAME_UNEXPECTED, a bad frame H3_FRAME_ERROR,
 * a malformed message a stream error H3_MESSAGE_ERROR, a bad field
 * section QPACK_DECOMPRESSION_FAILED, and so on (docs/http3.md).
 */
#include <errno.h>
#include <string.h>

#include <rte_common.h>
#include <rte_mbuf.h>

#include "tq_h3_priv.h"

#define H3_PSEUDO_MAX 8		/* pseudo-header lines we look at */

/* RFC 9110 5.6.2 tchar, lower case only (RFC 9114 4.2). */
static const uint8_t h3_tchar[256] = {
	['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1,
	['*'] = 1, ['+'] = 1, ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1,
	['`'] = 1, ['|'] = 1, ['~'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
	['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
	['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
	['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1,
};

static bool
h3_eq(const char *p, uint32_t len, const char *lit, uint32_t llen)
{
	return len == llen && memcmp(p, lit, llen) == 0;
}

#define H3_EQ(p, len, lit) h3_eq(p, len, lit, sizeof(lit) - 1)

static bool
h3_name_valid(const struct tq_qpack_field *f)
{
	uint32_t i;

	if (f->nlen == 0)
		return false;
	for (i = 0; i < f->nlen; i++)
		if (!h3_tchar[(uint8_t)f->name[i]])
			return false;
	return true;
}

/*
 * What h3_scan() finds in a field value: a byte no field value may hold
 * (RFC 9110 5.5: controls but HTAB, and DEL; NUL, CR and LF make a
 * message malformed, RFC 9114 4.1.2, the others would be refused by an
 * HTTP/1.1 hop behind us), and a byte no request target or authority may
 * hold (those, HTAB and space: RFC 3986's characters, loosely; percent
 * escapes and the like are the app's).
 */
#define H3_C_VBAD	1
#define H3_C_TBAD	2

static const uint8_t h3_cc[256] = {
	[0x00 ... 0x08] = H3_C_VBAD | H3_C_TBAD,
	[0x09] = H3_C_TBAD,
	[0x0a ... 0x1f] = H3_C_VBAD | H3_C_TBAD,
	[0x20] = H3_C_TBAD,
	[0x7f] = H3_C_VBAD | H3_C_TBAD,
};

/* Eight bytes at once.  Whether some byte is below a bound (or is DEL)
 * is exact as a whole: a borrow reaches bit 7 of a byte only from a byte
 * below the bound, or from such a byte lower down.  Space and DEL settle
 * H3_C_TBAD alone; a control (rare) is looked up, for HTAB is no
 * H3_C_VBAD. */
static inline unsigned int
h3_scan_word(uint64_t x)
{
	uint64_t y = x ^ H3_B8(0x7f);
	uint64_t ctl = (x - H3_B8(0x20)) & ~x & H3_B8(0x80);
	uint64_t del = (y - H3_B8(0x01)) & ~y & H3_B8(0x80);
	uint64_t sp = (x - H3_B8(0x21)) & ~x & H3_B8(0x80);
	unsigned int c = (sp | del) ? H3_C_TBAD : 0, i;

	if (del)
		return H3_C_VBAD | H3_C_TBAD;
	if (likely(ctl == 0))
		return c;
	for (i = 0; i < 8; i++)
		c |= h3_cc[(uint8_t)(x >> (8 * i))];
	return c;
}

/* The H3_C_ classes of the bytes of p[0, len), or'ed: a word at a time,
 * the last word overlapping the one before (no read past the end). */
static unsigned int
h3_scan(const char *p, uint32_t len)
{
	unsigned int c = 0;
	uint32_t i, lo, hi;
	uint64_t x;

	if (len < 4) {
		for (i = 0; i < len; i++)
			c |= h3_cc[(uint8_t)p[i]];
		return c;
	}
	if (len < 8) {
		memcpy(&lo, p, sizeof(lo));
		memcpy(&hi, p + len - 4, sizeof(hi));
		return h3_scan_word((uint64_t)hi << 32 | lo);
	}
	for (i = 0; i + 8 < len; i += 8) {
		memcpy(&x, p + i, sizeof(x));
		c |= h3_scan_word(x);
	}
	memcpy(&x, p + len - 8, sizeof(x));
	return c | h3_scan_word(x);
}

/* A field value whose bytes' classes are cls: none bad, no whitespace at
 * either end (RFC 9110 5.5). */
static bool
h3_value_ok(const struct tq_qpack_field *f, unsigned int cls)
{
	if (cls & H3_C_VBAD)
		return false;
	return f->vlen == 0 || (f->value[0] != ' ' && f->value[0] != '\t' &&
			f->value[f->vlen - 1] != ' ' &&
			f->value[f->vlen - 1] != '\t');
}

static bool
h3_value_valid(const struct tq_qpack_field *f)
{
	return h3_value_ok(f, h3_scan(f->value, f->vlen));
}

/* RFC 9114 4.3.1: the request pseudo-header fields.  ps[]: :method,
 * :scheme, :authority, :path, and pcls[] their bytes' H3_C_ classes;
 * host: a Host field, if any. */
static bool
h3_request_valid(const struct tq_qpack_field *const *ps,
		const unsigned int *pcls, const struct tq_qpack_field *host)
{
	const struct tq_qpack_field *m = ps[0], *sc = ps[1], *a = ps[2];
	const struct tq_qpack_field *pa = ps[3];
	uint32_t i;

	if (!m || m->vlen == 0)
		return false;
	for (i = 0; i < m->vlen; i++)
		if (!h3_tchar[(uint8_t)m->value[i]] &&
				(unsigned int)(m->value[i] - 'A') >= 26u)
			return false;
	/* the deprecated userinfo (RFC 9114 4.3.1) */
	if (a && (a->vlen == 0 || (pcls[2] & H3_C_TBAD) ||
			memchr(a->value, '@', a->vlen)))
		return false;
	if (H3_EQ(m->value, m->vlen, "CONNECT"))
		return !sc && !pa && a;
	if (!sc || !pa || sc->vlen == 0)
		return false;
	if (!((unsigned int)((sc->value[0] | 0x20) - 'a') < 26u))
		return false;
	for (i = 1; i < sc->vlen; i++) {
		char c = sc->value[i];

		if (!((unsigned int)((c | 0x20) - 'a') < 26u) &&
				!(c >= '0' && c <= '9') && c != '+' &&
				c != '-' && c != '.')
			return false;
	}
	if (pa->vlen == 0 || (pcls[3] & H3_C_TBAD))
		return false;
	if (pa->value[0] != '/' && !(H3_EQ(pa->value, pa->vlen, "*") &&
			H3_EQ(m->value, m->vlen, "OPTIONS")))
		return false;
	/* http and https name a host: in :authority or Host, the same
	 * in both when both are there */
	if (H3_EQ(sc->value, sc->vlen, "https") ||
			H3_EQ(sc->value, sc->vlen, "http")) {
		if (!a && (!host || host->vlen == 0))
			return false;
	}
	if (a && host && (a->vlen != host->vlen ||
			memcmp(a->value, host->value, a->vlen) != 0))
		return false;
	return true;
}

/* RFC 9114 4.2: fields that are HTTP/1.1's connection options. */
static bool
h3_conn_specific(const struct tq_qpack_field *f)
{
	switch (f->nlen) {
	case 2:
		/* te: only "trailers" */
		return H3_EQ(f->name, f->nlen, "te") &&
			!H3_EQ(f->value, f->vlen, "trailers");
	case 7:
		return H3_EQ(f->name, f->nlen, "upgrade");
	case 10:
		return H3_EQ(f->name, f->nlen, "connection") ||
			H3_EQ(f->name, f->nlen, "keep-alive");
	case 16:
		return H3_EQ(f->name, f->nlen, "proxy-connection");
	case 17:
		return H3_EQ(f->name, f->nlen, "transfer-encoding");
	default:
		return false;
	}
}

/* A content-length value: -1 when not digits or past 2^62 (a QUIC
 * stream's most). */
static int64_t
h3_content_length(const struct tq_qpack_field *f)
{
	const uint64_t max = UINT64_C(1) << 62;
	uint64_t v = 0;
	uint32_t i;

	if (f->vlen == 0)
		return -1;
	for (i = 0; i < f->vlen; i++) {
		if (f->value[i] < '0' || f->value[i] > '9' || v > max / 10)
			return -1;
		v = v * 10 + (uint64_t)(f->value[i] - '0');
		if (v > max)
			return -1;
	}
	return (int64_t)v;
}

/* A stream error on an exchange the app may not have seen. */
static void
h3_msg_error(struct tq_h3_req *r, uint64_t code)
{
	if (!r->seen)
		H3_STAT(r->h, stream_errors, 1);
	tq_h3_finish(r, code, code);
}

/*
 * Keep a decoded head: the regular fields and every string in one block
 * of the exchange's, so spans stay valid after the scratch is reused.
 */
static int
h3_keep_head(struct tq_h3_req *r, const struct tq_qpack_field *qf,
		unsigned int n, const struct tq_qpack_field *const *ps,
		unsigned int nreg)
{
	struct tq_http_field *fields;
	struct tq_http_span *sp[4] = {
		&r->msg.method, &r->msg.scheme, &r->msg.authority,
		&r->msg.path,
	};
	size_t bytes = 0;
	unsigned int i, k = 0;
	char *s;

	/* every string NUL-terminated (not counted in its span), as
	 * nghttp3's were: an app may hand a value to strtol() */
	for (i = 0; i < n; i++)
		bytes += qf[i].nlen + qf[i].vlen + 2;
	tq_h3_head_free(r);
	r->head = tq_h3_alloc(r->h, sizeof(*fields) * nreg + bytes);
	if (!r->head)
		return -ENOMEM;
	fields = r->head;
	s = (char *)(fields + nreg);
	for (i = 0; i < 4; i++) {
		if (!ps[i])
			continue;
		memcpy(s, ps[i]->value, ps[i]->vlen);
		sp[i]->p = s;
		sp[i]->len = ps[i]->vlen;
		s += ps[i]->vlen;
		*s++ = '\0';
	}
	for (i = 0; i < n; i++) {
		if (qf[i].nlen && qf[i].name[0] == ':')
			continue;
		memcpy(s, qf[i].name, qf[i].nlen);
		fields[k].name.p = s;
		fields[k].name.len = qf[i].nlen;
		s += qf[i].nlen;
		*s++ = '\0';
		memcpy(s, qf[i].value, qf[i].vlen);
		fields[k].value.p = s;
		fields[k].value.len = qf[i].vlen;
		s += qf[i].vlen;
		*s++ = '\0';
		k++;
	}
	r->msg.fields = fields;
	r->msg.nfields = nreg;
	return 0;
}

/* The head is over the limits: a server answers 431, a client gives up. */
static void
h3_head_too_large(struct tq_h3_req *r)
{
	struct tq_h3_conn *h = r->h;

	if (h->server) {
		if (r->phase != H3_P_HEAD) {
			h3_msg_error(r, TQ_H3_EXCESSIVE_LOAD);
			return;
		}
		/* RFC 9114 4.2.2: refuse with 431; the app never sees it. */
		H3_STAT(h, requests, 1);
		r->responded = true;
		r->phase = H3_P_BODY;
		tq_h3_stat_status(h, 431);
		if (tq_h3_submit_response(r, 431, NULL, 0))
			tq_h3_finish(r, TQ_H3_INTERNAL_ERROR,
					TQ_H3_INTERNAL_ERROR);
		return;
	}
	if (r->phase == H3_P_HEAD)
		tq_h3_stat_status(h, 0);
	tq_h3_finish(r, TQ_H3_EXCESSIVE_LOAD, TQ_H3_EXCESSIVE_LOAD);
}

/* Trailers: no pseudo-header fields; kept from nobody (the API has no
 * trailers), checked all the same. */
static void
h3_trailers(struct tq_h3_req *r, const struct tq_qpack_field *qf,
		unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!h3_name_valid(&qf[i]) || !h3_value_valid(&qf[i]) ||
				h3_conn_specific(&qf[i])) {
			h3_msg_error(r, TQ_H3_MESSAGE_ERROR);
			return;
		}
	r->phase = H3_P_DONE;
}

/* One decoded head: check it against RFC 9114 4.1.2-4.3 and hand it to
 * the app. */
static void
h3_head(struct tq_h3_req *r, const struct tq_qpack_field *qf, unsigned int n)
{
	struct tq_h3_conn *h = r->h;
	const struct tq_qpack_field *ps[5] = { NULL, NULL, NULL, NULL, NULL };
	const struct tq_qpack_field *host = NULL;
	unsigned int pcls[5];
	int64_t cl = -1;
	unsigned int i, nreg = 0, st = 0;
	bool regular = false, bad = false;

	for (i = 0; i < n && !bad; i++) {
		const struct tq_qpack_field *f = &qf[i];
		int slot = -1;

		if (f->nlen && f->name[0] == ':') {
			if (regular) {
				bad = true;
			} else if (!h->server) {
				if (H3_EQ(f->name, f->nlen, ":status"))
					slot = 4;
			} else if (H3_EQ(f->name, f->nlen, ":method")) {
				slot = 0;
			} else if (H3_EQ(f->name, f->nlen, ":scheme")) {
				slot = 1;
			} else if (H3_EQ(f->name, f->nlen, ":authority")) {
				slot = 2;
			} else if (H3_EQ(f->name, f->nlen, ":path")) {
				slot = 3;
			}
			/* unknown (or :protocol, not enabled): malformed */
			if (slot < 0 || ps[slot]) {
				bad = true;
				continue;
			}
			pcls[slot] = h3_scan(f->value, f->vlen);
			if (!h3_value_ok(f, pcls[slot]))
				bad = true;
			else
				ps[slot] = f;
			continue;
		}
		regular = true;
		nreg++;
		if (!h3_name_valid(f) || !h3_value_valid(f) ||
				h3_conn_specific(f)) {
			bad = true;
		} else if (f->nlen == 4 && H3_EQ(f->name, f->nlen, "host")) {
			if (host)
				bad = true;
			host = f;
		} else if (H3_EQ(f->name, f->nlen, "content-length")) {
			int64_t v = h3_content_length(f);

			if (v < 0 || (cl >= 0 && v != cl))
				bad = true;
			cl = v;
		}
	}
	if (!bad && h->server) {
		bad = !h3_request_valid(ps, pcls, host);
	} else if (!bad) {
		const struct tq_qpack_field *status = ps[4];

		bad = !status || status->vlen != 3;
		for (i = 0; !bad && i < 3; i++) {
			char c = status->value[i];

			bad = c < '0' || c > '9';
			st = st * 10 + (unsigned int)(c - '0');
		}
		/* RFC 9114 4.5: no 101; RFC 9110 8.6: no content-length in
		 * a 1xx or 204 but 0 */
		bad = bad || st < 100 || st == 101 ||
			((st < 200 || st == 204) && cl > 0);
	}
	if (bad) {
		if (!h->server && r->phase == H3_P_HEAD)
			tq_h3_stat_status(h, 0);
		h3_msg_error(r, TQ_H3_MESSAGE_ERROR);
		return;
	}
	if (nreg > h->conf.max_fields) {
		h3_head_too_large(r);
		return;
	}
	if (h3_keep_head(r, qf, n, ps, nreg)) {
		tq_h3_conn_fail(h, TQ_H3_EXCESSIVE_LOAD);
		return;
	}
	r->msg.content_length = cl;
	if (h->server) {
		H3_STAT(h, requests, 1);
		r->seen = true;
		r->phase = H3_P_BODY;
	} else {
		r->msg.status = (uint16_t)st;
		tq_h3_stat_status(h, st);
		if (st == 204 || st == 304)
			r->no_body = true;
		if (st >= 200)
			r->phase = H3_P_BODY;
	}
	if (h->ops->headers)
		h->ops->headers(r, &r->msg, h->arg);
}

/* A HEADERS frame's payload, whole. */
static void
h3_headers(struct tq_h3_req *r, const uint8_t *p, size_t len)
{
	struct tq_h3_conn *h = r->h;
	unsigned int maxf = h->conf.max_fields + H3_PSEUDO_MAX;
	size_t fbytes = sizeof(struct tq_qpack_field) * maxf;
	struct tq_qpack_field *qf;
	char *buf;
	int n;

	qf = tq_h3_scratch(fbytes + h->conf.max_field_section);
	if (!qf) {
		tq_h3_conn_fail(h, TQ_H3_EXCESSIVE_LOAD);
		return;
	}
	buf = (char *)qf + fbytes;
	n = tq_qpack_decode(p, len, qf, maxf, h->conf.max_field_section,
			buf, h->conf.max_field_section);
	if (n == -EMSGSIZE) {
		h3_head_too_large(r);
		return;
	}
	if (n < 0) {
		tq_h3_conn_fail(h, TQ_QPACK_DECOMPRESSION_FAILED);
		return;
	}
	if (r->phase == H3_P_BODY)
		h3_trailers(r, qf, (unsigned int)n);
	else
		h3_head(r, qf, (unsigned int)n);
}

/* Body bytes: to the app, sharing the segment when it takes mbufs. */
static void
h3_data(struct tq_h3_req *r, const uint8_t *p, size_t len)
{
	struct tq_h3_conn *h = r->h;

	H3_STAT(h, body_rx, len);
	r->body_rx += len;
	/* a response to HEAD, a 204 or a 304 has no content (RFC 9110
	 * 6.4.1), whatever its content-length says */
	if ((r->no_body && len) || (r->msg.content_length >= 0 &&
			r->body_rx > (uint64_t)r->msg.content_length)) {
		h3_msg_error(r, TQ_H3_MESSAGE_ERROR);
		return;
	}
	if (!r->seen || r->done)
		return;
	if (h->ops->data_mbuf && h->cur_seg) {
		struct rte_mbuf *seg = h->cur_seg;
		struct rte_mbuf *m = rte_pktmbuf_alloc(seg->pool);

		if (m) {
			rte_pktmbuf_attach(m, seg);
			m->data_off = (uint16_t)(seg->data_off + (p -
					rte_pktmbuf_mtod(seg, const uint8_t *)));
			m->data_len = (uint16_t)len;
			m->pkt_len = (uint32_t)len;
			h->ops->data_mbuf(r, m, h->arg);
			return;
		}
	}
	if (h->ops->data)
		h->ops->data(r, p, len, h->arg);
	else if (h->ops->data_mbuf)
		tq_h3_finish(r, TQ_H3_INTERNAL_ERROR, TQ_H3_INTERNAL_ERROR);
}

/* ---- the control stream ---- */

static int
h3_settings(struct tq_h3_conn *h, const uint8_t *p, size_t len)
{
	struct tq_quic_rd rd;
	uint32_t seen = 0;

	tq_quic_rd_init(&rd, p, len);
	while (tq_quic_rd_left(&rd)) {
		uint64_t id, v;

		if (tq_quic_rd_varint(&rd, &id) < 0 ||
				tq_quic_rd_varint(&rd, &v) < 0)
			return TQ_H3_FRAME_ERROR;
		/* HTTP/2's settings have no place here (RFC 9114 7.2.4.1) */
		if (id >= 0x02 && id <= 0x05)
			return TQ_H3_SETTINGS_ERROR;
		if (id < 32) {
			if (seen & (1u << id))
				return TQ_H3_SETTINGS_ERROR;
			seen |= 1u << id;
		}
		/* ENABLE_CONNECT_PROTOCOL (RFC 9220), H3_DATAGRAM (RFC
		 * 9297): booleans */
		if ((id == 0x08 || id == 0x33) && v > 1)
			return TQ_H3_SETTINGS_ERROR;
	}
	/* The peer's QPACK table and field section size matter to an
	 * encoder that uses the table and to requests near the limit; we
	 * use no table, and a peer past its own limit answers for itself. */
	h->settings_rx = true;
	return 0;
}

static int
h3_goaway(struct tq_h3_conn *h, uint64_t id)
{
	struct tq_h3_req *r;

	/* A server's GOAWAY names a client-initiated bidirectional
	 * stream; either side's may only go down (RFC 9114 5.2). */
	if ((!h->server && id % 4 != 0) || id > h->goaway_id)
		return TQ_H3_ID_ERROR;
	h->goaway_id = id;
	h->goaway_rx = true;
	H3_STAT(h, goaways_rx, 1);
	if (h->ops->goaway)
		h->ops->goaway(h, (int64_t)id, h->arg);
	if (!h->server)
		for (r = h->reqs; r; r = r->next)
			if (r->kind == H3_REQ && (uint64_t)r->id >= id)
				tq_h3_finish(r, TQ_H3_REQUEST_REJECTED,
						TQ_H3_REQUEST_CANCELLED);
	return 0;
}

/* A control frame's payload, whole. */
static void
h3_control(struct tq_h3_req *r, const uint8_t *p, size_t len)
{
	struct tq_h3_conn *h = r->h;
	uint64_t code = 0, v = 0;
	struct tq_quic_rd rd;

	tq_quic_rd_init(&rd, p, len);
	if (r->ftype == H3_F_SETTINGS) {
		code = h3_settings(h, p, len);
	} else if (tq_quic_rd_varint(&rd, &v) < 0 || tq_quic_rd_left(&rd)) {
		code = TQ_H3_FRAME_ERROR;
	} else if (r->ftype == H3_F_GOAWAY) {
		code = h3_goaway(h, v);
	} else if (r->ftype == H3_F_CANCEL_PUSH) {
		/* We promise nothing and allow no pushes (RFC 9114
		 * 7.2.3). */
		code = TQ_H3_ID_ERROR;
	}
	/* MAX_PUSH_ID (a server's): we push nothing; noted, no more. */
	if (code)
		tq_h3_conn_fail(h, code);
}

/* ---- the frame reader ---- */

static bool
h3_h2_type(uint64_t t)
{
	/* HTTP/2's PRIORITY, PING, WINDOW_UPDATE, CONTINUATION */
	return t == 0x02 || t == 0x06 || t == 0x08 || t == 0x09;
}

/* A frame's type and length are in: where its payload goes. */
static uint64_t
h3_frame_begin(struct tq_h3_req *r)
{
	struct tq_h3_conn *h = r->h;
	uint64_t t = r->ftype;

	r->rxs = H3_RX_SKIP;
	if (r->kind == H3_PEER_UNI) {
		/* the control stream */
		if (!h->settings_rx && t != H3_F_SETTINGS)
			return TQ_H3_MISSING_SETTINGS;
		switch (t) {
		case H3_F_SETTINGS:
			if (h->settings_rx)
				return TQ_H3_FRAME_UNEXPECTED;
			if (r->fleft > H3_CTRL_MAX)
				return TQ_H3_EXCESSIVE_LOAD;
			r->rxs = H3_RX_GATHER;
			return 0;
		case H3_F_GOAWAY:
		case H3_F_CANCEL_PUSH:
		case H3_F_MAX_PUSH_ID:
			if (!h->server && t == H3_F_MAX_PUSH_ID)
				return TQ_H3_FRAME_UNEXPECTED;
			if (r->fleft > 8)
				return TQ_H3_FRAME_ERROR;
			r->rxs = H3_RX_GATHER;
			return 0;
		case H3_F_DATA:
		case H3_F_HEADERS:
		case H3_F_PUSH_PROMISE:
			return TQ_H3_FRAME_UNEXPECTED;
		default:
			return h3_h2_type(t) ? TQ_H3_FRAME_UNEXPECTED : 0;
		}
	}
	switch (t) {
	case H3_F_DATA:
		if (r->phase != H3_P_BODY)
			return TQ_H3_FRAME_UNEXPECTED;
		r->rxs = H3_RX_DATA;
		return 0;
	case H3_F_HEADERS:
		if (r->phase == H3_P_DONE)
			return TQ_H3_FRAME_UNEXPECTED;
		/* Encoded bigger than the limit decoded (Huffman codes
		 * printable text shorter): too large, without reading it
		 * into memory. */
		if (r->fleft > (uint64_t)h->conf.max_field_section + 1024) {
			r->too_large = true;
			return 0;
		}
		r->rxs = H3_RX_GATHER;
		return 0;
	case H3_F_PUSH_PROMISE:
		/* a client allows no pushes: any push id is past its
		 * limit (RFC 9114 7.2.5) */
		return h->server ? TQ_H3_FRAME_UNEXPECTED : TQ_H3_ID_ERROR;
	case H3_F_CANCEL_PUSH:
	case H3_F_SETTINGS:
	case H3_F_GOAWAY:
	case H3_F_MAX_PUSH_ID:
		return TQ_H3_FRAME_UNEXPECTED;
	default:
		return h3_h2_type(t) ? TQ_H3_FRAME_UNEXPECTED : 0;
	}
}

/* A gathered payload is complete: act on it. */
static void
h3_frame_end(struct tq_h3_req *r, const uint8_t *p, size_t len)
{
	if (r->kind == H3_PEER_UNI)
		h3_control(r, p, len);
	else
		h3_headers(r, p, len);
}

/* A peer's unidirectional stream says what it is. */
static uint64_t
h3_utype(struct tq_h3_req *r, uint64_t type)
{
	struct tq_h3_conn *h = r->h;
	struct tq_h3_req **slot;

	switch (type) {
	case H3_U_CONTROL:
		slot = &h->peer_ctrl;
		r->rxs = H3_RX_FHDR;
		break;
	case H3_U_ENCODER:
		slot = &h->peer_enc;
		r->rxs = H3_RX_QPACK;
		break;
	case H3_U_DECODER:
		slot = &h->peer_dec;
		r->rxs = H3_RX_QPACK;
		break;
	case H3_U_PUSH:
		/* Only servers push, and only when allowed: we allow
		 * none (RFC 9114 6.2.2). */
		return h->server ? TQ_H3_STREAM_CREATION_ERROR :
			TQ_H3_ID_ERROR;
	default:
		/* RFC 9114 6.2: not read, and the peer asked to stop. */
		if (r->st)
			tq_stream_shutdown_read(r->st,
					TQ_H3_STREAM_CREATION_ERROR);
		tq_h3_finish(r, 0, 0);
		return 0;
	}
	if (*slot)
		return TQ_H3_STREAM_CREATION_ERROR;
	*slot = r;
	return 0;
}

/* r->hdr holds count whole varints. */
static bool
h3_hdr_whole(const struct tq_h3_req *r, unsigned int count)
{
	unsigned int a;

	if (r->nhdr == 0)
		return false;
	a = (unsigned int)tq_quic_varint_len_of(r->hdr[0]);
	if (r->nhdr < a)
		return false;
	if (count == 1)
		return true;
	return r->nhdr > a &&
		r->nhdr >= a + tq_quic_varint_len_of(r->hdr[a]);
}

/*
 * Varints at the front of a frame (count of them: 1 for a stream type,
 * 2 for a frame's type and length), gathered in r->hdr when they come
 * split.  @return 1 with v[] filled, 0 when p ran out first.
 */
static int
h3_varints(struct tq_h3_req *r, const uint8_t **pp, size_t *plen,
		unsigned int count, uint64_t *v)
{
	struct tq_quic_rd rd;

	if (r->nhdr == 0) {
		/* the usual case: all of it here */
		tq_quic_rd_init(&rd, *pp, *plen);
		if (tq_quic_rd_varint(&rd, &v[0]) > 0 && (count == 1 ||
				tq_quic_rd_varint(&rd, &v[1]) > 0)) {
			*pp = rd.pos;
			*plen = tq_quic_rd_left(&rd);
			return 1;
		}
	}
	while (*plen && !h3_hdr_whole(r, count)) {
		r->hdr[r->nhdr++] = *(*pp)++;
		(*plen)--;
	}
	if (!h3_hdr_whole(r, count))
		return 0;
	tq_quic_rd_init(&rd, r->hdr, r->nhdr);
	tq_quic_rd_varint(&rd, &v[0]);
	if (count == 2)
		tq_quic_rd_varint(&rd, &v[1]);
	r->nhdr = 0;
	return 1;
}

/* Bytes of r's stream, in order.  @return -1 once r or the session is
 * done with them (the rest is dropped), else 0. */
static int
h3_input(struct tq_h3_req *r, const uint8_t *p, size_t len)
{
	struct tq_h3_conn *h = r->h;
	uint64_t v[2], code = 0;
	size_t n;

	while (len && !code) {
		if (r->done || h->closing || h->gone)
			return -1;
		switch (r->rxs) {
		case H3_RX_UTYPE:
			if (!h3_varints(r, &p, &len, 1, v))
				return 0;
			code = h3_utype(r, v[0]);
			break;
		case H3_RX_FHDR:
			if (!h3_varints(r, &p, &len, 2, v))
				return 0;
			r->ftype = v[0];
			r->fleft = v[1];
			code = h3_frame_begin(r);
			if (code || r->fleft)
				break;
			/* an empty payload: act on it now */
			if (r->rxs == H3_RX_GATHER)
				h3_frame_end(r, p, 0);
			else if (r->too_large)
				h3_head_too_large(r);
			r->rxs = H3_RX_FHDR;
			break;
		case H3_RX_DATA:
		case H3_RX_SKIP:
			n = (size_t)RTE_MIN((uint64_t)len, r->fleft);
			if (r->rxs == H3_RX_DATA)
				h3_data(r, p, n);
			p += n;
			len -= n;
			r->fleft -= n;
			if (!r->fleft) {
				r->rxs = H3_RX_FHDR;
				if (r->too_large) {
					r->too_large = false;
					h3_head_too_large(r);
				}
			}
			break;
		case H3_RX_GATHER:
			if (r->acc_len == 0 && len >= r->fleft) {
				/* whole in this segment: no copy */
				n = (size_t)r->fleft;
				r->rxs = H3_RX_FHDR;
				r->fleft = 0;
				h3_frame_end(r, p, n);
				p += n;
				len -= n;
				break;
			}
			if (r->acc_len + r->fleft > r->acc_cap ||
					!r->acc) {
				uint32_t cap = r->acc_len +
					(uint32_t)r->fleft;
				uint8_t *a = tq_h3_alloc(h, cap);

				if (!a) {
					code = TQ_H3_EXCESSIVE_LOAD;
					break;
				}
				if (r->acc_len)
					memcpy(a, r->acc, r->acc_len);
				tq_h3_free(h, r->acc);
				r->acc = a;
				r->acc_cap = cap;
			}
			n = (size_t)RTE_MIN((uint64_t)len, r->fleft);
			memcpy(r->acc + r->acc_len, p, n);
			r->acc_len += (uint32_t)n;
			r->fleft -= n;
			p += n;
			len -= n;
			if (!r->fleft) {
				uint8_t *a = r->acc;
				uint32_t al = r->acc_len;

				r->rxs = H3_RX_FHDR;
				r->acc = NULL;
				r->acc_len = 0;
				r->acc_cap = 0;
				h3_frame_end(r, a, al);
				tq_h3_free(h, a);
			}
			break;
		case H3_RX_QPACK:
			if ((r == h->peer_enc ?
					tq_qpack_enc_stream_input(&r->qp,
						p, len) :
					tq_qpack_dec_stream_input(&r->qp,
						p, len)) < 0)
				code = r == h->peer_enc ?
					TQ_QPACK_ENCODER_STREAM_ERROR :
					TQ_QPACK_DECODER_STREAM_ERROR;
			len = 0;
			break;
		}
	}
	if (code) {
		tq_h3_conn_fail(h, code);
		return -1;
	}
	return r->done || h->closing || h->gone ? -1 : 0;
}

/* The peer's FIN, after its last byte. */
static void
h3_input_fin(struct tq_h3_req *r)
{
	struct tq_h3_conn *h = r->h;

	if (r->kind == H3_PEER_UNI) {
		/* critical or not: h3_req_end() says */
		tq_h3_finish(r, 0, 0);
		return;
	}
	if (r->rxs != H3_RX_FHDR || r->nhdr) {
		/* RFC 9114 7.1: a frame cut short by the stream's end */
		tq_h3_conn_fail(h, TQ_H3_FRAME_ERROR);
		return;
	}
	if (r->phase == H3_P_HEAD) {
		h3_msg_error(r, h->server ? TQ_H3_REQUEST_INCOMPLETE :
				TQ_H3_MESSAGE_ERROR);
		return;
	}
	if (r->msg.content_length >= 0 && !r->no_body &&
			r->body_rx != (uint64_t)r->msg.content_length) {
		h3_msg_error(r, TQ_H3_MESSAGE_ERROR);
		return;
	}
	if (r->seen && !r->done && h->ops->end)
		h->ops->end(r, h->arg);
}

/*
 * Take what the transport has, segment by segment, without copying: the
 * reader parses in place and hands body bytes to the app as spans of the
 * segment, before the mbuf is freed.
 */
void
tq_h3_read_stream(struct tq_h3_req *r)
{
	struct tq_h3_conn *h = r->h;
	struct rte_mbuf *outer = h->cur_seg;

	/* A resume from inside r's own callback: the call reading r goes
	 * on by itself (reading here would take bytes ahead of the
	 * segment it is in). */
	if (r->reading)
		return;
	r->reading = true;
	while (r->st && !r->done && !r->paused && !h->closing && !h->gone &&
			!r->rd_fin) {
		struct rte_mbuf *m, *seg;
		int bad = 0;

		/* A few bytes (a request's head, a control frame) are
		 * copied out: cheaper than an indirect mbuf on the packet,
		 * made and freed, when the app takes no mbufs anyway. */
		if (!h->ops->data_mbuf &&
				tq_stream_readable(r->st) <= H3_READ_COPY) {
			uint8_t buf[H3_READ_COPY];
			int n = tq_stream_read(r->st, buf, sizeof(buf));

			if (n > 0) {
				h->cur_seg = NULL;
				if (h3_input(r, buf, (size_t)n))
					break;
				continue;
			}
			if (n == 0 || (n != -EAGAIN && tq_stream_eof(r->st))) {
				r->rd_fin = true;
				h3_input_fin(r);
			}
			break;
		}
		m = tq_stream_read_mbuf(r->st, H3_READ_MAX);
		if (!m) {
			if (tq_stream_eof(r->st)) {
				r->rd_fin = true;
				h3_input_fin(r);
			}
			break;
		}
		for (seg = m; seg && !bad; seg = seg->next) {
			if (!seg->data_len)
				continue;
			h->cur_seg = seg;
			bad = h3_input(r, rte_pktmbuf_mtod(seg,
					const uint8_t *), seg->data_len);
		}
		rte_pktmbuf_free(m);
		if (bad)
			break;
	}
	/* another exchange's segment, if this came from its callback */
	h->cur_seg = outer;
	r->reading = false;
	if (r->rd_fin && r->wr_fin && r->kind == H3_REQ)
		tq_h3_finish(r, 0, 0);
}
