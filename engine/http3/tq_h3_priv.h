/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_H3_PRIV_H
#define TQ_H3_PRIV_H

/*
 * What the parts of engine/http3 share: the session and exchange
 * structs, the session machinery (tq_h3.c), the receive side (framing
 * and message rules, tq_h3_rx.c) and the send side (tq_h3_tx.c) the
 * message calls (tq_h3_msg.c) use.
 */

#include <stdbool.h>
#include <stdint.h>

#include <tachyon/tq_h3.h>

#include "http3/tq_qpack.h"
/* varints (RFC 9000 16): HTTP/3 frames use them as QUIC does */
#include "quic/tq_quic_wire.h"

#define H3_READ_MAX 65536
/* Up to this much readable is copied out rather than taken as mbufs. */
#define H3_READ_COPY 512
/* The byte c in each of a word's eight (the word-at-a-time checks). */
#define H3_B8(c)	(UINT64_C(0x0101010101010101) * (c))

/* Frame types (RFC 9114 7.2) */
#define H3_F_DATA		0x00
#define H3_F_HEADERS		0x01
#define H3_F_CANCEL_PUSH	0x03
#define H3_F_SETTINGS		0x04
#define H3_F_PUSH_PROMISE	0x05
#define H3_F_GOAWAY		0x07
#define H3_F_MAX_PUSH_ID	0x0d

/* Unidirectional stream types (RFC 9114 6.2, RFC 9204 4.2) */
#define H3_U_CONTROL	0x00
#define H3_U_PUSH	0x01
#define H3_U_ENCODER	0x02
#define H3_U_DECODER	0x03

/* Settings (RFC 9114 7.2.4.1) */
#define H3_S_MAX_FIELD_SECTION_SIZE	0x06

/* A control frame's payload we gather whole: SETTINGS up to this. */
#define H3_CTRL_MAX 4096

enum h3_kind {
	H3_REQ,		/* a request stream (either role) */
	H3_LOCAL_UNI,	/* our control / QPACK streams */
	H3_PEER_UNI,	/* the peer's unidirectional streams */
};

/* Where a stream's reader is. */
enum h3_rxs {
	H3_RX_UTYPE,	/* a unidirectional stream's type */
	H3_RX_FHDR,	/* a frame's type and length */
	H3_RX_DATA,	/* a DATA frame's payload: to the app */
	H3_RX_GATHER,	/* a payload kept whole (HEADERS, control frames) */
	H3_RX_SKIP,	/* a payload we ignore */
	H3_RX_QPACK,	/* the peer's QPACK encoder or decoder stream */
};

/* A request stream's message: what its next HEADERS frame is. */
enum h3_phase {
	H3_P_HEAD,	/* the head (a client: after any 1xx too) */
	H3_P_BODY,	/* DATA, or trailers */
	H3_P_DONE,	/* after trailers: unknown frames only */
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
	uint8_t phase;		/* enum h3_phase: a request stream */
	bool queued;		/* on h->pend_list */
	bool txq;		/* on h->tx_list */
	bool rd_fin;		/* the peer's FIN was read */
	bool wr_fin;		/* our FIN went to the transport */
	bool blocked;		/* short write: wait for writable() */
	bool seen;		/* the app saw it (headers or request) */
	bool responded;
	bool too_large;
	bool stream_body;
	bool body_eof;
	bool want_writable;
	bool done;		/* finished: no more reads or writes */
	bool paused;		/* tq_h3_req_pause() */
	bool reading;		/* in tq_h3_read_stream() */
	bool msg_out;		/* our message's head is queued */
	bool no_body;		/* the peer's message has none (HEAD, 204, 304) */
	uint64_t code;		/* the H3 code that ends it (0: clean) */
	uint64_t abort_code;	/* reset the stream with this (0: close) */
	void *udata;
	struct tq_h3_req *next, *prev;	/* h->reqs */
	struct tq_h3_req *pnext;	/* h->pend_list */
	struct tq_h3_req *tnext;	/* h->tx_list */

	/* Receiving: the frame reader. */
	uint8_t rxs;		/* enum h3_rxs */
	uint8_t nhdr;		/* bytes in hdr[] */
	uint8_t hdr[16];	/* a frame header (or a stream type) so far */
	uint64_t ftype;		/* the frame being read */
	uint64_t fleft;		/* its payload bytes still to come */
	uint8_t *acc;		/* a gathered payload */
	uint32_t acc_len, acc_cap;
	struct tq_qpack_sparse qp;	/* the peer's QPACK stream */
	uint64_t body_rx;	/* DATA payload bytes of the message */

	/* The received head: one block holds the fields and the literal
	 * strings they point to (static-table strings are not copied). */
	struct tq_h3_msg msg;
	void *head;

	/* Sending: frame bytes queued in ob[ooff, olen), then the body
	 * bytes [bsent, bframed) a DATA frame in ob announced. */
	uint8_t *ob;
	uint32_t olen, ooff, ocap;
	uint64_t bsent, bframed;
	/* The body: a buffer of the app's, or our ring (offsets in body
	 * bytes: bsent is what the transport took, r_tail what the app
	 * wrote). */
	const uint8_t *body;
	size_t body_len;
	uint8_t *ring;
	uint32_t ring_size;
	uint64_t r_tail;
};

struct tq_h3_conn {
	struct tq_conn *c;
	bool server;
	const struct tq_h3_ops *ops;
	void *arg;
	struct tq_h3_conf conf;
	struct tq_h3_stats stats;
	size_t mem_used;
	unsigned int depth;
	bool live;		/* returned to the app */
	bool uni_open;		/* our three streams are open */
	bool closing;		/* we closed the connection */
	bool gone;		/* the transport's closed() came */
	bool shutting;		/* tq_h3_shutdown() */
	bool goaway_rx;
	bool settings_rx;	/* the peer's SETTINGS came */
	uint64_t close_code;
	uint64_t goaway_id;	/* the peer's last GOAWAY id */
	int64_t max_req_id;	/* the highest request stream id taken */
	int64_t refuse_from;	/* server after GOAWAY: refuse ids >= */
	unsigned int nreqs;	/* exchanges alive */
	/* request streams we closed cleanly whose closed() has not come
	 * yet: their last bytes may not have reached the peer, so a
	 * GOAWAY's close waits for them (a CONNECTION_CLOSE would drop
	 * them) */
	unsigned int lingering;
	struct tq_h3_req *ctrl;		/* our control stream */
	struct tq_h3_req *peer_ctrl, *peer_enc, *peer_dec;
	struct tq_h3_req *reqs;
	struct tq_h3_req *pend_list;
	struct tq_h3_req *tx_list;
	struct rte_mbuf *cur_seg;	/* the segment being read */
};

#define H3_STAT(h, field, n) do {				\
	(h)->stats.field += (n);				\
	if ((h)->conf.stats)					\
		(h)->conf.stats->field += (n);			\
} while (0)

/* tq_h3_mem.c: small blocks from per-thread free lists */
void *tq_h3_mem_alloc(size_t size);
void *tq_h3_mem_zalloc(size_t size);
size_t tq_h3_mem_size(const void *p);
void tq_h3_mem_free(void *p);
void tq_h3_mem_session(int delta);
size_t tq_h3_mem_kept(void);	/* bytes on this thread's lists */
/* This thread's scratch space of at least size bytes (kept until its
 * last session ends); NULL when it cannot grow. */
void *tq_h3_scratch(size_t size);

/* Session memory, counted against conf.max_mem: past it NULL (and the
 * refusal counted). */
void *tq_h3_alloc(struct tq_h3_conn *h, size_t size);
void tq_h3_free(struct tq_h3_conn *h, void *p);

/* Enter and leave the session from an entry point: the outermost leave
 * sends what is queued, runs deferred work, and frees a session whose
 * connection has gone. */
void tq_h3_enter(struct tq_h3_conn *h);
void tq_h3_leave(struct tq_h3_conn *h);

struct tq_h3_req *tq_h3_req_new(struct tq_h3_conn *h, struct tq_stream *st,
		enum h3_kind kind);
/* Finish the exchange (later, from the outermost leave) with code;
 * abort_code: reset the stream with it (0: close it). */
void tq_h3_finish(struct tq_h3_req *r, uint64_t code, uint64_t abort_code);
/* Close the connection with an H3 (or QPACK) error code. */
void tq_h3_conn_fail(struct tq_h3_conn *h, uint64_t code);
void tq_h3_stat_status(struct tq_h3_conn *h, unsigned int status);
void tq_h3_head_free(struct tq_h3_req *r);
/* Queue deferred work (PEND_*) for the outermost tq_h3_leave(). */
void tq_h3_pend(struct tq_h3_req *r, uint8_t what);

/* tq_h3_rx.c: read what the transport has for r. */
void tq_h3_read_stream(struct tq_h3_req *r);

/* tq_h3_tx.c */
/* Append bytes to r's frame queue. */
int tq_h3_out(struct tq_h3_req *r, const void *p, uint32_t len);
/* Append a frame header. */
int tq_h3_out_frame(struct tq_h3_req *r, uint64_t type, uint64_t len);
/* A HEADERS frame of pseudo-header fields then the app's fields. */
int tq_h3_out_headers(struct tq_h3_req *r, const struct tq_qpack_field *ps,
		unsigned int nps, const struct tq_http_field *fields,
		uint32_t nfields);
/* r has something to send: put it on the list h3_flush() walks. */
void tq_h3_tx_want(struct tq_h3_req *r);
/* Send what every listed stream has, as far as the transport takes. */
void tq_h3_flush(struct tq_h3_conn *h);
uint32_t tq_h3_ring_space(const struct tq_h3_req *r);

/* tq_h3_msg.c: a response's HEADERS frame. */
int tq_h3_submit_response(struct tq_h3_req *r, uint16_t status,
		const struct tq_http_field *fields, uint32_t nfields);

#endif
