/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sched_setaffinity */
#endif
#include "fuzz_common.h"

#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_arp.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "core/tq_mbuf.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FZ_ASAN 1
#endif
#endif
#if !defined(FZ_ASAN) && defined(__SANITIZE_ADDRESS__)
#define FZ_ASAN 1
#endif
#ifdef FZ_ASAN
#include <sanitizer/asan_interface.h>
#define FZ_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define FZ_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define FZ_POISON(p, n) do { (void)(p); (void)(n); } while (0)
#define FZ_UNPOISON(p, n) do { (void)(p); (void)(n); } while (0)
#endif

#define FZ_RX_MBUFS 1023

/*
 * Ones' complement sum of len bytes plus sum (host order), folded, as a
 * header field would hold it (0xffff: the data checks).  Like
 * tq_test_cksum(), which the engine is tested against elsewhere.
 */
static FZ_NO_COV uint16_t
cksum_fold(const void *p, uint32_t len, uint32_t sum)
{
	const uint8_t *b = p;
	uint64_t acc = sum;
	uint32_t i;

	for (i = 0; i + 1 < len; i += 2)
		acc += (uint32_t)((b[i] << 8) | b[i + 1]);
	if (len & 1)
		acc += (uint32_t)(b[len - 1] << 8);
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return rte_cpu_to_be_16((uint16_t)acc);
}

static FZ_NO_COV uint32_t
phdr_sum(const struct tq_addr *src, const struct tq_addr *dst,
		uint8_t proto, uint32_t len)
{
	uint8_t ph[40];
	uint32_t n;

	if (src->family == AF_INET) {
		memcpy(ph, &src->v4, 4);
		memcpy(ph + 4, &dst->v4, 4);
		ph[8] = 0;
		ph[9] = proto;
		ph[10] = (uint8_t)(len >> 8);
		ph[11] = (uint8_t)len;
		n = 12;
	} else {
		memcpy(ph, src->v6, 16);
		memcpy(ph + 16, dst->v6, 16);
		ph[32] = (uint8_t)(len >> 24);
		ph[33] = (uint8_t)(len >> 16);
		ph[34] = (uint8_t)(len >> 8);
		ph[35] = (uint8_t)len;
		ph[36] = ph[37] = ph[38] = 0;
		ph[39] = proto;
		n = 40;
	}
	return rte_be_to_cpu_16(cksum_fold(ph, n, 0));
}

static bool
l4_cksum_ok(const struct tq_addr *src, const struct tq_addr *dst,
		uint8_t proto, const void *l4, uint32_t len)
{
	return cksum_fold(l4, len, phdr_sum(src, dst, proto, len)) == 0xffff;
}

static const char *const fz_addrs[] = { "10.0.0.2/24", "fd00::2/64",
	"fe80::2/64", NULL };

const uint8_t tq_fuzz_bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static struct tq_tcptest_host host;
static bool host_up;
static bool inited;
/* Frames from the wire live in their own pool: the host allocates from
 * the test pool only, so a poisoned buffer is never handed to it. */
static struct rte_mempool *rx_pool;
static unsigned int pool_size, rx_pool_size;
static tq_fuzz_out_fn out_fn;
static void *out_arg;
static uint64_t frames_sent;

void
tq_fuzz_fail(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
#ifdef TQ_FUZZ_NO_ENTRY
	fail_msg("%s", msg);
#else
	fprintf(stderr, "tq_fuzz: %s\n", msg);
	fflush(stderr);
	abort();
#endif
}

struct tq_tcptest_host *
tq_fuzz_host(void)
{
	return &host;
}

struct tq_shard *
tq_fuzz_shard(void)
{
	return host.h.s;
}

const uint8_t *
tq_fuzz_host_mac(void)
{
	return host.h.ifc.mac.addr_bytes;
}

static void
pool_unpoison(struct rte_mempool *mp, void *arg,
		struct rte_mempool_memhdr *memhdr, unsigned int idx)
{
	RTE_SET_USED(mp);
	RTE_SET_USED(arg);
	RTE_SET_USED(idx);
	FZ_UNPOISON(memhdr->addr, memhdr->len);
}

/* At exit every input has been checked; a host still up was cut short
 * by a failed check (the regression test goes on after one). */
static void
at_exit(void)
{
	unsigned int avail, rx_avail;

	if (host_up) {
		host_up = false;
		tq_tcptest_fini(&host);
		return;
	}
	avail = rte_mempool_avail_count(tq_test_pool());
	rx_avail = rte_mempool_avail_count(rx_pool);
	if (avail != pool_size || rx_avail != rx_pool_size) {
		fprintf(stderr, "tq_fuzz: mbuf leak at exit: %d of the "
				"host's, %d of the wire's\n",
				(int)pool_size - (int)avail,
				(int)rx_pool_size - (int)rx_avail);
		abort();
	}
}

void
tq_fuzz_init(const char *name)
{
	cpu_set_t all;
	long i, n;

	if (inited)
		return;
	if (tq_test_eal_init(name) < 0 || tq_mbuf_dyn_register() < 0) {
		fprintf(stderr, "tq_fuzz: EAL init failed\n");
		abort();
	}
	rx_pool = rte_pktmbuf_pool_create("tq_fuzz_rx", FZ_RX_MBUFS, 0, 0,
			RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (!rx_pool) {
		fprintf(stderr, "tq_fuzz: no rx pool\n");
		abort();
	}
	pool_size = rte_mempool_avail_count(tq_test_pool());
	rx_pool_size = rte_mempool_avail_count(rx_pool);
	/* EAL pinned us to lcore 0's CPU; let two fuzzers share the box. */
	CPU_ZERO(&all);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	for (i = 0; i < n && i < CPU_SETSIZE; i++)
		CPU_SET(i, &all);
	sched_setaffinity(0, sizeof(all), &all);
	atexit(at_exit);
	inited = true;
}

/* ---- the per-input host ---- */

static tq_fuzz_udp_fn udp_fn;
static void *udp_arg;

void
tq_fuzz_set_udp_check(tq_fuzz_udp_fn fn, void *arg)
{
	udp_fn = fn;
	udp_arg = arg;
}

/* Copy a chain out flat (up to cap bytes); returns the bytes in it. */
static FZ_NO_COV uint32_t
flatten(const struct rte_mbuf *m, uint8_t *buf, uint32_t cap)
{
	uint32_t len = 0;

	for (; m; m = m->next) {
		uint32_t k = RTE_MIN((uint32_t)m->data_len, cap - len);

		memcpy(buf + len, rte_pktmbuf_mtod(m, const uint8_t *), k);
		len += k;
		if (k < m->data_len)
			tq_fuzz_fail("more than %u bytes in a chain", cap);
	}
	return len;
}

static void
udp_cb(struct tq_shard *s, struct tq_udp_dgram *d, void *arg)
{
	static uint8_t buf[65536];
	const uint8_t *uh;
	const char *why = NULL;
	uint32_t len, ulen;

	if (rte_mbuf_check(d->m, 1, &why) < 0)
		tq_fuzz_fail("UDP delivered a bad mbuf: %s", why);
	/* Every byte the datagram claims (ASan sees overreads). */
	len = flatten(d->m, buf, sizeof(buf));
	FZ_CHECK(len == d->m->pkt_len, "UDP dgram pkt_len %u, segments %u",
			d->m->pkt_len, len);
	/* The UDP header is still there, just before the payload: what
	 * the app gets is what its length says. */
	uh = rte_pktmbuf_mtod(d->m, const uint8_t *) - 8;
	ulen = (uint32_t)((uh[4] << 8) | uh[5]);
	FZ_CHECK(ulen >= 8 && len == ulen - 8,
			"UDP delivered %u payload bytes, its length says %u",
			len, ulen - 8);
	if (udp_fn)
		udp_fn(d, buf, len, udp_arg);
	if (arg == (void *)1)
		tq_udp_reply(s, d);
	else
		rte_pktmbuf_free(d->m);
}

static void
accept_cb(struct tq_shard *s, struct tq_listener *l, void *arg);

/* The host's streams read what comes (unless told not to). */
static bool app_reads = true;

static void
st_readable(struct tq_stream *st, void *ctx)
{
	uint8_t buf[4096];
	int n;

	RTE_SET_USED(ctx);
	if (!app_reads)
		return;
	do {
		n = tq_stream_read(st, buf, sizeof(buf));
	} while (n > 0);
}

#define FZ_WATCH 4
static struct tq_stream **watched[FZ_WATCH];

void
tq_fuzz_watch(struct tq_stream **pp)
{
	unsigned int i;

	for (i = 0; i < FZ_WATCH; i++) {
		if (!watched[i] || watched[i] == pp) {
			watched[i] = pp;
			return;
		}
	}
	tq_fuzz_fail("too many watched streams");
}

static void
st_closed(struct tq_stream *st, enum tq_close_reason why, void *ctx)
{
	unsigned int i;

	RTE_SET_USED(why);
	RTE_SET_USED(ctx);
	/* st is gone when this returns: forget it everywhere. */
	for (i = 0; i < FZ_WATCH; i++)
		if (watched[i] && *watched[i] == st)
			*watched[i] = NULL;
}

static const struct tq_stream_ops fz_ops = {
	.readable = st_readable,
	.closed = st_closed,
};

static struct tq_stream *last_accepted;
static bool accepting = true;

static void
accept_cb(struct tq_shard *s, struct tq_listener *l, void *arg)
{
	struct tq_stream *st;

	RTE_SET_USED(s);
	RTE_SET_USED(arg);
	if (!accepting)
		return;
	while ((st = tq_tcp_accept(l, &fz_ops, NULL)) != NULL)
		last_accepted = st;
}

void
tq_fuzz_set_accept(bool on)
{
	accepting = on;
}

const struct tq_stream_ops *
tq_fuzz_ops(void)
{
	return &fz_ops;
}

struct tq_stream *
tq_fuzz_last_accepted(void)
{
	return last_accepted;
}

void
tq_fuzz_set_app_reads(bool on)
{
	app_reads = on;
}

void
tq_fuzz_begin(void)
{
	struct tq_tcptest_host *t = &host;
	struct rte_ether_addr peer;
	struct tq_addr a;
	static const char *const peers[] = { FZ_PEER4, FZ_PEER6, "fe80::1" };
	unsigned int i;

	if (!inited)
		tq_fuzz_fail("tq_fuzz_init was not called");
	if (host_up) {
		/* The last input failed a check half way (the regression
		 * test goes on after one): drop its host, unchecked, and
		 * write off what it held when it was cut short. */
		host_up = false;
		tq_tcptest_fini(&host);
		pool_size = rte_mempool_avail_count(tq_test_pool());
		rx_pool_size = rte_mempool_avail_count(rx_pool);
	}
	rte_mempool_mem_iter(rx_pool, pool_unpoison, NULL);
	out_fn = NULL;
	out_arg = NULL;
	udp_fn = NULL;
	udp_arg = NULL;
	frames_sent = 0;
	last_accepted = NULL;
	memset(watched, 0, sizeof(watched));
	tq_fuzz_watch(&last_accepted);
	app_reads = true;
	accepting = true;

	tq_tcptest_prepare(t);
	/* Small bounds so that limits are reached, short timers so that
	 * they fire within the few seconds an input runs. */
	t->conf.max_conns = 64;
	t->conf.max_tw = 8;
	t->conf.rcvbuf = 16384;
	t->conf.sndbuf = 16384;
	t->conf.ooo_segs = 8;
	t->conf.msl2_ns = TT_S(2);
	t->conf.fin_timeout_ns = TT_S(2);
	t->conf.keepalive = true;
	t->conf.keep_idle_ns = TT_S(2);
	t->conf.keep_intvl_ns = TT_MS(500);
	t->conf.keep_cnt = 2;
	t->conf.retries2 = 3;
	t->conf.synack_retries = 2;
	t->conf.syn_retries = 2;
	t->conf.fastopen = 3;
	t->conf.challenge_ack_limit = 5;
	t->net.frag_entries = 16;
	t->net.frag_timeout_ns = TT_S(1);
	t->net.neigh_entries = 16;
	t->net.neigh_queue = 4;
	t->net.neigh_reachable_ns = TT_S(2);
	t->net.neigh_gc_ns = TT_S(3);
	t->net.neigh_retrans_ns = TT_MS(300);
	t->net.neigh_probes = 2;
	t->net.icmp_burst = 4;
	t->net.icmp_rate = 10;
	if (tq_tcptest_listen(t, NULL, FZ_TCP_PORT, 4, accept_cb, NULL) < 0)
		tq_fuzz_fail("listen");
	if (tq_tcptest_start(t, 2, fz_addrs) < 0)
		tq_fuzz_fail("host start");
	host_up = true;
	if (tq_udp_table_bind(&t->h.udp, NULL, FZ_UDP_ECHO, udp_cb,
			(void *)1) < 0 ||
			tq_udp_table_bind(&t->h.udp, NULL, FZ_UDP_DISCARD,
				udp_cb, NULL) < 0)
		tq_fuzz_fail("udp bind");
	memcpy(&peer, tq_test_peer_mac, sizeof(peer));
	for (i = 0; i < RTE_DIM(peers); i++)
		tq_tcptest_learn(t, peers[i], &peer);
	/* Frames waiting on resolution, for ARP and NDP to release. */
	a = tq_test_addr(FZ_UNRES4);
	tq_udp_sendto(t->h.s, NULL, 1000, &a, 1000, "v4", 2);
	a = tq_test_addr(FZ_UNRES6);
	tq_udp_sendto(t->h.s, NULL, 1000, &a, 1000, "v6", 2);
	tq_fuzz_poll(0);
}

/* ---- checks ---- */

static void
check_counters(struct tq_shard *s)
{
	const uint64_t *c = s->ctr;
	unsigned int i;

	for (i = 0; i < TQ_CTR_MAX; i++)
		FZ_CHECK(c[i] < (1ull << 48), "counter %s is %" PRId64
				" (gone below zero?)", tq_counter_name(i),
				(int64_t)c[i]);
	FZ_CHECK(c[TQ_CTR_RX_PKTS] == frames_sent,
			"RxPackets %" PRIu64 ", frames sent %" PRIu64,
			c[TQ_CTR_RX_PKTS], frames_sent);
	FZ_CHECK(c[TQ_CTR_IP_REASM_OKS] <= c[TQ_CTR_IP_REASM_REQDS],
			"more IPv4 reassemblies than fragments");
	FZ_CHECK(c[TQ_CTR_IP6_REASM_OKS] <= c[TQ_CTR_IP6_REASM_REQDS],
			"more IPv6 reassemblies than fragments");
	FZ_CHECK(c[TQ_CTR_IP_IN_DELIVERS] <= c[TQ_CTR_IP_IN_RECEIVES],
			"IPv4 delivered more than received");
	FZ_CHECK(c[TQ_CTR_IP6_IN_DELIVERS] <= c[TQ_CTR_IP6_IN_RECEIVES],
			"IPv6 delivered more than received");
	FZ_CHECK(c[TQ_CTR_TCP_IN_SEGS] <= c[TQ_CTR_IP_IN_DELIVERS] +
			c[TQ_CTR_IP6_IN_DELIVERS],
			"more TCP segments than IP deliveries");
	FZ_CHECK(c[TQ_CTR_UDP_IN_DATAGRAMS] + c[TQ_CTR_UDP_NO_PORTS] <=
			c[TQ_CTR_IP_IN_DELIVERS] + c[TQ_CTR_IP6_IN_DELIVERS],
			"more UDP datagrams than IP deliveries");
}

static void
check_timers(struct tq_shard *s)
{
	const struct tq_timer_wheel *w = s->timers;
	unsigned int i, n = 0;

	for (i = 0; i < TQ_WHEEL_ALL_SLOTS; i++) {
		struct tq_timer *const *pp = &w->slot[i];
		const struct tq_timer *t;

		for (t = *pp; t; pp = &t->next, t = t->next) {
			FZ_CHECK(t->pprev == pp, "timer list broken, slot %u",
					i);
			FZ_CHECK(++n <= w->count + 1024u,
					"timer list loops, slot %u", i);
		}
	}
	FZ_CHECK(n == w->count, "timer wheel counts %u, holds %u", w->count,
			n);
}

static void
check_mq(const struct tq_mq *q, const char *what)
{
	const struct rte_mbuf *m;
	uint32_t bytes = 0, n = 0;

	for (m = q->head; m; m = m->next) {
		bytes += m->data_len;
		n++;
		FZ_CHECK(n < 100000, "%s queue loops", what);
		if (!m->next)
			FZ_CHECK(m == q->tail, "%s queue tail is wrong", what);
	}
	if (!q->head) {
		FZ_CHECK(q->bytes == 0 && q->off == 0,
				"empty %s queue holds %u bytes", what,
				q->bytes);
		return;
	}
	FZ_CHECK(q->off <= q->head->data_len, "%s queue offset %u past %u",
			what, q->off, q->head->data_len);
	FZ_CHECK(bytes - q->off == q->bytes,
			"%s queue counts %u bytes, holds %u", what, q->bytes,
			bytes - q->off);
	FZ_CHECK(n == q->nsegs, "%s queue counts %u segments, holds %u",
			what, q->nsegs, n);
}

static void
check_tcb(const struct tq_tcb *tp)
{
	const struct rte_mbuf *r;
	uint32_t bytes = 0, segs = 0;
	const char *why = NULL;

	FZ_CHECK(tp->state != TQ_TCPS_CLOSED && tp->state < TQ_TCPS_MAX,
			"a TCB in state %u stays in the flow table", tp->state);
	FZ_CHECK(!tp->busy && !(tp->flags & TF_DOOMED),
			"a TCB is left busy (%u) or doomed (flags %#x)",
			tp->busy, tp->flags);
	if (TQ_TCPS_SYNCHRONIZED(tp->state)) {
		FZ_CHECK(SEQ_LEQ(tp->snd_una, tp->snd_nxt) &&
				SEQ_LEQ(tp->snd_nxt, tp->snd_max),
				"%s: snd_una %u snd_nxt %u snd_max %u",
				tq_tcp_state_name(tp->state), tp->snd_una,
				tp->snd_nxt, tp->snd_max);
	}
	check_mq(&tp->sndq, "send");
	check_mq(&tp->rcvq, "receive");
	for (r = tp->ooo; r; r = *tq_mbuf_link((struct rte_mbuf *)r)) {
		const struct rte_mbuf *nx =
			*tq_mbuf_link((struct rte_mbuf *)r);

		if (rte_mbuf_check(r, 1, &why) < 0)
			tq_fuzz_fail("out-of-order run: %s", why);
		FZ_CHECK(r->pkt_len > 0, "empty out-of-order run");
		FZ_CHECK(SEQ_GT(r->hash.usr, tp->rcv_nxt),
				"out-of-order run at %u, rcv_nxt %u",
				r->hash.usr, tp->rcv_nxt);
		if (nx)
			FZ_CHECK(SEQ_LT(r->hash.usr + r->pkt_len,
					nx->hash.usr),
					"out-of-order runs [%u,+%u) and %u "
					"overlap or touch", r->hash.usr,
					r->pkt_len, nx->hash.usr);
		bytes += r->pkt_len;
		segs += r->nb_segs;
		FZ_CHECK(segs < 100000, "out-of-order list loops");
	}
	FZ_CHECK(bytes == tp->ooo_bytes && segs == tp->ooo_segs,
			"out-of-order queue counts %u bytes %u segs, holds "
			"%u bytes %u segs", tp->ooo_bytes, tp->ooo_segs,
			bytes, segs);
}

static void
check_tcp(struct tq_shard *s)
{
	struct tq_tcp *t = tq_tcp(s);
	unsigned int estab = 0, tw = 0, n = 0, i;
	unsigned int syn[TQ_TCP_MAX_LISTEN] = { 0 };
	const struct tq_tcb *tp;
	uint32_t iter = 0;

	while ((tp = tq_flows_next(&t->flows, &iter)) != NULL) {
		n++;
		check_tcb(tp);
		FZ_CHECK(tp->sig == tq_flows_hash(&t->flows, &tp->key) &&
				*tp->hpprev == tp &&
				(!tp->hnext || tp->hnext->hpprev == &tp->hnext),
				"flow table entry out of place");
		if (tp->state == TQ_TCPS_ESTABLISHED ||
				tp->state == TQ_TCPS_CLOSE_WAIT)
			estab++;
		if (tp->state == TQ_TCPS_TIME_WAIT)
			tw++;
		if (tp->listener && tp->state == TQ_TCPS_SYN_RECEIVED &&
				!(tp->flags & TF_ACCEPTQ)) {
			i = (unsigned int)(tp->listener - t->listeners);
			if (i < TQ_TCP_MAX_LISTEN)
				syn[i]++;
		}
	}
	FZ_CHECK(n == t->nconns, "nconns %u, flow table holds %u",
			t->nconns, n);
	FZ_CHECK(n == t->flows.n, "flow table counts %u, holds %u",
			t->flows.n, n);
	FZ_CHECK(t->conf->max_conns - tq_tcp_tcbs_free(t) == n,
			"TCB pool has %u in use, flow table holds %u",
			t->conf->max_conns - tq_tcp_tcbs_free(t), n);
	FZ_CHECK(s->ctr[TQ_CTR_TCP_CURR_ESTAB] == estab,
			"TcpCurrEstab %" PRIu64 ", connections %u",
			s->ctr[TQ_CTR_TCP_CURR_ESTAB], estab);
	FZ_CHECK(s->ctr[TQ_CTR_TCP_TW_COUNT] == tw,
			"TcpTimeWait %" PRIu64 ", connections %u",
			s->ctr[TQ_CTR_TCP_TW_COUNT], tw);
	for (i = 0; i < t->nl; i++) {
		const struct tq_listener *l = &t->listeners[i];
		const struct tq_tcb *a;
		unsigned int acc = 0;

		for (a = l->acc_head; a; a = a->acc_next) {
			acc++;
			FZ_CHECK(acc <= n, "accept queue loops");
		}
		FZ_CHECK(acc == l->acc_count,
				"listener counts %u accepted, holds %u",
				l->acc_count, acc);
		FZ_CHECK(syn[i] == l->syn_count,
				"listener counts %u in SYN_RECEIVED, holds %u",
				l->syn_count, syn[i]);
	}
}

/* TQ_FUZZ_DEBUG=1: what each input did, by its counters. */
static void
debug_counters(struct tq_shard *s)
{
	static int on = -1;
	unsigned int i;

	if (on < 0)
		on = getenv("TQ_FUZZ_DEBUG") != NULL;
	if (!on)
		return;
	fprintf(stderr, "tq_fuzz:");
	for (i = 0; i < TQ_CTR_MAX; i++)
		if (s->ctr[i])
			fprintf(stderr, " %s=%" PRIu64, tq_counter_name(i),
					s->ctr[i]);
	fprintf(stderr, "\n");
}

void
tq_fuzz_end(void)
{
	unsigned int avail, rx_avail;

	if (!host_up)
		return;
	debug_counters(host.h.s);
	check_counters(host.h.s);
	check_timers(host.h.s);
	check_tcp(host.h.s);
	host_up = false;
	tq_tcptest_fini(&host);
	avail = rte_mempool_avail_count(tq_test_pool());
	rx_avail = rte_mempool_avail_count(rx_pool);
	FZ_CHECK(avail == pool_size && rx_avail == rx_pool_size,
			"mbuf leak: %d of the host's, %d of the wire's",
			(int)pool_size - (int)avail,
			(int)rx_pool_size - (int)rx_avail);
}

/* ---- input ---- */

unsigned int
tq_fuzz_records(const uint8_t *d, size_t n, struct tq_fuzz_rec *r,
		unsigned int max)
{
	unsigned int k = 0;

	while (n > 0 && k < max) {
		size_t len;

		if (n < 2) {
			r[k].p = d;
			r[k].len = (uint32_t)n;
			k++;
			break;
		}
		len = (size_t)((d[0] << 8) | d[1]);
		d += 2;
		n -= 2;
		/* The last record takes the rest. */
		if (len > n || k == max - 1)
			len = n;
		r[k].p = d;
		r[k].len = (uint32_t)len;
		k++;
		d += len;
		n -= len;
	}
	return k;
}

/*
 * TQ_FUZZ_NO_CHAINS=1: frames are cut to one mbuf, never chained; for
 * looking past bugs of chained frames that are known but not yet fixed.
 */
static bool
no_chains(void)
{
	static int on = -1;

	if (on < 0)
		on = getenv("TQ_FUZZ_NO_CHAINS") != NULL;
	return on;
}

void
tq_fuzz_send(const void *frame, uint32_t len)
{
	const uint8_t *p = frame;
	struct rte_mbuf *m, *last = NULL;
	uint32_t left;

	if (len > FZ_MAX_FRAME)
		len = FZ_MAX_FRAME;
	if (no_chains() && len > RTE_MBUF_DEFAULT_DATAROOM)
		len = RTE_MBUF_DEFAULT_DATAROOM;
	left = len;
	m = rte_pktmbuf_alloc(rx_pool);
	if (!m)
		tq_fuzz_fail("fuzz pool empty");
	last = m;
	for (;;) {
		uint16_t room = rte_pktmbuf_tailroom(last);
		uint32_t k = RTE_MIN((uint32_t)room, left);
		uint8_t *dst = rte_pktmbuf_mtod_offset(last, uint8_t *,
				last->data_len);

		memcpy(dst, p, k);
		last->data_len = (uint16_t)(last->data_len + k);
		m->pkt_len += k;
		p += k;
		left -= k;
		/* Past the frame is off limits. */
		FZ_POISON(dst + k, rte_pktmbuf_tailroom(last));
		if (!left)
			break;
		last->next = rte_pktmbuf_alloc(rx_pool);
		if (!last->next)
			tq_fuzz_fail("fuzz pool empty");
		last = last->next;
		m->nb_segs++;
	}
	if (host.h.wire.tx(&host.h.wire, &m, 1) != 1)
		tq_fuzz_fail("wire full");
	frames_sent++;
}

void
tq_fuzz_set_out(tq_fuzz_out_fn fn, void *arg)
{
	out_fn = fn;
	out_arg = arg;
}

static bool
is_host_ip6(const uint8_t *a)
{
	struct tq_addr x = { .family = AF_INET6 };

	memcpy(x.v6, a, 16);
	return tq_iface_has_addr(&host.h.ifc, &x);
}


/* ICMP types that are errors (RFC 792, 1122 3.2.2). */
static bool
icmp4_is_error(uint8_t type)
{
	return type == 3 || type == 4 || type == 5 || type == 11 ||
		type == 12;
}

/* Everything the host sends must be well formed: lengths that agree,
 * checksums that check (no offloads on the memlink), our addresses. */
static void
check_out(const uint8_t *f, uint32_t len)
{
	uint16_t type;

	FZ_CHECK(len >= 14, "host sent a %u byte frame", len);
	FZ_CHECK(memcmp(f + 6, host.h.ifc.mac.addr_bytes, 6) == 0,
			"host sent a frame from another MAC");
	FZ_CHECK(len <= 14u + host.h.ifc.mtu,
			"host sent %u bytes, more than the MTU", len);
	type = (uint16_t)((f[12] << 8) | f[13]);
	f += 14;
	len -= 14;
	if (type == RTE_ETHER_TYPE_ARP) {
		FZ_CHECK(len == sizeof(struct rte_arp_hdr),
				"host sent an ARP frame of %u bytes", len);
		return;
	}
	if (type == RTE_ETHER_TYPE_IPV4) {
		const struct rte_ipv4_hdr *ip = (const void *)f;
		uint32_t ihl, tot, frag;
		struct tq_addr s, d;

		FZ_CHECK(len >= 20, "short IPv4 from the host");
		ihl = (ip->version_ihl & 0xf) * 4u;
		tot = rte_be_to_cpu_16(ip->total_length);
		FZ_CHECK((ip->version_ihl >> 4) == 4 && ihl >= 20 &&
				tot == len && ihl <= tot,
				"host sent IPv4 with ihl %u total %u in %u",
				ihl, tot, len);
		FZ_CHECK(cksum_fold(ip, ihl, 0) == 0xffff,
				"host sent a bad IPv4 header checksum");
		FZ_CHECK(ip->time_to_live != 0, "host sent TTL 0");
		s = tq_addr_v4(ip->src_addr);
		FZ_CHECK(tq_iface_has_addr(&host.h.ifc, &s),
				"host sent IPv4 from %08x", ip->src_addr);
		frag = rte_be_to_cpu_16(ip->fragment_offset) & 0x3fff;
		/* RFC 1812 4.3.2.3: an ICMP error fits in 576 bytes. */
		if (ip->next_proto_id == IPPROTO_ICMP && tot > ihl &&
				!(frag & 0x1fff) && icmp4_is_error(f[ihl]))
			FZ_CHECK(tot <= 576 && !frag,
					"host sent an ICMP error of %u bytes%s",
					tot, frag ? " (fragmented)" : "");
		if (frag)
			return;
		d = tq_addr_v4(ip->dst_addr);
		if (ip->next_proto_id == IPPROTO_ICMP)
			FZ_CHECK(cksum_fold(f + ihl, tot - ihl, 0) == 0xffff,
					"host sent a bad ICMP checksum");
		else if (ip->next_proto_id == IPPROTO_UDP ||
				ip->next_proto_id == IPPROTO_TCP) {
			FZ_CHECK(tot - ihl >= 8, "host sent a short L4");
			FZ_CHECK(l4_cksum_ok(&s, &d,
					ip->next_proto_id, f + ihl, tot - ihl),
					"host sent a bad %s checksum (IPv4)",
					ip->next_proto_id == IPPROTO_UDP ?
					"UDP" : "TCP");
		}
		if (ip->next_proto_id == IPPROTO_UDP)
			FZ_CHECK(((f[ihl + 4] << 8) | f[ihl + 5]) ==
					(int)(tot - ihl),
					"host sent a UDP length that is off");
		return;
	}
	if (type == RTE_ETHER_TYPE_IPV6) {
		const struct rte_ipv6_hdr *ip = (const void *)f;
		struct tq_addr s = { .family = AF_INET6 }, d = s;
		uint32_t plen;

		FZ_CHECK(len >= 40, "short IPv6 from the host");
		plen = rte_be_to_cpu_16(ip->payload_len);
		FZ_CHECK((rte_be_to_cpu_32(ip->vtc_flow) >> 28) == 6 &&
				plen + 40 == len,
				"host sent IPv6 with payload %u in %u", plen,
				len);
		FZ_CHECK(is_host_ip6(ip->src_addr),
				"host sent IPv6 from an address not its own");
		memcpy(s.v6, ip->src_addr, 16);
		memcpy(d.v6, ip->dst_addr, 16);
		/* RFC 4443 2.4 (c): an ICMPv6 error fits the minimum MTU. */
		if (ip->proto == IPPROTO_ICMPV6 && plen >= 1)
			FZ_CHECK(f[40] >= 128 || len <= 1280,
					"host sent an ICMPv6 error (type %u) "
					"of %u bytes", f[40], len);
		if (ip->proto == IPPROTO_FRAGMENT && plen >= 9 &&
				f[40] == IPPROTO_ICMPV6 &&
				(((f[42] << 8) | f[43]) & 0xfff8) == 0)
			FZ_CHECK(f[48] >= 128,
					"host fragmented an ICMPv6 error (type "
					"%u)", f[48]);
		if (ip->proto == IPPROTO_UDP || ip->proto == IPPROTO_TCP ||
				ip->proto == IPPROTO_ICMPV6) {
			FZ_CHECK(plen >= 4, "host sent a short L4");
			FZ_CHECK(l4_cksum_ok(&s, &d, ip->proto,
					f + 40, plen),
					"host sent a bad checksum (IPv6, "
					"next header %u)", ip->proto);
		}
		return;
	}
	tq_fuzz_fail("host sent ethertype %#x", type);
}

void
tq_fuzz_poll(uint64_t ns)
{
	static uint8_t buf[16384];
	struct rte_mbuf *m;

	tq_test_host_poll(&host.h, ns);
	while ((m = tq_test_wire_recv(&host.h)) != NULL) {
		const char *why = NULL;
		const void *p;
		uint32_t len;

		if (rte_mbuf_check(m, 1, &why) < 0)
			tq_fuzz_fail("host sent a bad mbuf: %s", why);
		len = rte_pktmbuf_pkt_len(m);
		FZ_CHECK(len <= sizeof(buf), "host sent %u bytes", len);
		p = rte_pktmbuf_read(m, 0, len, buf);
		FZ_CHECK(p != NULL, "host sent an unreadable frame");
		if (p != buf)
			memcpy(buf, p, len);
		rte_pktmbuf_free(m);
		check_out(buf, len);
		if (out_fn)
			out_fn(buf, len, out_arg);
	}
}

void
tq_fuzz_settle(void)
{
	static const uint64_t steps[] = {
		0, 0, TT_MS(1), TT_MS(45), TT_MS(250), TT_MS(800),
		TT_MS(1100), TT_MS(2200),
	};
	unsigned int i;

	for (i = 0; i < RTE_DIM(steps); i++)
		tq_fuzz_poll(steps[i]);
}

/* ---- frame building ---- */

uint32_t
tq_fuzz_eth(uint8_t *buf, const uint8_t *dmac, uint16_t type)
{
	memcpy(buf, dmac, 6);
	memcpy(buf + 6, tq_test_peer_mac, 6);
	buf[12] = (uint8_t)(type >> 8);
	buf[13] = (uint8_t)type;
	return 14;
}

uint32_t
tq_fuzz_ip4(uint8_t *p, const char *src, const char *dst, uint8_t proto,
		uint32_t l4len)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)p;
	struct tq_addr s = tq_test_addr(src), d = tq_test_addr(dst);

	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + l4len));
	ip->packet_id = rte_cpu_to_be_16(0x1234);
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->src_addr = s.v4;
	ip->dst_addr = d.v4;
	tq_fuzz_ip4_cksum(p, 20);
	return 20;
}

uint32_t
tq_fuzz_ip6(uint8_t *p, const char *src, const char *dst, uint8_t nh,
		uint8_t hlim, uint32_t plen)
{
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)p;
	struct tq_addr s = tq_test_addr(src), d = tq_test_addr(dst);

	memset(ip, 0, sizeof(*ip));
	ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16((uint16_t)plen);
	ip->proto = nh;
	ip->hop_limits = hlim;
	memcpy(ip->src_addr, s.v6, 16);
	memcpy(ip->dst_addr, d.v6, 16);
	return 40;
}

void
tq_fuzz_ip4_cksum(uint8_t *ip, uint32_t len)
{
	uint32_t ihl;

	if (len < 20)
		return;
	ihl = (ip[0] & 0xf) * 4u;
	if (ihl < 20 || ihl > len)
		return;
	ip[10] = ip[11] = 0;
	{
		uint16_t c = (uint16_t)~cksum_fold(ip, ihl, 0);

		memcpy(ip + 10, &c, 2);
	}
}

void
tq_fuzz_l4_cksum(uint8_t *l4, uint32_t len, const struct tq_addr *src,
		const struct tq_addr *dst, uint8_t proto)
{
	uint32_t off, sum;
	uint16_t c;

	switch (proto) {
	case IPPROTO_UDP:
		off = 6;
		break;
	case IPPROTO_TCP:
		off = 16;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		off = 2;
		break;
	default:
		return;
	}
	if (len < off + 2)
		return;
	l4[off] = l4[off + 1] = 0;
	sum = proto == IPPROTO_ICMP ? 0 :
		phdr_sum(src, dst, proto, len);
	c = (uint16_t)~cksum_fold(l4, len, sum);
	if (proto == IPPROTO_UDP && c == 0)
		c = 0xffff;
	memcpy(l4 + off, &c, 2);
}

bool
tq_fuzz_fix_l4(uint8_t *p, uint32_t len)
{
	struct tq_addr s, d;
	uint32_t off, end;
	uint8_t nh;

	if (len < 1)
		return false;
	if ((p[0] >> 4) == 4) {
		uint16_t fo;

		if (len < 20)
			return false;
		off = (p[0] & 0xf) * 4u;
		end = RTE_MIN((uint32_t)((p[2] << 8) | p[3]), len);
		fo = (uint16_t)(((p[6] << 8) | p[7]) & 0x3fff);
		if (off < 20 || off > end || fo)
			return false;
		s = tq_addr_v4(0);
		d = s;
		memcpy(&s.v4, p + 12, 4);
		memcpy(&d.v4, p + 16, 4);
		nh = p[9];
	} else if ((p[0] >> 4) == 6) {
		if (len < 40)
			return false;
		end = RTE_MIN(40u + ((p[4] << 8) | p[5]), len);
		s.family = d.family = AF_INET6;
		memcpy(s.v6, p + 8, 16);
		memcpy(d.v6, p + 24, 16);
		nh = p[6];
		off = 40;
		while ((nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING ||
				nh == IPPROTO_DSTOPTS) && off + 8 <= end) {
			nh = p[off];
			off += (p[off + 1] + 1u) * 8u;
		}
		if (off > end)
			return false;
	} else {
		return false;
	}
	if (nh != IPPROTO_UDP && nh != IPPROTO_TCP && nh != IPPROTO_ICMP &&
			nh != IPPROTO_ICMPV6)
		return false;
	if (nh == IPPROTO_UDP && end - off >= 8) {
		/* a UDP length that covers the datagram */
		p[off + 4] = (uint8_t)((end - off) >> 8);
		p[off + 5] = (uint8_t)(end - off);
	}
	tq_fuzz_l4_cksum(p + off, end - off, &s, &d, nh);
	return true;
}
