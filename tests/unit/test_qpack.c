/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QPACK without a dynamic table (engine/http3/tq_qpack.c): the Huffman
 * code against RFC 7541 Appendix B and C.4, field sections against RFC
 * 9204 Appendix B.1 and round trips, every malformation the decoder must
 * refuse, the limits, and the encoder and decoder stream parsers fed in
 * pieces.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http3/tq_qpack.h"
#include "http3/tq_qpack_huff.h"
#include "tq_test.h"

#define NF(f) (sizeof(f) / sizeof((f)[0]))
#define FL(n, v) { n, v, sizeof(n) - 1, sizeof(v) - 1 }

/* RFC 7541 Appendix B as listed there, (code, length) for symbols 0-255
 * and EOS: the library keeps only tables derived from it. */
static const struct {
	uint32_t code;
	uint8_t len;
} hc[257] = {
	{ 0x1ff8, 13 }, { 0x7fffd8, 23 }, { 0xfffffe2, 28 }, /* 0 */
	{ 0xfffffe3, 28 }, { 0xfffffe4, 28 }, { 0xfffffe5, 28 }, /* 3 */
	{ 0xfffffe6, 28 }, { 0xfffffe7, 28 }, { 0xfffffe8, 28 }, /* 6 */
	{ 0xffffea, 24 }, { 0x3ffffffc, 30 }, { 0xfffffe9, 28 }, /* 9 */
	{ 0xfffffea, 28 }, { 0x3ffffffd, 30 }, { 0xfffffeb, 28 }, /* 12 */
	{ 0xfffffec, 28 }, { 0xfffffed, 28 }, { 0xfffffee, 28 }, /* 15 */
	{ 0xfffffef, 28 }, { 0xffffff0, 28 }, { 0xffffff1, 28 }, /* 18 */
	{ 0xffffff2, 28 }, { 0x3ffffffe, 30 }, { 0xffffff3, 28 }, /* 21 */
	{ 0xffffff4, 28 }, { 0xffffff5, 28 }, { 0xffffff6, 28 }, /* 24 */
	{ 0xffffff7, 28 }, { 0xffffff8, 28 }, { 0xffffff9, 28 }, /* 27 */
	{ 0xffffffa, 28 }, { 0xffffffb, 28 }, { 0x14, 6 }, /* 30 */
	{ 0x3f8, 10 }, { 0x3f9, 10 }, { 0xffa, 12 }, /* 33 */
	{ 0x1ff9, 13 }, { 0x15, 6 }, { 0xf8, 8 }, /* 36 */
	{ 0x7fa, 11 }, { 0x3fa, 10 }, { 0x3fb, 10 }, /* 39 */
	{ 0xf9, 8 }, { 0x7fb, 11 }, { 0xfa, 8 }, /* 42 */
	{ 0x16, 6 }, { 0x17, 6 }, { 0x18, 6 }, /* 45 */
	{ 0x0, 5 }, { 0x1, 5 }, { 0x2, 5 }, /* 48 */
	{ 0x19, 6 }, { 0x1a, 6 }, { 0x1b, 6 }, /* 51 */
	{ 0x1c, 6 }, { 0x1d, 6 }, { 0x1e, 6 }, /* 54 */
	{ 0x1f, 6 }, { 0x5c, 7 }, { 0xfb, 8 }, /* 57 */
	{ 0x7ffc, 15 }, { 0x20, 6 }, { 0xffb, 12 }, /* 60 */
	{ 0x3fc, 10 }, { 0x1ffa, 13 }, { 0x21, 6 }, /* 63 */
	{ 0x5d, 7 }, { 0x5e, 7 }, { 0x5f, 7 }, /* 66 */
	{ 0x60, 7 }, { 0x61, 7 }, { 0x62, 7 }, /* 69 */
	{ 0x63, 7 }, { 0x64, 7 }, { 0x65, 7 }, /* 72 */
	{ 0x66, 7 }, { 0x67, 7 }, { 0x68, 7 }, /* 75 */
	{ 0x69, 7 }, { 0x6a, 7 }, { 0x6b, 7 }, /* 78 */
	{ 0x6c, 7 }, { 0x6d, 7 }, { 0x6e, 7 }, /* 81 */
	{ 0x6f, 7 }, { 0x70, 7 }, { 0x71, 7 }, /* 84 */
	{ 0x72, 7 }, { 0xfc, 8 }, { 0x73, 7 }, /* 87 */
	{ 0xfd, 8 }, { 0x1ffb, 13 }, { 0x7fff0, 19 }, /* 90 */
	{ 0x1ffc, 13 }, { 0x3ffc, 14 }, { 0x22, 6 }, /* 93 */
	{ 0x7ffd, 15 }, { 0x3, 5 }, { 0x23, 6 }, /* 96 */
	{ 0x4, 5 }, { 0x24, 6 }, { 0x5, 5 }, /* 99 */
	{ 0x25, 6 }, { 0x26, 6 }, { 0x27, 6 }, /* 102 */
	{ 0x6, 5 }, { 0x74, 7 }, { 0x75, 7 }, /* 105 */
	{ 0x28, 6 }, { 0x29, 6 }, { 0x2a, 6 }, /* 108 */
	{ 0x7, 5 }, { 0x2b, 6 }, { 0x76, 7 }, /* 111 */
	{ 0x2c, 6 }, { 0x8, 5 }, { 0x9, 5 }, /* 114 */
	{ 0x2d, 6 }, { 0x77, 7 }, { 0x78, 7 }, /* 117 */
	{ 0x79, 7 }, { 0x7a, 7 }, { 0x7b, 7 }, /* 120 */
	{ 0x7ffe, 15 }, { 0x7fc, 11 }, { 0x3ffd, 14 }, /* 123 */
	{ 0x1ffd, 13 }, { 0xffffffc, 28 }, { 0xfffe6, 20 }, /* 126 */
	{ 0x3fffd2, 22 }, { 0xfffe7, 20 }, { 0xfffe8, 20 }, /* 129 */
	{ 0x3fffd3, 22 }, { 0x3fffd4, 22 }, { 0x3fffd5, 22 }, /* 132 */
	{ 0x7fffd9, 23 }, { 0x3fffd6, 22 }, { 0x7fffda, 23 }, /* 135 */
	{ 0x7fffdb, 23 }, { 0x7fffdc, 23 }, { 0x7fffdd, 23 }, /* 138 */
	{ 0x7fffde, 23 }, { 0xffffeb, 24 }, { 0x7fffdf, 23 }, /* 141 */
	{ 0xffffec, 24 }, { 0xffffed, 24 }, { 0x3fffd7, 22 }, /* 144 */
	{ 0x7fffe0, 23 }, { 0xffffee, 24 }, { 0x7fffe1, 23 }, /* 147 */
	{ 0x7fffe2, 23 }, { 0x7fffe3, 23 }, { 0x7fffe4, 23 }, /* 150 */
	{ 0x1fffdc, 21 }, { 0x3fffd8, 22 }, { 0x7fffe5, 23 }, /* 153 */
	{ 0x3fffd9, 22 }, { 0x7fffe6, 23 }, { 0x7fffe7, 23 }, /* 156 */
	{ 0xffffef, 24 }, { 0x3fffda, 22 }, { 0x1fffdd, 21 }, /* 159 */
	{ 0xfffe9, 20 }, { 0x3fffdb, 22 }, { 0x3fffdc, 22 }, /* 162 */
	{ 0x7fffe8, 23 }, { 0x7fffe9, 23 }, { 0x1fffde, 21 }, /* 165 */
	{ 0x7fffea, 23 }, { 0x3fffdd, 22 }, { 0x3fffde, 22 }, /* 168 */
	{ 0xfffff0, 24 }, { 0x1fffdf, 21 }, { 0x3fffdf, 22 }, /* 171 */
	{ 0x7fffeb, 23 }, { 0x7fffec, 23 }, { 0x1fffe0, 21 }, /* 174 */
	{ 0x1fffe1, 21 }, { 0x3fffe0, 22 }, { 0x1fffe2, 21 }, /* 177 */
	{ 0x7fffed, 23 }, { 0x3fffe1, 22 }, { 0x7fffee, 23 }, /* 180 */
	{ 0x7fffef, 23 }, { 0xfffea, 20 }, { 0x3fffe2, 22 }, /* 183 */
	{ 0x3fffe3, 22 }, { 0x3fffe4, 22 }, { 0x7ffff0, 23 }, /* 186 */
	{ 0x3fffe5, 22 }, { 0x3fffe6, 22 }, { 0x7ffff1, 23 }, /* 189 */
	{ 0x3ffffe0, 26 }, { 0x3ffffe1, 26 }, { 0xfffeb, 20 }, /* 192 */
	{ 0x7fff1, 19 }, { 0x3fffe7, 22 }, { 0x7ffff2, 23 }, /* 195 */
	{ 0x3fffe8, 22 }, { 0x1ffffec, 25 }, { 0x3ffffe2, 26 }, /* 198 */
	{ 0x3ffffe3, 26 }, { 0x3ffffe4, 26 }, { 0x7ffffde, 27 }, /* 201 */
	{ 0x7ffffdf, 27 }, { 0x3ffffe5, 26 }, { 0xfffff1, 24 }, /* 204 */
	{ 0x1ffffed, 25 }, { 0x7fff2, 19 }, { 0x1fffe3, 21 }, /* 207 */
	{ 0x3ffffe6, 26 }, { 0x7ffffe0, 27 }, { 0x7ffffe1, 27 }, /* 210 */
	{ 0x3ffffe7, 26 }, { 0x7ffffe2, 27 }, { 0xfffff2, 24 }, /* 213 */
	{ 0x1fffe4, 21 }, { 0x1fffe5, 21 }, { 0x3ffffe8, 26 }, /* 216 */
	{ 0x3ffffe9, 26 }, { 0xffffffd, 28 }, { 0x7ffffe3, 27 }, /* 219 */
	{ 0x7ffffe4, 27 }, { 0x7ffffe5, 27 }, { 0xfffec, 20 }, /* 222 */
	{ 0xfffff3, 24 }, { 0xfffed, 20 }, { 0x1fffe6, 21 }, /* 225 */
	{ 0x3fffe9, 22 }, { 0x1fffe7, 21 }, { 0x1fffe8, 21 }, /* 228 */
	{ 0x7ffff3, 23 }, { 0x3fffea, 22 }, { 0x3fffeb, 22 }, /* 231 */
	{ 0x1ffffee, 25 }, { 0x1ffffef, 25 }, { 0xfffff4, 24 }, /* 234 */
	{ 0xfffff5, 24 }, { 0x3ffffea, 26 }, { 0x7ffff4, 23 }, /* 237 */
	{ 0x3ffffeb, 26 }, { 0x7ffffe6, 27 }, { 0x3ffffec, 26 }, /* 240 */
	{ 0x3ffffed, 26 }, { 0x7ffffe7, 27 }, { 0x7ffffe8, 27 }, /* 243 */
	{ 0x7ffffe9, 27 }, { 0x7ffffea, 27 }, { 0x7ffffeb, 27 }, /* 246 */
	{ 0xffffffe, 28 }, { 0x7ffffec, 27 }, { 0x7ffffed, 27 }, /* 249 */
	{ 0x7ffffee, 27 }, { 0x7ffffef, 27 }, { 0x7fffff0, 27 }, /* 252 */
	{ 0x3ffffee, 26 }, { 0x3fffffff, 30 }, /* 255 */
};

/* Huffman-code in[0, n) into out, padded with ones: its length. */
static size_t
huff_enc(const uint8_t *in, size_t n, uint8_t *out)
{
	uint64_t acc = 0;
	unsigned int nb = 0;
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		acc = acc << hc[in[i]].len | hc[in[i]].code;
		nb += hc[in[i]].len;
		while (nb >= 8) {
			out[o++] = (uint8_t)(acc >> (nb - 8));
			nb -= 8;
		}
	}
	if (nb > 0)
		out[o++] = (uint8_t)(acc << (8 - nb) | (0xffu >> nb));
	return o;
}

static void
check_huff(const char *hex, const char *want)
{
	uint8_t in[64];
	char out[64];
	size_t n = tq_test_unhex(hex, in, sizeof(in)), olen = 0;

	assert_int_equal(tq_qpack_huff_decode(in, n, out, sizeof(out),
			&olen), 0);
	assert_int_equal(olen, strlen(want));
	assert_memory_equal(out, want, olen);
}

/* RFC 7541 C.4.1 - C.4.3 */
static void
test_huff_rfc(void **state)
{
	(void)state;
	check_huff("f1e3c2e5f23a6ba0ab90f4ff", "www.example.com");
	check_huff("a8eb10649cbf", "no-cache");
	check_huff("25a849e95ba97d7f", "custom-key");
	check_huff("25a849e95bb8e8b4bf", "custom-value");
	check_huff("", "");
}

static void
test_huff_all_bytes(void **state)
{
	uint8_t in[512], enc[2048];
	char out[600];
	size_t i, n, olen;

	(void)state;
	for (i = 0; i < 256; i++) {
		in[i] = (uint8_t)i;
		in[511 - i] = (uint8_t)i;
	}
	n = huff_enc(in, sizeof(in), enc);
	memset(out, 0xa5, sizeof(out));
	assert_int_equal(tq_qpack_huff_decode(enc, n, out, sizeof(out),
			&olen), 0);
	assert_int_equal(olen, sizeof(in));
	assert_memory_equal(out, in, sizeof(in));
	/* Each alone: every code's padding (0 to 7 bits) is exercised. */
	for (i = 0; i < 256; i++) {
		n = huff_enc(&in[i], 1, enc);
		assert_int_equal(tq_qpack_huff_decode(enc, n, out, 1, &olen),
				0);
		assert_int_equal(olen, 1);
		assert_int_equal((uint8_t)out[0], i);
	}
	/* Too small an out: the length still counts all, nothing past
	 * cap is written. */
	n = huff_enc(in, 40, enc);
	memset(out, 0xa5, sizeof(out));
	assert_int_equal(tq_qpack_huff_decode(enc, n, out, 10, &olen), 0);
	assert_int_equal(olen, 40);
	assert_memory_equal(out, in, 10);
	assert_int_equal((uint8_t)out[10], 0xa5);
	assert_int_equal(tq_qpack_huff_decode(enc, n, NULL, 0, &olen), 0);
	assert_int_equal(olen, 40);
}

/*
 * Every encoded length from 0 to 80 bytes, each in a heap block of
 * exactly that size (ASan sees a read past it), with short and long
 * codes mixed: the decoder reads eight bytes at a time, the last eight
 * of the string shifted, or a short string byte by byte.
 */
static void
test_huff_lengths(void **state)
{
	uint8_t in[128], enc[512];
	char out[128];
	unsigned int seed = 12345, kind, len, i;
	size_t n, olen;

	(void)state;
	for (kind = 0; kind < 3; kind++) {
		for (len = 0; len < 100; len++) {
			uint8_t *b;

			for (i = 0; i < len; i++) {
				seed = seed * 1103515245u + 12345u;
				/* header text; any byte; text with a
				 * long code now and then */
				in[i] = kind == 0 ? (uint8_t)('a' + seed % 26) :
					kind == 1 ? (uint8_t)(seed >> 16) :
					(seed >> 16) % 7 ? (uint8_t)('0' +
						seed % 10) : (uint8_t)(seed >> 8);
			}
			n = huff_enc(in, len, enc);
			if (n > 80)
				break;
			b = malloc(n ? n : 1);
			assert_non_null(b);
			memcpy(b, enc, n);
			olen = 0;
			assert_int_equal(tq_qpack_huff_decode(b, n, out,
					sizeof(out), &olen), 0);
			assert_int_equal(olen, len);
			assert_memory_equal(out, in, len);
			free(b);
		}
	}
}

static void
huff_bad(const uint8_t *in, size_t n)
{
	char out[64];
	size_t olen;

	assert_int_equal(tq_qpack_huff_decode(in, n, out, sizeof(out),
			&olen), -EPROTO);
}

static void
test_huff_rejects(void **state)
{
	uint8_t b[64];
	size_t n;

	(void)state;
	/* EOS: 30 ones, and 2 of padding */
	huff_bad((const uint8_t *)"\xff\xff\xff\xff", 4);
	/* 'a' (00011), EOS, 'a', padding */
	n = tq_test_unhex("1f ff ff ff f8 ff", b, sizeof(b));
	huff_bad(b, n);
	/* EOS met while eight bytes or more are left (the decoder's
	 * other loop), and well-formed after it: 'a', EOS, eighteen '0's
	 * (00000), three bits of padding */
	n = tq_test_unhex("1f ff ff ff e0 00 00 00 00 00 00 00 00 00 00 07",
			b, sizeof(b));
	huff_bad(b, n);
	/* 8 ones of padding, alone and after a whole string */
	huff_bad((const uint8_t *)"\xff", 1);
	n = tq_test_unhex("f1e3c2e5f23a6ba0ab90f4ff ff", b, sizeof(b));
	huff_bad(b, n);
	/* 'a' then padding 110, 000, 011 */
	huff_bad((const uint8_t *)"\x1e", 1);
	huff_bad((const uint8_t *)"\x18", 1);
	huff_bad((const uint8_t *)"\x1b", 1);
	/* the good ones beside them: 'a' + 111; "0" + 111 */
	n = 0;
	assert_int_equal(tq_qpack_huff_decode((const uint8_t *)"\x1f", 1,
			(char *)b, sizeof(b), &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(b[0], 'a');
	/* 13 bits of symbol 0, then 11 ones: 8+ bits of padding */
	huff_bad((const uint8_t *)"\xff\xc7\xff", 3);
	assert_int_equal(tq_qpack_huff_decode((const uint8_t *)"\xff\xc7",
			2, (char *)b, sizeof(b), &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(b[0], 0);
}

/* ---- field sections ---- */

static char dbuf[4096];

static int
dec(const uint8_t *in, size_t n, struct tq_qpack_field *out,
		unsigned int max)
{
	return tq_qpack_decode(in, n, out, max, 1u << 20, dbuf,
			sizeof(dbuf));
}

static void
assert_fields(const struct tq_qpack_field *a,
		const struct tq_qpack_field *b, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		assert_int_equal(a[i].nlen, b[i].nlen);
		assert_int_equal(a[i].vlen, b[i].vlen);
		assert_memory_equal(a[i].name, b[i].name, a[i].nlen);
		if (a[i].vlen)
			assert_memory_equal(a[i].value, b[i].value,
					a[i].vlen);
	}
}

/* RFC 9204 B.1: a literal with a static name reference. */
static void
test_rfc9204_b1(void **state)
{
	static const struct tq_qpack_field want[] = {
		FL(":path", "/index.html"),
	};
	struct tq_qpack_field f[4];
	uint8_t in[64];
	size_t n = tq_test_unhex("0000 510b 2f69 6e64 6578 2e68 746d 6c",
			in, sizeof(in));

	(void)state;
	assert_int_equal(dec(in, n, f, NF(f)), 1);
	assert_fields(f, want, 1);
	/* what we encode for it is the same */
	{
		uint8_t out[64];

		assert_int_equal(tq_qpack_encode(out, sizeof(out), want, 1),
				(int)n);
		assert_memory_equal(out, in, n);
	}
}

static const struct tq_qpack_field req[] = {
	FL(":method", "GET"),
	FL(":scheme", "https"),
	FL(":authority", "example.com"),
	FL(":path", "/"),
	FL("user-agent", "x"),
	FL("accept", "*/*"),
};

static const struct tq_qpack_field resp[] = {
	FL(":status", "200"),
	FL("content-length", "1024"),
	FL("content-type", "text/html"),
	FL("x-custom", "foo"),
};

/*
 * Decode a whole encoding of f[0, n) and every cut of it: a cut at a
 * line's end is the section of the lines before (boundary[k], k lines),
 * any other gives -EPROTO.
 */
static void
round_trip(const struct tq_qpack_field *f, unsigned int n, uint8_t *enc,
		int *elen)
{
	struct tq_qpack_field out[16];
	size_t bound = tq_qpack_encode_bound(f, n), cut;
	int len, bnd[17], k, r;

	assert_true(n < 16);
	len = tq_qpack_encode(enc, bound, f, n);
	assert_true(len > 0 && (size_t)len <= bound);
	*elen = len;
	assert_int_equal(dec(enc, (size_t)len, out, 16), (int)n);
	assert_fields(out, f, n);
	/* nothing points into the input */
	for (k = 0; k < (int)n; k++)
		assert_false(out[k].value >= (const char *)enc &&
				out[k].value < (const char *)enc + len);
	for (k = 0; k <= (int)n; k++) {
		bnd[k] = tq_qpack_encode(enc + len, bound, f, (unsigned int)k);
		assert_true(bnd[k] >= 2);
	}
	for (cut = 0; cut < (size_t)len; cut++) {
		r = dec(enc, cut, out, 16);
		for (k = 0; k <= (int)n; k++)
			if ((size_t)bnd[k] == cut)
				break;
		if (k <= (int)n) {
			assert_int_equal(r, k);
			assert_fields(out, f, (unsigned int)k);
		} else {
			assert_int_equal(r, -EPROTO);
		}
	}
}

static void
test_request(void **state)
{
	/* :method GET (17), :scheme https (23), :authority (0)
	 * "example.com", :path / (1), user-agent (95) "x", accept * / *
	 * (29) */
	static const uint8_t want[] = {
		0x00, 0x00, 0xd1, 0xd7, 0x50, 0x0b, 'e', 'x', 'a', 'm', 'p',
		'l', 'e', '.', 'c', 'o', 'm', 0xc1, 0x5f, 0x50, 0x01, 'x',
		0xdd,
	};
	uint8_t enc[512];
	int len;

	(void)state;
	round_trip(req, NF(req), enc, &len);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(enc, want, sizeof(want));
}

static void
test_response(void **state)
{
	static const uint8_t want[] = {
		0x00, 0x00, 0xd9,			/* :status 200 (25) */
		0x54, 0x04, '1', '0', '2', '4',		/* content-length */
		0x5f, 0x1d, 0x09, 't', 'e', 'x', 't', '/', 'h', 't', 'm',
		'l',					/* content-type 44 */
		0x27, 0x01, 'x', '-', 'c', 'u', 's', 't', 'o', 'm', 0x03,
		'f', 'o', 'o',				/* literal name */
	};
	uint8_t enc[512];
	int len;

	(void)state;
	round_trip(resp, NF(resp), enc, &len);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(enc, want, sizeof(want));
	assert_int_equal(enc[2], 0xd9);
	assert_int_equal(enc[3], 0x54);
}

/* Literal name, Huffman-coded on both sides, and Huffman values. */
static void
test_huffman_section(void **state)
{
	static const struct tq_qpack_field want[] = {
		FL("custom-key", "custom-value"),
		FL(":authority", "www.example.com"),
		FL("cache-control", "no-cache"),
		FL("x-plain", "custom-value"),
	};
	struct tq_qpack_field f[8];
	uint8_t in[128];
	size_t n;
	int len;

	(void)state;
	n = tq_test_unhex("0000"
			/* 001 N=0 H=1 len 8 (7 + 1) */
			"2f01 25a849e95ba97d7f"
			/* H=1 len 9 */
			"89 25a849e95bb8e8b4bf"
			/* 0101 index 0, H=1 len 12 */
			"50 8c f1e3c2e5f23a6ba0ab90f4ff"
			/* 0111 (N=1) index 15 + 21, H=1 len 6 */
			"7f 15 86 a8eb10649cbf"
			/* 001 N=1 H=0 len 7, value H=1 */
			"37 00 782d706c61696e 89 25a849e95bb8e8b4bf",
			in, sizeof(in));
	assert_int_equal(dec(in, n, f, NF(f)), 4);
	assert_fields(f, want, 4);
	/* every cut is malformed or a whole line's end */
	{
		static const size_t ends[] = { 2, 22, 36, 45 };
		size_t cut, k;
		int r;

		for (cut = 0; cut < n; cut++) {
			r = dec(in, cut, f, NF(f));
			for (k = 0; k < NF(ends); k++)
				if (ends[k] == cut)
					break;
			assert_int_equal(r, k < NF(ends) ? (int)k : -EPROTO);
		}
	}
	len = tq_qpack_encode(in, sizeof(in), want, NF(want));
	assert_true(len > 0);
	assert_int_equal(dec(in, (size_t)len, f, NF(f)), 4);
	assert_fields(f, want, 4);
}

/* Every static entry encodes as its own index; a name alone as the
 * first entry with that name. */
static void
test_static_table(void **state)
{
	struct tq_qpack_field st[TQ_QPACK_STATIC_N], f[2], g[2];
	uint8_t in[8], out[256];
	unsigned int i, j, first;
	int len;

	(void)state;
	for (i = 0; i < TQ_QPACK_STATIC_N; i++) {
		in[0] = in[1] = 0;
		if (i < 63) {
			in[2] = (uint8_t)(0xc0 | i);
			len = 3;
		} else {
			in[2] = 0xff;
			in[3] = (uint8_t)(i - 63);
			len = 4;
		}
		assert_int_equal(dec(in, (size_t)len, &st[i], 1), 1);
		assert_int_equal(strlen(st[i].name), st[i].nlen);
		assert_int_equal(strlen(st[i].value), st[i].vlen);
		assert_int_equal(tq_qpack_encode(out, sizeof(out), &st[i], 1),
				len);
		assert_memory_equal(out, in, (size_t)len);
	}
	assert_string_equal(st[0].name, ":authority");
	assert_string_equal(st[25].value, "200");
	assert_string_equal(st[98].name, "x-frame-options");
	assert_string_equal(st[98].value, "sameorigin");
	for (i = 0; i < TQ_QPACK_STATIC_N; i++) {
		for (first = 0; first < i; first++)
			if (!strcmp(st[first].name, st[i].name))
				break;
		f[0] = st[i];
		f[0].value = "\x01no";
		f[0].vlen = 3;
		len = tq_qpack_encode(out, sizeof(out), f, 1);
		j = first < 15 ? 3 : 4;
		assert_int_equal(len, (int)j + 1 + 3);
		assert_int_equal(out[2], 0x50 | (first < 15 ? first : 15));
		if (first >= 15)
			assert_int_equal(out[3], first - 15);
		assert_int_equal(dec(out, (size_t)len, g, 2), 1);
		assert_fields(g, f, 1);
	}
	/* Any entry's name or value with one byte changed, at each place
	 * (the compare goes a word at a time): no longer that entry. */
	for (i = 0; i < TQ_QPACK_STATIC_N; i++) {
		char nb[128], vb[128];

		for (j = 0; j < st[i].nlen + st[i].vlen; j++) {
			memcpy(nb, st[i].name, st[i].nlen);
			memcpy(vb, st[i].value, st[i].vlen);
			if (j < st[i].nlen)
				nb[j] ^= 0x01;
			else
				vb[j - st[i].nlen] ^= 0x01;
			f[0] = st[i];
			f[0].name = nb;
			f[0].value = vb;
			len = tq_qpack_encode(out, sizeof(out), f, 1);
			assert_true(len > 2);
			/* an indexed line names entry i, a literal
			 * with a static name some entry: not i with
			 * the same name */
			if ((out[2] & 0xc0) == 0xc0)
				assert_int_not_equal(out[2] == 0xff ?
						63 + out[3] : out[2] & 0x3f, i);
			assert_int_equal(dec(out, (size_t)len, g, 2), 1);
			assert_fields(g, f, 1);
		}
	}
	/* a name one byte off any entry's is a literal name */
	f[0] = (struct tq_qpack_field)FL(":statu", "200");
	assert_int_equal(tq_qpack_encode(out, sizeof(out), f, 1), 13);
	assert_int_equal(out[2], 0x26);
}

static void
bad(const char *hex)
{
	struct tq_qpack_field f[8];
	uint8_t in[128];
	size_t n = tq_test_unhex(hex, in, sizeof(in));

	assert_int_equal(dec(in, n, f, NF(f)), -EPROTO);
	/* as too large, still malformed */
	assert_int_equal(tq_qpack_decode(in, n, f, 0, 0, dbuf, 0), -EPROTO);
}

static void
test_malformed(void **state)
{
	struct tq_qpack_field f[2];

	(void)state;
	bad("");
	bad("00");
	bad("0100");			/* Required Insert Count 1 */
	bad("ff0100");			/* 256 */
	bad("0080");			/* sign bit: Base below 0 */
	bad("0000 80");			/* indexed, dynamic */
	bad("0000 bf00");
	bad("0000 10");			/* indexed, post-base */
	bad("0000 00 01 61");		/* literal, post-base name */
	bad("0000 08 01 61");
	bad("0000 40 01 61");		/* literal, dynamic name */
	bad("0000 ff24");		/* static 99 */
	bad("0000 ffff ffff ffff ffff ff7f");	/* and far past */
	bad("0000 5f54 00");		/* name ref 99 */
	bad("0000 51");			/* no value */
	bad("0000 5102 61");		/* value short */
	bad("0000 23 6162");		/* literal name short */
	bad("0000 22 6162");		/* no value */
	bad("0000 5181 ff");		/* Huffman: 8 bits of padding */
	bad("0000 5184 ffff ffff");	/* EOS */
	bad("0000 29 1e 00");		/* name's padding 110 */
	/* integers: 2^62 and 2^64 + some, a length far past the input,
	 * 10 groups of zeros */
	bad("0000 517f ffff ffff ffff ffff ff3f");
	bad("0000 517f ffff ffff ffff ffff ffff ff01");
	bad("0000 517f ffff ffff ffff ffff 1f");
	bad("0000 c0 517f 8080 8080 8080 8080 8080 00");
	bad("ff80 8080 8080 8080 8080 00 00");
	/* static 63 in 10 groups past the prefix: the last one's bits
	 * would start at 2^63 */
	bad("0000 ff 8080 8080 8080 8080 80 00");
	/* what is fine: an empty section, static 98, an empty literal,
	 * Delta Base not 0, a zero-group integer */
	assert_int_equal(dec((const uint8_t *)"\0\0", 2, f, 2), 0);
	assert_int_equal(dec((const uint8_t *)"\0\0\xff\x23", 4, f, 2), 1);
	assert_int_equal(dec((const uint8_t *)"\0\0\x20\x00", 4, f, 2), 1);
	assert_int_equal(f[0].nlen + f[0].vlen, 0);
	assert_int_equal(dec((const uint8_t *)"\0\x05\xd9", 3, f, 2), 1);
	assert_int_equal(dec((const uint8_t *)"\0\0\xff\x80\x00", 5, f, 2),
			1);
	assert_string_equal(f[0].value, "100");
	assert_int_equal(dec((const uint8_t *)"\0\0\xff\x80\x80\x80\x80"
			"\x80\x80\x80\x80\x00", 12, f, 2), 1);
	assert_string_equal(f[0].value, "100");
}

static void
test_limits(void **state)
{
	struct tq_qpack_field f[16];
	uint8_t enc[512];
	char small[64];
	uint32_t size = 0;
	unsigned int i;
	int len;

	(void)state;
	for (i = 0; i < NF(req); i++)
		size += req[i].nlen + req[i].vlen + 32;
	len = tq_qpack_encode(enc, sizeof(enc), req, NF(req));
	assert_true(len > 0);
	assert_int_equal(tq_qpack_decode(enc, (size_t)len, f, NF(req), size,
			dbuf, sizeof(dbuf)), (int)NF(req));
	assert_int_equal(tq_qpack_decode(enc, (size_t)len, f, NF(req) - 1,
			size, dbuf, sizeof(dbuf)), -EMSGSIZE);
	assert_int_equal(tq_qpack_decode(enc, (size_t)len, f, NF(req),
			size - 1, dbuf, sizeof(dbuf)), -EMSGSIZE);
	assert_int_equal(tq_qpack_decode(enc, (size_t)len, NULL, 0, 0,
			NULL, 0), -EMSGSIZE);
	/* the literals: "example.com" and "x", 12 bytes */
	assert_int_equal(tq_qpack_decode(enc, (size_t)len, f, NF(req), size,
			small, 12), (int)NF(req));
	memset(small, 0x5a, sizeof(small));
	assert_int_equal(tq_qpack_decode(enc, (size_t)len, f, NF(req), size,
			small, 11), -EMSGSIZE);
	assert_int_equal((uint8_t)small[11], 0x5a);
	/* too large, then malformed at the end: malformed wins */
	enc[len] = 0x80;
	assert_int_equal(tq_qpack_decode(enc, (size_t)len + 1, f, 1, size,
			dbuf, sizeof(dbuf)), -EPROTO);
	assert_int_equal(tq_qpack_decode(enc, (size_t)len + 1, f, NF(req),
			10, dbuf, sizeof(dbuf)), -EPROTO);
	assert_int_equal(tq_qpack_decode(enc, (size_t)len + 1, f, NF(req),
			size, small, 1), -EPROTO);
	/* and Huffman past the buffer is still checked */
	{
		uint8_t h[32];
		size_t n = tq_test_unhex("0000 5181 ff", h, sizeof(h));

		assert_int_equal(tq_qpack_decode(h, n, f, 4, 1000, small, 0),
				-EPROTO);
		n = tq_test_unhex("0000 5181 1f", h, sizeof(h));
		assert_int_equal(tq_qpack_decode(h, n, f, 4, 1000, small, 0),
				-EMSGSIZE);
		assert_int_equal(tq_qpack_decode(h, n, f, 4, 1000, small, 1),
				1);
		assert_int_equal(f[0].vlen, 1);
		assert_int_equal(f[0].value[0], 'a');
	}
}

static void
test_encode_nospace(void **state)
{
	struct tq_qpack_field big[3] = {
		FL(":status", "404"),
		FL("server", ""),
	};
	char name[300], value[2000];
	uint8_t out[4096];
	size_t cap, need;
	int len;

	(void)state;
	memset(name, 'n', sizeof(name));
	memset(value, 'v', sizeof(value));
	big[1].value = value;
	big[1].vlen = 200;
	big[2].name = name;
	big[2].nlen = sizeof(name);
	big[2].value = value;
	big[2].vlen = sizeof(value);
	need = (size_t)tq_qpack_encode(out, sizeof(out), big, 3);
	assert_true(need <= tq_qpack_encode_bound(big, 3));
	assert_true(need > sizeof(name) + sizeof(value));
	for (cap = 0; cap < need; cap++) {
		memset(out, 0xa5, sizeof(out));
		assert_int_equal(tq_qpack_encode(out, cap, big, 3), -ENOSPC);
		assert_int_equal(out[cap], 0xa5);
	}
	len = tq_qpack_encode(out, need, big, 3);
	assert_int_equal(len, (int)need);
	{
		struct tq_qpack_field f[4];
		static char b[4096];

		assert_int_equal(tq_qpack_decode(out, need, f, 4, 10000, b,
				sizeof(b)), 3);
		assert_fields(f, big, 3);
	}
	/* the bound holds at every length around the integers' steps */
	for (cap = 0; cap < 300; cap++) {
		big[2].nlen = (uint32_t)cap;
		big[2].vlen = (uint32_t)cap;
		len = tq_qpack_encode(out, sizeof(out), big, 3);
		assert_true(len > 0 &&
				(size_t)len <= tq_qpack_encode_bound(big, 3));
	}
	assert_int_equal(tq_qpack_encode_bound(big, 0), 2);
	assert_int_equal(tq_qpack_encode(out, 2, big, 0), 2);
}

/* ---- encoder and decoder streams ---- */

typedef int (*ps_fn)(struct tq_qpack_sparse *, const uint8_t *, size_t);

/* in fed whole, in two pieces at every split, and byte by byte. */
static void
ps_feed(ps_fn fn, const uint8_t *in, size_t n, int want)
{
	struct tq_qpack_sparse ps;
	size_t i;
	int r;

	memset(&ps, 0, sizeof(ps));
	assert_int_equal(fn(&ps, in, n), want);
	for (i = 0; i <= n; i++) {
		memset(&ps, 0, sizeof(ps));
		r = fn(&ps, in, i);
		if (r == 0)
			r = fn(&ps, in + i, n - i);
		assert_int_equal(r, want);
	}
	memset(&ps, 0, sizeof(ps));
	for (i = 0, r = 0; i < n && r == 0; i++)
		r = fn(&ps, in + i, 1);
	assert_int_equal(r, want);
	/* a failed stream stays failed */
	if (want != 0)
		assert_int_equal(fn(&ps, (const uint8_t *)"", 0), -EPROTO);
}

static void
ps_hex(ps_fn fn, const char *hex, int want)
{
	uint8_t in[64];
	size_t n = tq_test_unhex(hex, in, sizeof(in));

	ps_feed(fn, in, n, want);
}

static void
test_enc_stream(void **state)
{
	ps_fn e = tq_qpack_enc_stream_input;

	(void)state;
	ps_hex(e, "", 0);
	ps_hex(e, "20", 0);
	ps_hex(e, "202020", 0);
	ps_hex(e, "21", -EPROTO);		/* capacity 1 */
	ps_hex(e, "20 3f00", -EPROTO);		/* 31 */
	ps_hex(e, "3fe11f", -EPROTO);		/* 4096 */
	ps_hex(e, "c0 01 61", -EPROTO);		/* insert, static name */
	ps_hex(e, "80 01 61", -EPROTO);		/* insert, dynamic name */
	ps_hex(e, "41 61 01 62", -EPROTO);	/* insert, literal name */
	ps_hex(e, "20 00", -EPROTO);		/* duplicate */
}

static void
test_dec_stream(void **state)
{
	ps_fn d = tq_qpack_dec_stream_input;

	(void)state;
	ps_hex(d, "", 0);
	ps_hex(d, "41 40 7e", 0);
	/* Stream Cancellation of 63, 64 + 63, and 2^62 - 1 */
	ps_hex(d, "7f00 41", 0);
	ps_hex(d, "7f80 01 7f40", 0);
	ps_hex(d, "7fc0ffffffffffffff3f 44", 0);
	ps_hex(d, "7f c0ffffffffffffff7f", -EPROTO);	/* 2^62 + 63 */
	ps_hex(d, "7f ff ff ff ff ff ff ff ff 7f", -EPROTO);
	ps_hex(d, "7f 80 80 80 80 80 80 80 80 80 00", -EPROTO);
	ps_hex(d, "41 81", -EPROTO);		/* Section Acknowledgment */
	ps_hex(d, "ff 00", -EPROTO);
	ps_hex(d, "41 01", -EPROTO);		/* Insert Count Increment */
	ps_hex(d, "3f 00", -EPROTO);
	ps_hex(d, "7f 80 80 01 00", -EPROTO);	/* after a long one */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_huff_rfc),
		cmocka_unit_test(test_huff_all_bytes),
		cmocka_unit_test(test_huff_lengths),
		cmocka_unit_test(test_huff_rejects),
		cmocka_unit_test(test_rfc9204_b1),
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_response),
		cmocka_unit_test(test_huffman_section),
		cmocka_unit_test(test_static_table),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_encode_nospace),
		cmocka_unit_test(test_enc_stream),
		cmocka_unit_test(test_dec_stream),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
