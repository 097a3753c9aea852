/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stack-only TCP figures: two engine shards in one process joined by the
 * in-memory link, polled in turn on one core with the real clock, so the
 * numbers are what the TCP/IP code costs with no NIC, no kernel and no
 * copies through a driver.  Output is JSON on stdout.
 *
 *   stack_bench [--mode bulk|rr|crr] [--seconds S | --count N]
 *               [--conns C] [--resp BYTES]
 *
 * Workloads: bulk (one connection, client writes, server discards),
 * rr (C keep-alive connections, 100-byte request, BYTES-byte response,
 * one outstanding each, latency percentiles), crr (connect, request,
 * response, close: connections per second).  Without --mode all three
 * run in turn.  --count makes a run exactly N bytes (bulk), N requests
 * (rr) or N connections (crr) instead of S seconds, so that two runs at
 * different counts under callgrind differ only by the work counted
 * (bench/cost/run.sh).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include <tachyon/tq_loop.h>
#include <tachyon/tq_tcp.h>
#include <tachyon/tq_worker.h>

static struct tq_loop *loop;
static struct tq_shard *cli_s, *srv_s;
static uint32_t resp_bytes = 1024;
static uint8_t buf[1 << 16];
static double tsc_ns;

static uint64_t
now_ns(void)
{
	return (uint64_t)((double)rte_get_tsc_cycles() * tsc_ns);
}

/*
 * Counted runs poll on a clock of their own, 1 us a poll (about what a
 * poll takes here natively), so timers fire at the same points in every
 * run and under callgrind, where the real clock runs some 50 times
 * further per poll.
 */
#define VCLOCK_STEP_NS 1000
static uint64_t vclock;

static void
poll_both(void)
{
	if (vclock) {
		vclock += VCLOCK_STEP_NS;
		tq_loop_poll_at(loop, vclock);
	} else {
		tq_loop_poll(loop);
	}
}

/* ---- server side: discard, or answer each 100-byte request ---- */

static void
srv_readable(struct tq_stream *st, void *ctx)
{
	uintptr_t mode = (uintptr_t)ctx;
	int n;

	while ((n = tq_stream_read(st, buf, sizeof(buf))) > 0) {
		if (mode == 0)
			continue;
		/* one response per 100 bytes of request */
		for (int k = n; k >= 100; k -= 100) {
			uint32_t left = resp_bytes;

			while (left) {
				int w = tq_stream_write(st, buf,
						left < sizeof(buf) ? left :
						sizeof(buf));
				if (w <= 0)
					return;
				left -= (uint32_t)w;
			}
		}
	}
	if (n == 0)
		tq_stream_close(st);
}

static const struct tq_stream_ops srv_ops = { .readable = srv_readable };

static void
srv_accept(struct tq_shard *s, struct tq_listener *l, void *arg)
{
	struct tq_stream *st;

	while ((st = tq_tcp_accept(l, &srv_ops, arg)) != NULL)
		srv_readable(st, arg);
}

/* ---- client side ---- */

struct conn {
	struct tq_stream *st;
	uint64_t sent_at;
	uint32_t got;
	bool up, done;
};

#define MAX_CONNS 256
static struct conn conns[MAX_CONNS];
static uint64_t lat[1 << 20];
static uint32_t nlat;
static uint64_t transactions;
static bool crr_mode;
/* Counted runs: 0 means timed. */
static uint64_t count;
static uint64_t issued;

static void
send_req(struct conn *c)
{
	if (!crr_mode) {
		if (count && issued >= count) {
			c->done = true;
			return;
		}
		issued++;
	}
	memset(buf, 'q', 100);
	c->got = 0;
	c->sent_at = count ? 0 : now_ns();
	tq_stream_write(c->st, buf, 100);
}

static void
cli_connected(struct tq_stream *st, void *ctx)
{
	struct conn *c = ctx;

	c->up = true;
	send_req(c);
}

static void
cli_readable(struct tq_stream *st, void *ctx)
{
	struct conn *c = ctx;
	int n;

	while ((n = tq_stream_read(st, buf, sizeof(buf))) > 0) {
		c->got += (uint32_t)n;
		if (c->got < resp_bytes)
			continue;
		/* Counted runs are for instruction counts: no clock reads
		 * and no sort of the latencies in them. */
		if (!count && nlat < RTE_DIM(lat))
			lat[nlat++] = now_ns() - c->sent_at;
		transactions++;
		if (crr_mode) {
			tq_stream_close(st);
			return;
		}
		send_req(c);
	}
}

static void
cli_closed(struct tq_stream *st, enum tq_close_reason why, void *ctx)
{
	struct conn *c = ctx;

	c->st = NULL;
	c->up = false;
	c->done = true;
}

static const struct tq_stream_ops cli_ops = {
	.connected = cli_connected,
	.readable = cli_readable,
	.closed = cli_closed,
};

static void
open_conn(struct conn *c, uint16_t port)
{
	struct tq_addr dst = tq_loop_addr(loop, 1);
	int err;

	memset(c, 0, sizeof(*c));
	c->st = tq_tcp_connect(cli_s, &dst, port, NULL, 0, &cli_ops, c, &err);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double
pct(double p)
{
	if (!nlat)
		return 0;
	return (double)lat[(uint32_t)(p * (nlat - 1))] / 1000.0;
}

static void
run_bulk(double secs, bool last)
{
	struct conn c;
	uint64_t t0, end, sent = 0;
	uint64_t rx0 = tq_shard_counter(srv_s, TQ_CTR_TCP_IN_SEGS);

	open_conn(&c, 9);
	while (!c.up)
		poll_both();
	memset(buf, 'b', sizeof(buf));
	t0 = now_ns();
	end = t0 + (uint64_t)(secs * 1e9);
	while (count ? sent < count : now_ns() < end) {
		uint64_t want = count ? RTE_MIN(count - sent, sizeof(buf)) :
			sizeof(buf);
		int w = tq_stream_write(c.st, buf, (uint32_t)want);

		if (w > 0)
			sent += (uint64_t)w;
		poll_both();
	}
	for (;;) {
		struct tq_conn_info in;

		tq_stream_info(c.st, &in);
		if (!count || in.bytes_acked >= count)
			break;
		poll_both();
	}
	{
		struct tq_conn_info in;
		double dt = (double)(now_ns() - t0) / 1e9;

		tq_stream_info(c.st, &in);
		printf("  \"bulk\": {\"seconds\": %.2f, \"bytes_acked\": %" PRIu64
			", \"gbit_per_s\": %.3f, \"segments\": %" PRIu64 "}%s\n",
			dt, in.bytes_acked, in.bytes_acked * 8 / dt / 1e9,
			tq_shard_counter(srv_s, TQ_CTR_TCP_IN_SEGS) - rx0,
			last ? "" : ",");
	}
	tq_stream_abort(c.st, 0);
	for (int i = 0; i < 100; i++)
		poll_both();
}

static bool
all_done(unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (conns[i].st && !conns[i].done)
			return false;
	return true;
}

static void
run_rr(double secs, unsigned int n, bool crr, bool last)
{
	uint64_t t0, end;
	double dt;

	crr_mode = crr;
	nlat = 0;
	transactions = 0;
	issued = 0;
	if (count && n > count)
		n = (unsigned int)count;
	for (unsigned int i = 0; i < n; i++) {
		open_conn(&conns[i], 80);
		if (crr)
			issued++;
	}
	t0 = now_ns();
	end = t0 + (uint64_t)(secs * 1e9);
	while (count ? transactions < count : now_ns() < end) {
		poll_both();
		if (!crr)
			continue;
		for (unsigned int i = 0; i < n; i++) {
			if (!conns[i].done || (count && issued >= count))
				continue;
			open_conn(&conns[i], 80);
			issued++;
		}
	}
	/* A counted run ends when every connection has closed (crr) or
	 * has no request outstanding (rr): no work left half done. */
	while (count && !all_done(n))
		poll_both();
	dt = (double)(now_ns() - t0) / 1e9;
	qsort(lat, nlat, sizeof(lat[0]), cmp_u64);
	printf("  \"%s\": {\"conns\": %u, \"response_bytes\": %u, "
		"\"seconds\": %.2f, \"per_second\": %.0f, \"p50_us\": %.1f, "
		"\"p99_us\": %.1f, \"p999_us\": %.1f}%s\n", crr ? "crr" : "rr",
		n, resp_bytes, dt, transactions / dt, pct(0.5), pct(0.99),
		pct(0.999), last ? "" : ",");
	for (unsigned int i = 0; i < n; i++)
		if (conns[i].st)
			tq_stream_abort(conns[i].st, 0);
	for (int i = 0; i < 1000; i++)
		poll_both();
}

int
main(int argc, char **argv)
{
	char *eal[] = { argv[0], "--no-huge", "--no-pci", "--no-shconf",
		"-m", "512", "-l", "0", "--no-telemetry", "--log-level", "4",
		"--file-prefix", "tqstackbench", NULL };
	static const struct option lo[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "conns", required_argument, NULL, 'c' },
		{ "resp", required_argument, NULL, 'r' },
		{ "mode", required_argument, NULL, 'm' },
		{ "count", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	double secs = 3;
	unsigned int nconns = 32;
	const char *mode = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "s:c:r:m:n:", lo, NULL)) != -1) {
		if (c == 's')
			secs = atof(optarg);
		else if (c == 'm')
			mode = optarg;
		else if (c == 'n')
			count = strtoull(optarg, NULL, 0);
		else if (c == 'c')
			nconns = (unsigned int)RTE_MIN(atoi(optarg), MAX_CONNS);
		else if (c == 'r')
			resp_bytes = (uint32_t)atoi(optarg);
		else
			return 2;
	}
	if (mode && strcmp(mode, "bulk") && strcmp(mode, "rr") &&
			strcmp(mode, "crr")) {
		fprintf(stderr, "stack_bench: --mode bulk|rr|crr\n");
		return 2;
	}
	if (tq_loop_create((int)RTE_DIM(eal) - 1, eal, NULL, &loop) < 0)
		return 1;
	tsc_ns = 1e9 / (double)rte_get_tsc_hz();
	if (count)
		vclock = tq_loop_now();
	cli_s = tq_loop_shard(loop, 0);
	srv_s = tq_loop_shard(loop, 1);
	if (tq_loop_listen(loop, 1, 9, 4096, srv_accept, (void *)0) < 0 ||
			tq_loop_listen(loop, 1, 80, 4096, srv_accept,
				(void *)(uintptr_t)1) < 0)
		return 1;
	printf("{\n  \"what\": \"two engine shards over the in-memory link, "
		"one core\",\n");
	if (!mode || !strcmp(mode, "bulk"))
		run_bulk(secs, mode != NULL);
	if (!mode || !strcmp(mode, "rr"))
		run_rr(secs, nconns, false, mode != NULL);
	if (!mode || !strcmp(mode, "crr"))
		run_rr(secs, nconns, true, true);
	printf("}\n");
	tq_loop_destroy(loop);
	return 0;
}
