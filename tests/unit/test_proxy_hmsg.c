/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tq-proxy's HTTP heads (apps/tq-proxy/hmsg.c): hop-by-hop fields out,
 * X-Forwarded-For and Forwarded appended, re-framing told, bounded
 * output, the proxy's own answers.  The heads are parsed by the HTTP/1.1
 * module as the proxy does, and what comes out is parsed again.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "hmsg.h"

static struct tq_http_parser P;

static const struct tq_http_msg *
parse(const char *s, enum tq_http_kind kind)
{
	struct tq_http_event ev;
	int n;

	tq_http_parser_init(&P, kind, NULL);
	n = tq_http_parse(&P, s, strlen(s), &ev);
	assert_true(n > 0);
	assert_int_equal(ev.type, TQ_HTTP_EV_HEAD);
	return &P.msg;
}

static void
request(void **state)
{
	const struct tq_http_msg *m;
	struct hmsg_req r = { .client = "10.0.0.9", .host = "10.0.0.2:80" };
	char out[1024];
	int n;

	(void)state;
	m = parse("GET /a?b HTTP/1.1\r\nHost: www.x.org\r\n"
		"Connection: keep-alive, X-Secret\r\nX-Secret: 1\r\n"
		"Keep-Alive: timeout=5\r\nTE: trailers\r\nUpgrade: h2c\r\n"
		"Proxy-Connection: close\r\nAccept: */*\r\n"
		"X-Forwarded-For: 1.2.3.4\r\n"
		"Forwarded: for=1.2.3.4\r\n\r\n", TQ_HTTP_REQUEST);
	n = hmsg_request(m, &r, out, sizeof(out));
	assert_true(n > 0);
	out[n] = '\0';
	assert_string_equal(out, "GET /a?b HTTP/1.1\r\nHost: www.x.org\r\n"
		"Accept: */*\r\n"
		"X-Forwarded-For: 1.2.3.4, 10.0.0.9\r\n"
		"Forwarded: for=1.2.3.4, for=10.0.0.9;proto=http;"
		"host=www.x.org\r\n\r\n");
	/* Every size short of it: -ENOSPC, never past cap. */
	for (size_t cap = 0; cap < (size_t)n; cap += 7) {
		memset(out, 'Z', sizeof(out));
		assert_int_equal(hmsg_request(m, &r, out, cap), -ENOSPC);
		assert_int_equal(out[cap], 'Z');
	}
}

static void
request_10_v6_chunked(void **state)
{
	const struct tq_http_msg *m;
	struct hmsg_req r = { .client = "fd00::9", .client_v6 = true,
		.host = "[fd00::2]:80" };
	char out[1024];
	int n;

	(void)state;
	/* HTTP/1.0 without Host: one is added; the v6 client quoted. */
	m = parse("GET / HTTP/1.0\r\nX-Forwarded-For: a\r\n"
		"X-Forwarded-For: b\r\n\r\n", TQ_HTTP_REQUEST);
	n = hmsg_request(m, &r, out, sizeof(out));
	assert_true(n > 0);
	out[n] = '\0';
	assert_string_equal(out, "GET / HTTP/1.1\r\nHost: [fd00::2]:80\r\n"
		"X-Forwarded-For: a, b, fd00::9\r\n"
		"Forwarded: for=\"[fd00::9]\";proto=http;"
		"host=\"[fd00::2]:80\"\r\n\r\n");
	/* A chunked body goes on chunked: Transfer-Encoding kept, the
	 * Content-Length it overrode dropped. */
	m = parse("POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
		"Transfer-Encoding: chunked\r\n\r\n", TQ_HTTP_REQUEST);
	n = hmsg_request(m, &r, out, sizeof(out));
	assert_true(n > 0);
	out[n] = '\0';
	assert_null(strstr(out, "Content-Length"));
	assert_non_null(strstr(out, "Transfer-Encoding: chunked\r\n"));
	assert_non_null(strstr(out, "host=h\r\n"));
	/* A Content-Length body keeps its length. */
	m = parse("PUT /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n",
		TQ_HTTP_REQUEST);
	n = hmsg_request(m, &r, out, sizeof(out));
	assert_true(n > 0);
	out[n] = '\0';
	assert_non_null(strstr(out, "Content-Length: 5\r\n"));
}

static void
response(void **state)
{
	const struct tq_http_msg *m;
	char out[1024];
	int n;

	(void)state;
	m = parse("HTTP/1.1 200 OK\r\nServer: x\r\nConnection: Foo\r\n"
		"Foo: bar\r\nKeep-Alive: timeout=3\r\n"
		"Transfer-Encoding: chunked\r\n\r\n", TQ_HTTP_RESPONSE);
	n = hmsg_response(m, 1, false, true, out, sizeof(out));
	assert_true(n > 0);
	out[n] = '\0';
	assert_string_equal(out, "HTTP/1.1 200 OK\r\nServer: x\r\n"
		"Transfer-Encoding: chunked\r\n\r\n");
	/* To an HTTP/1.0 client: de-chunked, closed. */
	n = hmsg_response(m, 0, true, false, out, sizeof(out));
	assert_true(n > 0);
	out[n] = '\0';
	assert_string_equal(out, "HTTP/1.1 200 OK\r\nServer: x\r\n"
		"Connection: close\r\n\r\n");
	/* An HTTP/1.0 client kept: told so. */
	m = parse("HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\n",
		TQ_HTTP_RESPONSE);
	n = hmsg_response(m, 0, false, true, out, sizeof(out));
	assert_true(n > 0);
	out[n] = '\0';
	assert_string_equal(out, "HTTP/1.1 404 Not Found\r\n"
		"Content-Length: 3\r\nConnection: keep-alive\r\n\r\n");
	assert_int_equal(hmsg_response(m, 0, false, true, out, 20), -ENOSPC);
	/* Read to the close: re-chunked to a 1.1 client that stays, bare
	 * (and closed) otherwise. */
	m = parse("HTTP/1.1 200 OK\r\nServer: y\r\n\r\n", TQ_HTTP_RESPONSE);
	assert_int_equal(m->body, TQ_HTTP_BODY_TO_CLOSE);
	n = hmsg_response(m, 1, false, true, out, sizeof(out));
	assert_true(n > 0);
	out[n] = '\0';
	assert_string_equal(out, "HTTP/1.1 200 OK\r\nServer: y\r\n"
		"Transfer-Encoding: chunked\r\n\r\n");
	n = hmsg_response(m, 1, false, false, out, sizeof(out));
	assert_true(n > 0);
	out[n] = '\0';
	assert_string_equal(out, "HTTP/1.1 200 OK\r\nServer: y\r\n"
		"Connection: close\r\n\r\n");
}

static void
errors(void **state)
{
	const struct tq_http_msg *m;
	struct tq_http_event ev;
	char out[256];
	int n;

	(void)state;
	n = hmsg_error(502, true, false, out, sizeof(out));
	assert_true(n > 0);
	out[n] = '\0';
	m = parse(out, TQ_HTTP_RESPONSE);
	assert_int_equal(m->status, 502);
	assert_false(m->keep_alive);
	assert_int_equal(m->body, TQ_HTTP_BODY_LENGTH);
	assert_int_equal(m->content_length, strlen("502 Bad Gateway\n"));
	assert_string_equal(out + m->head.len, "502 Bad Gateway\n");
	/* To HEAD: the same head, no body. */
	n = hmsg_error(504, false, true, out, sizeof(out));
	assert_true(n > 0);
	out[n] = '\0';
	m = parse(out, TQ_HTTP_RESPONSE);
	assert_int_equal(m->status, 504);
	assert_true(m->keep_alive);
	assert_int_equal(m->head.len, (uint32_t)n);
	(void)ev;
	assert_int_equal(hmsg_error(503, true, false, out, 40), -ENOSPC);
}

static void
hop_by_hop(void **state)
{
	const struct tq_http_msg *m;

	(void)state;
	m = parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: a ,b,, c\r\n"
		"\r\n", TQ_HTTP_REQUEST);
	assert_true(hmsg_hop_by_hop(m, "B", 1));
	assert_true(hmsg_hop_by_hop(m, "c", 1));
	assert_true(hmsg_hop_by_hop(m, "TE", 2));
	assert_true(hmsg_hop_by_hop(m, "Upgrade", 7));
	assert_false(hmsg_hop_by_hop(m, "ab", 2));
	assert_false(hmsg_hop_by_hop(m, "Host", 4));
	assert_false(hmsg_hop_by_hop(m, "Content-Length", 14));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(request),
		cmocka_unit_test(request_10_v6_chunked),
		cmocka_unit_test(response),
		cmocka_unit_test(errors),
		cmocka_unit_test(hop_by_hop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
