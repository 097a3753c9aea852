/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QUIC-LB plaintext connection IDs (engine/quic/tq_quic_lb.c): the
 * layout byte for byte, routing to the worker, what is not ours, and
 * the configurations the draft refuses.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "quic/tq_quic_lb.h"

static const struct tq_quic_lb_conf base = {
	.config_id = 2,
	.encode_len = true,
	.server_id_len = 3,
	.nonce_len = 6,
	.server_id = { 0xaa, 0xbb, 0xcc },
};

static const uint8_t rnd[18] = {
	0x1f, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
	0x99, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80,
};

static void
layout(void **state)
{
	uint8_t cid[TQ_QUIC_LB_CID_MAX];
	/* CR 2, length 10 - 1; server id; worker 5; nonce from rnd[1..] */
	static const uint8_t want[] = { 0x49, 0xaa, 0xbb, 0xcc, 0x05, 0x11,
		0x22, 0x33, 0x44, 0x55 };
	struct tq_quic_lb_conf c = base;
	uint8_t w = 0, sid[3];

	assert_int_equal(tq_quic_lb_cid_len(&c), 10);
	assert_int_equal(tq_quic_lb_cid_make(&c, 5, rnd, cid), 0);
	assert_memory_equal(cid, want, sizeof(want));
	assert_int_equal(tq_quic_lb_cid_route(&c, cid, 10, &w), 0);
	assert_int_equal(w, 5);
	assert_int_equal(tq_quic_lb_server_id(&c, cid, 10, sid), 0);
	assert_memory_equal(sid, c.server_id, 3);

	/* Without length self-description the low bits are random. */
	c.encode_len = false;
	assert_int_equal(tq_quic_lb_cid_make(&c, 5, rnd, cid), 0);
	assert_int_equal(cid[0], 0x40 | 0x1f);
	assert_int_equal(tq_quic_lb_cid_route(&c, cid, 10, &w), 0);
}

/* Every worker id and the longest layout round-trip. */
static void
every_worker(void **state)
{
	struct tq_quic_lb_conf c = base;
	uint8_t cid[TQ_QUIC_LB_CID_MAX], w;
	unsigned int k;

	c.server_id_len = 15;
	c.nonce_len = 4;
	memset(c.server_id, 0x5a, 15);
	assert_int_equal(tq_quic_lb_cid_len(&c), 20);
	for (k = 0; k < 256; k++) {
		assert_int_equal(tq_quic_lb_cid_make(&c, (uint8_t)k, rnd, cid),
				0);
		assert_int_equal(cid[0] & 0x1f, 19);
		assert_int_equal(tq_quic_lb_cid_route(&c, cid, 20, &w), 0);
		assert_int_equal(w, k);
	}
}

/* Another server's CID, another config rotation, the unroutable one, a
 * length that does not match: not ours. */
static void
not_ours(void **state)
{
	struct tq_quic_lb_conf c = base, other = base;
	uint8_t cid[TQ_QUIC_LB_CID_MAX], w = 0, sid[3];

	other.server_id[2] = 0xcd;
	assert_int_equal(tq_quic_lb_cid_make(&other, 1, rnd, cid), 0);
	assert_int_equal(tq_quic_lb_cid_route(&c, cid, 10, &w), -ENOENT);
	/* ... but a load balancer reads its server id. */
	assert_int_equal(tq_quic_lb_server_id(&c, cid, 10, sid), 0);
	assert_int_equal(sid[2], 0xcd);

	assert_int_equal(tq_quic_lb_cid_make(&c, 1, rnd, cid), 0);
	cid[0] = (uint8_t)((3 << 5) | (cid[0] & 0x1f));
	assert_int_equal(tq_quic_lb_cid_route(&c, cid, 10, &w), -ENOENT);
	cid[0] = (uint8_t)((TQ_QUIC_LB_UNROUTABLE << 5) | 9);
	assert_int_equal(tq_quic_lb_server_id(&c, cid, 10, sid), -ENOENT);
	assert_int_equal(tq_quic_lb_cid_make(&c, 1, rnd, cid), 0);
	assert_int_equal(tq_quic_lb_cid_route(&c, cid, 9, &w), -ENOENT);
	assert_int_equal(tq_quic_lb_cid_route(&c, cid, 11, &w), -ENOENT);
	cid[0] = (uint8_t)((2 << 5) | 8);	/* says 9 bytes */
	assert_int_equal(tq_quic_lb_cid_route(&c, cid, 10, &w), -ENOENT);
}

static void
bad_conf(void **state)
{
	struct tq_quic_lb_conf c;
	uint8_t cid[TQ_QUIC_LB_CID_MAX], w;

	assert_int_equal(tq_quic_lb_check(&base), 0);
	c = base;
	c.config_id = TQ_QUIC_LB_UNROUTABLE;
	assert_int_equal(tq_quic_lb_check(&c), -EINVAL);
	c = base;
	c.server_id_len = 0;
	assert_int_equal(tq_quic_lb_check(&c), -EINVAL);
	c.server_id_len = 16;
	assert_int_equal(tq_quic_lb_check(&c), -EINVAL);
	c = base;
	c.nonce_len = 3;
	assert_int_equal(tq_quic_lb_check(&c), -EINVAL);
	c = base;
	c.server_id_len = 15;
	c.nonce_len = 5;	/* 21 bytes */
	assert_int_equal(tq_quic_lb_check(&c), -EINVAL);
	assert_int_equal(tq_quic_lb_cid_make(&c, 0, rnd, cid), -EINVAL);
	assert_int_equal(tq_quic_lb_cid_route(&c, cid, 21, &w), -EINVAL);
	assert_int_equal(tq_quic_lb_cid_make(&base, 0, NULL, cid), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(layout),
		cmocka_unit_test(every_worker),
		cmocka_unit_test(not_ours),
		cmocka_unit_test(bad_conf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
