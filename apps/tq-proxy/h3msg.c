/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The HTTP/3 front's heads (h3msg.h): written into the caller's bounded
 * buffer, never past cap, nothing allocated.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "h3msg.h"

struct wbuf {
	char *p;
	size_t cap, len;
	bool full;
};

static void
put(struct wbuf *w, const char *s, size_t n)
{
	if (w->full || w->len + n > w->cap) {
		w->full = true;
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
name_is(const struct tq_http_span *n, const char *s)
{
	return n->len == strlen(s) && !strncasecmp(n->p, s, n->len);
}

/* What does not go on to an HTTP/1.1 backend as it came (HTTP/3 forbids
 * the connection-specific fields anyway; a lax client is not trusted). */
static bool
dropped(const struct tq_http_span *n)
{
	static const char *const names[] = {
		"connection", "keep-alive", "proxy-connection", "te",
		"trailer", "transfer-encoding", "upgrade", "host",
		"content-length", "x-forwarded-for", "forwarded", "cookie",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (name_is(n, names[i]))
			return true;
	return false;
}

/* Every value of the fields named name, joined by sep. */
static bool
put_joined(struct wbuf *w, const struct tq_http_field *f, uint32_t n,
		const char *name, const char *sep)
{
	bool any = false;
	uint32_t i;

	for (i = 0; i < n; i++) {
		if (!name_is(&f[i].name, name) || f[i].value.len == 0)
			continue;
		if (any)
			puts_(w, sep);
		put(w, f[i].value.p, f[i].value.len);
		any = true;
	}
	return any;
}

/* A Forwarded value is a token or a quoted-string (RFC 7239 4). */
static void
put_fwd_value(struct wbuf *w, const char *v, size_t n)
{
	bool quote = n == 0;
	size_t i;

	for (i = 0; i < n && !quote; i++)
		if (!isalnum((unsigned char)v[i]) &&
				!strchr("!#$%&'*+-.^_`|~", v[i]))
			quote = true;
	if (!quote) {
		put(w, v, n);
		return;
	}
	puts_(w, "\"");
	for (i = 0; i < n; i++) {
		if (v[i] == '"' || v[i] == '\\')
			puts_(w, "\\");
		put(w, v + i, 1);
	}
	puts_(w, "\"");
}

int
h3msg_request(const struct tq_http_span *method,
		const struct tq_http_span *path,
		const struct tq_http_span *authority,
		const struct tq_http_field *f, uint32_t nf,
		const struct hmsg_req *r, char *out, size_t cap)
{
	struct wbuf w = { .p = out, .cap = cap };
	struct tq_http_span host = { .p = r->host,
		.len = (uint32_t)strlen(r->host) };
	uint32_t i;

	if (!method->len || !path->len)
		return -EINVAL;
	if (authority->len) {
		host = *authority;
	} else {
		for (i = 0; i < nf; i++) {
			if (name_is(&f[i].name, "host") && f[i].value.len) {
				host = f[i].value;
				break;
			}
		}
	}
	put(&w, method->p, method->len);
	puts_(&w, " ");
	put(&w, path->p, path->len);
	puts_(&w, " HTTP/1.1\r\nHost: ");
	put(&w, host.p, host.len);
	puts_(&w, "\r\n");
	for (i = 0; i < nf; i++) {
		if (dropped(&f[i].name))
			continue;
		put(&w, f[i].name.p, f[i].name.len);
		puts_(&w, ": ");
		put(&w, f[i].value.p, f[i].value.len);
		puts_(&w, "\r\n");
	}
	/* HTTP/3 may split Cookie into many fields; HTTP/1.1 wants one. */
	for (i = 0; i < nf; i++) {
		if (name_is(&f[i].name, "cookie") && f[i].value.len) {
			puts_(&w, "Cookie: ");
			put_joined(&w, f, nf, "cookie", "; ");
			puts_(&w, "\r\n");
			break;
		}
	}
	puts_(&w, "X-Forwarded-For: ");
	if (put_joined(&w, f, nf, "x-forwarded-for", ", "))
		puts_(&w, ", ");
	puts_(&w, r->client);
	puts_(&w, "\r\nForwarded: ");
	if (put_joined(&w, f, nf, "forwarded", ", "))
		puts_(&w, ", ");
	puts_(&w, "for=");
	if (r->client_v6) {
		/* An IPv6 node is "[addr]", always quoted (RFC 7239 6). */
		puts_(&w, "\"[");
		puts_(&w, r->client);
		puts_(&w, "]\"");
	} else {
		puts_(&w, r->client);
	}
	puts_(&w, ";proto=https;host=");
	put_fwd_value(&w, host.p, host.len);
	puts_(&w, "\r\n");
	return w.full ? -ENOSPC : (int)w.len;
}

int
h3msg_request_end(int64_t clen, bool chunked, char *out, size_t cap)
{
	int n;

	if (clen >= 0)
		n = snprintf(out, cap, "Content-Length: %" PRId64 "\r\n\r\n",
				clen);
	else if (chunked)
		n = snprintf(out, cap, "Transfer-Encoding: chunked\r\n\r\n");
	else
		n = snprintf(out, cap, "\r\n");
	if (n < 0 || (size_t)n >= cap)
		return -ENOSPC;
	return n;
}

int
h3msg_response_fields(const struct tq_http_msg *m, struct tq_http_field *f,
		uint32_t fcap, char *names, size_t ncap)
{
	struct tq_http_field x;
	uint32_t pos = 0, n = 0, i;
	size_t used = 0;

	while (tq_http_field_next(m, &pos, &x)) {
		if (name_is(&x.name, "content-length") && m->te_and_cl)
			continue;
		if (hmsg_hop_by_hop(m, x.name.p, x.name.len))
			continue;
		if (n == fcap || used + x.name.len > ncap)
			return -ENOSPC;
		for (i = 0; i < x.name.len; i++)
			names[used + i] = (char)tolower(
					(unsigned char)x.name.p[i]);
		f[n].name.p = names + used;
		f[n].name.len = x.name.len;
		f[n].value = x.value;
		used += x.name.len;
		n++;
	}
	return (int)n;
}
