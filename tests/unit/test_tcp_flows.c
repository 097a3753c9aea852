/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TCP flow table (engine/tcp/tq_tcp_flows.c): add, find, delete
 * against a reference model over a random sequence; a walk sees every
 * entry once and its cursor resumes where it stopped; removal in the
 * middle of a chain keeps the rest findable; a full chain refuses; the
 * hash is keyed: two tables with different secrets put the same keys in
 * different buckets, so colliding 4-tuples cannot be chosen blind; the
 * ISN's SipHash fed as words equals SipHash over the tuple's bytes.
 */
#include "tq_test.h"

#include <errno.h>
#include <string.h>

#include "tcp/tq_tcp.h"

#define NTCB 4096

static struct tq_tcb tcbs[NTCB];
static bool in[NTCB];

static void
mkkey(struct tq_tcp_key *k, uint32_t n)
{
	memset(k, 0, sizeof(*k));
	k->family = AF_INET;
	k->laddr[0] = 10;
	k->laddr[3] = 1;
	k->faddr[0] = 10;
	k->faddr[1] = (uint8_t)(n >> 16);
	k->faddr[2] = (uint8_t)(n >> 8);
	k->faddr[3] = (uint8_t)n;
	k->lport = rte_cpu_to_be_16(80);
	k->fport = rte_cpu_to_be_16((uint16_t)(32768 + n % 28000));
}

static struct tq_tcb *
find(const struct tq_flows *ft, const struct tq_tcp_key *k)
{
	uint32_t h = tq_flows_hash(ft, k);
	struct tq_tcb *tp;

	for (tp = ft->b[h & ft->mask]; tp; tp = tp->hnext)
		if (tp->sig == h && memcmp(&tp->key, k, sizeof(*k)) == 0)
			return tp;
	return NULL;
}

static const uint8_t secret_a[16] = "0123456789abcdef";
static const uint8_t secret_b[16] = "fedcba9876543210";

static void
model(void **state)
{
	struct tq_flows ft;
	uint32_t x = 12345, i, n = 0;

	(void)state;
	assert_int_equal(tq_flows_init(&ft, NTCB, secret_a, 0, SOCKET_ID_ANY), 0);
	assert_int_equal(ft.mask + 1, NTCB);
	memset(in, 0, sizeof(in));
	memset(tcbs, 0, sizeof(tcbs));
	for (i = 0; i < NTCB; i++) {
		mkkey(&tcbs[i].key, i);
		tcbs[i].sig = tq_flows_hash(&ft, &tcbs[i].key);
	}
	for (i = 0; i < 200000; i++) {
		uint32_t j;

		x = x * 1103515245 + 12345;
		j = (x >> 8) % NTCB;
		if (in[j]) {
			assert_ptr_equal(find(&ft, &tcbs[j].key), &tcbs[j]);
			tq_flows_del(&ft, &tcbs[j]);
			in[j] = false;
			n--;
			assert_null(find(&ft, &tcbs[j].key));
		} else {
			assert_null(find(&ft, &tcbs[j].key));
			assert_int_equal(tq_flows_add(&ft, &tcbs[j]), 0);
			in[j] = true;
			n++;
			assert_ptr_equal(find(&ft, &tcbs[j].key), &tcbs[j]);
		}
		assert_int_equal(ft.n, n);
	}
	for (i = 0; i < NTCB; i++)
		assert_ptr_equal(find(&ft, &tcbs[i].key),
				in[i] ? &tcbs[i] : NULL);
	tq_flows_free(&ft);
}

static void
walk(void **state)
{
	struct tq_flows ft;
	static uint8_t seen[NTCB];
	struct tq_tcb *tp;
	uint32_t cursor = 0, i, n = 0, steps = 0;

	(void)state;
	assert_int_equal(tq_flows_init(&ft, 256, secret_a, 0, SOCKET_ID_ANY), 0);
	memset(tcbs, 0, sizeof(tcbs));
	memset(seen, 0, sizeof(seen));
	/* 1024 in 256 buckets: chains of four on average, some longer */
	for (i = 0; i < 1024; i++) {
		mkkey(&tcbs[i].key, i);
		tcbs[i].sig = tq_flows_hash(&ft, &tcbs[i].key);
		if (tq_flows_add(&ft, &tcbs[i]) == 0)
			n++;
	}
	assert_int_equal(ft.n, n);
	/* One entry per call, as tq-ctl pages through a worker's table. */
	while ((tp = tq_flows_next(&ft, &cursor)) != NULL) {
		seen[tp - tcbs]++;
		steps++;
		assert_true(steps <= n);
	}
	assert_int_equal(steps, n);
	for (i = 0; i < 1024; i++)
		assert_int_equal(seen[i], tcbs[i].hpprev ? 1 : 0);
	assert_null(tq_flows_next(&ft, &cursor));

	/* Removing what the walk just returned, then going on, visits the
	 * rest once each: the deleting walks restart the bucket. */
	cursor = 0;
	steps = 0;
	while ((tp = tq_flows_next(&ft, &cursor)) != NULL) {
		tq_flows_del(&ft, tp);
		cursor = (cursor - 1) & ~(TQ_FLOWS_CHAIN_MAX - 1);
		steps++;
		assert_true(steps <= n);
	}
	assert_int_equal(steps, n);
	assert_int_equal(ft.n, 0);
	for (i = 0; i <= ft.mask; i++)
		assert_null(ft.b[i]);
	tq_flows_free(&ft);
}

static void
chain_cap(void **state)
{
	struct tq_flows ft;
	uint32_t i, full = 0, added = 0;

	(void)state;
	assert_int_equal(tq_flows_init(&ft, 64, secret_a, 0, SOCKET_ID_ANY), 0);
	memset(tcbs, 0, sizeof(tcbs));
	/* Every key made to hash alike: at most a chain's worth go in. */
	for (i = 0; i < 2 * TQ_FLOWS_CHAIN_MAX; i++) {
		mkkey(&tcbs[i].key, i);
		tcbs[i].sig = 7;
		if (tq_flows_add(&ft, &tcbs[i]) == 0)
			added++;
		else
			full++;
	}
	assert_int_equal(added, TQ_FLOWS_CHAIN_MAX);
	assert_int_equal(full, TQ_FLOWS_CHAIN_MAX);
	assert_int_equal(tq_flows_add(&ft, &tcbs[TQ_FLOWS_CHAIN_MAX + 1]),
			-ENOSPC);
	/* the middle of the chain goes, the rest stay linked */
	tq_flows_del(&ft, &tcbs[5]);
	tq_flows_del(&ft, &tcbs[5]);	/* twice: nothing */
	assert_int_equal(ft.n, added - 1);
	assert_int_equal(tq_flows_add(&ft, &tcbs[TQ_FLOWS_CHAIN_MAX + 1]), 0);
	tq_flows_free(&ft);
}

static void
keyed(void **state)
{
	struct tq_flows a, b;
	struct tq_tcp_key k;
	uint32_t i, same = 0, hits[64] = { 0 }, worst = 0;

	(void)state;
	assert_int_equal(tq_flows_init(&a, 64, secret_a, 0, SOCKET_ID_ANY), 0);
	assert_int_equal(tq_flows_init(&b, 64, secret_b, 0, SOCKET_ID_ANY), 0);
	for (i = 0; i < 64000; i++) {
		uint32_t ha, hb;

		mkkey(&k, i);
		ha = tq_flows_hash(&a, &k);
		hb = tq_flows_hash(&b, &k);
		same += (ha & a.mask) == (hb & b.mask);
		hits[ha & a.mask]++;
	}
	/* the same bucket under both keys about 1 in 64, not always */
	assert_true(same < 64000 / 64 * 2);
	/* the same secret, another shard: another placement too */
	{
		struct tq_flows c;
		uint32_t j, same_c = 0;

		assert_int_equal(tq_flows_init(&c, 64, secret_a, 1,
				SOCKET_ID_ANY), 0);
		for (j = 0; j < 64000; j++) {
			mkkey(&k, j);
			same_c += (tq_flows_hash(&a, &k) & a.mask) ==
				(tq_flows_hash(&c, &k) & c.mask);
		}
		assert_true(same_c < 64000 / 64 * 2);
		tq_flows_free(&c);
	}
	/* sequential 4-tuples spread evenly: 1000 a bucket expected */
	for (i = 0; i < 64; i++)
		worst = RTE_MAX(worst, hits[i]);
	assert_true(worst < 1200);
	/* keys that collide under a: most part under b */
	same = 0;
	{
		struct tq_tcp_key k0;
		uint32_t want, n = 0;

		mkkey(&k0, 0);
		want = tq_flows_hash(&a, &k0) & a.mask;
		for (i = 1; i < 64000 && n < 500; i++) {
			mkkey(&k, i);
			if ((tq_flows_hash(&a, &k) & a.mask) != want)
				continue;
			n++;
			same += (tq_flows_hash(&b, &k) & b.mask) ==
				(tq_flows_hash(&b, &k0) & b.mask);
		}
		assert_int_equal(n, 500);
		assert_true(same < 500 / 64 * 3);
	}
	tq_flows_free(&a);
	tq_flows_free(&b);
}

/*
 * RFC 6528's F() (tq_tcp_tuple_hash(), fed as words) is SipHash over
 * the bytes laddr, faddr, lport, fport, for both families.
 */
static void
tuple_hash(void **state)
{
	uint8_t secret[16], in[36];
	struct tq_tcp_key k;
	unsigned int i, n, alen;

	(void)state;
	for (i = 0; i < 16; i++)
		secret[i] = (uint8_t)(0x5a + 7 * i);
	for (n = 0; n < 64; n++) {
		mkkey(&k, n * 2654435761u);
		if (n & 1) {
			k.family = AF_INET6;
			for (i = 0; i < 16; i++) {
				k.laddr[i] = (uint8_t)(n + 3 * i);
				k.faddr[i] = (uint8_t)(n * 5 + i);
			}
		}
		alen = k.family == AF_INET ? 4 : 16;
		memcpy(in, k.laddr, alen);
		memcpy(in + alen, k.faddr, alen);
		memcpy(in + 2 * alen, &k.lport, 2);
		memcpy(in + 2 * alen + 2, &k.fport, 2);
		assert_true(tq_tcp_tuple_hash(secret, &k) ==
				tq_siphash(secret, in, 2 * alen + 4));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(model),
		cmocka_unit_test(walk),
		cmocka_unit_test(chain_cap),
		cmocka_unit_test(keyed),
		cmocka_unit_test(tuple_hash),
	};

	if (tq_test_eal_init("tcp_flows") < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
