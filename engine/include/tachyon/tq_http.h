/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TACHYON_TQ_HTTP_H
#define TACHYON_TQ_HTTP_H

/**
 * @file
 * HTTP/1.1 message parsing and writing (RFC 9112, RFC 9110).
 *
 * The parser is incremental and allocates nothing: the caller owns a
 * struct tq_http_parser per connection direction and feeds it the bytes
 * it has; each call of tq_http_parse() consumes some of them and reports
 * one event.
 *
 * - The head (start line and header fields) must be contiguous: until
 *   the ::TQ_HTTP_EV_HEAD event, tq_http_parse() consumes nothing of it,
 *   and the caller presents the same bytes again, with more appended.
 *   The parser remembers how far it has searched, so feeding a head one
 *   byte at a time costs O(n) in all.  The head is bounded by
 *   tq_http_limits.max_head, so a buffer of that size suffices.
 * - Body bytes need no buffering: each ::TQ_HTTP_EV_BODY event is a span
 *   of the input, consumed, which the caller may stream on as it is.
 *   Chunk framing and trailers are parsed byte by byte and may be split
 *   anywhere.
 *
 * The usual loop:
 * @code
 * for (;;) {
 *	n = tq_http_parse(&p, buf + off, len - off, &ev);
 *	if (n < 0) { status = tq_http_error_status(p.error); ... }
 *	off += n;
 *	if (ev.type == TQ_HTTP_EV_NEED_MORE) break; // keep buf[off, len)
 *	...
 * }
 * @endcode
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Default tq_http_limits.max_head: request or status line and fields. */
#define TQ_HTTP_DEFAULT_MAX_HEAD 8192
/** Default tq_http_limits.max_fields. */
#define TQ_HTTP_DEFAULT_MAX_FIELDS 100
/** Default tq_http_limits.max_body (1 GiB). */
#define TQ_HTTP_DEFAULT_MAX_BODY (1ull << 30)
/** Longest chunk-size line (size and extensions) accepted. */
#define TQ_HTTP_MAX_CHUNK_LINE 4096

/** What the parser parses. */
enum tq_http_kind {
	TQ_HTTP_REQUEST,
	TQ_HTTP_RESPONSE,
};

/** Methods the parser names; any other token is ::TQ_HTTP_M_OTHER. */
enum tq_http_method {
	TQ_HTTP_M_OTHER,
	TQ_HTTP_M_GET,
	TQ_HTTP_M_HEAD,
	TQ_HTTP_M_POST,
	TQ_HTTP_M_PUT,
	TQ_HTTP_M_DELETE,
	TQ_HTTP_M_CONNECT,
	TQ_HTTP_M_OPTIONS,
	TQ_HTTP_M_TRACE,
	TQ_HTTP_M_PATCH,
};

/** How the body of a message is delimited (RFC 9112 6.3). */
enum tq_http_body {
	TQ_HTTP_BODY_NONE,     /**< no body */
	TQ_HTTP_BODY_LENGTH,   /**< Content-Length bytes */
	TQ_HTTP_BODY_CHUNKED,  /**< chunked transfer coding */
	TQ_HTTP_BODY_TO_CLOSE, /**< a response read until the close */
};

/** Why a message was refused.  tq_http_error_status() maps them. */
enum tq_http_error {
	TQ_HTTP_E_NONE,
	TQ_HTTP_E_SYNTAX,	   /**< 400: malformed start line or field */
	TQ_HTTP_E_FOLD,		   /**< 400: obs-fold (RFC 9112 5.2) */
	TQ_HTTP_E_HOST,		   /**< 400: more than one Host */
	TQ_HTTP_E_CONTENT_LENGTH,  /**< 400: bad or differing Content-Length */
	TQ_HTTP_E_TRANSFER_ENCODING, /**< 400: chunked not last, or in 1.0 */
	TQ_HTTP_E_CHUNK,	   /**< 400: malformed chunk framing */
	TQ_HTTP_E_CHUNK_SIZE,	   /**< 400: chunk size overflows 64 bits */
	TQ_HTTP_E_TRUNCATED,	   /**< 400: the input ended inside a message */
	TQ_HTTP_E_HEAD_TOO_LARGE,  /**< 431: head over max_head */
	TQ_HTTP_E_TOO_MANY_FIELDS, /**< 431: over max_fields */
	TQ_HTTP_E_TRAILER_TOO_LARGE, /**< 431: trailer section over limits */
	TQ_HTTP_E_BODY_TOO_LARGE,  /**< 413: body over max_body */
	TQ_HTTP_E_CODING,	   /**< 501: unknown transfer coding */
	TQ_HTTP_E_VERSION,	   /**< 505: HTTP major version not 1 */
	TQ_HTTP_E_STATUS,	   /**< a status code below 100 */
	TQ_HTTP_E_MAX,
};

/** Caller's limits; zero fields take the TQ_HTTP_DEFAULT_* values. */
struct tq_http_limits {
	uint32_t max_head;   /**< bytes of start line and fields, with EOLs */
	uint32_t max_fields; /**< header fields; also bounds trailer fields */
	uint64_t max_body;   /**< body bytes (Content-Length or chunk total) */
};

/** Bytes of the input (or of a head the caller still holds). */
struct tq_http_span {
	const char *p;
	uint32_t len;
};

/** A parsed field line: its name and its value without OWS. */
struct tq_http_field {
	struct tq_http_span name;
	struct tq_http_span value;
};

/**
 * A message head, valid from the ::TQ_HTTP_EV_HEAD event.  Its spans
 * point into the bytes the caller passed; they stay valid while the
 * caller keeps those bytes.
 */
struct tq_http_msg {
	struct tq_http_span head;   /**< the head, through the empty line */
	struct tq_http_span method; /**< requests */
	struct tq_http_span target; /**< requests */
	struct tq_http_span reason; /**< responses */
	enum tq_http_method meth;   /**< requests */
	uint16_t status;	    /**< responses */
	uint8_t minor;		    /**< HTTP/1.minor */
	uint32_t nfields;	    /**< field lines in the head */
	enum tq_http_body body;	    /**< how the body is delimited */
	uint64_t content_length;    /**< ::TQ_HTTP_BODY_LENGTH */
	bool keep_alive;  /**< the connection persists after this message */
	bool expect_continue; /**< request with "Expect: 100-continue" */
	bool upgrade;	  /**< "Connection: upgrade" (or a 101 response) */
	bool has_host;	  /**< request with one Host field */
	bool other_coding; /**< a transfer coding besides chunked (left on) */
	bool te_and_cl;	  /**< Transfer-Encoding overrode Content-Length */
};

/** What one tq_http_parse() call found. */
enum tq_http_ev_type {
	TQ_HTTP_EV_NEED_MORE, /**< all consumable input consumed */
	TQ_HTTP_EV_HEAD,      /**< a head; see tq_http_parser.msg */
	TQ_HTTP_EV_BODY,      /**< body bytes: data, len */
	TQ_HTTP_EV_DONE,      /**< the message ended (after its trailers) */
};

/** The event of a tq_http_parse() call. */
struct tq_http_event {
	enum tq_http_ev_type type;
	const char *data; /**< ::TQ_HTTP_EV_BODY: the bytes, in the input */
	uint32_t len;
};

/** Parser state: the caller's, one per direction of a connection. */
struct tq_http_parser {
	struct tq_http_limits lim;
	enum tq_http_kind kind;
	enum tq_http_error error; /**< why the last call failed */
	uint8_t state;
	uint8_t cstate;		  /**< inside chunk framing */
	bool resp_no_body;	  /**< the request answered was HEAD */
	bool resp_connect;	  /**< the request answered was CONNECT */
	uint32_t scan;		  /**< head bytes already searched */
	uint32_t line;		  /**< bytes of the chunk/trailer line so far */
	uint32_t trailer_bytes;
	uint32_t trailer_fields;
	uint64_t remain;	  /**< body or chunk bytes left */
	uint64_t body_total;	  /**< body bytes delivered so far */
	struct tq_http_msg msg;
};

/**
 * Set up a parser.
 * @param lim NULL or limits; zero members take the defaults.
 */
void tq_http_parser_init(struct tq_http_parser *p, enum tq_http_kind kind,
		const struct tq_http_limits *lim);

/**
 * Response parsers: say which request the next response answers, since a
 * response to HEAD has no body and a 2xx to CONNECT ends HTTP (RFC 9112
 * 6.3).  Call before feeding each response; the default is GET.
 */
void tq_http_parser_expect(struct tq_http_parser *p, enum tq_http_method m);

/**
 * Parse from buf.
 * @return bytes consumed (0 or more) with *ev filled, or -EBADMSG with
 *   p->error set; a failed parser keeps failing until re-initialised.
 *   After a head, a message ends with ::TQ_HTTP_EV_DONE even if it has no
 *   body; the next message starts with the next call (pipelining).
 */
int tq_http_parse(struct tq_http_parser *p, const char *buf, size_t len,
		struct tq_http_event *ev);

/**
 * The input ended (the peer closed).  Ends a response read to close
 * (*ev is ::TQ_HTTP_EV_DONE); between messages *ev is
 * ::TQ_HTTP_EV_NEED_MORE.
 * @return 0, or -EBADMSG (::TQ_HTTP_E_TRUNCATED) inside a message.
 */
int tq_http_parse_eof(struct tq_http_parser *p, struct tq_http_event *ev);

/** True between messages (nothing of the next one consumed yet). */
bool tq_http_parser_idle(const struct tq_http_parser *p);

/**
 * Walk the field lines of a head.  Start with *pos = 0.
 * @return true with *f filled, false after the last field.
 */
bool tq_http_field_next(const struct tq_http_msg *m, uint32_t *pos,
		struct tq_http_field *f);

/**
 * The value of the first field named name (case-insensitive).
 * @return true if found.
 */
bool tq_http_field_get(const struct tq_http_msg *m, const char *name,
		struct tq_http_span *value);

/** The status code an error maps to: 400, 413, 431, 501, 505 (0 for none). */
int tq_http_error_status(enum tq_http_error e);

/** A short name of an error, for logs. */
const char *tq_http_error_str(enum tq_http_error e);

/** The reason phrase of a status code ("Unknown" if not known). */
const char *tq_http_reason(int status);

/** A header field to write: NUL-terminated name and value. */
struct tq_http_hdr {
	const char *name;
	const char *value;
};

/**
 * Write "HTTP/1.minor status reason", the fields and the empty line.
 * @param reason NULL: tq_http_reason(status).
 * @return the length written (no NUL), -ENOSPC if it does not fit in
 *   cap, -EINVAL for a name that is not a token, a value or reason with
 *   CR, LF or another control character, or a status not 100-999.
 */
int tq_http_write_status(char *buf, size_t cap, unsigned int minor,
		unsigned int status, const char *reason,
		const struct tq_http_hdr *fields, unsigned int n);

/**
 * Write "method target HTTP/1.minor", the fields and the empty line.
 * @return as tq_http_write_status(); -EINVAL also for a method that is
 *   not a token or a target with a space or control character.
 */
int tq_http_write_request(char *buf, size_t cap, const char *method,
		const char *target, unsigned int minor,
		const struct tq_http_hdr *fields, unsigned int n);

/**
 * Write a chunk header "HEX\r\n" for size > 0 bytes of data; the data
 * must be followed by "\r\n".
 * @return the length, -ENOSPC, or -EINVAL for size 0 (that is the last
 *   chunk: tq_http_write_last_chunk()).
 */
int tq_http_write_chunk(char *buf, size_t cap, uint64_t size);

/**
 * Write the last chunk "0\r\n", trailer fields and the empty line.
 * @return the length, -ENOSPC or -EINVAL (as for fields above).
 */
int tq_http_write_last_chunk(char *buf, size_t cap,
		const struct tq_http_hdr *trailers, unsigned int n);

#ifdef __cplusplus
}
#endif

#endif
