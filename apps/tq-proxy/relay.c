/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One relayed connection (docs/tq-proxy.md, Connection lifecycle): the
 * client leg accepted here, a backend leg opened from the same worker
 * (retried on another backend until it is up), bytes spliced both ways,
 * FIN and RST carried across, connect and idle timeouts on one timer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "balance.h"
#include "ppv2.h"
#include "proxy.h"

#define NS_PER_MS 1000000ull

struct pconn {
	struct tq_stream *side[2];	/* 0: client, 1: backend */
	struct pworker *w;
	struct pgen *g;			/* its generation (at accept) */
	struct tq_app_timer *t;		/* connect, then idle timeout */
	uint64_t tried;			/* backends tried, a bit each */
	uint64_t last_move;		/* tq_shard_now() of the last splice */
	struct tq_addr caddr, laddr;	/* client, and ours it reached */
	uint16_t cport, lport;
	int be;				/* the backend leg's, -1: none */
	unsigned int lslot;		/* its listener's slot */
	unsigned int pool;
	unsigned int attempts;
	unsigned int depth;		/* callbacks of ours on the stack */
	bool up;			/* the backend leg is established */
	bool timed_out;			/* we gave up the backend open */
};

static const struct tq_stream_ops client_ops;
static const struct tq_stream_ops backend_ops;

static void
pconn_free(struct pconn *pc)
{
	struct pworker *w = pc->w;

	tq_app_timer_free(pc->t);
	w->l[pc->lslot].active--;
	w->nconns--;
	gen_release(w, pc->g);
	free(pc);
}

/* Callbacks nest (an abort runs the other leg's closed() at once), so
 * the pconn goes only when the outermost one returns. */
static void
enter(struct pconn *pc)
{
	pc->depth++;
}

static void
leave(struct pconn *pc)
{
	if (--pc->depth == 0 && !pc->side[0] && !pc->side[1])
		pconn_free(pc);
}

/* The backend leg no longer counts toward its backend's load. */
static void
detach_backend(struct pconn *pc)
{
	struct pworker *w = pc->w;
	unsigned int slot;

	if (pc->be < 0)
		return;
	slot = pc->g->slot[pc->be];
	w->active[slot]--;
	w->be[slot].active--;
	pc->be = -1;
}

/*
 * Set up a leg.  Its buffers are a quarter of --max-conn-buf each way: the
 * four queues of a relayed connection then hold at most max-conn-buf.
 * RCVBUF may be refused above what the handshake's window scale
 * reaches; the smaller value always fits.
 */
static void
set_bufs(struct pconn *pc, struct tq_stream *st)
{
	uint32_t q = pc->g->conf.max_conn_buf / 4;

	if (q < 4096)
		q = 4096;
	tq_stream_set_opt(st, TQ_OPT_SNDBUF, q);
	tq_stream_set_opt(st, TQ_OPT_SNDBUF_MBUFS, q / 512 < 2 ? 2 : q / 512);
	tq_stream_set_opt(st, TQ_OPT_RCVBUF, q);
	/* What arrives goes on at once: the peers chose their segments,
	 * a relay holding small ones back only adds a round trip. */
	tq_stream_set_opt(st, TQ_OPT_NODELAY, 1);
}

static void
count_bytes(struct pconn *pc, bool up, uint32_t n)
{
	struct pworker *w = pc->w;
	unsigned int slot = pc->g->slot[pc->be];

	if (up) {
		w->l[pc->lslot].bytes_up += n;
		w->be[slot].bytes_up += n;
		pctr(w, PC_BYTES_UP, n);
	} else {
		w->l[pc->lslot].bytes_down += n;
		w->be[slot].bytes_down += n;
		pctr(w, PC_BYTES_DOWN, n);
	}
}

/* Move what fits both ways; any call may end a leg, so each is made
 * only while both are there. */
static void
pump(struct pconn *pc)
{
	bool moved = false;
	int i, n;

	for (i = 0; i < 2; i++) {
		if (!pc->side[0] || !pc->side[1] || !pc->up)
			return;
		n = tq_stream_splice(pc->side[i], pc->side[!i], UINT32_MAX);
		if (n > 0) {
			count_bytes(pc, i == 0, (uint32_t)n);
			moved = true;
		} else if (n < 0 && n != -ENOTCONN) {
			/* The destination cannot take data any more. */
			tq_stream_abort(pc->side[i], 0);
		}
	}
	if (moved)
		pc->last_move = tq_shard_now(pc->w->s);
	/* Both FINs carried across: nothing more will move. */
	if (pc->side[0] && pc->side[1] && tq_stream_eof(pc->side[0]) &&
			tq_stream_eof(pc->side[1])) {
		tq_stream_close(pc->side[0]);
		if (pc->side[1])
			tq_stream_close(pc->side[1]);
	}
}

static void
give_up(struct pconn *pc, enum proxy_ctr why)
{
	pctr(pc->w, why, 1);
	if (pc->side[0])
		tq_stream_abort(pc->side[0], 0);
}

/* Open the backend leg to the next backend the balancer gives. */
static void
connect_next(struct pconn *pc)
{
	struct pworker *w = pc->w;
	struct proxy *p = w->p;
	const struct pgen *g = pc->g;
	uint32_t act[PROXY_MAX_BACKENDS];
	struct balance_in in = {
		.mode = g->conf.balance,
		.n = g->conf.nb_backends,
		.pool = g->pool_mask[pc->pool],
		.active = act,
		.key = balance_addr_key(&pc->caddr),
	};
	struct tq_stream *st;
	unsigned int b, slot;
	int pick, err;

	while (pc->side[0]) {
		if (pc->attempts > g->conf.retries) {
			give_up(pc, PC_NO_BACKEND);
			return;
		}
		in.tried = pc->tried;
		in.up = 0;
		for (b = 0; b < in.n; b++) {
			/* The load is kept per slot, across generations. */
			act[b] = w->active[g->slot[b]];
			if (backend_up(p, g->slot[b]))
				in.up |= 1ull << b;
		}
		pick = balance_pick(&in, &w->rr[pc->pool]);
		if (pick < 0) {
			give_up(pc, PC_NO_BACKEND);
			return;
		}
		b = (unsigned int)pick;
		pc->tried |= 1ull << b;
		if (pc->attempts++)
			pctr(w, PC_RETRIES, 1);
		pc->timed_out = false;
		pc->be = pick;
		slot = g->slot[b];
		w->active[slot]++;
		w->be[slot].active++;
		/* Source port 0: one whose replies come back to this worker,
		 * so both legs live here. */
		st = tq_tcp_connect(w->s, &g->conf.be[b].addr,
				g->conf.be[b].port, NULL, 0, &backend_ops, pc,
				&err);
		if (st) {
			pc->side[1] = st;
			/* Before the handshake's last ACK: the first window
			 * the backend sees is already the bounded one. */
			set_bufs(pc, st);
			tq_app_timer_arm(pc->t,
				g->conf.connect_timeout_ms * NS_PER_MS);
			return;
		}
		detach_backend(pc);
		w->be[slot].connect_fails++;
		pctr(w, PC_CONNECT_FAILS, 1);
		health_passive(w, slot, false);
	}
}

static void
conn_timer(struct tq_shard *s, struct tq_app_timer *t, void *arg)
{
	struct pconn *pc = arg;
	uint64_t idle = pc->g->conf.idle_timeout_ms * NS_PER_MS;
	uint64_t quiet;

	enter(pc);
	if (!pc->up) {
		if (pc->side[1]) {
			pc->timed_out = true;
			pctr(pc->w, PC_CONNECT_TIMEOUTS, 1);
			/* Its closed() counts the failure and retries. */
			tq_stream_abort(pc->side[1], 0);
		}
	} else if (idle && pc->side[0]) {
		quiet = tq_shard_now(s) - pc->last_move;
		if (quiet >= idle) {
			pctr(pc->w, PC_IDLE_TIMEOUTS, 1);
			tq_stream_abort(pc->side[0], 0); /* and the other */
		} else {
			tq_app_timer_arm(t, idle - quiet);
		}
	}
	leave(pc);
}

static void
on_data(struct tq_stream *st, void *ctx)
{
	struct pconn *pc = ctx;

	(void)st;
	enter(pc);
	pump(pc);
	leave(pc);
}

static void
backend_connected(struct tq_stream *st, void *ctx)
{
	struct pconn *pc = ctx;
	struct pworker *w = pc->w;
	const struct pgen *g = pc->g;
	unsigned int slot = g->slot[pc->be];
	uint8_t hdr[PPV2_MAX_LEN];
	int len;

	enter(pc);
	pc->up = true;
	w->be[slot].total++;
	pctr(w, PC_BACKEND_CONNECTS, 1);
	health_passive(w, slot, true);
	pc->last_move = tq_shard_now(w->s);
	if (g->conf.idle_timeout_ms)
		tq_app_timer_arm(pc->t, g->conf.idle_timeout_ms * NS_PER_MS);
	else
		tq_app_timer_cancel(pc->t);
	if (g->conf.proxy_protocol) {
		/* First on the leg, before any spliced byte; a fresh send
		 * queue always has room for it. */
		len = ppv2_encode(hdr, sizeof(hdr), &pc->caddr, pc->cport,
				&pc->laddr, pc->lport);
		if (len < 0 || tq_stream_write(st, hdr, (uint32_t)len) != len)
			tq_stream_abort(st, 0);
	}
	pump(pc);
	leave(pc);
}

/* A failure of the backend, worth another one (not the engine
 * stopping, which aborts every connection). */
static bool
open_failed(const struct pconn *pc, enum tq_close_reason why)
{
	return pc->timed_out || why == TQ_CLOSE_REFUSED ||
		why == TQ_CLOSE_TIMEOUT || why == TQ_CLOSE_UNREACHABLE ||
		why == TQ_CLOSE_RESET;
}

static void
backend_closed(struct tq_stream *st, enum tq_close_reason why, void *ctx)
{
	struct pconn *pc = ctx;
	struct pworker *w = pc->w;
	int b = pc->be;

	(void)st;
	enter(pc);
	pc->side[1] = NULL;
	detach_backend(pc);
	if (!pc->up) {
		/* The open failed, or the client left while it was on. */
		if (pc->side[0] && b >= 0 && open_failed(pc, why)) {
			w->be[pc->g->slot[b]].connect_fails++;
			pctr(w, PC_CONNECT_FAILS, 1);
			health_passive(w, pc->g->slot[b], false);
			/* Nothing was sent to it: another may serve. */
			connect_next(pc);
		} else if (pc->side[0]) {
			/* Aborted, not by us: the engine is stopping. */
			tq_stream_abort(pc->side[0], 0);
		}
	} else if (pc->side[0] && why != TQ_CLOSE_NORMAL) {
		pctr(w, PC_RESETS_CARRIED, 1);
		tq_stream_abort(pc->side[0], tq_stream_error_code(st));
	} else if (pc->side[0]) {
		/* Both directions ended in order at the backend, so they
		 * did at the client too: let it go (an RST if it sent more
		 * that nobody will read). */
		tq_stream_close(pc->side[0]);
	}
	leave(pc);
}

static void
client_closed(struct tq_stream *st, enum tq_close_reason why, void *ctx)
{
	struct pconn *pc = ctx;

	enter(pc);
	pc->side[0] = NULL;
	if (pc->side[1] && (why != TQ_CLOSE_NORMAL || !pc->up)) {
		if (pc->up)
			pctr(pc->w, PC_RESETS_CARRIED, 1);
		tq_stream_abort(pc->side[1], tq_stream_error_code(st));
	} else if (pc->side[1]) {
		tq_stream_close(pc->side[1]);	/* as backend_closed() */
	}
	leave(pc);
}

static const struct tq_stream_ops client_ops = {
	.readable = on_data,
	.writable = on_data,
	.closed = client_closed,
};

static const struct tq_stream_ops reject_ops;

static const struct tq_stream_ops backend_ops = {
	.connected = backend_connected,
	.readable = on_data,
	.writable = on_data,
	.closed = backend_closed,
};

void
relay_accept(struct tq_shard *s, struct tq_listener *l, void *arg)
{
	struct plisten *pl = arg;
	struct pworker *w = tq_shard_app_ctx(s);
	struct tq_conn_info info;
	struct tq_stream *st;
	struct pconn *pc;
	int li;

	while ((st = tq_tcp_accept(l, &client_ops, NULL)) != NULL) {
		pctr(w, PC_ACCEPTED, 1);
		pc = NULL;
		/* A listener a reload adds or removes may accept while the
		 * workers take the generation that names it. */
		li = w->g->lidx[pl->slot];
		if (li >= 0 && w->nconns < w->g->conf.max_conns)
			pc = calloc(1, sizeof(*pc));
		if (pc) {
			pc->t = tq_app_timer_create(s, conn_timer, pc);
			if (!pc->t) {
				free(pc);
				pc = NULL;
			}
		}
		if (!pc) {
			pctr(w, PC_REJECTED, 1);
			/* No pconn behind it: its closed() must not run ours. */
			tq_stream_set_ops(st, &reject_ops, NULL);
			tq_stream_abort(st, 0);
			continue;
		}
		pc->w = w;
		pc->g = w->g;
		gen_hold(w, pc->g);
		pc->be = -1;
		pc->lslot = pl->slot;
		pc->pool = pc->g->conf.listen_pool[li];
		pc->side[0] = st;
		w->nconns++;
		w->l[pl->slot].active++;
		w->l[pl->slot].total++;
		tq_stream_set_ops(st, &client_ops, pc);
		tq_stream_info(st, &info);
		pc->caddr = info.raddr;
		pc->cport = info.rport;
		pc->laddr = info.laddr;
		pc->lport = info.lport;
		set_bufs(pc, st);
		enter(pc);
		connect_next(pc);
		leave(pc);
	}
}
