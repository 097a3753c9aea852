/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_PROXY_HMSG_H
#define TQ_PROXY_HMSG_H

/*
 * HTTP mode's message heads (docs/tq-proxy.md, HTTP mode): the request
 * head sent to a backend and the response head sent to a client, both
 * rewritten from a parsed head into a bounded buffer, and the proxy's
 * own error answers.  Pure: the unit suite tests them as they are.
 */
#include <stdbool.h>
#include <stddef.h>

#include <tachyon/tq_http.h>

/* What a request head gains on its way to a backend. */
struct hmsg_req {
	const char *client;	/* the client's address, as text */
	bool client_v6;		/* Forwarded quotes it as "[addr]" */
	const char *host;	/* Host to add when the request has none */
};

/*
 * The request head for the backend: "METHOD TARGET HTTP/1.1", the fields
 * less the hop-by-hop ones (Connection and those it names, Keep-Alive,
 * Proxy-Connection, TE, Trailer, Upgrade; Transfer-Encoding kept only
 * for a chunked body, which goes on as it came), X-Forwarded-For with
 * the client appended, Forwarded with "for=...;proto=http;host=..."
 * appended (RFC 7239), a Host when there was none.
 * @return the length written, or -ENOSPC when it does not fit in cap.
 */
int hmsg_request(const struct tq_http_msg *m, const struct hmsg_req *r,
		char *out, size_t cap);

/*
 * The response head for the client: "HTTP/1.1 STATUS REASON", the fields
 * less the hop-by-hop ones; "Transfer-Encoding: chunked" when the body
 * goes on chunked (chunked and not dechunk, or read to the backend's
 * close and re-chunked for a 1.1 client kept); "Connection: close" when
 * !keep_alive, "Connection: keep-alive" to an HTTP/1.0 client that keeps
 * it.  dechunk: the body goes on bare (to an HTTP/1.0 client, ended by
 * the close).
 * @return the length, or -ENOSPC.
 */
int hmsg_response(const struct tq_http_msg *m, unsigned int client_minor,
		bool dechunk, bool keep_alive, char *out, size_t cap);

/*
 * The proxy's own answer: STATUS with a one-line text body, and
 * "Connection: close" when close.  head_only: for a HEAD request.
 * @return the length, or -ENOSPC.
 */
int hmsg_error(unsigned int status, bool close, bool head_only, char *out,
		size_t cap);

/* True when a field named name (len bytes) is hop-by-hop in m: one of
 * the fixed set, or named by m's Connection fields. */
bool hmsg_hop_by_hop(const struct tq_http_msg *m, const char *name,
		size_t len);

#endif
