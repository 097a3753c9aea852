/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tq-relay: a TCP relay on the engine, the example of docs/api.md.
 *   tq-relay EAL... -- --addr A/P --listen PORT --to ADDR:PORT
 * Each accepted connection gets a backend connection from the same
 * worker; bytes move both ways by splice (no copies, bounded by the
 * send queues), FIN carries across, and a reset on one side aborts the
 * other.  Public headers only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <tachyon/tachyon.h>
#include <tachyon/tq_tcp.h>

struct relay {
	struct tq_stream *side[2];	/* 0: client, 1: backend */
	bool busy;			/* inside pump(): free later */
};

static struct tq_addr to_addr;
static uint16_t to_port, listen_port;

/* Any call below may end a side (its closed() runs at once), so each
 * is made only while both are there. */
static void
pump(struct relay *r)
{
	int i, n;

	r->busy = true;
	for (i = 0; i < 2 && r->side[0] && r->side[1]; i++) {
		n = tq_stream_splice(r->side[i], r->side[!i], UINT32_MAX);
		/* -ENOTCONN: the backend is still connecting. */
		if (n < 0 && n != -ENOTCONN)
			tq_stream_abort(r->side[i], 0); /* and the other */
	}
	/* Both FINs carried across: nothing more will move. */
	if (r->side[0] && r->side[1] && tq_stream_eof(r->side[0]) &&
			tq_stream_eof(r->side[1])) {
		tq_stream_close(r->side[0]);
		if (r->side[1])
			tq_stream_close(r->side[1]);
	}
	r->busy = false;
	if (!r->side[0] && !r->side[1])
		free(r);
}

static void
on_data(struct tq_stream *st, void *ctx)
{
	pump(ctx);
}

static void
on_closed(struct tq_stream *st, enum tq_close_reason why, void *ctx)
{
	struct relay *r = ctx;
	int i = st == r->side[1];
	struct tq_stream *other = r->side[!i];

	r->side[i] = NULL;
	/* A side that ended badly takes the other down with it. */
	if (other && why != TQ_CLOSE_NORMAL)
		tq_stream_abort(other, tq_stream_error_code(st));
	if (!r->side[0] && !r->side[1] && !r->busy)
		free(r);
}

static const struct tq_stream_ops relay_ops = {
	.connected = on_data,
	.readable = on_data,
	.writable = on_data,
	.closed = on_closed,
};

static void
on_accept(struct tq_shard *s, struct tq_listener *l, void *arg)
{
	struct tq_stream *st;
	struct relay *r;
	int err;

	while ((st = tq_tcp_accept(l, &relay_ops, NULL)) != NULL) {
		r = calloc(1, sizeof(*r));
		if (!r) {
			tq_stream_abort(st, 0);
			continue;
		}
		tq_stream_set_ops(st, &relay_ops, r);
		r->side[0] = st;
		/* From this worker: the backend's replies come back here. */
		r->side[1] = tq_tcp_connect(s, &to_addr, to_port, NULL, 0,
				&relay_ops, r, &err);
		if (!r->side[1])
			tq_stream_abort(st, 0); /* and its closed() frees r */
	}
}

static int
set_listen(void *arg, const char *v)
{
	return tq_port_parse(v, &listen_port);
}

static int
set_to(void *arg, const char *v)
{
	return tq_endpoint_parse(v, &to_addr, &to_port);
}

static const struct tq_app_opt opts[] = {
	{ "listen", "relay", "PORT", "port to accept on", set_listen, NULL },
	{ "to", "relay", "ADDR:PORT", "backend; [ADDR]:PORT for IPv6", set_to, NULL },
};

int
main(int argc, char **argv)
{
	struct tq_engine *e;
	int ret = tq_engine_create(argc, argv, "tq-relay", opts, 2, &e);

	if (ret)
		return ret > 0 ? 0 : TQ_EXIT_CONFIG;
	if (!listen_port || !to_port) {
		fprintf(stderr, "tq-relay: --listen and --to are needed\n");
		tq_engine_destroy(e);
		return TQ_EXIT_CONFIG;
	}
	ret = tq_tcp_listen(e, NULL, listen_port, 128, on_accept, NULL);
	if (ret == 0)
		ret = tq_engine_run(e);
	tq_engine_destroy(e);
	return ret ? 1 : 0;
}
