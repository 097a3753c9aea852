/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The QUIC module's telemetry: /tachyon/quic/conns, its connections
 * as tq-ctl conns lists them beside TCP's (docs/observability.md).
 * The connections belong to the workers, so each walks its own list
 * when asked through its command ring; the telemetry thread waits.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <rte_telemetry.h>

#include <tachyon/tq_worker.h>

#include "core/tq_module.h"
#include "core/tq_opts.h"
#include "core/tq_shard.h"
#include "quic/tq_quic_conn.h"
#include "quic/tq_quic_ctl.h"

/* A row with two IPv6 addresses is some 300 bytes of JSON: 32 fit the
 * telemetry reply's 16 KB. */
#define PAGE_MAX 32

static const char *const state_names[] = {
	[TQ_QUIC_CS_HANDSHAKE] = "HANDSHAKE",
	[TQ_QUIC_CS_ESTABLISHED] = "ESTAB",
	[TQ_QUIC_CS_CLOSING] = "CLOSING",
	[TQ_QUIC_CS_DRAINING] = "DRAINING",
	[TQ_QUIC_CS_CLOSED] = "CLOSED",
};

const char *
tq_quic_state_ss_name(unsigned int st)
{
	return st < RTE_DIM(state_names) && state_names[st] ?
		state_names[st] : "?";
}

int
tq_quic_state_by_name(const char *name)
{
	unsigned int st;

	if (!strcasecmp(name, "ESTABLISHED"))
		return TQ_QUIC_CS_ESTABLISHED;
	for (st = 0; st < RTE_DIM(state_names); st++)
		if (!strcasecmp(name, state_names[st]))
			return (int)st;
	return -1;
}

/*
 * One worker's answer to one call; the worker and the caller each hold
 * a reference, whoever lets go last frees it (a caller that gave up
 * waiting leaks nothing), as TCP's /tachyon/conns does.
 */
struct snap_req {
	struct tq_quic_conn_filter f;
	uint32_t cursor;
	bool end;
	unsigned int n;
	int done;
	int refs;
	struct tq_quic_conn_row rows[PAGE_MAX];
};

static void
snap_put(struct snap_req *r)
{
	if (__atomic_sub_fetch(&r->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(r);
}

static void
snap_cmd(struct tq_shard *s, void *arg)
{
	struct snap_req *r = arg;

	r->n = tq_quic_conns_walk(s, &r->f, &r->cursor, &r->end, r->rows,
			PAGE_MAX);
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	snap_put(r);
}

enum col_str { COL_STATE, COL_ROLE, COL_LOCAL, COL_PEER, COL_CC };

static void
add_column_str(struct rte_tel_data *d, const char *name,
		const struct snap_req *r, enum col_str which)
{
	struct rte_tel_data *a = rte_tel_data_alloc();
	unsigned int i;

	if (!a)
		return;
	rte_tel_data_start_array(a, RTE_TEL_STRING_VAL);
	for (i = 0; i < r->n; i++) {
		const struct tq_quic_conn_row *w = &r->rows[i];
		char buf[TQ_ADDR_STRLEN + 8], ab[TQ_ADDR_STRLEN];
		const struct tq_addr *ad = which == COL_LOCAL ? &w->la : &w->fa;
		uint16_t port = which == COL_LOCAL ? w->lport : w->fport;

		switch (which) {
		case COL_STATE:
			rte_tel_data_add_array_string(a,
					tq_quic_state_ss_name(w->state));
			break;
		case COL_ROLE:
			rte_tel_data_add_array_string(a,
					w->client ? "client" : "server");
			break;
		case COL_CC:
			rte_tel_data_add_array_string(a, w->cc);
			break;
		default:
			/* a client's source address is the route's: "*" */
			if (tq_addr_is_any(ad))
				snprintf(buf, sizeof(buf), "*:%u", port);
			else
				snprintf(buf, sizeof(buf),
					ad->family == AF_INET6 ? "[%s]:%u" :
					"%s:%u", tq_addr_format(ad, ab,
					sizeof(ab)), port);
			rte_tel_data_add_array_string(a, buf);
		}
	}
	rte_tel_data_add_dict_container(d, name, a, 0);
}

static void
add_column_u64(struct rte_tel_data *d, const char *name,
		const struct snap_req *r, size_t off)
{
	struct rte_tel_data *a = rte_tel_data_alloc();
	unsigned int i;

	if (!a)
		return;
	rte_tel_data_start_array(a, RTE_TEL_U64_VAL);
	for (i = 0; i < r->n; i++) {
		uint64_t v;

		memcpy(&v, (const uint8_t *)&r->rows[i] + off, sizeof(v));
		rte_tel_data_add_array_u64(a, v);
	}
	rte_tel_data_add_dict_container(d, name, a, 0);
}

/*
 * Params w=WORKER,c=CURSOR[,state=S][,port=P]; the reply's next and
 * done say where to go on, as /tachyon/conns.  A state name that is
 * not QUIC's (HANDSHAKE, ESTAB, CLOSING, DRAINING) is refused, so
 * tq-ctl knows a TCP state filter leaves QUIC out.
 */
static int
tel_quic_conns(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct tq_engine *e = tq_engine_current();
	unsigned int worker = 0, waited = 0;
	struct snap_req *r;
	int ret;

	(void)cmd;
	if (!e)
		return -ENODEV;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->f.state = -1;
	if (tq_ctl_conn_params(params, tq_quic_state_by_name, &worker,
			&r->cursor, &r->f.state, &r->f.port) < 0 ||
			worker >= tq_engine_workers(e)) {
		free(r);
		return -EINVAL;
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_int(d, "worker", (int)worker);
	rte_tel_data_add_dict_int(d, "workers", (int)tq_engine_workers(e));
	r->refs = 2;
	ret = tq_worker_run(e, worker, snap_cmd, r);
	if (ret < 0) {
		free(r);
		if (ret != -EAGAIN)
			return ret;
		rte_tel_data_add_dict_int(d, "done", 1);
		return 0;
	}
	while (!__atomic_load_n(&r->done, __ATOMIC_ACQUIRE) && waited < 1000) {
		usleep(1000);
		waited++;
	}
	if (!__atomic_load_n(&r->done, __ATOMIC_ACQUIRE)) {
		snap_put(r);
		return -ETIMEDOUT;
	}
	rte_tel_data_add_dict_int(d, "done", r->end);
	rte_tel_data_add_dict_u64(d, "next", r->cursor);
	add_column_str(d, "state", r, COL_STATE);
	add_column_str(d, "role", r, COL_ROLE);
	add_column_str(d, "local", r, COL_LOCAL);
	add_column_str(d, "peer", r, COL_PEER);
#define COL(f) add_column_u64(d, #f, r, offsetof(struct tq_quic_conn_row, f))
	COL(rtt_us);
	COL(rttvar_us);
	COL(cwnd);
	COL(ssthresh);
	COL(inflight);
	COL(bytes_in);
	COL(bytes_out);
	COL(retrans);
	COL(lost);
	COL(streams);
#undef COL
	add_column_str(d, "cc", r, COL_CC);
	snap_put(r);
	return 0;
}

void
tq_quic_telemetry(void)
{
	rte_telemetry_register_cmd("/tachyon/quic/conns", tel_quic_conns,
		"QUIC connections of one worker, a page at a time, by column. "
		"Params: w=WORKER,c=CURSOR[,state=S][,port=P]");
}
