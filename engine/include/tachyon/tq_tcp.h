/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TACHYON_TQ_TCP_H
#define TACHYON_TQ_TCP_H

/**
 * @file
 * TCP services: listeners, accept and active opens.  What a connection
 * carries is a stream (tachyon/tq_stream.h), the same for every transport.
 */

#include <stdint.h>

#include <tachyon/tachyon.h>
#include <tachyon/tq_stream.h>

struct tq_listener;

/**
 * A listener has connections waiting in its accept queue.  Call
 * tq_tcp_accept() until it returns NULL (now, or later: established
 * connections wait, up to the backlog, without being accepted).
 */
typedef void (*tq_accept_cb)(struct tq_shard *s, struct tq_listener *l,
		void *arg);

/**
 * Listen on addr:port (addr NULL or unspecified: every address of both
 * families) on every worker, before tq_engine_run().  backlog bounds the
 * SYN queue and the accept queue of each worker's replica.
 * @return 0, -EADDRINUSE, -ENOSPC (too many listeners), -EINVAL.
 */
int tq_tcp_listen(struct tq_engine *e, const struct tq_addr *addr,
		uint16_t port, uint32_t backlog, tq_accept_cb cb, void *arg);

/** Take the oldest established connection off the accept queue. */
struct tq_stream *tq_tcp_accept(struct tq_listener *l,
		const struct tq_stream_ops *ops, void *ctx);

/**
 * Open a connection from worker s.  src NULL picks the route's address;
 * sport 0 picks an ephemeral port that keeps the flow on this worker.
 * @return the stream (connected() follows, or closed() on failure), or
 *   NULL with *err: -EADDRINUSE, -EADDRNOTAVAIL (no port left),
 *   -EHOSTUNREACH, -ENOMEM, -EXDEV (an explicit sport whose 4-tuple
 *   belongs to another worker).
 */
struct tq_stream *tq_tcp_connect(struct tq_shard *s,
		const struct tq_addr *dst, uint16_t dport,
		const struct tq_addr *src, uint16_t sport,
		const struct tq_stream_ops *ops, void *ctx, int *err);

/**
 * As tq_tcp_connect(), with len bytes queued to send at once.  With fast
 * open on (--tcp-fastopen 1 or 3, RFC 7413) and a cookie from an earlier
 * connection to the same server, the first of them ride on the SYN;
 * without a cookie the SYN asks for one and the data follows the
 * handshake.
 */
struct tq_stream *tq_tcp_connect_data(struct tq_shard *s,
		const struct tq_addr *dst, uint16_t dport,
		const struct tq_addr *src, uint16_t sport,
		const struct tq_stream_ops *ops, void *ctx, const void *data,
		uint32_t len, int *err);

#endif
