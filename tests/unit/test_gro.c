/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * GRO on receive (port/tq_gro.c): in-order TCP segments of one flow in a
 * burst become one segment with the payload in order, lengths and IPv4
 * checksum rewritten, RX_LRO and the first's size; never across a gap, a
 * flag other than ACK/PSH (PSH ends a merge), differing options, a bad
 * checksum, a frame of the flow that cannot merge (nothing overtakes it),
 * for IPv4 and IPv6, two flows interleaved; no mbuf leaks.
 */
#include "tq_test.h"

#include <string.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "net/tq_net.h"
#include "port/tq_gro.h"

#define PL 100		/* payload per frame */
#define SEQ0 0xffffff00u	/* wraps inside a merge */

static uint8_t
pat(uint32_t seq)
{
	return (uint8_t)(seq * 13 + (seq >> 8));
}

/* A frame with software checksums; ts is the timestamp option's byte. */
static struct rte_mbuf *
frame(bool v6, uint16_t sport, uint32_t seq, uint16_t plen, uint8_t flags,
		uint8_t ts)
{
	uint16_t l3 = v6 ? 40 : 20, l4 = 20 + 12, k;
	struct rte_mbuf *m = rte_pktmbuf_alloc(tq_test_pool());
	struct rte_ether_hdr *eh;
	struct rte_tcp_hdr *th;
	struct tq_addr sa, da;
	uint8_t *p;

	assert_non_null(m);
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(RTE_ETHER_HDR_LEN +
			l3 + l4 + plen));
	assert_non_null(p);
	memset(p, 0, RTE_ETHER_HDR_LEN + l3 + l4);
	eh = (struct rte_ether_hdr *)p;
	eh->ether_type = rte_cpu_to_be_16(v6 ? RTE_ETHER_TYPE_IPV6 :
			RTE_ETHER_TYPE_IPV4);
	if (v6) {
		struct rte_ipv6_hdr *ip = (void *)(p + RTE_ETHER_HDR_LEN);

		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->payload_len = rte_cpu_to_be_16((uint16_t)(l4 + plen));
		ip->proto = IPPROTO_TCP;
		ip->hop_limits = 64;
		ip->src_addr[0] = ip->dst_addr[0] = 0xfd;
		ip->src_addr[15] = 1;
		ip->dst_addr[15] = 2;
		sa.family = da.family = AF_INET6;
		memcpy(sa.v6, ip->src_addr, 16);
		memcpy(da.v6, ip->dst_addr, 16);
	} else {
		struct rte_ipv4_hdr *ip = (void *)(p + RTE_ETHER_HDR_LEN);

		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(l3 + l4 +
				plen));
		ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_TCP;
		ip->src_addr = RTE_BE32(0x0a000001);
		ip->dst_addr = RTE_BE32(0x0a000002);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		sa = tq_addr_v4(ip->src_addr);
		da = tq_addr_v4(ip->dst_addr);
	}
	th = (void *)(p + RTE_ETHER_HDR_LEN + l3);
	th->src_port = rte_cpu_to_be_16(sport);
	th->dst_port = RTE_BE16(80);
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = RTE_BE32(777);
	th->data_off = (uint8_t)((l4 / 4) << 4);
	th->tcp_flags = flags;
	th->rx_win = RTE_BE16(1000);
	memcpy(th + 1, "\x01\x01\x08\x0a" "abcdefg", 11);
	((uint8_t *)(th + 1))[11] = ts;
	for (k = 0; k < plen; k++)
		p[RTE_ETHER_HDR_LEN + l3 + l4 + k] = pat(seq + k);
	th->cksum = tq_l4_cksum_out(&sa, &da, IPPROTO_TCP, m,
			RTE_ETHER_HDR_LEN + l3, l4 + plen);
	return m;
}

#define A (RTE_TCP_ACK_FLAG)
#define AP (RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG)

/* m carries nseg frames of PL from seq, merged and intact. */
static void
check_merged(struct rte_mbuf *m, bool v6, uint32_t seq, unsigned int nseg)
{
	uint16_t l3 = v6 ? 40 : 20, hl = RTE_ETHER_HDR_LEN + l3 + 32;
	uint32_t k, len = nseg * PL;
	uint8_t b;

	assert_int_equal(m->pkt_len, hl + len);
	if (v6) {
		const struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(m,
				const struct rte_ipv6_hdr *,
				RTE_ETHER_HDR_LEN);

		assert_int_equal(rte_be_to_cpu_16(ip->payload_len),
				32 + len);
	} else {
		const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m,
				const struct rte_ipv4_hdr *,
				RTE_ETHER_HDR_LEN);

		assert_int_equal(rte_be_to_cpu_16(ip->total_length),
				20 + 32 + len);
		assert_int_equal(rte_raw_cksum(ip, 20), 0xffff);
	}
	if (nseg > 1) {
		assert_true(m->ol_flags & RTE_MBUF_F_RX_LRO);
		assert_int_equal(m->tso_segsz, PL);
	}
	assert_int_equal(m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK,
			RTE_MBUF_F_RX_L4_CKSUM_GOOD);
	for (k = 0; k < len; k++) {
		assert_non_null(rte_pktmbuf_read(m, hl + k, 1, &b));
		assert_int_equal(*(const uint8_t *)rte_pktmbuf_read(m,
				hl + k, 1, &b), pat(seq + k));
	}
}

static uint32_t
seq_of(const struct rte_mbuf *m, bool v6)
{
	return rte_be_to_cpu_32(rte_pktmbuf_mtod_offset(m,
			const struct rte_tcp_hdr *, RTE_ETHER_HDR_LEN +
			(v6 ? 40 : 20))->sent_seq);
}

static void
free_all(struct rte_mbuf **p, uint16_t n, unsigned int avail)
{
	while (n)
		rte_pktmbuf_free(p[--n]);
	assert_int_equal(tq_test_pool_avail(), avail);
}

static void
in_order(bool v6)
{
	unsigned int avail = tq_test_pool_avail(), i;
	struct tq_gro_stats st = { 0, 0 };
	struct rte_mbuf *p[6];
	uint16_t n;

	for (i = 0; i < 5; i++)
		p[i] = frame(v6, 1000, SEQ0 + i * PL, PL, A, 1);
	/* the last shorter, with PSH: joins and ends the merge */
	p[5] = frame(v6, 1000, SEQ0 + 5 * PL, PL / 2, AP, 1);
	n = tq_gro_burst(p, 6, &st);
	assert_int_equal(n, 1);
	assert_int_equal(st.merged, 5);
	assert_int_equal(st.segs, 1);
	assert_int_equal(p[0]->pkt_len, RTE_ETHER_HDR_LEN + (v6 ? 40 : 20) +
			32 + 5 * PL + PL / 2);
	assert_true(rte_pktmbuf_mtod_offset(p[0], struct rte_tcp_hdr *,
			RTE_ETHER_HDR_LEN + (v6 ? 40 : 20))->tcp_flags &
			RTE_TCP_PSH_FLAG);
	rte_pktmbuf_trim(p[0], PL / 2);	/* checked as 5 whole frames */
	if (v6) {
		struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(p[0],
				struct rte_ipv6_hdr *, RTE_ETHER_HDR_LEN);

		ip->payload_len = rte_cpu_to_be_16(32 + 5 * PL);
	} else {
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(p[0],
				struct rte_ipv4_hdr *, RTE_ETHER_HDR_LEN);

		ip->total_length = rte_cpu_to_be_16(20 + 32 + 5 * PL);
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	check_merged(p[0], v6, SEQ0, 5);
	free_all(p, n, avail);
}

static void
merge_v4(void **state)
{
	(void)state;
	in_order(false);
}

static void
merge_v6(void **state)
{
	(void)state;
	in_order(true);
}

/* Each case: the frames, and the sequence numbers of what must come out. */
static void
rules(void **state)
{
	unsigned int avail = tq_test_pool_avail();
	struct tq_gro_stats st = { 0, 0 };
	struct rte_mbuf *p[8];
	uint16_t n;

	(void)state;
	/* a gap: never merged across */
	p[0] = frame(false, 1, SEQ0, PL, A, 1);
	p[1] = frame(false, 1, SEQ0 + 2 * PL, PL, A, 1);
	p[2] = frame(false, 1, SEQ0 + 3 * PL, PL, A, 1);
	n = tq_gro_burst(p, 3, &st);
	assert_int_equal(n, 2);
	check_merged(p[0], false, SEQ0, 1);
	check_merged(p[1], false, SEQ0 + 2 * PL, 2);
	free_all(p, n, avail);

	/* FIN, and PSH on the first: nothing joins them */
	p[0] = frame(false, 1, SEQ0, PL, AP, 1);
	p[1] = frame(false, 1, SEQ0 + PL, PL, A | RTE_TCP_FIN_FLAG, 1);
	p[2] = frame(false, 1, SEQ0 + 2 * PL + 1, PL, A, 1);
	n = tq_gro_burst(p, 3, &st);
	assert_int_equal(n, 3);
	free_all(p, n, avail);

	/* a different timestamp: options differ, not merged */
	p[0] = frame(false, 1, SEQ0, PL, A, 1);
	p[1] = frame(false, 1, SEQ0 + PL, PL, A, 2);
	n = tq_gro_burst(p, 2, &st);
	assert_int_equal(n, 2);
	free_all(p, n, avail);

	/* a bad checksum: up alone, unmarked, and the next does not
	 * overtake it by joining the first */
	p[0] = frame(false, 1, SEQ0, PL, A, 1);
	p[1] = frame(false, 1, SEQ0 + PL, PL, A, 1);
	*rte_pktmbuf_mtod_offset(p[1], uint8_t *, p[1]->pkt_len - 1) ^= 1;
	p[2] = frame(false, 1, SEQ0 + 2 * PL, PL, A, 1);
	n = tq_gro_burst(p, 3, &st);
	assert_int_equal(n, 3);
	assert_int_equal(seq_of(p[1], false), SEQ0 + PL);
	assert_int_not_equal(p[1]->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK,
			RTE_MBUF_F_RX_L4_CKSUM_GOOD);
	free_all(p, n, avail);

	/* a bad checksum by the port's flag */
	p[0] = frame(false, 1, SEQ0, PL, A, 1);
	p[1] = frame(false, 1, SEQ0 + PL, PL, A, 1);
	p[1]->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_BAD;
	n = tq_gro_burst(p, 2, &st);
	assert_int_equal(n, 2);
	free_all(p, n, avail);

	/* a pure ACK of the flow between: nothing overtakes it */
	p[0] = frame(false, 1, SEQ0, PL, A, 1);
	p[1] = frame(false, 1, SEQ0 + PL, 0, A, 1);
	p[2] = frame(false, 1, SEQ0 + PL, PL, A, 1);
	n = tq_gro_burst(p, 3, &st);
	assert_int_equal(n, 3);
	free_all(p, n, avail);

	/* a larger segment after a smaller one: not merged */
	p[0] = frame(false, 1, SEQ0, PL / 2, A, 1);
	p[1] = frame(false, 1, SEQ0 + PL / 2, PL, A, 1);
	n = tq_gro_burst(p, 2, &st);
	assert_int_equal(n, 2);
	free_all(p, n, avail);

	/* two flows interleaved, IPv4 and IPv6 among them: each merged */
	st.merged = st.segs = 0;
	p[0] = frame(false, 1, SEQ0, PL, A, 1);
	p[1] = frame(false, 2, 5000, PL, A, 1);
	p[2] = frame(true, 1, 9000, PL, A, 1);
	p[3] = frame(false, 1, SEQ0 + PL, PL, A, 1);
	p[4] = frame(false, 2, 5000 + PL, PL, A, 1);
	p[5] = frame(true, 1, 9000 + PL, PL, A, 1);
	n = tq_gro_burst(p, 6, &st);
	assert_int_equal(n, 3);
	assert_int_equal(st.merged, 3);
	assert_int_equal(st.segs, 3);
	check_merged(p[0], false, SEQ0, 2);
	check_merged(p[1], false, 5000, 2);
	check_merged(p[2], true, 9000, 2);
	free_all(p, n, avail);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(merge_v4),
		cmocka_unit_test(merge_v6),
		cmocka_unit_test(rules),
	};

	if (tq_test_eal_init("gro") < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
