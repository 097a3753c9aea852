/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * STREAM/CRYPTO reassembly (engine/quic/tq_quic_rxbuf.c): every
 * insertion order of overlapping segments read back byte-exact, random
 * segment sequences with reads between them against a bitmap reference,
 * references counted so none leaks or is dropped twice, final size
 * rules (RFC 9000 4.5), the buffer and descriptor bounds,
 * CRYPTO_BUFFER_EXCEEDED, and the same with real mbufs (EAL --no-huge)
 * going back to the pool.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_mbuf.h>

#include "quic/tq_quic_rxbuf.h"
#include "tq_test.h"

/* A caller buffer standing for an mbuf: its own copy of the bytes and a
 * reference count. */
struct buf {
	uint8_t b[256];
	int refs;
};

static int live_refs;

static void
buf_get(void *ref)
{
	struct buf *b = ref;

	assert_true(b->refs > 0);
	b->refs++;
	live_refs++;
}

static void
buf_put(void *ref)
{
	struct buf *b = ref;

	assert_true(b->refs > 0);
	b->refs--;
	live_refs--;
}

static const struct tq_quic_rxbuf_ops buf_ops = {
	.get = buf_get,
	.put = buf_put,
};

static uint8_t stream_data[8192];

static void
data_init(void)
{
	size_t i;

	for (i = 0; i < sizeof(stream_data); i++)
		stream_data[i] = (uint8_t)(i * 7 + (i >> 8) + 1);
}

/* Insert [off, off + len) from a fresh buffer holding those bytes. */
static int
ins(struct tq_quic_rxbuf *rb, struct buf *b, uint64_t off, uint32_t len,
		bool fin, enum tq_quic_err *err)
{
	memcpy(b->b, stream_data + off, len);
	b->refs = 1;
	live_refs++;
	return tq_quic_rxbuf_insert(rb, off, b->b, len, fin, b, err);
}

/* Read everything readable, checking each byte against the stream. */
static size_t
drain(struct tq_quic_rxbuf *rb)
{
	uint8_t out[1024];
	uint64_t at = rb->read_off;
	size_t n = tq_quic_rxbuf_read(rb, out, sizeof(out)), i;

	for (i = 0; i < n; i++)
		assert_int_equal(out[i], stream_data[at + i]);
	return n;
}

static void
permute_run(const uint32_t (*segs)[2], const size_t *order, size_t nseg,
		uint64_t total, bool read_between)
{
	struct tq_quic_rxseg d[16];
	struct tq_quic_rxbuf rb;
	struct buf bufs[8];
	enum tq_quic_err err;
	size_t i, got = 0;
	int added = 0;

	live_refs = 0;
	tq_quic_rxbuf_init(&rb, d, 16, 1 << 20, false, &buf_ops);
	for (i = 0; i < nseg; i++) {
		const uint32_t *s = segs[order[i]];
		int k = ins(&rb, &bufs[i], s[0], s[1] - s[0],
				s[1] == total, &err);

		assert_true(k >= 0);
		added += k;
		if (read_between)
			got += drain(&rb);
	}
	assert_int_equal(added, total);
	assert_int_equal(rb.final_size, total);
	if (!read_between)
		assert_int_equal(tq_quic_rxbuf_readable(&rb), total);
	got += drain(&rb);
	assert_int_equal(got, total);
	assert_true(tq_quic_rxbuf_fin(&rb));
	assert_int_equal(rb.n, 0);
	assert_int_equal(rb.buffered, 0);
	assert_int_equal(live_refs, 0);
}

/* Every order of five overlapping segments of 12 bytes. */
static void
test_permutations(void **state)
{
	static const uint32_t segs[][2] = {
		{ 0, 4 }, { 2, 7 }, { 5, 9 }, { 9, 12 }, { 3, 10 },
	};
	size_t order[5] = { 0, 1, 2, 3, 4 };
	unsigned int count = 0;

	(void)state;
	data_init();
	/* Heap's algorithm, iteratively */
	{
		size_t c[5] = { 0 }, i = 1;

		permute_run(segs, order, 5, 12, false);
		permute_run(segs, order, 5, 12, true);
		count++;
		while (i < 5) {
			if (c[i] < i) {
				size_t j = (i % 2) ? c[i] : 0, t = order[j];

				order[j] = order[i];
				order[i] = t;
				permute_run(segs, order, 5, 12, false);
				permute_run(segs, order, 5, 12, true);
				count++;
				c[i]++;
				i = 1;
			} else {
				c[i] = 0;
				i++;
			}
		}
	}
	assert_int_equal(count, 120);
}

/* Random segments of a 64-byte stream, with reads of random sizes in
 * between, against a bitmap of what was received. */
static void
test_random_reference(void **state)
{
	unsigned int iter;

	(void)state;
	data_init();
	srand(777);
	for (iter = 0; iter < 20000; iter++) {
		struct tq_quic_rxseg d[64];
		struct tq_quic_rxbuf rb;
		struct buf bufs[24];
		bool have[64] = { false };
		uint64_t read_off = 0;
		int nins = 1 + rand() % 24, i;
		enum tq_quic_err err;

		live_refs = 0;
		tq_quic_rxbuf_init(&rb, d, 64, 1 << 20, false, &buf_ops);
		for (i = 0; i < nins; i++) {
			uint32_t a = (uint32_t)(rand() % 64);
			uint32_t len = (uint32_t)(rand() % (65 - a));
			int want = 0, k;
			uint32_t j;

			for (j = a; j < a + len; j++)
				if (j >= read_off && !have[j]) {
					have[j] = true;
					want++;
				}
			k = ins(&rb, &bufs[i], a, len, false, &err);
			assert_int_equal(k, want);
			/* what is readable: the run of received bytes */
			{
				uint64_t e = read_off;

				while (e < 64 && have[e])
					e++;
				assert_int_equal(tq_quic_rxbuf_readable(&rb),
						e - read_off);
			}
			if (rand() % 3 == 0) {
				uint8_t out[64];
				size_t n = (size_t)(rand() % 20), r, x;

				r = tq_quic_rxbuf_read(&rb, out, n);
				for (x = 0; x < r; x++)
					assert_int_equal(out[x],
						stream_data[read_off + x]);
				read_off += r;
				assert_int_equal(rb.read_off, read_off);
			}
		}
		tq_quic_rxbuf_reset(&rb);
		assert_int_equal(live_refs, 0);
	}
}

/* Zero copy: what is read points into the buffer the data came in. */
static void
test_zero_copy_take(void **state)
{
	struct tq_quic_rxseg d[8], s;
	struct tq_quic_rxbuf rb;
	struct buf a, b;
	enum tq_quic_err err;

	(void)state;
	data_init();
	live_refs = 0;
	tq_quic_rxbuf_init(&rb, d, 8, 1 << 20, false, &buf_ops);
	assert_false(tq_quic_rxbuf_peek(&rb, &s));
	/* b covers 10..30; a covers 0..40 and is cut in two pieces around
	 * it, so holds two references */
	assert_int_equal(ins(&rb, &b, 10, 20, false, &err), 20);
	assert_int_equal(ins(&rb, &a, 0, 40, false, &err), 20);
	assert_int_equal(a.refs, 2);
	assert_int_equal(rb.n, 3);
	assert_true(tq_quic_rxbuf_peek(&rb, &s));
	assert_ptr_equal(s.data, a.b);
	assert_int_equal(s.len, 10);
	assert_ptr_equal(s.ref, &a);
	assert_int_equal(tq_quic_rxbuf_consume(&rb, 4), 4);
	assert_true(tq_quic_rxbuf_take(&rb, &s));
	assert_ptr_equal(s.data, a.b + 4);
	assert_int_equal(s.off, 4);
	assert_int_equal(s.len, 6);
	/* taken: the reference is now ours */
	assert_int_equal(a.refs, 2);
	buf_put(&a);
	assert_true(tq_quic_rxbuf_take(&rb, &s));
	assert_ptr_equal(s.data, b.b);
	buf_put(&b);
	assert_int_equal(tq_quic_rxbuf_consume(&rb, 100), 10);
	assert_int_equal(a.refs, 0);
	assert_int_equal(live_refs, 0);
	assert_int_equal(rb.read_off, 40);
	/* data wholly below the read offset: a duplicate, freed */
	assert_int_equal(ins(&rb, &a, 5, 30, false, &err), 0);
	assert_int_equal(live_refs, 0);
}

/* RFC 9000 4.5 */
static void
test_final_size(void **state)
{
	struct tq_quic_rxseg d[8];
	struct tq_quic_rxbuf rb;
	struct buf b[8];
	enum tq_quic_err err = TQ_QUIC_NO_ERROR;

	(void)state;
	data_init();
	live_refs = 0;
	tq_quic_rxbuf_init(&rb, d, 8, 1 << 20, false, &buf_ops);
	assert_int_equal(ins(&rb, &b[0], 0, 5, false, &err), 5);
	assert_int_equal(ins(&rb, &b[1], 5, 5, true, &err), 5);
	assert_int_equal(rb.final_size, 10);
	/* the same FIN again, and data inside: fine */
	assert_int_equal(ins(&rb, &b[2], 5, 5, true, &err), 0);
	assert_int_equal(ins(&rb, &b[3], 8, 2, false, &err), 0);
	/* data past it */
	assert_int_equal(ins(&rb, &b[4], 8, 3, false, &err), -EPROTO);
	assert_int_equal(err, TQ_QUIC_FINAL_SIZE_ERROR);
	/* a different final size */
	err = TQ_QUIC_NO_ERROR;
	assert_int_equal(ins(&rb, &b[5], 0, 8, true, &err), -EPROTO);
	assert_int_equal(err, TQ_QUIC_FINAL_SIZE_ERROR);
	/* RESET_STREAM: the same, or another */
	assert_int_equal(tq_quic_rxbuf_set_final(&rb, 10, &err), 0);
	assert_int_equal(tq_quic_rxbuf_set_final(&rb, 11, &err), -EPROTO);
	tq_quic_rxbuf_reset(&rb);
	assert_int_equal(live_refs, 0);

	/* a final size below data already received */
	tq_quic_rxbuf_init(&rb, d, 8, 1 << 20, false, &buf_ops);
	assert_int_equal(ins(&rb, &b[0], 20, 10, false, &err), 10);
	err = TQ_QUIC_NO_ERROR;
	assert_int_equal(ins(&rb, &b[1], 0, 25, true, &err), -EPROTO);
	assert_int_equal(err, TQ_QUIC_FINAL_SIZE_ERROR);
	assert_int_equal(tq_quic_rxbuf_set_final(&rb, 29, &err), -EPROTO);
	assert_int_equal(tq_quic_rxbuf_set_final(&rb, 30, &err), 0);
	assert_false(tq_quic_rxbuf_fin(&rb));
	/* an empty FIN at the end */
	assert_int_equal(ins(&rb, &b[2], 30, 0, true, &err), 0);
	tq_quic_rxbuf_reset(&rb);
	assert_int_equal(live_refs, 0);
	/* CRYPTO has no final size */
	tq_quic_rxbuf_init(&rb, d, 8, 4096, true, &buf_ops);
	assert_int_equal(ins(&rb, &b[0], 0, 10, true, &err), 10);
	assert_int_equal(rb.final_size, TQ_QUIC_FINAL_NONE);
	assert_int_equal(ins(&rb, &b[1], 10, 10, false, &err), 10);
	tq_quic_rxbuf_reset(&rb);
	assert_int_equal(live_refs, 0);
}

static void
test_bounds(void **state)
{
	struct tq_quic_rxseg d[4];
	struct tq_quic_rxbuf rb;
	struct buf b[8];
	enum tq_quic_err err = TQ_QUIC_NO_ERROR;

	(void)state;
	data_init();
	live_refs = 0;
	/* out-of-order bytes: 100 past the read offset */
	tq_quic_rxbuf_init(&rb, d, 4, 100, false, &buf_ops);
	assert_int_equal(ins(&rb, &b[0], 90, 11, false, &err), -ENOBUFS);
	assert_int_equal(ins(&rb, &b[1], 90, 10, false, &err), 10);
	assert_int_equal(ins(&rb, &b[2], 0, 50, false, &err), 50);
	assert_int_equal(drain(&rb), 50);
	assert_int_equal(ins(&rb, &b[3], 140, 10, false, &err), 10);
	assert_int_equal(err, TQ_QUIC_NO_ERROR);
	tq_quic_rxbuf_reset(&rb);
	assert_int_equal(live_refs, 0);

	/* descriptors: 4 */
	tq_quic_rxbuf_init(&rb, d, 4, 1000, false, &buf_ops);
	assert_int_equal(ins(&rb, &b[0], 10, 5, false, &err), 5);
	assert_int_equal(ins(&rb, &b[1], 30, 5, false, &err), 5);
	assert_int_equal(ins(&rb, &b[2], 50, 5, false, &err), 5);
	/* 0..40 would need three pieces, one descriptor is free */
	assert_int_equal(ins(&rb, &b[3], 0, 40, false, &err), -ENOBUFS);
	assert_int_equal(live_refs, 3);
	/* one piece fits; then nothing more */
	assert_int_equal(ins(&rb, &b[4], 15, 5, false, &err), 5);
	assert_int_equal(rb.n, 4);
	assert_int_equal(ins(&rb, &b[5], 70, 5, false, &err), -ENOBUFS);
	/* a duplicate needs none */
	assert_int_equal(ins(&rb, &b[6], 10, 10, false, &err), 0);
	tq_quic_rxbuf_reset(&rb);
	assert_int_equal(live_refs, 0);

	/* CRYPTO past its buffer: CRYPTO_BUFFER_EXCEEDED (7.5) */
	tq_quic_rxbuf_init(&rb, d, 4, TQ_QUIC_CRYPTO_BUFFER_MIN, true,
			&buf_ops);
	assert_int_equal(ins(&rb, &b[0], 4000, 96, false, &err), 96);
	assert_int_equal(ins(&rb, &b[1], 4000, 97, false, &err), -EPROTO);
	assert_int_equal(err, TQ_QUIC_CRYPTO_BUFFER_EXCEEDED);
	tq_quic_rxbuf_reset(&rb);
	assert_int_equal(live_refs, 0);
}

/* ---- real mbufs ---- */

static void
mbuf_get(void *ref)
{
	rte_mbuf_refcnt_update(ref, 1);
}

static void
mbuf_put(void *ref)
{
	rte_pktmbuf_free(ref);
}

static const struct tq_quic_rxbuf_ops mbuf_ops = {
	.get = mbuf_get,
	.put = mbuf_put,
};

static int
mins(struct tq_quic_rxbuf *rb, uint64_t off, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(tq_test_pool());
	enum tq_quic_err err;
	uint8_t *p;

	assert_non_null(m);
	/* a packet's header then the frame's data, as a STREAM frame
	 * points into its datagram */
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(len + 40));
	assert_non_null(p);
	memcpy(p + 40, stream_data + off, len);
	return tq_quic_rxbuf_insert(rb, off, p + 40, len, false, m, &err);
}

static void
test_mbufs(void **state)
{
	struct tq_quic_rxseg d[32], s;
	struct tq_quic_rxbuf rb;
	unsigned int avail;
	uint8_t out[600];
	size_t i;

	(void)state;
	data_init();
	avail = tq_test_pool_avail();
	tq_quic_rxbuf_init(&rb, d, 32, 1 << 20, false, &mbuf_ops);
	assert_int_equal(mins(&rb, 100, 100), 100);
	assert_int_equal(mins(&rb, 300, 100), 100);
	assert_int_equal(mins(&rb, 150, 100), 50);
	assert_int_equal(mins(&rb, 0, 500), 250); /* three pieces */
	assert_int_equal(mins(&rb, 120, 10), 0);  /* freed at once */
	assert_int_equal(tq_quic_rxbuf_readable(&rb), 500);
	assert_int_equal(tq_test_pool_avail(), avail - 4);
	/* the first piece taken up zero copy, the rest copied */
	assert_true(tq_quic_rxbuf_take(&rb, &s));
	assert_int_equal(s.len, 100);
	assert_ptr_equal(s.data, rte_pktmbuf_mtod_offset(
			(struct rte_mbuf *)s.ref, uint8_t *, 40));
	rte_pktmbuf_free(s.ref);
	assert_int_equal(tq_quic_rxbuf_read(&rb, out, sizeof(out)), 400);
	for (i = 0; i < 400; i++)
		assert_int_equal(out[i], stream_data[100 + i]);
	assert_int_equal(tq_test_pool_avail(), avail);
	/* reset frees what is held */
	assert_int_equal(mins(&rb, 700, 10), 10);
	assert_int_equal(mins(&rb, 600, 200), 190);
	tq_quic_rxbuf_reset(&rb);
	assert_int_equal(tq_test_pool_avail(), avail);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_permutations),
		cmocka_unit_test(test_random_reference),
		cmocka_unit_test(test_zero_copy_take),
		cmocka_unit_test(test_final_size),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_mbufs),
	};

	if (tq_test_eal_init("quic_rxbuf") != 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
