/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * L4 checksums over the pseudo-header built from the addresses we parsed,
 * not from the IP header: DPDK's helpers take lengths and the protocol
 * from the header, which is wrong with IPv6 extension headers.
 */
#include <errno.h>
#include <string.h>

#include <rte_ip.h>
#ifdef RTE_ARCH_X86_64
#include <immintrin.h>
#endif

#include "tq_net.h"

/*
 * Ones' complement sum of a buffer, folded to 16 bits, in memory byte
 * order like __rte_raw_cksum().  Eight bytes per add in two 64-bit
 * accumulators with their carries counted (2^64 = 1 modulo 0xffff, so a
 * carry is worth one): on the send path of a software PMD, where every
 * segment is summed in software, this is about 1.5x DPDK 22.11's 16-bit
 * loop.
 */
uint16_t
tq_cksum_raw_generic(const void *buf, uint32_t len)
{
	const uint8_t *p = buf;
	uint64_t a = 0, b = 0, ca = 0, cb = 0, q[4], lo, hi, s;
	unsigned __int128 acc;
	uint32_t w;
	uint16_t h;

	while (len >= 32) {
		memcpy(q, p, 32);
		a += q[0];
		ca += a < q[0];
		b += q[1];
		cb += b < q[1];
		a += q[2];
		ca += a < q[2];
		b += q[3];
		cb += b < q[3];
		p += 32;
		len -= 32;
	}
	acc = (unsigned __int128)a + b + ca + cb;
	while (len >= 4) {
		memcpy(&w, p, 4);
		acc += w;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&h, p, 2);
		acc += h;
		p += 2;
		len -= 2;
	}
	if (len) {
		h = 0;
		memcpy(&h, p, 1);
		acc += h;
	}
	lo = (uint64_t)acc;
	hi = (uint64_t)(acc >> 64);
	s = lo + hi;
	s += s < lo;
	return tq_cksum_fold64(s);
}

#ifdef RTE_ARCH_X86_64
/*
 * The 16-bit words of n 32-byte blocks, summed in 32-bit lanes: each
 * lane takes the low and the high half of its word from every block
 * (memory byte order, as the generic sum), two accumulators so that the
 * adds overlap.  A lane gains at most 2 * 0xffff a block, so the lanes
 * are widened into 64 bits every 8192 blocks (256 KiB), far from their
 * 2^32.  About 0.3 instructions a byte against the generic sum's 0.7
 * (bench/cost, TQ_MEMLINK_CSUM=0).
 */
__attribute__((target("avx2"))) static uint64_t
blocks_avx2(const uint8_t *p, uint32_t n)
{
	const __m256i lo16 = _mm256_set1_epi32(0xffff);
	uint64_t total = 0;

	while (n) {
		uint32_t k = RTE_MIN(n, 8192u);
		__m256i a = _mm256_setzero_si256(), b = a, s;
		__m128i h;

		n -= k;
		for (; k >= 2; k -= 2, p += 64) {
			__m256i v = _mm256_loadu_si256((const __m256i *)p);
			__m256i w = _mm256_loadu_si256(
					(const __m256i *)(p + 32));

			a = _mm256_add_epi32(a, _mm256_and_si256(v, lo16));
			a = _mm256_add_epi32(a, _mm256_srli_epi32(v, 16));
			b = _mm256_add_epi32(b, _mm256_and_si256(w, lo16));
			b = _mm256_add_epi32(b, _mm256_srli_epi32(w, 16));
		}
		if (k) {
			__m256i v = _mm256_loadu_si256((const __m256i *)p);

			a = _mm256_add_epi32(a, _mm256_and_si256(v, lo16));
			a = _mm256_add_epi32(a, _mm256_srli_epi32(v, 16));
			p += 32;
		}
		/* Eight 32-bit lanes each of a and b into 64-bit sums. */
		s = _mm256_add_epi64(
			_mm256_add_epi64(_mm256_and_si256(a,
					_mm256_set1_epi64x(0xffffffff)),
				_mm256_srli_epi64(a, 32)),
			_mm256_add_epi64(_mm256_and_si256(b,
					_mm256_set1_epi64x(0xffffffff)),
				_mm256_srli_epi64(b, 32)));
		h = _mm_add_epi64(_mm256_castsi256_si128(s),
				_mm256_extracti128_si256(s, 1));
		total += (uint64_t)_mm_cvtsi128_si64(h) +
			(uint64_t)_mm_extract_epi64(h, 1);
	}
	return total;
}
#endif

/*
 * Where the CPU has AVX2 (checked once per call: a load of what the
 * compiler's runtime found at start), a buffer of 64 bytes or more goes
 * 32 bytes at a time in vectors, the rest by the generic sum.  Software
 * checksums are every TCP and UDP packet's on af_packet, af_xdp and tap,
 * which offer no offload.
 */
uint16_t
tq_cksum_raw(const void *buf, uint32_t len)
{
#ifdef RTE_ARCH_X86_64
	if (len >= 64 && __builtin_cpu_supports("avx2")) {
		uint32_t n = len / 32;
		uint64_t s = blocks_avx2(buf, n);

		/* The tail starts at an even offset: its sum adds as is. */
		s += tq_cksum_raw_generic((const uint8_t *)buf + 32u * n,
				len - 32u * n);
		return tq_cksum_fold64(s);
	}
#endif
	return tq_cksum_raw_generic(buf, len);
}

/*
 * Ones' complement sum of len bytes of a chain from off.  DPDK 22.11's
 * rte_raw_cksum_mbuf() truncates a segment's 32-bit partial sum to 16
 * bits before byte-swapping it after an odd-length segment, losing the
 * carries: chained TCP segments (our indirect payload mbufs) then went
 * out with wrong checksums, and every retransmission the same.  Here
 * each piece is folded first.
 */
int
tq_cksum_mbuf(const struct rte_mbuf *m, uint32_t off, uint32_t len,
		uint16_t *out)
{
	const struct rte_mbuf *seg = m;
	uint32_t sum = 0, done = 0;

	/* Most packets: the bytes lie in the first segment. */
	if (likely((uint32_t)off + len <= m->data_len)) {
		*out = tq_cksum_raw(rte_pktmbuf_mtod_offset(m, const void *,
				off), len);
		return 0;
	}
	while (seg && off >= seg->data_len) {
		off -= seg->data_len;
		seg = seg->next;
	}
	while (len && seg) {
		uint32_t k = RTE_MIN(len, (uint32_t)seg->data_len - off);
		uint32_t part = tq_cksum_raw(
				rte_pktmbuf_mtod_offset(seg, const void *, off),
				k);

		if (done & 1)
			part = ((part & 0xff) << 8) | (part >> 8);
		sum += part;
		done += k;
		len -= k;
		off = 0;
		seg = seg->next;
	}
	if (len)
		return -EINVAL;
	*out = tq_cksum_fold(sum);
	return 0;
}

uint16_t
tq_l4_cksum_psum(uint32_t psum, uint8_t proto, const struct rte_mbuf *m,
		uint32_t off, uint32_t len)
{
	uint16_t body = 0;
	uint16_t c;

	tq_cksum_mbuf(m, off, len, &body);
	c = (uint16_t)~tq_cksum_fold(psum + body);
	/* RFC 768: a UDP checksum that computes to zero is sent as ones. */
	if (proto == IPPROTO_UDP && c == 0)
		c = 0xffff;
	return c;
}

uint16_t
tq_l4_cksum_out(const struct tq_addr *src, const struct tq_addr *dst,
		uint8_t proto, const struct rte_mbuf *m, uint32_t off,
		uint32_t len)
{
	return tq_l4_cksum_psum(tq_l4_pseudo_sum(src, dst, proto, len), proto,
			m, off, len);
}

/*
 * rte_ipv4_phdr_cksum() without TSO, from the header's 16-bit words
 * directly: it builds the pseudo-header in a buffer and runs the general
 * sum over it, several times the work, on every segment sent with an
 * offloaded checksum.
 */
uint16_t
tq_ipv4_phdr_sum(const struct rte_ipv4_hdr *ip)
{
	uint32_t l4len = rte_be_to_cpu_16(ip->total_length) -
		rte_ipv4_hdr_len(ip);
	uint32_t sum = (ip->src_addr & 0xffff) + (ip->src_addr >> 16) +
		(ip->dst_addr & 0xffff) + (ip->dst_addr >> 16) +
		rte_cpu_to_be_16((uint16_t)ip->next_proto_id) +
		rte_cpu_to_be_16((uint16_t)l4len);

	return tq_cksum_fold(sum);
}

uint16_t
tq_l4_pseudo_sum(const struct tq_addr *src, const struct tq_addr *dst,
		uint8_t proto, uint32_t len)
{
	/*
	 * The pseudo-header's 16-bit words in memory order, as a buffer
	 * sum over it would add them, from the address words and the two
	 * fields: each 32-bit word adds as its two halves, the zero byte
	 * and the protocol make one word, the length one (IPv4) or two.
	 */
	uint64_t sum = rte_cpu_to_be_16((uint16_t)proto);
	uint32_t a[4], b[4];
	unsigned int i;

	if (src->family == AF_INET) {
		sum += rte_cpu_to_be_16((uint16_t)len);
		return tq_cksum_fold64(sum + src->v4 + dst->v4);
	}
	memcpy(a, src->v6, 16);
	memcpy(b, dst->v6, 16);
	sum += rte_cpu_to_be_32(len);
	for (i = 0; i < 4; i++)
		sum += (uint64_t)a[i] + b[i];
	return tq_cksum_fold64(sum);
}

bool
tq_l4_cksum_check(const struct tq_rx *rx, uint8_t proto, uint32_t len)
{
	uint16_t body = 0;
	uint32_t sum;

	if (tq_cksum_mbuf(rx->m, 0, len, &body) < 0)
		return false;
	sum = (uint32_t)tq_l4_pseudo_sum(&rx->src, &rx->dst, proto, len) +
		body;
	return tq_cksum_fold(sum) == 0xffff;
}
