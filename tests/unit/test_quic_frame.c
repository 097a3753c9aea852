/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QUIC frames (engine/quic/tq_quic_frame.c): every type encoded, decoded
 * and compared; wire bytes written by hand; each validation rule of RFC
 * 9000 19 and the packet-type table of 12.4; every prefix of every
 * encoding decoded from a buffer of exactly that size.
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

#include "quic/tq_quic_wire.h"
#include "tq_test.h"

#define FEE TQ_QUIC_FRAME_ENCODING_ERROR
#define PV TQ_QUIC_PROTOCOL_VIOLATION

/* ---- a frame as text, to compare decoded frames whole ---- */

struct txt {
	char s[4096];
	size_t n;
};

static void __attribute__((format(printf, 2, 3)))
put(struct txt *t, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(t->s + t->n, sizeof(t->s) - t->n, fmt, ap);
	va_end(ap);
	assert_true(k >= 0 && (size_t)k < sizeof(t->s) - t->n);
	t->n += (size_t)k;
}

static void
put_hex(struct txt *t, const uint8_t *p, size_t n)
{
	size_t i;

	put(t, "[");
	for (i = 0; i < n; i++)
		put(t, "%02x", p[i]);
	put(t, "]");
}

#define U(x) ((unsigned long long)(x))

static void
describe(struct txt *t, const struct tq_quic_frame *f)
{
	struct tq_quic_ack_iter it;
	struct tq_quic_ack_range r;

	t->n = 0;
	t->s[0] = 0;
	put(t, "%s/%llx", tq_quic_frame_name(f->type), U(f->type));
	if (TQ_QUIC_FT_IS_STREAM(f->type)) {
		put(t, " id=%llu off=%llu fin=%d", U(f->stream.id),
				U(f->stream.offset), f->stream.fin);
		put_hex(t, f->stream.data, f->stream.len);
		return;
	}
	switch (f->type) {
	case TQ_QUIC_FT_PADDING:
		put(t, " %zu", f->padding.len);
		break;
	case TQ_QUIC_FT_ACK:
	case TQ_QUIC_FT_ACK_ECN:
		put(t, " delay=%llu", U(f->ack.delay));
		tq_quic_ack_iter_init(&it, &f->ack);
		while (tq_quic_ack_iter_next(&it, &r))
			put(t, " %llu-%llu", U(r.smallest), U(r.largest));
		if (f->ack.ecn)
			put(t, " ecn=%llu,%llu,%llu", U(f->ack.counts.ect0),
					U(f->ack.counts.ect1),
					U(f->ack.counts.ce));
		break;
	case TQ_QUIC_FT_RESET_STREAM:
		put(t, " %llu %llu %llu", U(f->reset_stream.id),
				U(f->reset_stream.app_err),
				U(f->reset_stream.final_size));
		break;
	case TQ_QUIC_FT_STOP_SENDING:
		put(t, " %llu %llu", U(f->stop_sending.id),
				U(f->stop_sending.app_err));
		break;
	case TQ_QUIC_FT_CRYPTO:
		put(t, " off=%llu", U(f->crypto.offset));
		put_hex(t, f->crypto.data, f->crypto.len);
		break;
	case TQ_QUIC_FT_NEW_TOKEN:
		put_hex(t, f->new_token.token, f->new_token.len);
		break;
	case TQ_QUIC_FT_MAX_DATA:
	case TQ_QUIC_FT_MAX_STREAMS_BIDI:
	case TQ_QUIC_FT_MAX_STREAMS_UNI:
		put(t, " %llu", U(f->max_data.max));
		break;
	case TQ_QUIC_FT_MAX_STREAM_DATA:
		put(t, " %llu %llu", U(f->max_stream_data.id),
				U(f->max_stream_data.max));
		break;
	case TQ_QUIC_FT_DATA_BLOCKED:
	case TQ_QUIC_FT_STREAMS_BLOCKED_BIDI:
	case TQ_QUIC_FT_STREAMS_BLOCKED_UNI:
		put(t, " %llu", U(f->blocked.limit));
		break;
	case TQ_QUIC_FT_STREAM_DATA_BLOCKED:
		put(t, " %llu %llu", U(f->stream_data_blocked.id),
				U(f->stream_data_blocked.limit));
		break;
	case TQ_QUIC_FT_NEW_CONNECTION_ID:
		put(t, " %llu %llu", U(f->new_cid.seq),
				U(f->new_cid.retire_prior_to));
		put_hex(t, f->new_cid.cid, f->new_cid.cid_len);
		put_hex(t, f->new_cid.reset_token, 16);
		break;
	case TQ_QUIC_FT_RETIRE_CONNECTION_ID:
		put(t, " %llu", U(f->retire_cid.seq));
		break;
	case TQ_QUIC_FT_PATH_CHALLENGE:
	case TQ_QUIC_FT_PATH_RESPONSE:
		put_hex(t, f->path.data, 8);
		break;
	case TQ_QUIC_FT_CONNECTION_CLOSE:
	case TQ_QUIC_FT_CONNECTION_CLOSE_APP:
		put(t, " %llu %llu", U(f->close.error),
				U(f->close.frame_type));
		put_hex(t, f->close.reason, f->close.reason_len);
		break;
	case TQ_QUIC_FT_DATAGRAM:
	case TQ_QUIC_FT_DATAGRAM_LEN:
		put_hex(t, f->datagram.data, f->datagram.len);
		break;
	}
}

/* Decode exactly one frame from p[0, n) in a packet of type pkt. */
static enum tq_quic_err
dec1(const uint8_t *p, size_t n, enum tq_quic_pkt_type pkt,
		struct tq_quic_frame *f, size_t *used)
{
	struct tq_quic_rd r;
	enum tq_quic_err e;

	tq_quic_rd_init(&r, p, n);
	e = tq_quic_frame_decode(&r, pkt, f);
	if (e == TQ_QUIC_NO_ERROR) {
		assert_true(r.pos <= r.end);
		*used = (size_t)(r.pos - p);
	}
	return e;
}

/* ---- the sample frames: one or more of every type ---- */

static const uint8_t data[300] = "0123456789abcdefghijklmnopqrstuvwxyz";
static const uint8_t cid20[20] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
	13, 14, 15, 16, 17, 18, 19, 20 };
static const uint8_t token16[16] = { 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5,
	0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf };
/* gap 1, length 3; gap 0, length 0: ranges below [14, 16]: [8, 11], [6] */
static const uint8_t ack_pairs[] = { 0x01, 0x03, 0x00, 0x00 };

static size_t
samples(struct tq_quic_frame *f)
{
	size_t n = 0;
	unsigned int v;

	memset(f, 0, 64 * sizeof(*f));
	f[n].type = TQ_QUIC_FT_PADDING;
	f[n++].padding.len = 1;
	f[n].type = TQ_QUIC_FT_PADDING;
	f[n++].padding.len = 37;
	f[n++].type = TQ_QUIC_FT_PING;
	f[n].type = TQ_QUIC_FT_ACK;
	f[n].ack.largest = 16;
	f[n].ack.delay = 1000;
	f[n].ack.first_range = 2;
	f[n].ack.range_count = 2;
	f[n].ack.ranges = ack_pairs;
	f[n++].ack.ranges_len = sizeof(ack_pairs);
	f[n].type = TQ_QUIC_FT_ACK;
	f[n].ack.largest = TQ_QUIC_PN_MAX;
	f[n++].ack.first_range = TQ_QUIC_PN_MAX;
	f[n].type = TQ_QUIC_FT_ACK_ECN;
	f[n].ack.largest = 0x1234567;
	f[n].ack.ecn = true;
	f[n].ack.counts.ect0 = 5;
	f[n].ack.counts.ect1 = 70000;
	f[n++].ack.counts.ce = 1;
	f[n].type = TQ_QUIC_FT_RESET_STREAM;
	f[n].reset_stream.id = 4;
	f[n].reset_stream.app_err = 0x101;
	f[n++].reset_stream.final_size = 1u << 20;
	f[n].type = TQ_QUIC_FT_STOP_SENDING;
	f[n].stop_sending.id = TQ_QUIC_VARINT_MAX;
	f[n++].stop_sending.app_err = 0;
	f[n].type = TQ_QUIC_FT_CRYPTO;
	f[n].crypto.offset = 0;
	f[n].crypto.data = data;
	f[n++].crypto.len = 300;
	f[n].type = TQ_QUIC_FT_CRYPTO;
	f[n].crypto.offset = TQ_QUIC_VARINT_MAX - 10;
	f[n].crypto.data = data;
	f[n++].crypto.len = 10;
	f[n].type = TQ_QUIC_FT_NEW_TOKEN;
	f[n].new_token.token = data;
	f[n++].new_token.len = 20;
	for (v = 0; v < 8; v++) {
		f[n].type = TQ_QUIC_FT_STREAM | v;
		f[n].stream.id = 8 + v;
		f[n].stream.offset = v & TQ_QUIC_STREAM_OFF ? 77777 : 0;
		f[n].stream.data = data + v;
		f[n].stream.len = 20 + v;
		f[n++].stream.fin = v & TQ_QUIC_STREAM_FIN;
	}
	f[n].type = TQ_QUIC_FT_STREAM | TQ_QUIC_STREAM_LEN |
		TQ_QUIC_STREAM_FIN;
	f[n].stream.id = 0;
	f[n++].stream.fin = true; /* no data, only the end */
	f[n].type = TQ_QUIC_FT_MAX_DATA;
	f[n++].max_data.max = 1u << 30;
	f[n].type = TQ_QUIC_FT_MAX_STREAM_DATA;
	f[n].max_stream_data.id = 3;
	f[n++].max_stream_data.max = 65535;
	f[n].type = TQ_QUIC_FT_MAX_STREAMS_BIDI;
	f[n++].max_data.max = TQ_QUIC_MAX_STREAMS;
	f[n].type = TQ_QUIC_FT_MAX_STREAMS_UNI;
	f[n++].max_data.max = 3;
	f[n].type = TQ_QUIC_FT_DATA_BLOCKED;
	f[n++].blocked.limit = 99;
	f[n].type = TQ_QUIC_FT_STREAM_DATA_BLOCKED;
	f[n].stream_data_blocked.id = 2;
	f[n++].stream_data_blocked.limit = 16384;
	f[n].type = TQ_QUIC_FT_STREAMS_BLOCKED_BIDI;
	f[n++].blocked.limit = 100;
	f[n].type = TQ_QUIC_FT_STREAMS_BLOCKED_UNI;
	f[n++].blocked.limit = TQ_QUIC_MAX_STREAMS;
	f[n].type = TQ_QUIC_FT_NEW_CONNECTION_ID;
	f[n].new_cid.seq = 7;
	f[n].new_cid.retire_prior_to = 7;
	f[n].new_cid.cid = cid20;
	f[n].new_cid.cid_len = 20;
	f[n++].new_cid.reset_token = token16;
	f[n].type = TQ_QUIC_FT_NEW_CONNECTION_ID;
	f[n].new_cid.seq = 1;
	f[n].new_cid.cid = cid20;
	f[n].new_cid.cid_len = 1;
	f[n++].new_cid.reset_token = token16;
	f[n].type = TQ_QUIC_FT_RETIRE_CONNECTION_ID;
	f[n++].retire_cid.seq = 12;
	f[n].type = TQ_QUIC_FT_PATH_CHALLENGE;
	memcpy(f[n++].path.data, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	f[n].type = TQ_QUIC_FT_PATH_RESPONSE;
	memcpy(f[n++].path.data, "\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8", 8);
	f[n].type = TQ_QUIC_FT_CONNECTION_CLOSE;
	f[n].close.error = TQ_QUIC_CRYPTO_ERROR_ALERT(40);
	f[n].close.frame_type = TQ_QUIC_FT_CRYPTO;
	f[n].close.reason = (const uint8_t *)"handshake failure";
	f[n++].close.reason_len = 17;
	f[n].type = TQ_QUIC_FT_CONNECTION_CLOSE_APP;
	f[n].close.error = 0x100;
	f[n].close.reason = NULL;
	f[n++].close.reason_len = 0;
	f[n++].type = TQ_QUIC_FT_HANDSHAKE_DONE;
	f[n].type = TQ_QUIC_FT_DATAGRAM;
	f[n].datagram.data = data;
	f[n++].datagram.len = 50;
	f[n].type = TQ_QUIC_FT_DATAGRAM_LEN;
	f[n].datagram.data = data;
	f[n++].datagram.len = 0;
	assert_true(n <= 64);
	return n;
}

/* Frames whose last field runs to the end of the packet: a prefix of
 * their encoding may be a shorter valid frame. */
static bool
runs_to_end(uint64_t t)
{
	return t == TQ_QUIC_FT_PADDING || t == TQ_QUIC_FT_DATAGRAM ||
		(TQ_QUIC_FT_IS_STREAM(t) && !(t & TQ_QUIC_STREAM_LEN));
}

static void
test_round_trip_all_types(void **state)
{
	struct tq_quic_frame f[64], g;
	bool seen[0x32] = { false };
	struct txt a, b;
	uint8_t buf[512], again[512];
	size_t n = samples(f), i, used, k;

	(void)state;
	for (i = 0; i < n; i++) {
		struct tq_quic_wr w;
		int len;

		tq_quic_wr_init(&w, buf, sizeof(buf));
		len = tq_quic_frame_encode(&w, &f[i]);
		assert_true(len > 0);
		assert_int_equal(w.pos - buf, len);
		assert_int_equal(dec1(buf, (size_t)len, TQ_QUIC_PKT_1RTT, &g,
				&used), TQ_QUIC_NO_ERROR);
		assert_int_equal(used, len);
		describe(&a, &f[i]);
		describe(&b, &g);
		assert_string_equal(a.s, b.s);
		seen[f[i].type] = true;
		/* the decoded frame encodes to the same bytes */
		tq_quic_wr_init(&w, again, sizeof(again));
		assert_int_equal(tq_quic_frame_encode(&w, &g), len);
		assert_memory_equal(again, buf, (size_t)len);
		/* no room: nothing written */
		for (k = 0; k < (size_t)len; k++) {
			tq_quic_wr_init(&w, again, k);
			assert_int_equal(tq_quic_frame_encode(&w, &f[i]),
					-EMSGSIZE);
			assert_ptr_equal(w.pos, again);
		}
		/* every prefix, from a buffer of exactly its size */
		for (k = 0; k < (size_t)len; k++) {
			uint8_t *p = malloc(k ? k : 1);
			enum tq_quic_err e;

			assert_non_null(p);
			memcpy(p, buf, k);
			e = dec1(p, k, TQ_QUIC_PKT_1RTT, &g, &used);
			if (!runs_to_end(f[i].type) || e != TQ_QUIC_NO_ERROR)
				assert_int_equal(e, FEE);
			else
				assert_true(used <= k);
			free(p);
		}
	}
	for (i = 0; i < 0x1f; i++)
		assert_true(seen[i]);
	assert_true(seen[0x30] && seen[0x31]);
}

/* Frames written byte by byte from RFC 9000 19, read back. */
static void
test_wire_bytes(void **state)
{
	static const struct {
		const char *hex;
		const char *want;
	} v[] = {
		{ "02 10 4064 02 02 0103 0000",
		  "ACK/2 delay=100 14-16 8-11 6-6" },
		{ "03 05 00 00 00 01 02 03",
		  "ACK_ECN/3 delay=0 5-5 ecn=1,2,3" },
		{ "0f 04 05 03 616263", "STREAM/f id=4 off=5 fin=1[616263]" },
		{ "08 04 6162", "STREAM/8 id=4 off=0 fin=0[6162]" },
		{ "0b 4004 01 61", "STREAM/b id=4 off=0 fin=1[61]" },
		{ "06 00 03 616263", "CRYPTO/6 off=0[616263]" },
		{ "1c 07 06 00", "CONNECTION_CLOSE/1c 7 6[]" },
		{ "1d 4101 02 6f6b", "CONNECTION_CLOSE_APP/1d 257 0[6f6b]" },
		{ "18 02 01 04 0a0b0c0d 000102030405060708090a0b0c0d0e0f",
		  "NEW_CONNECTION_ID/18 2 1[0a0b0c0d]"
		  "[000102030405060708090a0b0c0d0e0f]" },
		{ "12 c000000000000001", "MAX_STREAMS_BIDI/12 1" },
		{ "31 02 6869", "DATAGRAM/31[6869]" },
		{ "30 6869", "DATAGRAM/30[6869]" },
		{ "1e", "HANDSHAKE_DONE/1e" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct tq_quic_frame f;
		uint8_t buf[64];
		size_t n = tq_test_unhex(v[i].hex, buf, sizeof(buf)), used;
		struct txt t;

		assert_int_equal(dec1(buf, n, TQ_QUIC_PKT_1RTT, &f, &used),
				TQ_QUIC_NO_ERROR);
		assert_int_equal(used, n);
		describe(&t, &f);
		assert_string_equal(t.s, v[i].want);
	}
}

static void
test_padding_run(void **state)
{
	uint8_t buf[1000] = { 0 };
	struct tq_quic_frame f;
	struct tq_quic_rd r;

	(void)state;
	buf[700] = TQ_QUIC_FT_PING;
	tq_quic_rd_init(&r, buf, sizeof(buf));
	assert_int_equal(tq_quic_frame_decode(&r, TQ_QUIC_PKT_INITIAL, &f),
			TQ_QUIC_NO_ERROR);
	assert_int_equal(f.type, TQ_QUIC_FT_PADDING);
	assert_int_equal(f.padding.len, 700);
	assert_int_equal(tq_quic_frame_decode(&r, TQ_QUIC_PKT_INITIAL, &f),
			TQ_QUIC_NO_ERROR);
	assert_int_equal(f.type, TQ_QUIC_FT_PING);
	assert_int_equal(tq_quic_frame_decode(&r, TQ_QUIC_PKT_INITIAL, &f),
			TQ_QUIC_NO_ERROR);
	assert_int_equal(f.padding.len, 299);
	assert_int_equal(tq_quic_rd_left(&r), 0);
	/* nothing left is not a frame */
	assert_int_equal(tq_quic_frame_decode(&r, TQ_QUIC_PKT_INITIAL, &f),
			FEE);
}

/*
 * RFC 9000 12.4 Table 3, written out again rather than taken from the
 * code: Initial and Handshake carry PADDING, PING, ACK, CRYPTO and
 * CONNECTION_CLOSE 0x1c; 0-RTT carries everything but ACK, CRYPTO,
 * HANDSHAKE_DONE, NEW_TOKEN, PATH_RESPONSE, RETIRE_CONNECTION_ID (17.2.3).
 */
static bool
rfc_allows(uint64_t t, enum tq_quic_pkt_type pkt)
{
	switch (pkt) {
	case TQ_QUIC_PKT_INITIAL:
	case TQ_QUIC_PKT_HANDSHAKE:
		return t == 0x00 || t == 0x01 || t == 0x02 || t == 0x03 ||
			t == 0x06 || t == 0x1c;
	case TQ_QUIC_PKT_0RTT:
		return !(t == 0x02 || t == 0x03 || t == 0x06 || t == 0x1e ||
			t == 0x07 || t == 0x1b || t == 0x19);
	case TQ_QUIC_PKT_1RTT:
		return true;
	default:
		return false;
	}
}

static void
test_packet_types(void **state)
{
	static const enum tq_quic_pkt_type pkts[] = { TQ_QUIC_PKT_INITIAL,
		TQ_QUIC_PKT_0RTT, TQ_QUIC_PKT_HANDSHAKE, TQ_QUIC_PKT_1RTT };
	struct tq_quic_frame f[64], g;
	uint8_t buf[512];
	size_t n = samples(f), i, j, used;

	(void)state;
	for (i = 0; i < n; i++) {
		struct tq_quic_wr w;
		int len;

		tq_quic_wr_init(&w, buf, sizeof(buf));
		len = tq_quic_frame_encode(&w, &f[i]);
		assert_true(len > 0);
		for (j = 0; j < 4; j++) {
			bool ok = rfc_allows(f[i].type, pkts[j]);

			assert_int_equal(tq_quic_frame_allowed(f[i].type,
					pkts[j]), ok);
			assert_int_equal(dec1(buf, (size_t)len, pkts[j], &g,
					&used), ok ? TQ_QUIC_NO_ERROR : PV);
			assert_true(g.type == f[i].type);
		}
		/* Retry and VN packets carry no frames */
		assert_int_equal(dec1(buf, (size_t)len, TQ_QUIC_PKT_RETRY, &g,
				&used), PV);
		assert_int_equal(dec1(buf, (size_t)len, TQ_QUIC_PKT_VN, &g,
				&used), PV);
	}
}

/* Each rule of RFC 9000 19 (and 12.4) with the error it must give. */
static void
test_validation(void **state)
{
	static const struct {
		const char *hex;
		enum tq_quic_err err;
		uint64_t type; /* what f->type must say */
	} v[] = {
		/* unknown types, short and long */
		{ "1f", FEE, 0x1f },
		{ "20", FEE, 0x20 },
		{ "2f", FEE, 0x2f },
		{ "32", FEE, 0x32 },
		{ "4100", FEE, 0x100 },
		{ "80ffffff", FEE, 0xffffff },
		/* 12.4: a type in a longer encoding than it needs */
		{ "4001", PV, 0x01 },
		{ "80000006 00 01 61", PV, 0x06 },
		/* a type cut short */
		{ "40", FEE, 0 },
		/* 19.8: offset + length past 2^62 - 1 */
		{ "0e 00 ffffffffffffffff 01 61", FEE, 0x0e },
		{ "0c 00 ffffffffffffffff 61", FEE, 0x0c },
		/* 19.6: the same for CRYPTO */
		{ "06 fffffffffffffffe 02 6162", FEE, 0x06 },
		/* lengths past the end of the packet */
		{ "0a 00 05 6162", FEE, 0x0a },
		{ "06 00 05 6162", FEE, 0x06 },
		{ "07 05 6162", FEE, 0x07 },
		{ "1c 00 00 03 6162", FEE, 0x1c },
		{ "1d 00 03 6162", FEE, 0x1d },
		{ "31 03 6162", FEE, 0x31 },
		/* 19.7: an empty token */
		{ "07 00", FEE, 0x07 },
		/* 19.11, 19.14: more than 2^60 streams */
		{ "12 d000000000000001", FEE, 0x12 },
		{ "13 d000000000000001", FEE, 0x13 },
		{ "16 d000000000000001", FEE, 0x16 },
		{ "17 d000000000000001", FEE, 0x17 },
		/* 19.15: connection ID of 0 or 21 bytes, retire > seq */
		{ "18 01 00 00 000102030405060708090a0b0c0d0e0f", FEE, 0x18 },
		{ "18 01 00 15 000102030405060708090a0b0c0d0e0f101112131415"
		  "000102030405060708090a0b0c0d0e0f", FEE, 0x18 },
		{ "18 01 02 01 aa 000102030405060708090a0b0c0d0e0f", FEE,
		  0x18 },
		/* a reset token one byte short */
		{ "18 01 00 01 aa 000102030405060708090a0b0c0d0e", FEE, 0x18 },
		/* 19.3.1: first range past largest; ranges below 0 */
		{ "02 05 00 00 06", FEE, 0x02 },
		{ "02 05 00 01 02 01 01", FEE, 0x02 },
		{ "02 05 00 01 02 02 00", FEE, 0x02 },
		{ "02 05 00 01 00 04 00", FEE, 0x02 },
		/* a range count the packet does not hold */
		{ "02 05 00 02 00 00 00", FEE, 0x02 },
		{ "02 40 00 bfffffff 00", FEE, 0x02 },
		/* ACK_ECN without its counts */
		{ "03 05 00 00 00 01 02", FEE, 0x03 },
		/* 8 bytes of path data */
		{ "1a 01020304050607", FEE, 0x1a },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct tq_quic_frame f;
		uint8_t buf[128];
		size_t n = tq_test_unhex(v[i].hex, buf, sizeof(buf)), used;

		print_message("%s\n", v[i].hex);
		assert_int_equal(dec1(buf, n, TQ_QUIC_PKT_1RTT, &f, &used),
				v[i].err);
		assert_true(f.type == v[i].type);
	}
}

/* The edges the rules allow. */
static void
test_validation_edges(void **state)
{
	static const char *const ok[] = {
		"0e 00 ffffffffffffffff 00",
		"0c 00 bfffffffffffffff 61",
		"12 d000000000000000",
		"17 d000000000000000",
		"18 02 02 01 aa 000102030405060708090a0b0c0d0e0f",
		"02 05 00 00 05",
		"02 05 00 01 00 00 00",
		"02 05 00 01 02 00 00", /* ranges 5-5, then 2-2 */
		"02 05 00 01 01 01 00", /* ranges 5-5, then 1-2 */
		"02 05 00 01 01 02 00", /* ranges 5-5, then 0-2 */
		"02 05 00 01 00 03 00", /* ranges 5-5, then 0-0 */
		"1c 07 4100 00",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct tq_quic_frame f;
		uint8_t buf[128];
		size_t n = tq_test_unhex(ok[i], buf, sizeof(buf)), used;

		print_message("%s\n", ok[i]);
		assert_int_equal(dec1(buf, n, TQ_QUIC_PKT_1RTT, &f, &used),
				TQ_QUIC_NO_ERROR);
		assert_int_equal(used, n);
	}
}

static void
test_ack_encode(void **state)
{
	struct tq_quic_ack_range r[200], got;
	struct tq_quic_ecn_counts ecn = { 1, 2, 3 };
	struct tq_quic_ack_iter it;
	struct tq_quic_frame f;
	uint8_t buf[2048];
	struct tq_quic_wr w;
	size_t i, k, used;
	int nr, len;

	(void)state;
	/* 200 ranges: [10000 - 50 i - 20, 10000 - 50 i] */
	for (i = 0; i < 200; i++) {
		r[i].largest = 10000 - 50 * i;
		r[i].smallest = r[i].largest - 20;
	}
	tq_quic_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(tq_quic_ack_encode(&w, r, 200, 25, &ecn), 200);
	len = (int)(w.pos - buf);
	assert_int_equal(dec1(buf, (size_t)len, TQ_QUIC_PKT_HANDSHAKE, &f,
			&used), TQ_QUIC_NO_ERROR);
	assert_int_equal(used, len);
	assert_int_equal(f.type, TQ_QUIC_FT_ACK_ECN);
	assert_int_equal(f.ack.delay, 25);
	assert_int_equal(f.ack.counts.ce, 3);
	tq_quic_ack_iter_init(&it, &f.ack);
	for (i = 0; tq_quic_ack_iter_next(&it, &got); i++) {
		assert_true(i < 200);
		assert_true(got.largest == r[i].largest);
		assert_true(got.smallest == r[i].smallest);
	}
	assert_int_equal(i, 200);
	assert_false(tq_quic_ack_iter_next(&it, &got));

	/* smaller buffers drop the oldest ranges, never overflow */
	for (k = 0; k < (size_t)len + 2; k++) {
		tq_quic_wr_init(&w, buf, k);
		nr = tq_quic_ack_encode(&w, r, 200, 25, NULL);
		if (nr < 0) {
			assert_int_equal(nr, -EMSGSIZE);
			assert_ptr_equal(w.pos, buf);
			assert_true(k < 8);
			continue;
		}
		assert_true(w.pos <= buf + k);
		assert_int_equal(dec1(buf, (size_t)(w.pos - buf),
				TQ_QUIC_PKT_1RTT, &f, &used), TQ_QUIC_NO_ERROR);
		assert_true(f.ack.range_count + 1 == (uint64_t)nr);
		/* one more range would not have fit (each takes 2 bytes,
		 * the count may grow by one) */
		if (nr < 200)
			assert_true(w.pos - buf + 3 > (long)k);
	}

	/* ranges out of order, overlapping or adjacent */
	r[1].largest = r[0].smallest - 1;
	tq_quic_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(tq_quic_ack_encode(&w, r, 2, 0, NULL), -EINVAL);
	r[1].largest = r[0].smallest - 2; /* one packet missing: fine */
	r[1].smallest = r[1].largest;
	assert_int_equal(tq_quic_ack_encode(&w, r, 2, 0, NULL), 2);
	assert_int_equal(dec1(buf, (size_t)(w.pos - buf), TQ_QUIC_PKT_1RTT, &f,
			&used), TQ_QUIC_NO_ERROR);
	assert_int_equal(buf[6], 0); /* gap 0 */
	r[0].smallest = r[0].largest + 1;
	assert_int_equal(tq_quic_ack_encode(&w, r, 1, 0, NULL), -EINVAL);
	assert_int_equal(tq_quic_ack_encode(&w, r, 0, 0, NULL), -EINVAL);
	r[0].smallest = 0;
	assert_int_equal(tq_quic_ack_encode(&w, r, 1, TQ_QUIC_VARINT_MAX + 1,
			NULL), -EINVAL);
}

/* A hand-built ACK with a bad range stops the walk, never underflows. */
static void
test_ack_iter_untrusted(void **state)
{
	static const uint8_t pairs[] = { 0x05, 0x00 };
	struct tq_quic_frame_ack a = { .largest = 3, .first_range = 0,
		.range_count = 1, .ranges = pairs, .ranges_len = 2 };
	struct tq_quic_ack_iter it;
	struct tq_quic_ack_range r;

	(void)state;
	tq_quic_ack_iter_init(&it, &a);
	assert_true(tq_quic_ack_iter_next(&it, &r));
	assert_false(tq_quic_ack_iter_next(&it, &r));
	a.first_range = 4;
	tq_quic_ack_iter_init(&it, &a);
	assert_false(tq_quic_ack_iter_next(&it, &r));
}

static void
check_fit(const uint8_t *buf, int len, size_t cap, bool stream, uint64_t off,
		size_t fit, size_t want_len, bool fin)
{
	struct tq_quic_frame f;
	size_t used;

	assert_true(len > 0 && (size_t)len <= cap);
	assert_int_equal(dec1(buf, (size_t)len, TQ_QUIC_PKT_1RTT, &f, &used),
			TQ_QUIC_NO_ERROR);
	assert_int_equal(used, len);
	if (stream) {
		assert_true(TQ_QUIC_FT_IS_STREAM(f.type));
		assert_true(f.stream.id == 9);
		assert_true(f.stream.offset == off);
		assert_int_equal(f.stream.len, fit);
		assert_memory_equal(f.stream.data, data, fit);
		assert_int_equal(f.stream.fin, fin && fit == want_len);
	} else {
		assert_true(f.crypto.offset == off);
		assert_int_equal(f.crypto.len, fit);
		assert_memory_equal(f.crypto.data, data, fit);
	}
	/* as much as fits: the Length field growing costs one byte */
	if (fit < want_len)
		assert_true((size_t)len + 1 >= cap);
}

static void
test_stream_crypto_fit(void **state)
{
	static const uint64_t offs[] = { 0, 1000 };
	uint8_t buf[300];
	struct tq_quic_wr w;
	size_t cap, fit, o;
	int len;

	(void)state;
	for (o = 0; o < 2; o++) {
		for (cap = 0; cap <= sizeof(buf); cap++) {
			int to_end;

			for (to_end = 0; to_end < 2; to_end++) {
				tq_quic_wr_init(&w, buf, cap);
				len = tq_quic_stream_encode(&w, 9, offs[o],
						data, 200, true, to_end, &fit);
				if (len == -EMSGSIZE) {
					assert_ptr_equal(w.pos, buf);
					assert_true(cap <= 5);
					continue;
				}
				check_fit(buf, len, cap, true, offs[o], fit,
						200, true);
				if (to_end && fit < 200)
					assert_int_equal(len, cap);
			}
			tq_quic_wr_init(&w, buf, cap);
			len = tq_quic_crypto_encode(&w, offs[o], data, 200,
					&fit);
			if (len == -EMSGSIZE) {
				assert_ptr_equal(w.pos, buf);
				assert_true(cap <= 4);
				continue;
			}
			check_fit(buf, len, cap, false, offs[o], fit, 200,
					false);
		}
	}
	/* an empty STREAM frame carrying only FIN */
	tq_quic_wr_init(&w, buf, 3);
	assert_int_equal(tq_quic_stream_encode(&w, 9, 0, NULL, 0, true, false,
			&fit), 3);
	assert_int_equal(buf[0], 0x0b);
	assert_int_equal(fit, 0);
	/* the final offset must stay below 2^62 */
	tq_quic_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(tq_quic_stream_encode(&w, 9, TQ_QUIC_VARINT_MAX, data,
			1, false, false, &fit), -EINVAL);
	assert_int_equal(tq_quic_crypto_encode(&w, TQ_QUIC_VARINT_MAX - 1,
			data, 2, &fit), -EINVAL);
	assert_int_equal(tq_quic_stream_encode(&w, TQ_QUIC_VARINT_MAX + 1, 0,
			data, 1, false, false, &fit), -EINVAL);
}

/* Encoders refuse what the decoder would refuse. */
static void
test_encode_invalid(void **state)
{
	struct tq_quic_frame f;
	uint8_t buf[64];
	struct tq_quic_wr w;

	(void)state;
	tq_quic_wr_init(&w, buf, sizeof(buf));
	memset(&f, 0, sizeof(f));
	f.type = 0x1f;
	assert_int_equal(tq_quic_frame_encode(&w, &f), -EINVAL);
	f.type = TQ_QUIC_FT_NEW_TOKEN;
	assert_int_equal(tq_quic_frame_encode(&w, &f), -EINVAL);
	f.type = TQ_QUIC_FT_PADDING;
	assert_int_equal(tq_quic_frame_encode(&w, &f), -EINVAL);
	f.type = TQ_QUIC_FT_MAX_STREAMS_UNI;
	f.max_data.max = TQ_QUIC_MAX_STREAMS + 1;
	assert_int_equal(tq_quic_frame_encode(&w, &f), -EINVAL);
	f.type = TQ_QUIC_FT_STREAMS_BLOCKED_BIDI;
	assert_int_equal(tq_quic_frame_encode(&w, &f), -EINVAL);
	f.type = TQ_QUIC_FT_MAX_DATA;
	f.max_data.max = TQ_QUIC_VARINT_MAX + 1;
	assert_int_equal(tq_quic_frame_encode(&w, &f), -EINVAL);
	memset(&f, 0, sizeof(f));
	f.type = TQ_QUIC_FT_NEW_CONNECTION_ID;
	f.new_cid.cid = cid20;
	f.new_cid.reset_token = token16;
	assert_int_equal(tq_quic_frame_encode(&w, &f), -EINVAL);
	f.new_cid.cid_len = 21;
	assert_int_equal(tq_quic_frame_encode(&w, &f), -EINVAL);
	f.new_cid.cid_len = 4;
	f.new_cid.retire_prior_to = 1;
	assert_int_equal(tq_quic_frame_encode(&w, &f), -EINVAL);
	memset(&f, 0, sizeof(f));
	f.type = TQ_QUIC_FT_STREAM; /* no OFF bit but an offset */
	f.stream.offset = 5;
	assert_int_equal(tq_quic_frame_encode(&w, &f), -EINVAL);
	assert_ptr_equal(w.pos, buf);
}

static void
test_frame_helpers(void **state)
{
	(void)state;
	assert_string_equal(tq_quic_frame_name(0x0d), "STREAM");
	assert_string_equal(tq_quic_frame_name(0x1e), "HANDSHAKE_DONE");
	assert_string_equal(tq_quic_frame_name(0x1f), "unknown");
	assert_string_equal(tq_quic_frame_name(0x31), "DATAGRAM");
	assert_string_equal(tq_quic_frame_name(1u << 20), "unknown");
	assert_false(tq_quic_frame_ack_eliciting(TQ_QUIC_FT_ACK));
	assert_false(tq_quic_frame_ack_eliciting(TQ_QUIC_FT_PADDING));
	assert_false(tq_quic_frame_ack_eliciting(
			TQ_QUIC_FT_CONNECTION_CLOSE));
	assert_true(tq_quic_frame_ack_eliciting(TQ_QUIC_FT_PING));
	assert_true(tq_quic_frame_ack_eliciting(TQ_QUIC_FT_STREAM | 7));
	assert_false(tq_quic_frame_allowed(0x40, TQ_QUIC_PKT_1RTT));
	assert_false(tq_quic_frame_allowed(0x01, TQ_QUIC_PKT_MAX));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_all_types),
		cmocka_unit_test(test_wire_bytes),
		cmocka_unit_test(test_padding_run),
		cmocka_unit_test(test_packet_types),
		cmocka_unit_test(test_validation),
		cmocka_unit_test(test_validation_edges),
		cmocka_unit_test(test_ack_encode),
		cmocka_unit_test(test_ack_iter_untrusted),
		cmocka_unit_test(test_stream_crypto_fit),
		cmocka_unit_test(test_encode_invalid),
		cmocka_unit_test(test_frame_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
