/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_FUZZ_COMMON_H
#define TQ_FUZZ_COMMON_H

/*
 * What every libFuzzer harness shares.  Each input runs against a fresh
 * host (a shard with the network and TCP layers over the in-memory link,
 * a listener and two UDP sockets), built before the input and torn down
 * after it, so a crash replays from its input alone and a leak is pinned
 * on the input that made it: after the teardown both mbuf pools must be
 * full again.  Frames go onto the wire in mbufs of their own pool whose
 * tailroom is poisoned for ASan, so reading past the end of a frame is
 * caught even though mbuf memory is not malloc's.  Everything the host
 * sends is checked (lengths, checksums) and freed; counters and the TCP
 * layer's bookkeeping are checked after every input.
 *
 * Inputs of most harnesses are records: a 2-byte big-endian length and
 * that many bytes, the last record taking what is left
 * (tq_fuzz_records()).
 */

#include <stddef.h>
#include <stdint.h>

#include "tq_tcptest.h"

/* The host and its peer on the wire. */
#define FZ_HOST4 "10.0.0.2"
#define FZ_HOST6 "fd00::2"
#define FZ_HOSTLL "fe80::2"
#define FZ_PEER4 "10.0.0.1"
#define FZ_PEER6 "fd00::1"
#define FZ_BCAST4 "10.0.0.255"
/* A neighbour nobody has resolved: the host queues frames for it. */
#define FZ_UNRES4 "10.0.0.5"
#define FZ_UNRES6 "fd00::5"

#define FZ_TCP_PORT 80	  /* the listener */
#define FZ_UDP_ECHO 7	  /* a socket that replies */
#define FZ_UDP_DISCARD 9  /* a socket that frees what it gets */
#define FZ_UDP_CLOSED 53  /* no socket: port unreachable */

#define FZ_MAX_RECS 16
#define FZ_MAX_FRAME 9216 /* a jumbo frame; longer records are cut */

/* The harness's own loops are not what is being fuzzed: keep coverage
 * (and its comparison tracing) out of them. */
#if defined(__clang__)
#define FZ_NO_COV __attribute__((no_sanitize("coverage")))
#else
#define FZ_NO_COV
#endif

struct tq_fuzz_rec {
	const uint8_t *p;
	uint32_t len;
};

/* Once per process: EAL, the mbuf dynfield, the pools.  Aborts on error. */
void tq_fuzz_init(const char *name);

/* A fresh host for one input; tq_fuzz_end() checks and tears it down. */
void tq_fuzz_begin(void);
void tq_fuzz_end(void);
struct tq_tcptest_host *tq_fuzz_host(void);
struct tq_shard *tq_fuzz_shard(void);

/* Split an input into at most max records; returns how many. */
unsigned int tq_fuzz_records(const uint8_t *d, size_t n,
		struct tq_fuzz_rec *r, unsigned int max);

/* Put a frame on the wire toward the host (in an mbuf of the fuzz pool,
 * chained past one buffer, its tailroom poisoned). */
void tq_fuzz_send(const void *frame, uint32_t len);

/* What the harness wants to see of each frame the host sends. */
typedef void (*tq_fuzz_out_fn)(const uint8_t *frame, uint32_t len,
		void *arg);
void tq_fuzz_set_out(tq_fuzz_out_fn fn, void *arg);

/* What the harness wants to see of each datagram a socket gets (its
 * payload flat in data). */
typedef void (*tq_fuzz_udp_fn)(const struct tq_udp_dgram *d,
		const uint8_t *data, uint32_t len, void *arg);
void tq_fuzz_set_udp_check(tq_fuzz_udp_fn fn, void *arg);

/* Advance the clock by ns, poll, check and free what the host sent. */
void tq_fuzz_poll(uint64_t ns);
/* Polls spread over a few seconds: delayed ACKs, retransmissions, NDP
 * and ARP retries, reassembly timeouts, TIME_WAIT all get to run. */
void tq_fuzz_settle(void);

/* The stream of the connection the listener accepted last (NULL once it
 * closed), and other stream pointers to clear when their stream closes. */
struct tq_stream *tq_fuzz_last_accepted(void);
void tq_fuzz_watch(struct tq_stream **pp);
/* Whether the app reads what arrives (default) or lets it pile up. */
void tq_fuzz_set_app_reads(bool on);
/* Whether the listener's connections are accepted (default) or left on
 * its accept queue. */
void tq_fuzz_set_accept(bool on);
/* The callbacks of every stream the app has: read, forget when closed. */
const struct tq_stream_ops *tq_fuzz_ops(void);

/* Report a broken invariant: abort() in a fuzzer, a cmocka failure in
 * the regression test. */
void tq_fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define FZ_CHECK(cond, ...)                    \
	do {                                   \
		if (!(cond))                   \
			tq_fuzz_fail(__VA_ARGS__); \
	} while (0)

/* ---- frame building ---- */

extern const uint8_t tq_fuzz_bcast_mac[6];
/* Ethernet header from the peer; returns 14. */
uint32_t tq_fuzz_eth(uint8_t *buf, const uint8_t *dmac, uint16_t type);
/* The host's MAC. */
const uint8_t *tq_fuzz_host_mac(void);
/* Fixed IPv4 header (no options) before l4len bytes; returns 20. */
uint32_t tq_fuzz_ip4(uint8_t *p, const char *src, const char *dst,
		uint8_t proto, uint32_t l4len);
/* Fixed IPv6 header before plen bytes; returns 40. */
uint32_t tq_fuzz_ip6(uint8_t *p, const char *src, const char *dst,
		uint8_t nh, uint8_t hlim, uint32_t plen);
/* IPv4 header checksum over its IHL (when it fits in len). */
void tq_fuzz_ip4_cksum(uint8_t *ip, uint32_t len);
/* Set an L4 checksum (UDP, TCP, ICMP, ICMPv6) at offset off of l4,
 * over len bytes, with the pseudo-header of src/dst (ICMPv4: none). */
void tq_fuzz_l4_cksum(uint8_t *l4, uint32_t len, const struct tq_addr *src,
		const struct tq_addr *dst, uint8_t proto);
/*
 * For an IP packet at ip (len bytes): find the L4 header past IPv4
 * options or IPv6 extension headers (not fragments) and fix its
 * checksum.  Returns true if it found one to fix.
 */
bool tq_fuzz_fix_l4(uint8_t *ip, uint32_t len);

/*
 * The entry points.  fn(data, size) runs one input.  The regression
 * test includes the harness sources with TQ_FUZZ_NO_ENTRY defined and
 * calls fn itself.
 */
#ifndef TQ_FUZZ_NO_ENTRY
#define TQ_FUZZ_TARGET(name, fn)                                         \
	int LLVMFuzzerInitialize(int *argc, char ***argv);               \
	int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);          \
	int LLVMFuzzerInitialize(int *argc, char ***argv)                \
	{                                                                \
		RTE_SET_USED(argc);                                      \
		RTE_SET_USED(argv);                                      \
		tq_fuzz_init(name);                                      \
		return 0;                                                \
	}                                                                \
	int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)           \
	{                                                                \
		return fn(d, n);                                         \
	}
#else
#define TQ_FUZZ_TARGET(name, fn)
#endif

#endif
