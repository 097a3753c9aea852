/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tq-gen --h3: HTTP/3 over the engine's QUIC client (tq_quic_connect(),
 * tq_h3.h).  A slot of --connections is one QUIC connection carrying up
 * to --streams requests at once; each request is an exchange with its
 * own intended send time (closed loop: when it is sent; --rate: its
 * place in the schedule), so the latency and the counts are the HTTP/1.1
 * mode's.  A response is counted whole once its body is in and checked:
 * its length against content-length and --expect-length, its bytes
 * against --expect-fnv (FNV-1a 64); a mismatch is a parse error.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <tachyon/tachyon.h>
#include <tachyon/tq_h3.h>
#include <tachyon/tq_quic.h>
#include <tachyon/tq_worker.h>

#include "gen.h"

#define H3_RECONNECT_NS 100000000ull
#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

static int warned;	/* a setup error said once, not per retry */

struct h3_req {
	struct gen_conn *c;
	uint64_t intended;
	uint64_t got;
	uint64_t fnv;
	int64_t clen;
	uint16_t status;
	bool ended;
};

uint64_t
gen_fnv64(uint64_t h, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= FNV_PRIME;
	}
	return h;
}

static bool
stopping(const struct gen_worker *w)
{
	return __atomic_load_n(&w->g->stopping, __ATOMIC_RELAXED) != 0;
}

static void h3_fill(struct gen_conn *c);

/* --resume: keep the newest session and token of c's connection for the
 * slot's next one.  The server sends its ticket after the handshake and
 * its token once it is confirmed, so asked at each answer until got. */
static void
h3_keep_session(struct gen_conn *c)
{
	uint8_t *p;
	size_t n;

	if (!c->w->g->resume || !c->qc)
		return;
	if (!c->sess_new && tq_quic_session(c->qc, &p, &n) == 0) {
		free(c->sess);
		c->sess = p;
		c->sess_len = n;
		c->sess_new = true;
	}
	if (!c->tok_new && tq_quic_new_token(c->qc, &p, &n) == 0) {
		free(c->tok);
		c->tok = p;
		c->tok_len = n;
		c->tok_new = true;
	}
}

/* A handshake done: count it if it resumed (the phases of count_conn). */
static void
h3_count_resumed(struct gen_conn *c)
{
	struct gen_worker *w = c->w;
	bool early;

	if (!c->qc || !tq_quic_resumed(c->qc, &early))
		return;
	if (w->phase <= GP_MEASURE) {
		w->sec.resumed++;
		w->sec.early += early;
	}
	if (w->phase == GP_MEASURE || w->phase == GP_DRAIN) {
		w->tot.resumed++;
		w->tot.early += early;
	}
}

/* Close c's session; its conn_closed() frees the slot. */
static void
h3_close(struct gen_conn *c, bool abort)
{
	struct tq_h3_conn *h = c->h3;

	if (!h || c->h3_closing)
		return;
	c->h3_closing = true;
	tq_h3_close(h, abort ? TQ_H3_REQUEST_CANCELLED : TQ_H3_NO_ERROR);
}

static void
h3_headers(struct tq_h3_req *r, const struct tq_h3_msg *m, void *arg)
{
	struct h3_req *q = tq_h3_req_udata(r);

	(void)arg;
	if (!q || m->status < 200)
		return;
	q->status = m->status;
	q->clen = m->content_length;
}

static void
h3_data(struct tq_h3_req *r, const uint8_t *data, size_t len, void *arg)
{
	struct h3_req *q = tq_h3_req_udata(r);
	struct gen_conn *c = arg;

	if (!q)
		return;
	q->got += len;
	if (c->w->g->expect_fnv_set)
		q->fnv = gen_fnv64(q->fnv, data, len);
	gen_count_bytes(c->w, len, 0);
	/* progress: the answer is coming */
	tq_app_timer_arm(c->t2, c->w->g->timeout_ns);
}

static void
h3_end(struct tq_h3_req *r, void *arg)
{
	struct h3_req *q = tq_h3_req_udata(r);

	(void)arg;
	if (q)
		q->ended = true;
}

/* Whether a complete response is what it should be. */
static int
h3_check(const struct gen *g, const struct h3_req *q)
{
	if (q->status >= 500)
		return GEN_E_STATUS_5XX;
	if (q->status >= 400)
		return GEN_E_STATUS_4XX;
	if (q->status < 200)
		return GEN_E_PARSE;
	if (q->clen >= 0 && (uint64_t)q->clen != q->got)
		return GEN_E_PARSE;
	if (g->expect_len_set && q->got != g->expect_len)
		return GEN_E_PARSE;
	if (g->expect_fnv_set && q->fnv != g->expect_fnv)
		return GEN_E_PARSE;
	return -1;
}

static void
h3_req_closed(struct tq_h3_req *r, uint64_t code, void *arg)
{
	struct h3_req *q = tq_h3_req_udata(r);
	struct gen_conn *c = arg;
	struct gen_worker *w = c->w;
	int e;

	if (!q)
		return;
	tq_h3_req_set_udata(r, NULL);
	c->inflight--;
	h3_keep_session(c);
	/* --migrate: once, after an answer (the handshake is confirmed
	 * and the server's spare CIDs are in by then, as a rule) */
	if (w->g->migrate && !c->migrated && code == 0 && c->qc &&
			tq_quic_migrate(c->qc) == 0)
		c->migrated = true;
	if (code == 0 && q->ended) {
		e = h3_check(w->g, q);
		if (e >= 0)
			gen_count_err(w, (enum gen_err)e);
		else
			gen_record(w, q->intended, tq_shard_now(w->s));
		c->nreq++;
	} else if (!stopping(w) && !c->h3_closing) {
		gen_count_err(w, GEN_E_RESET);
	}
	free(q);
	if (c->inflight == 0)
		tq_app_timer_cancel(c->t2);
	else
		tq_app_timer_arm(c->t2, w->g->timeout_ns);
	if (!c->h3_closing && !stopping(w))
		h3_fill(c);
}

static void
h3_conn_closed(struct tq_h3_conn *h, uint64_t code, void *arg)
{
	struct gen_conn *c = arg;
	struct gen_worker *w = c->w;
	bool was_connecting = c->state == GC_CONNECTING;

	(void)h;
	if (!stopping(w) && !c->h3_closing && was_connecting)
		gen_count_err(w, code == 0 ? GEN_E_CONNECT_TIMEOUT :
				GEN_E_REFUSED);
	else if (!stopping(w) && !c->h3_closing && code != TQ_H3_NO_ERROR)
		gen_count_err(w, GEN_E_CLOSED);
	c->h3 = NULL;
	c->qc = NULL;
	tq_app_timer_cancel(c->t2);
	gen_slot_done(c, was_connecting ? H3_RECONNECT_NS : 0);
}

/* The handshake is done (and once more whenever the peer allows more
 * streams): send what is due. */
static void
h3_streams_available(struct tq_h3_conn *h, void *arg)
{
	struct gen_conn *c = arg;

	(void)h;
	if (c->state == GC_CONNECTING) {
		tq_app_timer_cancel(c->t);
		gen_conn_up(c);
		h3_count_resumed(c);
		c->state = GC_WAIT;
	}
	h3_fill(c);
}

static void
h3_goaway(struct tq_h3_conn *h, int64_t id, void *arg)
{
	(void)h;
	(void)id;
	((struct gen_conn *)arg)->h3_goaway = true;
}

static const struct tq_h3_ops h3_ops = {
	.headers = h3_headers,
	.data = h3_data,
	.end = h3_end,
	.closed = h3_req_closed,
	.goaway = h3_goaway,
	.streams_available = h3_streams_available,
	.conn_closed = h3_conn_closed,
};

/* One request, due at intended. */
static int
h3_send(struct gen_conn *c, uint64_t intended)
{
	const struct gen_url *u = c->url;
	struct h3_req *q = calloc(1, sizeof(*q));
	struct tq_h3_req *r;
	int err = 0;

	if (!q)
		return -ENOMEM;
	q->c = c;
	q->intended = intended;
	q->fnv = FNV_OFFSET;
	q->clen = -1;
	r = tq_h3_client_request(c->h3, "GET", "https", u->host, u->path,
			NULL, 0, NULL, 0, 0, q, &err);
	if (!r) {
		free(q);
		return err ? err : -EIO;
	}
	c->inflight++;
	c->sent++;
	if (c->inflight == 1)
		tq_app_timer_arm(c->t2, c->w->g->timeout_ns);
	return 0;
}

/* Keep up to --streams requests in flight, as the schedule allows. */
static void
h3_fill(struct gen_conn *c)
{
	struct gen_worker *w = c->w;
	const struct gen *g = w->g;
	uint64_t now = tq_shard_now(w->s), at;
	int rv;

	if (!c->h3 || c->h3_closing)
		return;
	/* connecting: only requests in 0-RTT (a resumed session, closed
	 * loop); the rest waits for streams_available() */
	if (c->state == GC_CONNECTING) {
		if (!c->h3_early || g->rate_milli || stopping(w) ||
				w->phase >= GP_DRAIN)
			return;
	} else if (stopping(w) || w->phase >= GP_DRAIN || c->h3_goaway ||
			(g->reqs_per_conn && c->sent >= g->reqs_per_conn)) {
		if (c->inflight == 0) {
			c->state = GC_CLOSING;
			/* not from inside the session's own callback */
			tq_app_timer_arm(c->t, 0);
		}
		return;
	}
	while (c->inflight < g->streams && (!g->reqs_per_conn ||
			c->sent < g->reqs_per_conn)) {
		if (g->rate_milli) {
			at = gen_sched_peek(&c->sched);
			if (at > now) {
				tq_app_timer_arm(c->t, at - now);
				return;
			}
		} else {
			at = now;
		}
		rv = h3_send(c, at);
		if (rv == -EAGAIN || rv == -ENOTCONN)
			return;		/* streams_available() */
		if (rv < 0) {
			gen_count_err(w, GEN_E_PARSE);
			c->state = GC_CLOSING;
			tq_app_timer_arm(c->t, 0);
			return;
		}
		if (g->rate_milli)
			(void)gen_sched_take(&c->sched);
	}
}

void
gen_h3_open(struct gen_conn *c)
{
	struct gen_worker *w = c->w;
	const struct gen *g = w->g;
	struct tq_quic_client_conf qc;
	struct tq_conn *conn;
	int err = 0;

	if (stopping(w) || w->phase >= GP_DRAIN)
		return;
	if (!c->t2) {
		c->t2 = tq_app_timer_create(w->s, gen_h3_timeout, c);
		if (!c->t2) {
			gen_slot_done(c, H3_RECONNECT_NS);
			return;
		}
	}
	memset(&qc, 0, sizeof(qc));
	qc.server_name = c->url->name;
	qc.ciphers = g->ciphers;
	qc.verify = g->ca_file != NULL;
	qc.ca_file = g->ca_file;
	if (g->resume) {
		qc.session = c->sess;
		qc.session_len = c->sess_len;
		qc.token = c->tok;
		qc.token_len = c->tok_len;
	}
	c->h3_early = qc.session != NULL;
	c->sess_new = false;
	c->tok_new = false;
	c->migrated = false;
	c->state = GC_CONNECTING;
	c->nreq = 0;
	c->sent = 0;
	c->inflight = 0;
	c->h3_closing = false;
	c->h3_goaway = false;
	w->busy++;
	conn = tq_quic_connect(w->s, &c->url->addr, c->url->port, &qc, NULL,
			NULL, &err);
	/* nothing is acknowledged yet: as if it started with it */
	if (conn && w->g->cc)
		tq_conn_set_opt(conn, TQ_OPT_CC, w->g->cc);
	if (conn)
		c->h3 = tq_h3_client_new(conn, &h3_ops, c, NULL, &err);
	if (!conn || !c->h3) {
		if (conn)
			tq_conn_close(conn, TQ_H3_INTERNAL_ERROR);
		if (err == -EHOSTUNREACH)
			gen_count_err(w, GEN_E_UNREACHABLE);
		else if ((err == -EADDRNOTAVAIL || err == -EINVAL) &&
				!__atomic_exchange_n(&warned, 1,
					__ATOMIC_RELAXED))
			fprintf(stderr, "tq-gen: tq_quic_connect: %s%s\n",
					strerror(-err), err == -EADDRNOTAVAIL ?
					" (--quic-client-ports none?)" : "");
		c->state = GC_IDLE;
		w->busy--;
		gen_slot_done(c, H3_RECONNECT_NS);
		return;
	}
	c->qc = conn;
	tq_app_timer_arm(c->t, g->timeout_ns);
	/* resuming: the first requests go in 0-RTT (-ENOTCONN if the
	 * session allows none: then at streams_available()) */
	h3_fill(c);
}

/* c->t: the connect timeout, a request due, or a close to make. */
void
gen_h3_timer(struct gen_conn *c)
{
	switch (c->state) {
	case GC_IDLE:
		gen_h3_open(c);
		break;
	case GC_CONNECTING:
		gen_count_err(c->w, GEN_E_CONNECT_TIMEOUT);
		h3_close(c, true);
		break;
	case GC_READY:
	case GC_WAIT:
		h3_fill(c);
		break;
	case GC_CLOSING:
		h3_close(c, false);
		break;
	}
}

/* c->t2: no progress on the requests in flight within --timeout. */
void
gen_h3_timeout(struct tq_shard *s, struct tq_app_timer *t, void *arg)
{
	struct gen_conn *c = arg;

	(void)s;
	(void)t;
	if (stopping(c->w) || !c->h3 || !c->inflight)
		return;
	gen_count_err(c->w, GEN_E_TIMEOUT);
	h3_close(c, true);
}

/* The time is up: no new requests, those in flight may finish. */
void
gen_h3_end(struct gen_conn *c)
{
	switch (c->state) {
	case GC_IDLE:
		tq_app_timer_cancel(c->t);
		break;
	case GC_CONNECTING:
		h3_close(c, true);
		break;
	default:
		if (!c->inflight)
			h3_close(c, false);
		break;
	}
}

/* The drain is over: what is still open goes. */
void
gen_h3_abort(struct gen_conn *c)
{
	h3_close(c, true);
}
