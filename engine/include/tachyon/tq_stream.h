/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_STREAM_H
#define TQ_STREAM_H

/**
 * @file
 * Connections and streams: one interface for every transport.
 *
 * A tq_conn is a transport connection (TCP now, QUIC next).  A tq_stream
 * is one ordered byte stream of it: a TCP connection has exactly one
 * (id 0, both directions); a QUIC connection has many, each with its id.
 * Nothing here names a transport: an app written against this header
 * runs on either, and tests/conformance checks that they behave alike.
 *
 * Every callback runs on the worker that owns the connection, and every
 * call on a stream or connection must be made from that worker (from a
 * callback, a timer, or a function run there with tq_worker_run()).
 *
 * Data comes in as mbufs from RX and can be taken without a copy
 * (tq_stream_read_mbuf(), bounded by a byte count) or copied out.  Data
 * goes out copied, or as mbufs handed over (tq_stream_write_mbuf(),
 * which takes what fits).  Send space is counted in bytes and in mbufs,
 * so an app that parks received mbufs in a send queue cannot pin the
 * pool: tq_stream_splice() moves data between streams within both
 * bounds, and while the destination is full the source's receive window
 * closes, so back-pressure reaches the sender on the other side.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include <rte_mbuf.h>

#include <tachyon/tachyon.h>

struct tq_conn;
struct tq_stream;

/** The transport of a connection. */
enum tq_transport {
	TQ_TRANSPORT_TCP = 1,
	TQ_TRANSPORT_QUIC = 2,
};

/** Why a stream ended; passed to the closed callback. */
enum tq_close_reason {
	TQ_CLOSE_NORMAL = 0, /**< both directions closed in order */
	TQ_CLOSE_RESET,	     /**< the peer reset it (TCP RST, QUIC
			      *   RESET_STREAM or an application close) */
	TQ_CLOSE_REFUSED,    /**< the peer refused our open (ECONNREFUSED) */
	TQ_CLOSE_TIMEOUT,    /**< retransmissions, keepalive or idle
			      *   timeout gave up */
	TQ_CLOSE_ABORTED,    /**< we reset it: abort, close with unread
			      *   data, or the engine stopping */
	TQ_CLOSE_UNREACHABLE, /**< our open met an ICMP unreachable
			       *   (EHOSTUNREACH / ECONNREFUSED) */
	TQ_CLOSE_PROTOCOL,   /**< the peer broke the protocol (QUIC: a
			      *   transport error), or we did */
};

/** Name of a close reason ("normal", "reset", ...). */
const char *tq_close_reason_str(enum tq_close_reason r);

/**
 * Callbacks of one stream; any may be NULL.  closed() is always the
 * last, exactly once, unless the app closed or aborted the stream
 * itself first (then closed() still comes, and nothing else).
 */
struct tq_stream_ops {
	/** Our active open completed. */
	void (*connected)(struct tq_stream *st, void *ctx);
	/** New data can be read, or the peer finished (EOF). */
	void (*readable)(struct tq_stream *st, void *ctx);
	/**
	 * A write came up short, or tq_stream_write_space() found less
	 * than the low-water mark free (TQ_OPT_SNDLOWAT); now at least
	 * that much is free again, in bytes and in mbufs.
	 */
	void (*writable)(struct tq_stream *st, void *ctx);
	/** The peer has acknowledged this many bytes in total. */
	void (*acked)(struct tq_stream *st, uint64_t total, void *ctx);
	/**
	 * The peer finished sending (TCP FIN, QUIC STREAM with FIN): once
	 * what is readable now has been read, reads return 0.  Once.
	 */
	void (*peer_fin)(struct tq_stream *st, void *ctx);
	/**
	 * The peer abandoned its sending side with an application error
	 * code (QUIC RESET_STREAM).  A TCP RST comes here too, with code
	 * 0, just before closed(TQ_CLOSE_RESET).  Unread data is gone.
	 */
	void (*peer_reset)(struct tq_stream *st, uint64_t code, void *ctx);
	/**
	 * The peer will read no more and asks us to stop sending (QUIC
	 * STOP_SENDING); writes now fail with -EPIPE.  TCP has no such
	 * signal.
	 */
	void (*stop_sending)(struct tq_stream *st, uint64_t code, void *ctx);
	/** The last callback: st is gone when it returns. */
	void (*closed)(struct tq_stream *st, enum tq_close_reason why,
			void *ctx);
};

/* ---- writing ---- */

/**
 * Queue len bytes (copied) for sending.
 * @return bytes taken (less than len when the send buffer fills; the
 *   writable callback tells when there is room), or -EPIPE after
 *   shutdown or STOP_SENDING, -ENOTCONN before the connection is up.
 */
int tq_stream_write(struct tq_stream *st, const void *buf, uint32_t len);

/** tq_stream_write() of iovcnt buffers in order; same returns. */
int tq_stream_writev(struct tq_stream *st, const struct iovec *iov,
		unsigned int iovcnt);

/**
 * Queue an mbuf chain for sending without copying.  The stream takes
 * as many bytes as fit its send space (bytes and mbufs), splitting a
 * segment if it must.  On return the stream owns what it took; *rest is
 * the remainder, still the caller's (NULL when all was taken).  rest
 * may be NULL only when the caller knows it all fits (after checking the
 * space): then a remainder is freed and counted as lost (TxMbufDropped).
 * @return bytes taken (0 when full: the writable callback follows), or
 *   -EPIPE, -ENOTCONN as tq_stream_write() (then *rest is m).
 */
int tq_stream_write_mbuf(struct tq_stream *st, struct rte_mbuf *m,
		struct rte_mbuf **rest);

/**
 * Bytes that tq_stream_write() would take now.  When that, or the mbuf
 * space, is under the low-water mark, the writable callback is armed.
 */
uint32_t tq_stream_write_space(struct tq_stream *st);

/** Mbufs that may still be queued to send (TQ_OPT_SNDBUF_MBUFS). */
uint32_t tq_stream_write_space_mbufs(struct tq_stream *st);

/**
 * How much the transport could put in flight now (congestion and peer
 * windows, less what is in flight): what to keep queued to fill the
 * path without a fixed buffer size.
 */
uint32_t tq_stream_send_hint(struct tq_stream *st);

/* ---- reading ---- */

/**
 * Copy up to len received bytes out.
 * @return bytes copied, 0 at end of stream, -EAGAIN when nothing is
 *   there yet, -ECONNRESET after the peer reset it.
 */
int tq_stream_read(struct tq_stream *st, void *buf, uint32_t len);

/** tq_stream_read() into iovcnt buffers in order; same returns. */
int tq_stream_readv(struct tq_stream *st, const struct iovec *iov,
		unsigned int iovcnt);

/**
 * Take at most max received bytes as one mbuf chain, without copying
 * (the last segment may be an indirect mbuf holding part of a received
 * one).  pkt_len is the byte count.  NULL when nothing is there.
 */
struct rte_mbuf *tq_stream_read_mbuf(struct tq_stream *st, uint32_t max);

/** Bytes received and not read yet. */
uint32_t tq_stream_readable(const struct tq_stream *st);

/** True once the peer's FIN has been read past (no more data). */
bool tq_stream_eof(const struct tq_stream *st);

/* ---- moving data between streams ---- */

/**
 * Move up to max received bytes of src to dst's send queue, without
 * copying a payload byte, within dst's send space (bytes and mbufs).
 * What does not fit stays in src, whose receive window stays closed by
 * it.  Once src has been read to its end, dst's write side is shut down
 * (FIN carries across).  src == dst echoes.  Call it from src's readable
 * and dst's writable and connected callbacks.
 * @return bytes moved; -ENOTCONN while dst is still connecting (nothing
 * moved: call again once it is connected); -EPIPE when dst cannot be
 * written any more.
 */
int tq_stream_splice(struct tq_stream *src, struct tq_stream *dst,
		uint32_t max);

/* ---- ending ---- */

/** Finish our sending side after the queued data (FIN); reading goes on. */
int tq_stream_shutdown(struct tq_stream *st);

/**
 * We will read no more: what is queued is dropped, data that arrives
 * later is acknowledged and dropped (counted in StreamRcvDiscard), and a
 * transport that can tells the peer to stop (QUIC STOP_SENDING with
 * code).  Reads return 0 from now on.
 */
int tq_stream_shutdown_read(struct tq_stream *st, uint64_t code);

/**
 * The app is done with the stream: FIN after queued data (RST instead if
 * received data was left unread, as RFC 9293 3.6.1 and Linux do).  No
 * callback but closed() comes after this.
 */
void tq_stream_close(struct tq_stream *st);

/**
 * Abandon the stream now with an application error code: TCP sends RST
 * (which carries no code); QUIC sends RESET_STREAM and STOP_SENDING
 * with code.  closed(TQ_CLOSE_ABORTED) follows.
 */
void tq_stream_abort(struct tq_stream *st, uint64_t code);

/**
 * The application error code of the stream's end, once there is one:
 * the peer's (RESET_STREAM, STOP_SENDING, CONNECTION_CLOSE) or ours
 * (tq_stream_abort()); 0 otherwise and always for TCP.
 */
uint64_t tq_stream_error_code(const struct tq_stream *st);

/* ---- options and identity ---- */

enum tq_stream_opt {
	TQ_OPT_NODELAY,	/**< 1: no Nagle */
	TQ_OPT_SNDBUF,	/**< send buffer bytes */
	TQ_OPT_RCVBUF,	/**< receive buffer bytes (sets the window) */
	TQ_OPT_KEEPALIVE, /**< 1: probe an idle peer (SO_KEEPALIVE) */
	TQ_OPT_KEEPIDLE,  /**< seconds idle before the first probe */
	TQ_OPT_KEEPINTVL, /**< seconds between probes */
	TQ_OPT_KEEPCNT,	  /**< unanswered probes before giving up */
	TQ_OPT_QUICKACK,  /**< 1: ACK every segment at once, a FIN too
			   *   (no delayed ACK; TCP_QUICKACK, kept set) */
	TQ_OPT_SNDBUF_MBUFS, /**< mbufs the send queue may hold (default:
			      *   one per 512 bytes of the send buffer) */
	TQ_OPT_SNDLOWAT,  /**< bytes free before writable() comes (default
			   *   half the send buffer) */
	TQ_OPT_CC,	  /**< the connection's congestion control, an
			   *   enum tq_cc_algo (see tq_conn_set_opt()) */
};

/** Congestion controls (TQ_OPT_CC); 0 is never one. */
enum tq_cc_algo {
	TQ_CC_NEWRENO = 1,	/**< RFC 5681 / RFC 6582, RFC 9002 7 */
	TQ_CC_CUBIC = 2,	/**< RFC 9438 */
	TQ_CC_BBR = 3,		/**< BBRv1, paced */
};

/**
 * Set an option.  TQ_OPT_CC is the connection's (tq_conn_set_opt()): on a
 * QUIC stream it changes the cc every stream of the connection shares.
 * @return 0, -EINVAL, or -ENOTSUP for an option the transport lacks.
 */
int tq_stream_set_opt(struct tq_stream *st, enum tq_stream_opt opt,
		uint32_t val);

/**
 * Read an option back into *val.
 * @return 0, or -ENOTSUP for one the transport cannot tell.
 */
int tq_stream_get_opt(const struct tq_stream *st, enum tq_stream_opt opt,
		uint32_t *val);

/** The stream's id: 0 for TCP, the QUIC stream id for QUIC. */
int64_t tq_stream_id(const struct tq_stream *st);

/** The connection the stream belongs to. */
struct tq_conn *tq_stream_conn(const struct tq_stream *st);

/** The worker that owns the stream. */
struct tq_shard *tq_stream_shard(const struct tq_stream *st);

/** Change the callbacks and their context (e.g. after accept). */
void tq_stream_set_ops(struct tq_stream *st, const struct tq_stream_ops *ops,
		void *ctx);

/** The context given with the callbacks. */
void *tq_stream_ctx(const struct tq_stream *st);

/* ---- connections ---- */

/** What any transport tells about a connection. */
struct tq_conn_info {
	enum tq_transport transport;
	struct tq_addr laddr, raddr;
	uint16_t lport, rport;
	const char *state;
	uint32_t mss;		 /**< largest payload we send in a packet */
	uint32_t cwnd;		 /**< bytes */
	uint32_t ssthresh;
	uint64_t srtt_us;
	uint64_t rttvar_us;
	uint64_t rto_us;	 /**< TCP RTO; QUIC PTO */
	uint32_t snd_wnd;	 /**< the peer's window */
	uint32_t rcv_wnd;	 /**< ours */
	uint64_t bytes_acked;	 /**< by the peer */
	uint64_t bytes_received; /**< in order, from the peer */
	uint32_t retransmits;	 /**< packets retransmitted */
	uint32_t unacked;	 /**< bytes in flight */
	const char *cc;
};

/** Fill info for the connection. */
void tq_conn_info(const struct tq_conn *c, struct tq_conn_info *info);

/**
 * Set an option of the whole connection: TQ_OPT_CC, its congestion
 * control, at any time (as Linux's TCP_CONGESTION).  Before the TCP
 * handshake ends (just after tq_tcp_connect()) the connection starts with
 * it; later the new algorithm takes over from the cwnd and ssthresh
 * reached so far (docs/api.md, Congestion control per connection).
 * @return 0, -EINVAL (not an enum tq_cc_algo), -ENOTSUP (another option),
 *   -ENOMEM (BBR's per-connection records on TCP: the old cc stays).
 */
int tq_conn_set_opt(struct tq_conn *c, enum tq_stream_opt opt, uint32_t val);

/** Read a connection option back. @return 0 or -ENOTSUP. */
int tq_conn_get_opt(const struct tq_conn *c, enum tq_stream_opt opt,
		uint32_t *val);

/** tq_conn_info() of the stream's connection. */
void tq_stream_info(const struct tq_stream *st, struct tq_conn_info *info);

enum tq_transport tq_conn_transport(const struct tq_conn *c);

/** The worker that owns the connection. */
struct tq_shard *tq_conn_shard(const struct tq_conn *c);

/** App data kept with the connection (NULL until set). */
void tq_conn_set_udata(struct tq_conn *c, void *udata);
void *tq_conn_udata(const struct tq_conn *c);

/**
 * Close the whole connection: TCP as tq_stream_close(); QUIC with
 * CONNECTION_CLOSE carrying the application code.
 */
void tq_conn_close(struct tq_conn *c, uint64_t code);

/** Abort the whole connection: TCP RST; QUIC as tq_conn_close(). */
void tq_conn_abort(struct tq_conn *c, uint64_t code);

/* ---- connections of many streams (QUIC) ---- */

/**
 * Callbacks of a connection, for what a stream cannot tell: streams the
 * peer opens, room for more of ours, the end of the whole connection.
 * Any may be NULL; udata is tq_conn_udata(c).  A TCP connection has one
 * stream and calls none of them: its stream's callbacks say it all.
 */
struct tq_conn_ops {
	/** The handshake completed: streams can be opened. */
	void (*established)(struct tq_conn *c, void *udata);
	/**
	 * The peer opened st (its first frame arrived).  Give it ops with
	 * tq_stream_set_ops() here; one left without ops is refused
	 * (QUIC: STOP_SENDING and RESET_STREAM with code 0).
	 */
	void (*new_stream)(struct tq_conn *c, struct tq_stream *st,
			void *udata);
	/** tq_conn_stream_open() of this kind failed with -EAGAIN
	 * before; the peer now allows more (QUIC MAX_STREAMS). */
	void (*streams_available)(struct tq_conn *c, bool uni, void *udata);
	/**
	 * The connection ended, after every stream's closed(): why, and
	 * the code (the application's, or QUIC's transport error when why
	 * is TQ_CLOSE_PROTOCOL).  c is gone when it returns.
	 */
	void (*closed)(struct tq_conn *c, enum tq_close_reason why,
			uint64_t code, void *udata);
};

/** Set c's callbacks (NULL: none). */
void tq_conn_set_ops(struct tq_conn *c, const struct tq_conn_ops *ops);

/** tq_conn_stream_open() flag: unidirectional, we send, the peer reads. */
#define TQ_STREAM_UNI 0x1u

/**
 * Open a stream on c, bidirectional or (TQ_STREAM_UNI) one we send on.
 * The peer learns of it with its first frame.
 * @return the stream, or NULL with *err (err may be NULL): -EAGAIN (the
 *   peer's stream limit: streams_available() says when to retry),
 *   -ENOTCONN (the handshake is not done), -ENOTSUP (TCP: its one
 *   stream is the connection's), -ENOMEM.
 */
struct tq_stream *tq_conn_stream_open(struct tq_conn *c, unsigned int flags,
		const struct tq_stream_ops *ops, void *ctx, int *err);

/**
 * A unidirectional stream has one side: reading a stream we opened, or
 * writing one the peer opened, fails with -EBADF.
 */
bool tq_stream_is_uni(const struct tq_stream *st);

/** True for a stream we opened (TCP's: true on the side that connected). */
bool tq_stream_is_local(const struct tq_stream *st);

#endif
