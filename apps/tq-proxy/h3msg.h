/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_PROXY_H3MSG_H
#define TQ_PROXY_H3MSG_H

/*
 * The HTTP/3 front's heads (docs/tq-proxy.md, HTTP/3 front): an HTTP/3
 * request as the HTTP/1.1 head a backend gets, and the fields of a
 * backend's HTTP/1.1 answer as HTTP/3 fields.  Pure: the unit suite
 * tests them as they are.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tachyon/tq_http.h>

#include "hmsg.h"

/*
 * The request head for the backend, all but its end: "METHOD PATH
 * HTTP/1.1", Host from :authority (else the request's host field, else
 * r->host), the fields less the hop-by-hop ones, Host, Content-Length
 * and Transfer-Encoding (the caller says how the body goes with
 * h3msg_request_end()), cookie fields joined into one (RFC 9114
 * 4.2.1), X-Forwarded-For with the client appended, Forwarded with
 * "for=...;proto=https;host=..." appended.
 * @return the length, -ENOSPC when it does not fit in cap, -EINVAL for
 *   a request without :method or :path.
 */
int h3msg_request(const struct tq_http_span *method,
		const struct tq_http_span *path,
		const struct tq_http_span *authority,
		const struct tq_http_field *fields, uint32_t nfields,
		const struct hmsg_req *r, char *out, size_t cap);

/*
 * The end of that head: clen >= 0 "Content-Length: clen", chunked
 * "Transfer-Encoding: chunked", else nothing; then the empty line.
 * @return the length, or -ENOSPC.
 */
int h3msg_request_end(int64_t clen, bool chunked, char *out, size_t cap);

/*
 * The answer's fields for HTTP/3: the hop-by-hop ones left out (as
 * hmsg_response()), names in lower case (copied into names[ncap]),
 * values pointing into m's head.
 * @return how many went into f[fcap], or -ENOSPC.
 */
int h3msg_response_fields(const struct tq_http_msg *m,
		struct tq_http_field *f, uint32_t fcap, char *names,
		size_t ncap);

#endif
