/* SPDX-License-Identifier: BSD-3-Clause */
#include "tq_test.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_arp.h>
#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "core/tq_clock.h"

static struct rte_mempool *pool;

const uint8_t tq_test_peer_mac[6] = { 0x02, 0, 0, 0, 0, 0xee };

/* EAL leaves its (empty, with --no-shconf) runtime directory behind:
 * thousands of them in /var/run/dpdk after a few test runs. */
static char runtime_dir[PATH_MAX];

static void
remove_runtime_dir(void)
{
	if (runtime_dir[0])
		rmdir(runtime_dir);
}

int
tq_test_eal_init(const char *name)
{
	char prefix[64];
	char *argv[] = { (char *)name, "--no-huge", "--no-pci", "--no-shconf",
		"-m", "128", "-l", "0", "--no-telemetry", "--log-level", "5",
		"--file-prefix", prefix, NULL };

	snprintf(prefix, sizeof(prefix), "tqt_%s_%d", name, (int)getpid());
	if (rte_eal_init((int)RTE_DIM(argv) - 1, argv) < 0)
		return -1;
	snprintf(runtime_dir, sizeof(runtime_dir), "%s",
			rte_eal_get_runtime_dir());
	atexit(remove_runtime_dir);
	tq_clock_init();
	pool = rte_pktmbuf_pool_create("tq_test_pool", 8191, 0, 0,
			RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	return pool ? 0 : -1;
}

/* The hosts up, whose shards' mbuf stashes a count of the pool's free
 * mbufs returns first (tq_shard_mbuf_alloc()). */
static struct tq_test_host *live[64];

struct rte_mempool *
tq_test_pool(void)
{
	return pool;
}

int
tq_test_host_init(struct tq_test_host *h, uint8_t id,
		const char *const *addrs, const struct tq_fault_spec *fault)
{
	struct tq_test_host_opts o = { .fault = fault };

	return tq_test_host_init_opts(h, id, addrs, &o);
}

int
tq_test_host_init_opts(struct tq_test_host *h, uint8_t id,
		const char *const *addrs, const struct tq_test_host_opts *o)
{
	static unsigned int seq;
	char name[32];
	struct tq_shard_conf sc = { 0 };
	unsigned int i;

	memset(h, 0, sizeof(*h));
	h->now = 1000000000ull; /* not zero, so "never" differs from now */
	h->ifc.mac.addr_bytes[0] = 0x02;
	h->ifc.mac.addr_bytes[5] = id;
	h->ifc.mtu = 1500;
	for (i = 0; addrs && addrs[i]; i++) {
		if (tq_prefix_parse(addrs[i], &h->ifc.addrs[i].addr,
				&h->ifc.addrs[i].plen) < 0)
			return -1;
		h->ifc.nb_addrs++;
	}
	if (o->gw && tq_addr_parse(o->gw, &h->ifc.gw4) < 0)
		return -1;
	if (o->gw6 && tq_addr_parse(o->gw6, &h->ifc.gw6) < 0)
		return -1;
	if (o->conf)
		h->conf = *o->conf;
	else
		tq_net_conf_defaults(&h->conf);
	snprintf(name, sizeof(name), "tqt_l%u", seq++);
	if (tq_memlink_create(&h->link, name,
			o->ring_size ? o->ring_size : 4096) < 0)
		return -1;
	sc.id = o->shard_id;
	sc.nb_workers = o->nb_workers ? o->nb_workers : 1;
	sc.socket = SOCKET_ID_ANY;
	sc.pool = pool;
	sc.fault = o->fault;
	sc.timer_tick_ns = 1000000;
	sc.now = h->now;
	h->s = tq_shard_create(&sc);
	if (!h->s)
		return -1;
	for (i = 0; i < RTE_DIM(live); i++)
		if (!live[i]) {
			live[i] = h;
			break;
		}
	tq_io_init_memlink(&h->s->io, &h->link, 0);
	tq_io_init_memlink(&h->wire, &h->link, 1);
	return tq_net_attach(h->s, &h->ifc, &h->conf, &h->udp);
}

void
tq_test_host_fini(struct tq_test_host *h)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(live); i++)
		if (live[i] == h)
			live[i] = NULL;
	if (h->s) {
		tq_net_detach(h->s);
		tq_shard_free(h->s);
	}
	tq_memlink_free(&h->link);
	h->s = NULL;
}

void
tq_test_host_poll(struct tq_test_host *h, uint64_t ns)
{
	h->now += ns;
	tq_shard_poll(h->s, h->now);
}

void
tq_test_wire_send(struct tq_test_host *h, const void *frame, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	char *p;

	assert_non_null(m);
	p = rte_pktmbuf_append(m, (uint16_t)len);
	assert_non_null(p);
	memcpy(p, frame, len);
	assert_int_equal(h->wire.tx(&h->wire, &m, 1), 1);
}

struct rte_mbuf *
tq_test_wire_recv(struct tq_test_host *h)
{
	struct rte_mbuf *m = NULL;

	if (h->wire.rx(&h->wire, &m, 1) == 1)
		return m;
	return NULL;
}

unsigned int
tq_test_wire_drain(struct tq_test_host *h)
{
	struct rte_mbuf *m;
	unsigned int n = 0;

	while ((m = tq_test_wire_recv(h)) != NULL) {
		rte_pktmbuf_free(m);
		n++;
	}
	return n;
}

/* Carry what each host sent to the other, then poll both. */
void
tq_test_pair_poll(struct tq_test_host *a, struct tq_test_host *b,
		uint64_t ns)
{
	struct rte_mbuf *m;

	while ((m = tq_test_wire_recv(a)) != NULL)
		if (b->wire.tx(&b->wire, &m, 1) != 1)
			rte_pktmbuf_free(m);
	while ((m = tq_test_wire_recv(b)) != NULL)
		if (a->wire.tx(&a->wire, &m, 1) != 1)
			rte_pktmbuf_free(m);
	tq_test_host_poll(a, ns);
	tq_test_host_poll(b, ns);
}

uint64_t
tq_test_counter(const struct tq_test_host *h, unsigned int id)
{
	return h->s->ctr[id];
}

unsigned int
tq_test_pool_avail(void)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(live); i++)
		if (live[i] && live[i]->s)
			tq_shard_stash_flush(live[i]->s);
	return rte_mempool_avail_count(pool);
}

uint32_t
tq_test_wire_recv_flat_ol(struct tq_test_host *h, uint8_t *buf, uint32_t cap,
		uint64_t *ol_flags)
{
	struct rte_mbuf *m = tq_test_wire_recv(h);
	const void *p;
	uint32_t len;

	if (!m)
		return 0;
	len = rte_pktmbuf_pkt_len(m);
	assert_true(len <= cap);
	if (ol_flags)
		*ol_flags = m->ol_flags;
	p = rte_pktmbuf_read(m, 0, len, buf);
	assert_non_null(p);
	if (p != buf)
		memcpy(buf, p, len);
	rte_pktmbuf_free(m);
	return len;
}

uint32_t
tq_test_wire_recv_flat(struct tq_test_host *h, uint8_t *buf, uint32_t cap)
{
	return tq_test_wire_recv_flat_ol(h, buf, cap, NULL);
}

struct rte_mbuf *
tq_test_l4_msg(struct tq_test_host *h, uint32_t len, uint8_t seed)
{
	struct rte_mbuf *m = tq_net_alloc(h->s);
	uint8_t *p;
	uint32_t i;

	assert_non_null(m);
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
	assert_non_null(p);
	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7);
	return m;
}

static int
nibble(char c)
{
	return isdigit((unsigned char)c) ? c - '0' :
		tolower((unsigned char)c) - 'a' + 10;
}

size_t
tq_test_unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (*hex) {
		if (*hex == ' ') {
			hex++;
			continue;
		}
		if (!isxdigit((unsigned char)hex[0]) ||
				!isxdigit((unsigned char)hex[1]) || n == cap) {
			fprintf(stderr, "tq_test_unhex: bad hex or more than "
				"%zu bytes at \"%.8s\"\n", cap, hex);
			abort();
		}
		out[n++] = (uint8_t)(nibble(hex[0]) << 4 | nibble(hex[1]));
		hex += 2;
	}
	return n;
}

struct tq_addr
tq_test_addr(const char *s)
{
	struct tq_addr a;

	assert_int_equal(tq_addr_parse(s, &a), 0);
	return a;
}

void
tq_test_host_learn(struct tq_test_host *h, const char *addr)
{
	struct tq_addr a = tq_test_addr(addr);
	struct rte_ether_addr mac;

	memcpy(&mac, tq_test_peer_mac, 6);
	tq_neigh_update(h->s, &a, &mac, true, false);
}

/* Written here rather than taken from rte_ip.h so the tests check the
 * engine against an independent implementation. */
uint16_t
tq_test_cksum(const void *p, uint32_t len, uint32_t sum)
{
	const uint8_t *b = p;
	uint32_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)((b[i] << 8) | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)(b[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	/* big-endian value to the byte order of a header field */
	return rte_cpu_to_be_16((uint16_t)sum);
}

uint32_t
tq_test_phdr_sum(const struct tq_addr *src, const struct tq_addr *dst,
		uint8_t proto, uint32_t len)
{
	uint8_t ph[40];
	uint32_t n;

	if (src->family == AF_INET) {
		memcpy(ph, &src->v4, 4);
		memcpy(ph + 4, &dst->v4, 4);
		ph[8] = 0;
		ph[9] = proto;
		ph[10] = (uint8_t)(len >> 8);
		ph[11] = (uint8_t)len;
		n = 12;
	} else {
		memcpy(ph, src->v6, 16);
		memcpy(ph + 16, dst->v6, 16);
		ph[32] = (uint8_t)(len >> 24);
		ph[33] = (uint8_t)(len >> 16);
		ph[34] = (uint8_t)(len >> 8);
		ph[35] = (uint8_t)len;
		ph[36] = ph[37] = ph[38] = 0;
		ph[39] = proto;
		n = 40;
	}
	return rte_be_to_cpu_16(tq_test_cksum(ph, n, 0));
}

bool
tq_test_l4_cksum_ok(const struct tq_addr *src, const struct tq_addr *dst,
		uint8_t proto, const void *l4, uint32_t len)
{
	return tq_test_cksum(l4, len, tq_test_phdr_sum(src, dst, proto,
			len)) == 0xffff;
}

uint32_t
tq_test_udp_dgram(uint8_t *out, const char *src, const char *dst,
		uint16_t sport, uint16_t dport, const void *payload,
		uint32_t plen)
{
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)out;
	struct tq_addr s = tq_test_addr(src), d = tq_test_addr(dst);
	uint32_t len = sizeof(*uh) + plen;
	uint16_t c;

	uh->src_port = rte_cpu_to_be_16(sport);
	uh->dst_port = rte_cpu_to_be_16(dport);
	uh->dgram_len = rte_cpu_to_be_16((uint16_t)len);
	uh->dgram_cksum = 0;
	memmove(uh + 1, payload, plen);
	c = (uint16_t)~tq_test_cksum(out, len,
			tq_test_phdr_sum(&s, &d, IPPROTO_UDP, len));
	uh->dgram_cksum = c ? c : 0xffff;
	return len;
}

static void
put_eth(uint8_t *buf, const uint8_t *dmac, uint16_t type)
{
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)buf;

	memcpy(&eh->dst_addr, dmac, 6);
	memcpy(&eh->src_addr, tq_test_peer_mac, 6);
	eh->ether_type = rte_cpu_to_be_16(type);
}

void
tq_test_ipv4_fix_cksum(uint8_t *frame)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(frame + 14);

	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

static void
put_ipv4(uint8_t *p, const char *src, const char *dst, uint8_t proto,
		uint32_t plen)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)p;
	struct tq_addr s, d;

	assert_int_equal(tq_addr_parse(src, &s), 0);
	assert_int_equal(tq_addr_parse(dst, &d), 0);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + plen));
	ip->packet_id = rte_cpu_to_be_16(1);
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->src_addr = s.v4;
	ip->dst_addr = d.v4;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

uint32_t
tq_test_build_udp4(uint8_t *buf, const uint8_t *dmac, const char *src,
		const char *dst, uint16_t sport, uint16_t dport,
		const void *payload, uint32_t plen)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(buf + 14);
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(ip + 1);

	put_eth(buf, dmac, RTE_ETHER_TYPE_IPV4);
	put_ipv4((uint8_t *)ip, src, dst, IPPROTO_UDP, sizeof(*uh) + plen);
	uh->src_port = rte_cpu_to_be_16(sport);
	uh->dst_port = rte_cpu_to_be_16(dport);
	uh->dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*uh) + plen));
	uh->dgram_cksum = 0;
	memcpy(uh + 1, payload, plen);
	uh->dgram_cksum = rte_ipv4_udptcp_cksum(ip, uh);
	return 14 + sizeof(*ip) + sizeof(*uh) + plen;
}

uint32_t
tq_test_build_udp6(uint8_t *buf, const uint8_t *dmac, const char *src,
		const char *dst, uint16_t sport, uint16_t dport,
		const void *payload, uint32_t plen)
{
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(buf + 14);
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(ip + 1);
	struct tq_addr s, d;

	assert_int_equal(tq_addr_parse(src, &s), 0);
	assert_int_equal(tq_addr_parse(dst, &d), 0);
	put_eth(buf, dmac, RTE_ETHER_TYPE_IPV6);
	memset(ip, 0, sizeof(*ip));
	ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16((uint16_t)(sizeof(*uh) + plen));
	ip->proto = IPPROTO_UDP;
	ip->hop_limits = 64;
	memcpy(ip->src_addr, s.v6, 16);
	memcpy(ip->dst_addr, d.v6, 16);
	uh->src_port = rte_cpu_to_be_16(sport);
	uh->dst_port = rte_cpu_to_be_16(dport);
	uh->dgram_len = ip->payload_len;
	uh->dgram_cksum = 0;
	memcpy(uh + 1, payload, plen);
	uh->dgram_cksum = rte_ipv6_udptcp_cksum(ip, uh);
	return 14 + sizeof(*ip) + sizeof(*uh) + plen;
}

uint32_t
tq_test_build_arp(uint8_t *buf, uint16_t op, const uint8_t *sha,
		const char *sip, const uint8_t *tha, const char *tip)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct rte_arp_hdr *ah = (struct rte_arp_hdr *)(buf + 14);
	struct tq_addr s, t;

	assert_int_equal(tq_addr_parse(sip, &s), 0);
	assert_int_equal(tq_addr_parse(tip, &t), 0);
	put_eth(buf, op == RTE_ARP_OP_REQUEST ? bcast : tha,
			RTE_ETHER_TYPE_ARP);
	memcpy(buf + 6, sha, 6);
	ah->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	ah->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ah->arp_hlen = 6;
	ah->arp_plen = 4;
	ah->arp_opcode = rte_cpu_to_be_16(op);
	memcpy(&ah->arp_data.arp_sha, sha, 6);
	ah->arp_data.arp_sip = s.v4;
	memcpy(&ah->arp_data.arp_tha, tha, 6);
	ah->arp_data.arp_tip = t.v4;
	return 14 + sizeof(*ah);
}

uint32_t
tq_test_build_icmp4_echo(uint8_t *buf, const uint8_t *dmac, const char *src,
		const char *dst, uint16_t id, uint16_t seq, const void *data,
		uint32_t dlen)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(buf + 14);
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)(ip + 1);

	put_eth(buf, dmac, RTE_ETHER_TYPE_IPV4);
	put_ipv4((uint8_t *)ip, src, dst, IPPROTO_ICMP, sizeof(*ic) + dlen);
	ic->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
	ic->icmp_code = 0;
	ic->icmp_ident = rte_cpu_to_be_16(id);
	ic->icmp_seq_nb = rte_cpu_to_be_16(seq);
	ic->icmp_cksum = 0;
	memcpy(ic + 1, data, dlen);
	ic->icmp_cksum = (uint16_t)~rte_raw_cksum(ic, sizeof(*ic) + dlen);
	return 14 + sizeof(*ip) + sizeof(*ic) + dlen;
}

uint32_t
tq_test_build_ip4(uint8_t *buf, const uint8_t *dmac, const char *src,
		const char *dst, uint8_t proto, const void *opts,
		uint32_t optlen, const void *l4, uint32_t l4len)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(buf + 14);
	uint32_t hlen = sizeof(*ip) + optlen;

	assert_true(optlen % 4 == 0 && optlen <= 40);
	put_eth(buf, dmac, RTE_ETHER_TYPE_IPV4);
	put_ipv4((uint8_t *)ip, src, dst, proto, optlen + l4len);
	ip->version_ihl = (uint8_t)(0x40 | (hlen / 4));
	if (optlen)
		memcpy(ip + 1, opts, optlen);
	memmove(buf + 14 + hlen, l4, l4len);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = (uint16_t)~tq_test_cksum(ip, hlen, 0);
	return 14 + hlen + l4len;
}

uint32_t
tq_test_build_frag4(uint8_t *buf, const uint8_t *dmac, const char *src,
		const char *dst, uint8_t proto, uint16_t id, uint32_t off,
		bool mf, const void *data, uint32_t len)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(buf + 14);

	assert_true(off % 8 == 0);
	put_eth(buf, dmac, RTE_ETHER_TYPE_IPV4);
	put_ipv4((uint8_t *)ip, src, dst, proto, len);
	ip->packet_id = rte_cpu_to_be_16(id);
	ip->fragment_offset = rte_cpu_to_be_16((uint16_t)((off / 8) |
			(mf ? RTE_IPV4_HDR_MF_FLAG : 0)));
	memcpy(ip + 1, data, len);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = (uint16_t)~tq_test_cksum(ip, sizeof(*ip), 0);
	return 14 + sizeof(*ip) + len;
}

static struct rte_ipv6_hdr *
put_ipv6(uint8_t *buf, const uint8_t *dmac, const char *src, const char *dst,
		uint8_t nh, uint8_t hlim, uint32_t plen)
{
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(buf + 14);
	struct tq_addr s = tq_test_addr(src), d = tq_test_addr(dst);

	put_eth(buf, dmac, RTE_ETHER_TYPE_IPV6);
	memset(ip, 0, sizeof(*ip));
	ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16((uint16_t)plen);
	ip->proto = nh;
	ip->hop_limits = hlim;
	memcpy(ip->src_addr, s.v6, 16);
	memcpy(ip->dst_addr, d.v6, 16);
	return ip;
}

uint32_t
tq_test_build_ip6(uint8_t *buf, const uint8_t *dmac, const char *src,
		const char *dst, uint8_t nh, uint8_t hlim, const void *payload,
		uint32_t plen)
{
	struct rte_ipv6_hdr *ip = put_ipv6(buf, dmac, src, dst, nh, hlim,
			plen);

	memmove(ip + 1, payload, plen);
	return 14 + sizeof(*ip) + plen;
}

uint32_t
tq_test_build_frag6(uint8_t *buf, const uint8_t *dmac, const char *src,
		const char *dst, uint8_t nh, uint32_t id, uint32_t off,
		bool mf, const void *data, uint32_t len)
{
	struct rte_ipv6_hdr *ip = put_ipv6(buf, dmac, src, dst,
			IPPROTO_FRAGMENT, 64, 8 + len);
	uint8_t *fh = (uint8_t *)(ip + 1);
	uint16_t fo = (uint16_t)(off | (mf ? 1 : 0));
	uint32_t idbe = rte_cpu_to_be_32(id);

	assert_true(off % 8 == 0);
	fh[0] = nh;
	fh[1] = 0;
	fh[2] = (uint8_t)(fo >> 8);
	fh[3] = (uint8_t)fo;
	memcpy(fh + 4, &idbe, 4);
	memcpy(fh + 8, data, len);
	return 14 + sizeof(*ip) + 8 + len;
}

uint32_t
tq_test_build_icmp6(uint8_t *buf, const uint8_t *dmac, const char *src,
		const char *dst, uint8_t hlim, uint8_t type, uint8_t code,
		const void *body, uint32_t blen)
{
	struct rte_ipv6_hdr *ip = put_ipv6(buf, dmac, src, dst,
			IPPROTO_ICMPV6, hlim, 4 + blen);
	uint8_t *h = (uint8_t *)(ip + 1);
	struct tq_addr s = tq_test_addr(src), d = tq_test_addr(dst);
	uint16_t c;

	h[0] = type;
	h[1] = code;
	h[2] = h[3] = 0;
	memmove(h + 4, body, blen);
	c = (uint16_t)~tq_test_cksum(h, 4 + blen,
			tq_test_phdr_sum(&s, &d, IPPROTO_ICMPV6, 4 + blen));
	memcpy(h + 2, &c, 2);
	return 14 + sizeof(*ip) + 4 + blen;
}
