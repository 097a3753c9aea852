/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP mode's heads (docs/tq-proxy.md, HTTP mode, Header rewriting):
 * rewritten from the parser's spans into the caller's bounded buffer,
 * never past cap, nothing allocated.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "hmsg.h"

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

static void
putspan(struct wbuf *w, struct tq_http_span s)
{
	put(w, s.p, s.len);
}

static bool
name_is(const struct tq_http_span *n, const char *s)
{
	return n->len == strlen(s) && !strncasecmp(n->p, s, n->len);
}

/* Is the token tok (len) in the comma-separated list v? */
static bool
in_list(struct tq_http_span v, const char *tok, size_t len)
{
	size_t i = 0, s, e;

	while (i < v.len) {
		while (i < v.len && (v.p[i] == ' ' || v.p[i] == '\t' ||
				v.p[i] == ','))
			i++;
		s = i;
		while (i < v.len && v.p[i] != ',')
			i++;
		e = i;
		while (e > s && (v.p[e - 1] == ' ' || v.p[e - 1] == '\t'))
			e--;
		if (e - s == len && len && !strncasecmp(v.p + s, tok, len))
			return true;
	}
	return false;
}

bool
hmsg_hop_by_hop(const struct tq_http_msg *m, const char *name, size_t len)
{
	static const char *const fixed[] = {
		"connection", "keep-alive", "proxy-connection", "te",
		"trailer", "transfer-encoding", "upgrade",
	};
	struct tq_http_field f;
	uint32_t pos = 0;
	size_t i;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (strlen(fixed[i]) == len && !strncasecmp(fixed[i], name, len))
			return true;
	while (tq_http_field_next(m, &pos, &f))
		if (name_is(&f.name, "connection") &&
				in_list(f.value, name, len))
			return true;
	return false;
}

/* Every value of the fields named name, joined by ", " (one list). */
static bool
put_joined(struct wbuf *w, const struct tq_http_msg *m, const char *name)
{
	struct tq_http_field f;
	uint32_t pos = 0;
	bool any = false;

	while (tq_http_field_next(m, &pos, &f)) {
		if (!name_is(&f.name, name) || f.value.len == 0)
			continue;
		if (any)
			puts_(w, ", ");
		putspan(w, f.value);
		any = true;
	}
	return any;
}

/* A Forwarded value is a token or a quoted-string (RFC 7239 4). */
static void
put_fwd_value(struct wbuf *w, const char *v, size_t n, bool quote)
{
	size_t i;

	for (i = 0; i < n && !quote; i++)
		if (!(v[i] >= '0' && v[i] <= '9') &&
				!(v[i] >= 'a' && v[i] <= 'z') &&
				!(v[i] >= 'A' && v[i] <= 'Z') &&
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
hmsg_request(const struct tq_http_msg *m, const struct hmsg_req *r,
		char *out, size_t cap)
{
	struct wbuf w = { .p = out, .cap = cap };
	struct tq_http_span host = { 0 };
	struct tq_http_field f;
	uint32_t pos = 0;

	putspan(&w, m->method);
	puts_(&w, " ");
	putspan(&w, m->target);
	puts_(&w, " HTTP/1.1\r\n");
	while (tq_http_field_next(m, &pos, &f)) {
		if (name_is(&f.name, "x-forwarded-for") ||
				name_is(&f.name, "forwarded"))
			continue;
		if (name_is(&f.name, "transfer-encoding") &&
				m->body == TQ_HTTP_BODY_CHUNKED)
			goto keep;	/* the body goes on chunked as it came */
		if (name_is(&f.name, "content-length") && m->te_and_cl)
			continue;	/* overridden (RFC 9112 6.3) */
		if (hmsg_hop_by_hop(m, f.name.p, f.name.len))
			continue;
keep:
		putspan(&w, f.name);
		puts_(&w, ": ");
		putspan(&w, f.value);
		puts_(&w, "\r\n");
	}
	if (!tq_http_field_get(m, "host", &host) || host.len == 0) {
		puts_(&w, "Host: ");
		puts_(&w, r->host);
		puts_(&w, "\r\n");
		host.p = r->host;
		host.len = (uint32_t)strlen(r->host);
	}
	puts_(&w, "X-Forwarded-For: ");
	if (put_joined(&w, m, "x-forwarded-for"))
		puts_(&w, ", ");
	puts_(&w, r->client);
	puts_(&w, "\r\nForwarded: ");
	if (put_joined(&w, m, "forwarded"))
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
	puts_(&w, ";proto=http;host=");
	put_fwd_value(&w, host.p, host.len, false);
	puts_(&w, "\r\n\r\n");
	return w.full ? -ENOSPC : (int)w.len;
}

int
hmsg_response(const struct tq_http_msg *m, unsigned int client_minor,
		bool dechunk, bool keep_alive, char *out, size_t cap)
{
	struct wbuf w = { .p = out, .cap = cap };
	struct tq_http_field f;
	uint32_t pos = 0;
	char line[32];

	snprintf(line, sizeof(line), "HTTP/1.1 %u ", m->status);
	puts_(&w, line);
	putspan(&w, m->reason);
	puts_(&w, "\r\n");
	while (tq_http_field_next(m, &pos, &f)) {
		if (name_is(&f.name, "content-length") && m->te_and_cl)
			continue;
		if (hmsg_hop_by_hop(m, f.name.p, f.name.len))
			continue;
		putspan(&w, f.name);
		puts_(&w, ": ");
		putspan(&w, f.value);
		puts_(&w, "\r\n");
	}
	if ((m->body == TQ_HTTP_BODY_CHUNKED && !dechunk) ||
			(m->body == TQ_HTTP_BODY_TO_CLOSE && keep_alive &&
			 client_minor == 1))
		puts_(&w, "Transfer-Encoding: chunked\r\n");
	if (!keep_alive)
		puts_(&w, "Connection: close\r\n");
	else if (client_minor == 0)
		puts_(&w, "Connection: keep-alive\r\n");
	puts_(&w, "\r\n");
	return w.full ? -ENOSPC : (int)w.len;
}

int
hmsg_error(unsigned int status, bool close, bool head_only, char *out,
		size_t cap)
{
	char body[64];
	int n, blen;

	blen = snprintf(body, sizeof(body), "%u %s\n", status,
			tq_http_reason((int)status));
	n = snprintf(out, cap, "HTTP/1.1 %u %s\r\nContent-Type: text/plain\r\n"
		"Content-Length: %d\r\n%s\r\n%s", status,
		tq_http_reason((int)status), blen,
		close ? "Connection: close\r\n" : "",
		head_only ? "" : body);
	if (n < 0 || (size_t)n >= cap)
		return -ENOSPC;
	return n;
}
