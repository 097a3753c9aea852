/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_TCP_H
#define TQ_TCP_H

/*
 * TCP (RFC 9293) for one shard.  The core is I/O-free: a segment and
 * s->now in, segments queued on the shard's TX batch out, timers on the
 * shard's wheel.  Files: state (names, the [state][flags] table), seg
 * (options), isn (RFC 6528), table (flows, listeners, ports), input,
 * output, timer, sack, stream (the public API).
 */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <tachyon/tachyon.h>
#include <tachyon/tq_tcp.h>

#include "../cc/tq_cc.h"
#include "../core/tq_log.h"
#include "../core/tq_shard.h"
#include "../core/tq_siphash.h"
#include "../core/tq_stream_impl.h"
#include "../core/tq_timer.h"
#include "../net/tq_net.h"

/* Ordered as FreeBSD does, so that ranges mean something:
 * >= SYN_RECEIVED both ISNs are known (TQ_TCPS_SYNCHRONIZED: an abort
 * sends a RST), >= ESTABLISHED is RFC 9293's synchronized states,
 * > CLOSE_WAIT means our FIN was sent. */
#define TQ_TCP_STATES(X)                                                 \
	X(CLOSED) X(LISTEN) X(SYN_SENT) X(SYN_RECEIVED) X(ESTABLISHED)   \
	X(CLOSE_WAIT) X(FIN_WAIT_1) X(CLOSING) X(LAST_ACK) X(FIN_WAIT_2) \
	X(TIME_WAIT)

enum tq_tcp_state {
#define TQ_X(s) TQ_TCPS_##s,
	TQ_TCP_STATES(TQ_X)
#undef TQ_X
	TQ_TCPS_MAX
};

#define TQ_TCPS_SYNCHRONIZED(s) ((s) >= TQ_TCPS_SYN_RECEIVED)
#define TQ_TCPS_ESTABLISHED_OR_LATER(s) ((s) >= TQ_TCPS_ESTABLISHED)
#define TQ_TCPS_FIN_SENT(s) ((s) > TQ_TCPS_CLOSE_WAIT)
/* States in which received data is accepted (RFC 9293 3.10.7.4 7th). */
#define TQ_TCPS_RCV_DATA(s)                                         \
	(((1u << (s)) & ((1u << TQ_TCPS_ESTABLISHED) |                \
			 (1u << TQ_TCPS_FIN_WAIT_1) |                 \
			 (1u << TQ_TCPS_FIN_WAIT_2))) != 0)

const char *tq_tcp_state_name(unsigned int state);
/* The name ss(8) gives the state: ESTAB, SYN-RECV, TIME-WAIT, ... */
const char *tq_tcp_state_ss_name(unsigned int state);

/* TCP header flags */
#define TQ_TH_FIN 0x01
#define TQ_TH_SYN 0x02
#define TQ_TH_RST 0x04
#define TQ_TH_PSH 0x08
#define TQ_TH_ACK 0x10
#define TQ_TH_URG 0x20

/* What the [state][flags] table says to do with a segment. */
enum tq_tcp_action {
	TQ_TCP_DROP = 0, /* silently */
	TQ_TCP_RESET,	 /* answer with RST (RFC 9293 3.10.7.1 rules) */
	TQ_TCP_PROCESS,	 /* on to the state's handler */
};

/*
 * RFC 7661 / Linux's tcp_is_cwnd_limited(): cwnd grows only while at
 * least half of it (in segments, as Linux counts: the flight rounded up
 * to whole MSS) is used.  A sender held back by the app or the peer's
 * window would otherwise grow it without bound, on ACKs that say nothing
 * about the path, and later burst.  The rounding lies within
 * [flight, flight + mss - 1]: only between those bounds does it take the
 * division (tens of cycles, on nearly every ACK before).
 */
static inline bool
tq_tcp_cwnd_limited(uint32_t flight, uint32_t mss, uint32_t cwnd)
{
	uint64_t f2 = 2ull * flight;

	if (f2 >= cwnd)
		return true;
	if (f2 + 2ull * (mss - 1) < cwnd)
		return false;
	return (((uint64_t)flight + mss - 1) / mss) * mss * 2 >= cwnd;
}

/* The flags' SYN, ACK, RST and FIN bits (0x17) as the index into the
 * action table: SYN 8, ACK 4, RST 2, FIN 1.  A load, where moving each
 * bit to its place took a dozen instructions a segment. */
extern const uint8_t tq_tcp_flag_class_tab[32];

static inline unsigned int
tq_tcp_flag_class(uint8_t flags)
{
	return tq_tcp_flag_class_tab[flags & (TQ_TH_SYN | TQ_TH_ACK |
			TQ_TH_RST | TQ_TH_FIN)];
}

extern const uint8_t tq_tcp_action_table[TQ_TCPS_MAX][16];

/* rte_log type "tachyon.tcp" (tq_tcp_opts.c). */
extern int tq_tcp_logtype;
#define TCP_LOG(level, fmt, ...) \
	TQ_LOG(tq_tcp_logtype, "tachyon.tcp", level, fmt, ##__VA_ARGS__)
#define TCP_LOG_ON(level) TQ_LOG_ON(tq_tcp_logtype, level)

/* Log a connection event at debug: "what local -> peer". */
struct tq_tcb;
void tq_tcp_log_conn(const struct tq_tcb *tp, const char *what);

/* Sequence arithmetic (RFC 1982 style) */
#define SEQ_LT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) > 0)
#define SEQ_GEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) >= 0)
#define SEQ_MAX(a, b) (SEQ_GT(a, b) ? (a) : (b))
#define SEQ_MIN(a, b) (SEQ_LT(a, b) ? (a) : (b))

#define TQ_TCP_MAX_SACK 4
#define TQ_TCP_SB_MAX 32 /* SACKed ranges remembered by a sender */
#define TQ_TCP_MAX_WINSHIFT 14

/* A parsed segment: header fields in host order, options, payload. */
struct tq_tcp_seg {
	uint32_t seq;
	uint32_t ack;
	uint32_t len; /* payload bytes */
	uint32_t wnd; /* as sent, unscaled */
	uint8_t flags;
	uint16_t sport, dport; /* network order */
	bool has_mss, has_ws, sack_ok, has_ts;
	uint16_t mss;
	uint8_t ws;
	uint8_t nsack;
	uint32_t tsval, tsecr;
	uint32_t sack[TQ_TCP_MAX_SACK][2];
	bool tfo;		/* RFC 7413 option present */
	uint8_t tfo_len;	/* cookie length, 0: a cookie request */
	uint8_t tfo_cookie[16];
	struct rte_mbuf *m; /* data at the payload; NULL once consumed */
};

/*
 * Parse the options of a header of hlen bytes.  Malformed options
 * (length 0 or 1, past the header) make it return -EINVAL: the segment
 * is dropped; unknown options are skipped (RFC 9293 3.2).
 */
int tq_tcp_parse_options(const uint8_t *opt, unsigned int len,
		struct tq_tcp_seg *seg, bool syn);
/*
 * The layout nearly every segment of an established connection with
 * timestamps has (RFC 7323 appendix A: NOP, NOP, TS): fill seg's
 * timestamps and return true, with no option walk; false for anything
 * else (then tq_tcp_parse_options()).
 */
static inline bool
tq_tcp_parse_ts_only(const uint8_t *opt, unsigned int len,
		struct tq_tcp_seg *seg)
{
	uint32_t lead, ts[2];

	/* NOP, NOP, kind 8, length 10: one word, not a byte compare. */
	if (len != 12)
		return false;
	memcpy(&lead, opt, sizeof(lead));
	if (lead != rte_cpu_to_be_32(0x0101080a))
		return false;
	memcpy(ts, opt + 4, sizeof(ts));
	seg->has_ts = true;
	seg->tsval = rte_be_to_cpu_32(ts[0]);
	seg->tsecr = rte_be_to_cpu_32(ts[1]);
	return true;
}

/* A queue of payload bytes held in a list of mbuf segments. */
struct tq_mq {
	struct rte_mbuf *head; /* first segment */
	struct rte_mbuf *tail; /* last segment */
	uint32_t off;	       /* bytes of head already consumed */
	uint32_t bytes;	       /* bytes queued, from head+off */
	uint32_t nsegs;
};

struct tq_tcp_conf {
	uint32_t max_conns;	/* TCBs per worker */
	uint32_t max_tw;	/* of them in TIME_WAIT (tcp_max_tw_buckets) */
	uint32_t sndbuf;	/* default send buffer, bytes */
	uint32_t rcvbuf;	/* default receive buffer, bytes */
	uint32_t ooo_segs;	/* out-of-order segments held per flow */
	uint32_t rcv_mbufs;	/* mbufs all receive queues of a worker may
				 * hold (Linux's tcp_mem); 0: no bound */
	uint64_t rto_min_ns;
	uint64_t rto_max_ns;
	uint64_t rto_init_ns;
	uint64_t delack_ns;
	uint64_t msl2_ns;	/* TIME_WAIT length */
	uint64_t fin_timeout_ns;/* FIN_WAIT_2 after close */
	uint32_t retries2;	/* like tcp_retries2 */
	uint32_t syn_retries;	/* like tcp_syn_retries */
	uint32_t synack_retries;/* like tcp_synack_retries */
	bool keepalive;		/* default for new connections (off) */
	uint64_t keep_idle_ns;	/* tcp_keepalive_time (7200 s) */
	uint64_t keep_intvl_ns;	/* tcp_keepalive_intvl (75 s) */
	uint32_t keep_cnt;	/* tcp_keepalive_probes (9) */
	uint32_t challenge_ack_limit; /* per second per worker (1000) */
	bool syncookies;	/* when the SYN queue is full (on) */
	bool tw_reuse;		/* like tcp_tw_reuse=1 (off) */
	uint8_t fastopen;	/* RFC 7413, like tcp_fastopen: 1 client,
				 * 2 server (0: off) */
	uint16_t eport_lo, eport_hi;
	uint16_t mss_default;	/* when the peer gives none (RFC 9293: 536) */
	uint8_t init_cwnd;	/* segments */
	bool sack, timestamps, wscale;
	bool nodelay;		/* default for new connections */
	bool quickack;		/* no delayed ACKs on new connections */
	bool predict;		/* header prediction and the output's fast
				 * path (on); off only to test that both
				 * paths agree */
	uint8_t quickack_max;	/* quick-ACK mode length (16; 0: none) */
	const struct tq_cc_ops *cc;
};

void tq_tcp_conf_defaults(struct tq_tcp_conf *c);

struct tq_tcb;
struct tq_listener;
/*
 * The cc a connection starts with, when its handshake sets cc up: the
 * app's TQ_OPT_CC if it set one on the opening stream, else its
 * listener's (l, NULL for an active open), else --tcp-cc.
 */
const struct tq_cc_ops *tq_tcp_cc_start(const struct tq_tcb *tp,
		const struct tq_listener *l);

struct tq_tcp_key {
	uint8_t laddr[16];
	uint8_t faddr[16];
	uint16_t lport; /* network order */
	uint16_t fport;
	uint8_t family;
	uint8_t pad[3];
};

/*
 * A key read as five 64-bit words, in place: through a copy into a
 * uint64_t array (the portable spelling) the compiler spilled both keys
 * to the stack through SSE registers first, a dozen instructions a
 * compare (bench/cost).  A key is only 2-byte aligned.
 */
typedef uint64_t __attribute__((may_alias, aligned(1))) tq_key_word;

struct tq_listen_conf {
	struct tq_addr addr; /* family 0: any address */
	uint16_t port;	     /* host order */
	uint32_t backlog;
	tq_accept_cb cb;
	void *arg;
	/* what its connections start with (tq_tcp_listen_set_opt());
	 * NULL: --tcp-cc.  Written by the control thread, read (atomically)
	 * by the workers at each SYN. */
	const struct tq_cc_ops *cc;
};

#define TQ_TCP_MAX_LISTEN TQ_TCP_LISTENERS_MAX

/*
 * Listeners: the control thread writes the table (under the engine's
 * lock); a slot is published to the workers through their command rings
 * (tq_tcp_listener_add) and freed only after every worker dropped its
 * replica (tq_tcp_listener_del).  Port 0 marks a free slot; n is the
 * high-water mark.
 */
struct tq_tcp_listen_table {
	unsigned int n;
	struct tq_listen_conf l[TQ_TCP_MAX_LISTEN];
};

struct tq_tcb;

/* A worker's replica of a listener. */
struct tq_listener {
	const struct tq_listen_conf *conf;
	struct tq_shard *s;
	uint32_t syn_count;
	uint32_t acc_count;
	uint64_t last_overflow;	/* cookies are checked only after one */
	struct tq_tcb *acc_head, *acc_tail;
};

/* tcb flags */
#define TF_ACKNOW	0x0001 /* send an ACK at the next output */
#define TF_DELACK	0x0002 /* an ACK is owed, the timer runs */
#define TF_NODELAY	0x0004
#define TF_SACK_OK	0x0008
#define TF_TS_OK	0x0010
#define TF_WS_OK	0x0020
#define TF_SHUT_WR	0x0040 /* app shut down: FIN after the data */
#define TF_FIN_SENT	0x0080 /* our FIN has a sequence number */
#define TF_APP_GONE	0x0100 /* the app closed: no callbacks but closed */
#define TF_ACCEPTQ	0x0200 /* waiting on a listener's accept queue */
#define TF_WANT_WRITE	0x0400 /* a write came up short */
#define TF_CLOSED_CB	0x0800 /* closed() was called */
#define TF_EOF_SEEN	0x1000 /* peer FIN queued for the app */
#define TF_INRECOVERY	0x2000
#define TF_RTT_TIMING	0x4000
#define TF_PERSIST	0x8000
#define TF_DOOMED	0x10000 /* closed while busy: free when not */
#define TF_SNDQ_OURS	0x20000 /* sndq's tail was allocated by write */
#define TF_TLP		0x40000 /* t_rexmt is a tail loss probe timeout */
#define TF_KEEPALIVE	0x80000
#define TF_TS_COOKIE	0x100000 /* SYN-ACK carries ts_cookie as TSval */
#define TF_TFO_CHILD	0x200000 /* accepted with data on its SYN */
#define TF_TFO_COOKIE	0x400000 /* SYN-ACK gives the peer a cookie */
#define TF_TFO_REQ	0x800000 /* our SYN asks for or uses a cookie */
#define TF_QUICKACK	0x1000000 /* no delayed ACKs (TQ_OPT_QUICKACK) */
#define TF_SHUT_RD	0x2000000 /* app reads no more: data is dropped */
#define TF_FIN_CB	0x4000000 /* peer_fin() was called */
#define TF_TW_APP	0x8000000 /* in TIME_WAIT, the app still reading */
#define TF_LA_HELD	0x10000000 /* TF_TW_APP after LAST_ACK: no 2MSL of
				    * our own once the app lets go */
#define TF_UNHASHED	0x20000000 /* TF_TW_APP whose 4-tuple was given
				    * up: only the app holds it now */
#define TF_WND_DEFER	0x40000000 /* a window update owed while busy: sent
				    * when tq_tcp_input lets go of the TCB */
#define TF_REXMT_OFF	0x80000000u /* t_rexmt stopped but left in the
				     * wheel: it does nothing if it fires */

struct tq_tcb {
	/* The public handles of a TCP connection: its one stream (id 0). */
	struct tq_conn conn;
	struct tq_stream st;
	struct tq_tcp_key key;
	uint32_t sig;
	/* the flow table's chain (tq_tcp_flows.c); hpprev NULL: not in it */
	struct tq_tcb *hnext;
	struct tq_tcb **hpprev;
	struct tq_shard *s;
	uint8_t state;
	uint8_t close_reason;	/* for a deferred close */
	uint8_t snd_scale, rcv_scale;
	uint8_t rxtshift;
	uint8_t dupacks;
	uint8_t busy;		/* inside input or a callback: defer freeing */
	uint32_t flags;
	uint16_t mss;		/* we send at most this much payload */
	uint16_t adv_mss;	/* what we told the peer */
	uint16_t segs_unacked;	/* full segments received since our ACK */
	uint8_t quick;		/* ACKs still to send at once (quick-ACK mode) */
	uint64_t last_data_rx;	/* when in-order data last came */
	struct tq_route_cache rc; /* next hop's MAC: no lookups per segment */
	struct tq_ip_tmpl iph;	/* headers built from rc */

	/* send side (RFC 9293 3.3.1) */
	uint32_t iss, snd_una, snd_nxt, snd_max;
	uint32_t snd_wl1, snd_wl2;
	uint32_t snd_wnd;	/* scaled */
	uint32_t max_sndwnd;
	uint32_t sndbuf;
	uint32_t sndbuf_segs;	/* mbufs the send queue may hold */
	uint32_t sndlowat;	/* free bytes before writable(); 0: half */
	uint32_t recover;	/* RFC 6582 */
	uint32_t rexmit_nxt;	/* next lost byte to retransmit */
	uint32_t rexmit_end;	/* end of what is deemed lost */
	uint32_t tlp_high;	/* snd_max when the last probe went out */

	/* receive side */
	uint32_t irs, rcv_nxt;
	uint32_t rcv_adv;	/* right edge we advertised */
	uint32_t rcvbuf;

	/* RFC 7323 */
	uint32_t ts_recent;
	uint32_t ts_offset;
	uint32_t isn_hash;	/* RFC 6528's F() of this 4-tuple (tq_tcp_isn) */
	uint32_t ts_cookie;	/* TSval of a cookie SYN-ACK (TF_TS_COOKIE) */
	uint64_t ts_recent_age;	/* when ts_recent was taken */

	/* keepalive */
	uint64_t last_rcv;	/* any segment accepted from the peer */
	uint64_t keep_idle, keep_intvl;
	uint8_t keep_cnt, keep_probes;

	/* RFC 6298, in ns */
	uint64_t srtt, rttvar, rto;
	uint32_t rtseq;		/* segment being timed (no timestamps) */
	uint64_t rttime;
	uint64_t rexmit_start;	/* first retransmission of this episode */
	uint64_t tw_since;	/* entered TIME_WAIT */
	uint64_t born;		/* created: the handshake time's start */

	struct tq_cc cc;
	/* the app's TQ_OPT_CC before the handshake set up cc; NULL: the
	 * listener's or --tcp-cc (tq_tcp_cc_start()) */
	const struct tq_cc_ops *cc_pick;

	/*
	 * sender scoreboard (RFC 6675): SACKed ranges above snd_una, in a
	 * board of the worker's pool taken at the first SACK block and
	 * given back once they are all acked (NULL: none; most connections
	 * never need one, and an idle one holds none)
	 */
	uint8_t sb_n;
	uint32_t (*sb)[2];	/* TQ_TCP_SB_MAX ranges */
	uint32_t sacked_bytes;

	/* receiver: out-of-order segments, sorted by seq (in hash.usr) */
	struct rte_mbuf *ooo;
	uint32_t ooo_bytes;
	uint16_t ooo_segs;
	uint32_t last_ooo[2];	/* the block most recently changed */

	struct tq_mq sndq;	/* bytes from snd_una: unacked, then unsent */
	struct tq_mq rcvq;	/* in-order bytes for the app */
	uint32_t rx_held;	/* rcvq + ooo mbufs counted in tq_tcp.rx_held */
	/* where snd_nxt is in sndq, to avoid walking from the head */
	struct rte_mbuf *cur_seg;
	uint32_t cur_start;	/* offset of cur_seg's first byte from snd_una */

	uint64_t bytes_acked;
	uint64_t bytes_received;
	uint32_t retrans;

	struct tq_timer t_rexmt;   /* retransmit, persist */
	struct tq_timer t_delack;
	struct tq_timer t_2msl;	   /* TIME_WAIT, FIN_WAIT_2 */
	struct tq_timer t_keep;	   /* keepalive, when on */
	/*
	 * pacing, when the cc sets a rate (BBR): output sends what the
	 * bucket holds and t_pace lets out the rest (tq_tcp_rate.c)
	 */
	struct tq_cc_pace pace;
	struct tq_timer t_pace;
	/* BBR only: per-transmission delivery records (NULL: none) */
	struct tq_tcp_rate *rate;

	struct tq_listener *listener;
	struct tq_tcb *acc_next;
};

/* Path MTUs learned from ICMP, per worker, direct mapped by peer
 * address; they expire like Linux's route exceptions (mtu_expires). */
#define TQ_PMTU_CACHE 256
#define TQ_PMTU_EXPIRE_NS (600ull * 1000000000)

struct tq_pmtu_entry {
	uint8_t addr[16];
	uint8_t family;
	uint16_t mtu;
	uint64_t expire;
};

#define TQ_TFO_CACHE 256
#define TQ_TFO_COOKIE_LEN 8

/* Client side: cookies learned from servers, by address. */
struct tq_tfo_entry {
	struct tq_addr addr;
	uint16_t mss;
	uint8_t len;
	uint8_t cookie[16];
};

/*
 * The flow table (tq_tcp_flows.c): buckets of TCB chains under a keyed
 * hash.  A walk's cursor is the bucket and the place in its chain.
 */
#define TQ_FLOWS_CHAIN_BITS 5
#define TQ_FLOWS_CHAIN_MAX (1u << TQ_FLOWS_CHAIN_BITS)

struct tq_flows {
	struct tq_tcb **b;
	uint32_t mask;
	uint32_t n;
	uint32_t k[sizeof(struct tq_tcp_key) / 4];	/* NH key */
};

/* Buckets for entries; the hash keyed from secret and salt (the shard's
 * id: each shard's table its own key). */
int tq_flows_init(struct tq_flows *ft, uint32_t entries,
		const uint8_t *secret, uint16_t salt, int socket);
void tq_flows_free(struct tq_flows *ft);
/* tp->sig must hold tq_flows_hash() of tp->key.  -ENOSPC: chain full. */
int tq_flows_add(struct tq_flows *ft, struct tq_tcb *tp);
void tq_flows_del(struct tq_flows *ft, struct tq_tcb *tp);
/* The next TCB from *cursor (0 to start), NULL at the end.  The table
 * may change between calls: a TCB may then be seen twice or missed. */
struct tq_tcb *tq_flows_next(const struct tq_flows *ft, uint32_t *cursor);

/* NH over the key's ten 32-bit words (a product per pair, the pair
 * being a 64-bit word's halves), then a 64-bit mix so every bit of the
 * bucket index depends on all of them.  Spelled out: as a loop over a
 * copy of the key it cost twice the instructions. */
static inline uint64_t
tq_flows_nh(uint64_t x, const uint32_t *k)
{
	return (uint64_t)(uint32_t)((uint32_t)x + k[0]) *
		(uint32_t)((uint32_t)(x >> 32) + k[1]);
}

static inline uint32_t
tq_flows_hash(const struct tq_flows *ft, const struct tq_tcp_key *key)
{
	const tq_key_word *w = (const tq_key_word *)key;
	uint64_t h;

	RTE_BUILD_BUG_ON(sizeof(*key) != 5 * sizeof(uint64_t));
	h = tq_flows_nh(w[0], &ft->k[0]) + tq_flows_nh(w[1], &ft->k[2]) +
		tq_flows_nh(w[2], &ft->k[4]) + tq_flows_nh(w[3], &ft->k[6]) +
		tq_flows_nh(w[4], &ft->k[8]);
	h ^= h >> 31;
	h *= 0x9e3779b97f4a7c15ull;
	return (uint32_t)(h >> 32);
}

/* The TCP layer of one shard. */
/* Handshake time histogram bounds (tq_tcp_table.c). */
#define TQ_TCP_HS_BUCKETS 16
extern const uint64_t tq_tcp_hs_bounds_ns[TQ_TCP_HS_BUCKETS];

struct tq_tcp {
	const struct tq_tcp_conf *conf;
	const struct tq_tcp_listen_table *lt;
	const uint8_t *secret; /* 16 bytes, RFC 6528's key */
	struct tq_flows flows;
	/* The flow last found or added (4.4BSD's one-entry PCB cache):
	 * the segments of a burst, an exchange's next segment, mostly hit
	 * it and skip the hash.  Cleared when that TCB leaves the table. */
	struct tq_tcb *last;
	struct rte_mempool *tcbs;
	/*
	 * TCBs put back lately, taken first (last in, first out: the one
	 * freed last is warm in cache).  The pool has no per-lcore cache
	 * and its get and put go through the ring's ops in another shared
	 * object; this stack is a push or a pop.  Objects come from the
	 * pool only, so max_conns still bounds them.
	 */
#define TQ_TCB_STASH 32
	uint32_t tcb_stash_n;
	struct tq_tcb *tcb_stash[TQ_TCB_STASH];
	struct rte_mempool *sbs;	/* SACK scoreboards (tq_tcb.sb) */
	uint32_t nconns;
	uint32_t rx_held;	/* mbufs in receive queues (in order + ooo) */
	uint16_t next_eport;
	struct tq_tfo_entry tfo[TQ_TFO_CACHE];
	struct tq_pmtu_entry pmtu[TQ_PMTU_CACHE];
	/* RFC 5961 7: challenge ACKs per second, as a token bucket */
	uint64_t chack_tokens;
	uint64_t chack_last;
	/*
	 * For the metrics page, read by the control thread without a lock
	 * (each a word written by this worker only): connections by state
	 * (CLOSED not counted) and how long handshakes took, in buckets of
	 * tq_tcp_hs_bounds_ns plus one past the last.
	 */
	uint32_t nstate[TQ_TCPS_MAX];
	uint64_t hs_count[TQ_TCP_HS_BUCKETS + 1];
	uint64_t hs_sum_ns;
	unsigned int nl;
	struct tq_listener listeners[TQ_TCP_MAX_LISTEN];
};

static inline struct tq_tcp *
tq_tcp(struct tq_shard *s)
{
	return s->tcp;
}

/*
 * Bring the worker's count of receive-queue mbufs up to date with this
 * connection's queues.  It re-reads the queues rather than tracking each
 * append and free, so a path that changes them only has to call this
 * before the worker next checks the budget.
 */
static inline void
tq_tcb_rx_sync(struct tq_tcb *tp)
{
	uint32_t held = tp->rcvq.nsegs + tp->ooo_segs;
	struct tq_tcp *t = tq_tcp(tp->s);

	t->rx_held += held - tp->rx_held;
	tp->rx_held = held;
}

/* table */
int tq_tcp_attach(struct tq_shard *s, const struct tq_tcp_conf *conf,
		const struct tq_tcp_listen_table *lt, const uint8_t *secret);
void tq_tcp_detach(struct tq_shard *s);
/* Close every connection: FIN, or RST where data was left unread. */
void tq_tcp_shutdown_all(struct tq_shard *s);
/* One connection as tq-ctl conns shows it (ss -ti's main columns). */
struct tq_tcp_conn_row {
	struct tq_addr la, fa;
	uint16_t lport, fport;	/* host order */
	uint8_t state;
	uint16_t mss;
	uint32_t rtt_us, rttvar_us, rto_ms;
	uint32_t cwnd, ssthresh;	/* bytes; ssthresh UINT32_MAX: none */
	uint32_t inflight, sndq, rcvq;
	uint32_t retrans;
	const char *cc;
};

/* Which connections a walk returns: state -1 any, port 0 any (local or
 * peer). */
struct tq_tcp_conn_filter {
	int state;
	uint16_t port;
};

/*
 * Rows of the connections matching f, from *cursor on, at most max, and
 * after at most budget table entries looked at, so one call never holds
 * the worker long whatever the table's size.  *cursor moves on; *done
 * tells the table is walked to its end.  A table that changes between
 * calls may show a connection twice or not at all, as ss's dump may.
 */
unsigned int tq_tcp_conns_walk(struct tq_shard *s,
		const struct tq_tcp_conn_filter *f, uint32_t *cursor,
		bool *done, struct tq_tcp_conn_row *out, unsigned int max,
		unsigned int budget);
int tq_tcp_listen_table_add(struct tq_tcp_listen_table *lt,
		const struct tq_addr *addr, uint16_t port, uint32_t backlog,
		tq_accept_cb cb, void *arg);
/* The slot of exactly addr:port (addr NULL or any: the wildcard one),
 * or -ENOENT. */
int tq_tcp_listen_table_find(const struct tq_tcp_listen_table *lt,
		const struct tq_addr *addr, uint16_t port);
/* tq_tcp_listen_set_opt() on a table (the caller serializes writers):
 * 0, -ENOENT, -EINVAL, -ENOTSUP. */
int tq_tcp_listen_table_set_opt(struct tq_tcp_listen_table *lt,
		const struct tq_addr *addr, uint16_t port,
		enum tq_stream_opt opt, uint32_t val);
/* Free slot idx (every worker's replica must be gone). */
void tq_tcp_listen_table_del(struct tq_tcp_listen_table *lt,
		unsigned int idx);
/* On the worker: start or stop serving the table's slot idx.  Stopping
 * resets what waits in its SYN and accept queues; connections already
 * accepted are not its any more and stay. */
void tq_tcp_listener_add(struct tq_shard *s, unsigned int idx);
void tq_tcp_listener_del(struct tq_shard *s, unsigned int idx);
/* The table's way of tq_tcp_lookup(), past the one-entry cache. */
struct tq_tcb *tq_tcp_lookup_hash(struct tq_shard *s,
		const struct tq_tcp_key *k, uint32_t *sig);

static inline bool
tq_tcp_key_eq(const struct tq_tcp_key *a, const struct tq_tcp_key *b)
{
	const tq_key_word *x = (const tq_key_word *)a;
	const tq_key_word *y = (const tq_key_word *)b;

	/* Five words, spelled out: not a loop, not memcmp's call. */
	RTE_BUILD_BUG_ON(sizeof(*a) != 5 * sizeof(uint64_t));
	return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) |
			(x[3] ^ y[3]) | (x[4] ^ y[4])) == 0;
}

/* The TCB of key k, or NULL; *sig its hash for a tq_tcb_new() after a
 * miss.  The last TCB found or added is compared first, inline. */
static inline struct tq_tcb *
tq_tcp_lookup(struct tq_shard *s, const struct tq_tcp_key *k, uint32_t *sig)
{
	struct tq_tcb *tp = tq_tcp(s)->last;

	if (tp && tq_tcp_key_eq(&tp->key, k)) {
		*sig = tp->sig;
		return tp;
	}
	return tq_tcp_lookup_hash(s, k, sig);
}
struct tq_listener *tq_tcp_find_listener(struct tq_shard *s,
		const struct tq_addr *dst, uint16_t port);
struct tq_tcb *tq_tcb_new(struct tq_shard *s, const struct tq_tcp_key *k,
		uint32_t sig);
/* Move to CLOSED: callbacks, out of the table, freed. */
void tq_tcb_close(struct tq_tcb *tp, enum tq_close_reason why);
void tq_tcb_unhash(struct tq_tcb *tp);
void tq_tcp_accept_enqueue(struct tq_listener *l, struct tq_tcb *tp);
void tq_tcp_accept_remove(struct tq_listener *l, struct tq_tcb *tp);
void tq_tcb_set_state(struct tq_tcb *tp, enum tq_tcp_state st);
void tq_tcp_ooo_free(struct tq_tcb *tp);
/* When another worker owns k, hand it the received frame (rx->m at L4)
 * and return true. */
bool tq_tcp_steer(struct tq_shard *s, struct tq_rx *rx,
		const struct tq_tcp_key *k);
static inline bool
tq_tcp_steer_to_owner(struct tq_shard *s, struct tq_rx *rx,
		const struct tq_tcp_key *k)
{
	return unlikely(s->nb_workers > 1) && tq_tcp_steer(s, rx, k);
}
/* The largest MSS (before options) the path MTU learned for k's peer
 * allows, or UINT16_MAX when none is known. */
uint16_t tq_tcp_pmtu_mss(struct tq_shard *s, const struct tq_tcp_key *k);
/* An ICMP error about one of our segments (PMTU, unreachable). */
void tq_tcp_icmp_input(struct tq_shard *s, struct tq_rx *rx,
		const struct tq_icmp_err *e);
/* The worker a flow belongs to (RSS where the NIC has it). */
unsigned int tq_tcp_owner(const struct tq_shard *s,
		const struct tq_tcp_key *k);
/* snd_una/nxt/max and what counts from the ISS, once tp->iss is set. */
void tq_tcp_init_send_seq(struct tq_tcb *tp);
/* The key of local l:lport and foreign f:fport (ports network order). */
static inline void
tq_tcp_key_make(struct tq_tcp_key *k, const struct tq_addr *l,
		const struct tq_addr *f, uint16_t lport, uint16_t fport)
{
	memset(k, 0, sizeof(*k));
	k->family = l->family;
	if (k->family == AF_INET) {
		memcpy(k->laddr, &l->v4, 4);
		memcpy(k->faddr, &f->v4, 4);
	} else {
		memcpy(k->laddr, l->v6, 16);
		memcpy(k->faddr, f->v6, 16);
	}
	k->lport = lport;
	k->fport = fport;
}

void tq_tcp_key_addrs(const struct tq_tcp_key *k, struct tq_addr *l,
		struct tq_addr *f);

/* isn */
uint32_t tq_tcp_isn(const uint8_t *secret, const struct tq_tcp_key *k,
		uint64_t now);
uint32_t tq_tcp_ts_offset(const uint8_t *secret, const struct tq_tcp_key *k);
/*
 * tq_tcp_isn() of a new TCB's 4-tuple: F() was hashed once, with the
 * timestamp offset, when the TCB was made (one SipHash per connection,
 * not two).
 */
uint32_t tq_tcp_isn_tcb(const struct tq_tcb *tp, uint64_t now);
/* SipHash of a key's 4-tuple: F() in the low half, TS offset high. */
uint64_t tq_tcp_tuple_hash(const uint8_t *secret, const struct tq_tcp_key *k);

static inline uint32_t
tq_tcp_ts_now(const struct tq_tcb *tp)
{
	/* RFC 7323: a millisecond clock, offset per connection. */
	return (uint32_t)(tp->s->now / 1000000) + tp->ts_offset;
}

/* input */
void tq_tcp_input(struct tq_shard *s, struct tq_rx *rx);

/* output */
/* What tq_tcp_output() does when there is something to do. */
void tq_tcp_output_run(struct tq_tcb *tp);

/* Send what the windows allow, retransmissions, a FIN or an owed ACK. */
static inline void
tq_tcp_output(struct tq_tcb *tp)
{
	/* Nothing unsent, nothing to resend, no FIN or ACK owed (the
	 * output after most input segments): what the loop and the checks
	 * of tq_tcp_output_run() would conclude, without its frame. */
	if (TQ_TCPS_ESTABLISHED_OR_LATER(tp->state) &&
			!(tp->flags & (TF_ACKNOW | TF_INRECOVERY |
					TF_SHUT_WR)) &&
			tp->snd_nxt == tp->snd_max &&
			tp->sndq.bytes == tp->snd_nxt - tp->snd_una)
		return;
	tq_tcp_output_run(tp);
}
void tq_tcp_send_syn(struct tq_tcb *tp);
void tq_tcp_send_ack(struct tq_tcb *tp);
/* RST for a segment that has no connection (RFC 9293 3.10.7.1). */
void tq_tcp_respond_rst(struct tq_shard *s, struct tq_rx *rx,
		const struct tq_tcp_seg *seg);
void tq_tcp_send_rst(struct tq_tcb *tp);

/*
 * Smallest shift that lets the window cover the buffer (RFC 7323):
 * 65535 << sh >= buf, i.e. 2^sh >= ceil(buf / 65535), the bit length
 * of ceil(buf / 65535) - 1.
 */
static inline uint8_t
tq_tcp_wscale_for(uint32_t buf)
{
	uint32_t q = buf > 1 ? (buf - 1) / UINT16_MAX : 0;
	unsigned int sh = q ? 32u - (unsigned int)__builtin_clz(q) : 0;

	return (uint8_t)RTE_MIN(sh, (unsigned int)TQ_TCP_MAX_WINSHIFT);
}

/* The window we can offer now, never less than what we offered before
 * (RFC 9293 3.8.6.2.2: do not shrink the right edge). */
static inline uint32_t
tq_tcp_rcv_wnd(const struct tq_tcb *tp)
{
	uint32_t used = tp->rcvq.bytes + tp->ooo_bytes;
	uint32_t space = tp->rcvbuf > used ? tp->rcvbuf - used : 0;
	uint32_t max = (uint32_t)UINT16_MAX << tp->rcv_scale;

	/* RFC 9293 3.8.6.2.2 receiver SWS avoidance: a small opening is
	 * not worth advertising until it reaches an MSS or half the
	 * buffer. */
	if (space < RTE_MIN(tp->rcvbuf / 2, (uint32_t)tp->mss) &&
			SEQ_GEQ(tp->rcv_nxt, tp->rcv_adv))
		space = 0;
	if (SEQ_LT(tp->rcv_nxt + space, tp->rcv_adv))
		space = tp->rcv_adv - tp->rcv_nxt;
	return RTE_MIN(space, max);
}

void tq_tcp_retransmit_una(struct tq_tcb *tp);
/* RFC 8985 7.3: one new segment, or the last one again. */
void tq_tcp_send_probe(struct tq_tcb *tp);

/* fast open (RFC 7413) */
void tq_tfo_server_cookie(const uint8_t *secret, const struct tq_tcp_key *k,
		uint8_t out[TQ_TFO_COOKIE_LEN]);
struct tq_tfo_entry *tq_tfo_lookup(struct tq_tcp *t,
		const struct tq_addr *a, bool create);

/* syn cookies */
uint32_t tq_tcp_cookie_make(const uint8_t *secret, const struct tq_tcp_key *k,
		uint32_t sseq, uint16_t mss, uint64_t now, uint16_t *mss_out);
/* 0 and the MSS, or -1 for a forged or expired cookie. */
int tq_tcp_cookie_check(const uint8_t *secret, const struct tq_tcp_key *k,
		uint32_t cookie, uint32_t sseq, uint64_t now, uint16_t *mss);
uint32_t tq_tcp_cookie_ts(uint32_t ts_now, uint8_t wscale, bool ws,
		bool sack);
void tq_tcp_cookie_ts_decode(uint32_t tsecr, bool *ws, uint8_t *wscale,
		bool *sack);

/* timers */
void tq_tcp_timers_init(struct tq_tcb *tp);
void tq_tcp_timers_cancel(struct tq_tcb *tp);
void tq_tcp_rexmt_arm(struct tq_tcb *tp);
void tq_tcp_rexmt_stop(struct tq_tcb *tp);
/* t_rexmt (retransmission, probe or persist) at an absolute time. */
void tq_tcp_rexmt_at(struct tq_tcb *tp, uint64_t expire);

/* Whether t_rexmt runs: stopping it leaves it in the wheel. */
static inline bool
tq_tcp_rexmt_pending(const struct tq_tcb *tp)
{
	return tq_timer_pending(&tp->t_rexmt) &&
		!(tp->flags & TF_REXMT_OFF);
}
/* Arm the probe timeout (RFC 8985 7) when allowed, else the RTO. */
void tq_tcp_timer_rearm(struct tq_tcb *tp);
void tq_tcp_delack_arm(struct tq_tcb *tp);
void tq_tcp_2msl_arm(struct tq_tcb *tp, uint64_t ns);
/* (Re)start keepalive from the last segment received, if it is on. */
void tq_tcp_keep_arm(struct tq_tcb *tp);
void tq_tcp_rtt_sample(struct tq_tcb *tp, uint64_t rtt_ns);
uint64_t tq_tcp_retries_timeout(uint64_t rto_base, uint64_t rto_max,
		uint32_t retries);

/* sack */
void tq_tcp_sb_update(struct tq_tcb *tp, const struct tq_tcp_seg *seg);
void tq_tcp_sb_ack(struct tq_tcb *tp);
/* Give the scoreboard back to the pool (TCB freed or in TIME_WAIT). */
void tq_tcp_sb_free(struct tq_tcb *tp);

/*
 * Delivery-rate samples and pacing for algorithms that need them
 * (tq_tcp_rate.c).  tq_tcp_rate_init() with the timers;
 * tq_tcp_rate_start() after tq_cc_init(): takes the records if the
 * algorithm needs rate samples (-ENOMEM: none to be had, and the
 * connection runs cubic instead);
 * tq_tcp_rate_free() where the connection's memory goes.
 */
void tq_tcp_rate_init(struct tq_tcb *tp);
int tq_tcp_rate_start(struct tq_tcb *tp);
void tq_tcp_rate_free(struct tq_tcb *tp);
/* A data segment [seq, seq + len) goes out. */
void tq_tcp_rate_sent(struct tq_tcb *tp, uint32_t seq, uint32_t len);
/* Inflight as BBR counts it: not SACKed and not taken for lost. */
uint32_t tq_tcp_rate_inflight(const struct tq_tcb *tp);
/* After an ACK was processed: one sample to the cc; prior_in_flight is
 * tq_tcp_rate_inflight() before it. */
void tq_tcp_rate_ack(struct tq_tcb *tp, uint32_t prior_in_flight);
/* Output found nothing to send with room left: app-limited. */
void tq_tcp_rate_app_limited(struct tq_tcb *tp);
/* Bytes the pacer lets out now (the cc sets a rate). */
uint64_t tq_tcp_pace_avail(struct tq_tcb *tp);
/* Output held need bytes back for the pacer: the timer sends them. */
void tq_tcp_pace_wait(struct tq_tcb *tp, uint32_t need);
bool tq_tcp_sb_is_sacked(const struct tq_tcb *tp, uint32_t seq,
		uint32_t *end);
uint32_t tq_tcp_sb_highest(const struct tq_tcb *tp);
unsigned int tq_tcp_sack_blocks(const struct tq_tcb *tp,
		uint32_t out[][2], unsigned int max);

/* mbuf queue */
/* Append the chain m of len bytes. */
static inline void
tq_mq_append(struct tq_mq *q, struct rte_mbuf *m, uint32_t len)
{
	struct rte_mbuf *last = rte_pktmbuf_lastseg(m);

	if (q->tail)
		q->tail->next = m;
	else
		q->head = m;
	q->tail = last;
	q->bytes += len;
	q->nsegs += m->nb_segs;
	/* Segments are freed one at a time from now on. */
	m->nb_segs = 1;
	m->pkt_len = m->data_len;
}
/* Drop n bytes from the front, freeing whole segments. */
void tq_mq_drop_run(struct tq_shard *s, struct tq_mq *q, uint32_t n);
static inline void
tq_mq_drop(struct tq_shard *s, struct tq_mq *q, uint32_t n)
{
	struct rte_mbuf *m = q->head;

	/* The usual case, a request or response read or acked whole: all
	 * of the queue's one segment. */
	if (m != NULL && m->next == NULL && n != 0 &&
			n == (uint32_t)m->data_len - q->off) {
		q->head = q->tail = NULL;
		q->bytes -= n;
		q->nsegs--;
		q->off = 0;
		m->nb_segs = 1;
		tq_shard_mbuf_free_seg(s, m);
		return;
	}
	tq_mq_drop_run(s, q, n);
}

/* TCBs free: in the pool or on the shard's stack in front of it. */
static inline unsigned int
tq_tcp_tcbs_free(const struct tq_tcp *t)
{
	return rte_mempool_avail_count(t->tcbs) + t->tcb_stash_n;
}

void tq_mq_free_run(struct tq_mq *q);

/* Free a queue's mbufs and empty it; inline for the usual empty queue
 * of a connection's close. */
static inline void
tq_mq_free(struct tq_mq *q)
{
	if (q->head != NULL)
		tq_mq_free_run(q);
	else
		memset(q, 0, sizeof(*q));
}

/* the stream of a tcb and back */
static inline struct tq_stream *
tq_tcb_stream(struct tq_tcb *tp)
{
	return &tp->st;
}

static inline struct tq_tcb *
tq_stream_tcb(const struct tq_stream *st)
{
	return container_of(st, struct tq_tcb, st);
}

/* Default mbuf bound of a send buffer: one per 512 bytes, so full-size
 * segments fill it by bytes first and only small ones hit the count. */
static inline uint32_t
tq_tcp_sndbuf_segs(uint32_t sndbuf)
{
	return RTE_MAX(sndbuf / 512, 16u);
}

/* Fill the public handles of a new TCB (tq_tcp_stream.c). */
void tq_tcb_handles_init(struct tq_tcb *tp, const struct tq_stream_ops *ops,
		void *ctx);

/* Drop the app and the queues of a TCB in TIME_WAIT. */
void tq_tcb_tw_release(struct tq_tcb *tp);

/* Tell the app: new data/EOF, room to write, bytes acked. */
void tq_tcp_notify_readable(struct tq_tcb *tp);
void tq_tcp_wake_writer(struct tq_tcb *tp);
static inline void
tq_tcp_notify_writable(struct tq_tcb *tp)
{
	/* Nearly always: the app is not waiting to write. */
	if (tp->flags & TF_WANT_WRITE)
		tq_tcp_wake_writer(tp);
}
/* Free send space under the low-water mark (bytes or mbufs)? */
bool tq_tcp_sndq_low(const struct tq_tcb *tp);

#endif
