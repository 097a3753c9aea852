/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tq-ctl workers: each worker's load over an interval, the headroom view
 * VPP's "show runtime" gives.  The engine keeps cumulative figures
 * (polls, polls that found work, TSC cycles by phase, packets); this
 * reads them twice and prints the difference.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "tq_ctl.h"

enum {
	C_LCORE, C_POLLS, C_BUSY, C_RX, C_PROTO, C_TX, C_IDLE, C_RXP, C_TXP,
	C_RING, C_NOMBUF, C_MAX
};

static const char *const cols[C_MAX] = {
	"lcore", "polls", "busy_polls", "cycles_rx", "cycles_protocol",
	"cycles_tx", "cycles_idle", "rx_packets", "tx_packets",
	"tx_ring_full", "no_mbuf",
};

#define MAXW 128

struct sample {
	int workers;
	uint64_t hz;
	uint64_t v[C_MAX][MAXW];
	uint64_t port_drops;	/* RxMissed + RxNoMbuf, engine totals */
};

static int
take(int fd, struct sample *s)
{
	json_t *b, *st;
	unsigned int c;
	int w;

	if (tq_ctl_query_json(fd, "/tachyon/workers", &b) < 0)
		return -EIO;
	s->workers = (int)json_integer_value(json_object_get(b, "workers"));
	s->hz = (uint64_t)json_integer_value(json_object_get(b, "tsc_hz"));
	if (s->workers <= 0 || s->workers > MAXW) {
		json_decref(b);
		return -EINVAL;
	}
	for (c = 0; c < C_MAX; c++) {
		json_t *a = json_object_get(b, cols[c]);

		if (json_array_size(a) != (size_t)s->workers) {
			json_decref(b);
			return -EINVAL;
		}
		for (w = 0; w < s->workers; w++)
			s->v[c][w] = (uint64_t)json_integer_value(
					json_array_get(a, (size_t)w));
	}
	json_decref(b);
	if (tq_ctl_query_json(fd, "/tachyon/stats", &st) < 0)
		return -EIO;
	s->port_drops = (uint64_t)json_integer_value(json_object_get(st,
			"RxMissed")) + (uint64_t)json_integer_value(
			json_object_get(st, "RxNoMbuf"));
	json_decref(st);
	return 0;
}

static double
ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0.0;
}

int
tq_ctl_workers(int fd, double interval, int json)
{
	struct sample a, b;
	json_t *all = json ? json_array() : NULL;
	int w;

	if (take(fd, &a) < 0)
		return -EIO;
	usleep((useconds_t)(interval * 1e6));
	if (take(fd, &b) < 0 || b.workers != a.workers)
		return -EIO;
	if (!json)
		printf("%-6s %5s %6s %8s %10s %10s %7s %7s %7s %7s %10s %8s\n",
			"Worker", "Lcore", "Busy%", "CPU%", "Polls/s",
			"RxPkts/s", "TxPkts/s", "RxCyc", "ProtoCyc", "TxCyc",
			"TxRingFull", "NoMbuf");
	for (w = 0; w < a.workers; w++) {
		uint64_t d[C_MAX], cyc_all, cyc_busy;
		unsigned int c;

		for (c = 0; c < C_MAX; c++)
			d[c] = b.v[c][w] - a.v[c][w];
		cyc_busy = d[C_RX] + d[C_PROTO] + d[C_TX];
		cyc_all = cyc_busy + d[C_IDLE];
		if (json) {
			json_t *o = json_object();

			json_object_set_new(o, "worker", json_integer(w));
			json_object_set_new(o, "lcore",
					json_integer((json_int_t)b.v[C_LCORE][w]));
			json_object_set_new(o, "busy_polls_share",
					json_real(ratio(d[C_BUSY], d[C_POLLS])));
			json_object_set_new(o, "busy_cycles_share",
					json_real(ratio(cyc_busy, cyc_all)));
			json_object_set_new(o, "polls_per_sec",
					json_real(d[C_POLLS] / interval));
			json_object_set_new(o, "rx_packets_per_sec",
					json_real(d[C_RXP] / interval));
			json_object_set_new(o, "tx_packets_per_sec",
					json_real(d[C_TXP] / interval));
			json_object_set_new(o, "rx_cycles_per_packet",
					json_real(ratio(d[C_RX], d[C_RXP])));
			json_object_set_new(o, "protocol_cycles_per_packet",
					json_real(ratio(d[C_PROTO], d[C_RXP])));
			json_object_set_new(o, "tx_cycles_per_packet",
					json_real(ratio(d[C_TX], d[C_TXP])));
			json_object_set_new(o, "tx_ring_full",
					json_integer((json_int_t)d[C_RING]));
			json_object_set_new(o, "no_mbuf",
					json_integer((json_int_t)d[C_NOMBUF]));
			json_array_append_new(all, o);
			continue;
		}
		printf("%-6d %5llu %6.1f %8.1f %10.0f %10.0f %7.0f %7.0f %7.0f "
			"%7.0f %10llu %8llu\n", w,
			(unsigned long long)b.v[C_LCORE][w],
			100.0 * ratio(d[C_BUSY], d[C_POLLS]),
			100.0 * ratio(cyc_busy, cyc_all),
			d[C_POLLS] / interval, d[C_RXP] / interval,
			d[C_TXP] / interval, ratio(d[C_RX], d[C_RXP]),
			ratio(d[C_PROTO], d[C_RXP]), ratio(d[C_TX], d[C_TXP]),
			(unsigned long long)d[C_RING],
			(unsigned long long)d[C_NOMBUF]);
	}
	if (json) {
		json_t *o = json_object();

		json_object_set_new(o, "interval", json_real(interval));
		json_object_set_new(o, "tsc_hz", json_integer((json_int_t)b.hz));
		json_object_set_new(o, "port_rx_drops",
				json_integer((json_int_t)(b.port_drops -
						a.port_drops)));
		json_object_set_new(o, "workers", all);
		json_dumpf(o, stdout, JSON_INDENT(1));
		putchar('\n');
		json_decref(o);
	} else {
		printf("port: %llu frames dropped before a worker saw them "
			"(RxMissed + RxNoMbuf) in %.1f s\n",
			(unsigned long long)(b.port_drops - a.port_drops),
			interval);
	}
	return 0;
}
