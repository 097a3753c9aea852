/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP/1.1 message parser (RFC 9112).
 *
 * The head is found first (a memchr() walk for the empty line, resumed
 * where the last call stopped), then validated in one pass over the
 * contiguous bytes: the spans handed out need no copies and no
 * callbacks, and a head is bounded by max_head anyway.  Body framing is
 * a byte-at-a-time state machine, so chunk lines and trailers may be
 * split anywhere and body bytes are never held.
 *
 * Leniency is where RFC 9112 allows it and smuggling does not follow:
 * empty lines before a message are skipped (2.2) and a head line may end
 * in a bare LF (2.2), but chunk framing needs CRLF, a bare CR anywhere is
 * an error, and obs-fold and whitespace before a colon are refused (5.1,
 * 5.2).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <tachyon/tq_http.h>

#include "tq_http_priv.h"

enum {
	S_IDLE,	     /* before a message: empty lines skipped */
	S_HEAD,	     /* part of a head seen, its end not yet */
	S_BODY_LEN,  /* Content-Length bytes */
	S_BODY_CLOSE, /* until the input ends */
	S_CHUNKED,   /* chunk framing, data and trailers (cstate) */
	S_MSG_END,   /* the message is complete: DONE is next */
	S_END,	     /* after a 101 or a 2xx to CONNECT: not HTTP any more */
	S_ERROR,
};

enum {
	C_SIZE0,   /* first hex digit of a chunk size */
	C_SIZE,	   /* more hex digits */
	C_SIZE_WS, /* BWS after the size: only ';' may follow */
	C_EXT,	   /* chunk extensions: skipped up to CR */
	C_SIZE_LF,
	C_DATA,
	C_DATA_CR,
	C_DATA_LF,
	C_TRAILER, /* start of a trailer line */
	C_TNAME,
	C_TVALUE,
	C_TLF,
	C_END_LF,  /* LF of the empty line ending the trailers */
};

/* RFC 9110 5.6.2 tchar */
const uint8_t tq_http_tchar[256] = {
	['0' ... '9'] = 1, ['a' ... 'z'] = 1, ['A' ... 'Z'] = 1,
	['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1,
	['*'] = 1, ['+'] = 1, ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1,
	['`'] = 1, ['|'] = 1, ['~'] = 1,
};

/* RFC 9110 5.5 field-value octets: HTAB, SP, VCHAR, obs-text. */
const uint8_t tq_http_vchar[256] = {
	['\t'] = 1, [' ' ... '~'] = 1, [0x80 ... 0xff] = 1,
};

static int
fail(struct tq_http_parser *p, enum tq_http_error e)
{
	p->state = S_ERROR;
	p->error = e;
	return -EBADMSG;
}

void
tq_http_parser_init(struct tq_http_parser *p, enum tq_http_kind kind,
		const struct tq_http_limits *lim)
{
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	if (lim)
		p->lim = *lim;
	if (!p->lim.max_head)
		p->lim.max_head = TQ_HTTP_DEFAULT_MAX_HEAD;
	if (!p->lim.max_fields)
		p->lim.max_fields = TQ_HTTP_DEFAULT_MAX_FIELDS;
	if (!p->lim.max_body)
		p->lim.max_body = TQ_HTTP_DEFAULT_MAX_BODY;
	p->state = S_IDLE;
}

void
tq_http_parser_expect(struct tq_http_parser *p, enum tq_http_method m)
{
	p->resp_no_body = m == TQ_HTTP_M_HEAD;
	p->resp_connect = m == TQ_HTTP_M_CONNECT;
}

bool
tq_http_parser_idle(const struct tq_http_parser *p)
{
	return p->state == S_IDLE;
}

static bool
span_is(const char *s, size_t len, const char *lit, size_t litlen)
{
	return len == litlen && strncasecmp(s, lit, len) == 0;
}
#define SPAN_IS(s, len, lit) span_is(s, len, lit, sizeof(lit) - 1)

static enum tq_http_method
method_of(const char *m, uint32_t n)
{
	switch (n) {
	case 3:
		if (memcmp(m, "GET", 3) == 0)
			return TQ_HTTP_M_GET;
		if (memcmp(m, "PUT", 3) == 0)
			return TQ_HTTP_M_PUT;
		break;
	case 4:
		if (memcmp(m, "HEAD", 4) == 0)
			return TQ_HTTP_M_HEAD;
		if (memcmp(m, "POST", 4) == 0)
			return TQ_HTTP_M_POST;
		break;
	case 5:
		if (memcmp(m, "TRACE", 5) == 0)
			return TQ_HTTP_M_TRACE;
		if (memcmp(m, "PATCH", 5) == 0)
			return TQ_HTTP_M_PATCH;
		break;
	case 6:
		if (memcmp(m, "DELETE", 6) == 0)
			return TQ_HTTP_M_DELETE;
		break;
	case 7:
		if (memcmp(m, "CONNECT", 7) == 0)
			return TQ_HTTP_M_CONNECT;
		if (memcmp(m, "OPTIONS", 7) == 0)
			return TQ_HTTP_M_OPTIONS;
		break;
	}
	return TQ_HTTP_M_OTHER;
}

/*
 * End of the head in b[0, n): the offset just past the empty line, or 0
 * when it is not all there; *scan is where the next search resumes (an
 * LF whose next bytes are not known yet is looked at again).
 */
static size_t
head_end(const char *b, size_t n, uint32_t *scan)
{
	size_t i = *scan;
	const char *lf;

	while (i < n && (lf = memchr(b + i, '\n', n - i)) != NULL) {
		i = (size_t)(lf - b);
		if (i + 1 < n && b[i + 1] == '\n')
			return i + 2;
		if (i + 2 < n && b[i + 1] == '\r' && b[i + 2] == '\n')
			return i + 3;
		if (i + 1 >= n || (i + 2 >= n && b[i + 1] == '\r')) {
			*scan = (uint32_t)i;
			return 0;
		}
		i++;
	}
	*scan = (uint32_t)n;
	return 0;
}

/* "HTTP/" DIGIT "." DIGIT at v (8 bytes known to be there). */
static int
version(struct tq_http_parser *p, const char *v)
{
	if (memcmp(v, "HTTP/", 5) != 0 || v[5] < '0' || v[5] > '9' ||
			v[6] != '.' || v[7] < '0' || v[7] > '9')
		return fail(p, TQ_HTTP_E_SYNTAX);
	if (v[5] != '1')
		return fail(p, TQ_HTTP_E_VERSION);
	p->msg.minor = (uint8_t)(v[7] - '0');
	return 0;
}

/* RFC 9112 3: method SP request-target SP HTTP-version */
static int
request_line(struct tq_http_parser *p, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	struct tq_http_msg *m = &p->msg;
	size_t i = 0, t0;

	while (i < len && tq_http_tchar[u[i]])
		i++;
	if (i == 0 || i >= len || s[i] != ' ')
		return fail(p, TQ_HTTP_E_SYNTAX);
	m->method.p = s;
	m->method.len = (uint32_t)i;
	m->meth = method_of(s, (uint32_t)i);
	t0 = ++i;
	while (i < len && u[i] > 0x20 && u[i] < 0x7f)
		i++;
	if (i == t0 || i >= len || s[i] != ' ')
		return fail(p, TQ_HTTP_E_SYNTAX);
	m->target.p = s + t0;
	m->target.len = (uint32_t)(i - t0);
	i++;
	if (len - i != 8)
		return fail(p, TQ_HTTP_E_SYNTAX);
	return version(p, s + i);
}

/* RFC 9112 4: HTTP-version SP 3DIGIT SP [ reason-phrase ] (the last SP
 * is optional here, as in most clients). */
static int
status_line(struct tq_http_parser *p, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	struct tq_http_msg *m = &p->msg;
	size_t i;
	int ret;

	if (len < 12 || s[8] != ' ')
		return fail(p, TQ_HTTP_E_SYNTAX);
	ret = version(p, s);
	if (ret)
		return ret;
	for (i = 9; i < 12; i++)
		if (s[i] < '0' || s[i] > '9')
			return fail(p, TQ_HTTP_E_SYNTAX);
	m->status = (uint16_t)((s[9] - '0') * 100 + (s[10] - '0') * 10 +
			(s[11] - '0'));
	if (m->status < 100)
		return fail(p, TQ_HTTP_E_STATUS);
	if (len == 12)
		return 0;
	if (s[12] != ' ')
		return fail(p, TQ_HTTP_E_SYNTAX);
	for (i = 13; i < len; i++)
		if (!tq_http_vchar[u[i]])
			return fail(p, TQ_HTTP_E_SYNTAX);
	m->reason.p = s + 13;
	m->reason.len = (uint32_t)(len - 13);
	return 0;
}

/* What the framing fields of one head said. */
struct framing {
	bool cl, te, te_chunked_last, te_twice, close, ka;
	unsigned int hosts;
};

/* Trim OWS (SP, HTAB) at both ends of v[*a, *b). */
static void
ows_trim(const char *v, size_t *a, size_t *b)
{
	while (*a < *b && (v[*a] == ' ' || v[*a] == '\t'))
		(*a)++;
	while (*b > *a && (v[*b - 1] == ' ' || v[*b - 1] == '\t'))
		(*b)--;
}

/* Content-Length: 1*DIGIT, or a list of them that must all agree
 * (RFC 9112 6.3 item 5).  Too large a number saturates, and is then
 * over any max_body. */
static int
content_length(struct tq_http_parser *p, struct framing *f, const char *v,
		size_t len)
{
	size_t i = 0, a, b;
	uint64_t n;

	while (i <= len) {
		a = i;
		while (i < len && v[i] != ',')
			i++;
		b = i++;
		ows_trim(v, &a, &b);
		if (a == b)
			return fail(p, TQ_HTTP_E_CONTENT_LENGTH);
		n = 0;
		for (; a < b; a++) {
			unsigned int d = (unsigned char)v[a] - '0';

			if (d > 9)
				return fail(p, TQ_HTTP_E_CONTENT_LENGTH);
			if (n > (UINT64_MAX - d) / 10)
				n = UINT64_MAX;
			else
				n = n * 10 + d;
		}
		if (f->cl && n != p->msg.content_length)
			return fail(p, TQ_HTTP_E_CONTENT_LENGTH);
		f->cl = true;
		p->msg.content_length = n;
	}
	return 0;
}

/* Transfer-Encoding: a list of codings with parameters (RFC 9112 7).
 * Only chunked is decoded; the others are known and left on. */
static int
transfer_encoding(struct tq_http_parser *p, struct framing *f, const char *v,
		size_t len)
{
	const unsigned char *u = (const unsigned char *)v;
	size_t i = 0, a, b, t;

	while (i <= len) {
		a = i;
		while (i < len && v[i] != ',')
			i++;
		b = i++;
		ows_trim(v, &a, &b);
		if (a == b)
			continue; /* empty list elements (RFC 9110 5.6.1) */
		for (t = a; t < b && tq_http_tchar[u[t]]; t++)
			;
		if (t == a)
			return fail(p, TQ_HTTP_E_TRANSFER_ENCODING);
		f->te = true;
		if (SPAN_IS(v + a, t - a, "chunked")) {
			if (t != b)
				/* chunked takes no parameters */
				return fail(p, TQ_HTTP_E_TRANSFER_ENCODING);
			if (f->te_chunked_last)
				f->te_twice = true;
			f->te_chunked_last = true;
			continue;
		}
		if (!SPAN_IS(v + a, t - a, "gzip") &&
				!SPAN_IS(v + a, t - a, "x-gzip") &&
				!SPAN_IS(v + a, t - a, "deflate") &&
				!SPAN_IS(v + a, t - a, "compress") &&
				!SPAN_IS(v + a, t - a, "x-compress"))
			return fail(p, TQ_HTTP_E_CODING);
		if (f->te_chunked_last)
			f->te_twice = true; /* a coding after chunked */
		f->te_chunked_last = false;
		p->msg.other_coding = true;
	}
	if (!f->te)
		return fail(p, TQ_HTTP_E_TRANSFER_ENCODING);
	return 0;
}

/* Connection options (RFC 9110 7.6.1): a token list. */
static void
connection(struct tq_http_parser *p, struct framing *f, const char *v,
		size_t len)
{
	size_t i = 0, a, b;

	while (i <= len) {
		a = i;
		while (i < len && v[i] != ',')
			i++;
		b = i++;
		ows_trim(v, &a, &b);
		if (SPAN_IS(v + a, b - a, "close"))
			f->close = true;
		else if (SPAN_IS(v + a, b - a, "keep-alive"))
			f->ka = true;
		else if (SPAN_IS(v + a, b - a, "upgrade"))
			p->msg.upgrade = true;
	}
}

static int
field(struct tq_http_parser *p, struct framing *f, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n, a, b;
	int ret = 0;

	if (s[0] == ' ' || s[0] == '\t')
		return fail(p, TQ_HTTP_E_FOLD);
	while (i < len && tq_http_tchar[u[i]])
		i++;
	if (i == 0 || i >= len || s[i] != ':')
		return fail(p, TQ_HTTP_E_SYNTAX);
	n = i;
	a = i + 1;
	b = len;
	for (i = a; i < b; i++)
		if (!tq_http_vchar[u[i]])
			return fail(p, TQ_HTTP_E_SYNTAX);
	if (++p->msg.nfields > p->lim.max_fields)
		return fail(p, TQ_HTTP_E_TOO_MANY_FIELDS);
	ows_trim(s, &a, &b);
	switch (n) {
	case 4:
		if (SPAN_IS(s, n, "host"))
			f->hosts++;
		break;
	case 6:
		if (SPAN_IS(s, n, "expect") &&
				SPAN_IS(s + a, b - a, "100-continue"))
			p->msg.expect_continue = true;
		break;
	case 10:
		if (SPAN_IS(s, n, "connection"))
			connection(p, f, s + a, b - a);
		break;
	case 14:
		if (SPAN_IS(s, n, "content-length"))
			ret = content_length(p, f, s + a, b - a);
		break;
	case 17:
		if (SPAN_IS(s, n, "transfer-encoding"))
			ret = transfer_encoding(p, f, s + a, b - a);
		break;
	}
	return ret;
}

/* RFC 9112 6.3: how the body of this message is delimited. */
static int
body_length(struct tq_http_parser *p, struct framing *f)
{
	struct tq_http_msg *m = &p->msg;

	if (p->kind == TQ_HTTP_REQUEST) {
		if (f->hosts > 1)
			return fail(p, TQ_HTTP_E_HOST);
		m->has_host = f->hosts == 1;
		if (f->te) {
			/* 6.1: chunked must be last, once; an HTTP/1.0
			 * message with Transfer-Encoding is faulty. */
			if (!f->te_chunked_last || f->te_twice ||
					m->minor == 0)
				return fail(p, TQ_HTTP_E_TRANSFER_ENCODING);
			m->body = TQ_HTTP_BODY_CHUNKED;
		} else if (f->cl && m->content_length) {
			m->body = TQ_HTTP_BODY_LENGTH;
		} else {
			m->body = TQ_HTTP_BODY_NONE;
		}
	} else if ((m->status >= 100 && m->status < 200) || m->status == 204 ||
			m->status == 304 || p->resp_no_body ||
			(p->resp_connect && m->status / 100 == 2)) {
		m->body = TQ_HTTP_BODY_NONE;
	} else if (f->te) {
		m->body = f->te_chunked_last && !f->te_twice ?
			TQ_HTTP_BODY_CHUNKED : TQ_HTTP_BODY_TO_CLOSE;
	} else if (f->cl) {
		m->body = m->content_length ? TQ_HTTP_BODY_LENGTH :
			TQ_HTTP_BODY_NONE;
	} else {
		m->body = TQ_HTTP_BODY_TO_CLOSE;
	}
	if (m->body == TQ_HTTP_BODY_LENGTH &&
			m->content_length > p->lim.max_body)
		return fail(p, TQ_HTTP_E_BODY_TOO_LARGE);
	if (f->te && f->cl) {
		/* 6.3 item 3: Transfer-Encoding wins, and the connection
		 * cannot be trusted after this message. */
		m->te_and_cl = true;
		if (m->body == TQ_HTTP_BODY_LENGTH)
			m->body = TQ_HTTP_BODY_TO_CLOSE;
	}
	if (m->body != TQ_HTTP_BODY_LENGTH)
		m->content_length = 0;
	/* 9.3: 1.1 persists unless "close"; 1.0 only with "keep-alive". */
	m->keep_alive = !f->close && (m->minor >= 1 || f->ka) &&
		!m->te_and_cl && m->body != TQ_HTTP_BODY_TO_CLOSE;
	if (p->kind == TQ_HTTP_RESPONSE && m->status == 101) {
		m->upgrade = true;
		m->keep_alive = false;
	}
	return 0;
}

/* Validate a whole head b[0, n) and fill p->msg. */
static int
parse_head(struct tq_http_parser *p, const char *b, size_t n)
{
	const char *s = b, *e = b + n, *lf;
	struct framing f = { 0 };
	size_t len;
	bool first = true;
	int ret;

	memset(&p->msg, 0, sizeof(p->msg));
	p->msg.head.p = b;
	p->msg.head.len = (uint32_t)n;
	while ((lf = memchr(s, '\n', (size_t)(e - s))) != NULL) {
		len = (size_t)(lf - s);
		if (len && s[len - 1] == '\r')
			len--;
		if (len == 0)
			break;
		if (first)
			ret = p->kind == TQ_HTTP_REQUEST ?
				request_line(p, s, len) :
				status_line(p, s, len);
		else
			ret = field(p, &f, s, len);
		if (ret)
			return ret;
		first = false;
		s = lf + 1;
	}
	if (first)
		return fail(p, TQ_HTTP_E_SYNTAX);
	return body_length(p, &f);
}

/* The message is complete: report it and get ready for the next. */
static int
msg_done(struct tq_http_parser *p, size_t used, struct tq_http_event *ev)
{
	const struct tq_http_msg *m = &p->msg;

	ev->type = TQ_HTTP_EV_DONE;
	p->state = S_IDLE;
	if (p->kind == TQ_HTTP_RESPONSE) {
		if (m->status == 101 ||
				(p->resp_connect && m->status / 100 == 2))
			p->state = S_END;
		/* an interim response: the final one answers the same */
		if (m->status >= 200)
			p->resp_no_body = p->resp_connect = false;
	}
	return (int)used;
}

/* Start of a body, right after its head. */
static void
body_start(struct tq_http_parser *p)
{
	p->body_total = 0;
	p->trailer_bytes = p->trailer_fields = 0;
	p->line = 0;
	switch (p->msg.body) {
	case TQ_HTTP_BODY_NONE:
		p->state = S_MSG_END;
		break;
	case TQ_HTTP_BODY_LENGTH:
		p->remain = p->msg.content_length;
		p->state = S_BODY_LEN;
		break;
	case TQ_HTTP_BODY_CHUNKED:
		p->cstate = C_SIZE0;
		p->remain = 0;
		p->state = S_CHUNKED;
		break;
	case TQ_HTTP_BODY_TO_CLOSE:
		p->state = S_BODY_CLOSE;
		break;
	}
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Trailer bytes are bounded like a head. */
static int
trailer_byte(struct tq_http_parser *p)
{
	if (++p->trailer_bytes > p->lim.max_head)
		return fail(p, TQ_HTTP_E_TRAILER_TOO_LARGE);
	return 0;
}

/* RFC 9112 7.1: chunk framing, byte by byte up to the next data. */
static int
chunked(struct tq_http_parser *p, const char *buf, size_t len,
		struct tq_http_event *ev)
{
	const unsigned char *u = (const unsigned char *)buf;
	size_t i = 0;
	uint32_t take;
	int h;

	while (i < len) {
		unsigned char c = u[i];

		switch (p->cstate) {
		case C_SIZE0:
			h = hexval(c);
			if (h < 0)
				return fail(p, TQ_HTTP_E_CHUNK);
			p->remain = (uint64_t)h;
			p->line = 1;
			p->cstate = C_SIZE;
			i++;
			continue;
		case C_DATA:
			take = (uint32_t)HTTP_MIN(p->remain,
					(uint64_t)(len - i));
			p->remain -= take;
			p->body_total += take;
			if (!p->remain)
				p->cstate = C_DATA_CR;
			ev->type = TQ_HTTP_EV_BODY;
			ev->data = buf + i;
			ev->len = take;
			return (int)(i + take);
		case C_SIZE:
			h = hexval(c);
			if (h >= 0) {
				if (p->remain > UINT64_MAX >> 4)
					return fail(p, TQ_HTTP_E_CHUNK_SIZE);
				p->remain = p->remain << 4 | (uint64_t)h;
			} else if (c == ';') {
				p->cstate = C_EXT;
			} else if (c == ' ' || c == '\t') {
				p->cstate = C_SIZE_WS;
			} else if (c == '\r') {
				p->cstate = C_SIZE_LF;
			} else {
				return fail(p, TQ_HTTP_E_CHUNK);
			}
			break;
		case C_SIZE_WS:
			if (c == ';')
				p->cstate = C_EXT;
			else if (c != ' ' && c != '\t')
				return fail(p, TQ_HTTP_E_CHUNK);
			break;
		case C_EXT:
			if (c == '\r')
				p->cstate = C_SIZE_LF;
			else if (!tq_http_vchar[c])
				return fail(p, TQ_HTTP_E_CHUNK);
			break;
		case C_SIZE_LF:
			if (c != '\n')
				return fail(p, TQ_HTTP_E_CHUNK);
			if (p->remain == 0) {
				p->cstate = C_TRAILER;
			} else {
				if (p->remain > p->lim.max_body - p->body_total)
					return fail(p,
						TQ_HTTP_E_BODY_TOO_LARGE);
				p->cstate = C_DATA;
			}
			i++;
			continue;
		case C_DATA_CR:
			if (c != '\r')
				return fail(p, TQ_HTTP_E_CHUNK);
			p->cstate = C_DATA_LF;
			i++;
			continue;
		case C_DATA_LF:
			if (c != '\n')
				return fail(p, TQ_HTTP_E_CHUNK);
			p->cstate = C_SIZE0;
			i++;
			continue;
		case C_TRAILER:
			if (trailer_byte(p))
				return -EBADMSG;
			i++;
			if (c == '\r') {
				p->cstate = C_END_LF;
			} else if (c == '\n') {
				return msg_done(p, i, ev);
			} else if (c == ' ' || c == '\t') {
				return fail(p, TQ_HTTP_E_FOLD);
			} else if (tq_http_tchar[c]) {
				if (++p->trailer_fields > p->lim.max_fields)
					return fail(p,
						TQ_HTTP_E_TRAILER_TOO_LARGE);
				p->cstate = C_TNAME;
			} else {
				return fail(p, TQ_HTTP_E_CHUNK);
			}
			continue;
		case C_TNAME:
			if (trailer_byte(p))
				return -EBADMSG;
			if (c == ':')
				p->cstate = C_TVALUE;
			else if (!tq_http_tchar[c])
				return fail(p, TQ_HTTP_E_CHUNK);
			i++;
			continue;
		case C_TVALUE:
			if (trailer_byte(p))
				return -EBADMSG;
			if (c == '\r')
				p->cstate = C_TLF;
			else if (c == '\n')
				p->cstate = C_TRAILER;
			else if (!tq_http_vchar[c])
				return fail(p, TQ_HTTP_E_CHUNK);
			i++;
			continue;
		case C_TLF:
			if (trailer_byte(p))
				return -EBADMSG;
			if (c != '\n')
				return fail(p, TQ_HTTP_E_CHUNK);
			p->cstate = C_TRAILER;
			i++;
			continue;
		case C_END_LF:
			if (c != '\n')
				return fail(p, TQ_HTTP_E_CHUNK);
			return msg_done(p, i + 1, ev);
		}
		/* the chunk-size line: size and extensions, bounded */
		if (++p->line > TQ_HTTP_MAX_CHUNK_LINE)
			return fail(p, TQ_HTTP_E_CHUNK);
		i++;
	}
	ev->type = TQ_HTTP_EV_NEED_MORE;
	return (int)len;
}

int
tq_http_parse(struct tq_http_parser *p, const char *buf, size_t len,
		struct tq_http_event *ev)
{
	size_t skip = 0, end, take;

	ev->type = TQ_HTTP_EV_NEED_MORE;
	ev->data = NULL;
	ev->len = 0;
	/* what is consumed must fit the return value */
	len = HTTP_MIN(len, (size_t)INT32_MAX);
	switch (p->state) {
	case S_IDLE:
		/* RFC 9112 2.2: empty lines before a request are ignored
		 * (responses too: the same leniency costs nothing). */
		while (skip < len && (buf[skip] == '\r' || buf[skip] == '\n'))
			skip++;
		if (skip == len)
			return (int)skip;
		p->scan = 0;
		p->state = S_HEAD;
		/* fall through */
	case S_HEAD:
		/* A head that fits ends within max_head bytes: looking
		 * further would only cost time. */
		end = head_end(buf + skip, HTTP_MIN(len - skip,
				(size_t)p->lim.max_head), &p->scan);
		if (!end && len - skip >= p->lim.max_head)
			return fail(p, TQ_HTTP_E_HEAD_TOO_LARGE);
		if (!end)
			return (int)skip;
		if (parse_head(p, buf + skip, end))
			return -EBADMSG;
		body_start(p);
		ev->type = TQ_HTTP_EV_HEAD;
		return (int)(skip + end);
	case S_BODY_LEN:
		if (!len)
			return 0;
		take = (size_t)HTTP_MIN(p->remain, (uint64_t)len);
		p->remain -= take;
		p->body_total += take;
		if (!p->remain)
			p->state = S_MSG_END;
		ev->type = TQ_HTTP_EV_BODY;
		ev->data = buf;
		ev->len = (uint32_t)take;
		return (int)take;
	case S_BODY_CLOSE:
		if (!len)
			return 0;
		/* Up to the limit, then the error: the same events whether
		 * the bytes come at once or one by one (fuzz_http found a
		 * whole buffer past the limit failed before its first byte
		 * while byte-sized pieces delivered the limit's worth). */
		if (p->body_total == p->lim.max_body)
			return fail(p, TQ_HTTP_E_BODY_TOO_LARGE);
		take = len;
		if (take > p->lim.max_body - p->body_total)
			take = p->lim.max_body - p->body_total;
		p->body_total += take;
		ev->type = TQ_HTTP_EV_BODY;
		ev->data = buf;
		ev->len = (uint32_t)take;
		return (int)take;
	case S_CHUNKED:
		return chunked(p, buf, len, ev);
	case S_MSG_END:
		return msg_done(p, 0, ev);
	case S_END:
		return 0;
	default:
		return -EBADMSG;
	}
}

int
tq_http_parse_eof(struct tq_http_parser *p, struct tq_http_event *ev)
{
	ev->type = TQ_HTTP_EV_NEED_MORE;
	ev->data = NULL;
	ev->len = 0;
	switch (p->state) {
	case S_IDLE:
	case S_END:
		return 0;
	case S_BODY_CLOSE:
	case S_MSG_END:
		msg_done(p, 0, ev);
		/* nothing follows a body read to the close */
		p->state = S_END;
		return 0;
	case S_ERROR:
		return -EBADMSG;
	default:
		return fail(p, TQ_HTTP_E_TRUNCATED);
	}
}

bool
tq_http_field_next(const struct tq_http_msg *m, uint32_t *pos,
		struct tq_http_field *f)
{
	const char *b = m->head.p, *lf;
	size_t i = *pos, n = m->head.len, len, c, a, e;

	if (i == 0) {
		/* past the start line */
		lf = memchr(b, '\n', n);
		if (!lf)
			return false;
		i = (size_t)(lf - b) + 1;
	}
	if (i >= n)
		return false;
	lf = memchr(b + i, '\n', n - i);
	if (!lf)
		return false;
	len = (size_t)(lf - (b + i));
	if (len && b[i + len - 1] == '\r')
		len--;
	if (len == 0) {
		*pos = (uint32_t)n;
		return false;
	}
	c = i;
	while (c < i + len && b[c] != ':')
		c++;
	f->name.p = b + i;
	f->name.len = (uint32_t)(c - i);
	a = c + 1;
	e = i + len;
	ows_trim(b, &a, &e);
	f->value.p = b + a;
	f->value.len = (uint32_t)(e - a);
	*pos = (uint32_t)(lf - b) + 1;
	return true;
}

bool
tq_http_field_get(const struct tq_http_msg *m, const char *name,
		struct tq_http_span *value)
{
	struct tq_http_field f;
	uint32_t pos = 0;
	size_t nl = strlen(name);

	while (tq_http_field_next(m, &pos, &f)) {
		if (span_is(f.name.p, f.name.len, name, nl)) {
			*value = f.value;
			return true;
		}
	}
	return false;
}
