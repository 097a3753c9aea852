/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_NET_H
#define TQ_NET_H

/*
 * The network layer of one shard: Ethernet, ARP, IPv4, IPv6 + NDP,
 * ICMP/ICMPv6 and UDP demultiplexing.  Input comes in bursts from the
 * shard; output goes to the shard's TX batch.  Nothing here reads a clock:
 * s->now is the time.
 */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_hash_crc.h>
#include <rte_ip_frag.h>
#include <rte_mbuf.h>

#include <tachyon/tachyon.h>
#include <tachyon/tq_udp.h>

#include "../core/tq_log.h"
#include "../core/tq_shard.h"
#include "../core/tq_timer.h"

#define TQ_MAX_ADDRS 16
#define TQ_NEIGH_QMAX 16

struct tq_ifaddr {
	struct tq_addr addr;
	uint8_t plen;
};

/* The largest TCP segment handed down for TSO/GSO: within the 16-bit IP
 * length with the biggest headers, and at most this many frames. */
#define TQ_TSO_MAX_BYTES 65280
#define TQ_TSO_MAX_SEGS 64

/* The interface: written before the workers start, read-only after. */
struct tq_iface {
	struct rte_ether_addr mac;
	uint16_t mtu;
	unsigned int nb_addrs;
	struct tq_ifaddr addrs[TQ_MAX_ADDRS];
	struct tq_addr gw4, gw6; /* family 0: none */
	bool rx_ip_cksum, rx_l4_cksum;
	bool tx_ip_cksum, tx_udp_cksum, tx_tcp_cksum;
	bool tx_multiseg;
	/* TCP may hand down segments of up to this many payload bytes
	 * (RTE_MBUF_F_TX_TCP_SEG) for the port's TSO or, below the port,
	 * software GSO to cut to the MSS; 0: one MSS a segment. */
	uint32_t tso_max;
	/* RSS as the port does it, so flows can be placed where the NIC
	 * will deliver them; reta_size 0: no usable RSS (software hash). */
	uint16_t reta_size;
	uint8_t rss_key[40] __rte_aligned(4); /* rte_softrss loads words */
	uint16_t reta[512];
};

struct tq_net_conf {
	uint32_t neigh_entries;	     /* power of two */
	uint32_t neigh_queue;	     /* frames held per unresolved entry */
	uint64_t neigh_reachable_ns; /* REACHABLE -> STALE */
	uint64_t neigh_gc_ns;	     /* STALE entries older than this go */
	uint64_t neigh_retrans_ns;   /* between resolution requests */
	uint32_t neigh_probes;	     /* requests before giving up */
	uint32_t frag_entries;	     /* datagrams in reassembly at once */
	uint64_t frag_timeout_ns;
	uint32_t icmp_rate;	     /* ICMP errors per second */
	uint32_t icmp_burst;
	uint8_t ttl;
	bool garp;		     /* gratuitous ARP at start */
	uint32_t udp_max_socks;	     /* per worker; 0: the default */
};

void tq_net_conf_defaults(struct tq_net_conf *c);

/* A bind recorded before the workers run. */
struct tq_udp_sock {
	struct tq_addr addr; /* family 0: wildcard of both families */
	uint16_t port;
	tq_udp_rx_cb cb;
	void *arg;
};

/* Sockets per worker unless tq_net_conf.udp_max_socks says otherwise. */
#define TQ_UDP_DEFAULT_MAX_SOCKS 65536u
/* Binds the list keeps in place; more go to the heap. */
#define TQ_UDP_TABLE_INLINE 64

/*
 * Binds made before the workers run (tq_udp_bind(), test hosts): every
 * shard applies them at attach and, as long as nothing runs, picks up
 * ones added later before its next datagram.  Written only while no
 * worker runs; at run time binds go to the shards (tq_udp_shard_bind(),
 * sent by tq_udp_bind() through the workers' command rings).
 * Holding the first TQ_UDP_TABLE_INLINE in place keeps a zeroed table
 * usable without set-up; tq_udp_table_fini() frees the rest.
 */
struct tq_udp_table {
	unsigned int n;
	unsigned int more_cap;
	struct tq_udp_sock *more;	/* entries n >= TQ_UDP_TABLE_INLINE */
	struct tq_udp_sock socks[TQ_UDP_TABLE_INLINE];
};

/*
 * One worker's sockets: an open-addressing table (linear probing,
 * backward-shift deletion) keyed by (address or wildcard, port), owned
 * and written by that worker only, so lookups take no lock.
 */
struct tq_udp_slot {
	uint64_t a0, a1;	/* the address; zero for the wildcard */
	uint32_t pf;		/* port << 8 | family; 0: empty slot */
	uint32_t hash;
	tq_udp_rx_cb cb;
	void *arg;
};

struct tq_udp_socks {
	struct tq_udp_slot *slots;
	uint32_t mask;		/* slots - 1 */
	uint32_t n;		/* sockets bound */
	uint32_t max;
	int socket;
	/* Exact binds per port, so a port with only a wildcard costs one
	 * probe; NULL until the first exact bind. */
	uint16_t *nexact;
	const struct tq_udp_table *list;
	unsigned int list_done;	/* list entries applied */
};

/* What the layers below UDP/ICMP learned about a received datagram. */
/* rte_log types "tachyon.net" (tq_eth.c) and "tachyon.udp" (tq_udp_ctl.c). */
extern int tq_net_logtype;
extern int tq_udp_logtype;
#define NET_LOG(level, fmt, ...) \
	TQ_LOG(tq_net_logtype, "tachyon.net", level, fmt, ##__VA_ARGS__)
#define NET_LOG_ON(level) TQ_LOG_ON(tq_net_logtype, level)
#define UDP_LOG(level, fmt, ...) \
	TQ_LOG(tq_udp_logtype, "tachyon.udp", level, fmt, ##__VA_ARGS__)
#define UDP_LOG_ON(level) TQ_LOG_ON(tq_udp_logtype, level)

struct tq_rx {
	struct rte_mbuf *m;	/* data at the L4 header */
	void *l3;		/* the IP header, still in the first segment */
	struct tq_addr src, dst;
	struct rte_ether_addr peer_mac;
	uint16_t l3_len;	/* IP header incl. extension headers */
	uint8_t proto;
	uint8_t tos;		/* IPv4 TOS / IPv6 traffic class, ECN in 0-1 */
	bool to_bcast;		/* broadcast or multicast destination */
};

/*
 * An ICMP or ICMPv6 error about one of our TCP segments, from the part of
 * it the error quotes: its source is ours, its destination the peer.
 */
struct tq_icmp_err {
	struct tq_addr laddr, faddr;
	uint16_t lport, fport;	/* network order */
	uint32_t seq;		/* the quoted segment's, host order */
	uint32_t mtu;		/* too big: the next hop's MTU; else 0 */
	bool hard;		/* unreachable: port, protocol, prohibited */
};

struct tq_neigh_table;

/* A hash of an address for the shard's tables (neighbours, the
 * destination cache), CRC32-C. */
static inline uint32_t
tq_addr_hash(const struct tq_addr *a)
{
	uint64_t w[2];

	if (a->family == AF_INET)
		return rte_hash_crc_4byte(a->v4, 0x1234567);
	/* v6 is only 4-byte aligned in struct tq_addr and rte_hash_crc()
	 * loads it 8 bytes at a time: copy it out (same hash). */
	memcpy(w, a->v6, sizeof(w));
	return rte_hash_crc_8byte(w[1], rte_hash_crc_8byte(w[0], 0x7654321));
}

/* One destination's next-hop MAC, valid under l2_gen (tq_route.c). */
struct tq_dst_entry {
	struct tq_addr dst;
	struct rte_ether_addr mac;
	uint32_t gen;		/* 0: empty */
};

#define TQ_DCACHE_SIZE 256	/* a power of two */

struct tq_net {
	const struct tq_iface *ifc;
	const struct tq_net_conf *conf;
	struct tq_udp_socks udp;
	struct tq_neigh_table *neigh;
	struct rte_ip_frag_tbl *frag;
	struct rte_ip_frag_death_row dr;
	struct tq_timer neigh_timer;
	uint16_t ip_id;
	uint32_t ip6_frag_id;
	/* Bumped whenever a next hop's MAC may have changed (a neighbour
	 * updated, gone stale or removed): invalidates every
	 * struct tq_route_cache of the shard.  Never 0. */
	uint32_t l2_gen;
	/* What the route caches of the shard's connections hold, by
	 * destination: a new connection to a peer already reached fills
	 * its own from here. */
	struct tq_dst_entry dcache[TQ_DCACHE_SIZE];
	uint64_t icmp_tokens_ns; /* token bucket in time units */
	uint64_t icmp_last;
	/* the TCP layer, when attached */
	void (*tcp_input)(struct tq_shard *s, struct tq_rx *rx);
	/* An ICMP error quoting a TCP segment of ours; takes rx->m. */
	void (*tcp_icmp)(struct tq_shard *s, struct tq_rx *rx,
			const struct tq_icmp_err *e);
};

/*
 * Record a bind in a list; errors as tq_udp_bind().  Only the same
 * (address or wildcard, port) conflicts: a wildcard and exact binds of
 * one port coexist and the exact one wins its address.
 */
int tq_udp_table_bind(struct tq_udp_table *t, const struct tq_addr *addr,
		uint16_t port, tq_udp_rx_cb cb, void *arg);
/* UDP as an engine module (tq_udp_ctl.c): its state is the list of
 * binds made before the workers run, which tq_net_attach() takes. */
struct tq_module;
extern const struct tq_module tq_udp_module;

/* Take a bind out of a list no shard reads yet: 0 or -ENOENT. */
int tq_udp_table_unbind(struct tq_udp_table *t, const struct tq_addr *addr,
		uint16_t port);
/* Free what the list allocated; it is empty after. */
void tq_udp_table_fini(struct tq_udp_table *t);

/*
 * Bind or unbind on one worker, called on that worker.  addr NULL or
 * unspecified: the wildcard of both families.  Bind: 0, -EINVAL (port 0,
 * no cb, unknown family), -EADDRINUSE (that address and port are bound),
 * -ENOSPC (udp_max_socks reached), -ENOMEM.  Unbind: 0, -EINVAL,
 * -ENOENT.  After unbind a datagram to the port finds no socket (ICMP
 * port unreachable) unless a wildcard still covers it.
 */
int tq_udp_shard_bind(struct tq_shard *s, const struct tq_addr *addr,
		uint16_t port, tq_udp_rx_cb cb, void *arg);
int tq_udp_shard_unbind(struct tq_shard *s, const struct tq_addr *addr,
		uint16_t port);
/* Sockets bound on the worker. */
unsigned int tq_udp_shard_count(struct tq_shard *s);

/* The worker's table, with list's binds applied; from tq_net_attach. */
int tq_udp_attach(struct tq_shard *s, const struct tq_udp_table *list);
void tq_udp_detach(struct tq_shard *s);
/* Apply list entries added since the last call (tq_udp_input does). */
void tq_udp_list_sync(struct tq_shard *s);
/* The socket for a datagram to dst:port (host order): exact first. */
const struct tq_udp_slot *tq_udp_lookup(struct tq_udp_socks *t,
		const struct tq_addr *dst, uint16_t port);

/* Set up the network layer on shard s; installs s->input. */
int tq_net_attach(struct tq_shard *s, const struct tq_iface *ifc,
		const struct tq_net_conf *conf, const struct tq_udp_table *udp);
void tq_net_detach(struct tq_shard *s);

/* Gratuitous ARP for every IPv4 address (worker 0 at start). */
void tq_net_announce(struct tq_shard *s);

static inline struct tq_net *
tq_net(struct tq_shard *s)
{
	return s->net;
}

/* --- internal, between the files of this layer --- */

void tq_net_input(struct tq_shard *s, struct rte_mbuf **pkts, uint16_t n);
void tq_arp_input(struct tq_shard *s, struct rte_mbuf *m);
void tq_ipv4_input(struct tq_shard *s, struct rte_mbuf *m,
		const struct rte_ether_addr *peer, bool l2_bcast);
void tq_ipv6_input(struct tq_shard *s, struct rte_mbuf *m,
		const struct rte_ether_addr *peer, bool l2_mcast);
void tq_icmp_input(struct tq_shard *s, struct tq_rx *rx);
void tq_icmp6_input(struct tq_shard *s, struct tq_rx *rx);
void tq_udp_input(struct tq_shard *s, struct tq_rx *rx);

/* Is a one of our addresses (same family)? */
bool tq_iface_has_addr(const struct tq_iface *ifc, const struct tq_addr *a);

/* The same for an IPv4 address as in a header, without building a
 * struct tq_addr (every received IPv4 packet asks). */
static inline bool
tq_iface_has_addr4(const struct tq_iface *ifc, uint32_t be)
{
	unsigned int i;

	for (i = 0; i < ifc->nb_addrs; i++)
		if (ifc->addrs[i].addr.v4 == be &&
				ifc->addrs[i].addr.family == AF_INET)
			return true;
	return false;
}

/*
 * The rest of e from the first 8 bytes of the quoted TCP header, once the
 * caller set the addresses: false when the quoted source is not ours.
 */
static inline bool
tq_icmp_err_tcp(const struct tq_iface *ifc, struct tq_icmp_err *e,
		const uint8_t *th)
{
	if (!tq_iface_has_addr(ifc, &e->laddr))
		return false;
	memcpy(&e->lport, th, 2);
	memcpy(&e->fport, th + 2, 2);
	e->seq = (uint32_t)th[4] << 24 | (uint32_t)th[5] << 16 |
		(uint32_t)th[6] << 8 | th[7];
	return true;
}
/* Is a the broadcast address of one of our IPv4 subnets (or all-ones)? */
bool tq_iface_is_bcast4(const struct tq_iface *ifc, uint32_t a);

/*
 * Route dst: fills the next hop and, if src is unspecified, a source
 * address. Returns 0 or -EHOSTUNREACH.
 */
int tq_route_lookup(const struct tq_iface *ifc, const struct tq_addr *dst,
		struct tq_addr *nexthop, struct tq_addr *src);

/*
 * Send m (data at the L4 header) over IPv4 or IPv6.  The UDP/TCP
 * checksum is filled here (offloaded when the port can); ICMP callers
 * fill theirs.  l2dst non-NULL skips neighbour resolution (replies).
 * Takes ownership of m.  Returns 0 or a negative errno.
 */
int tq_ip_output(struct tq_shard *s, struct rte_mbuf *m,
		const struct tq_addr *src, const struct tq_addr *dst,
		uint8_t proto, const struct rte_ether_addr *l2dst);

/* What tq_ip_output_opt() adds to tq_ip_output(). */
struct tq_ip_txopt {
	/* Routed already: the next hop (src must be set); NULL: look up. */
	const struct tq_addr *nexthop;
	uint8_t tos;	/* IPv4 TOS / IPv6 traffic class, with ECN */
	bool df;	/* IPv4 Don't Fragment (the caller keeps to the MTU) */
};

/*
 * A connection's route, resolved once: the next hop's MAC, valid while
 * gen equals tq_net(s)->l2_gen.  The iface's addresses and gateways do
 * not change while the shard runs, so only the neighbour table can make
 * it wrong.  Zeroed: empty.
 */
struct tq_route_cache {
	struct rte_ether_addr mac;
	uint32_t gen;
};

/*
 * tq_ip_output() through a route cache: with a valid entry no route or
 * neighbour lookup per packet; otherwise the full path, and the entry is
 * filled when the next hop is reachable (a stale one is confirmed by the
 * neighbour code on each send meanwhile, as without the cache), and the
 * shard's destination cache with it.  An empty rc is not looked up in
 * that cache here: the caller tries tq_route_cache_fill() first (TCP does,
 * to build its headers), so a miss is not probed twice.  src must be
 * set.
 */
int tq_ip_output_rc(struct tq_shard *s, struct rte_mbuf *m,
		const struct tq_addr *src, const struct tq_addr *dst,
		uint8_t proto, struct tq_route_cache *rc);

/* The entry holds the next hop: the output may go straight to the
 * address family's output with rc->mac (what tq_ip_output_rc() does). */
static inline bool
tq_route_cache_valid(struct tq_shard *s, const struct tq_route_cache *rc)
{
	return rc->gen == tq_net(s)->l2_gen;
}

/*
 * Fill an empty rc for dst from the shard's destination cache, which
 * tq_ip_output_rc() fills; true if rc is valid now.  One probe: a
 * connection to a peer the shard already reaches needs no route and
 * neighbour lookup of its own.
 */
bool tq_route_cache_fill(struct tq_shard *s, struct tq_route_cache *rc,
		const struct tq_addr *dst);
/* dst's next hop is reachable at mac (l2_gen now). */
void tq_dcache_put(struct tq_shard *s, const struct tq_addr *dst,
		const struct rte_ether_addr *mac);

int tq_ip_output_opt(struct tq_shard *s, struct rte_mbuf *m,
		const struct tq_addr *src, const struct tq_addr *dst,
		uint8_t proto, const struct rte_ether_addr *l2dst,
		const struct tq_ip_txopt *o);

/*
 * A flow's Ethernet and IP headers, built once while its next hop holds
 * (the prebuilt headers of mTCP and dperf): a packet copies them and
 * patches the length (and over IPv4 the id and header checksum) and the
 * L4 checksum from the addresses' sum kept here, where the general
 * output stores each field, prepends twice and sums the pseudo-header
 * from the header every time.  TOS/traffic class 0, IPv4 DF clear, the
 * configured TTL / hop limit (tq_ip_tmpl.c).  Zeroed: empty.
 */
struct tq_ip_tmpl {
	uint8_t hdr[RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv6_hdr)];
	uint8_t len;	/* of hdr: 34 (IPv4) or 54 (IPv6) */
	uint8_t proto;
	uint32_t phsum;	/* pseudo-header sum of the addresses and proto */
	/* IPv4: the sum of hdr's IP header with length, id and checksum 0,
	 * so a header checksum in software is two adds and a fold */
	uint32_t ipsum;
	uint32_t gen;	/* tq_net's l2_gen it was built under */
};

/* Build t for src -> dst through the next hop mac. */
void tq_ip_tmpl_build(struct tq_shard *s, struct tq_ip_tmpl *t,
		const struct tq_addr *src, const struct tq_addr *dst,
		uint8_t proto, const struct rte_ether_addr *mac);

/* t still names the right next hop (the neighbour table moved on). */
static inline bool
tq_ip_tmpl_valid(struct tq_shard *s, const struct tq_ip_tmpl *t)
{
	return t->gen == tq_net(s)->l2_gen;
}

/*
 * tq_ip_output() with t's headers (t valid): m's data at L4, the TCP or
 * UDP checksum filled (offloaded where the port can); past the MTU the
 * general path fragments.  Takes ownership of m.  Returns 0 or a
 * negative errno.
 */
int tq_ip_output_tmpl(struct tq_shard *s, struct rte_mbuf *m,
		const struct tq_ip_tmpl *t);

int tq_ipv4_output(struct tq_shard *s, struct rte_mbuf *m, uint32_t src,
		uint32_t dst, uint8_t proto, const struct rte_ether_addr *l2dst);
int tq_ipv6_output(struct tq_shard *s, struct rte_mbuf *m,
		const struct tq_addr *src, const struct tq_addr *dst,
		uint8_t proto, const struct rte_ether_addr *l2dst);
int tq_ipv6_output_opt(struct tq_shard *s, struct rte_mbuf *m,
		const struct tq_addr *src, const struct tq_addr *dst,
		uint8_t proto, const struct rte_ether_addr *l2dst,
		uint8_t hlim, const struct tq_ip_txopt *o);
/* As tq_ipv6_output with a given hop limit (NDP needs 255). */
int tq_ipv6_output_hlim(struct tq_shard *s, struct rte_mbuf *m,
		const struct tq_addr *src, const struct tq_addr *dst,
		uint8_t proto, const struct rte_ether_addr *l2dst,
		uint8_t hlim);


/* Neighbour cache (ARP and NDP share it). */
struct tq_neigh_table *tq_neigh_create(const struct tq_net_conf *conf,
		int socket);
void tq_neigh_free(struct tq_neigh_table *t);
/*
 * Learn or refresh; create says whether an absent entry is added.  share
 * tells the other workers, which take it with the same create: an
 * answer (NDP NA) may land on a worker that did not ask, as af_packet's
 * fanout and RSS hash it as they like, and must still reach the one that
 * did.
 */
void tq_neigh_update(struct tq_shard *s, const struct tq_addr *a,
		const struct rte_ether_addr *mac, bool create, bool share);
/* Send m (with an Ethernet header to fill) to a, resolving first. */
void tq_neigh_send(struct tq_shard *s, const struct tq_addr *a,
		struct rte_mbuf *m);
/*
 * Prepend Ethernet and send m (data at the L3 header) to nexthop,
 * resolving its MAC first if needed; or to l2dst directly.  Inline: it
 * ends nearly every packet sent.
 */
static inline void
tq_eth_output(struct tq_shard *s, struct rte_mbuf *m, uint16_t etype,
		const struct tq_addr *nexthop,
		const struct rte_ether_addr *l2dst)
{
	struct rte_ether_hdr *eh;

	eh = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, sizeof(*eh));
	if (unlikely(!eh)) {
		TQ_INC(s, NO_MBUF);
		rte_pktmbuf_free(m);
		return;
	}
	m->l2_len = sizeof(*eh);
	eh->ether_type = rte_cpu_to_be_16(etype);
	eh->src_addr = tq_net(s)->ifc->mac;
	if (l2dst) {
		eh->dst_addr = *l2dst;
		tq_shard_tx(s, m);
		return;
	}
	tq_neigh_send(s, nexthop, m);
}

/* Aging and retries, every 100 ms from the shard's timer. */
void tq_neigh_tick(struct tq_shard *s);
/* 0 and the MAC if a is resolved, else -ENOENT. */
/* The MAC of a REACHABLE entry (one a route cache may keep); -ENOENT. */
int tq_neigh_reachable(struct tq_shard *s, const struct tq_addr *a,
		struct rte_ether_addr *mac);
int tq_neigh_lookup(struct tq_shard *s, const struct tq_addr *a,
		struct rte_ether_addr *mac);
unsigned int tq_neigh_count(const struct tq_neigh_table *t);

/* Requests that resolve a; for tq_neigh only. */
void tq_arp_request(struct tq_shard *s, uint32_t target);
void tq_ndp_solicit(struct tq_shard *s, const struct tq_addr *target);

/* ICMP error rate limit: true if one may be sent now. */
bool tq_icmp_allow(struct tq_shard *s);
/* Port unreachable for a datagram that found no socket. */
void tq_icmp_port_unreach(struct tq_shard *s, struct tq_rx *rx);
void tq_icmp6_port_unreach(struct tq_shard *s, struct tq_rx *rx);

/* Checksum helpers. */
/* Ones' complement fold of a sum of 16-bit words to 16 bits. */
static inline uint16_t
tq_cksum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)((sum & 0xffff) + (sum >> 16));
}

/* The same from a 64-bit sum. */
static inline uint16_t
tq_cksum_fold64(uint64_t s)
{
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffffffff) + (s >> 32);
	return tq_cksum_fold((uint32_t)((s & 0xffff) + (s >> 16)));
}

/* Ones' complement sum (not inverted) of a flat buffer, host order. */
uint16_t tq_cksum_raw(const void *buf, uint32_t len);
/* The same without vectors (what tq_cksum_raw() does on other CPUs and
 * for the tail of a buffer). */
uint16_t tq_cksum_raw_generic(const void *buf, uint32_t len);

/*
 * An IPv4 header's sum (hlen a multiple of 4, 20 to 60 bytes) is
 * 0xffff: 32-bit words into 64 bits and a fold, where DPDK 22.11's
 * rte_raw_cksum() takes 16 bits a turn (a software PMD's every packet).
 */
static inline bool
tq_ipv4_hdr_sum_ok(const void *ip, uint32_t hlen)
{
	const uint8_t *p = ip;
	uint64_t s = 0;
	uint32_t w, i;

	for (i = 0; i < hlen; i += 4) {
		memcpy(&w, p + i, 4);
		s += w;
	}
	return tq_cksum_fold64(s) == 0xffff;
}
/* Ones' complement sum (not inverted) of len bytes of a chain at off. */
int tq_cksum_mbuf(const struct rte_mbuf *m, uint32_t off, uint32_t len,
		uint16_t *out);
/* The UDP/TCP checksum to put in a header, the pseudo-header's sum
 * (unfolded) given. */
uint16_t tq_l4_cksum_psum(uint32_t psum, uint8_t proto,
		const struct rte_mbuf *m, uint32_t off, uint32_t len);
/* The UDP/TCP checksum to put in a header, over the pseudo-header. */
uint16_t tq_l4_cksum_out(const struct tq_addr *src, const struct tq_addr *dst,
		uint8_t proto, const struct rte_mbuf *m, uint32_t off,
		uint32_t len);
uint16_t tq_l4_pseudo_sum(const struct tq_addr *src, const struct tq_addr *dst,
		uint8_t proto, uint32_t len);
/* What rte_ipv4_phdr_cksum(ip, flags without TSO) gives, cheaper. */
uint16_t tq_ipv4_phdr_sum(const struct rte_ipv4_hdr *ip);
/* Verify the UDP/TCP checksum of rx->m (data at L4, len bytes). */
bool tq_l4_cksum_check(const struct tq_rx *rx, uint8_t proto, uint32_t len);
uint16_t tq_cksum_icmp6(const struct tq_addr *src, const struct tq_addr *dst,
		const struct rte_mbuf *m, uint32_t off, uint32_t len);

/* Solicited-node multicast address and MAC for an IPv6 address. */
void tq_ipv6_solicited_node(const uint8_t *a, uint8_t *out);
void tq_ipv6_mcast_mac(const uint8_t *a, struct rte_ether_addr *mac);

/* Allocate an mbuf with room for headers in front; counts failure. */
static inline struct rte_mbuf *
tq_net_alloc(struct tq_shard *s)
{
	struct rte_mbuf *m = tq_shard_mbuf_alloc(s);

	if (unlikely(!m))
		TQ_INC(s, NO_MBUF);
	return m;
}

#endif
