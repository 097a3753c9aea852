/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP/3 messages (tachyon/tq_h3.h): requests, responses and their
 * bodies, on the session machinery of tq_h3.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tq_h3_priv.h"

/* ---- messages ---- */

/* The bytes of x in 'A'..'Z' have bit 7 set: exact per byte, each taken
 * to 7 bits first so that no carry or borrow crosses into the next. */
static inline uint64_t
h3_upper8(uint64_t x)
{
	uint64_t lo = x & H3_B8(0x7f);

	return (H3_B8(127 + 'Z' + 1) - lo) & ~x &
		(lo + H3_B8(127 - ('A' - 1))) & H3_B8(0x80);
}

/* RFC 9114 4.2: names in lower case (the encoder sends them as given);
 * a word at a time, the last one overlapping. */
static bool
h3_name_ok(const struct tq_http_span *n)
{
	uint64_t x, hit = 0;
	uint32_t i;

	if (n->len == 0)
		return false;
	if (n->len < 8) {
		for (i = 0; i < n->len; i++)
			if ((unsigned int)(n->p[i] - 'A') < 26u)
				return false;
		return true;
	}
	for (i = 0; i + 8 < n->len; i += 8) {
		memcpy(&x, n->p + i, sizeof(x));
		hit |= h3_upper8(x);
	}
	memcpy(&x, n->p + n->len - 8, sizeof(x));
	return (hit | h3_upper8(x)) == 0;
}

static void
h3_qf(struct tq_qpack_field *f, const char *name, size_t nlen,
		const char *value, size_t vlen)
{
	f->name = name;
	f->nlen = (uint32_t)nlen;
	f->value = value;
	f->vlen = (uint32_t)vlen;
}

static int
h3_fields_ok(const struct tq_http_field *fields, uint32_t nfields)
{
	uint32_t i;

	for (i = 0; i < nfields; i++)
		if (!h3_name_ok(&fields[i].name))
			return -EINVAL;
	return 0;
}

static int
h3_body_setup(struct tq_h3_req *r, const void *body, size_t len,
		unsigned int flags)
{
	if (flags & TQ_H3_BODY_STREAM) {
		if (body || len)
			return -EINVAL;
		r->ring_size = r->h->conf.body_buf;
		r->ring = tq_h3_alloc(r->h, r->ring_size);
		if (!r->ring)
			return -ENOMEM;
		r->stream_body = true;
	} else if (body && len) {
		r->body = body;
		r->body_len = len;
	}
	return 0;
}

int
tq_h3_submit_response(struct tq_h3_req *r, uint16_t status,
		const struct tq_http_field *fields, uint32_t nfields)
{
	struct tq_qpack_field pseudo;
	char sbuf[4];

	/* the names checked by the caller */
	sbuf[0] = (char)('0' + status / 100 % 10);
	sbuf[1] = (char)('0' + status / 10 % 10);
	sbuf[2] = (char)('0' + status % 10);
	h3_qf(&pseudo, ":status", 7, sbuf, 3);
	return tq_h3_out_headers(r, &pseudo, 1, fields, nfields);
}

int
tq_h3_respond(struct tq_h3_req *r, uint16_t status,
		const struct tq_http_field *fields, uint32_t nfields,
		const void *body, size_t len, unsigned int flags)
{
	struct tq_h3_conn *h = r->h;
	int rv;

	if (!h->server || status < 200 || status > 999)
		return -EINVAL;
	if (r->responded)
		return -EALREADY;
	if (r->done || !r->st || h->closing || h->gone)
		return -EPIPE;
	rv = h3_fields_ok(fields, nfields);
	if (rv)
		return rv;
	tq_h3_enter(h);
	rv = h3_body_setup(r, body, len, flags);
	if (rv == 0)
		rv = tq_h3_submit_response(r, status, fields, nfields);
	if (rv == 0) {
		r->responded = true;
		tq_h3_stat_status(h, status);
	}
	tq_h3_leave(h);
	return rv;
}

struct tq_h3_req *
tq_h3_client_request(struct tq_h3_conn *h, const char *method,
		const char *scheme, const char *authority, const char *path,
		const struct tq_http_field *fields, uint32_t nfields,
		const void *body, size_t len, unsigned int flags, void *udata,
		int *err)
{
	struct tq_qpack_field pseudo[4];
	struct tq_stream *st;
	struct tq_h3_req *r;
	int dummy, rv;

	if (!err)
		err = &dummy;
	if (h->server || !method || !authority || !path) {
		*err = -EINVAL;
		return NULL;
	}
	if (h->goaway_rx || h->shutting || h->closing || h->gone) {
		*err = -ESHUTDOWN;
		return NULL;
	}
	*err = h3_fields_ok(fields, nfields);
	if (*err)
		return NULL;
	if (!scheme)
		scheme = "https";
	h3_qf(&pseudo[0], ":method", 7, method, strlen(method));
	h3_qf(&pseudo[1], ":scheme", 7, scheme, strlen(scheme));
	h3_qf(&pseudo[2], ":authority", 10, authority, strlen(authority));
	h3_qf(&pseudo[3], ":path", 5, path, strlen(path));
	tq_h3_enter(h);
	st = tq_conn_stream_open(h->c, 0, NULL, NULL, err);
	r = st ? tq_h3_req_new(h, st, H3_REQ) : NULL;
	if (st && !r) {
		tq_stream_abort(st, TQ_H3_INTERNAL_ERROR);
		*err = -ENOMEM;
	}
	if (r) {
		r->udata = udata;
		r->seen = true;
		r->no_body = strcmp(method, "HEAD") == 0;
		rv = h3_body_setup(r, body, len, flags);
		if (rv == 0)
			rv = tq_h3_out_headers(r, pseudo, 4, fields, nfields);
		if (rv) {
			r->seen = false;
			tq_h3_finish(r, TQ_H3_INTERNAL_ERROR,
					TQ_H3_REQUEST_CANCELLED);
			*err = rv;
			r = NULL;
		} else {
			H3_STAT(h, requests, 1);
		}
	}
	tq_h3_leave(h);
	return r;
}

int
tq_h3_body_write(struct tq_h3_req *r, const void *buf, size_t len)
{
	struct tq_h3_conn *h = r->h;
	uint32_t space, off, n, k;

	if (!r->stream_body)
		return -EINVAL;
	if (r->body_eof || r->done || h->closing || h->gone)
		return -EPIPE;
	space = tq_h3_ring_space(r);
	n = (uint32_t)RTE_MIN((size_t)space, len);
	if (n < len)
		r->want_writable = true;
	if (n == 0)
		return 0;
	off = (uint32_t)(r->r_tail % r->ring_size);
	k = RTE_MIN(n, r->ring_size - off);
	memcpy(r->ring + off, buf, k);
	memcpy(r->ring, (const uint8_t *)buf + k, n - k);
	r->r_tail += n;
	tq_h3_enter(h);
	tq_h3_tx_want(r);
	tq_h3_leave(h);
	return (int)n;
}

int
tq_h3_body_end(struct tq_h3_req *r)
{
	struct tq_h3_conn *h = r->h;

	if (!r->stream_body)
		return -EINVAL;
	if (r->done || h->closing || h->gone)
		return -EPIPE;
	if (r->body_eof)
		return 0;
	r->body_eof = true;
	tq_h3_enter(h);
	tq_h3_tx_want(r);
	tq_h3_leave(h);
	return 0;
}

void
tq_h3_req_cancel(struct tq_h3_req *r, uint64_t code)
{
	struct tq_h3_conn *h = r->h;

	if (r->done)
		return;
	tq_h3_enter(h);
	if (!code)
		code = TQ_H3_REQUEST_CANCELLED;
	tq_h3_finish(r, code, code);
	tq_h3_leave(h);
}

void
tq_h3_req_pause(struct tq_h3_req *r, bool pause)
{
	struct tq_h3_conn *h = r->h;

	if (r->kind != H3_REQ || r->paused == pause)
		return;
	r->paused = pause;
	if (!pause && !r->done) {
		tq_h3_enter(h);
		tq_h3_read_stream(r);
		tq_h3_leave(h);
	}
}

int64_t
tq_h3_req_id(const struct tq_h3_req *r)
{
	return r->id;
}

struct tq_h3_conn *
tq_h3_req_conn(const struct tq_h3_req *r)
{
	return r->h;
}

void
tq_h3_req_set_udata(struct tq_h3_req *r, void *udata)
{
	r->udata = udata;
}

void *
tq_h3_req_udata(const struct tq_h3_req *r)
{
	return r->udata;
}
