/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tq-ctl conns: the engine's TCP connections as ss shows sockets.  The
 * engine answers one worker and one page (64 rows) per telemetry call,
 * by column; this walks every worker page by page, so a table of any
 * size is listed, and filters by state and port on the workers' side.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tq_ctl.h"

static const char *const u64_cols[] = {
	"rtt_us", "rttvar_us", "rto_ms", "cwnd", "ssthresh", "inflight",
	"sndq", "rcvq", "retrans",
};
#define NB_U64 (sizeof(u64_cols) / sizeof(u64_cols[0]))

static void
header(void)
{
	printf("%-10s %-6s %-23s %-23s %8s %8s %6s %8s %10s %8s %8s %8s "
		"%7s %s\n", "State", "Worker", "Local Address:Port",
		"Peer Address:Port", "RTT(ms)", "RTTVar", "RTO", "Cwnd",
		"Ssthresh", "InFlight", "Send-Q", "Recv-Q", "Retrans", "CC");
}

static void
row_text(int worker, const char *st, const char *l, const char *p,
		const uint64_t *v, const char *cc)
{
	char ss[16];

	/* ssthresh before the first loss is "infinite", as ss omits it. */
	if (v[4] >= 0xffffffffull)
		snprintf(ss, sizeof(ss), "-");
	else
		snprintf(ss, sizeof(ss), "%llu", (unsigned long long)v[4]);
	printf("%-10s %-6d %-23s %-23s %8.3f %8.3f %6llu %8llu %10s %8llu "
		"%8llu %8llu %7llu %s\n", st, worker, l, p, v[0] / 1000.0,
		v[1] / 1000.0, (unsigned long long)v[2],
		(unsigned long long)v[3], ss, (unsigned long long)v[5],
		(unsigned long long)v[6], (unsigned long long)v[7],
		(unsigned long long)v[8], cc);
}

static json_t *
row_json(int worker, const char *st, const char *l, const char *p,
		const uint64_t *v, const char *cc)
{
	json_t *o = json_object();
	unsigned int k;

	json_object_set_new(o, "state", json_string(st));
	json_object_set_new(o, "worker", json_integer(worker));
	json_object_set_new(o, "local", json_string(l));
	json_object_set_new(o, "peer", json_string(p));
	for (k = 0; k < NB_U64; k++) {
		if (k == 4 && v[k] >= 0xffffffffull)
			json_object_set_new(o, u64_cols[k], json_null());
		else
			json_object_set_new(o, u64_cols[k],
					json_integer((json_int_t)v[k]));
	}
	json_object_set_new(o, "cc", json_string(cc));
	return o;
}

/* One page: rows printed or added to all; *next, *done for the next. */
static int
page(json_t *body, int worker, json_t *all, unsigned long *n,
		unsigned long *next, int *done)
{
	json_t *st, *l, *p, *cc, *cols[NB_U64];
	size_t i, rows;
	unsigned int k;

	*done = (int)json_integer_value(json_object_get(body, "done"));
	*next = (unsigned long)json_integer_value(json_object_get(body,
			"next"));
	st = json_object_get(body, "state");
	if (!st)
		return 0; /* a worker not serving yet */
	l = json_object_get(body, "local");
	p = json_object_get(body, "peer");
	cc = json_object_get(body, "cc");
	rows = json_array_size(st);
	for (k = 0; k < NB_U64; k++) {
		cols[k] = json_object_get(body, u64_cols[k]);
		if (json_array_size(cols[k]) != rows)
			return -EINVAL;
	}
	if (json_array_size(l) != rows || json_array_size(p) != rows ||
			json_array_size(cc) != rows)
		return -EINVAL;
	for (i = 0; i < rows; i++) {
		uint64_t v[NB_U64];
		const char *s_st = json_string_value(json_array_get(st, i));
		const char *s_l = json_string_value(json_array_get(l, i));
		const char *s_p = json_string_value(json_array_get(p, i));
		const char *s_cc = json_string_value(json_array_get(cc, i));

		if (!s_st || !s_l || !s_p || !s_cc)
			return -EINVAL;
		for (k = 0; k < NB_U64; k++)
			v[k] = (uint64_t)json_integer_value(
					json_array_get(cols[k], i));
		if (all)
			json_array_append_new(all, row_json(worker, s_st, s_l,
					s_p, v, s_cc));
		else
			row_text(worker, s_st, s_l, s_p, v, s_cc);
		(*n)++;
	}
	return 0;
}

int
tq_ctl_conns(int fd, const struct tq_ctl_conns_opts *o)
{
	json_t *all = o->json ? json_array() : NULL;
	unsigned long n = 0;
	int workers = 1, w, ret = 0;

	for (w = 0; w < workers && !ret; w++) {
		unsigned long cursor = 0;
		int done = 0;

		while (!done) {
			char cmd[160], filt[64] = "";
			json_t *body;
			int len = 0;

			if (o->state)
				len = snprintf(filt, sizeof(filt), ",state=%s",
						o->state);
			if (o->port)
				snprintf(filt + len, sizeof(filt) - (size_t)len,
						",port=%u", o->port);
			snprintf(cmd, sizeof(cmd), "/tachyon/conns,w=%d,c=%lu%s",
					w, cursor, filt);
			ret = tq_ctl_query_json(fd, cmd, &body);
			if (ret == -EINVAL)
				fprintf(stderr, "tq-ctl: conns refused%s\n",
					o->state || o->port ?
					" (is --state an ss state name?)" : "");
			if (ret < 0)
				break;
			if (w == 0 && cursor == 0) {
				workers = (int)json_integer_value(
					json_object_get(body, "workers"));
				if (!all)
					header();
			}
			ret = page(body, w, all, &n, &cursor, &done);
			json_decref(body);
			if (ret < 0)
				fprintf(stderr, "tq-ctl: conns: bad reply\n");
			if (ret < 0)
				break;
		}
	}
	if (all) {
		if (!ret) {
			json_dumpf(all, stdout, JSON_INDENT(1));
			putchar('\n');
		}
		json_decref(all);
	}
	return ret;
}
