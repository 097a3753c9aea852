/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The HTTP/1.1 parser and writers (engine/http).  Most cases run through
 * feed(), which plays a caller that receives its input step bytes at a
 * time, keeps what was not consumed and presents it again with the next
 * bytes, and writes what it saw as a transcript; every case is checked
 * whole and one byte at a time, which must give the same transcript.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <tachyon/tq_http.h>

#define OUT_MAX 8192

struct run {
	char out[OUT_MAX];
	size_t olen;
	enum tq_http_error err; /* TQ_HTTP_E_NONE if all went well */
	struct tq_http_msg last; /* the last head (spans not kept) */
	unsigned int msgs;
};

static void __attribute__((format(printf, 2, 3)))
out(struct run *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(r->out + r->olen, sizeof(r->out) - r->olen, fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof(r->out) - r->olen);
	r->olen += (size_t)n;
}

/*
 * Parse in[0, n) arriving step bytes at a time, then the end of input.
 * expect: the method each response answers.
 */
static void
feed(struct run *r, enum tq_http_kind kind, const char *in, size_t n,
		size_t step, const struct tq_http_limits *lim,
		enum tq_http_method expect)
{
	struct tq_http_parser p;
	struct tq_http_event ev;
	char *buf = malloc(n + 1);
	size_t have = 0, off = 0, got = 0;
	int k;

	assert_non_null(buf);
	memset(r, 0, sizeof(*r));
	tq_http_parser_init(&p, kind, lim);
	tq_http_parser_expect(&p, expect);
	for (;;) {
		/* the caller keeps buf[off, have) and appends */
		size_t add = n - got < step ? n - got : step;

		memmove(buf, buf + off, have - off);
		have -= off;
		off = 0;
		memcpy(buf + have, in + got, add);
		have += add;
		got += add;
		for (;;) {
			k = tq_http_parse(&p, buf + off, have - off, &ev);
			if (k < 0) {
				r->err = p.error;
				assert_int_not_equal(p.error, TQ_HTTP_E_NONE);
				out(r, "ERR(%s)", tq_http_error_str(p.error));
				free(buf);
				return;
			}
			assert_true((size_t)k <= have - off);
			if (ev.type == TQ_HTTP_EV_HEAD) {
				const struct tq_http_msg *m = &p.msg;

				r->last = *m;
				if (kind == TQ_HTTP_REQUEST)
					out(r, "[%.*s %.*s 1.%u",
						(int)m->method.len,
						m->method.p,
						(int)m->target.len,
						m->target.p, m->minor);
				else
					out(r, "[%u 1.%u", m->status,
						m->minor);
				out(r, " f=%u b=%d cl=%llu ka=%d]", m->nfields,
					m->body,
					(unsigned long long)m->content_length,
					m->keep_alive);
			} else if (ev.type == TQ_HTTP_EV_BODY) {
				assert_true(ev.data >= buf + off &&
					ev.data + ev.len <= buf + off + k);
				out(r, "%.*s", (int)ev.len, ev.data);
			} else if (ev.type == TQ_HTTP_EV_DONE) {
				out(r, "<done>");
				r->msgs++;
			}
			off += (size_t)k;
			if (ev.type == TQ_HTTP_EV_NEED_MORE)
				break;
		}
		if (got == n)
			break;
	}
	if (tq_http_parse_eof(&p, &ev) < 0) {
		r->err = p.error;
		out(r, "ERR(%s)", tq_http_error_str(p.error));
	} else if (ev.type == TQ_HTTP_EV_DONE) {
		out(r, "<eof-done>");
		r->msgs++;
	}
	free(buf);
}

/* Whole and byte at a time: same transcript, which must be want. */
static void
check_lim(enum tq_http_kind kind, const char *in, const char *want,
		const struct tq_http_limits *lim, enum tq_http_method expect)
{
	size_t n = strlen(in);
	struct run *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	size_t step[] = { 1, 2, 7 };
	unsigned int i;

	assert_non_null(a);
	assert_non_null(b);
	feed(a, kind, in, n, n ? n : 1, lim, expect);
	if (strcmp(a->out, want) != 0)
		fail_msg("whole: got\n%s\nwant\n%s", a->out, want);
	for (i = 0; i < 3; i++) {
		feed(b, kind, in, n, step[i], lim, expect);
		if (strcmp(a->out, b->out) != 0)
			fail_msg("step %zu: got\n%s\nwhole gave\n%s", step[i],
					b->out, a->out);
	}
	free(a);
	free(b);
}

static void
req(const char *in, const char *want)
{
	check_lim(TQ_HTTP_REQUEST, in, want, NULL, TQ_HTTP_M_GET);
}

static void
resp(const char *in, const char *want, enum tq_http_method m)
{
	check_lim(TQ_HTTP_RESPONSE, in, want, NULL, m);
}

/* The status an input gets as a request. */
static int
req_status(const char *in, const struct tq_http_limits *lim)
{
	struct run r;

	feed(&r, TQ_HTTP_REQUEST, in, strlen(in), strlen(in) ? strlen(in) : 1,
			lim, TQ_HTTP_M_GET);
	return tq_http_error_status(r.err);
}

/* ---------- requests ---------- */

static void
test_rfc9112_get(void **state)
{
	(void)state;
	/* RFC 9112 2.1 */
	req("GET /hello.txt HTTP/1.1\r\n"
		"User-Agent: curl/7.64.1\r\n"
		"Host: www.example.com\r\n"
		"Accept-Language: en, mi\r\n\r\n",
		"[GET /hello.txt 1.1 f=3 b=0 cl=0 ka=1]<done>");
}

static void
test_request_forms(void **state)
{
	(void)state;
	req("GET http://www.example.org/pub/WWW/TheProject.html HTTP/1.1\r\n"
		"Host: www.example.org\r\n\r\n",
		"[GET http://www.example.org/pub/WWW/TheProject.html 1.1 f=1 "
		"b=0 cl=0 ka=1]<done>");
	req("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
		"[OPTIONS * 1.1 f=1 b=0 cl=0 ka=1]<done>");
	req("CONNECT www.example.com:80 HTTP/1.1\r\nHost: a\r\n\r\n",
		"[CONNECT www.example.com:80 1.1 f=1 b=0 cl=0 ka=1]<done>");
	/* empty lines before a request, bare LF line ends */
	req("\r\n\r\nGET / HTTP/1.1\nHost: a\n\n",
		"[GET / 1.1 f=1 b=0 cl=0 ka=1]<done>");
}

static void
test_post_length(void **state)
{
	(void)state;
	req("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
		"[POST /x 1.1 f=2 b=1 cl=5 ka=1]hello<done>");
	/* a list of identical values is one value */
	req("POST /x HTTP/1.1\r\nContent-Length: 3, 3\r\n"
		"Content-Length: 3\r\n\r\nabc",
		"[POST /x 1.1 f=2 b=1 cl=3 ka=1]abc<done>");
	req("POST /x HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
		"[POST /x 1.1 f=1 b=0 cl=0 ka=1]<done>");
}

static void
test_chunked(void **state)
{
	(void)state;
	/* extensions (with quoted values and BWS) and trailers */
	req("POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
		"5;name=value\r\nhello\r\n"
		"6 ; a=\"b;c\";d\r\n world\r\n"
		"A\r\n0123456789\r\n"
		"0;last\r\nExpires: never\r\nX-Sum: 42\r\n\r\n",
		"[POST /c 1.1 f=1 b=2 cl=0 ka=1]hello world0123456789<done>");
	/* leading zeros, upper case hex */
	req("PUT /c HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
		"000000000000000000000003\r\nabc\r\n0\r\n\r\n",
		"[PUT /c 1.1 f=1 b=2 cl=0 ka=1]abc<done>");
}

static void
test_chunked_errors(void **state)
{
	const char *h = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
	char in[512];
	static const char *const bad[] = {
		"x\r\n",		 /* not hex */
		"5\r\nhelloX\r\n",	 /* no CRLF after data */
		"5\nhello\r\n",		 /* bare LF after size */
		"5 \r\nhello\r\n",	 /* BWS not before ';' */
		"5;a\x01\r\nhello\r\n",	 /* control char in extension */
		"0\r\n folded: x\r\n\r\n", /* obs-fold in trailers */
		"0\r\nBad Name: x\r\n\r\n",
		"10000000000000000\r\n", /* 2^64 */
		"fffffffffffffffff\r\n",
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(in, sizeof(in), "%s%s", h, bad[i]);
		assert_int_equal(req_status(in, NULL), 400);
	}
	/* the largest size parses (and is too large a body) */
	snprintf(in, sizeof(in), "%sffffffffffffffff\r\n", h);
	assert_int_equal(req_status(in, NULL), 413);
	snprintf(in, sizeof(in), "%s10000000000000000\r\n", h);
	{
		struct run r;

		feed(&r, TQ_HTTP_REQUEST, in, strlen(in), 1, NULL,
				TQ_HTTP_M_GET);
		assert_int_equal(r.err, TQ_HTTP_E_CHUNK_SIZE);
	}
}

static void
test_pipelined(void **state)
{
	(void)state;
	req("GET /a HTTP/1.1\r\nHost: a\r\n\r\n"
		"POST /b HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi"
		"POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
		"2\r\nyo\r\n0\r\n\r\n"
		"GET /d HTTP/1.0\r\n\r\n",
		"[GET /a 1.1 f=1 b=0 cl=0 ka=1]<done>"
		"[POST /b 1.1 f=1 b=1 cl=2 ka=1]hi<done>"
		"[POST /c 1.1 f=1 b=2 cl=0 ka=1]yo<done>"
		"[GET /d 1.0 f=0 b=0 cl=0 ka=0]<done>");
}

static void
test_keep_alive(void **state)
{
	(void)state;
	req("GET / HTTP/1.0\r\n\r\n", "[GET / 1.0 f=0 b=0 cl=0 ka=0]<done>");
	req("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
		"[GET / 1.0 f=1 b=0 cl=0 ka=1]<done>");
	req("GET / HTTP/1.1\r\nConnection: foo, CLOSE\r\n\r\n",
		"[GET / 1.1 f=1 b=0 cl=0 ka=0]<done>");
	req("GET / HTTP/1.1\r\nConnection: keep-alive\r\n"
		"Connection: close\r\n\r\n",
		"[GET / 1.1 f=2 b=0 cl=0 ka=0]<done>");
	/* "closed" is not "close" */
	req("GET / HTTP/1.1\r\nConnection: closed\r\n\r\n",
		"[GET / 1.1 f=1 b=0 cl=0 ka=1]<done>");
}

static void
test_te_and_cl(void **state)
{
	(void)state;
	/* RFC 9112 6.3 item 3: chunked wins, and the connection closes */
	req("POST / HTTP/1.1\r\nContent-Length: 100\r\n"
		"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
		"[POST / 1.1 f=2 b=2 cl=0 ka=0]abc<done>");
}

static void
test_request_errors(void **state)
{
	(void)state;
	assert_int_equal(req_status("garbage\r\n\r\n", NULL), 400);
	assert_int_equal(req_status("GET  / HTTP/1.1\r\n\r\n", NULL), 400);
	assert_int_equal(req_status("GET / HTTP/1.1 \r\n\r\n", NULL), 400);
	assert_int_equal(req_status("GET / http/1.1\r\n\r\n", NULL), 400);
	assert_int_equal(req_status("GET / HTTP/1.1\rX\r\n\r\n", NULL), 400);
	assert_int_equal(req_status("GET / HTTP/2.0\r\n\r\n", NULL), 505);
	assert_int_equal(req_status("GET / HTTP/0.9\r\n\r\n", NULL), 505);
	/* obs-fold, whitespace before the colon, empty name, CTLs */
	assert_int_equal(req_status("GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n",
			NULL), 400);
	assert_int_equal(req_status("GET / HTTP/1.1\r\n c\r\n\r\n", NULL),
			400);
	assert_int_equal(req_status("GET / HTTP/1.1\r\nHost : a\r\n\r\n",
			NULL), 400);
	assert_int_equal(req_status("GET / HTTP/1.1\r\n: a\r\n\r\n", NULL),
			400);
	assert_int_equal(req_status("GET / HTTP/1.1\r\nA: b\x01\r\n\r\n",
			NULL), 400);
	assert_int_equal(req_status("GET / HTTP/1.1\r\nA: b\rc\r\n\r\n",
			NULL), 400);
	{
		/* NUL in a value */
		static const char nul[] = "GET / HTTP/1.1\r\nA: b\0c\r\n\r\n";
		struct run r;

		feed(&r, TQ_HTTP_REQUEST, nul, sizeof(nul) - 1, 1, NULL,
				TQ_HTTP_M_GET);
		assert_int_equal(r.err, TQ_HTTP_E_SYNTAX);
	}
	assert_int_equal(req_status("GET / HTTP/1.1\r\nHost: a\r\n"
			"Host: b\r\n\r\n", NULL), 400);
	/* Content-Length */
	assert_int_equal(req_status("POST / HTTP/1.1\r\n"
			"Content-Length: 3, 4\r\n\r\nabcd", NULL), 400);
	assert_int_equal(req_status("POST / HTTP/1.1\r\nContent-Length: 3\r\n"
			"Content-Length: 4\r\n\r\nabcd", NULL), 400);
	assert_int_equal(req_status("POST / HTTP/1.1\r\n"
			"Content-Length: -1\r\n\r\n", NULL), 400);
	assert_int_equal(req_status("POST / HTTP/1.1\r\n"
			"Content-Length: 0x10\r\n\r\n", NULL), 400);
	assert_int_equal(req_status("POST / HTTP/1.1\r\n"
			"Content-Length: \r\n\r\n", NULL), 400);
	assert_int_equal(req_status("POST / HTTP/1.1\r\n"
			"Content-Length: 1 2\r\n\r\n", NULL), 400);
	assert_int_equal(req_status("POST / HTTP/1.1\r\nContent-Length: "
			"99999999999999999999999999\r\n\r\n", NULL), 413);
	/* Transfer-Encoding */
	assert_int_equal(req_status("POST / HTTP/1.1\r\n"
			"Transfer-Encoding: br\r\n\r\n", NULL), 501);
	assert_int_equal(req_status("POST / HTTP/1.1\r\n"
			"Transfer-Encoding: chunked, gzip\r\n\r\n", NULL), 400);
	assert_int_equal(req_status("POST / HTTP/1.1\r\n"
			"Transfer-Encoding: chunked\r\n"
			"Transfer-Encoding: chunked\r\n\r\n", NULL), 400);
	assert_int_equal(req_status("POST / HTTP/1.1\r\n"
			"Transfer-Encoding: \r\n\r\n", NULL), 400);
	assert_int_equal(req_status("POST / HTTP/1.0\r\n"
			"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", NULL),
			400);
	/* truncated: the input ends inside a message */
	assert_int_equal(req_status("GET / HTTP/1.1\r\nHost:", NULL), 400);
	assert_int_equal(req_status("POST / HTTP/1.1\r\nContent-Length: 9"
			"\r\n\r\nabc", NULL), 400);
}

static void
test_limits(void **state)
{
	struct tq_http_limits lim = { .max_head = 64, .max_fields = 3,
		.max_body = 10 };
	char big[TQ_HTTP_DEFAULT_MAX_HEAD + 64];
	int n;

	(void)state;
	/* default head limit: 8 KiB of head passes, more is 431 */
	n = snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nX: ");
	memset(big + n, 'a', TQ_HTTP_DEFAULT_MAX_HEAD - n - 4);
	memcpy(big + TQ_HTTP_DEFAULT_MAX_HEAD - 4, "\r\n\r\n", 5);
	assert_int_equal(strlen(big), TQ_HTTP_DEFAULT_MAX_HEAD);
	assert_int_equal(req_status(big, NULL), 0);
	memset(big + n, 'a', TQ_HTTP_DEFAULT_MAX_HEAD - n - 3);
	memcpy(big + TQ_HTTP_DEFAULT_MAX_HEAD - 3, "\r\n\r\n", 5);
	assert_int_equal(req_status(big, NULL), 431);
	/* and without an end in sight */
	big[TQ_HTTP_DEFAULT_MAX_HEAD] = '\0';
	assert_int_equal(req_status(big, NULL), 431);

	assert_int_equal(req_status("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n"
			"C: 3\r\n\r\n", &lim), 0);
	assert_int_equal(req_status("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n"
			"C: 3\r\nD: 4\r\n\r\n", &lim), 431);
	assert_int_equal(req_status("GET / HTTP/1.1\r\nA: 0123456789012345678"
			"9012345678901234567890123456789\r\n\r\n", &lim),
			431);
	assert_int_equal(req_status("POST / HTTP/1.1\r\nContent-Length: 10"
			"\r\n\r\n0123456789", &lim), 0);
	assert_int_equal(req_status("POST / HTTP/1.1\r\nContent-Length: 11"
			"\r\n\r\n", &lim), 413);
	/* chunked: the total counts, not one chunk */
	assert_int_equal(req_status("POST / HTTP/1.1\r\nTransfer-Encoding: "
			"chunked\r\n\r\n5\r\n01234\r\n5\r\n01234\r\n0\r\n\r\n",
			&lim), 0);
	assert_int_equal(req_status("POST / HTTP/1.1\r\nTransfer-Encoding: "
			"chunked\r\n\r\n5\r\n01234\r\n6\r\n012345\r\n0\r\n\r\n",
			&lim), 413);
	/* trailers: as many fields as a head, as many bytes */
	assert_int_equal(req_status("POST / HTTP/1.1\r\nTransfer-Encoding: "
			"chunked\r\n\r\n0\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n",
			&lim), 431);
	assert_int_equal(req_status("POST / HTTP/1.1\r\nTransfer-Encoding: "
			"chunked\r\n\r\n0\r\nA: 012345678901234567890123456789"
			"0123456789012345678901234567890123456789\r\n\r\n",
			&lim), 431);
	/* a chunk line with endless extensions */
	{
		size_t len = 64 + TQ_HTTP_MAX_CHUNK_LINE + 16;
		char *in = malloc(len);

		assert_non_null(in);
		n = snprintf(in, len, "POST / HTTP/1.1\r\nTransfer-Encoding: "
				"chunked\r\n\r\n1;");
		memset(in + n, 'e', len - n - 1);
		in[len - 1] = '\0';
		assert_int_equal(req_status(in, NULL), 400);
		free(in);
	}
}

static void
test_error_map(void **state)
{
	(void)state;
	assert_int_equal(tq_http_error_status(TQ_HTTP_E_NONE), 0);
	assert_int_equal(tq_http_error_status(TQ_HTTP_E_SYNTAX), 400);
	assert_int_equal(tq_http_error_status(TQ_HTTP_E_FOLD), 400);
	assert_int_equal(tq_http_error_status(TQ_HTTP_E_CONTENT_LENGTH), 400);
	assert_int_equal(tq_http_error_status(TQ_HTTP_E_HEAD_TOO_LARGE), 431);
	assert_int_equal(tq_http_error_status(TQ_HTTP_E_TOO_MANY_FIELDS), 431);
	assert_int_equal(tq_http_error_status(TQ_HTTP_E_BODY_TOO_LARGE), 413);
	assert_int_equal(tq_http_error_status(TQ_HTTP_E_CODING), 501);
	assert_int_equal(tq_http_error_status(TQ_HTTP_E_VERSION), 505);
	assert_string_equal(tq_http_reason(431),
			"Request Header Fields Too Large");
	assert_string_equal(tq_http_reason(413), "Content Too Large");
	assert_string_equal(tq_http_reason(501), "Not Implemented");
	assert_string_equal(tq_http_reason(799), "Unknown");
	assert_string_equal(tq_http_error_str(TQ_HTTP_E_MAX), "unknown");
}

/* A failed parser stays failed. */
static void
test_error_sticks(void **state)
{
	struct tq_http_parser p;
	struct tq_http_event ev;
	const char *ok = "GET / HTTP/1.1\r\n\r\n";

	(void)state;
	tq_http_parser_init(&p, TQ_HTTP_REQUEST, NULL);
	assert_int_equal(tq_http_parse(&p, "BAD\r\n\r\n", 7, &ev), -EBADMSG);
	assert_int_equal(tq_http_parse(&p, ok, strlen(ok), &ev), -EBADMSG);
	assert_int_equal(tq_http_parse_eof(&p, &ev), -EBADMSG);
	assert_int_equal(p.error, TQ_HTTP_E_SYNTAX);
}

static void
test_fields(void **state)
{
	const char *in = "GET / HTTP/1.1\r\nHost: example.com \r\n"
		"X-A:\t b c \r\nEmpty:\r\n\r\n";
	struct tq_http_parser p;
	struct tq_http_event ev;
	struct tq_http_field f;
	struct tq_http_span v;
	uint32_t pos = 0;

	(void)state;
	tq_http_parser_init(&p, TQ_HTTP_REQUEST, NULL);
	assert_int_equal(tq_http_parse(&p, in, strlen(in), &ev),
			(int)strlen(in));
	assert_int_equal(ev.type, TQ_HTTP_EV_HEAD);
	assert_true(p.msg.has_host);
	assert_int_equal(p.msg.meth, TQ_HTTP_M_GET);
	assert_true(tq_http_field_next(&p.msg, &pos, &f));
	assert_int_equal(f.name.len, 4);
	assert_memory_equal(f.value.p, "example.com", 11);
	assert_int_equal(f.value.len, 11);
	assert_true(tq_http_field_next(&p.msg, &pos, &f));
	assert_int_equal(f.value.len, 3);
	assert_memory_equal(f.value.p, "b c", 3);
	assert_true(tq_http_field_next(&p.msg, &pos, &f));
	assert_int_equal(f.value.len, 0);
	assert_false(tq_http_field_next(&p.msg, &pos, &f));
	assert_true(tq_http_field_get(&p.msg, "x-a", &v));
	assert_int_equal(v.len, 3);
	assert_false(tq_http_field_get(&p.msg, "x-b", &v));
	assert_int_equal(tq_http_parse(&p, "", 0, &ev), 0);
	assert_int_equal(ev.type, TQ_HTTP_EV_DONE);
	assert_true(tq_http_parser_idle(&p));
}

static void
test_expect_continue(void **state)
{
	struct run r;
	const char *in = "POST / HTTP/1.1\r\nExpect: 100-Continue\r\n"
		"Content-Length: 1\r\n\r\nx";

	(void)state;
	feed(&r, TQ_HTTP_REQUEST, in, strlen(in), 1, NULL, TQ_HTTP_M_GET);
	assert_int_equal(r.err, TQ_HTTP_E_NONE);
	assert_true(r.last.expect_continue);
	assert_int_equal(r.last.meth, TQ_HTTP_M_POST);
}

/* ---------- responses ---------- */

static void
test_rfc9112_response(void **state)
{
	(void)state;
	/* RFC 9112 2.1 */
	resp("HTTP/1.1 200 OK\r\n"
		"Date: Mon, 27 Jul 2009 12:28:53 GMT\r\n"
		"Server: Apache\r\n"
		"Last-Modified: Wed, 22 Jul 2009 19:15:56 GMT\r\n"
		"ETag: \"34aa387-d-1568eb00\"\r\n"
		"Accept-Ranges: bytes\r\n"
		"Content-Length: 51\r\n"
		"Vary: Accept-Encoding\r\n"
		"Content-Type: text/plain\r\n\r\n"
		"Hello World! My content includes a trailing CRLF.\r\n",
		"[200 1.1 f=8 b=1 cl=51 ka=1]"
		"Hello World! My content includes a trailing CRLF.\r\n<done>",
		TQ_HTTP_M_GET);
}

static void
test_response_no_body(void **state)
{
	(void)state;
	/* HEAD: Content-Length is the GET's, no body follows */
	resp("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n",
		"[200 1.1 f=1 b=0 cl=0 ka=1]<done>", TQ_HTTP_M_HEAD);
	resp("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n"
		"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n",
		"[204 1.1 f=1 b=0 cl=0 ka=1]<done>"
		"[304 1.1 f=1 b=0 cl=0 ka=1]<done>", TQ_HTTP_M_GET);
	/* interim responses, then the final one */
	resp("HTTP/1.1 100 Continue\r\n\r\n"
		"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
		"[100 1.1 f=0 b=0 cl=0 ka=1]<done>"
		"[103 1.1 f=1 b=0 cl=0 ka=1]<done>"
		"[200 1.1 f=1 b=1 cl=2 ka=1]ok<done>", TQ_HTTP_M_GET);
	/* HEAD stays in force across a 100 */
	resp("HTTP/1.1 100 Continue\r\n\r\n"
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n",
		"[100 1.1 f=0 b=0 cl=0 ka=1]<done>"
		"[200 1.1 f=1 b=0 cl=0 ka=1]<done>", TQ_HTTP_M_HEAD);
	/* CONNECT: a 2xx switches to a tunnel: nothing more is HTTP */
	resp("HTTP/1.1 200 Connection established\r\n\r\nHTTP/1.1 200 OK\r\n",
		"[200 1.1 f=0 b=0 cl=0 ka=1]<done>", TQ_HTTP_M_CONNECT);
	resp("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		"Connection: upgrade\r\n\r\n\x81\x05hello",
		"[101 1.1 f=2 b=0 cl=0 ka=0]<done>", TQ_HTTP_M_GET);
}

static void
test_response_to_close(void **state)
{
	(void)state;
	resp("HTTP/1.0 200 OK\r\n\r\nall of this until the end",
		"[200 1.0 f=0 b=3 cl=0 ka=0]all of this until the end"
		"<eof-done>", TQ_HTTP_M_GET);
	resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzzz",
		"[200 1.1 f=1 b=3 cl=0 ka=0]zzz<eof-done>", TQ_HTTP_M_GET);
	resp("HTTP/1.1 200 OK\r\n\r\n", "[200 1.1 f=0 b=3 cl=0 ka=0]"
		"<eof-done>", TQ_HTTP_M_GET);
	/* no reason phrase, with and without the SP */
	resp("HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n"
		"HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n",
		"[404 1.1 f=1 b=0 cl=0 ka=1]<done>"
		"[404 1.1 f=1 b=0 cl=0 ka=1]<done>", TQ_HTTP_M_GET);
	resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		"3\r\nabc\r\n0\r\n\r\n",
		"[200 1.1 f=1 b=2 cl=0 ka=1]abc<done>", TQ_HTTP_M_GET);
}

static void
test_response_errors(void **state)
{
	struct run r;
	static const char *const bad[] = {
		"HTTP/1.1 20 OK\r\n\r\n",
		"HTTP/1.1 2000 OK\r\n\r\n",
		"HTTP/1.1 099 X\r\n\r\n",
		"HTTP/1.1 200 O\x01K\r\n\r\n",
		"HTTP/1.1  200 OK\r\n\r\n",
		"HTTP/2 200\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab",
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		feed(&r, TQ_HTTP_RESPONSE, bad[i], strlen(bad[i]), 3, NULL,
				TQ_HTTP_M_GET);
		if (r.err == TQ_HTTP_E_NONE)
			fail_msg("accepted: %s", bad[i]);
	}
	feed(&r, TQ_HTTP_RESPONSE, "HTTP/3.0 200 OK\r\n\r\n", 19, 19, NULL,
			TQ_HTTP_M_GET);
	assert_int_equal(r.err, TQ_HTTP_E_VERSION);
}

/* ---------- writers ---------- */

static void
test_write_status(void **state)
{
	const struct tq_http_hdr f[] = {
		{ "Content-Length", "5" },
		{ "Content-Type", "text/plain" },
	};
	char buf[256], in[300];
	struct run r;
	int n;

	(void)state;
	n = tq_http_write_status(buf, sizeof(buf), 1, 200, NULL, f, 2);
	assert_int_equal(n, (int)strlen("HTTP/1.1 200 OK\r\nContent-Length: 5"
			"\r\nContent-Type: text/plain\r\n\r\n"));
	assert_memory_equal(buf, "HTTP/1.1 200 OK\r\n", 17);
	memcpy(in, buf, (size_t)n);
	memcpy(in + n, "hello", 6);
	feed(&r, TQ_HTTP_RESPONSE, in, strlen(in), 1, NULL, TQ_HTTP_M_GET);
	assert_string_equal(r.out, "[200 1.1 f=2 b=1 cl=5 ka=1]hello<done>");
	/* every length short of it is -ENOSPC */
	for (int cap = 0; cap < n; cap++)
		assert_int_equal(tq_http_write_status(buf, (size_t)cap, 1, 200,
				NULL, f, 2), -ENOSPC);
	assert_int_equal(tq_http_write_status(buf, (size_t)n, 1, 200, NULL,
			f, 2), n);
	/* nothing that could split the message is written */
	{
		const struct tq_http_hdr inj[] = { { "X", "a\r\nSet: b" } };
		const struct tq_http_hdr sp[] = { { "X Y", "a" } };
		const struct tq_http_hdr empty[] = { { "", "a" } };

		assert_int_equal(tq_http_write_status(buf, sizeof(buf), 1, 200,
				NULL, inj, 1), -EINVAL);
		assert_int_equal(tq_http_write_status(buf, sizeof(buf), 1, 200,
				NULL, sp, 1), -EINVAL);
		assert_int_equal(tq_http_write_status(buf, sizeof(buf), 1, 200,
				NULL, empty, 1), -EINVAL);
		assert_int_equal(tq_http_write_status(buf, sizeof(buf), 1, 200,
				"O\nK", NULL, 0), -EINVAL);
		assert_int_equal(tq_http_write_status(buf, sizeof(buf), 1, 99,
				NULL, NULL, 0), -EINVAL);
	}
	n = tq_http_write_status(buf, sizeof(buf), 0, 404, "Gone Away", NULL,
			0);
	assert_int_equal(n, (int)strlen("HTTP/1.0 404 Gone Away\r\n\r\n"));
	assert_memory_equal(buf, "HTTP/1.0 404 Gone Away\r\n\r\n", (size_t)n);
}

static void
test_write_request_chunked(void **state)
{
	const struct tq_http_hdr f[] = {
		{ "Host", "example.com" },
		{ "Transfer-Encoding", "chunked" },
	};
	const struct tq_http_hdr t[] = { { "X-Checksum", "abc" } };
	char buf[512];
	struct run r;
	int n, k;

	(void)state;
	n = tq_http_write_request(buf, sizeof(buf), "POST", "/up?a=b", 1, f,
			2);
	assert_true(n > 0);
	k = tq_http_write_chunk(buf + n, sizeof(buf) - n, 26);
	assert_int_equal(k, 4);
	assert_memory_equal(buf + n, "1a\r\n", 4);
	n += k;
	memcpy(buf + n, "abcdefghijklmnopqrstuvwxyz\r\n", 28);
	n += 28;
	k = tq_http_write_chunk(buf + n, sizeof(buf) - n, 1);
	n += k;
	memcpy(buf + n, "!\r\n", 3);
	n += 3;
	k = tq_http_write_last_chunk(buf + n, sizeof(buf) - n, t, 1);
	assert_int_equal(k, (int)strlen("0\r\nX-Checksum: abc\r\n\r\n"));
	n += k;
	feed(&r, TQ_HTTP_REQUEST, buf, (size_t)n, 1, NULL, TQ_HTTP_M_GET);
	assert_string_equal(r.out, "[POST /up?a=b 1.1 f=2 b=2 cl=0 ka=1]"
			"abcdefghijklmnopqrstuvwxyz!<done>");

	assert_int_equal(tq_http_write_chunk(buf, sizeof(buf), 0), -EINVAL);
	assert_int_equal(tq_http_write_chunk(buf, 3, 0x100), -ENOSPC);
	assert_int_equal(tq_http_write_chunk(buf, sizeof(buf), UINT64_MAX),
			18);
	assert_memory_equal(buf, "ffffffffffffffff\r\n", 18);
	assert_int_equal(tq_http_write_last_chunk(buf, 4, NULL, 0), -ENOSPC);
	assert_int_equal(tq_http_write_last_chunk(buf, 5, NULL, 0), 5);
	assert_int_equal(tq_http_write_request(buf, sizeof(buf), "GE T", "/",
			1, NULL, 0), -EINVAL);
	assert_int_equal(tq_http_write_request(buf, sizeof(buf), "GET",
			"/a b", 1, NULL, 0), -EINVAL);
	assert_int_equal(tq_http_write_request(buf, sizeof(buf), "GET", "",
			1, NULL, 0), -EINVAL);
	assert_int_equal(tq_http_write_request(buf, 10, "GET", "/", 1, NULL,
			0), -ENOSPC);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc9112_get),
		cmocka_unit_test(test_request_forms),
		cmocka_unit_test(test_post_length),
		cmocka_unit_test(test_chunked),
		cmocka_unit_test(test_chunked_errors),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_keep_alive),
		cmocka_unit_test(test_te_and_cl),
		cmocka_unit_test(test_request_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_error_map),
		cmocka_unit_test(test_error_sticks),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_expect_continue),
		cmocka_unit_test(test_rfc9112_response),
		cmocka_unit_test(test_response_no_body),
		cmocka_unit_test(test_response_to_close),
		cmocka_unit_test(test_response_errors),
		cmocka_unit_test(test_write_status),
		cmocka_unit_test(test_write_request_chunked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
