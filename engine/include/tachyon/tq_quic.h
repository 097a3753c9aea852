/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_QUIC_H
#define TQ_QUIC_H

/**
 * @file
 * QUIC on the engine's workers (docs/quic.md, The module): a server
 * listens on a UDP port of every worker; each connection is a
 * struct tq_conn of many streams (tq_stream.h), owned by the worker its
 * datagrams arrive on, with its callbacks run there.
 */

#include <stdint.h>

#include <tachyon/tachyon.h>
#include <tachyon/tq_addr.h>
#include <tachyon/tq_stream.h>

/**
 * A new server connection, on its worker, before its handshake has
 * gone further than the client's first Initial: set its ops
 * (tq_conn_set_ops(): new_stream, established, closed) here.
 */
typedef void (*tq_quic_accept_cb)(struct tq_shard *s, struct tq_conn *c,
		void *arg);

/**
 * Serve QUIC on addr:port (addr NULL or unspecified: every address of
 * the family; NULL: IPv4 and IPv6) on every worker, negotiating alpn
 * ("h3" when NULL).  Like tq_udp_bind(): before tq_engine_run(), or
 * while the workers run (not from a worker).
 * @return 0, -EADDRINUSE, -EINVAL, -ENOMEM, -ENOENT/-EBADMSG (the
 *   certificate or key of --quic-cert/--quic-key), or tq_udp_bind()'s
 *   errors.
 */
int tq_quic_listen(struct tq_engine *e, const struct tq_addr *addr,
		uint16_t port, const char *alpn, tq_quic_accept_cb cb,
		void *arg);

#endif
