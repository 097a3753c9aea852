/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_QUIC_CONN_PRIV_H
#define TQ_QUIC_CONN_PRIV_H

/* Inside the connection layer: shared by tq_quic_conn*.c and
 * tq_quic_stream.c only. */

#include "quic/tq_quic_conn.h"
#include "quic/tq_quic_qlog.h"

#define TQ_QC_SENT_CAP 1024	/* recovery records (sent packets), default */
#define TQ_QC_PKT_FRAMES 8	/* retransmittable frames per packet */
#define TQ_QC_RANGES 32
#define TQ_QC_CRYPTO_SND 32768	/* CRYPTO bytes we send per level */
#define TQ_QC_CRYPTO_SEGS 64
#define TQ_QC_PEER_CIDS 8
/* ours: up to the peer's limit (capped at TQ_QC_PEER_CIDS) in use,
 * as many again asked to retire and not retired yet */
#define TQ_QC_LOCAL_CIDS (2 * TQ_QC_PEER_CIDS)
#define TQ_QC_RETIRE_Q 16	/* RETIRE_CONNECTION_ID to send */
#define TQ_QC_MAX_DGRAM_DEFAULT 1200

/* [lo, hi) */
struct tq_qc_range {
	uint64_t lo, hi;
};

/*
 * A send queue of one stream or CRYPTO level: a byte ring from the
 * first unacknowledged byte (base) to the end written, what was sent
 * (next), the ranges acknowledged above base and the ranges lost.
 */
struct tq_qc_sq {
	uint8_t *buf;
	uint32_t cap;
	uint64_t base;
	uint64_t end;
	uint64_t next;
	struct tq_qc_range acked[TQ_QC_RANGES];
	uint32_t n_acked;
	struct tq_qc_range lost[TQ_QC_RANGES];
	uint32_t n_lost;
};

int tq_qc_sq_init(struct tq_qc_sq *q, uint32_t cap);
void tq_qc_sq_free(struct tq_qc_sq *q);
/* The ring's memory, if not there yet: 0 or -ENOMEM. */
int tq_qc_sq_alloc(struct tq_qc_sq *q);
/* A larger ring (cap > q->cap) holding the same bytes: 0 or -ENOMEM. */
int tq_qc_sq_grow(struct tq_qc_sq *q, uint32_t cap);
static inline uint32_t
tq_qc_sq_space(const struct tq_qc_sq *q)
{
	return q->cap - (uint32_t)(q->end - q->base);
}
uint32_t tq_qc_sq_write(struct tq_qc_sq *q, const void *p, uint32_t len);
void tq_qc_sq_copy(const struct tq_qc_sq *q, uint64_t off, uint8_t *dst,
		uint32_t len);
/* What to send next: a lost range first (*retx), else new data. */
bool tq_qc_sq_peek(struct tq_qc_sq *q, uint64_t *off, uint64_t *len,
		bool *retx);
void tq_qc_sq_sent(struct tq_qc_sq *q, uint64_t off, uint64_t len, bool retx);
void tq_qc_sq_acked(struct tq_qc_sq *q, uint64_t off, uint64_t len);
void tq_qc_sq_lost(struct tq_qc_sq *q, uint64_t off, uint64_t len);
/* Resend everything sent and not acknowledged (a PTO of CRYPTO). */
void tq_qc_sq_requeue(struct tq_qc_sq *q);
static inline bool
tq_qc_sq_all_acked(const struct tq_qc_sq *q)
{
	return q->base == q->end;
}

/* Frames a sent packet carried that matter when it is acked or lost. */
enum tq_qc_fkind {
	TQ_QC_F_CRYPTO = 1,
	TQ_QC_F_STREAM,
	TQ_QC_F_RESET,
	TQ_QC_F_STOP,
	TQ_QC_F_MAX_DATA,
	TQ_QC_F_MAX_STREAM_DATA,
	TQ_QC_F_MAX_STREAMS_BIDI,
	TQ_QC_F_MAX_STREAMS_UNI,
	TQ_QC_F_HANDSHAKE_DONE,
	TQ_QC_F_DATA_BLOCKED,
	TQ_QC_F_STREAMS_BLOCKED_BIDI,
	TQ_QC_F_STREAMS_BLOCKED_UNI,
	TQ_QC_F_STREAM_DATA_BLOCKED,
	TQ_QC_F_NEW_TOKEN,
	TQ_QC_F_NEW_CID,
	TQ_QC_F_RETIRE_CID,
	TQ_QC_F_PMTU_PROBE,	/* id: the probe's size */
};

struct tq_qc_pktrec {
	struct tq_qc_pktrec *next_free;
	uint8_t n;
	struct {
		uint8_t kind;
		bool fin;
		uint32_t len;
		uint64_t id;	/* stream, or the limit / level */
		uint64_t off;
	} f[TQ_QC_PKT_FRAMES];
};

#define TQ_QC_SBUCKETS 64	/* a power of two */

struct tq_quic_stream {
	struct tq_stream st;	/* first */
	struct tq_quic_conn *c;
	struct tq_quic_stream *next;	/* every stream */
	struct tq_quic_stream **pprev;
	struct tq_quic_stream *hnext;	/* its bucket of c->sbuckets */
	struct tq_quic_stream *rnext;	/* c->reap_head, when in_reap */
	bool in_reap;
	struct tq_quic_stream *snext;	/* round robin of senders */
	bool in_sendq;
	bool has_send, has_recv;
	/* sending */
	struct tq_qc_sq sq;
	struct tq_quic_fc_tx fct;
	uint32_t lowat;
	bool want_write;
	/* the ring may double up to sq_max at the app's next write: set
	 * when output took its last byte while the app had more to write
	 * (the buffer, not the window, held the sender back) */
	uint32_t sq_max;
	uint32_t sq_grown;	/* bytes above cfg.sndbuf, in c->sq_grown */
	bool sq_starved;
	bool fin_want, fin_sent, fin_lost, fin_acked;
	bool reset_want, reset_sent, reset_acked;
	uint64_t reset_code;
	uint64_t reset_final;
	bool stop_recvd;
	bool sdb_want;		/* STREAM_DATA_BLOCKED: not sent (optional) */
	uint64_t acked_told;
	/* The send side's mbuf bound (TQ_OPT_SNDBUF_MBUFS), counted as
	 * the units the app queued (a write's 2 KiB pieces, a
	 * write_mbuf's segments) until the bytes are acknowledged: the
	 * end offset of each, oldest first. */
	uint64_t *mu;
	uint32_t mu_cap, mu_head, mu_n, mu_limit;
	uint32_t mu_tail_room;
	bool announce;		/* an empty STREAM frame tells the peer */
	bool connected_told;
	/* receiving */
	struct tq_quic_rxbuf rb;
	struct tq_quic_rxseg *segs;
	struct tq_quic_fc_rx fcr;
	bool msd_want;
	bool stop_want, stop_sent, stop_acked;
	uint64_t stop_code;
	bool fin_told, peer_reset, shut_rd;
	/* the app */
	bool app_closed, closed_told;
};

struct tq_quic_conn {
	struct tq_conn base;	/* first */
	struct tq_quic_conn_cfg cfg;
	enum tq_quic_conn_state state;
	bool is_server;
	struct tq_quic_tls *tls;
	struct tq_quic_key_set ks;
	struct tq_quic_crypto_worker *cw;
	struct rte_mempool *pool;
	struct tq_quic_cid scid, dcid, odcid, peer_scid;
	bool have_peer_cid;
	/* tq_quic_conn_set_kick(): told of every app call */
	void (*kick)(void *arg);
	void *kick_arg;
	/* for tq_conn_info; the module sets them (family 0: unset) */
	struct tq_addr laddr, raddr;
	uint16_t lport, rport;
	struct tq_quic_tp ltp, ptp;
	bool have_ptp;
	/* packet number spaces */
	struct tq_quic_ackr ackr[TQ_QUIC_SPACE_N];
	uint64_t next_pn[TQ_QUIC_SPACE_N];
	bool discarded[TQ_QUIC_SPACE_N];
	unsigned int probes[TQ_QUIC_SPACE_N];
	struct tq_qc_sq csq[TQ_QUIC_SPACE_N];
	struct tq_quic_rxbuf crb[TQ_QUIC_SPACE_N];
	struct tq_quic_rxseg cseg[TQ_QUIC_SPACE_N][TQ_QC_CRYPTO_SEGS];
	uint64_t crypto_fed[TQ_QUIC_SPACE_N];
	/* recovery */
	struct tq_quic_rec rec;
	struct tq_quic_sent *sent;	/* cfg.max_packets of each */
	struct tq_qc_pktrec *pkts;
	struct tq_qc_pktrec *pkt_free;
	struct tq_quic_pacer pacer;
	/* flow control and streams */
	struct tq_quic_fc_rx fcr;
	struct tq_quic_fc_tx fct;
	bool md_want;
	bool db_want;			/* DATA_BLOCKED */
	/* a stream left the send queue with new data only the
	 * connection's limit held back: MAX_DATA must requeue it */
	bool fc_held;
	struct tq_quic_streams sc[2];	/* bidi, uni */
	bool ms_want[2];
	bool sa_want[2];		/* the app saw -EAGAIN */
	struct tq_quic_stream *streams;
	/* streams by ID: a frame names its stream, and a list walk per
	 * frame cost ~600 instructions a request with 100 streams open */
	struct tq_quic_stream *sbuckets[TQ_QC_SBUCKETS];
	/* streams an app call may have finished, for the reaper at the
	 * end of the entry point (the connection's own paths free theirs
	 * on the spot) */
	struct tq_quic_stream *reap_head;
	struct tq_quic_stream_pool *spool;
	bool spool_own;			/* made for this connection */
	struct tq_quic_stream *sq_head, *sq_tail;
	unsigned int nstreams;
	uint64_t sq_grown;	/* the streams' sq_grown summed */
	/* handshake */
	bool complete, confirmed, established_told;
	bool hd_want;			/* HANDSHAKE_DONE to send */
	bool sent_hs_pkt;
	/* address validation (server) */
	bool validated;
	uint64_t amp_rx, amp_tx;
	/* timers */
	uint64_t idle_ns;
	uint64_t idle_at;
	uint64_t close_end;
	uint64_t close_last_sent;
	bool close_send;
	bool close_rebased;		/* close_end moved to a late close */
	uint64_t keepalive_ns, elicit_tx_at;	/* last ack-eliciting out */
	bool elicit_since_rx;		/* an ack-eliciting sent since input */
	uint64_t pace_at;
	bool out_ect0;		/* the last datagram out is marked ECT(0) */
	/* close */
	uint64_t close_code, close_ftype;
	bool close_app, close_remote;
	bool app_told;
	/* the peer's CIDs from NEW_CONNECTION_ID */
	struct {
		uint64_t seq;
		struct tq_quic_cid cid;
		uint8_t token[16];	/* its stateless reset token */
	} pcid[TQ_QC_PEER_CIDS];
	unsigned int n_pcid;
	uint64_t dcid_seq;		/* the peer's CID in use */
	/* the stateless reset token of the peer's CID in use, the only
	 * one checked (RFC 9000 10.3.1: not those unused or retired) */
	uint8_t dcid_token[16];
	bool has_dcid_token;
	bool sreset;			/* ended by a stateless reset */
	uint64_t peer_rpt;		/* the peer's highest Retire Prior To */
	uint64_t rcid_q[TQ_QC_RETIRE_Q];	/* RETIRE_CONNECTION_ID to send */
	unsigned int n_rcid;
	/* ours (tq_quic_conn_cid.c): sequence 0 is the handshake's */
	struct tq_qc_lcid {
		uint64_t seq;
		struct tq_quic_cid cid;
		uint8_t token[16];
		bool want;		/* NEW_CONNECTION_ID to send */
	} lcid[TQ_QC_LOCAL_CIDS];
	unsigned int n_lcid;
	uint64_t lcid_next;		/* the next sequence number */
	uint64_t lcid_rpt;		/* our Retire Prior To */
	bool lcid_starved;		/* make failed: not again until one
					 * is retired (no retry per packet) */
	/* DPLPMTUD (RFC 8899): one probe of size at a time, up to
	 * TQ_QC_PMTU_TRIES; done when one is acknowledged or the last
	 * is lost, until a new path */
	struct {
		uint32_t size;
		uint8_t tries;
		bool inflight, done;
	} pmtu;
	bool lcid_full;			/* as many as the peer takes: not
					 * looked at again (once a packet)
					 * until one is retired */
	const struct tq_quic_conn_cid_ops *cid_ops;
	void *cid_arg;
	struct tq_quic_cid rx_dcid;	/* of the packet being processed */
	/* paths (tq_quic_conn_path.c): the datagram's source, and the
	 * validation of a new path with what to go back to */
	struct tq_addr rx_addr;
	uint16_t rx_port;
	bool rx_path_set;
	size_t rx_dgram_len;
	struct {
		bool active, want, rec_reset;
		uint8_t data[8];
		uint64_t resend_at, end;
		struct tq_addr old_addr;
		uint16_t old_port;
		uint64_t smoothed_rtt, rttvar, min_rtt, latest_rtt;
		uint64_t first_rtt_sample;
		bool has_rtt;
		struct tq_cc cc;
	} pv;
	uint32_t max_dgram;
	uint64_t bytes_acked, bytes_rx;
	uint64_t now;			/* of the last call in */
	bool path_resp_want;
	bool ping_want;
	uint8_t path_data[8];
	/* key updates (RFC 9001 6): the phase of each direction, the
	 * read keys of the generations before and after the current one */
	bool read_phase, write_phase;
	struct tq_quic_aead *prev_read, *next_read;
	uint64_t ku_pn;			/* first packet of the read phase */
	/* RFC 9001 6.6: packets sealed with the current 1-RTT write key,
	 * and how many before a key update is due (0: not known yet) */
	uint64_t aead_sealed, aead_soft;
	/* client: the Retry taken (RFC 9000 17.2.5) */
	bool got_retry;
	struct tq_quic_cid retry_scid;
	uint8_t *token;
	size_t token_len;
	/* 0-RTT (RFC 9001 4.6): a client sending it (its write key came
	 * with the ClientHello) until the handshake says whether it was
	 * taken; a server that saw 0-RTT packets */
	bool early_tx;
	bool early_seen;
	bool early_done;	/* taken or refused: settled */
	/* client resuming: the server's transport parameters remembered
	 * with the ticket, which 0-RTT obeys */
	struct tq_quic_tp rtp;
	bool have_rtp;
	/* tq_quic_conn_set_qlog(): NULL when off, each event one branch */
	struct tq_quic_qlog *qlog;
	/* NEW_TOKEN: the server's to send (nt_want once confirmed), the
	 * client's last one received */
	uint8_t *nt;
	size_t nt_len;
	bool nt_want;
	struct tq_quic_conn_stats stats;
};

static inline enum tq_quic_level
tq_qc_level(enum tq_quic_space sp)
{
	return sp == TQ_QUIC_SPACE_INITIAL ? TQ_QUIC_LEVEL_INITIAL :
		sp == TQ_QUIC_SPACE_HANDSHAKE ? TQ_QUIC_LEVEL_HANDSHAKE :
		TQ_QUIC_LEVEL_APP;
}

static inline struct tq_quic_stream *
tq_qc_stream(struct tq_stream *st)
{
	return (struct tq_quic_stream *)st;
}

/* tq_quic_conn.c */
void tq_qc_close(struct tq_quic_conn *c, uint64_t code, uint64_t ftype,
		bool app);
void tq_qc_drain(struct tq_quic_conn *c, uint64_t code, bool app);
/* RFC 9001 6.6: the AEAD limits (tq_quic_conn.c) */
void tq_qc_aead_limit(struct tq_quic_conn *c);
uint64_t tq_qc_integ_limit(const struct tq_quic_conn *c,
		const struct tq_quic_aead *a);
void tq_qc_discard(struct tq_quic_conn *c, enum tq_quic_space sp);
void tq_qc_handshake_progress(struct tq_quic_conn *c);
uint64_t tq_qc_pto3(const struct tq_quic_conn *c);
void tq_qc_idle_restart(struct tq_quic_conn *c, uint64_t now);
void tq_qc_early_settle(struct tq_quic_conn *c);
void tq_qc_qlog_metrics(struct tq_quic_conn *c, uint64_t now);
void tq_qc_qlog_key(struct tq_quic_conn *c, enum tq_quic_level l,
		enum tq_quic_dir dir, const char *trigger);
extern const struct tq_quic_rec_ops tq_qc_rec_ops;
extern const struct tq_quic_rxbuf_ops tq_qc_mbuf_ref_ops;

/* tq_quic_conn_rx.c */
int tq_qc_open_1rtt(struct tq_quic_conn *c, uint8_t *pkt,
		const struct tq_quic_hdr *h, uint64_t *pn, size_t *off);
void tq_qc_input(struct tq_quic_conn *c, struct rte_mbuf *m,
		enum tq_quic_ecn ecn, uint64_t now);

/* tq_quic_conn_cid.c */
void tq_qc_cid_init(struct tq_quic_conn *c);
bool tq_qc_reset_check(struct tq_quic_conn *c, const uint8_t *d, size_t len);
bool tq_qc_cid_ours(const struct tq_quic_conn *c, const uint8_t *id,
		size_t len);
void tq_qc_cid_top_up(struct tq_quic_conn *c);
/* NEW_CONNECTION_ID or RETIRE_CONNECTION_ID to send (topped up first) */
bool tq_qc_cid_pending(struct tq_quic_conn *c);
enum tq_quic_err tq_qc_cid_on_retire(struct tq_quic_conn *c, uint64_t seq);
struct tq_qc_lcid *tq_qc_cid_find(struct tq_quic_conn *c, uint64_t seq);
void tq_qc_cid_retire_peer(struct tq_quic_conn *c, uint64_t seq);

/* tq_quic_conn_path.c */
void tq_qc_path_on_packet(struct tq_quic_conn *c, bool largest, bool probing,
		uint64_t now);
void tq_qc_path_on_response(struct tq_quic_conn *c, const uint8_t data[8]);
uint64_t tq_qc_path_timer(const struct tq_quic_conn *c);
void tq_qc_path_on_timer(struct tq_quic_conn *c, uint64_t now);

/* tq_quic_conn_tx.c */
size_t tq_qc_output(struct tq_quic_conn *c, uint8_t *buf, size_t cap,
		uint64_t now);
void tq_qc_pkt_acked(struct tq_quic_conn *c, enum tq_quic_space sp,
		const struct tq_quic_sent *p);
void tq_qc_pkt_lost(struct tq_quic_conn *c, enum tq_quic_space sp,
		const struct tq_quic_sent *p);
void tq_qc_pkt_discarded(struct tq_quic_conn *c, enum tq_quic_space sp,
		const struct tq_quic_sent *p);

/* tq_quic_stream.c */
extern const struct tq_conn_vt tq_qc_conn_vt;
struct tq_quic_stream *tq_qc_stream_find(struct tq_quic_conn *c, uint64_t id);
/* The stream of a frame from the peer, opened if it is the peer's and
 * new; NULL with *err NO_ERROR for one already closed and freed. */
struct tq_quic_stream *tq_qc_stream_get(struct tq_quic_conn *c, uint64_t id,
		bool sending_frame, enum tq_quic_err *err);
void tq_qc_stream_sendq(struct tq_quic_stream *s);
void tq_qc_stream_maybe_free(struct tq_quic_stream *s);
void tq_qc_streams_close_all(struct tq_quic_conn *c,
		enum tq_close_reason why, uint64_t code);
void tq_qc_streams_free(struct tq_quic_conn *c);
/* The connection's limit grew: streams it held back send again. */
void tq_qc_streams_fc_unblock(struct tq_quic_conn *c);
void tq_qc_reap(struct tq_quic_conn *c);
void tq_qc_streams_on_peer_tp(struct tq_quic_conn *c);
void tq_qc_stream_writable_check(struct tq_quic_stream *s);
void tq_qc_stream_acked_tell(struct tq_quic_stream *s);
void tq_qc_stream_connected(struct tq_quic_stream *s);
int tq_qc_stream_rx_ready(struct tq_quic_stream *s);

/* An app call may have made output: tell the module (once per call; it
 * drives the connection soon, outside the call). */
static inline void
tq_qc_kick(struct tq_quic_conn *c)
{
	if (c->kick)
		c->kick(c->kick_arg);
}

#endif
