/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tq-proxy's HTTP/3 front heads (apps/tq-proxy/h3msg.c): an HTTP/3
 * request as the HTTP/1.1 head a backend gets (parsed again by the
 * HTTP/1.1 module), bounded output, and an answer's fields for HTTP/3.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "h3msg.h"

#define SPAN(s) { (s), sizeof(s) - 1 }

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

static bool
has(const struct tq_http_msg *m, const char *name, const char *value)
{
	struct tq_http_span v;

	return tq_http_field_get(m, name, &v) && v.len == strlen(value) &&
		memcmp(v.p, value, v.len) == 0;
}

static void
request(void **state)
{
	const struct tq_http_span meth = SPAN("POST"), path = SPAN("/a?b=1");
	const struct tq_http_span auth = SPAN("www.example:4433");
	const struct tq_http_field f[] = {
		{ SPAN("user-agent"), SPAN("t") },
		{ SPAN("cookie"), SPAN("a=1") },
		{ SPAN("connection"), SPAN("close") },
		{ SPAN("transfer-encoding"), SPAN("chunked") },
		{ SPAN("content-length"), SPAN("99") },
		{ SPAN("x-forwarded-for"), SPAN("192.0.2.7") },
		{ SPAN("cookie"), SPAN("b=2") },
		{ SPAN("host"), SPAN("other") },
	};
	struct hmsg_req r = { .client = "10.0.0.9", .host = "10.0.0.2:4433" };
	const struct tq_http_msg *m;
	char out[1024];
	int n, k;

	(void)state;
	n = h3msg_request(&meth, &path, &auth, f, 8, &r, out, sizeof(out));
	assert_true(n > 0);
	k = h3msg_request_end(-1, true, out + n, sizeof(out) - (size_t)n);
	assert_true(k > 0);
	out[n + k] = '\0';
	m = parse(out, TQ_HTTP_REQUEST);
	assert_int_equal(m->meth, TQ_HTTP_M_POST);
	assert_int_equal(m->minor, 1);
	assert_int_equal(m->body, TQ_HTTP_BODY_CHUNKED);
	assert_true(m->keep_alive);
	assert_true(m->has_host);
	assert_true(has(m, "host", "www.example:4433"));
	assert_true(has(m, "cookie", "a=1; b=2"));
	assert_true(has(m, "user-agent", "t"));
	assert_true(has(m, "x-forwarded-for", "192.0.2.7, 10.0.0.9"));
	assert_true(has(m, "forwarded",
			"for=10.0.0.9;proto=https;host=\"www.example:4433\""));
	assert_false(has(m, "connection", "close"));
	assert_non_null(strstr(out, "POST /a?b=1 HTTP/1.1\r\n"));
	assert_null(strstr(out, "99"));

	/* No :authority: the host field, then ours; a length said. */
	n = h3msg_request(&meth, &path, &(struct tq_http_span){ "", 0 }, f,
			1, &r, out, sizeof(out));
	k = h3msg_request_end(5, false, out + n, sizeof(out) - (size_t)n);
	out[n + k] = '\0';
	m = parse(out, TQ_HTTP_REQUEST);
	assert_true(has(m, "host", "10.0.0.2:4433"));
	assert_int_equal(m->body, TQ_HTTP_BODY_LENGTH);
	assert_int_equal(m->content_length, 5);
	n = h3msg_request(&meth, &path, &(struct tq_http_span){ "", 0 }, f,
			8, &r, out, sizeof(out));
	k = h3msg_request_end(-1, false, out + n, sizeof(out) - (size_t)n);
	out[n + k] = '\0';
	m = parse(out, TQ_HTTP_REQUEST);
	assert_true(has(m, "host", "other"));
	assert_int_equal(m->body, TQ_HTTP_BODY_NONE);

	/* Bounded; no method or path. */
	for (k = 0; k < n; k++)
		assert_int_equal(h3msg_request(&meth, &path, &auth, f, 8, &r,
				out, (size_t)k), -ENOSPC);
	assert_int_equal(h3msg_request(&meth, &(struct tq_http_span){ "", 0 },
			&auth, f, 8, &r, out, sizeof(out)), -EINVAL);
	assert_int_equal(h3msg_request_end(5, false, out, 4), -ENOSPC);
}

static void
request_v6(void **state)
{
	const struct tq_http_span meth = SPAN("GET"), path = SPAN("/");
	const struct tq_http_span auth = SPAN("h");
	struct hmsg_req r = { .client = "fd00::9", .client_v6 = true,
		.host = "x" };
	const struct tq_http_msg *m;
	char out[512];
	int n, k;

	(void)state;
	n = h3msg_request(&meth, &path, &auth, NULL, 0, &r, out, sizeof(out));
	k = h3msg_request_end(-1, false, out + n, sizeof(out) - (size_t)n);
	out[n + k] = '\0';
	m = parse(out, TQ_HTTP_REQUEST);
	assert_true(has(m, "x-forwarded-for", "fd00::9"));
	assert_true(has(m, "forwarded",
			"for=\"[fd00::9]\";proto=https;host=h"));
	assert_false(has(m, "cookie", ""));
}

static void
response(void **state)
{
	const struct tq_http_msg *m;
	struct tq_http_field f[8];
	char names[64];
	int n;

	(void)state;
	m = parse("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
		"Connection: keep-alive, X-Hop\r\nX-Hop: 1\r\n"
		"Transfer-Encoding: chunked\r\nKeep-Alive: timeout=5\r\n"
		"Set-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n",
		TQ_HTTP_RESPONSE);
	n = h3msg_response_fields(m, f, 8, names, sizeof(names));
	assert_int_equal(n, 3);
	assert_int_equal(f[0].name.len, 12);
	assert_memory_equal(f[0].name.p, "content-type", 12);
	assert_memory_equal(f[0].value.p, "text/plain", 10);
	assert_memory_equal(f[1].name.p, "set-cookie", 10);
	assert_memory_equal(f[2].value.p, "b=2", 3);
	assert_int_equal(h3msg_response_fields(m, f, 2, names, sizeof(names)),
			-ENOSPC);
	assert_int_equal(h3msg_response_fields(m, f, 8, names, 20), -ENOSPC);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(request),
		cmocka_unit_test(request_v6),
		cmocka_unit_test(response),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
