/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The HTTP/1.1 parser (engine/http) alone: no host, no EAL.  Input:
 *
 *   [ctl][split hi][split lo][bytes...]
 *
 * ctl bit 0: response (else request); bits 1-2: the request a response
 * answers (GET, HEAD, CONNECT, GET); bit 3: small limits, so that every
 * limit is reached.  The bytes are parsed whole, then in two pieces cut
 * at split (mod their length), then (when short) one byte at a time,
 * each time as a caller would: it keeps what was not consumed and
 * presents it again with what arrives next.  All three must see the
 * same messages, the same body bytes and the same error; every event is
 * checked against the input and the limits.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <tachyon/tq_http.h>

#include "fuzz_common.h"

int tq_fuzz_http_one(const uint8_t *d, size_t n);

struct http_seen {
	uint64_t hash; /* FNV-1a over what the caller saw */
	unsigned int msgs;
	enum tq_http_error err;
};

static void
fz_hash(struct http_seen *s, const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		s->hash ^= b[i];
		s->hash *= 0x100000001b3ull;
	}
}

static void
fz_hash_head(struct http_seen *s, const struct tq_http_msg *m,
		const struct tq_http_limits *lim)
{
	struct tq_http_field f;
	uint32_t pos = 0, nf = 0;
	uint64_t v[6];

	FZ_CHECK(m->head.len <= lim->max_head, "head of %u bytes",
			m->head.len);
	FZ_CHECK(m->nfields <= lim->max_fields, "%u fields", m->nfields);
	FZ_CHECK(m->body != TQ_HTTP_BODY_LENGTH ||
			(m->content_length > 0 &&
			m->content_length <= lim->max_body),
			"Content-Length %llu",
			(unsigned long long)m->content_length);
	while (tq_http_field_next(m, &pos, &f)) {
		FZ_CHECK(f.name.p >= m->head.p && f.value.p + f.value.len <=
				m->head.p + m->head.len, "field out of head");
		nf++;
	}
	FZ_CHECK(nf == m->nfields, "walked %u fields of %u", nf, m->nfields);
	v[0] = m->status;
	v[1] = m->minor;
	v[2] = m->nfields;
	v[3] = m->body;
	v[4] = m->content_length;
	v[5] = (uint64_t)m->keep_alive << 1 | m->meth << 8;
	fz_hash(s, v, sizeof(v));
	fz_hash(s, m->head.p, m->head.len);
	fz_hash(s, "H", 1);
}

/* Parse in[0, n) arriving in pieces: cut[0..ncut) are where the
 * pieces end (the last is n). */
static void
fz_run(struct http_seen *s, const char *in, size_t n, const size_t *cut,
		size_t ncut, bool resp, enum tq_http_method expect,
		const struct tq_http_limits *lim)
{
	struct tq_http_parser p;
	struct tq_http_event ev;
	char *buf = malloc(n ? n : 1);
	size_t have = 0, off = 0, got = 0, c;
	int k;

	if (!buf)
		abort();
	memset(s, 0, sizeof(*s));
	s->hash = 0xcbf29ce484222325ull;
	tq_http_parser_init(&p, resp ? TQ_HTTP_RESPONSE : TQ_HTTP_REQUEST,
			lim);
	tq_http_parser_expect(&p, expect);
	for (c = 0; c < ncut; c++) {
		/* a buffer of exactly the bytes kept, so ASan sees reads
		 * past them */
		char *nb;

		have -= off;
		nb = malloc(have + (cut[c] - got) + 1);
		if (!nb)
			abort();
		memcpy(nb, buf + off, have);
		memcpy(nb + have, in + got, cut[c] - got);
		free(buf);
		buf = nb;
		have += cut[c] - got;
		got = cut[c];
		off = 0;
		for (;;) {
			k = tq_http_parse(&p, buf + off, have - off, &ev);
			if (k < 0) {
				FZ_CHECK(k == -EBADMSG, "parse returned %d", k);
				FZ_CHECK(p.error > TQ_HTTP_E_NONE &&
					p.error < TQ_HTTP_E_MAX,
					"error %d", p.error);
				s->err = p.error;
				free(buf);
				return;
			}
			FZ_CHECK((size_t)k <= have - off, "consumed %d of %zu",
					k, have - off);
			if (ev.type == TQ_HTTP_EV_HEAD) {
				fz_hash_head(s, &p.msg, lim);
				FZ_CHECK(p.msg.head.p >= buf + off &&
					p.msg.head.p + p.msg.head.len <=
					buf + off + k, "head out of input");
			} else if (ev.type == TQ_HTTP_EV_BODY) {
				FZ_CHECK(ev.data >= buf + off &&
					ev.data + ev.len <= buf + off + k,
					"body span out of input");
				FZ_CHECK(p.body_total <= lim->max_body,
					"body of %llu bytes",
					(unsigned long long)p.body_total);
				fz_hash(s, ev.data, ev.len);
			} else if (ev.type == TQ_HTTP_EV_DONE) {
				fz_hash(s, "D", 1);
				s->msgs++;
			}
			off += (size_t)k;
			if (ev.type == TQ_HTTP_EV_NEED_MORE)
				break;
		}
	}
	if (tq_http_parse_eof(&p, &ev) < 0) {
		s->err = p.error;
	} else if (ev.type == TQ_HTTP_EV_DONE) {
		fz_hash(s, "E", 1);
		s->msgs++;
	}
	free(buf);
}

static void
fz_same(const struct http_seen *a, const struct http_seen *b, const char *how)
{
	FZ_CHECK(a->hash == b->hash && a->msgs == b->msgs && a->err == b->err,
			"%s: %u messages, error %d; whole: %u, error %d", how,
			b->msgs, b->err, a->msgs, a->err);
}

int
tq_fuzz_http_one(const uint8_t *d, size_t n)
{
	static const enum tq_http_method expect[] = { TQ_HTTP_M_GET,
		TQ_HTTP_M_HEAD, TQ_HTTP_M_CONNECT, TQ_HTTP_M_GET };
	struct tq_http_limits lim = { TQ_HTTP_DEFAULT_MAX_HEAD,
		TQ_HTTP_DEFAULT_MAX_FIELDS, TQ_HTTP_DEFAULT_MAX_BODY };
	struct http_seen whole, split;
	const char *in;
	size_t cut[2], i, *cuts;
	bool resp;
	enum tq_http_method m;

	if (n < 3)
		return 0;
	resp = d[0] & 1;
	m = expect[(d[0] >> 1) & 3];
	if (d[0] & 8) {
		lim.max_head = 256;
		lim.max_fields = 8;
		lim.max_body = 1000;
	}
	cut[0] = (size_t)(d[1] << 8 | d[2]);
	in = (const char *)d + 3;
	n -= 3;
	cut[0] = n ? cut[0] % (n + 1) : 0;
	cut[1] = n;

	fz_run(&whole, in, n, cut + 1, 1, resp, m, &lim);
	fz_run(&split, in, n, cut, 2, resp, m, &lim);
	fz_same(&whole, &split, "split");
	if (n <= 2048) {
		cuts = malloc((n ? n : 1) * sizeof(*cuts));
		if (!cuts)
			abort();
		for (i = 0; i < n; i++)
			cuts[i] = i + 1;
		fz_run(&split, in, n, cuts, n, resp, m, &lim);
		free(cuts);
		fz_same(&whole, &split, "byte at a time");
	}
	return 0;
}

#ifndef TQ_FUZZ_NO_ENTRY
/* No host to build: the parser needs no EAL. */
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	return tq_fuzz_http_one(d, n);
}
#endif
