/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GEN_H
#define GEN_H

/*
 * tq-gen's shared state: the options (struct gen), what each worker
 * owns (struct gen_worker: its connections, counters and histograms),
 * and the per-second roll-up the workers feed.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <tachyon/tachyon.h>
#include <tachyon/tq_h3.h>
#include <tachyon/tq_http.h>
#include <tachyon/tq_stream.h>
#include <tachyon/tq_worker.h>

#include "hist.h"
#include "report.h"
#include "sched.h"

#define GEN_MAX_URLS 16
#define GEN_MAX_SRC 16		/* source addresses used (--addr) */
#define GEN_RXBUF 16384		/* a response head fits (max_head 8 KiB) */
#define GEN_REQ_MAX 2048	/* a request's head */
#define GEN_BODY_MAX (64u << 20) /* --body, --body-size */

enum gen_mode {
	GEN_MODE_HTTP,
	GEN_MODE_TCP_ECHO,
	GEN_MODE_TCP_BULK,
	GEN_MODE_UDP,
	GEN_MODE_H3,
};

struct gen_url {
	char scheme[8];		/* http, tcp, udp */
	struct tq_addr addr;
	uint16_t port;
	char host[80];		/* as written, for Host */
	char name[64];		/* the host alone: --h3's SNI */
	char path[1024];
	char *req;		/* the request (head, body), keep-alive */
	uint32_t req_len;
	char *req_close;	/* the last of --requests-per-conn */
	uint32_t req_close_len;
};

/* One second being rolled up from the workers' contributions. */
struct gen_agg {
	int64_t k;		/* seconds since start; -1: free */
	unsigned int n;		/* workers that gave theirs */
	struct gen_counts c;
	uint64_t active;	/* connections open or opening at the tick */
	struct gen_hist *h;
};

#define GEN_AGG_SLOTS 4

struct gen {
	/* Options. */
	enum gen_mode mode;
	struct gen_url url[GEN_MAX_URLS];
	unsigned int nurl;
	/* The engine's addresses: connections to a URL take the ones of
	 * its family in turn, so each adds 64K ports' worth of flows. */
	struct tq_addr src[GEN_MAX_SRC];
	unsigned int nsrc;
	uint32_t connections;
	uint32_t reqs_per_conn;	/* 0: keep-alive for the whole run */
	uint64_t rate_milli;	/* --rate; 0: closed loop */
	uint64_t cps_milli;	/* --cps; 0: reconnect at once */
	uint64_t ramp_milli;	/* --ramp: first opens per second; 0: at once */
	uint32_t duration_s;
	uint32_t warmup_s;
	uint64_t timeout_ns;
	uint16_t sport_lo, sport_hi; /* 0: the engine's ephemeral ports */
	uint32_t size;		/* tcp-echo / udp payload bytes */
	char method[32];	/* --method (GET) */
	enum tq_http_method meth; /* what the parser expects an answer to */
	char *body;		/* --body FILE or --body-size N bytes */
	uint32_t body_len;
	bool has_body;		/* Content-Length sent (even 0) */
	const char *json_path;
	bool quiet;		/* no progress lines */
	uint32_t cc;		/* --cc: enum tq_cc_algo, 0: the engine's */
	/* --h3 */
	uint32_t streams;	/* requests in flight per connection */
	unsigned int ciphers;	/* TQ_QUIC_CIPHER_*; 0: all */
	const char *ca_file;	/* verify the server against it */
	bool resume;		/* --resume */
	bool migrate;		/* --migrate */
	uint64_t expect_len, expect_fnv;
	bool expect_len_set, expect_fnv_set;

	/* Run. */
	struct tq_engine *e;
	unsigned int nworkers;
	uint64_t start_ns;	/* worker clock: the run's time zero */
	uint8_t *payload;	/* tcp-echo / bulk / udp bytes */
	volatile int stopping;	/* no new work: the engine is stopping */
	volatile int interrupted; /* stopped early: SIGINT, SIGTERM */
	unsigned int workers_done;
	uint64_t measured_ns;	/* of the measured part, at the stop */

	pthread_mutex_t lock;	/* the roll-up and the report */
	struct gen_agg agg[GEN_AGG_SLOTS];
	struct gen_report rep;
	int ctr_requests, ctr_errors;
	int hist_latency;	/* tq_app_hist: GenLatency on --metrics */
	uint16_t udp_port;	/* worker w sends from udp_port + w */
	uint64_t udp_sent;	/* all workers' udp_sent, at the stop */
};

enum gen_conn_state {
	GC_IDLE,	/* no connection */
	GC_CONNECTING,
	GC_READY,	/* up, waiting to send (open loop) */
	GC_WAIT,	/* request sent (or being sent), awaiting the answer */
	GC_CLOSING,	/* done, waiting for the peer's close */
};

struct gen_worker;

struct gen_conn {
	struct gen_worker *w;
	uint64_t gidx;		/* global index among --connections */
	const struct gen_url *url;
	const struct tq_addr *src; /* NULL: the route's (one address) */
	unsigned int group;	/* url and source: index of w->ports */
	struct tq_stream *st;
	struct tq_app_timer *t;	/* connect, send time or timeout */
	enum gen_conn_state state;
	bool ours;		/* we closed or aborted st ourselves */
	bool eof;
	bool in_use;		/* cps mode: the slot holds a connection */
	bool keep;		/* the response lets the connection persist */
	uint16_t status;	/* of the response being read */
	uint32_t nreq;		/* requests finished on this connection */
	uint64_t intended;	/* of the request in flight */
	uint64_t conn_intended;	/* cps: when the connection was due */
	struct gen_sched sched;	/* --rate: this connection's requests */
	struct tq_http_parser p;
	uint32_t wr_off, wr_len; /* request bytes written, to write */
	const uint8_t *wr;
	uint32_t got;		/* echo bytes back */
	uint32_t len;		/* bytes in buf not yet consumed */
	/* While on_readable runs, the worker's scratch; otherwise NULL,
	 * and bytes a parse left (a response head cut by a segment) wait
	 * in carry (malloc()ed to fit), so a connection between answers
	 * holds no buffer: a million of them hold none. */
	char *buf;
	char *carry;
	/* --h3 */
	struct tq_conn *qc;
	struct tq_h3_conn *h3;
	struct tq_app_timer *t2;	/* no progress within --timeout */
	uint32_t inflight, sent;
	bool h3_closing, h3_goaway;
	/* --resume: the last session and NEW_TOKEN token the slot got,
	 * for its next connection; taken from this connection yet */
	uint8_t *sess, *tok;
	size_t sess_len, tok_len;
	bool sess_new, tok_new;
	bool h3_early;		/* resuming: requests may go in 0-RTT */
	bool migrated;		/* --migrate: done on this connection */
};

enum gen_phase {
	GP_WARMUP,
	GP_MEASURE,
	GP_DRAIN,
	GP_DONE,
};

struct gen_worker {
	struct gen *g;
	struct tq_shard *s;
	unsigned int id;
	enum gen_phase phase;
	uint32_t nconn;
	struct gen_conn *conns;
	char *scratch;		/* GEN_RXBUF: what on_readable reads into */
	struct tq_app_timer *tick, *drain, *cps_t;
	uint64_t k;		/* seconds ticked */
	struct gen_sched cps;
	/* --src-ports: per URL and source address (gen_conn.group), the
	 * ports of the range whose flows this worker owns
	 * (tq_tcp_flow_worker), made at the group's first open, and the
	 * next one to try. */
	struct gen_ports {
		uint16_t *port;
		uint32_t n, next;
		bool made;
	} *ports;
	uint32_t *free_slots;	/* cps mode: slots without a connection */
	uint32_t nfree;
	bool ramped;		/* the first connection came up (or failed) */
	uint32_t up;		/* connections established now */
	uint32_t busy;		/* connections open or opening */
	struct gen_counts tot, sec;
	struct gen_hist *lat, *lat_sec;
	/* --mode udp */
	struct tq_app_timer *udp_t;
	struct gen_sched udp;
	uint64_t udp_sent;	/* datagrams of the measured window sent */
	uint8_t *udp_buf;
};

/* udp.c */
int gen_udp_bind(struct gen *g);
int gen_udp_start(struct gen_worker *w);
void gen_udp_free(struct gen_worker *w);

/* h3.c */
uint64_t gen_fnv64(uint64_t h, const uint8_t *p, size_t n);
void gen_h3_open(struct gen_conn *c);
void gen_h3_timer(struct gen_conn *c);
void gen_h3_timeout(struct tq_shard *s, struct tq_app_timer *t, void *arg);
void gen_h3_end(struct gen_conn *c);
void gen_h3_abort(struct gen_conn *c);

/* client.c */
void gen_record(struct gen_worker *w, uint64_t intended, uint64_t now);
void gen_slot_done(struct gen_conn *c, uint64_t delay);
void gen_conn_up(struct gen_conn *c);
void gen_count_bytes(struct gen_worker *w, uint64_t rx, uint64_t tx);
int gen_worker_conns_start(struct gen_worker *w);
void gen_worker_conns_end(struct gen_worker *w);
void gen_worker_conns_free(struct gen_worker *w);
void gen_cps_fill(struct gen_worker *w);
void gen_count_err(struct gen_worker *w, enum gen_err e);
void gen_worker_idle_check(struct gen_worker *w);

/* main.c */
void gen_worker_finished(struct gen_worker *w);

#endif
