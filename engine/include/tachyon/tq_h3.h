/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TACHYON_TQ_H3_H
#define TACHYON_TQ_H3_H

/**
 * @file
 * HTTP/3 (RFC 9114) sessions over a connection of many streams.
 *
 * A session is bound to one struct tq_conn and uses only the public
 * stream API (tachyon/tq_stream.h): it opens our control and QPACK
 * streams with tq_conn_stream_open(TQ_STREAM_UNI), takes the peer's
 * streams through the connection's new_stream callback, and does the
 * framing, QPACK (static table only: we announce no dynamic table and
 * use none of the peer's) and the message rules itself.  See
 * docs/http3.md.
 *
 * The session takes over the connection's ops (tq_conn_set_ops()) and
 * its udata (tq_conn_set_udata()).  Everything runs on the worker that
 * owns the connection, like the stream API.
 *
 * One exchange (a request and its response) is a struct tq_h3_req: on a
 * server the peer's request stream, on a client one we opened with
 * tq_h3_client_request().  Its callbacks come in order: headers (the
 * request on a server; the response on a client, after any 1xx), data
 * (body bytes, any number of times), end (the peer's message is
 * complete), and closed, always last and exactly once, with 0 when the
 * exchange completed or the H3 error code that ended it.
 *
 * Callbacks come from the transport's callbacks, and also from within a
 * tq_h3_* call the app makes outside any callback (that call sends what
 * is queued, which may complete an exchange): an exchange may be gone
 * when such a call returns.  From inside a callback, what a call sends
 * and completes is done when the outermost callback returns.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tachyon/tq_http.h>
#include <tachyon/tq_stream.h>

#ifdef __cplusplus
extern "C" {
#endif

/** HTTP/3 error codes (RFC 9114 8.1). */
enum tq_h3_error {
	TQ_H3_NO_ERROR = 0x100,
	TQ_H3_GENERAL_PROTOCOL_ERROR = 0x101,
	TQ_H3_INTERNAL_ERROR = 0x102,
	TQ_H3_STREAM_CREATION_ERROR = 0x103,
	TQ_H3_CLOSED_CRITICAL_STREAM = 0x104,
	TQ_H3_FRAME_UNEXPECTED = 0x105,
	TQ_H3_FRAME_ERROR = 0x106,
	TQ_H3_EXCESSIVE_LOAD = 0x107,
	TQ_H3_ID_ERROR = 0x108,
	TQ_H3_SETTINGS_ERROR = 0x109,
	TQ_H3_MISSING_SETTINGS = 0x10a,
	TQ_H3_REQUEST_REJECTED = 0x10b,
	TQ_H3_REQUEST_CANCELLED = 0x10c,
	TQ_H3_REQUEST_INCOMPLETE = 0x10d,
	TQ_H3_MESSAGE_ERROR = 0x10e,
	TQ_H3_CONNECT_ERROR = 0x10f,
	TQ_H3_VERSION_FALLBACK = 0x110,
};

/** Name of an H3 error code ("H3_FRAME_UNEXPECTED"; "?" if unknown). */
const char *tq_h3_error_str(uint64_t code);

struct tq_h3_conn;
struct tq_h3_req;

/**
 * A message head as received.  Spans point into one block the exchange
 * keeps (the decoded fields, copied once; each string is followed by a
 * NUL byte its length does not count) and stay valid
 * until the exchange's next headers() (a final response after a 1xx) or
 * its closed().
 * Pseudo-header fields are taken out into their members; fields[] are
 * the regular fields in the order received (names lower case, as HTTP/3
 * requires).
 */
struct tq_h3_msg {
	struct tq_http_span method;	/**< requests */
	struct tq_http_span scheme;	/**< requests */
	struct tq_http_span authority;	/**< requests */
	struct tq_http_span path;	/**< requests */
	uint16_t status;		/**< responses */
	uint32_t nfields;
	const struct tq_http_field *fields;
	int64_t content_length;		/**< -1: none given */
};

/** Counters of a session; also added into tq_h3_conf.stats if given. */
struct tq_h3_stats {
	uint64_t requests;	   /**< exchanges begun (either role) */
	uint64_t responses[6];	   /**< by class: [1] 1xx ... [5] 5xx, [0] other */
	uint64_t body_rx;	   /**< body bytes received */
	uint64_t body_tx;	   /**< body bytes handed to the transport */
	uint64_t stream_errors;	   /**< exchanges ended by an H3 error */
	uint64_t conn_errors;	   /**< sessions ended by an H3 error */
	uint64_t goaways_rx;
	uint64_t goaways_tx;
	uint64_t mem_refused;	   /**< allocations over max_mem refused */
};

/** Session settings; zero fields take the defaults. */
struct tq_h3_conf {
	/** SETTINGS_MAX_FIELD_SECTION_SIZE we announce and enforce on what
	 * we receive (RFC 9114 4.2.2: name + value + 32 per field).
	 * Default 16384. */
	uint32_t max_field_section;
	/** Most regular fields kept per message; default 128. */
	uint32_t max_fields;
	/** Bytes of a streamed body buffered per exchange
	 * (tq_h3_body_write()); default 16384. */
	uint32_t body_buf;
	/** Bytes the session may hold (its exchanges, their received heads,
	 * frame queues and body rings); an allocation past it fails and
	 * the session closes with H3_EXCESSIVE_LOAD.
	 * Default 4 MiB. */
	uint32_t max_mem;
	/** Per-worker counters to add into, besides the session's own. */
	struct tq_h3_stats *stats;
};

/** Callbacks of a session; any may be NULL. arg is the session's. */
struct tq_h3_ops {
	/**
	 * A message head: on a server a new request (answer it with
	 * tq_h3_respond(), now or later); on a client the response, once
	 * per interim (1xx) response and once for the final one.
	 */
	void (*headers)(struct tq_h3_req *r, const struct tq_h3_msg *m,
			void *arg);
	/**
	 * Body bytes.  data points into the received mbufs (no copy) and
	 * is valid only during the call.
	 */
	void (*data)(struct tq_h3_req *r, const uint8_t *data, size_t len,
			void *arg);
	/**
	 * Body bytes without a copy, instead of data() when set: m is an
	 * indirect mbuf sharing the received segment (from that
	 * segment's pool), pkt_len bytes; the app owns it: free it, or
	 * hand it on with tq_stream_write_mbuf() or keep it.  When no
	 * mbuf can be had the bytes go to data() if set, else the exchange
	 * ends with H3_INTERNAL_ERROR: a byte is never dropped silently.
	 */
	void (*data_mbuf)(struct tq_h3_req *r, struct rte_mbuf *m,
			void *arg);
	/** The peer's message is complete (no more data). */
	void (*end)(struct tq_h3_req *r, void *arg);
	/** Room again for tq_h3_body_write() after a short write. */
	void (*writable)(struct tq_h3_req *r, void *arg);
	/**
	 * The exchange is over: code 0 when it completed, else the H3
	 * error code that ended it (ours or the peer's: a stream reset, a
	 * session error).  Last, exactly once; r is gone when it returns.
	 */
	void (*closed)(struct tq_h3_req *r, uint64_t code, void *arg);
	/**
	 * The peer sent GOAWAY.  Client: requests with a stream id >= id
	 * will not be processed (they end with H3_REQUEST_REJECTED) and
	 * new ones are refused.
	 */
	void (*goaway)(struct tq_h3_conn *h, int64_t id, void *arg);
	/**
	 * Client: tq_h3_client_request() failed with -EAGAIN (the peer's
	 * stream limit) before; the peer now allows more.  Also once when
	 * the handshake completes, before which requests fail with
	 * -ENOTCONN.
	 */
	void (*streams_available)(struct tq_h3_conn *h, void *arg);
	/**
	 * The session ended, after every exchange's closed(): code is the
	 * H3 (or transport) error code, TQ_H3_NO_ERROR for a clean end.
	 * h is gone when it returns.
	 */
	void (*conn_closed)(struct tq_h3_conn *h, uint64_t code, void *arg);
};

/**
 * A server session on c (a connection of many streams, ALPN h3).  Our
 * control and QPACK streams open now, or at established() if the
 * handshake is not done yet (or, at the peer's limit of unidirectional
 * streams, when it allows more).
 * @return the session, or NULL with *err: -ENOMEM, -ENOTSUP (c has one
 *   stream only: TCP), or the error of opening our streams.
 */
struct tq_h3_conn *tq_h3_server_new(struct tq_conn *c,
		const struct tq_h3_ops *ops, void *arg,
		const struct tq_h3_conf *conf, int *err);

/** A client session on c; as tq_h3_server_new(). */
struct tq_h3_conn *tq_h3_client_new(struct tq_conn *c,
		const struct tq_h3_ops *ops, void *arg,
		const struct tq_h3_conf *conf, int *err);

/** The connection under a session. */
struct tq_conn *tq_h3_conn_tq(const struct tq_h3_conn *h);

/** The session's counters. */
const struct tq_h3_stats *tq_h3_conn_stats(const struct tq_h3_conn *h);

/**
 * Graceful shutdown: GOAWAY, no new requests (a server refuses those
 * with H3_REQUEST_REJECTED); the connection is closed with H3_NO_ERROR
 * once the exchanges in progress are over.
 */
int tq_h3_shutdown(struct tq_h3_conn *h);

/**
 * Close now with an H3 error code: every exchange's closed() comes
 * with it, then conn_closed().
 */
void tq_h3_close(struct tq_h3_conn *h, uint64_t code);

/** tq_h3_respond() / tq_h3_client_request() flag: the body is
 * streamed with tq_h3_body_write() and ended by tq_h3_body_end(). */
#define TQ_H3_BODY_STREAM 0x1u

/**
 * Send a request (client).  fields are regular header fields (lower
 * case names); the pseudo-header fields come from method, scheme
 * ("https" when NULL), authority and path.  The body is none (body NULL,
 * len 0), body[0, len) (not copied: keep it until closed()), or
 * streamed (TQ_H3_BODY_STREAM).
 * @return the exchange, or NULL with *err: -ESHUTDOWN (after GOAWAY),
 *   -EAGAIN (the peer's stream limit: retry at streams_available()),
 *   -ENOTCONN (the handshake not done: likewise),
 *   -EINVAL, -ENOMEM.
 */
struct tq_h3_req *tq_h3_client_request(struct tq_h3_conn *h,
		const char *method, const char *scheme, const char *authority,
		const char *path, const struct tq_http_field *fields,
		uint32_t nfields, const void *body, size_t len,
		unsigned int flags, void *udata, int *err);

/**
 * Answer a request (server): status, regular fields, and the body as
 * for tq_h3_client_request().  Once per request.
 * @return 0, -EALREADY (answered before), -EPIPE (the exchange is
 *   ending), -EINVAL, -ENOMEM.
 */
int tq_h3_respond(struct tq_h3_req *r, uint16_t status,
		const struct tq_http_field *fields, uint32_t nfields,
		const void *body, size_t len, unsigned int flags);

/**
 * Add body bytes to a streamed body (copied into the exchange's buffer
 * of tq_h3_conf.body_buf bytes, which frees as the transport takes
 * them).
 * @return bytes taken (less than len, even 0, when the buffer is full:
 *   writable() follows), -EINVAL (not a streamed body), -EPIPE (ended
 *   or reset).
 */
int tq_h3_body_write(struct tq_h3_req *r, const void *buf, size_t len);

/** End a streamed body (FIN after what is buffered). */
int tq_h3_body_end(struct tq_h3_req *r);

/**
 * Abandon the exchange with an H3 code (TQ_H3_REQUEST_CANCELLED,
 * TQ_H3_REQUEST_REJECTED...): the stream is reset both ways; closed()
 * follows with code.
 */
void tq_h3_req_cancel(struct tq_h3_req *r, uint64_t code);

/**
 * Stop (true) or resume (false) reading the peer's side of the
 * exchange: while paused nothing is read from the stream, so its
 * receive window stays shut and the transport holds the sender back.
 * Data already read still comes to data() before the pause takes hold.
 */
void tq_h3_req_pause(struct tq_h3_req *r, bool pause);

/** The exchange's stream id. */
int64_t tq_h3_req_id(const struct tq_h3_req *r);

/** The exchange's session. */
struct tq_h3_conn *tq_h3_req_conn(const struct tq_h3_req *r);

/** App data of an exchange (the client's udata; NULL until set). */
void tq_h3_req_set_udata(struct tq_h3_req *r, void *udata);
void *tq_h3_req_udata(const struct tq_h3_req *r);

#ifdef __cplusplus
}
#endif

#endif
