/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Checksums over mbuf chains with segments of any length.  DPDK 22.11's
 * rte_raw_cksum_mbuf() gets chains with odd-length segments wrong (it
 * drops carries when it byte-swaps a partial sum), which made TCP send
 * bad checksums on chained segments; tq_cksum_mbuf() must match a plain
 * RFC 1071 sum over the flattened bytes for every split.
 */
#include "tq_test.h"

#include <stdlib.h>
#include <string.h>

#include "core/tq_mbuf.h"
#include "core/tq_shard.h"
#include "port/tq_io.h"

static uint16_t
ref_sum(const uint8_t *p, uint32_t len)
{
	uint64_t s = 0;
	uint32_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	/* RFC 1071 sums in network order; the engine sums in host order
	 * and stores as is: compare in host order. */
	return rte_be_to_cpu_16((uint16_t)s);
}

static struct rte_mbuf *
chain(const uint8_t *data, uint32_t len, unsigned int seed)
{
	struct rte_mbuf *head = NULL, *last = NULL;
	uint32_t off = 0;

	srand(seed);
	while (off < len) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(tq_test_pool());
		uint32_t k = 1 + (uint32_t)rand() % 61;

		assert_non_null(m);
		k = RTE_MIN(k, len - off);
		memcpy(rte_pktmbuf_append(m, (uint16_t)k), data + off, k);
		off += k;
		if (!head) {
			head = m;
		} else {
			last->next = m;
			head->nb_segs++;
			head->pkt_len += k;
		}
		last = m;
	}
	return head;
}

/*
 * The flat sum (eight bytes per add with carries counted) against the
 * RFC 1071 reference: every length up to 4 KB at every alignment of a
 * word, random bytes, all ones (the carries at their most) and zeros.
 */
static void
raw_sum(void **state)
{
	static uint8_t buf[4096 + 16];
	uint32_t len, off, fill, i;

	for (fill = 0; fill < 3; fill++) {
		srand(fill + 7);
		for (i = 0; i < sizeof(buf); i++)
			buf[i] = fill == 0 ? (uint8_t)rand() :
				fill == 1 ? 0xff : 0;
		for (len = 0; len <= 4096; len += len < 80 ? 1 : 37)
			for (off = 0; off < 8; off++)
				if (tq_cksum_raw(buf + off, len) !=
						ref_sum(buf + off, len) ||
						tq_cksum_raw_generic(buf + off,
						len) != ref_sum(buf + off, len))
					fail_msg("fill %u len %u off %u: %04x "
						"(generic %04x), want %04x",
						fill, len, off,
						tq_cksum_raw(buf + off, len),
						tq_cksum_raw_generic(buf + off,
							len),
						ref_sum(buf + off, len));
	}
}

/*
 * Buffers past the vector sum's widening interval (8192 blocks of 32
 * bytes): all ones, the lanes' worst case, and random bytes, at lengths
 * around the interval's multiples and up to 1 MiB.
 */
static void
raw_sum_large(void **state)
{
	static const uint32_t lens[] = { 262112, 262143, 262144, 262145,
		262176, 524288 + 31, 1048576 };
	uint8_t *buf = malloc(1048576 + 8);
	unsigned int fill, i, j;

	(void)state;
	assert_non_null(buf);
	for (fill = 0; fill < 2; fill++) {
		srand(fill + 11);
		for (j = 0; j < 1048576 + 8; j++)
			buf[j] = fill ? (uint8_t)rand() : 0xff;
		for (i = 0; i < RTE_DIM(lens); i++) {
			uint16_t want = ref_sum(buf + 1, lens[i]);

			assert_int_equal(tq_cksum_raw(buf + 1, lens[i]), want);
			assert_int_equal(tq_cksum_raw_generic(buf + 1, lens[i]),
					want);
		}
	}
	free(buf);
}

static void
odd_segments(void **state)
{
	unsigned int avail = tq_test_pool_avail();
	uint8_t data[3000];
	unsigned int seed, i, wrong_dpdk = 0;

	for (seed = 1; seed <= 200; seed++) {
		uint32_t len = 1 + (uint32_t)(seed * 37 % sizeof(data));
		uint32_t off = seed % 7;
		struct rte_mbuf *m;
		uint16_t got = 0, dpdk = 0;

		for (i = 0; i < len; i++)
			data[i] = (uint8_t)(0xff - (i * seed) % 7);
		m = chain(data, len, seed);
		assert_int_equal(tq_cksum_mbuf(m, off, len - off, &got), 0);
		assert_int_equal(got, ref_sum(data + off, len - off));
		if (rte_raw_cksum_mbuf(m, off, len - off, &dpdk) == 0 &&
				dpdk != got)
			wrong_dpdk++;
		rte_pktmbuf_free(m);
	}
	/* The data (0xf9..0xff bytes) makes carries likely: show that the
	 * library's sum does go wrong on these chains. */
	print_message("rte_raw_cksum_mbuf wrong on %u of 200 chains\n",
			wrong_dpdk);
	assert_int_equal(tq_test_pool_avail(), avail);
}

static void
past_end(void **state)
{
	uint8_t data[100] = { 0 };
	struct rte_mbuf *m = chain(data, sizeof(data), 3);
	uint16_t out;

	assert_int_equal(tq_cksum_mbuf(m, 50, 51, &out), -EINVAL);
	rte_pktmbuf_free(m);
}

/* The pseudo-header sum for offloads against DPDK's, any header. */
static void
ipv4_phdr(void **state)
{
	struct {
		struct rte_ipv4_hdr ip;
		uint8_t opts[40];
	} h;
	unsigned int i;

	srand(7);
	for (i = 0; i < 100000; i++) {
		uint8_t *b = (uint8_t *)&h;
		unsigned int k;

		for (k = 0; k < sizeof(h); k++)
			b[k] = (uint8_t)rand();
		h.ip.version_ihl = (uint8_t)(0x40 | (5 + rand() % 11));
		if (i % 3 == 0)
			h.ip.total_length = rte_cpu_to_be_16((uint16_t)(
					rte_ipv4_hdr_len(&h.ip) + rand() % 1500));
		if (i == 0) {
			h.ip.src_addr = h.ip.dst_addr = UINT32_MAX;
			h.ip.next_proto_id = 0xff;
		}
		assert_int_equal(tq_ipv4_phdr_sum(&h.ip),
				rte_ipv4_phdr_cksum(&h.ip, 0));
		/* The received header's check, on random headers and
		 * (every other one) on ones with their checksum set. */
		if (i & 1) {
			h.ip.hdr_checksum = 0;
			h.ip.hdr_checksum = (uint16_t)~rte_raw_cksum(&h.ip,
					rte_ipv4_hdr_len(&h.ip));
		}
		assert_int_equal(tq_ipv4_hdr_sum_ok(&h.ip,
				rte_ipv4_hdr_len(&h.ip)),
				rte_raw_cksum(&h.ip, rte_ipv4_hdr_len(&h.ip)) ==
				0xffff);
		if (i & 1)
			assert_true(tq_ipv4_hdr_sum_ok(&h.ip,
					rte_ipv4_hdr_len(&h.ip)));
	}
}

/*
 * The L4 pseudo-header's sum from the address words (tq_l4_pseudo_sum())
 * against the RFC 1071 sum over the pseudo-header laid out in bytes
 * (RFC 793 / RFC 8200 8.1), both families, random addresses, protocols
 * and lengths, all ones first (the carries at their most).
 */
static void
l4_phdr(void **state)
{
	uint8_t ph[40];
	struct tq_addr sa, da;
	unsigned int i, k, fam;
	uint32_t len;
	uint8_t proto;

	(void)state;
	srand(9);
	for (i = 0; i < 20000; i++) {
		fam = i & 1 ? AF_INET6 : AF_INET;
		memset(&sa, 0, sizeof(sa));
		memset(&da, 0, sizeof(da));
		sa.family = da.family = (uint8_t)fam;
		for (k = 0; k < 16; k++) {
			sa.v6[k] = i < 2 ? 0xff : (uint8_t)rand();
			da.v6[k] = i < 2 ? 0xff : (uint8_t)rand();
		}
		proto = i < 2 ? 0xff : (uint8_t)rand();
		len = i < 2 ? (fam == AF_INET ? 0xffff : UINT32_MAX) :
			(uint32_t)rand() % 70000;
		if (fam == AF_INET)
			len &= 0xffff;
		memset(ph, 0, sizeof(ph));
		if (fam == AF_INET) {
			memcpy(ph, sa.v6, 4);
			memcpy(ph + 4, da.v6, 4);
			ph[9] = proto;
			ph[10] = (uint8_t)(len >> 8);
			ph[11] = (uint8_t)len;
			assert_int_equal(tq_l4_pseudo_sum(&sa, &da, proto, len),
					ref_sum(ph, 12));
		} else {
			memcpy(ph, sa.v6, 16);
			memcpy(ph + 16, da.v6, 16);
			ph[32] = (uint8_t)(len >> 24);
			ph[33] = (uint8_t)(len >> 16);
			ph[34] = (uint8_t)(len >> 8);
			ph[35] = (uint8_t)len;
			ph[39] = proto;
			assert_int_equal(tq_l4_pseudo_sum(&sa, &da, proto, len),
					ref_sum(ph, 40));
		}
	}
}

#define CSUM_RX (RTE_MBUF_F_RX_IP_CKSUM_MASK | RTE_MBUF_F_RX_L4_CKSUM_MASK)

/*
 * The in-memory link with its checksum offloads on: what the sender left
 * to the offload arrives marked good, what it summed itself arrives
 * unknown (checked in software), no TX request is left on the frame,
 * and an indirect mbuf stays indirect.  Off, frames cross untouched.
 */
static void
memlink_offload(void **state)
{
	static unsigned int seq;
	struct tq_memlink l;
	struct tq_io a, b;
	struct rte_mbuf *m[3], *r[3], *d;
	char name[32];
	unsigned int i;

	snprintf(name, sizeof(name), "tqt_ck%u", seq++);
	assert_int_equal(tq_memlink_create(&l, name, 64), 0);
	tq_io_init_memlink(&a, &l, 0);
	tq_io_init_memlink(&b, &l, 1);
	for (i = 0; i < 3; i++) {
		m[i] = rte_pktmbuf_alloc(tq_test_pool());
		assert_non_null(m[i]);
		memset(rte_pktmbuf_append(m[i], 60), (int)i, 60);
	}
	m[0]->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM |
		RTE_MBUF_F_TX_TCP_CKSUM;
	m[1]->ol_flags = RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_UDP_CKSUM |
		RTE_MBUF_F_RX_L4_CKSUM_BAD; /* stale: must not survive */
	d = rte_pktmbuf_alloc(tq_test_pool());
	assert_non_null(d);
	rte_pktmbuf_attach(m[2], d);
	rte_pktmbuf_free(d);
	m[2]->ol_flags |= RTE_MBUF_F_TX_IPV4; /* summed in software */

	/* Off (the default): flags cross as they are. */
	assert_int_equal(a.tx(&a, m, 1), 1);
	assert_int_equal(b.rx(&b, r, 3), 1);
	assert_ptr_equal(r[0], m[0]);
	assert_true(r[0]->ol_flags & RTE_MBUF_F_TX_TCP_CKSUM);
	assert_int_equal(r[0]->ol_flags & CSUM_RX, 0);

	tq_io_memlink_csum_offload(&a, true);
	assert_int_equal(a.tx(&a, m, 3), 3);
	assert_int_equal(b.rx(&b, r, 3), 3);
	assert_int_equal(r[0]->ol_flags, RTE_MBUF_F_RX_IP_CKSUM_GOOD |
			RTE_MBUF_F_RX_L4_CKSUM_GOOD);
	assert_int_equal(r[1]->ol_flags, RTE_MBUF_F_RX_L4_CKSUM_GOOD);
	assert_true(RTE_MBUF_CLONED(r[2]));
	assert_int_equal(r[2]->ol_flags & (CSUM_RX | RTE_MBUF_F_TX_OFFLOAD_MASK),
			0);
	for (i = 0; i < 2; i++)
		assert_int_equal(rte_pktmbuf_pkt_len(r[i]), 60);
	rte_pktmbuf_free_bulk(r, 3);

	/* Off again: the plain path. */
	tq_io_memlink_csum_offload(&a, false);
	assert_ptr_equal(a.tx, b.tx);
	tq_memlink_free(&l);
}

/*
 * A frame to one of our own addresses is looped back inside the shard:
 * the checksums it left to the port's offload were never filled, so it
 * must come back marked good, not fail the software check.
 */
static void
loopback_offload(void **state)
{
	static const char *const addrs[] = { "10.9.0.1/24", NULL };
	struct tq_test_host h;
	struct rte_mbuf *m;

	assert_int_equal(tq_test_host_init(&h, 1, addrs, NULL), 0);
	m = rte_pktmbuf_alloc(tq_test_pool());
	assert_non_null(m);
	m->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM |
		RTE_MBUF_F_TX_TCP_CKSUM;
	tq_shard_loop(h.s, m);
	assert_int_equal(m->ol_flags, RTE_MBUF_F_RX_IP_CKSUM_GOOD |
			RTE_MBUF_F_RX_L4_CKSUM_GOOD);
	tq_test_host_fini(&h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(raw_sum),
		cmocka_unit_test(raw_sum_large),
		cmocka_unit_test(odd_segments),
		cmocka_unit_test(past_end),
		cmocka_unit_test(ipv4_phdr),
		cmocka_unit_test(l4_phdr),
		cmocka_unit_test(memlink_offload),
		cmocka_unit_test(loopback_offload),
	};

	if (tq_test_eal_init("cksum") < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
