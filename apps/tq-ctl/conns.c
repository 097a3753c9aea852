/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tq-ctl conns: the engine's TCP connections as ss shows sockets, then
 * its QUIC connections (a table of their own, printed when there are
 * any).  The engine answers one worker and one page per telemetry call,
 * by column (/tachyon/conns from the TCP module, /tachyon/quic/conns
 * from the QUIC module); this walks every worker page by page, so a
 * table of any size is listed, and filters by state and port on the
 * workers' side.  A state name only one protocol has (TIME-WAIT,
 * HANDSHAKE) leaves the other out.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tq_ctl.h"

#define MAX_COLS 10
#define NB(a) (sizeof(a) / sizeof((a)[0]))

struct proto {
	const char *name;	/* "tcp", "quic": the JSON rows' proto */
	const char *cmd;
	const char *const *u64_cols;
	unsigned int nb_u64;
	bool role;		/* a role column (QUIC: client/server) */
	void (*header)(void);
	void (*row)(int worker, const char *st, const char *role,
			const char *l, const char *p, const uint64_t *v,
			const char *cc);
	unsigned int ssthresh_col;	/* printed "-" (null) when infinite */
};

static const char *const tcp_cols[] = {
	"rtt_us", "rttvar_us", "rto_ms", "cwnd", "ssthresh", "inflight",
	"sndq", "rcvq", "retrans",
};

static const char *const quic_cols[] = {
	"rtt_us", "rttvar_us", "cwnd", "ssthresh", "inflight", "bytes_in",
	"bytes_out", "retrans", "lost", "streams",
};

static void
ssthresh_str(char *buf, size_t len, uint64_t v)
{
	/* before the first loss it is "infinite", as ss omits it */
	if (v >= 0xffffffffull)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
}

static void
tcp_header(void)
{
	printf("%-10s %-6s %-23s %-23s %8s %8s %6s %8s %10s %8s %8s %8s "
		"%7s %s\n", "State", "Worker", "Local Address:Port",
		"Peer Address:Port", "RTT(ms)", "RTTVar", "RTO", "Cwnd",
		"Ssthresh", "InFlight", "Send-Q", "Recv-Q", "Retrans", "CC");
}

static void
tcp_row(int worker, const char *st, const char *role, const char *l,
		const char *p, const uint64_t *v, const char *cc)
{
	char ss[24];

	(void)role;
	ssthresh_str(ss, sizeof(ss), v[4]);
	printf("%-10s %-6d %-23s %-23s %8.3f %8.3f %6llu %8llu %10s %8llu "
		"%8llu %8llu %7llu %s\n", st, worker, l, p, v[0] / 1000.0,
		v[1] / 1000.0, (unsigned long long)v[2],
		(unsigned long long)v[3], ss, (unsigned long long)v[5],
		(unsigned long long)v[6], (unsigned long long)v[7],
		(unsigned long long)v[8], cc);
}

static void
quic_header(void)
{
	printf("\nQUIC\n%-10s %-6s %-6s %-23s %-23s %8s %8s %8s %10s %8s "
		"%10s %10s %7s %6s %7s %s\n", "State", "Worker", "Role",
		"Local Address:Port", "Peer Address:Port", "RTT(ms)", "RTTVar",
		"Cwnd", "Ssthresh", "InFlight", "BytesIn", "BytesOut",
		"Retrans", "Lost", "Streams", "CC");
}

static void
quic_row(int worker, const char *st, const char *role, const char *l,
		const char *p, const uint64_t *v, const char *cc)
{
	char ss[24];

	ssthresh_str(ss, sizeof(ss), v[3]);
	printf("%-10s %-6d %-6s %-23s %-23s %8.3f %8.3f %8llu %10s %8llu "
		"%10llu %10llu %7llu %6llu %7llu %s\n", st, worker, role, l, p,
		v[0] / 1000.0, v[1] / 1000.0, (unsigned long long)v[2], ss,
		(unsigned long long)v[4], (unsigned long long)v[5],
		(unsigned long long)v[6], (unsigned long long)v[7],
		(unsigned long long)v[8], (unsigned long long)v[9], cc);
}

static const struct proto protos[] = {
	{ "tcp", "/tachyon/conns", tcp_cols, NB(tcp_cols), false,
		tcp_header, tcp_row, 4 },
	{ "quic", "/tachyon/quic/conns", quic_cols, NB(quic_cols), true,
		quic_header, quic_row, 3 },
};

static json_t *
row_json(const struct proto *pr, int worker, const char *st,
		const char *role, const char *l, const char *p,
		const uint64_t *v, const char *cc)
{
	json_t *o = json_object();
	unsigned int k;

	json_object_set_new(o, "proto", json_string(pr->name));
	json_object_set_new(o, "state", json_string(st));
	json_object_set_new(o, "worker", json_integer(worker));
	if (role)
		json_object_set_new(o, "role", json_string(role));
	json_object_set_new(o, "local", json_string(l));
	json_object_set_new(o, "peer", json_string(p));
	for (k = 0; k < pr->nb_u64; k++) {
		if (k == pr->ssthresh_col && v[k] >= 0xffffffffull)
			json_object_set_new(o, pr->u64_cols[k], json_null());
		else
			json_object_set_new(o, pr->u64_cols[k],
					json_integer((json_int_t)v[k]));
	}
	json_object_set_new(o, "cc", json_string(cc));
	return o;
}

/* One page: rows printed or added to all; *next, *done for the next. */
static int
page(const struct proto *pr, json_t *body, int worker, json_t *all,
		unsigned long *n, unsigned long *next, int *done)
{
	json_t *st, *l, *p, *cc, *ro = NULL, *cols[MAX_COLS];
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
	for (k = 0; k < pr->nb_u64; k++) {
		cols[k] = json_object_get(body, pr->u64_cols[k]);
		if (json_array_size(cols[k]) != rows)
			return -EINVAL;
	}
	if (pr->role) {
		ro = json_object_get(body, "role");
		if (json_array_size(ro) != rows)
			return -EINVAL;
	}
	if (json_array_size(l) != rows || json_array_size(p) != rows ||
			json_array_size(cc) != rows)
		return -EINVAL;
	for (i = 0; i < rows; i++) {
		uint64_t v[MAX_COLS];
		const char *s_st = json_string_value(json_array_get(st, i));
		const char *s_l = json_string_value(json_array_get(l, i));
		const char *s_p = json_string_value(json_array_get(p, i));
		const char *s_cc = json_string_value(json_array_get(cc, i));
		const char *s_ro = ro ?
			json_string_value(json_array_get(ro, i)) : NULL;

		if (!s_st || !s_l || !s_p || !s_cc || (ro && !s_ro))
			return -EINVAL;
		for (k = 0; k < pr->nb_u64; k++)
			v[k] = (uint64_t)json_integer_value(
					json_array_get(cols[k], i));
		if (all) {
			json_array_append_new(all, row_json(pr, worker, s_st,
					s_ro, s_l, s_p, v, s_cc));
		} else {
			/* QUIC's table appears with its first row */
			if (pr->role && *n == 0)
				pr->header();
			pr->row(worker, s_st, s_ro, s_l, s_p, v, s_cc);
		}
		(*n)++;
	}
	return 0;
}

/* Every worker's rows of one protocol: 0, -EINVAL (the filter or the
 * command refused), another negative errno after a message. */
static int
walk(int fd, const struct tq_ctl_conns_opts *o, const struct proto *pr,
		json_t *all)
{
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
			snprintf(cmd, sizeof(cmd), "%s,w=%d,c=%lu%s", pr->cmd,
					w, cursor, filt);
			ret = tq_ctl_query_json(fd, cmd, &body);
			if (ret < 0)
				break;
			if (w == 0 && cursor == 0) {
				workers = (int)json_integer_value(
					json_object_get(body, "workers"));
				if (!all && !pr->role)
					pr->header();
			}
			ret = page(pr, body, w, all, &n, &cursor, &done);
			json_decref(body);
			if (ret < 0) {
				fprintf(stderr, "tq-ctl: conns: bad reply\n");
				return -EIO;
			}
		}
	}
	return ret;
}

int
tq_ctl_conns(int fd, const struct tq_ctl_conns_opts *o)
{
	json_t *all = o->json ? json_array() : NULL;
	unsigned int k, refused = 0;
	int ret = 0;

	for (k = 0; k < NB(protos) && !ret; k++) {
		ret = walk(fd, o, &protos[k], all);
		/* a state of the other protocol's only */
		if (ret == -EINVAL && o->state) {
			refused++;
			ret = 0;
		}
	}
	if (!ret && refused == NB(protos))
		ret = -EINVAL;
	if (ret == -EINVAL)
		fprintf(stderr, "tq-ctl: conns refused%s\n", o->state ||
			o->port ? " (is --state an ss state name, or a QUIC "
			"one: HANDSHAKE, ESTAB, CLOSING, DRAINING?)" : "");
	if (all) {
		if (!ret) {
			json_dumpf(all, stdout, JSON_INDENT(1));
			putchar('\n');
		}
		json_decref(all);
	}
	return ret;
}
