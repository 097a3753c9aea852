/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_STREAM_H
#define TQ_STREAM_H

/**
 * @file
 * Byte streams: a TCP connection now, a QUIC stream later, one interface.
 *
 * Every callback runs on the worker that owns the connection, and every
 * call on a stream must be made from that worker (from inside a callback,
 * or a command sent to that worker).  Data comes in as mbufs from RX (zero
 * copy) or copied out; data goes out copied or as mbufs handed over.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include <tachyon/tachyon.h>

struct tq_stream;

/** Why a stream ended; passed to the closed callback. */
enum tq_close_reason {
	TQ_CLOSE_NORMAL = 0, /**< both directions closed in order */
	TQ_CLOSE_RESET,	     /**< the peer reset it (ECONNRESET) */
	TQ_CLOSE_REFUSED,    /**< the peer refused our open (ECONNREFUSED) */
	TQ_CLOSE_TIMEOUT,    /**< retransmissions or keepalive gave up */
	TQ_CLOSE_ABORTED,    /**< we reset it: abort, close with unread
			      *   data, or the engine stopping */
	TQ_CLOSE_UNREACHABLE, /**< our open met an ICMP unreachable
			       *   (EHOSTUNREACH / ECONNREFUSED) */
};

/** Name of a close reason ("normal", "reset", ...). */
const char *tq_close_reason_str(enum tq_close_reason r);

/** Callbacks of one stream; any may be NULL. */
struct tq_stream_ops {
	/** Our active open completed. */
	void (*connected)(struct tq_stream *st, void *ctx);
	/** New data can be read, or the peer closed its side (EOF). */
	void (*readable)(struct tq_stream *st, void *ctx);
	/** A write came up short before; there is room again. */
	void (*writable)(struct tq_stream *st, void *ctx);
	/** The peer has acknowledged this many bytes in total. */
	void (*acked)(struct tq_stream *st, uint64_t total, void *ctx);
	/** The last callback: st is gone when it returns. */
	void (*closed)(struct tq_stream *st, enum tq_close_reason why,
			void *ctx);
};

/**
 * Queue len bytes (copied) for sending.
 * @return bytes taken (less than len when the send buffer fills; the
 *   writable callback tells when there is room), or -EPIPE after
 *   shutdown, -ENOTCONN before the connection is up.
 */
int tq_stream_write(struct tq_stream *st, const void *buf, uint32_t len);

/**
 * Queue an mbuf chain for sending without copying; on success the stream
 * owns m.  @return 0, -ENOBUFS (no room: caller keeps m), -EPIPE.
 */
int tq_stream_write_mbuf(struct tq_stream *st, struct rte_mbuf *m);

/**
 * Bytes that tq_stream_write() would take now.  When that is less than
 * half the send buffer, the writable callback is armed: it comes once
 * half the buffer is free again.
 */
uint32_t tq_stream_write_space(struct tq_stream *st);

/**
 * Copy up to len received bytes out.
 * @return bytes copied, 0 at end of stream, -EAGAIN when nothing is
 *   there yet.
 */
int tq_stream_read(struct tq_stream *st, void *buf, uint32_t len);

/** Take all received bytes as one mbuf chain (zero copy); NULL if none. */
struct rte_mbuf *tq_stream_read_mbuf(struct tq_stream *st);

/** Bytes received and not read yet. */
uint32_t tq_stream_readable(const struct tq_stream *st);

/** True once the peer's FIN has been read past (no more data). */
bool tq_stream_eof(const struct tq_stream *st);

/** Send FIN after the queued data; reading goes on. */
int tq_stream_shutdown(struct tq_stream *st);

/**
 * The app is done with the stream: FIN after queued data (RST instead if
 * received data was left unread, as RFC 9293 3.6.1 and Linux do).  No
 * callback but closed() comes after this.
 */
void tq_stream_close(struct tq_stream *st);

/** Reset now; closed(TQ_CLOSE_ABORTED) follows. */
void tq_stream_abort(struct tq_stream *st);

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
};

/** @return 0 or -EINVAL. */
int tq_stream_set_opt(struct tq_stream *st, enum tq_stream_opt opt,
		uint32_t val);

struct tq_stream_info {
	struct tq_addr laddr, raddr;
	uint16_t lport, rport;
	const char *state;
	uint32_t mss;
	uint32_t cwnd;
	uint32_t ssthresh;
	uint64_t srtt_us;
	uint64_t rttvar_us;
	uint64_t rto_us;
	uint32_t snd_wnd;
	uint32_t rcv_wnd;
	uint64_t bytes_acked;	 /**< by the peer */
	uint64_t bytes_received; /**< in order, from the peer */
	uint32_t retransmits;	 /**< segments retransmitted */
	uint32_t unacked;	 /**< bytes in flight */
	const char *cc;
};

void tq_stream_info(const struct tq_stream *st, struct tq_stream_info *info);

/** The worker that owns the stream. */
struct tq_shard *tq_stream_shard(const struct tq_stream *st);

/** Change the callbacks and their context (e.g. after accept). */
void tq_stream_set_ops(struct tq_stream *st, const struct tq_stream_ops *ops,
		void *ctx);

#endif
