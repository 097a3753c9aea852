/* SPDX-License-Identifier: BSD-3-Clause */
/* Addresses, prefixes, routes and broadcast: tq_addr.c and tq_route.c. */
#include "tq_test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

static void
parse_format(void **state)
{
	static const char *const good[] = {
		"0.0.0.0", "10.0.0.2", "255.255.255.255", "::", "::1",
		"2001:db8::1", "fe80::1:2:3:4", "::ffff:192.0.2.1",
		"2001:db8:0:1:2:3:4:5",
	};
	static const char *const bad[] = {
		"", "10.0.0", "10.0.0.256", "10.0.0.1.2", "1.2.3.4 ",
		" 1.2.3.4", "2001:db8::1::2", "2001:db8:::1", "g::1",
		"10.0.0.1/24", "localhost", "1:2:3:4:5:6:7:8:9",
	};
	char buf[TQ_ADDR_STRLEN];
	struct tq_addr a;
	unsigned int i;

	for (i = 0; i < RTE_DIM(good); i++) {
		assert_int_equal(tq_addr_parse(good[i], &a), 0);
		assert_int_equal(a.family, strchr(good[i], ':') ?
				AF_INET6 : AF_INET);
		assert_string_equal(tq_addr_format(&a, buf, sizeof(buf)),
				good[i]);
	}
	for (i = 0; i < RTE_DIM(bad); i++)
		if (tq_addr_parse(bad[i], &a) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);

	/* Network byte order, as the header fields. */
	assert_int_equal(tq_addr_parse("10.1.2.3", &a), 0);
	assert_int_equal(a.v4, htonl(0x0a010203));
	assert_true(tq_addr_equal(&a, &(struct tq_addr){ .family = AF_INET,
			.v4 = htonl(0x0a010203) }));
	a = tq_addr_v4(htonl(0xc0000201));
	assert_string_equal(tq_addr_format(&a, buf, sizeof(buf)),
			"192.0.2.1");
	assert_int_equal(tq_addr_parse("2001:db8::ff", &a), 0);
	assert_int_equal(a.v6[0], 0x20);
	assert_int_equal(a.v6[1], 0x01);
	assert_int_equal(a.v6[15], 0xff);

	/* The longest text fits TQ_ADDR_STRLEN. */
	assert_int_equal(tq_addr_parse(
			"ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", &a), 0);
	tq_addr_format(&a, buf, sizeof(buf));
	assert_true(strlen(buf) < TQ_ADDR_STRLEN);

	/* No family: the wildcard. */
	memset(&a, 0, sizeof(a));
	assert_string_equal(tq_addr_format(&a, buf, sizeof(buf)), "*");
}

static void
equal_any(void **state)
{
	struct tq_addr a = tq_test_addr("10.0.0.1"), b = tq_test_addr("::");
	struct tq_addr c = tq_test_addr("0.0.0.0"), z;

	assert_true(tq_addr_equal(&a, &a));
	assert_false(tq_addr_equal(&a, &b));
	assert_false(tq_addr_equal(&b, &c)); /* :: is not 0.0.0.0 */
	b = tq_test_addr("::a00:1"); /* same low bytes, other family */
	assert_false(tq_addr_equal(&a, &b));
	assert_true(tq_addr_is_any(&c));
	assert_true(tq_addr_is_any(&(struct tq_addr){ .family = AF_INET6 }));
	assert_false(tq_addr_is_any(&a));
	assert_false(tq_addr_is_any(&b));
	b = tq_test_addr("::1");
	assert_false(tq_addr_is_any(&b));
	memset(&z, 0, sizeof(z));
	assert_true(tq_addr_is_any(&z));
}

static void
endpoint_parse(void **state)
{
	static const char *const bad[] = {
		"192.0.2.1", "192.0.2.1:", "192.0.2.1:0", "192.0.2.1:65536",
		"192.0.2.1:80x", "192.0.2.1:-1", "2001:db8::1:80", "[2001:db8::1]",
		"[2001:db8::1]80", "[192.0.2.1]:80", ":80", "[]:80", "host:80",
		"192.0.2.1: 80",
	};
	struct tq_addr a, want;
	uint16_t port = 0;
	unsigned int i;

	(void)state;
	assert_int_equal(tq_endpoint_parse("192.0.2.1:8080", &a, &port), 0);
	assert_int_equal(port, 8080);
	assert_int_equal(tq_addr_parse("192.0.2.1", &want), 0);
	assert_true(tq_addr_equal(&a, &want));
	assert_int_equal(tq_endpoint_parse("[2001:db8::1]:65535", &a, &port), 0);
	assert_int_equal(port, 65535);
	assert_int_equal(tq_addr_parse("2001:db8::1", &want), 0);
	assert_true(tq_addr_equal(&a, &want));
	for (i = 0; i < RTE_DIM(bad); i++) {
		port = 7;
		assert_int_equal(tq_endpoint_parse(bad[i], &a, &port), -EINVAL);
		assert_int_equal(port, 7);
	}
	assert_int_equal(tq_port_parse("1", &port), 0);
	assert_int_equal(port, 1);
	assert_int_equal(tq_port_parse("", &port), -EINVAL);
	assert_int_equal(tq_port_parse("+5", &port), -EINVAL);
	assert_int_equal(tq_port_parse("99999999999999999999", &port), -EINVAL);
}

static void
prefix_parse(void **state)
{
	static const struct {
		const char *s;
		const char *addr;
		uint8_t plen;
	} good[] = {
		{ "10.0.0.2/24", "10.0.0.2", 24 },
		{ "10.0.0.2", "10.0.0.2", 32 },
		{ "10.0.0.2/0", "10.0.0.2", 0 },
		{ "10.0.0.2/32", "10.0.0.2", 32 },
		{ "fd00::2/64", "fd00::2", 64 },
		{ "fd00::2", "fd00::2", 128 },
		{ "fd00::2/128", "fd00::2", 128 },
		{ "fd00::2/127", "fd00::2", 127 },
	};
	static const char *const bad[] = {
		"10.0.0.2/33", "10.0.0.2/", "10.0.0.2/-1", "10.0.0.2/24x",
		"10.0.0.2/x", "fd00::2/129", "fd00::2/", "/24", "bogus/24",
		"10.0.0.2/4294967320", "10.0.0.2/24/1",
		"1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:bbbb:cccc/64",
	};
	struct tq_addr a, want;
	uint8_t plen;
	unsigned int i;

	for (i = 0; i < RTE_DIM(good); i++) {
		plen = 255;
		assert_int_equal(tq_prefix_parse(good[i].s, &a, &plen), 0);
		want = tq_test_addr(good[i].addr);
		assert_true(tq_addr_equal(&a, &want));
		assert_int_equal(plen, good[i].plen);
	}
	for (i = 0; i < RTE_DIM(bad); i++)
		if (tq_prefix_parse(bad[i], &a, &plen) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
}

static bool
same(const char *x, const char *y, uint8_t plen)
{
	struct tq_addr a = tq_test_addr(x), b = tq_test_addr(y);

	return tq_addr_same_prefix(&a, &b, plen);
}

static void
same_prefix(void **state)
{
	/* byte aligned */
	assert_true(same("10.0.0.1", "10.0.0.200", 24));
	assert_false(same("10.0.0.1", "10.0.1.1", 24));
	assert_true(same("10.0.0.1", "10.0.1.1", 16));
	assert_true(same("10.0.0.1", "192.168.1.1", 0));
	assert_true(same("10.0.0.1", "10.0.0.1", 32));
	assert_false(same("10.0.0.1", "10.0.0.0", 32));
	/* /23: the lowest bit of the third byte is host */
	assert_true(same("10.0.2.1", "10.0.3.254", 23));
	assert_false(same("10.0.2.1", "10.0.4.1", 23));
	assert_false(same("10.0.3.1", "10.0.1.1", 23));
	/* /25, /31, /1 */
	assert_true(same("10.0.0.1", "10.0.0.127", 25));
	assert_false(same("10.0.0.1", "10.0.0.128", 25));
	assert_true(same("10.0.0.4", "10.0.0.5", 31));
	assert_false(same("10.0.0.5", "10.0.0.6", 31));
	assert_true(same("1.0.0.0", "127.255.255.255", 1));
	assert_false(same("1.0.0.0", "128.0.0.0", 1));
	/* a longer prefix than the family has is the whole address */
	assert_true(same("10.0.0.1", "10.0.0.1", 40));
	assert_false(same("10.0.0.1", "10.0.0.2", 40));
	/* IPv6, with non-byte-aligned ones */
	assert_true(same("fd00::1", "fd00::ffff", 64));
	assert_false(same("fd00::1", "fd00:0:0:1::1", 64));
	assert_true(same("2001:db8::", "2001:db9::", 31));
	assert_false(same("2001:db8::", "2001:dba::", 31));
	assert_true(same("fd00::2", "fd00::3", 127));
	assert_false(same("fd00::2", "fd00::4", 127));
	assert_false(same("fd00::3", "fd00::2", 128));
	assert_true(same("fd00::3", "fd00::3", 128));
	assert_true(same("fd00::3", "fd00::3", 200));
	assert_true(same("8000::", "ffff::", 1));
	assert_false(same("7fff::", "8000::", 1));
	/* never across families */
	assert_false(same("10.0.0.1", "::a00:1", 0));
}

static void
add_ifaddr(struct tq_iface *ifc, const char *p)
{
	struct tq_ifaddr *ia = &ifc->addrs[ifc->nb_addrs++];

	assert_int_equal(tq_prefix_parse(p, &ia->addr, &ia->plen), 0);
}

static void
expect_route(const struct tq_iface *ifc, const char *dst, const char *nh,
		const char *src)
{
	struct tq_addr d = tq_test_addr(dst), n, s, want;
	char b1[TQ_ADDR_STRLEN], b2[TQ_ADDR_STRLEN];

	memset(&s, 0, sizeof(s));
	s.family = d.family;
	memset(&n, 0, sizeof(n));
	if (tq_route_lookup(ifc, &d, &n, &s) != 0)
		fail_msg("no route to %s", dst);
	want = tq_test_addr(nh);
	if (!tq_addr_equal(&n, &want))
		fail_msg("%s: next hop %s, want %s", dst,
			tq_addr_format(&n, b1, sizeof(b1)), nh);
	want = tq_test_addr(src);
	if (!tq_addr_equal(&s, &want))
		fail_msg("%s: source %s, want %s", dst,
			tq_addr_format(&s, b2, sizeof(b2)), src);
}

static void
route_lookup(void **state)
{
	struct tq_iface ifc;
	struct tq_addr d, n, s;

	memset(&ifc, 0, sizeof(ifc));
	add_ifaddr(&ifc, "fd00::2/64");
	add_ifaddr(&ifc, "10.0.0.2/16");
	add_ifaddr(&ifc, "10.0.5.9/24");	/* longer, inside the /16 */
	add_ifaddr(&ifc, "192.168.7.1/23");
	add_ifaddr(&ifc, "fd00:0:0:0:1::2/80");

	/* No gateway yet: off-link has no route. */
	d = tq_test_addr("8.8.8.8");
	s = (struct tq_addr){ .family = AF_INET };
	assert_int_equal(tq_route_lookup(&ifc, &d, &n, &s), -EHOSTUNREACH);
	d = tq_test_addr("2001:db8::1");
	s = (struct tq_addr){ .family = AF_INET6 };
	assert_int_equal(tq_route_lookup(&ifc, &d, &n, &s), -EHOSTUNREACH);

	/* Connected: the destination is the next hop; longest prefix picks
	 * the source, whatever the order of the addresses. */
	expect_route(&ifc, "10.0.1.1", "10.0.1.1", "10.0.0.2");
	expect_route(&ifc, "10.0.5.1", "10.0.5.1", "10.0.5.9");
	expect_route(&ifc, "192.168.6.20", "192.168.6.20", "192.168.7.1");
	expect_route(&ifc, "192.168.7.200", "192.168.7.200", "192.168.7.1");
	expect_route(&ifc, "fd00::99", "fd00::99", "fd00::2");
	expect_route(&ifc, "fd00::1:0:0:7", "fd00::1:0:0:7", "fd00::1:0:0:2");
	d = tq_test_addr("192.168.8.1");
	s = (struct tq_addr){ .family = AF_INET };
	assert_int_equal(tq_route_lookup(&ifc, &d, &n, &s), -EHOSTUNREACH);

	/* With gateways: off-link goes there, from the family's first
	 * address. */
	ifc.gw4 = tq_test_addr("10.0.0.1");
	ifc.gw6 = tq_test_addr("fd00::1");
	expect_route(&ifc, "8.8.8.8", "10.0.0.1", "10.0.0.2");
	expect_route(&ifc, "192.168.8.1", "10.0.0.1", "10.0.0.2");
	expect_route(&ifc, "2001:db8::1", "fd00::1", "fd00::2");
	/* connected still wins over the gateway */
	expect_route(&ifc, "10.0.5.1", "10.0.5.1", "10.0.5.9");

	/* A source given by the caller is kept. */
	d = tq_test_addr("10.0.5.1");
	s = tq_test_addr("10.0.0.2");
	assert_int_equal(tq_route_lookup(&ifc, &d, &n, &s), 0);
	assert_true(tq_addr_equal(&s, &(struct tq_addr){ .family = AF_INET,
			.v4 = tq_test_addr("10.0.0.2").v4 }));
	/* and may be NULL */
	assert_int_equal(tq_route_lookup(&ifc, &d, &n, NULL), 0);

	/* A gateway of the family but no address of it: no route. */
	memset(&ifc, 0, sizeof(ifc));
	add_ifaddr(&ifc, "10.0.0.2/24");
	ifc.gw6 = tq_test_addr("fd00::1");
	d = tq_test_addr("2001:db8::1");
	s = (struct tq_addr){ .family = AF_INET6 };
	assert_int_equal(tq_route_lookup(&ifc, &d, &n, &s), -EHOSTUNREACH);
}

static bool
bcast(const struct tq_iface *ifc, const char *a)
{
	return tq_iface_is_bcast4(ifc, tq_test_addr(a).v4);
}

static void
bcast4_and_has_addr(void **state)
{
	struct tq_iface ifc;
	struct tq_addr a;

	memset(&ifc, 0, sizeof(ifc));
	add_ifaddr(&ifc, "fd00::2/64");
	add_ifaddr(&ifc, "10.0.0.2/24");
	add_ifaddr(&ifc, "172.16.2.1/23");
	add_ifaddr(&ifc, "192.168.1.1/31");
	add_ifaddr(&ifc, "192.168.2.1/32");

	assert_true(bcast(&ifc, "255.255.255.255"));
	assert_true(bcast(&ifc, "10.0.0.255"));
	assert_false(bcast(&ifc, "10.0.0.254"));
	assert_false(bcast(&ifc, "10.0.1.255"));
	assert_true(bcast(&ifc, "172.16.3.255"));
	assert_false(bcast(&ifc, "172.16.2.255")); /* inside the /23 */
	assert_false(bcast(&ifc, "172.16.5.255"));
	/* /31 and /32 have no broadcast address (RFC 3021) */
	assert_false(bcast(&ifc, "192.168.1.1"));
	assert_false(bcast(&ifc, "192.168.1.0"));
	assert_false(bcast(&ifc, "192.168.2.1"));
	assert_false(bcast(&ifc, "10.0.0.2"));

	a = tq_test_addr("10.0.0.2");
	assert_true(tq_iface_has_addr(&ifc, &a));
	a = tq_test_addr("fd00::2");
	assert_true(tq_iface_has_addr(&ifc, &a));
	a = tq_test_addr("10.0.0.3");
	assert_false(tq_iface_has_addr(&ifc, &a));
	a = tq_test_addr("::ffff:10.0.0.2");
	assert_false(tq_iface_has_addr(&ifc, &a));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_format),
		cmocka_unit_test(equal_any),
		cmocka_unit_test(prefix_parse),
		cmocka_unit_test(endpoint_parse),
		cmocka_unit_test(same_prefix),
		cmocka_unit_test(route_lookup),
		cmocka_unit_test(bcast4_and_has_addr),
	};

	if (tq_test_eal_init("addr") < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
