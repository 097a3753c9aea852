/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_UDP_H
#define TQ_UDP_H

/**
 * @file
 * UDP sockets: a service binds a port and gets datagrams in a callback on
 * the worker that received them, as mbufs (zero copy).
 */

#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include <tachyon/tachyon.h>

/** A received datagram.  m's data starts at the UDP payload. */
struct tq_udp_dgram {
	struct rte_mbuf *m;
	struct tq_addr src;
	struct tq_addr dst;
	uint16_t sport; /**< host byte order */
	uint16_t dport; /**< host byte order */
	struct rte_ether_addr peer_mac; /**< L2 source, used by replies */
};

/**
 * Called on the receiving worker.  The callback owns d->m: it must pass
 * it to tq_udp_reply() or free it.
 */
typedef void (*tq_udp_rx_cb)(struct tq_shard *s, struct tq_udp_dgram *d,
		void *arg);

/**
 * Bind a port on every worker (before tq_engine_run()).  addr NULL or
 * unspecified binds the wildcard of both families.
 * @return 0, -EADDRINUSE when bound already, -ENOSPC when the table is
 *   full, -EINVAL for port 0.
 */
int tq_udp_bind(struct tq_engine *e, const struct tq_addr *addr,
		uint16_t port, tq_udp_rx_cb cb, void *arg);

/**
 * Send d->m's payload (as it is now: the app may have changed it) back
 * to the datagram's sender.  Takes ownership of d->m in every case.
 * @return 0, or a negative errno (the mbuf was freed and counted).
 */
int tq_udp_reply(struct tq_shard *s, struct tq_udp_dgram *d);

/**
 * Send len bytes from buf to dst:dport from src:sport (src unspecified:
 * the address of the route's interface).
 * @return 0, -ENOMEM without mbufs, -EHOSTUNREACH without a route,
 *   -EMSGSIZE above 65507 bytes.
 */
int tq_udp_sendto(struct tq_shard *s, const struct tq_addr *src,
		uint16_t sport, const struct tq_addr *dst, uint16_t dport,
		const void *buf, uint32_t len);

#endif
