/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP/1.1 message writing, and the status codes and reasons shared by
 * both directions.  Every writer checks what it is given: a name that is
 * not a token or a value with CR or LF would let a caller's data split
 * the message (response splitting), so it is -EINVAL, not written.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <tachyon/tq_http.h>

#include "tq_http_priv.h"

int
tq_http_error_status(enum tq_http_error e)
{
	switch (e) {
	case TQ_HTTP_E_NONE:
		return 0;
	case TQ_HTTP_E_HEAD_TOO_LARGE:
	case TQ_HTTP_E_TOO_MANY_FIELDS:
	case TQ_HTTP_E_TRAILER_TOO_LARGE:
		return 431;
	case TQ_HTTP_E_BODY_TOO_LARGE:
		return 413;
	case TQ_HTTP_E_CODING:
		return 501;
	case TQ_HTTP_E_VERSION:
		return 505;
	default:
		return 400;
	}
}

const char *
tq_http_error_str(enum tq_http_error e)
{
	static const char *const names[TQ_HTTP_E_MAX] = {
		[TQ_HTTP_E_NONE] = "none",
		[TQ_HTTP_E_SYNTAX] = "syntax",
		[TQ_HTTP_E_FOLD] = "obs-fold",
		[TQ_HTTP_E_HOST] = "several Host fields",
		[TQ_HTTP_E_CONTENT_LENGTH] = "bad Content-Length",
		[TQ_HTTP_E_TRANSFER_ENCODING] = "bad Transfer-Encoding",
		[TQ_HTTP_E_CHUNK] = "bad chunk framing",
		[TQ_HTTP_E_CHUNK_SIZE] = "chunk size overflow",
		[TQ_HTTP_E_TRUNCATED] = "truncated message",
		[TQ_HTTP_E_HEAD_TOO_LARGE] = "head too large",
		[TQ_HTTP_E_TOO_MANY_FIELDS] = "too many fields",
		[TQ_HTTP_E_TRAILER_TOO_LARGE] = "trailers too large",
		[TQ_HTTP_E_BODY_TOO_LARGE] = "body too large",
		[TQ_HTTP_E_CODING] = "unknown transfer coding",
		[TQ_HTTP_E_VERSION] = "unsupported version",
		[TQ_HTTP_E_STATUS] = "bad status code",
	};

	if ((unsigned int)e >= TQ_HTTP_E_MAX)
		return "unknown";
	return names[e];
}

const char *
tq_http_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 101: return "Switching Protocols";
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 417: return "Expectation Failed";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

/* A bounded appender: the first failure sticks. */
struct wbuf {
	char *p;
	size_t cap, len;
	int err;
};

static void
put(struct wbuf *w, const char *s, size_t n)
{
	if (w->err)
		return;
	if (n > w->cap - w->len) {
		w->err = -ENOSPC;
		return;
	}
	memcpy(w->p + w->len, s, n);
	w->len += n;
}

static void
puts_(struct wbuf *w, const char *s)
{
	put(w, s, strlen(s));
}

static bool
is_token(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!tq_http_tchar[(unsigned char)*s])
			return false;
	return true;
}

static bool
is_text(const char *s)
{
	for (; *s; s++)
		if (!tq_http_vchar[(unsigned char)*s])
			return false;
	return true;
}

static void
put_fields(struct wbuf *w, const struct tq_http_hdr *f, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (!is_token(f[i].name) || !is_text(f[i].value)) {
			w->err = -EINVAL;
			return;
		}
		puts_(w, f[i].name);
		put(w, ": ", 2);
		puts_(w, f[i].value);
		put(w, "\r\n", 2);
	}
	put(w, "\r\n", 2);
}

static int
wbuf_end(struct wbuf *w)
{
	if (w->err)
		return w->err;
	if (w->len > INT32_MAX)
		return -ENOSPC;
	return (int)w->len;
}

int
tq_http_write_status(char *buf, size_t cap, unsigned int minor,
		unsigned int status, const char *reason,
		const struct tq_http_hdr *fields, unsigned int n)
{
	struct wbuf w = { .p = buf, .cap = cap };
	char line[24];

	if (status < 100 || status > 999 || minor > 9)
		return -EINVAL;
	if (!reason)
		reason = tq_http_reason((int)status);
	if (!is_text(reason))
		return -EINVAL;
	snprintf(line, sizeof(line), "HTTP/1.%u %03u ", minor, status);
	puts_(&w, line);
	puts_(&w, reason);
	put(&w, "\r\n", 2);
	put_fields(&w, fields, n);
	return wbuf_end(&w);
}

int
tq_http_write_request(char *buf, size_t cap, const char *method,
		const char *target, unsigned int minor,
		const struct tq_http_hdr *fields, unsigned int n)
{
	struct wbuf w = { .p = buf, .cap = cap };
	const unsigned char *t;
	char ver[16];

	if (!is_token(method) || !*target || minor > 9)
		return -EINVAL;
	for (t = (const unsigned char *)target; *t; t++)
		if (*t <= 0x20 || *t >= 0x7f)
			return -EINVAL;
	puts_(&w, method);
	put(&w, " ", 1);
	puts_(&w, target);
	snprintf(ver, sizeof(ver), " HTTP/1.%u\r\n", minor);
	puts_(&w, ver);
	put_fields(&w, fields, n);
	return wbuf_end(&w);
}

int
tq_http_write_chunk(char *buf, size_t cap, uint64_t size)
{
	char line[24];
	int n;

	if (size == 0)
		return -EINVAL;
	n = snprintf(line, sizeof(line), "%" PRIx64 "\r\n", size);
	if ((size_t)n > cap)
		return -ENOSPC;
	memcpy(buf, line, (size_t)n);
	return n;
}

int
tq_http_write_last_chunk(char *buf, size_t cap,
		const struct tq_http_hdr *trailers, unsigned int n)
{
	struct wbuf w = { .p = buf, .cap = cap };

	put(&w, "0\r\n", 3);
	put_fields(&w, trailers, n);
	return wbuf_end(&w);
}
