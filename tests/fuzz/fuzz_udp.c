/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * UDP demultiplexing.  Each record is a control byte and a UDP header
 * with payload, wrapped in Ethernet and IPv4 or IPv6 with right lengths.
 * Control bits: 0 IPv6; 1 leave the UDP checksum as it is (else fixed:
 * half the inputs reach the sockets); 2 set the UDP length to the
 * datagram's; 3 to the broadcast / all-nodes address; 4-5 the
 * destination port: as given, 7 (a socket that replies), 9 (one that
 * discards), 53 (none: port unreachable); 6 pad the frame with junk to
 * 3000 bytes (a chain of mbufs), 7 pad it to 60 bytes (Ethernet's
 * minimum).  The IPv4 TOS / IPv6 traffic class is the source port's
 * low byte.  A socket must get exactly the payload the UDP length covers,
 * and the TOS byte as sent.
 */
#include "fuzz_common.h"

int tq_fuzz_udp_one(const uint8_t *d, size_t n);

/* The datagram of the record being delivered. */
static const uint8_t *sent;
static uint32_t sent_len;
static uint8_t sent_tos;

static uint32_t
udp_build(uint8_t *f, uint8_t ctl, const uint8_t *dg, uint32_t len)
{
	static const uint16_t ports[4] = { 0, FZ_UDP_ECHO, FZ_UDP_DISCARD,
		FZ_UDP_CLOSED };
	static const uint8_t allnodes_mac[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	bool v6 = ctl & 1, group = ctl & 8;
	const char *src = v6 ? FZ_PEER6 : FZ_PEER4;
	const char *dst = v6 ? (group ? "ff02::1" : FZ_HOST6) :
		(group ? FZ_BCAST4 : FZ_HOST4);
	const uint8_t *mac = group ? (v6 ? allnodes_mac : tq_fuzz_bcast_mac) :
		tq_fuzz_host_mac();
	uint16_t port = ports[(ctl >> 4) & 3];
	uint32_t hl = v6 ? 40 : 20;
	struct tq_addr s, t;
	uint8_t *u;

	tq_fuzz_eth(f, mac, v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
	sent_tos = len >= 2 ? dg[1] : 0;
	if (v6) {
		tq_fuzz_ip6(f + 14, src, dst, IPPROTO_UDP, 64, len);
		f[14] = (uint8_t)(0x60 | sent_tos >> 4);
		f[15] = (uint8_t)(sent_tos << 4);
	} else {
		tq_fuzz_ip4(f + 14, src, dst, IPPROTO_UDP, len);
		f[14 + 1] = sent_tos;
		tq_fuzz_ip4_cksum(f + 14, 20);
	}
	u = f + 14 + hl;
	memcpy(u, dg, len);
	if (port && len >= 4) {
		u[2] = (uint8_t)(port >> 8);
		u[3] = (uint8_t)port;
	}
	if ((ctl & 4) && len >= 6) {
		u[4] = (uint8_t)(len >> 8);
		u[5] = (uint8_t)len;
	}
	if (!(ctl & 2)) {
		s = tq_test_addr(src);
		t = tq_test_addr(dst);
		tq_fuzz_l4_cksum(u, len, &s, &t, IPPROTO_UDP);
	}
	sent = u;
	sent_len = len;
	len += 14 + hl;
	if ((ctl & 0x40) && len < 3000) {
		memset(f + len, 0xaa, 3000 - len);
		len = 3000;
	} else if ((ctl & 0x80) && len < 60) {
		memset(f + len, 0xaa, 60 - len);
		len = 60;
	}
	return len;
}

/* A socket got a datagram: the one just sent, payload and ports. */
static void
udp_check(const struct tq_udp_dgram *d, const uint8_t *data, uint32_t len,
		void *arg)
{
	uint32_t ulen;

	RTE_SET_USED(arg);
	FZ_CHECK(sent && sent_len >= 8, "a datagram nobody sent");
	ulen = (uint32_t)((sent[4] << 8) | sent[5]);
	FZ_CHECK(ulen >= 8 && ulen <= sent_len,
			"a datagram of UDP length %u in %u bytes delivered",
			ulen, sent_len);
	FZ_CHECK(len == ulen - 8 && memcmp(data, sent + 8, len) == 0,
			"the socket got %u bytes, not the %u sent", len,
			ulen - 8);
	FZ_CHECK(d->sport == ((sent[0] << 8) | sent[1]) &&
			d->dport == ((sent[2] << 8) | sent[3]),
			"the socket got the wrong ports");
	FZ_CHECK(d->tos == sent_tos, "the socket got TOS %#x, sent %#x",
			d->tos, sent_tos);
}

int
tq_fuzz_udp_one(const uint8_t *d, size_t n)
{
	static uint8_t f[FZ_MAX_FRAME];
	struct tq_fuzz_rec r[FZ_MAX_RECS];
	unsigned int k, i;

	k = tq_fuzz_records(d, n, r, FZ_MAX_RECS);
	tq_fuzz_begin();
	tq_fuzz_set_udp_check(udp_check, NULL);
	for (i = 0; i < k; i++) {
		uint32_t len;

		if (r[i].len < 1)
			continue;
		len = RTE_MIN(r[i].len - 1, (uint32_t)sizeof(f) - 54);
		/* IP lengths are 16 bits */
		len = RTE_MIN(len, 65535u - 40);
		tq_fuzz_send(f, udp_build(f, r[i].p[0], r[i].p + 1, len));
		tq_fuzz_poll(0);
	}
	sent = NULL;
	tq_fuzz_settle();
	tq_fuzz_end();
	return 0;
}

TQ_FUZZ_TARGET("fuzz_udp", tq_fuzz_udp_one)
