/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cutting large TCP segments to the MSS (port/tq_gso.c): every frame
 * carries the right bytes, sequence number, lengths, IPv4 id, flags and
 * checksums (computed, or marked for offload), for IPv4 and IPv6, payload
 * in chains of direct and indirect mbufs of odd lengths or behind the
 * headers in the first mbuf; failures free everything; the in-memory link
 * with TSO on cuts what it is handed like a NIC.
 */
#include "tq_test.h"

#include <stdlib.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "port/tq_gso.h"
#include "port/tq_io.h"

#define OPTLEN 12
#define SEQ0 0xfffff000u	/* wraps inside the segment */

static uint8_t
pat(uint32_t i)
{
	return (uint8_t)(i * 7 + 3 + (i >> 8));
}

/*
 * A TSO frame: headers (and inline bytes of payload) in the first mbuf,
 * the rest in pieces of 1..max_piece bytes, every third one indirect.
 */
static struct rte_mbuf *
tso_frame(bool v6, uint32_t plen, uint32_t inline_len, uint32_t max_piece,
		uint16_t segsz, unsigned int seed)
{
	struct rte_mempool *mp = tq_test_pool();
	struct rte_mbuf *h = rte_pktmbuf_alloc(mp), *last;
	uint16_t l3 = v6 ? sizeof(struct rte_ipv6_hdr) :
		sizeof(struct rte_ipv4_hdr);
	uint16_t l4 = sizeof(struct rte_tcp_hdr) + OPTLEN;
	uint32_t off = 0, k;
	struct rte_ether_hdr *eh;
	struct rte_tcp_hdr *th;
	uint8_t *p;

	assert_non_null(h);
	p = (uint8_t *)rte_pktmbuf_append(h, (uint16_t)(RTE_ETHER_HDR_LEN +
			l3 + l4 + inline_len));
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
		ip->src_addr[0] = 0xfd;
		ip->src_addr[15] = 1;
		ip->dst_addr[0] = 0xfd;
		ip->dst_addr[15] = 2;
	} else {
		struct rte_ipv4_hdr *ip = (void *)(p + RTE_ETHER_HDR_LEN);

		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(l3 + l4 +
				plen));
		ip->packet_id = rte_cpu_to_be_16(0xfffe); /* wraps too */
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_TCP;
		ip->src_addr = RTE_BE32(0x0a000001);
		ip->dst_addr = RTE_BE32(0x0a000002);
	}
	th = (void *)(p + RTE_ETHER_HDR_LEN + l3);
	th->src_port = RTE_BE16(40000);
	th->dst_port = RTE_BE16(80);
	th->sent_seq = rte_cpu_to_be_32(SEQ0);
	th->recv_ack = RTE_BE32(12345);
	th->data_off = (uint8_t)((l4 / 4) << 4);
	th->tcp_flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG |
		RTE_TCP_FIN_FLAG;
	th->rx_win = RTE_BE16(1000);
	memcpy(th + 1, "\x01\x01\x08\x0a" "abcdefgh", OPTLEN);
	for (k = 0; k < inline_len; k++)
		p[RTE_ETHER_HDR_LEN + l3 + l4 + k] = pat(off++);
	h->l2_len = RTE_ETHER_HDR_LEN;
	h->l3_len = l3;
	h->l4_len = l4;
	h->tso_segsz = segsz;
	h->ol_flags = RTE_MBUF_F_TX_TCP_SEG | (v6 ? RTE_MBUF_F_TX_IPV6 :
			RTE_MBUF_F_TX_IPV4);
	last = h;
	srand(seed);
	while (off < plen) {
		struct rte_mbuf *d = rte_pktmbuf_alloc(mp), *m = d;
		uint32_t n = RTE_MIN(plen - off,
				1 + (uint32_t)rand() % max_piece);
		uint8_t *q;

		assert_non_null(d);
		/* a little headroom used, so data_off is not the default */
		rte_pktmbuf_append(d, 5);
		rte_pktmbuf_adj(d, 5);
		q = (uint8_t *)rte_pktmbuf_append(d, (uint16_t)n);
		assert_non_null(q);
		for (k = 0; k < n; k++)
			q[k] = pat(off + k);
		if (rand() % 3 == 0) {
			m = rte_pktmbuf_alloc(mp);
			assert_non_null(m);
			rte_pktmbuf_attach(m, d);
			rte_pktmbuf_free(d);
		}
		last->next = m;
		last = m;
		h->nb_segs++;
		h->pkt_len += n;
		off += n;
	}
	return h;
}

/* One frame of the cut: headers, payload and checksums. */
static void
check_frame(struct rte_mbuf *f, bool v6, uint32_t off, uint32_t len,
		bool last, bool offload)
{
	static uint8_t flat[10000];
	uint16_t l3 = v6 ? sizeof(struct rte_ipv6_hdr) :
		sizeof(struct rte_ipv4_hdr);
	uint16_t l4 = sizeof(struct rte_tcp_hdr) + OPTLEN;
	uint32_t hl = RTE_ETHER_HDR_LEN + l3 + l4, k;
	const uint8_t *b;
	struct rte_tcp_hdr *th;
	uint8_t want_flags = RTE_TCP_ACK_FLAG |
		(last ? RTE_TCP_PSH_FLAG | RTE_TCP_FIN_FLAG : 0);

	assert_int_equal(rte_pktmbuf_pkt_len(f), hl + len);
	assert_true(f->pkt_len <= sizeof(flat));
	b = rte_pktmbuf_read(f, 0, f->pkt_len, flat);
	assert_non_null(b);
	if (b != flat)
		memcpy(flat, b, f->pkt_len);
	assert_false(f->ol_flags & RTE_MBUF_F_TX_TCP_SEG);
	assert_int_equal(f->l2_len, RTE_ETHER_HDR_LEN);
	assert_int_equal(f->l3_len, l3);
	assert_int_equal(f->l4_len, l4);
	for (k = 0; k < len; k++)
		if (flat[hl + k] != pat(off + k))
			fail_msg("payload byte %u wrong", off + k);
	th = (struct rte_tcp_hdr *)(flat + RTE_ETHER_HDR_LEN + l3);
	assert_int_equal(rte_be_to_cpu_32(th->sent_seq), SEQ0 + off);
	assert_int_equal(th->tcp_flags, want_flags);
	assert_memory_equal(th + 1, "\x01\x01\x08\x0a" "abcdefgh", OPTLEN);
	if (v6) {
		struct rte_ipv6_hdr *ip = (void *)(flat + RTE_ETHER_HDR_LEN);

		assert_int_equal(rte_be_to_cpu_16(ip->payload_len), l4 + len);
		assert_true(f->ol_flags & RTE_MBUF_F_TX_IPV6);
		if (offload) {
			assert_int_equal(f->ol_flags & RTE_MBUF_F_TX_L4_MASK,
					RTE_MBUF_F_TX_TCP_CKSUM);
			assert_int_equal(th->cksum,
					rte_ipv6_phdr_cksum(ip, 0));
		} else {
			assert_int_equal(f->ol_flags & RTE_MBUF_F_TX_L4_MASK,
					0);
			assert_int_equal(rte_ipv6_udptcp_cksum_verify(ip, th),
					0);
		}
	} else {
		struct rte_ipv4_hdr *ip = (void *)(flat + RTE_ETHER_HDR_LEN);
		uint16_t sum = ip->hdr_checksum;

		assert_int_equal(rte_be_to_cpu_16(ip->total_length),
				l3 + l4 + len);
		assert_true(f->ol_flags & RTE_MBUF_F_TX_IPV4);
		if (offload) {
			assert_true(f->ol_flags & RTE_MBUF_F_TX_IP_CKSUM);
			assert_int_equal(sum, 0);
			assert_int_equal(f->ol_flags & RTE_MBUF_F_TX_L4_MASK,
					RTE_MBUF_F_TX_TCP_CKSUM);
			assert_int_equal(th->cksum,
					rte_ipv4_phdr_cksum(ip, 0));
		} else {
			assert_false(f->ol_flags & RTE_MBUF_F_TX_IP_CKSUM);
			ip->hdr_checksum = 0;
			assert_int_equal(sum, rte_ipv4_cksum(ip));
			ip->hdr_checksum = sum;
			assert_int_equal(rte_ipv4_udptcp_cksum_verify(ip, th),
					0);
		}
	}
}

static uint16_t
ip_id(struct rte_mbuf *f)
{
	return rte_be_to_cpu_16(rte_pktmbuf_mtod_offset(f,
			struct rte_ipv4_hdr *, RTE_ETHER_HDR_LEN)->packet_id);
}

static void
cut_and_check(bool v6, uint32_t plen, uint32_t inline_len,
		uint32_t max_piece, uint16_t segsz, bool offload,
		unsigned int seed)
{
	unsigned int avail = tq_test_pool_avail();
	struct rte_mbuf *out[TQ_GSO_MAX_OUT];
	struct rte_mbuf *m = tso_frame(v6, plen, inline_len, max_piece,
			segsz, seed);
	uint32_t nseg = (plen + segsz - 1) / segsz, off = 0;
	int n, i;

	n = tq_gso_segment(m, tq_test_pool(), offload, offload, out,
			TQ_GSO_MAX_OUT);
	assert_int_equal(n, (int)nseg);
	for (i = 0; i < n; i++) {
		uint32_t len = RTE_MIN((uint32_t)segsz, plen - off);

		check_frame(out[i], v6, off, len, i == n - 1, offload);
		if (!v6)
			assert_int_equal(ip_id(out[i]),
					(uint16_t)(0xfffe + i));
		off += len;
		rte_pktmbuf_free(out[i]);
	}
	assert_int_equal(off, plen);
	assert_int_equal(tq_test_pool_avail(), avail);
}

/* Chains of odd pieces, direct and indirect, both families, checksums
 * in software and offloaded, segment sizes that do and do not divide. */
static void
cut_chains(void **state)
{
	static const uint32_t plens[] = { 1449, 2896, 10000, 65000 };
	static const uint16_t segs[] = { 1448, 1000, 8948 };
	unsigned int a, b, seed = 1;

	for (a = 0; a < RTE_DIM(plens); a++)
		for (b = 0; b < RTE_DIM(segs); b++) {
			if (plens[a] <= segs[b] ||
					plens[a] / segs[b] >= TQ_GSO_MAX_OUT)
				continue;
			cut_and_check(false, plens[a], 0, 2000, segs[b],
					false, seed++);
			cut_and_check(false, plens[a], 0, 333, segs[b],
					true, seed++);
			cut_and_check(true, plens[a], 0, 2000, segs[b],
					false, seed++);
			cut_and_check(true, plens[a], 0, 777, segs[b],
					true, seed++);
		}
}

/* Payload copied behind the headers (small segments are) and more in
 * the chain after it. */
static void
cut_inline(void **state)
{
	cut_and_check(false, 900, 900, 100, 300, false, 5);
	cut_and_check(false, 3000, 700, 500, 1000, false, 6);
	cut_and_check(true, 3000, 1200, 500, 1000, true, 7);
}

/* More frames than out holds, a zero MSS: an error, the frame freed. */
static void
cut_errors(void **state)
{
	unsigned int avail = tq_test_pool_avail();
	struct rte_mbuf *out[4];
	struct rte_mbuf *m;

	m = tso_frame(false, 10000, 0, 1500, 1000, 9);
	assert_int_equal(tq_gso_segment(m, tq_test_pool(), false, false, out,
			RTE_DIM(out)), -EINVAL);
	assert_int_equal(tq_test_pool_avail(), avail);
	m = tso_frame(true, 3000, 0, 1500, 1000, 10);
	m->tso_segsz = 0;
	assert_int_equal(tq_gso_segment(m, tq_test_pool(), false, false, out,
			RTE_DIM(out)), -EINVAL);
	assert_int_equal(tq_test_pool_avail(), avail);
}

/* The memlink with TSO passes other frames as they are and cuts TSO
 * frames into frames of the MSS, marked good with checksum offload. */
static void
memlink_tso(void **state)
{
	unsigned int avail = tq_test_pool_avail();
	struct tq_memlink l = { 0 };
	struct tq_io a, b;
	struct rte_mbuf *pk[2], *in[64];
	uint16_t n;
	int i;

	assert_int_equal(tq_memlink_create(&l, "gso_ml", 1024), 0);
	tq_io_init_memlink(&a, &l, 0);
	tq_io_init_memlink(&b, &l, 1);
	tq_io_memlink_csum_offload(&a, true);
	tq_io_memlink_tso(&a, true, tq_test_pool());
	assert_true(a.tso);
	pk[0] = rte_pktmbuf_alloc(tq_test_pool());
	assert_non_null(rte_pktmbuf_append(pk[0], 60));
	pk[1] = tso_frame(false, 5000, 0, 1500, 1448, 11);
	assert_int_equal(a.tx(&a, pk, 2), 2);
	n = b.rx(&b, in, RTE_DIM(in));
	assert_int_equal(n, 1 + 4);
	assert_int_equal(in[0]->pkt_len, 60);
	for (i = 1; i < n; i++) {
		assert_int_equal(in[i]->ol_flags &
				RTE_MBUF_F_RX_L4_CKSUM_MASK,
				RTE_MBUF_F_RX_L4_CKSUM_GOOD);
		assert_true(in[i]->pkt_len <= RTE_ETHER_HDR_LEN + 20 + 32 +
				1448);
	}
	assert_int_equal(a.ring.tso_frames, 4);
	for (i = 0; i < n; i++)
		rte_pktmbuf_free(in[i]);
	/* off: the frame crosses whole, as the stack never sends it so */
	tq_io_memlink_tso(&a, false, NULL);
	assert_false(a.tso);
	tq_memlink_free(&l);
	assert_int_equal(tq_test_pool_avail(), avail);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cut_chains),
		cmocka_unit_test(cut_inline),
		cmocka_unit_test(cut_errors),
		cmocka_unit_test(memlink_tso),
	};

	if (tq_test_eal_init("gso") < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
