/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tq-proxy's PROXY protocol v2 header (apps/tq-proxy/ppv2.c) against
 * headers written out by hand from proxy-protocol.txt, section 2.2.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "ppv2.h"

#define SIG 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, \
	0x54, 0x0a

static void
v4(void **state)
{
	static const uint8_t want[] = {
		SIG, 0x21, 0x11, 0x00, 0x0c,
		192, 0, 2, 1,		/* source */
		198, 51, 100, 2,	/* destination */
		0xdc, 0x04, 0x01, 0xbb,	/* 56324, 443 */
	};
	struct tq_addr s, d;
	uint8_t buf[PPV2_MAX_LEN];

	(void)state;
	assert_int_equal(tq_addr_parse("192.0.2.1", &s), 0);
	assert_int_equal(tq_addr_parse("198.51.100.2", &d), 0);
	assert_int_equal(ppv2_encode(buf, sizeof(buf), &s, 56324, &d, 443),
			sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	/* One byte short: nothing half written is claimed. */
	assert_int_equal(ppv2_encode(buf, sizeof(want) - 1, &s, 1, &d, 2),
			-ENOSPC);
}

static void
v6(void **state)
{
	static const uint8_t want[] = {
		SIG, 0x21, 0x21, 0x00, 0x24,
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02,
		0x04, 0xd2, 0x00, 0x50,	/* 1234, 80 */
	};
	struct tq_addr s, d;
	uint8_t buf[PPV2_MAX_LEN];

	(void)state;
	assert_int_equal(tq_addr_parse("2001:db8::1", &s), 0);
	assert_int_equal(tq_addr_parse("2001:db8::2", &d), 0);
	assert_int_equal(ppv2_encode(buf, sizeof(buf), &s, 1234, &d, 80),
			sizeof(want));
	assert_int_equal(sizeof(want), PPV2_MAX_LEN);
	assert_memory_equal(buf, want, sizeof(want));
}

static void
bad(void **state)
{
	struct tq_addr s, d, none = { .family = 0 };
	uint8_t buf[PPV2_MAX_LEN];

	(void)state;
	assert_int_equal(tq_addr_parse("192.0.2.1", &s), 0);
	assert_int_equal(tq_addr_parse("2001:db8::2", &d), 0);
	assert_int_equal(ppv2_encode(buf, sizeof(buf), &s, 1, &d, 2), -EINVAL);
	assert_int_equal(ppv2_encode(buf, sizeof(buf), &none, 1, &none, 2),
			-EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(v4),
		cmocka_unit_test(v6),
		cmocka_unit_test(bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
