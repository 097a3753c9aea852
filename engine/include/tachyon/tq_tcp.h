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

/** Most listeners an engine holds at once. */
#define TQ_TCP_LISTENERS_MAX 128

/**
 * Listen on addr:port (addr NULL or unspecified: every address of both
 * families) on every worker.  backlog bounds the SYN queue and the accept
 * queue of each worker's replica; cb runs on the worker a connection
 * arrived on.
 *
 * Before tq_engine_run() the listener is in place when the workers start.
 * While they run it is sent to each worker through its command ring and
 * this returns once every worker serves it (the data path takes no lock);
 * then it must not be called from a worker (-EDEADLK).  Callers on several
 * threads are serialized.
 * @return 0, -EADDRINUSE, -ENOSPC (TQ_TCP_LISTENERS_MAX), -EINVAL,
 *   -EDEADLK, -ETIMEDOUT (a worker did not answer in 2 s).
 */
int tq_tcp_listen(struct tq_engine *e, const struct tq_addr *addr,
		uint16_t port, uint32_t backlog, tq_accept_cb cb, void *arg);

/**
 * Stop listening on exactly addr:port (as given to tq_tcp_listen()), on
 * every worker, before or while they run.  Connections still in the
 * listener's SYN or accept queues are reset and freed; connections
 * already accepted are not affected.  On return the port is free to
 * listen on again and cb is not called any more.  Not from a worker
 * while the workers run (-EDEADLK).
 * @return 0, -ENOENT (no such listener), -EDEADLK, -ETIMEDOUT (a worker
 *   did not answer in 2 s: the listener may still be served there and
 *   its slot stays taken).
 */
int tq_tcp_unlisten(struct tq_engine *e, const struct tq_addr *addr,
		uint16_t port);

/**
 * Set an option of the listener on exactly addr:port (as given to
 * tq_tcp_listen()) that its connections start with: TQ_OPT_CC (an enum
 * tq_cc_algo; 0 back to --tcp-cc).  Takes effect at the next SYN on every
 * worker, so set it right after tq_tcp_listen(), or before
 * tq_engine_run(), for every connection to have it.  Any thread.
 * @return 0, -ENOENT (no such listener), -EINVAL, -ENOTSUP (another
 *   option).
 */
int tq_tcp_listen_set_opt(struct tq_engine *e, const struct tq_addr *addr,
		uint16_t port, enum tq_stream_opt opt, uint32_t val);

/** Take the oldest established connection off the accept queue. */
struct tq_stream *tq_tcp_accept(struct tq_listener *l,
		const struct tq_stream_ops *ops, void *ctx);

/**
 * Open a connection from worker s (any worker; on it).  src NULL picks the
 * route's address; sport 0 picks an ephemeral port whose flow hashes (RSS,
 * or the engine's hash where the port has none) back to s's worker, so the
 * connection lives and is called back there.
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
 * The worker that owns the TCP flow src:sport <-> dst:dport (ports in
 * host order; src NULL or any: the address tq_tcp_connect() would pick
 * by route): where its segments are processed, whichever queue they
 * arrive on.  An app that opens from a port range of its own keeps, on
 * each worker, the ports it owns, rather than trying tq_tcp_connect()
 * and skipping -EXDEV.  Any thread; s is any worker's shard.
 * @return the worker index, or -EHOSTUNREACH (no route), -EINVAL.
 */
int tq_tcp_flow_worker(struct tq_shard *s, const struct tq_addr *src,
		uint16_t sport, const struct tq_addr *dst, uint16_t dport);

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
