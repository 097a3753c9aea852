/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QUIC variable-length integers and packet numbers
 * (engine/quic/tq_quic_wire.h, tq_quic_varint.c), against RFC 9000
 * Appendix A.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "quic/tq_quic_wire.h"
#include "tq_test.h"

struct vec {
	const char *hex;
	uint64_t v;
};

/* RFC 9000 A.1 */
static const struct vec a1[] = {
	{ "c2197c5eff14e88c", UINT64_C(151288809941952652) },
	{ "9d7f3e7d", 494878333 },
	{ "7bbd", 15293 },
	{ "25", 37 },
	{ "4025", 37 },
};

static void
test_rfc_examples(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(a1) / sizeof(a1[0]); i++) {
		uint8_t in[8], out[8];
		size_t n = tq_test_unhex(a1[i].hex, in, sizeof(in));
		struct tq_quic_rd r;
		struct tq_quic_wr w;
		uint64_t v = 0;

		tq_quic_rd_init(&r, in, n);
		assert_int_equal(tq_quic_rd_varint(&r, &v), (int)n);
		assert_true(v == a1[i].v);
		assert_int_equal(tq_quic_rd_left(&r), 0);
		/* the shortest form: all but 0x4025 come back the same */
		tq_quic_wr_init(&w, out, sizeof(out));
		assert_int_equal(tq_quic_wr_varint(&w, v), 0);
		if (n == tq_quic_varint_len(v)) {
			assert_int_equal(w.pos - out, (long)n);
			assert_memory_equal(out, in, n);
		} else {
			assert_int_equal(w.pos - out, 1);
			assert_int_equal(out[0], 0x25);
		}
		/* and in the length the example used */
		tq_quic_wr_init(&w, out, sizeof(out));
		assert_int_equal(tq_quic_wr_varint_n(&w, v, n), 0);
		assert_memory_equal(out, in, n);
	}
}

static void
test_lengths_and_limits(void **state)
{
	static const uint64_t edge[] = { 0, 63, 64, 16383, 16384,
		(UINT64_C(1) << 30) - 1, UINT64_C(1) << 30,
		TQ_QUIC_VARINT_MAX };
	static const size_t len[] = { 1, 1, 2, 2, 4, 4, 8, 8 };
	uint8_t buf[16];
	struct tq_quic_wr w;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(edge) / sizeof(edge[0]); i++) {
		struct tq_quic_rd r;
		uint64_t v;

		assert_int_equal(tq_quic_varint_len(edge[i]), len[i]);
		tq_quic_wr_init(&w, buf, sizeof(buf));
		assert_int_equal(tq_quic_wr_varint(&w, edge[i]), 0);
		assert_int_equal(w.pos - buf, (long)len[i]);
		assert_int_equal(tq_quic_varint_len_of(buf[0]), len[i]);
		tq_quic_rd_init(&r, buf, len[i]);
		assert_int_equal(tq_quic_rd_varint(&r, &v), (int)len[i]);
		assert_true(v == edge[i]);
		/* one byte short never decodes, never reads on */
		tq_quic_rd_init(&r, buf, len[i] - 1);
		assert_int_equal(tq_quic_rd_varint(&r, &v), -EBADMSG);
		assert_ptr_equal(r.pos, buf);
		/* the put form agrees */
		assert_ptr_equal(tq_quic_varint_put(buf + 8, edge[i]),
				buf + 8 + len[i]);
		assert_memory_equal(buf + 8, buf, len[i]);
	}
	assert_int_equal(tq_quic_varint_len(TQ_QUIC_VARINT_MAX + 1), 0);
	tq_quic_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(tq_quic_wr_varint(&w, TQ_QUIC_VARINT_MAX + 1),
			-EINVAL);
	assert_int_equal(tq_quic_wr_varint(&w, UINT64_MAX), -EINVAL);
	assert_ptr_equal(w.pos, buf);
	/* a fixed length too short for the value, or not a varint length */
	assert_int_equal(tq_quic_wr_varint_n(&w, 64, 1), -EINVAL);
	assert_int_equal(tq_quic_wr_varint_n(&w, 1, 3), -EINVAL);
	assert_int_equal(tq_quic_wr_varint_n(&w, 37, 2), 0);
	assert_int_equal(buf[0], 0x40);
	assert_int_equal(buf[1], 0x25);
	/* no room: nothing written */
	tq_quic_wr_init(&w, buf, 3);
	assert_int_equal(tq_quic_wr_varint(&w, 1u << 20), -EMSGSIZE);
	assert_ptr_equal(w.pos, buf);
	tq_quic_wr_init(&w, buf, 0);
	assert_int_equal(tq_quic_wr_varint(&w, 0), -EMSGSIZE);
}

static void
test_pn_len(void **state)
{
	(void)state;
	/* RFC 9000 A.2 (17.1's example) */
	assert_int_equal(tq_quic_pn_len(0xac5c02, 0xabe8b3), 2);
	assert_int_equal(tq_quic_pn_len(0xace8fe, 0xabe8b3), 3);
	/* nothing acknowledged yet: the distance from -1 */
	assert_int_equal(tq_quic_pn_len(0, TQ_QUIC_PN_NONE), 1);
	assert_int_equal(tq_quic_pn_len(127, TQ_QUIC_PN_NONE), 1);
	assert_int_equal(tq_quic_pn_len(128, TQ_QUIC_PN_NONE), 2);
	/* the window edges: 2^(8k-1) unacknowledged still fit k bytes */
	assert_int_equal(tq_quic_pn_len(1000 + 128, 1000), 1);
	assert_int_equal(tq_quic_pn_len(1000 + 129, 1000), 2);
	assert_int_equal(tq_quic_pn_len(1000 + 32768, 1000), 2);
	assert_int_equal(tq_quic_pn_len(1000 + 32769, 1000), 3);
	assert_int_equal(tq_quic_pn_len(UINT64_C(1) << 31, 0), 4);
	assert_int_equal(tq_quic_pn_len((UINT64_C(1) << 31) + 1, 0),
			-ERANGE);
	assert_int_equal(tq_quic_pn_len(5, 5), -EINVAL);
	assert_int_equal(tq_quic_pn_len(TQ_QUIC_PN_MAX + 1, 0), -EINVAL);
}

static void
test_pn_decode(void **state)
{
	(void)state;
	/* RFC 9000 A.3 (17.1): largest 0xa82f30ea, 0x9b32 in 16 bits */
	assert_true(tq_quic_pn_decode(0xa82f30ea, 0x9b32, 2) == 0xa82f9b32);
	/* the first packet of a space */
	assert_true(tq_quic_pn_decode(TQ_QUIC_PN_NONE, 0, 1) == 0);
	assert_true(tq_quic_pn_decode(TQ_QUIC_PN_NONE, 0xff, 1) == 0xff);
	/* wrapping forward and back around the window */
	assert_true(tq_quic_pn_decode(0xfe, 0x01, 1) == 0x101);
	assert_true(tq_quic_pn_decode(0x101, 0xff, 1) == 0xff);
	/* never above 2^62 - 1 */
	assert_true(tq_quic_pn_decode(TQ_QUIC_PN_MAX - 1, 0x00, 1) ==
			((TQ_QUIC_PN_MAX - 1) & ~UINT64_C(0xff)));
}

/* Encoding with tq_quic_pn_len and decoding gives back every pn. */
static void
test_pn_round_trip(void **state)
{
	static const uint64_t acked[] = { TQ_QUIC_PN_NONE, 0, 1, 254, 255,
		256, 65535, 0xabe8b3, (UINT64_C(1) << 40) + 17 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(acked) / sizeof(acked[0]); i++) {
		uint64_t base = acked[i] == TQ_QUIC_PN_NONE ? 0 : acked[i] + 1;
		uint64_t d;

		for (d = 0; d < 70000; d += (d < 300 ? 1 : 97)) {
			uint64_t pn = base + d, full, trunc = 0;
			int len = tq_quic_pn_len(pn, acked[i]);
			uint8_t buf[4];
			struct tq_quic_wr w;
			int k;

			assert_true(len >= 1 && len <= 4);
			tq_quic_wr_init(&w, buf, sizeof(buf));
			assert_int_equal(tq_quic_wr_pn(&w, pn, (size_t)len), 0);
			for (k = 0; k < len; k++)
				trunc = trunc << 8 | buf[k];
			/* the receiver has seen at least what was acked, at
			 * most everything sent before pn */
			full = tq_quic_pn_decode(acked[i], trunc, (size_t)len);
			assert_true(full == pn);
			full = tq_quic_pn_decode(pn ? pn - 1 : TQ_QUIC_PN_NONE,
					trunc, (size_t)len);
			assert_true(full == pn);
		}
	}
}

static void
test_err_names(void **state)
{
	(void)state;
	assert_string_equal(tq_quic_err_str(TQ_QUIC_NO_ERROR), "NO_ERROR");
	assert_string_equal(tq_quic_err_str(0x07), "FRAME_ENCODING_ERROR");
	assert_string_equal(tq_quic_err_str(0x10), "NO_VIABLE_PATH");
	assert_string_equal(tq_quic_err_str(0x11), "unknown");
	assert_string_equal(tq_quic_err_str(TQ_QUIC_CRYPTO_ERROR_ALERT(0x28)),
			"CRYPTO_ERROR");
	assert_string_equal(tq_quic_err_str(0x200), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc_examples),
		cmocka_unit_test(test_lengths_and_limits),
		cmocka_unit_test(test_pn_len),
		cmocka_unit_test(test_pn_decode),
		cmocka_unit_test(test_pn_round_trip),
		cmocka_unit_test(test_err_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
