/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_TEST_H
#define TQ_TEST_H

/*
 * Test harness: EAL without hugepages or root, shards joined by the
 * in-memory link and driven with a fake clock, and frame builders.
 */

#include <stdarg.h>
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

#endif
