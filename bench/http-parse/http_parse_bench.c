/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ns per message for our HTTP/1.1 parser (engine/http) and Debian's
 * libhttp-parser (nodejs/http-parser 2.9), on the same bytes:
 *
 *   get_200B      a 200-byte GET request head
 *   resp_1KiB     a ~1 KiB response head (Content-Length: 0)
 *
 * Each parser does what a caller needs to act on the head: ours parses
 * and validates it (framing fields extracted), and "tachyon+fields" also
 * walks every field as a caller looking for its own would; http-parser's
 * callbacks record each span (URL, status, field names and values),
 * which is the least a caller of that API does.  Every round times
 * ITERS messages; the best of ROUNDS is reported, as JSON on stdout.
 *
 * Usage: http_parse_bench [iterations] [rounds]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <http_parser.h>

#include <tachyon/tq_http.h>

static const char get_req[] =
	"GET /static/img/logo.png?v=20261205 HTTP/1.1\r\n"
	"Host: www.example.com\r\n"
	"User-Agent: tq-gen/0.1\r\n"
	"Accept: image/avif,image/webp,*/*\r\n"
	"Accept-Encoding: gzip, br\r\n"
	"Accept-Language: en\r\n"
	"Connection: keep-alive\r\n"
	"\r\n";

static const char resp_head[] =
	"HTTP/1.1 200 OK\r\n"
	"Date: Sat, 05 Dec 2026 09:00:00 GMT\r\n"
	"Server: tachyon\r\n"
	"Content-Type: text/html; charset=utf-8\r\n"
	"Content-Length: 0\r\n"
	"Last-Modified: Fri, 04 Dec 2026 18:30:00 GMT\r\n"
	"ETag: \"5f3a9c2e-1a2b3c4d5e6f\"\r\n"
	"Cache-Control: public, max-age=31536000, immutable\r\n"
	"Vary: Accept-Encoding, Origin\r\n"
	"Strict-Transport-Security: max-age=63072000; includeSubDomains; "
	"preload\r\n"
	"Content-Security-Policy: default-src 'self'; img-src 'self' "
	"data: https://img.example.com; script-src 'self' "
	"https://cdn.example.com; style-src 'self' 'unsafe-inline'\r\n"
	"X-Content-Type-Options: nosniff\r\n"
	"X-Frame-Options: DENY\r\n"
	"Referrer-Policy: strict-origin-when-cross-origin\r\n"
	"Access-Control-Allow-Origin: https://www.example.com\r\n"
	"Set-Cookie: session=0123456789abcdef0123456789abcdef; Path=/; "
	"Secure; HttpOnly; SameSite=Lax\r\n"
	"X-Request-Id: 4f1c2a7e-9b3d-4e8f-a1c6-7d2e5b9f0a13\r\n"
	"Alt-Svc: h3=\":443\"; ma=86400\r\n"
	"Accept-Ranges: bytes\r\n"
	"Age: 42\r\n"
	"Via: 1.1 cache-7 (tachyon)\r\n"
	"X-Cache: HIT from edge-fra-07.cdn.example.net\r\n"
	"Server-Timing: cdn-cache;desc=HIT, edge;dur=1\r\n"
	"\r\n";

/* What a caller keeps from the callbacks: the spans. */
struct sink {
	const char *p[64];
	size_t n[64];
	unsigned int k;
	unsigned int done;
};

static int
on_span(http_parser *hp, const char *at, size_t len)
{
	struct sink *s = hp->data;

	s->p[s->k & 63] = at;
	s->n[s->k & 63] = len;
	s->k++;
	return 0;
}

static int
on_done(http_parser *hp)
{
	struct sink *s = hp->data;

	s->done++;
	return 0;
}

static volatile uint64_t sink_sum;

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double
run_hp(const char *msg, size_t len, enum http_parser_type type, long iters)
{
	http_parser_settings st;
	http_parser hp;
	struct sink s = { 0 };
	double t0;
	long i;

	memset(&st, 0, sizeof(st));
	st.on_url = on_span;
	st.on_status = on_span;
	st.on_header_field = on_span;
	st.on_header_value = on_span;
	st.on_message_complete = on_done;
	t0 = now_ns();
	for (i = 0; i < iters; i++) {
		http_parser_init(&hp, type);
		hp.data = &s;
		if (http_parser_execute(&hp, &st, msg, len) != len ||
				HTTP_PARSER_ERRNO(&hp) != HPE_OK) {
			fprintf(stderr, "http-parser: %s\n", http_errno_name(
					HTTP_PARSER_ERRNO(&hp)));
			exit(1);
		}
	}
	t0 = now_ns() - t0;
	if (s.done != (unsigned int)iters)
		exit(1);
	sink_sum += s.k;
	return t0 / (double)iters;
}

static double
run_tq(const char *msg, size_t len, enum tq_http_kind kind, long iters,
		bool walk)
{
	struct tq_http_parser p;
	struct tq_http_event ev;
	struct tq_http_field f;
	uint64_t sum = 0;
	double t0;
	long i;

	t0 = now_ns();
	for (i = 0; i < iters; i++) {
		tq_http_parser_init(&p, kind, NULL);
		if (tq_http_parse(&p, msg, len, &ev) != (int)len ||
				ev.type != TQ_HTTP_EV_HEAD ||
				tq_http_parse(&p, msg + len, 0, &ev) != 0 ||
				ev.type != TQ_HTTP_EV_DONE) {
			fprintf(stderr, "tq_http: %s\n",
					tq_http_error_str(p.error));
			exit(1);
		}
		if (walk) {
			uint32_t pos = 0;

			while (tq_http_field_next(&p.msg, &pos, &f))
				sum += f.value.len;
		}
		sum += p.msg.nfields;
	}
	t0 = now_ns() - t0;
	sink_sum += sum;
	return t0 / (double)iters;
}

struct result {
	const char *parser, *msgcase;
	size_t bytes;
	double ns;
};

int
main(int argc, char **argv)
{
	long iters = argc > 1 ? atol(argv[1]) : 1000000;
	int rounds = argc > 2 ? atoi(argv[2]) : 7;
	struct result r[6] = {
		{ "tachyon", "get_200B", sizeof(get_req) - 1, 1e18 },
		{ "tachyon+fields", "get_200B", sizeof(get_req) - 1, 1e18 },
		{ "http-parser", "get_200B", sizeof(get_req) - 1, 1e18 },
		{ "tachyon", "resp_1KiB", sizeof(resp_head) - 1, 1e18 },
		{ "tachyon+fields", "resp_1KiB", sizeof(resp_head) - 1, 1e18 },
		{ "http-parser", "resp_1KiB", sizeof(resp_head) - 1, 1e18 },
	};
	double v;
	int k;
	unsigned int i;

	if (iters < 1 || rounds < 1) {
		fprintf(stderr, "usage: %s [iterations] [rounds]\n", argv[0]);
		return 2;
	}
	/* interleaved rounds: drift in clock or load hits all alike */
	for (k = 0; k < rounds; k++) {
		v = run_tq(get_req, r[0].bytes, TQ_HTTP_REQUEST, iters, false);
		r[0].ns = v < r[0].ns ? v : r[0].ns;
		v = run_tq(get_req, r[1].bytes, TQ_HTTP_REQUEST, iters, true);
		r[1].ns = v < r[1].ns ? v : r[1].ns;
		v = run_hp(get_req, r[2].bytes, HTTP_REQUEST, iters);
		r[2].ns = v < r[2].ns ? v : r[2].ns;
		v = run_tq(resp_head, r[3].bytes, TQ_HTTP_RESPONSE, iters / 4,
				false);
		r[3].ns = v < r[3].ns ? v : r[3].ns;
		v = run_tq(resp_head, r[4].bytes, TQ_HTTP_RESPONSE, iters / 4,
				true);
		r[4].ns = v < r[4].ns ? v : r[4].ns;
		v = run_hp(resp_head, r[5].bytes, HTTP_RESPONSE, iters / 4);
		r[5].ns = v < r[5].ns ? v : r[5].ns;
	}
	printf("{\"iterations\": %ld, \"rounds\": %d, \"http_parser\": "
			"\"%u.%u.%u\", \"results\": [", iters, rounds,
			HTTP_PARSER_VERSION_MAJOR, HTTP_PARSER_VERSION_MINOR,
			HTTP_PARSER_VERSION_PATCH);
	for (i = 0; i < 6; i++)
		printf("%s\n  {\"parser\": \"%s\", \"case\": \"%s\", "
				"\"bytes\": %zu, \"ns_per_msg\": %.1f, "
				"\"bytes_per_ns\": %.2f}", i ? "," : "",
				r[i].parser, r[i].msgcase, r[i].bytes, r[i].ns,
				(double)r[i].bytes / r[i].ns);
	printf("\n]}\n");
	return sink_sum == 0;
}
