/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Every input under tests/fuzz/crashes/<harness>/ that once made a
 * libFuzzer harness fail, replayed through that harness's own code (its
 * sources are included here without the libFuzzer entry points): a failed
 * check is a cmocka failure, a memory error is caught by the sanitizers
 * of the clang build.  A new crash is covered by saving its input there.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#define TQ_FUZZ_NO_ENTRY

#include "../fuzz/fuzz_common.c"
#include "../fuzz/fuzz_eth.c"
#include "../fuzz/fuzz_arp.c"
#include "../fuzz/fuzz_ipv4.c"
#include "../fuzz/fuzz_ipv6.c"
#include "../fuzz/fuzz_icmp.c"
#include "../fuzz/fuzz_udp.c"
#include "../fuzz/fuzz_tcp.c"
#include "../fuzz/fuzz_tcpopt.c"
#include "../fuzz/fuzz_http.c"
#include "../fuzz/fuzz_h3.c"
#include "../fuzz/fuzz_quic_hdr.c"
#include "../fuzz/fuzz_quic_frame.c"
#include "../fuzz/fuzz_quic_tp.c"
#include "../fuzz/fuzz_quic_tls.c"
#include "../fuzz/fuzz_quic_rxbuf.c"
#include "../fuzz/fuzz_quic_recovery.c"
#include "../fuzz/fuzz_quic_ack.c"
#include "../fuzz/fuzz_quic_conn.c"

#include <dirent.h>

typedef int (*one_fn)(const uint8_t *d, size_t n);

static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Replay tests/fuzz/crashes/<name>/ through fn. */
static void
replay(const char *name, one_fn fn)
{
	const char *top = getenv("TQ_SOURCE_DIR");
	char dir[512], path[1024];
	struct dirent **ents;
	int n, i;

	if (!top)
		skip();
	snprintf(dir, sizeof(dir), "%s/tests/fuzz/crashes/%s", top, name);
	n = scandir(dir, &ents, NULL, by_name);
	if (n < 0)
		return; /* none saved for this harness */
	for (i = 0; i < n; i++) {
		uint8_t *buf;
		long len;
		FILE *f;

		if (ents[i]->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
		f = fopen(path, "rb");
		assert_non_null(f);
		assert_int_equal(fseek(f, 0, SEEK_END), 0);
		len = ftell(f);
		assert_true(len >= 0);
		rewind(f);
		buf = malloc(len ? (size_t)len : 1);
		assert_non_null(buf);
		assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
		fclose(f);
		print_message("fuzz_%s: %s\n", name, ents[i]->d_name);
		fn(buf, (size_t)len);
		free(buf);
	}
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
}

#define REGRESS(h)                                  \
	static void                                 \
	regress_##h(void **state)                   \
	{                                           \
		RTE_SET_USED(state);                \
		replay(#h, tq_fuzz_##h##_one);      \
	}

REGRESS(eth)
REGRESS(arp)
REGRESS(ipv4)
REGRESS(ipv6)
REGRESS(icmp)
REGRESS(udp)
REGRESS(tcp)
REGRESS(tcpopt)
REGRESS(http)
REGRESS(h3)
REGRESS(quic_hdr)
REGRESS(quic_frame)
REGRESS(quic_tp)
REGRESS(quic_tls)
REGRESS(quic_rxbuf)
REGRESS(quic_recovery)
REGRESS(quic_ack)
REGRESS(quic_conn)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(regress_eth),
		cmocka_unit_test(regress_arp),
		cmocka_unit_test(regress_ipv4),
		cmocka_unit_test(regress_ipv6),
		cmocka_unit_test(regress_icmp),
		cmocka_unit_test(regress_udp),
		cmocka_unit_test(regress_tcp),
		cmocka_unit_test(regress_tcpopt),
		cmocka_unit_test(regress_http),
		cmocka_unit_test(regress_h3),
		cmocka_unit_test(regress_quic_hdr),
		cmocka_unit_test(regress_quic_frame),
		cmocka_unit_test(regress_quic_tp),
		cmocka_unit_test(regress_quic_tls),
		cmocka_unit_test(regress_quic_rxbuf),
		cmocka_unit_test(regress_quic_recovery),
		cmocka_unit_test(regress_quic_ack),
		cmocka_unit_test(regress_quic_conn),
	};

	tq_fuzz_init("test_fuzz_regress");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
