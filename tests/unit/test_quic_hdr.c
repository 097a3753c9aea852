/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QUIC packet headers and coalesced datagrams
 * (engine/quic/tq_quic_hdr.c), with RFC 9001 Appendix A's packets as
 * they are before header protection.
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

/* RFC 9001 A.2: the client Initial's header, unprotected. */
static const char client_initial_hdr[] =
	"c300000001088394c8f03e5157080000449e00000002";
static const uint8_t client_dcid[] = { 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51,
	0x57, 0x08 };
/* RFC 9001 A.3: the server Initial's header. */
static const char server_initial_hdr[] =
	"c1000000010008f067a5502a4262b50040750001";
static const uint8_t server_scid[] = { 0xf0, 0x67, 0xa5, 0x50, 0x2a, 0x42,
	0x62, 0xb5 };
/* RFC 9001 A.4: a Retry, tag included. */
static const char retry_pkt[] =
	"ff000000010008f067a5502a4262b5746f6b656e"
	"04a265ba2eff4d829058fb3f0f2496ba";

/* Parse every proper prefix of p[0, n) from a buffer of exactly that
 * size (so ASan sees a read past it): each fails or finds a packet
 * inside it. */
static void
all_prefixes(const uint8_t *p, size_t n, size_t short_dcid_len,
		size_t must_fail_below)
{
	size_t k;

	for (k = 0; k < n; k++) {
		uint8_t *b = malloc(k ? k : 1);
		struct tq_quic_hdr h;
		int rc;

		assert_non_null(b);
		memcpy(b, p, k);
		rc = tq_quic_hdr_parse(b, k, short_dcid_len, &h);
		if (k < must_fail_below)
			assert_int_equal(rc, -EBADMSG);
		if (rc == 0) {
			assert_true(h.len <= k);
			assert_true(h.pn_off <= h.len);
		}
		free(b);
	}
}

static void
test_client_initial(void **state)
{
	uint8_t pkt[1200] = { 0 }, out[1200];
	size_t n = tq_test_unhex(client_initial_hdr, pkt, sizeof(pkt));
	struct tq_quic_hdr h;
	struct tq_quic_hdr_pos pos;
	struct tq_quic_wr w;

	(void)state;
	assert_int_equal(n, 22);
	assert_int_equal(tq_quic_hdr_parse(pkt, sizeof(pkt), 0, &h), 0);
	assert_int_equal(h.type, TQ_QUIC_PKT_INITIAL);
	assert_int_equal(h.first, 0xc3);
	assert_int_equal(h.version, TQ_QUIC_VERSION_1);
	assert_int_equal(h.dcid_len, 8);
	assert_memory_equal(h.dcid, client_dcid, 8);
	assert_ptr_equal(h.dcid, pkt + 6);
	assert_int_equal(h.scid_len, 0);
	assert_int_equal(h.token_len, 0);
	assert_int_equal(tq_quic_hdr_pn_len(h.first), 4);
	assert_int_equal(h.pn_off, 18);
	assert_int_equal(h.len, 1200); /* Length 0x049e = 1182 */
	assert_int_equal(tq_quic_hdr_check_reserved(h.type, h.first),
			TQ_QUIC_NO_ERROR);
	/* the builder writes the same bytes */
	tq_quic_wr_init(&w, out, sizeof(out));
	assert_int_equal(tq_quic_hdr_write_long(&w, out, TQ_QUIC_PKT_INITIAL,
			TQ_QUIC_VERSION_1, client_dcid, 8, NULL, 0, NULL, 0, 2,
			4, &pos), 0);
	assert_int_equal(w.pos - out, 22);
	assert_int_equal(pos.start, 0);
	assert_int_equal(pos.len_off, 16);
	assert_int_equal(pos.pn_off, 18);
	assert_int_equal(pos.pn_len, 4);
	assert_int_equal(tq_quic_hdr_set_length(out, &pos, 1200), 0);
	assert_memory_equal(out, pkt, 22);
	all_prefixes(pkt, sizeof(pkt), 0, sizeof(pkt));
}

static void
test_server_initial(void **state)
{
	uint8_t pkt[20 + 115] = { 0 }, out[64];
	size_t n = tq_test_unhex(server_initial_hdr, pkt, sizeof(pkt));
	struct tq_quic_hdr h;
	struct tq_quic_hdr_pos pos;
	struct tq_quic_wr w;

	(void)state;
	assert_int_equal(n, 20);
	assert_int_equal(tq_quic_hdr_parse(pkt, sizeof(pkt), 0, &h), 0);
	assert_int_equal(h.type, TQ_QUIC_PKT_INITIAL);
	assert_int_equal(h.dcid_len, 0);
	assert_int_equal(h.scid_len, 8);
	assert_memory_equal(h.scid, server_scid, 8);
	assert_int_equal(tq_quic_hdr_pn_len(h.first), 2);
	assert_int_equal(h.pn_off, 18);
	assert_int_equal(h.len, 18 + 0x75);
	tq_quic_wr_init(&w, out, sizeof(out));
	assert_int_equal(tq_quic_hdr_write_long(&w, out, TQ_QUIC_PKT_INITIAL,
			TQ_QUIC_VERSION_1, NULL, 0, server_scid, 8, NULL, 0, 1,
			2, &pos), 0);
	assert_int_equal(tq_quic_hdr_set_length(out, &pos, 18 + 0x75), 0);
	assert_memory_equal(out, pkt, 20);
	/* more than the 2-byte Length field holds */
	assert_int_equal(tq_quic_hdr_set_length(out, &pos, 18 + 16384),
			-EMSGSIZE);
	assert_int_equal(tq_quic_hdr_set_length(out, &pos, 19), -EINVAL);
	all_prefixes(pkt, sizeof(pkt), 0, sizeof(pkt));
}

static void
test_retry(void **state)
{
	uint8_t pkt[64], out[64];
	size_t n = tq_test_unhex(retry_pkt, pkt, sizeof(pkt));
	struct tq_quic_hdr h;
	struct tq_quic_wr w;

	(void)state;
	assert_int_equal(tq_quic_hdr_parse(pkt, n, 0, &h), 0);
	assert_int_equal(h.type, TQ_QUIC_PKT_RETRY);
	assert_int_equal(h.dcid_len, 0);
	assert_int_equal(h.scid_len, 8);
	assert_memory_equal(h.scid, server_scid, 8);
	assert_int_equal(h.token_len, 5);
	assert_memory_equal(h.token, "token", 5);
	assert_ptr_equal(h.retry_tag, pkt + n - 16);
	assert_int_equal(h.len, n);
	assert_int_equal(tq_quic_hdr_check_reserved(h.type, 0xff),
			TQ_QUIC_NO_ERROR);
	tq_quic_wr_init(&w, out, sizeof(out));
	assert_int_equal(tq_quic_hdr_write_retry(&w, TQ_QUIC_VERSION_1, NULL,
			0, server_scid, 8, (const uint8_t *)"token", 5, 0x0f),
			0);
	assert_int_equal(w.pos - out, n - 16);
	assert_memory_equal(out, pkt, n - 16);
	assert_int_equal(tq_quic_hdr_write_retry(&w, TQ_QUIC_VERSION_1, NULL,
			0, server_scid, 8, NULL, 0, 0), -EINVAL);
	/* shorter than its tag */
	all_prefixes(pkt, n, 0, 15 + 16);
}

static void
test_handshake_0rtt(void **state)
{
	static const uint8_t dcid[20] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
		12, 13, 14, 15, 16, 17, 18, 19, 20 };
	static const enum tq_quic_pkt_type types[] = { TQ_QUIC_PKT_0RTT,
		TQ_QUIC_PKT_HANDSHAKE };
	uint8_t buf[128];
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		struct tq_quic_hdr_pos pos;
		struct tq_quic_hdr h;
		struct tq_quic_wr w;

		memset(buf, 0xee, sizeof(buf));
		tq_quic_wr_init(&w, buf, sizeof(buf));
		assert_int_equal(tq_quic_hdr_write_long(&w, buf, types[i],
				TQ_QUIC_VERSION_1, dcid, 20, dcid + 3, 5, NULL,
				0, 0x1234, 3, &pos), 0);
		assert_int_equal(pos.pn_off, 1 + 4 + 21 + 6 + 2);
		assert_int_equal(tq_quic_hdr_set_length(buf, &pos, 100), 0);
		assert_int_equal(tq_quic_hdr_parse(buf, sizeof(buf), 0, &h), 0);
		assert_int_equal(h.type, types[i]);
		assert_int_equal(h.first & 3, 2);
		assert_int_equal(h.dcid_len, 20);
		assert_memory_equal(h.dcid, dcid, 20);
		assert_int_equal(h.scid_len, 5);
		assert_memory_equal(h.scid, dcid + 3, 5);
		assert_int_equal(h.pn_off, pos.pn_off);
		assert_int_equal(h.len, 100);
		assert_int_equal(buf[h.pn_off], 0x00);
		assert_int_equal(buf[h.pn_off + 1], 0x12);
		assert_int_equal(buf[h.pn_off + 2], 0x34);
		all_prefixes(buf, 100, 0, 100);
	}
}

static void
test_short(void **state)
{
	static const uint8_t dcid[8] = { 9, 8, 7, 6, 5, 4, 3, 2 };
	uint8_t buf[64], pkt[8];
	struct tq_quic_hdr_pos pos;
	struct tq_quic_hdr h;
	struct tq_quic_wr w;
	size_t n;

	(void)state;
	/* RFC 9001 A.5: 4200bff4, no DCID */
	n = tq_test_unhex("4200bff4", pkt, sizeof(pkt));
	assert_int_equal(tq_quic_hdr_parse(pkt, n, 0, &h), 0);
	assert_int_equal(h.type, TQ_QUIC_PKT_1RTT);
	assert_int_equal(h.pn_off, 1);
	assert_int_equal(tq_quic_hdr_pn_len(h.first), 3);
	assert_int_equal(h.len, 4);
	tq_quic_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(tq_quic_hdr_write_short(&w, buf, NULL, 0, false,
			false, 0xbff4, 3, &pos), 0);
	assert_memory_equal(buf, pkt, 4);

	tq_quic_wr_init(&w, buf, sizeof(buf));
	memset(buf, 0, sizeof(buf));
	assert_int_equal(tq_quic_hdr_write_short(&w, buf, dcid, 8, true, true,
			7, 1, &pos), 0);
	assert_int_equal(buf[0], 0x40 | 0x20 | 0x04);
	assert_int_equal(pos.pn_off, 9);
	assert_int_equal(tq_quic_hdr_parse(buf, 30, 8, &h), 0);
	assert_int_equal(h.dcid_len, 8);
	assert_memory_equal(h.dcid, dcid, 8);
	assert_int_equal(h.pn_off, 9);
	assert_int_equal(h.len, 30);
	assert_int_equal(tq_quic_hdr_check_reserved(h.type, h.first),
			TQ_QUIC_NO_ERROR);
	assert_int_equal(tq_quic_hdr_check_reserved(h.type, 0x48),
			TQ_QUIC_PROTOCOL_VIOLATION);
	assert_int_equal(tq_quic_hdr_check_reserved(TQ_QUIC_PKT_HANDSHAKE,
			0xe4), TQ_QUIC_PROTOCOL_VIOLATION);
	/* DCID and at least one byte of packet number */
	all_prefixes(buf, 30, 8, 10);
	/* the fixed bit */
	buf[0] &= (uint8_t)~TQ_QUIC_HDR_FIXED;
	assert_int_equal(tq_quic_hdr_parse(buf, 30, 8, &h), -EBADMSG);
	buf[0] |= TQ_QUIC_HDR_FIXED;
	/* a v1 DCID is at most 20 bytes */
	assert_int_equal(tq_quic_hdr_parse(buf, 30, 21, &h), -EBADMSG);
}

static void
test_version_negotiation(void **state)
{
	static const uint32_t versions[] = { TQ_QUIC_VERSION_1, 0x1a2a3a4a };
	uint8_t cid[255], buf[600];
	struct tq_quic_hdr h;
	struct tq_quic_wr w;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cid); i++)
		cid[i] = (uint8_t)i;
	/* a client of another version, with 255-byte IDs (RFC 8999) */
	tq_quic_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(tq_quic_hdr_write_retry(&w, 0xff00001d, cid, 20,
			cid, 20, cid, 4, 0), 0);
	buf[5] = 255;
	memcpy(buf + 6, cid, 255);
	buf[6 + 255] = 254;
	memcpy(buf + 7 + 255, cid + 1, 254);
	assert_int_equal(tq_quic_hdr_parse(buf, 7 + 255 + 254 + 20, 0, &h),
			-EPROTONOSUPPORT);
	assert_true(h.version == 0xff00001d);
	assert_int_equal(h.dcid_len, 255);
	assert_memory_equal(h.dcid, cid, 255);
	assert_int_equal(h.scid_len, 254);
	assert_memory_equal(h.scid, cid + 1, 254);
	/* the answer swaps the IDs */
	tq_quic_wr_init(&w, buf + 300, 300);
	assert_int_equal(tq_quic_vn_write(&w, h.scid, h.scid_len, h.dcid,
			h.dcid_len, versions, 2, 0x3b), -EMSGSIZE);
	assert_ptr_equal(w.pos, buf + 300);
	tq_quic_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(tq_quic_vn_write(&w, cid, 17, cid + 5, 3, versions, 2,
			0x3b), 0);
	assert_int_equal(w.pos - buf, 7 + 17 + 3 + 8);
	assert_int_equal(buf[0], 0x80 | 0x40 | 0x3b);
	assert_int_equal(tq_quic_hdr_parse(buf, 35, 0, &h), 0);
	assert_int_equal(h.type, TQ_QUIC_PKT_VN);
	assert_int_equal(h.version, 0);
	assert_int_equal(h.dcid_len, 17);
	assert_int_equal(h.scid_len, 3);
	assert_memory_equal(h.scid, cid + 5, 3);
	assert_int_equal(h.token_len, 8);
	assert_memory_equal(h.token, "\x00\x00\x00\x01\x1a\x2a\x3a\x4a", 8);
	assert_int_equal(h.len, 35);
	/* the fixed bit means nothing in a VN packet */
	buf[0] = 0x80;
	assert_int_equal(tq_quic_hdr_parse(buf, 35, 0, &h), 0);
	/* a list cut inside a version */
	assert_int_equal(tq_quic_hdr_parse(buf, 34, 0, &h), -EBADMSG);
	assert_int_equal(tq_quic_vn_write(&w, cid, 1, cid, 1, versions, 0, 0),
			-EINVAL);
	all_prefixes(buf, 35, 0, 7 + 17 + 3);
}

static void
test_bad_long_headers(void **state)
{
	uint8_t pkt[1200] = { 0 }, b[1200];
	struct tq_quic_hdr h;
	size_t i;

	(void)state;
	tq_test_unhex(client_initial_hdr, pkt, sizeof(pkt));
	/* fixed bit clear */
	memcpy(b, pkt, sizeof(b));
	b[0] &= (uint8_t)~TQ_QUIC_HDR_FIXED;
	assert_int_equal(tq_quic_hdr_parse(b, sizeof(b), 0, &h), -EBADMSG);
	/* a v1 connection ID of 21 bytes (RFC 9000 17.2), each side: a
	 * Handshake packet that is valid with 20 */
	for (i = 0; i < 4; i++) {
		size_t dl = i == 0 ? 20 : i == 1 ? 21 : 0;
		size_t sl = i == 2 ? 20 : i == 3 ? 21 : 0;
		size_t k = 0;

		memset(b, 0, sizeof(b));
		memcpy(b, "\xe0\x00\x00\x00\x01", 5);
		k = 5;
		b[k++] = (uint8_t)dl;
		k += dl;
		b[k++] = (uint8_t)sl;
		k += sl;
		b[k++] = 2; /* Length: pn and one byte */
		k += 2;
		assert_int_equal(tq_quic_hdr_parse(b, k, 0, &h),
				dl > 20 || sl > 20 ? -EBADMSG : 0);
	}
	/* Length past the datagram: one byte short */
	assert_int_equal(tq_quic_hdr_parse(pkt, sizeof(pkt) - 1, 0, &h),
			-EBADMSG);
	/* Length 0 */
	memcpy(b, pkt, sizeof(b));
	b[16] = 0x40;
	b[17] = 0;
	assert_int_equal(tq_quic_hdr_parse(b, sizeof(b), 0, &h), -EBADMSG);
	/* a token longer than the packet */
	memcpy(b, pkt, sizeof(b));
	b[15] = 0x44;
	b[16] = 0xb0;
	assert_int_equal(tq_quic_hdr_parse(b, sizeof(b), 0, &h), -EBADMSG);
	/* an empty datagram */
	assert_int_equal(tq_quic_hdr_parse(pkt, 0, 0, &h), -EBADMSG);
}

/* Build a packet of type t, total len bytes, into buf: returns len. */
static size_t
mk(uint8_t *buf, enum tq_quic_pkt_type t, const uint8_t *dcid,
		size_t dcid_len, size_t len)
{
	struct tq_quic_hdr_pos pos;
	struct tq_quic_wr w;

	tq_quic_wr_init(&w, buf, len);
	if (t == TQ_QUIC_PKT_1RTT) {
		assert_int_equal(tq_quic_hdr_write_short(&w, buf, dcid,
				dcid_len, false, false, 1, 1, &pos), 0);
	} else {
		assert_int_equal(tq_quic_hdr_write_long(&w, buf, t,
				TQ_QUIC_VERSION_1, dcid, dcid_len, dcid, 4,
				NULL, 0, 1, 1, &pos), 0);
		assert_int_equal(tq_quic_hdr_set_length(buf, &pos, len), 0);
	}
	memset(w.pos, 0xab, tq_quic_wr_left(&w));
	return len;
}

static void
test_coalesced(void **state)
{
	static const uint8_t c1[8] = "conn-one", c2[8] = "conn-two";
	static const enum tq_quic_pkt_type want[] = { TQ_QUIC_PKT_INITIAL,
		TQ_QUIC_PKT_HANDSHAKE, TQ_QUIC_PKT_1RTT };
	static const size_t lens[] = { 300, 120, 60 };
	struct tq_quic_dgram_iter it;
	struct tq_quic_hdr h;
	uint8_t d[1200];
	size_t off = 0, i;

	(void)state;
	off += mk(d + off, TQ_QUIC_PKT_INITIAL, c1, 8, 300);
	off += mk(d + off, TQ_QUIC_PKT_0RTT, c2, 8, 80); /* another ID */
	off += mk(d + off, TQ_QUIC_PKT_HANDSHAKE, c1, 8, 120);
	off += mk(d + off, TQ_QUIC_PKT_1RTT, c1, 8, 60);
	tq_quic_dgram_iter_init(&it, d, off, 8);
	for (i = 0, off = 0; i < 3; i++) {
		assert_int_equal(tq_quic_dgram_next(&it, &h), 1);
		assert_int_equal(h.type, want[i]);
		assert_int_equal(h.len, lens[i]);
		assert_memory_equal(h.dcid, c1, 8);
		if (i == 1)
			off += 80;
		assert_ptr_equal(h.dcid, d + off + (i == 2 ? 1 : 6));
		off += lens[i];
	}
	assert_int_equal(tq_quic_dgram_next(&it, &h), 0);
	assert_int_equal(tq_quic_dgram_next(&it, &h), 0);
	assert_int_equal(it.skipped, 1);

	/* junk after a packet ends the walk with an error: the packets
	 * before it stand */
	off = mk(d, TQ_QUIC_PKT_INITIAL, c1, 8, 300);
	memset(d + off, 0, 100);
	tq_quic_dgram_iter_init(&it, d, off + 100, 8);
	assert_int_equal(tq_quic_dgram_next(&it, &h), 1);
	assert_int_equal(tq_quic_dgram_next(&it, &h), -EBADMSG);
	assert_int_equal(tq_quic_dgram_next(&it, &h), 0);
}

static void
test_builder_limits(void **state)
{
	static const uint8_t cid[21] = { 0 };
	uint8_t buf[64] = { 0 };
	struct tq_quic_hdr_pos pos;
	struct tq_quic_wr w;
	size_t cap;

	(void)state;
	tq_quic_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(tq_quic_hdr_write_long(&w, buf, TQ_QUIC_PKT_INITIAL,
			1, cid, 21, cid, 0, NULL, 0, 0, 1, &pos), -EINVAL);
	assert_int_equal(tq_quic_hdr_write_long(&w, buf, TQ_QUIC_PKT_INITIAL,
			1, cid, 8, cid, 0, NULL, 0, 0, 5, &pos), -EINVAL);
	assert_int_equal(tq_quic_hdr_write_long(&w, buf,
			TQ_QUIC_PKT_HANDSHAKE, 1, cid, 8, cid, 0, cid, 3, 0, 1,
			&pos), -EINVAL);
	assert_int_equal(tq_quic_hdr_write_long(&w, buf, TQ_QUIC_PKT_RETRY,
			1, cid, 8, cid, 0, NULL, 0, 0, 1, &pos), -EINVAL);
	assert_int_equal(tq_quic_hdr_write_short(&w, buf, cid, 21, 0, 0, 0, 1,
			&pos), -EINVAL);
	assert_ptr_equal(w.pos, buf);
	/* 7 + 8 + 4 + token length 1 + token 3 + Length 2 + pn 2 = 27 */
	for (cap = 0; cap < 27; cap++) {
		tq_quic_wr_init(&w, buf, cap);
		assert_int_equal(tq_quic_hdr_write_long(&w, buf,
				TQ_QUIC_PKT_INITIAL, 1, cid, 8, cid, 4, cid, 3,
				0, 2, &pos), -EMSGSIZE);
		assert_ptr_equal(w.pos, buf);
	}
	tq_quic_wr_init(&w, buf, cap);
	assert_int_equal(tq_quic_hdr_write_long(&w, buf, TQ_QUIC_PKT_INITIAL,
			1, cid, 8, cid, 4, cid, 3, 0, 2, &pos), 0);
	assert_int_equal(tq_quic_wr_left(&w), 0);
	for (cap = 0; cap < 1 + 8 + 3; cap++) {
		tq_quic_wr_init(&w, buf, cap);
		assert_int_equal(tq_quic_hdr_write_short(&w, buf, cid, 8, 0, 0,
				0, 3, &pos), -EMSGSIZE);
		assert_ptr_equal(w.pos, buf);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_client_initial),
		cmocka_unit_test(test_server_initial),
		cmocka_unit_test(test_retry),
		cmocka_unit_test(test_handshake_0rtt),
		cmocka_unit_test(test_short),
		cmocka_unit_test(test_version_negotiation),
		cmocka_unit_test(test_bad_long_headers),
		cmocka_unit_test(test_coalesced),
		cmocka_unit_test(test_builder_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
