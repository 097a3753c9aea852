/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_TEST_H
#define TQ_TEST_H

/*
 * Test harness: EAL without hugepages or root, shards joined by the
 * in-memory link and driven with a fake clock, and frame builders.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <rte_mbuf.h>

#include "core/tq_shard.h"
#include "net/tq_net.h"
#include "port/tq_io.h"

/* Start EAL for a unit test binary (--no-huge, one lcore). */
int tq_test_eal_init(const char *name);
struct rte_mempool *tq_test_pool(void);

/*
 * A host under test: a shard with the network layer attached, its own
 * iface and config, and one end of a memlink.  The other end is the
 * "wire" a test reads and writes frames on.
 */
struct tq_test_host {
	struct tq_shard *s;
	struct tq_iface ifc;
	struct tq_net_conf conf;
	struct tq_udp_table udp;
	struct tq_memlink link;
	struct tq_io wire; /* the far end */
	uint64_t now;
};

/* mac's last byte is id; addrs like "10.0.0.2/24", NULL-terminated. */
int tq_test_host_init(struct tq_test_host *h, uint8_t id,
		const char *const *addrs, const struct tq_fault_spec *fault);

/* What tq_test_host_init_opts() may change; zero means the default. */
struct tq_test_host_opts {
	const struct tq_fault_spec *fault;
	const struct tq_net_conf *conf;	/* NULL: tq_net_conf_defaults() */
	unsigned int shard_id;		/* 0 */
	unsigned int nb_workers;	/* 1 */
	unsigned int ring_size;		/* memlink ring size, 4096 */
	const char *gw;			/* default gateway, NULL: none */
	const char *gw6;
};

int tq_test_host_init_opts(struct tq_test_host *h, uint8_t id,
		const char *const *addrs, const struct tq_test_host_opts *o);
void tq_test_host_fini(struct tq_test_host *h);

/* Advance the fake clock by ns and run one poll. */
void tq_test_host_poll(struct tq_test_host *h, uint64_t ns);

/* Put a frame on the wire toward the host (copied). */
void tq_test_wire_send(struct tq_test_host *h, const void *frame,
		uint32_t len);
/* Take the next frame the host sent; NULL when none. Caller frees. */
struct rte_mbuf *tq_test_wire_recv(struct tq_test_host *h);
/* Free every frame waiting on the wire; returns how many. */
unsigned int tq_test_wire_drain(struct tq_test_host *h);

/* Join two hosts: frames one sends the other receives. */
void tq_test_pair_poll(struct tq_test_host *a, struct tq_test_host *b,
		uint64_t ns);

uint64_t tq_test_counter(const struct tq_test_host *h, unsigned int id);

/* mbufs free in the test pool (for leak checks). */
unsigned int tq_test_pool_avail(void);

/*
 * Take the next frame the host sent, copied flat into buf (frames may be
 * chained mbufs); returns its length, 0 when none.  The mbuf is freed.
 */
uint32_t tq_test_wire_recv_flat(struct tq_test_host *h, uint8_t *buf,
		uint32_t cap);
/* The same, and the mbuf's offload flags in *ol_flags. */
uint32_t tq_test_wire_recv_flat_ol(struct tq_test_host *h, uint8_t *buf,
		uint32_t cap, uint64_t *ol_flags);

/* An L4 message of len bytes (a pattern from seed) in a fresh mbuf of
 * the host's, data at L4, for its IP output. */
struct rte_mbuf *tq_test_l4_msg(struct tq_test_host *h, uint32_t len,
		uint8_t seed);

/* Teach the host that addr is at tq_test_peer_mac (no ARP/NDP needed). */
void tq_test_host_learn(struct tq_test_host *h, const char *addr);

/* Parse an address or fail the test. */
struct tq_addr tq_test_addr(const char *s);

/* Bytes from hex text ("0f 00" or "0f00": spaces skipped) into out,
 * at most cap; aborts the test on a bad digit or overflow. */
size_t tq_test_unhex(const char *hex, uint8_t *out, size_t cap);

/*
 * Ones' complement sum of len bytes added to sum (a partial sum in host
 * order, 0 to start), folded, not inverted, and returned in network order
 * like a header field: store ~result, and 0xffff means "checks".
 */
uint16_t tq_test_cksum(const void *p, uint32_t len, uint32_t sum);
/* Pseudo-header partial sum (host order) for proto over len bytes. */
uint32_t tq_test_phdr_sum(const struct tq_addr *src,
		const struct tq_addr *dst, uint8_t proto, uint32_t len);
/* True when an L4 message (UDP, TCP, ICMPv6) checks against its
 * pseudo-header. */
bool tq_test_l4_cksum_ok(const struct tq_addr *src, const struct tq_addr *dst,
		uint8_t proto, const void *l4, uint32_t len);

/* A UDP header and payload with its checksum for src/dst; returns its
 * length. */
uint32_t tq_test_udp_dgram(uint8_t *out, const char *src, const char *dst,
		uint16_t sport, uint16_t dport, const void *payload,
		uint32_t plen);

/* Frame builders: return the length written into buf. */
extern const uint8_t tq_test_peer_mac[6];
uint32_t tq_test_build_udp4(uint8_t *buf, const uint8_t *dmac,
		const char *src, const char *dst, uint16_t sport,
		uint16_t dport, const void *payload, uint32_t plen);
uint32_t tq_test_build_udp6(uint8_t *buf, const uint8_t *dmac,
		const char *src, const char *dst, uint16_t sport,
		uint16_t dport, const void *payload, uint32_t plen);
uint32_t tq_test_build_arp(uint8_t *buf, uint16_t op, const uint8_t *sha,
		const char *sip, const uint8_t *tha, const char *tip);
uint32_t tq_test_build_icmp4_echo(uint8_t *buf, const uint8_t *dmac,
		const char *src, const char *dst, uint16_t id, uint16_t seq,
		const void *data, uint32_t dlen);
/* Fix the IPv4 header checksum of a frame built above. */
void tq_test_ipv4_fix_cksum(uint8_t *frame);

/* Ethernet + IPv4 (with optlen bytes of options, a multiple of 4) + l4. */
uint32_t tq_test_build_ip4(uint8_t *buf, const uint8_t *dmac,
		const char *src, const char *dst, uint8_t proto,
		const void *opts, uint32_t optlen, const void *l4,
		uint32_t l4len);
/* One IPv4 fragment: len bytes of the datagram at byte offset off. */
uint32_t tq_test_build_frag4(uint8_t *buf, const uint8_t *dmac,
		const char *src, const char *dst, uint8_t proto, uint16_t id,
		uint32_t off, bool mf, const void *data, uint32_t len);
/* Ethernet + IPv6 header (next header nh) + payload. */
uint32_t tq_test_build_ip6(uint8_t *buf, const uint8_t *dmac,
		const char *src, const char *dst, uint8_t nh, uint8_t hlim,
		const void *payload, uint32_t plen);
/* One IPv6 fragment (fragment header right after the fixed one). */
uint32_t tq_test_build_frag6(uint8_t *buf, const uint8_t *dmac,
		const char *src, const char *dst, uint8_t nh, uint32_t id,
		uint32_t off, bool mf, const void *data, uint32_t len);
/* ICMPv6 message (type, code, then body) with a valid checksum. */
uint32_t tq_test_build_icmp6(uint8_t *buf, const uint8_t *dmac,
		const char *src, const char *dst, uint8_t hlim, uint8_t type,
		uint8_t code, const void *body, uint32_t blen);

#endif
