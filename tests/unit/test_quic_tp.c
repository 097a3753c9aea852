/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QUIC transport parameters (engine/quic/tq_quic_tp.c): both roles
 * encoded and decoded, hand-written encodings, and every rule of RFC
 * 9000 7.3, 7.4 and 18.2 that makes a TRANSPORT_PARAMETER_ERROR.
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

#define TPE TQ_QUIC_TRANSPORT_PARAMETER_ERROR

static void
cid_eq(const struct tq_quic_cid *a, const struct tq_quic_cid *b)
{
	assert_int_equal(a->len, b->len);
	assert_memory_equal(a->id, b->id, a->len);
}

static void
tp_eq(const struct tq_quic_tp *a, const struct tq_quic_tp *b)
{
	const struct tq_quic_preferred_addr *pa = &a->preferred_address;
	const struct tq_quic_preferred_addr *pb = &b->preferred_address;

	assert_int_equal(a->has_original_dcid, b->has_original_dcid);
	assert_int_equal(a->has_stateless_reset_token,
			b->has_stateless_reset_token);
	assert_int_equal(a->has_preferred_address, b->has_preferred_address);
	assert_int_equal(a->has_initial_scid, b->has_initial_scid);
	assert_int_equal(a->has_retry_scid, b->has_retry_scid);
	assert_int_equal(a->disable_active_migration,
			b->disable_active_migration);
	if (a->has_original_dcid)
		cid_eq(&a->original_dcid, &b->original_dcid);
	if (a->has_initial_scid)
		cid_eq(&a->initial_scid, &b->initial_scid);
	if (a->has_retry_scid)
		cid_eq(&a->retry_scid, &b->retry_scid);
	if (a->has_stateless_reset_token)
		assert_memory_equal(a->stateless_reset_token,
				b->stateless_reset_token, 16);
	if (a->has_preferred_address) {
		assert_memory_equal(pa->ipv4, pb->ipv4, 4);
		assert_int_equal(pa->ipv4_port, pb->ipv4_port);
		assert_memory_equal(pa->ipv6, pb->ipv6, 16);
		assert_int_equal(pa->ipv6_port, pb->ipv6_port);
		cid_eq(&pa->cid, &pb->cid);
		assert_memory_equal(pa->reset_token, pb->reset_token, 16);
	}
	assert_true(a->max_idle_timeout == b->max_idle_timeout);
	assert_true(a->max_udp_payload_size == b->max_udp_payload_size);
	assert_true(a->initial_max_data == b->initial_max_data);
	assert_true(a->initial_max_stream_data_bidi_local ==
			b->initial_max_stream_data_bidi_local);
	assert_true(a->initial_max_stream_data_bidi_remote ==
			b->initial_max_stream_data_bidi_remote);
	assert_true(a->initial_max_stream_data_uni ==
			b->initial_max_stream_data_uni);
	assert_true(a->initial_max_streams_bidi == b->initial_max_streams_bidi);
	assert_true(a->initial_max_streams_uni == b->initial_max_streams_uni);
	assert_true(a->ack_delay_exponent == b->ack_delay_exponent);
	assert_true(a->max_ack_delay == b->max_ack_delay);
	assert_true(a->active_connection_id_limit ==
			b->active_connection_id_limit);
	assert_true(a->max_datagram_frame_size == b->max_datagram_frame_size);
}

static void
set_cid(struct tq_quic_cid *c, uint8_t len, uint8_t seed)
{
	uint8_t i;

	c->len = len;
	for (i = 0; i < len; i++)
		c->id[i] = (uint8_t)(seed + i);
}

/* Every parameter a server may send, none at its default. */
static void
server_params(struct tq_quic_tp *tp)
{
	struct tq_quic_preferred_addr *pa = &tp->preferred_address;

	tq_quic_tp_default(tp);
	tp->has_original_dcid = true;
	set_cid(&tp->original_dcid, 8, 0x83);
	tp->has_initial_scid = true;
	set_cid(&tp->initial_scid, 20, 0x10);
	tp->has_retry_scid = true;
	set_cid(&tp->retry_scid, 0, 0); /* zero-length IDs exist */
	tp->has_stateless_reset_token = true;
	memset(tp->stateless_reset_token, 0x5a, 16);
	tp->has_preferred_address = true;
	memcpy(pa->ipv4, "\x0a\x00\x00\x02", 4);
	pa->ipv4_port = 4433;
	memset(pa->ipv6, 0xfd, 16);
	pa->ipv6_port = 65535;
	set_cid(&pa->cid, 4, 0x40);
	memset(pa->reset_token, 0xa5, 16);
	tp->disable_active_migration = true;
	tp->max_idle_timeout = 30000;
	tp->max_udp_payload_size = 1472;
	tp->initial_max_data = UINT64_C(1) << 40;
	tp->initial_max_stream_data_bidi_local = 1u << 20;
	tp->initial_max_stream_data_bidi_remote = (1u << 20) + 1;
	tp->initial_max_stream_data_uni = 63;
	tp->initial_max_streams_bidi = TQ_QUIC_MAX_STREAMS;
	tp->initial_max_streams_uni = 3;
	tp->ack_delay_exponent = 20;
	tp->max_ack_delay = 16383;
	tp->active_connection_id_limit = 8;
	tp->max_datagram_frame_size = 65535;
}

static void
test_defaults(void **state)
{
	struct tq_quic_tp tp;
	uint8_t buf[16];
	size_t n = tq_test_unhex("0f 00", buf, sizeof(buf));

	(void)state;
	/* a client sending nothing but its (empty) initial SCID */
	assert_int_equal(tq_quic_tp_decode(buf, n, false, &tp),
			TQ_QUIC_NO_ERROR);
	assert_true(tp.has_initial_scid);
	assert_int_equal(tp.initial_scid.len, 0);
	assert_true(tp.max_udp_payload_size == 65527);
	assert_true(tp.ack_delay_exponent == 3);
	assert_true(tp.max_ack_delay == 25);
	assert_true(tp.active_connection_id_limit == 2);
	assert_true(tp.max_idle_timeout == 0);
	assert_true(tp.initial_max_data == 0);
	assert_true(tp.initial_max_streams_bidi == 0);
	assert_true(tp.max_datagram_frame_size == 0);
	assert_false(tp.disable_active_migration);
	assert_false(tp.has_original_dcid || tp.has_retry_scid ||
			tp.has_preferred_address ||
			tp.has_stateless_reset_token);
	/* only the defaults but the ID: encodes to that ID alone */
	tp.has_initial_scid = true;
	assert_int_equal(tq_quic_tp_encode(&tp, false, buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "\x0f\x00", 2);
}

static void
test_round_trip(void **state)
{
	struct tq_quic_tp a, b;
	uint8_t buf[512];
	int n, k;

	(void)state;
	server_params(&a);
	n = tq_quic_tp_encode(&a, true, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(tq_quic_tp_decode(buf, (size_t)n, true, &b),
			TQ_QUIC_NO_ERROR);
	tp_eq(&a, &b);
	/* too small a buffer, at every size */
	for (k = 0; k < n; k++)
		assert_int_equal(tq_quic_tp_encode(&a, true, buf, (size_t)k),
				-EMSGSIZE);
	/* as a client: the server-only ones may not be sent */
	assert_int_equal(tq_quic_tp_encode(&a, false, buf, sizeof(buf)),
			-EINVAL);
	a.has_original_dcid = a.has_retry_scid = false;
	a.has_stateless_reset_token = a.has_preferred_address = false;
	n = tq_quic_tp_encode(&a, false, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(tq_quic_tp_decode(buf, (size_t)n, false, &b),
			TQ_QUIC_NO_ERROR);
	tp_eq(&a, &b);
}

/* Every prefix of a valid encoding, from a buffer of exactly its size:
 * an error or a shorter valid list, never a read past the end. */
static void
test_prefixes(void **state)
{
	struct tq_quic_tp a, b;
	uint8_t buf[512];
	int n, k, need;

	(void)state;
	/* parameters go in id order: without those after the initial
	 * SCID (0x0f), the list ends where that one does */
	server_params(&a);
	a.has_retry_scid = false;
	a.max_datagram_frame_size = 0;
	need = tq_quic_tp_encode(&a, true, buf, sizeof(buf));
	server_params(&a);
	n = tq_quic_tp_encode(&a, true, buf, sizeof(buf));
	assert_true(need > 0 && n > need);
	for (k = 0; k < n; k++) {
		uint8_t *p = malloc(k ? (size_t)k : 1);
		enum tq_quic_err e;

		assert_non_null(p);
		memcpy(p, buf, (size_t)k);
		e = tq_quic_tp_decode(p, (size_t)k, true, &b);
		if (k < need || e != TQ_QUIC_NO_ERROR)
			assert_int_equal(e, TPE);
		free(p);
	}
}

/* Written by hand from RFC 9000 18: ids, lengths, values. */
static void
test_wire_bytes(void **state)
{
	struct tq_quic_tp tp;
	uint8_t buf[256];
	size_t n;

	(void)state;
	n = tq_test_unhex("01 04 80007530"	   /* max_idle_timeout 30000 */
		"03 02 45c0"		   /* max_udp_payload_size 1472 */
		"04 04 80100000"	   /* initial_max_data 1 MiB */
		"08 01 10"		   /* initial_max_streams_bidi 16 */
		"0c 00"		   /* disable_active_migration */
		"1b 03 abcdef"	   /* reserved 31 * 0 + 27 */
		"1b 00"		   /* again: no duplicate to refuse */
		"0f 04 01020304"	   /* initial_source_connection_id */
		"40 59 00"		   /* reserved 31 * 2 + 27 */
		"80007933 02 0000"	   /* reserved 31 * 1000 + 27 */
		"20 02 4200"		   /* max_datagram_frame_size 512 */
		"4040 00"		   /* unknown */
		"4040 01 00"		   /* unknown, twice */
		  , buf, sizeof(buf));
	assert_int_equal(tq_quic_tp_decode(buf, n, false, &tp),
			TQ_QUIC_NO_ERROR);
	assert_true(tp.max_idle_timeout == 30000);
	assert_true(tp.max_udp_payload_size == 1472);
	assert_true(tp.initial_max_data == 1u << 20);
	assert_true(tp.initial_max_streams_bidi == 16);
	assert_true(tp.disable_active_migration);
	assert_int_equal(tp.initial_scid.len, 4);
	assert_memory_equal(tp.initial_scid.id, "\x01\x02\x03\x04", 4);
	assert_true(tp.max_datagram_frame_size == 512);
	/* a server's: original DCID, reset token, preferred address */
	n = tq_test_unhex("00 08 8394c8f03e515708"
		"0f 00"
		"02 10 000102030405060708090a0b0c0d0e0f"
		"0d 2e 0a000002 115c fd000000000000000000000000000001 115d"
		"   05 0102030405 a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
		buf, sizeof(buf));
	assert_int_equal(tq_quic_tp_decode(buf, n, true, &tp),
			TQ_QUIC_NO_ERROR);
	assert_int_equal(tp.original_dcid.len, 8);
	assert_true(tp.has_stateless_reset_token);
	assert_int_equal(tp.stateless_reset_token[15], 0x0f);
	assert_true(tp.has_preferred_address);
	assert_int_equal(tp.preferred_address.ipv4_port, 4444);
	assert_int_equal(tp.preferred_address.ipv6_port, 4445);
	assert_int_equal(tp.preferred_address.ipv6[15], 1);
	assert_int_equal(tp.preferred_address.cid.len, 5);
	assert_int_equal(tp.preferred_address.reset_token[0], 0xa0);
	/* the same from a client is refused */
	assert_int_equal(tq_quic_tp_decode(buf, n, false, &tp), TPE);
}

/* Each must be a TRANSPORT_PARAMETER_ERROR; "0f 00" keeps the initial
 * SCID present so the rule under test is the only one broken. */
static void
test_validation(void **state)
{
	static const struct {
		const char *hex;
		bool server; /* decoded as the server's parameters */
		const char *why;
	} bad[] = {
		{ "0f 00 01 01 05 01 01 06", false, "duplicate" },
		{ "0f 00 20 01 05 20 01 05", false, "duplicate 0x20" },
		{ "0f 00 0f 00", false, "duplicate initial SCID" },
		{ "0f 00 03 02 44af", false, "max_udp_payload_size 1199" },
		{ "0f 00 0a 01 15", false, "ack_delay_exponent 21" },
		{ "0f 00 0b 04 80004000", false, "max_ack_delay 2^14" },
		{ "0f 00 0e 01 01", false, "active_connection_id_limit 1" },
		{ "0f 00 0e 01 00", false, "active_connection_id_limit 0" },
		{ "0f 00 08 08 d000000000000001", false, "streams bidi" },
		{ "0f 00 09 08 d000000000000001", false, "streams uni" },
		{ "0f 00 00 00", false, "original DCID from a client" },
		{ "0f 00 02 10 000102030405060708090a0b0c0d0e0f", false,
		  "reset token from a client" },
		{ "0f 00 10 00", false, "retry SCID from a client" },
		{ "0f 00 0d 2a 0a000002 115c fd000000000000000000000000000001"
		  " 115d 01 aa a0a1a2a3a4a5a6a7a8a9aaabacadaeaf", false,
		  "preferred address from a client" },
		{ "0f 00 01 02 05 00", false, "varint shorter than its param" },
		{ "0f 00 01 01 40", false, "varint longer than its param" },
		{ "0f 00 01 00", false, "empty varint param" },
		{ "0f 00 0c 01 00", false, "disable_active_migration 1 byte" },
		{ "0f 15 000102030405060708090a0b0c0d0e0f1011121314", false,
		  "21-byte initial SCID" },
		{ "00 00 0f 00 02 0f 000102030405060708090a0b0c0d0e", true,
		  "15-byte reset token" },
		{ "00 00 0f 00 02 11 000102030405060708090a0b0c0d0e0f10", true,
		  "17-byte reset token" },
		{ "00 00 0f 00 0d 29 0a000002 115c fd00000000000000000000000000"
		  "0001 115d 00 a0a1a2a3a4a5a6a7a8a9aaabacadaeaf", true,
		  "preferred address with an empty ID" },
		{ "00 00 0f 00 0d 2b 0a000002 115c fd00000000000000000000000000"
		  "0001 115d 01 aa a0a1a2a3a4a5a6a7a8a9aaabacadaeaf 00", true,
		  "preferred address one byte long" },
		{ "00 00 0f 00 0d 29 0a000002 115c fd00000000000000000000000000"
		  "0001 115d 01 aa a0a1a2a3a4a5a6a7a8a9aaabacadae", true,
		  "preferred address one byte short" },
		{ "0f 00 01 05 00", false, "length past the end" },
		{ "0f 00 40", false, "id cut" },
		{ "0f 00 01", false, "length missing" },
		{ "", false, "no initial SCID (client)" },
		{ "0f 00", true, "no original DCID (server)" },
		{ "00 00", true, "no initial SCID (server)" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tq_quic_tp tp;
		uint8_t buf[256];
		size_t n = tq_test_unhex(bad[i].hex, buf, sizeof(buf));

		print_message("%s\n", bad[i].why);
		assert_int_equal(tq_quic_tp_decode(buf, n, bad[i].server, &tp),
				TPE);
	}
}

/* The edges the rules allow, so the rules above are the ones failing. */
static void
test_validation_edges(void **state)
{
	static const char *const ok[] = {
		"0f 00 03 02 44b0",	       /* max_udp_payload_size 1200 */
		"0f 00 0a 01 14",	       /* ack_delay_exponent 20 */
		"0f 00 0b 02 7fff",	       /* max_ack_delay 16383 */
		"0f 00 0e 01 02",	       /* active_connection_id_limit */
		"0f 00 08 08 d000000000000000", /* 2^60 streams */
		"0f 14 000102030405060708090a0b0c0d0e0f10111213",
		"0f 00 01 08 c000000000000005", /* long varint, exact */
	};
	static const char *const ok_server[] = {
		"00 00 0f 00 02 10 000102030405060708090a0b0c0d0e0f",
		"00 14 000102030405060708090a0b0c0d0e0f10111213 0f 00",
		"00 00 0f 00 0d 3d 0a000002 115c"
		" fd000000000000000000000000000001"
		" 115d 14 000102030405060708090a0b0c0d0e0f10111213"
		" a0a1a2a3a4a5a6a7a8a9aaabacadaeaf 10 00",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct tq_quic_tp tp;
		uint8_t buf[256];
		size_t n = tq_test_unhex(ok[i], buf, sizeof(buf));

		assert_int_equal(tq_quic_tp_decode(buf, n, false, &tp),
				TQ_QUIC_NO_ERROR);
	}
	for (i = 0; i < sizeof(ok_server) / sizeof(ok_server[0]); i++) {
		struct tq_quic_tp tp;
		uint8_t buf[256];
		size_t n = tq_test_unhex(ok_server[i], buf, sizeof(buf));

		assert_int_equal(tq_quic_tp_decode(buf, n, true, &tp),
				TQ_QUIC_NO_ERROR);
	}
}

/* The encoder refuses what the peer would refuse. */
static void
test_encode_invalid(void **state)
{
	struct tq_quic_tp tp;
	uint8_t buf[512];

	(void)state;
	server_params(&tp);
	tp.max_udp_payload_size = 1199;
	assert_int_equal(tq_quic_tp_encode(&tp, true, buf, sizeof(buf)),
			-EINVAL);
	server_params(&tp);
	tp.ack_delay_exponent = 21;
	assert_int_equal(tq_quic_tp_encode(&tp, true, buf, sizeof(buf)),
			-EINVAL);
	server_params(&tp);
	tp.max_ack_delay = 1u << 14;
	assert_int_equal(tq_quic_tp_encode(&tp, true, buf, sizeof(buf)),
			-EINVAL);
	server_params(&tp);
	tp.active_connection_id_limit = 1;
	assert_int_equal(tq_quic_tp_encode(&tp, true, buf, sizeof(buf)),
			-EINVAL);
	server_params(&tp);
	tp.initial_max_streams_uni = TQ_QUIC_MAX_STREAMS + 1;
	assert_int_equal(tq_quic_tp_encode(&tp, true, buf, sizeof(buf)),
			-EINVAL);
	server_params(&tp);
	tp.preferred_address.cid.len = 0;
	assert_int_equal(tq_quic_tp_encode(&tp, true, buf, sizeof(buf)),
			-EINVAL);
	server_params(&tp);
	tp.initial_scid.len = 21;
	assert_int_equal(tq_quic_tp_encode(&tp, true, buf, sizeof(buf)),
			-EINVAL);
	server_params(&tp);
	tp.initial_max_data = TQ_QUIC_VARINT_MAX + 1;
	assert_int_equal(tq_quic_tp_encode(&tp, true, buf, sizeof(buf)),
			-EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_wire_bytes),
		cmocka_unit_test(test_validation),
		cmocka_unit_test(test_validation_edges),
		cmocka_unit_test(test_encode_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
