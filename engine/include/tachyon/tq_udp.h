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

/** @name ECN codepoints (RFC 3168), the low two bits of the TOS byte
 * @{ */
#define TQ_ECN_MASK	0x03
#define TQ_ECN_NOT_ECT	0x00 /**< not ECN-capable */
#define TQ_ECN_ECT1	0x01 /**< ECN-capable, ECT(1) (L4S) */
#define TQ_ECN_ECT0	0x02 /**< ECN-capable, ECT(0) */
#define TQ_ECN_CE	0x03 /**< congestion experienced */
/** @} */

/** The ECN codepoint of an IPv4 TOS / IPv6 traffic class byte. */
static inline uint8_t
tq_ecn(uint8_t tos)
{
	return tos & TQ_ECN_MASK;
}

/** A received datagram.  m's data starts at the UDP payload. */
struct tq_udp_dgram {
	struct rte_mbuf *m;
	struct tq_addr src;
	struct tq_addr dst;
	uint16_t sport; /**< host byte order */
	uint16_t dport; /**< host byte order */
	struct rte_ether_addr peer_mac; /**< L2 source, used by replies */
	/** IPv4 TOS or IPv6 traffic class as received: DSCP in the high
	 * six bits, the ECN codepoint (tq_ecn()) in the low two. */
	uint8_t tos;
};

/**
 * Called on the receiving worker.  The callback owns d->m: it must pass
 * it to tq_udp_reply() or free it.
 */
typedef void (*tq_udp_rx_cb)(struct tq_shard *s, struct tq_udp_dgram *d,
		void *arg);

/**
 * Bind a port on every worker, before tq_engine_run() or while the
 * workers run.  addr NULL or unspecified binds the wildcard of both
 * families.  A wildcard and binds of exact addresses may share a port
 * (as with SO_REUSEADDR on Linux); a datagram goes to the socket of its
 * destination address if there is one, else to the wildcard.
 *
 * While the workers run, the bind is sent to each worker through its
 * command ring and applied there to the worker's own table (the data
 * path takes no lock); this returns once every worker has it, and is
 * all or nothing: if one worker refuses it, the others give it back.
 * Callers are serialized; from any thread but a worker.
 * @return 0, -EADDRINUSE when that address and port are bound already,
 *   -ENOSPC when the table is full, -EINVAL for port 0, no cb or an
 *   unknown family, -EDEADLK on a worker, -ETIMEDOUT when a worker did
 *   not answer within 2 s (it drops the bind when it gets to it),
 *   -ENOBUFS when a worker's command ring is full, -ENOMEM.
 */
int tq_udp_bind(struct tq_engine *e, const struct tq_addr *addr,
		uint16_t port, tq_udp_rx_cb cb, void *arg);

/**
 * Undo tq_udp_bind() of exactly addr:port (the wildcard for addr NULL or
 * unspecified), before tq_engine_run() or while the workers run, as
 * tq_udp_bind() does.  Once it returns 0 no worker calls the socket's
 * callback again, and a datagram to the port is answered with ICMP port
 * unreachable (and counted in UdpNoPorts) unless another bind covers it.
 * @return 0, -ENOENT when nothing is bound there, -EINVAL, -EDEADLK,
 *   -ETIMEDOUT (a worker did not answer: it may still deliver to the
 *   socket), -ENOBUFS, -ENOMEM.
 */
int tq_udp_unbind(struct tq_engine *e, const struct tq_addr *addr,
		uint16_t port);

/**
 * Send d->m's payload (as it is now: the app may have changed it) back
 * to the datagram's sender, with TOS 0.  Takes ownership of d->m in every
 * case.
 * @return 0, or a negative errno (the mbuf was freed and counted).
 */
int tq_udp_reply(struct tq_shard *s, struct tq_udp_dgram *d);

/**
 * As tq_udp_reply() with an IPv4 TOS / IPv6 traffic class byte, e.g.
 * TQ_ECN_ECT0 for an ECN-capable transport.  d->tos is what came in; do
 * not echo it, a CE mark is not the sender's to set.
 */
int tq_udp_reply_tos(struct tq_shard *s, struct tq_udp_dgram *d,
		uint8_t tos);

/**
 * Send len bytes from buf to dst:dport from src:sport (src unspecified:
 * the address of the route's interface).  Above the MTU the datagram is
 * fragmented.
 * @return 0, -ENOMEM without mbufs, -EHOSTUNREACH without a route,
 *   -EMSGSIZE above 65507 bytes.
 */
int tq_udp_sendto(struct tq_shard *s, const struct tq_addr *src,
		uint16_t sport, const struct tq_addr *dst, uint16_t dport,
		const void *buf, uint32_t len);

/** As tq_udp_sendto() with an IPv4 TOS / IPv6 traffic class byte. */
int tq_udp_sendto_tos(struct tq_shard *s, const struct tq_addr *src,
		uint16_t sport, const struct tq_addr *dst, uint16_t dport,
		const void *buf, uint32_t len, uint8_t tos);

/**
 * Headroom a caller-built payload mbuf needs for tq_udp_send_burst():
 * Ethernet (14), IPv6 (40, IPv4 takes 20) and UDP (8) headers are
 * written in front of the payload, in its first segment.  The pool's
 * RTE_PKTMBUF_HEADROOM (128 by default) is plenty.
 */
#define TQ_UDP_HDR_ROOM (14 + 40 + 8)

/** One datagram of a tq_udp_send_burst(). */
struct tq_udp_tx {
	/** The payload, zero copy: data at data_off with TQ_UDP_HDR_ROOM
	 * of headroom, possibly chained.  NULL: copy len bytes of buf. */
	struct rte_mbuf *m;
	const void *buf;
	uint32_t len;		/**< of buf; ignored with m */
	struct tq_addr dst;	/**< unicast */
	/** Family 0 or unspecified: the route's interface address. */
	struct tq_addr src;
	uint16_t sport;		/**< host byte order */
	uint16_t dport;		/**< host byte order */
	uint8_t tos;		/**< IPv4 TOS / IPv6 traffic class, with ECN */
};

/**
 * Send n datagrams, in order, into the worker's TX batch.  Consecutive
 * datagrams to the same destination from the same source share one
 * route and one neighbour lookup (a QUIC flight is one such run).  The
 * datagrams are never fragmented: IPv4 ones carry Don't Fragment (RFC
 * 9000 14) and one above the path MTU is refused.
 *
 * Stops at the first datagram it cannot send.  The mbufs of the sent
 * ones are taken; that one's and the rest's stay the caller's.
 * @return how many were sent if any; if the first failed, -EINVAL (no
 *   unicast destination, src of another family, dport 0, m short of
 *   headroom), -EHOSTUNREACH (no route), -EMSGSIZE (above the MTU),
 *   -ENOMEM (no mbuf to copy buf into).  A caller that wants the reason
 *   for a later one sends from there again.
 */
int tq_udp_send_burst(struct tq_shard *s, const struct tq_udp_tx *tx,
		unsigned int n);

#endif
