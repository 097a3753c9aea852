/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_MEMCONN_H
#define TQ_MEMCONN_H

/*
 * A test double for a transport of many streams (QUIC), until QUIC's own
 * fixture exists: two struct tq_conn ends joined in memory, behind the
 * same tables a real transport fills (engine/core/tq_stream_impl.h), so
 * code written against tachyon/tq_stream.h alone runs on it unchanged.
 *
 * It keeps a real transport's rules: bytes arrive in order, FIN after
 * the data, RESET_STREAM / STOP_SENDING with their codes (STOP_SENDING
 * makes the sender reset, RFC 9000 3.5), send space bounded in bytes and
 * mbufs with writable() past the low-water mark, a receive window that
 * only reading opens, read_mbuf() without copying (mbufs of the test
 * pool), -EPIPE after shutdown or STOP_SENDING, -EBADF on the wrong side
 * of a unidirectional stream, -ENOTCONN once the connection closed,
 * QUIC stream ids (client 0, server 1, +2 unidirectional), a stream
 * limit with -EAGAIN and streams_available() once a stream of the
 * kind has gone, refusal of a peer stream left without ops, and
 * closed() last and once for each stream, then the connection's.
 *
 * Nothing moves until the test calls tq_memconn_pump(): each call moves
 * at most chunk bytes per stream and direction and runs the callbacks
 * that follow, so a small chunk exercises partial reads and writes.
 * Callbacks never run inside an API call.
 */

#include <stdbool.h>
#include <stdint.h>

#include <tachyon/tq_stream.h>

struct tq_memconn;

struct tq_memconn_conf {
	uint32_t sndbuf;	/* per stream and direction; 65536 */
	uint32_t sndbuf_mbufs;	/* sndbuf / 512 */
	uint32_t lowat;		/* sndbuf / 2 */
	uint32_t rcvbuf;	/* receive window per stream; 65536 */
	uint32_t max_streams;	/* open at once per kind and side; 256 */
};

/* End 0 is the client (stream ids 0 mod 2), end 1 the server. */
struct tq_memconn *tq_memconn_new(const struct tq_memconn_conf *conf);
struct tq_conn *tq_memconn_end(struct tq_memconn *mc, int side);

/* One pass; returns how much happened (0: idle). */
unsigned int tq_memconn_pump(struct tq_memconn *mc, uint32_t chunk);

/* Pump until idle (at most max_passes); returns the passes run. */
unsigned int tq_memconn_run(struct tq_memconn *mc, uint32_t chunk,
		unsigned int max_passes);

/* True once both connections' closed() came. */
bool tq_memconn_closed(const struct tq_memconn *mc);

/* Frees what is left (streams, queued mbufs); no callbacks. */
void tq_memconn_free(struct tq_memconn *mc);

#endif
