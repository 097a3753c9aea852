/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tq-server: the engine serving network services on one port.
 *   tq-server [EAL options] -- --addr 10.0.0.2/24 --udp-echo 7
 *   tq-server [EAL options] -- --addr 10.0.0.2/24 --http 80 --docroot DIR
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tachyon/tachyon.h>
#include <tachyon/tq_tcp.h>
#include <tachyon/tq_udp.h>
#include <tachyon/tq_worker.h>

#include "h3.h"
#include "http.h"

#define MAX_SVC 8

struct server {
	uint16_t udp_echo[MAX_SVC];
	unsigned int nb_udp_echo;
	uint16_t tcp_echo[MAX_SVC];
	unsigned int nb_tcp_echo;
	uint16_t tcp_discard[MAX_SVC];
	unsigned int nb_tcp_discard;
	uint16_t tcp_hold[MAX_SVC];
	unsigned int nb_tcp_hold;
	uint16_t tcp_noaccept[MAX_SVC];
	unsigned int nb_tcp_noaccept;
	uint32_t backlog;
	int ctr_udp_echo;	/* app counter UdpEchoReplies */
	struct tq_engine *e;
	volatile bool done;
};

static int
parse_port(const char *v, uint16_t *out)
{
	char *end;
	long p;

	errno = 0;
	p = strtol(v, &end, 10);
	if (errno || *end || p < 1 || p > 65535)
		return -EINVAL;
	*out = (uint16_t)p;
	return 0;
}

static int
add_port(uint16_t *ports, unsigned int *n, const char *v)
{
	if (*n == MAX_SVC)
		return -EINVAL;
	return parse_port(v, &ports[(*n)++]);
}

static int
set_udp_echo(void *arg, const char *v)
{
	struct server *sv = arg;

	return add_port(sv->udp_echo, &sv->nb_udp_echo, v);
}

static int
set_tcp_echo(void *arg, const char *v)
{
	struct server *sv = arg;

	return add_port(sv->tcp_echo, &sv->nb_tcp_echo, v);
}

static int
set_tcp_discard(void *arg, const char *v)
{
	struct server *sv = arg;

	return add_port(sv->tcp_discard, &sv->nb_tcp_discard, v);
}

static int
set_tcp_hold(void *arg, const char *v)
{
	struct server *sv = arg;

	return add_port(sv->tcp_hold, &sv->nb_tcp_hold, v);
}

static int
set_tcp_noaccept(void *arg, const char *v)
{
	struct server *sv = arg;

	return add_port(sv->tcp_noaccept, &sv->nb_tcp_noaccept, v);
}

/*
 * --tcp-echo-late, --udp-echo-late: an echo service added and removed
 * while the engine runs (tq_tcp_listen/unlisten, tq_udp_bind/unbind at
 * run time), from a thread of its own.
 */
struct late_svc {
	struct server *sv;
	const char *opt;
	bool udp;
	uint16_t port;		/* 0: not asked for */
	unsigned int from, to;	/* seconds after start; to 0: never */
	pthread_t th;
};

static int
set_echo_late(void *arg, const char *v)
{
	struct late_svc *l = arg;
	unsigned int port, from, to = 0;
	char extra;
	int n = sscanf(v, "%u,%u,%u%c", &port, &from, &to, &extra);

	if ((n != 2 && n != 3) || port < 1 || port > 65535 || from > 3600 ||
			to > 3600 || (to && to <= from))
		return -EINVAL;
	l->port = (uint16_t)port;
	l->from = from;
	l->to = to;
	return 0;
}

static int
set_backlog(void *arg, const char *v)
{
	struct server *sv = arg;
	char *end;
	long b;

	errno = 0;
	b = strtol(v, &end, 10);
	if (errno || *end || b < 1 || b > 65535)
		return -EINVAL;
	sv->backlog = (uint32_t)b;
	return 0;
}

/*
 * TCP echo: received mbufs are spliced straight back out (zero copy),
 * within the send queue's bytes and mbufs.  What does not fit stays in
 * the receive queue, so the window closes on a sender faster than its
 * own reading; writable() resumes it.  The peer's FIN is echoed too.
 */
static void
echo_pump(struct tq_stream *st, void *ctx)
{
	if (tq_stream_splice(st, st, UINT32_MAX) < 0) {
		tq_stream_abort(st, 0);
		return;
	}
	if (tq_stream_eof(st))
		tq_stream_close(st);
}

static const struct tq_stream_ops echo_ops = {
	.readable = echo_pump,
	.writable = echo_pump,
};

static void
discard_rx(struct tq_stream *st, void *ctx)
{
	struct rte_mbuf *m = tq_stream_read_mbuf(st, UINT32_MAX);

	rte_pktmbuf_free(m);
	if (tq_stream_eof(st))
		tq_stream_close(st);
}

static const struct tq_stream_ops discard_ops = {
	.readable = discard_rx,
};

/*
 * Hold: a reader that has stopped.  Data stays queued, the window
 * closes, and the peer sees what a stalled application looks like; the
 * engine's receive budget (TCPRcvQDrop) keeps many of them from taking
 * the pool.  When the peer is done the connection is closed, and the
 * unread data makes that a reset (TCPAbortOnClose), as on Linux.
 */
static void
hold_rx(struct tq_stream *st, void *ctx)
{
	struct tq_conn_info info;

	tq_stream_info(st, &info);
	if (strcmp(info.state, "CLOSE_WAIT") == 0)
		tq_stream_close(st);
}

static const struct tq_stream_ops hold_ops = {
	.readable = hold_rx,
};

static void
accept_with(struct tq_listener *l, const struct tq_stream_ops *ops)
{
	struct tq_stream *st;

	while ((st = tq_tcp_accept(l, ops, NULL)) != NULL)
		if (tq_stream_readable(st) || tq_stream_eof(st))
			ops->readable(st, NULL);
}

static void
echo_accept(struct tq_shard *s, struct tq_listener *l, void *arg)
{
	accept_with(l, &echo_ops);
}

static void
discard_accept(struct tq_shard *s, struct tq_listener *l, void *arg)
{
	accept_with(l, &discard_ops);
}

static void
hold_accept(struct tq_shard *s, struct tq_listener *l, void *arg)
{
	accept_with(l, &hold_ops);
}

/* Never accepts: established connections wait in the accept queue until
 * the backlog is reached, then SYNs are dropped (ListenOverflows), like a
 * kernel listener whose application stopped calling accept(). */
static void
noaccept_cb(struct tq_shard *s, struct tq_listener *l, void *arg)
{
}

/* Echo: the datagram goes back as it came, in the same mbuf. */
static void
udp_echo_rx(struct tq_shard *s, struct tq_udp_dgram *d, void *arg)
{
	const struct server *sv = arg;

	tq_udp_reply(s, d);
	tq_app_counter_add(s, (unsigned int)sv->ctr_udp_echo, 1);
}

/* Sleep s seconds unless the server stops first; false if it did. */
static bool
late_sleep(const struct server *sv, unsigned int s)
{
	unsigned int i;

	for (i = 0; i < s * 20; i++) {
		if (sv->done)
			return false;
		usleep(50 * 1000);
	}
	return !sv->done;
}

static int
late_add(struct late_svc *l)
{
	struct server *sv = l->sv;

	if (l->udp)
		return tq_udp_bind(sv->e, NULL, l->port, udp_echo_rx, sv);
	return tq_tcp_listen(sv->e, NULL, l->port, sv->backlog, echo_accept,
			sv);
}

static int
late_del(struct late_svc *l)
{
	if (l->udp)
		return tq_udp_unbind(l->sv->e, NULL, l->port);
	return tq_tcp_unlisten(l->sv->e, NULL, l->port);
}

static void *
late_thread(void *arg)
{
	struct late_svc *l = arg;
	struct server *sv = l->sv;
	const char *what = l->udp ? "bound" : "listening on";
	int ret;

	if (!late_sleep(sv, l->from))
		return NULL;
	ret = late_add(l);
	printf("tq-server: --%s: %s %u: %s\n", l->opt, what, l->port,
			ret < 0 ? strerror(-ret) : "ok");
	fflush(stdout);
	if (ret < 0 || !l->to || !late_sleep(sv, l->to - l->from))
		return NULL;
	ret = late_del(l);
	printf("tq-server: --%s: %s %u: %s\n", l->opt,
			l->udp ? "unbound" : "stopped listening on", l->port,
			ret < 0 ? strerror(-ret) : "ok");
	fflush(stdout);
	return NULL;
}

int
main(int argc, char **argv)
{
	struct server sv = { .backlog = 1024 };
	struct late_svc late[2] = {
		{ .sv = &sv, .opt = "tcp-echo-late" },
		{ .sv = &sv, .opt = "udp-echo-late", .udp = true },
	};
	struct http_service http = { .nb_ports = 0 };
	struct h3_service h3 = { .port = 0 };
	const struct tq_app_opt opts[] = {
		{ "udp-echo", "server", "PORT",
			"UDP echo service on PORT (repeatable)", set_udp_echo,
			&sv },
		{ "tcp-echo", "server", "PORT",
			"TCP echo service on PORT (repeatable)", set_tcp_echo,
			&sv },
		{ "tcp-discard", "server", "PORT",
			"TCP discard service on PORT (repeatable)",
			set_tcp_discard, &sv },
		{ "tcp-hold", "server", "PORT",
			"TCP service on PORT that accepts and never reads "
			"(a stalled reader; repeatable)", set_tcp_hold, &sv },
		{ "tcp-noaccept", "server", "PORT",
			"TCP listener on PORT whose connections are never "
			"accepted (repeatable)", set_tcp_noaccept, &sv },
		{ "http", "server", "PORT",
			"HTTP/1.1 file service on PORT (repeatable)",
			http_opt_port, &http },
		{ "docroot", "server", "DIR",
			"files served by --http and --h3", http_opt_docroot,
			&http },
		{ "h3", "server", "PORT",
			"HTTP/3 file service on UDP PORT (QUIC: the --quic-* "
			"options)", h3_opt_port, &h3 },
		{ "http-max-body", "server", "BYTES",
			"largest POST or PUT body --http reads; more is 413 "
			"(67108864)", http_opt_max_body, &http },
		{ "tcp-echo-late", "server", "PORT,FROM[,TO]",
			"TCP echo on PORT from FROM seconds after start "
			"(to TO, if given): a listener added and removed at "
			"run time", set_echo_late, &late[0] },
		{ "udp-echo-late", "server", "PORT,FROM[,TO]",
			"UDP echo on PORT from FROM seconds after start "
			"(to TO, if given): a bind added and removed at run "
			"time", set_echo_late, &late[1] },
		{ "backlog", "server", "N",
			"SYN and accept queue bound per listener (1024)",
			set_backlog, &sv },
	};
	struct tq_engine *e;
	unsigned int i, started = 0;
	int ret;

	ret = tq_engine_create(argc, argv, "tq-server", opts,
			sizeof(opts) / sizeof(opts[0]), &e);
	if (ret == 1)
		return 0;
	if (ret < 0)
		return ret == -EINVAL ? TQ_EXIT_CONFIG : 1;
	sv.ctr_udp_echo = tq_app_counter_register(e, "UdpEchoReplies",
			"Datagrams the UDP echo service answered (tq-server)");
	if (sv.ctr_udp_echo < 0) {
		tq_engine_destroy(e);
		return 1;
	}
	for (i = 0; i < sv.nb_udp_echo; i++) {
		ret = tq_udp_bind(e, NULL, sv.udp_echo[i], udp_echo_rx, &sv);
		if (ret < 0) {
			fprintf(stderr, "tq-server: --udp-echo %u: %s\n",
					sv.udp_echo[i], strerror(-ret));
			tq_engine_destroy(e);
			return TQ_EXIT_CONFIG;
		}
	}
	for (i = 0; i < sv.nb_tcp_echo; i++) {
		ret = tq_tcp_listen(e, NULL, sv.tcp_echo[i], sv.backlog,
				echo_accept, &sv);
		if (ret < 0) {
			fprintf(stderr, "tq-server: --tcp-echo %u: %s\n",
					sv.tcp_echo[i], strerror(-ret));
			tq_engine_destroy(e);
			return TQ_EXIT_CONFIG;
		}
	}
	for (i = 0; i < sv.nb_tcp_discard; i++) {
		ret = tq_tcp_listen(e, NULL, sv.tcp_discard[i], sv.backlog,
				discard_accept, &sv);
		if (ret < 0) {
			fprintf(stderr, "tq-server: --tcp-discard %u: %s\n",
					sv.tcp_discard[i], strerror(-ret));
			tq_engine_destroy(e);
			return TQ_EXIT_CONFIG;
		}
	}
	for (i = 0; i < sv.nb_tcp_hold + sv.nb_tcp_noaccept; i++) {
		bool hold = i < sv.nb_tcp_hold;
		uint16_t port = hold ? sv.tcp_hold[i] :
			sv.tcp_noaccept[i - sv.nb_tcp_hold];

		ret = tq_tcp_listen(e, NULL, port, sv.backlog,
				hold ? hold_accept : noaccept_cb, &sv);
		if (ret < 0) {
			fprintf(stderr, "tq-server: --tcp-%s %u: %s\n",
					hold ? "hold" : "noaccept", port,
					strerror(-ret));
			tq_engine_destroy(e);
			return TQ_EXIT_CONFIG;
		}
	}
	ret = http_listen(e, &http, sv.backlog);
	if (ret == 0)
		ret = h3_listen(e, &h3, &http);
	if (ret < 0) {
		h3_service_free(&h3);
		http_service_free(&http);
		tq_engine_destroy(e);
		return TQ_EXIT_CONFIG;
	}
	sv.e = e;
	for (i = 0; i < 2; i++) {
		if (!late[i].port)
			continue;
		if (pthread_create(&late[i].th, NULL, late_thread, &late[i]))
			break;
		started |= 1u << i;
	}
	ret = i < 2 ? -ENOMEM : tq_engine_run(e);
	sv.done = true;
	for (i = 0; i < 2; i++)
		if (started & (1u << i))
			pthread_join(late[i].th, NULL);
	/* The engine first: the HTTP/3 exchanges still open end in its
	 * teardown, and their closed() callbacks use the services' stats
	 * and file caches (TCP connections are dropped silently, left for
	 * http_service_free()). */
	tq_engine_destroy(e);
	h3_service_free(&h3);
	http_service_free(&http);
	return ret < 0 ? 1 : 0;
}
