/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_H3_PRIV_H
#define TQ_H3_PRIV_H

/*
 * What the two halves of engine/http3 share: the session and exchange
 * structs, and the session machinery (tq_h3.c) the message calls
 * (tq_h3_msg.c) use.
 */

#include <stdbool.h>
#include <stdint.h>

#include <nghttp3/nghttp3.h>

#include <tachyon/tq_h3.h>

#define H3_BUCKETS 256
#define H3_READ_MAX 65536
#define H3_IOV_MAX 16

enum h3_kind {
	H3_REQ,		/* a request stream (either role) */
	H3_LOCAL_UNI,	/* our control / QPACK streams */
	H3_PEER_UNI,	/* the peer's unidirectional streams */
};

/* h3_req.pend */
#define PEND_FINISH	0x1
#define PEND_WRITABLE	0x2

struct tq_h3_req {
	struct tq_h3_conn *h;
	struct tq_stream *st;	/* NULL once the transport let it go */
	int64_t id;
	uint8_t kind;
	uint8_t pend;
	bool queued;		/* on h->pend_list */
	bool rd_fin;		/* the peer's FIN went into nghttp3 */
	bool wr_fin;		/* our FIN went to the transport */
	bool blocked;		/* short write: nghttp3 stream blocked */
	bool seen;		/* the app saw it (headers or request) */
	bool responded;
	bool too_large;
	bool stream_body;
	bool body_eof;
	bool want_writable;
	bool done;		/* finished: no more reads or writes */
	bool paused;		/* tq_h3_req_pause() */
	uint64_t code;		/* the H3 code that ends it (0: clean) */
	uint64_t abort_code;	/* reset the stream with this (0: close) */
	void *udata;
	struct tq_h3_req *hnext;	/* hash chain */
	struct tq_h3_req *next, *prev;	/* h->reqs */
	struct tq_h3_req *pnext;	/* h->pend_list */
	/* The received head. */
	struct tq_h3_msg msg;
	uint32_t field_bytes;
	uint32_t nrc;
	nghttp3_rcbuf **rc;
	struct tq_http_field *fields;
	/* Body we send: a buffer of the app's, or our ring. */
	const uint8_t *body;
	size_t body_len, body_off;
	uint8_t *ring;
	uint32_t ring_size;
	uint64_t r_head, r_given, r_tail;	/* acked, lent, written */
};

struct tq_h3_conn {
	struct tq_conn *c;
	nghttp3_conn *ng;
	bool server;
	const struct tq_h3_ops *ops;
	void *arg;
	struct tq_h3_conf conf;
	struct tq_h3_stats stats;
	nghttp3_mem mem;
	size_t mem_used;
	unsigned int depth;
	/* A call that may have given nghttp3 something to send (a read,
	 * a submit, a resume, a shutdown) since the last writev that came
	 * back empty: an empty nghttp3_conn_writev_stream() costs about
	 * what a small request's parse does, so h3_flush() asks only then. */
	bool dirty;
	bool uni_open;		/* our three streams are open */
	bool closing;		/* we closed the connection */
	bool gone;		/* the transport's closed() came */
	bool shutting;		/* tq_h3_shutdown() */
	bool goaway_rx;
	uint64_t close_code;
	unsigned int nreqs;	/* exchanges alive */
	/* request streams we closed cleanly whose closed() has not come
	 * yet: their last bytes may not have reached the peer, so a
	 * GOAWAY's close waits for them (a CONNECTION_CLOSE would drop
	 * them) */
	unsigned int lingering;
	struct tq_h3_req *buckets[H3_BUCKETS];
	struct tq_h3_req *reqs;
	struct tq_h3_req *pend_list;
	struct rte_mbuf *cur_seg;	/* the segment nghttp3 is reading */
};

#define H3_STAT(h, field, n) do {				\
	(h)->stats.field += (n);				\
	if ((h)->conf.stats)					\
		(h)->conf.stats->field += (n);			\
} while (0)

/* Enter and leave the session from an entry point: the outermost leave
 * sends what nghttp3 has, runs deferred work, and frees a session whose
 * connection has gone. */
/* tq_h3_mem.c: small blocks from per-thread free lists */
void *tq_h3_mem_alloc(size_t size);
void *tq_h3_mem_zalloc(size_t size);
size_t tq_h3_mem_size(const void *p);
void tq_h3_mem_free(void *p);
void tq_h3_mem_session(int delta);
size_t tq_h3_mem_kept(void);	/* bytes on this thread's lists */

void tq_h3_enter(struct tq_h3_conn *h);
void tq_h3_leave(struct tq_h3_conn *h);

struct tq_h3_req *tq_h3_req_new(struct tq_h3_conn *h, struct tq_stream *st,
		enum h3_kind kind);
/* Finish the exchange (later, from the outermost leave) with code;
 * abort_code: reset the stream with it (0: close it). */
void tq_h3_finish(struct tq_h3_req *r, uint64_t code, uint64_t abort_code);
/* Read what the transport has for r into nghttp3. */
void tq_h3_read_stream(struct tq_h3_req *r);
uint32_t tq_h3_ring_space(const struct tq_h3_req *r);
void tq_h3_stat_status(struct tq_h3_conn *h, unsigned int status);

/* nghttp3's data reader: lends body bytes (the app's buffer or our ring). */
nghttp3_ssize tq_h3_read_data(nghttp3_conn *ng, int64_t id, nghttp3_vec *vec,
		size_t veccnt, uint32_t *pflags, void *ud, void *sud);
int tq_h3_submit_response(struct tq_h3_req *r, uint16_t status,
		const struct tq_http_field *fields, uint32_t nfields);

#endif
