/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICMP and ICMPv6 with neighbour discovery.  Each record is a control
 * byte and an ICMP message (type, code, checksum, body) that the harness
 * wraps in Ethernet and IP.  Control bits: 0 ICMPv6 (else ICMP); 1 leave
 * the checksum as it is (else fixed); 2 to a group: the IPv4 broadcast,
 * or the host's solicited-node group (bit 3: all-nodes); 4 hop limit 64
 * (else 255, as NDP needs); 5 from :: (DAD); 6 between link-local
 * addresses; 7 pad the frame with zeros to 3000 bytes (a chain of
 * mbufs).  The host has frames queued for fd00::5, so an advert for it
 * releases them.  An echo reply must carry exactly the request's body.
 */
#include "fuzz_common.h"

int tq_fuzz_icmp_one(const uint8_t *d, size_t n);

/* The echo request of the record being delivered, if it is one. */
static const uint8_t *echo;
static uint32_t echo_len;

static void
icmp_out(const uint8_t *f, uint32_t len, void *arg)
{
	uint16_t type = (uint16_t)((f[12] << 8) | f[13]);
	const uint8_t *m;
	uint32_t mlen;

	RTE_SET_USED(arg);
	if (type == RTE_ETHER_TYPE_IPV4 && f[23] == IPPROTO_ICMP &&
			(f[20] & 0x1f) == 0 && f[21] == 0) {
		m = f + 14 + (f[14] & 0xf) * 4;
		mlen = len - (uint32_t)(m - f);
		if (m[0] != 0)
			return;
		/* a reply to a request that fit needs no fragments */
		FZ_CHECK(!(f[20] & 0x20) || !echo || echo_len + 20 > 1500,
				"an echo reply to a %u byte request was "
				"fragmented", echo_len);
		if (f[20] & 0x20)
			return;
	} else if (type == RTE_ETHER_TYPE_IPV6 && f[20] == IPPROTO_ICMPV6) {
		m = f + 54;
		mlen = len - 54;
		if (m[0] != 129)
			return;
	} else {
		return;
	}
	FZ_CHECK(echo != NULL, "an echo reply to no request");
	FZ_CHECK(mlen == echo_len && memcmp(m + 4, echo + 4, mlen - 4) == 0,
			"an echo reply of %u bytes to a request of %u, or "
			"with another body", mlen, echo_len);
}

static uint32_t
icmp_pad(uint8_t *f, uint32_t len, uint8_t ctl)
{
	if (!(ctl & 0x80) || len >= 3000)
		return len;
	memset(f + len, 0, 3000 - len);
	return 3000;
}

static uint32_t
icmp_build(uint8_t *f, uint8_t ctl, const uint8_t *msg, uint32_t len)
{
	static const uint8_t ipv6_allnodes_mac[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	static const uint8_t ipv6_sn_mac[6] = { 0x33, 0x33, 0xff, 0, 0, 2 };
	struct tq_addr s, dst;
	const char *src, *dstr;
	const uint8_t *mac;
	uint8_t *l4;

	if (!(ctl & 1)) {
		dstr = (ctl & 4) ? FZ_BCAST4 : FZ_HOST4;
		mac = (ctl & 4) ? tq_fuzz_bcast_mac : tq_fuzz_host_mac();
		tq_fuzz_eth(f, mac, RTE_ETHER_TYPE_IPV4);
		tq_fuzz_ip4(f + 14, FZ_PEER4, dstr, IPPROTO_ICMP, len);
		l4 = f + 34;
		memcpy(l4, msg, len);
		if (!(ctl & 2))
			tq_fuzz_l4_cksum(l4, len, NULL, NULL, IPPROTO_ICMP);
		if (len >= 8 && l4[0] == 8 && l4[1] == 0) {
			echo = l4;
			echo_len = len;
		}
		return icmp_pad(f, 34 + len, ctl);
	}
	src = (ctl & 0x20) ? "::" : (ctl & 0x40) ? "fe80::1" : FZ_PEER6;
	if (ctl & 4) {
		dstr = (ctl & 8) ? "ff02::1" : "ff02::1:ff00:2";
		mac = (ctl & 8) ? ipv6_allnodes_mac : ipv6_sn_mac;
	} else {
		dstr = (ctl & 0x40) ? FZ_HOSTLL : FZ_HOST6;
		mac = tq_fuzz_host_mac();
	}
	tq_fuzz_eth(f, mac, RTE_ETHER_TYPE_IPV6);
	tq_fuzz_ip6(f + 14, src, dstr, IPPROTO_ICMPV6,
			(ctl & 0x10) ? 64 : 255, len);
	l4 = f + 54;
	memcpy(l4, msg, len);
	if (!(ctl & 2)) {
		s = tq_test_addr(src);
		dst = tq_test_addr(dstr);
		tq_fuzz_l4_cksum(l4, len, &s, &dst, IPPROTO_ICMPV6);
	}
	if (len >= 8 && l4[0] == 128 && l4[1] == 0) {
		echo = l4;
		echo_len = len;
	}
	return icmp_pad(f, 54 + len, ctl);
}

int
tq_fuzz_icmp_one(const uint8_t *d, size_t n)
{
	static uint8_t f[FZ_MAX_FRAME];
	struct tq_fuzz_rec r[FZ_MAX_RECS];
	unsigned int k, i;

	k = tq_fuzz_records(d, n, r, FZ_MAX_RECS);
	tq_fuzz_begin();
	tq_fuzz_set_out(icmp_out, NULL);
	for (i = 0; i < k; i++) {
		uint32_t len;

		if (r[i].len < 1)
			continue;
		len = RTE_MIN(r[i].len - 1, (uint32_t)sizeof(f) - 54);
		/* IP lengths are 16 bits */
		len = RTE_MIN(len, 65535u - 40);
		echo = NULL;
		tq_fuzz_send(f, icmp_build(f, r[i].p[0], r[i].p + 1, len));
		tq_fuzz_poll(0);
	}
	echo = NULL;
	tq_fuzz_settle();
	tq_fuzz_end();
	return 0;
}

TQ_FUZZ_TARGET("fuzz_icmp", tq_fuzz_icmp_one)
