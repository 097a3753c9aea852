/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_TCPTEST_H
#define TQ_TCPTEST_H

/*
 * TCP test support on top of tq_test: a test host with the TCP layer
 * attached, TCP frame builders and a parser for what a host sends, a
 * scripted fake peer (packetdrill-style tables), and a two-host simulator
 * with delay, bandwidth, a drop-tail queue, loss, reordering and
 * duplication, all on the fake clock.
 */

#include "tq_test.h"

#include "tcp/tq_tcp.h"

#define TT_MS(x) ((uint64_t)(x) * 1000000ull)
#define TT_US(x) ((uint64_t)(x) * 1000ull)
#define TT_S(x) ((uint64_t)(x) * 1000000000ull)

/* ------------------------------------------------------------------ */
/* A host with TCP                                                     */

struct tq_tcptest_host {
	struct tq_test_host h;
	struct tq_tcp_conf conf;	  /* set before tq_tcptest_start() */
	struct tq_tcp_listen_table lt;	  /* likewise */
	struct tq_net_conf net;		  /* neighbours never go stale */
	uint8_t secret[16];
	bool started;
};

/*
 * Defaults for conf (tq_tcp_conf_defaults, but max_conns 256), an empty
 * listen table, a
 * fixed secret and a network config whose neighbour entries do not age
 * (no ARP or NDP in the middle of a conversation).  Change conf and add
 * listeners, then start.
 */
void tq_tcptest_prepare(struct tq_tcptest_host *t);
/* addr NULL: any address. */
int tq_tcptest_listen(struct tq_tcptest_host *t, const char *addr,
		uint16_t port, uint32_t backlog, tq_accept_cb cb, void *arg);
/* tq_test_host_init + tq_mbuf_dyn_register + tq_tcp_attach. */
int tq_tcptest_start(struct tq_tcptest_host *t, uint8_t id,
		const char *const *addrs);
/* tq_tcp_detach + tq_test_host_fini. */
void tq_tcptest_fini(struct tq_tcptest_host *t);
/*
 * A cmocka teardown: finishes every host still started (a failed test
 * leaves its hosts behind), so one failure does not starve the next test
 * of memory.  Use TT_TEST(name) in the test list.  Hence a started host
 * must not live in the test function's stack frame (make it static).
 */
int tq_tcptest_teardown(void **state);
#define TT_TEST(f) cmocka_unit_test_teardown(f, tq_tcptest_teardown)

/* Fail, saying how many, when the test pool has fewer free mbufs than
 * avail (taken at the start of the test). */
void tq_tcptest_check_pool(unsigned int avail);

struct tq_tcp *tq_tcptest_tcp(struct tq_tcptest_host *t);
/* TCBs in use (the layer's count), and free ones in its pool. */
unsigned int tq_tcptest_nconns(struct tq_tcptest_host *t);
unsigned int tq_tcptest_tcbs_free(struct tq_tcptest_host *t);
/* Look a connection up by its 4-tuple (ports in host order). */
struct tq_tcb *tq_tcptest_find(struct tq_tcptest_host *t, const char *laddr,
		uint16_t lport, const char *faddr, uint16_t fport);
/* The earliest expiry on the host's timer wheel; UINT64_MAX if none. */
uint64_t tq_tcptest_next_timer(struct tq_tcptest_host *t);
/* Teach t that addr is at mac (the simulator's hosts know each other). */
void tq_tcptest_learn(struct tq_tcptest_host *t, const char *addr,
		const struct rte_ether_addr *mac);
uint64_t tq_tcptest_ctr(struct tq_tcptest_host *t, unsigned int id);

/* ------------------------------------------------------------------ */
/* Segments                                                            */

/* Flags as packetdrill writes them: S F R P . (ACK) U; "" is none. */
uint8_t tq_tcptest_flags(const char *s);
/* And back, into buf (at least 8 bytes). */
const char *tq_tcptest_flags_str(uint8_t flags, char *buf);

struct tq_tcptest_seg {
	struct tq_addr src, dst;	/* parse fills */
	uint16_t sport, dport;		/* host order */
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;			/* the field, unscaled */
	bool has_mss, has_ws, sack_perm, has_ts;
	uint16_t mss;
	uint8_t ws;
	uint32_t tsval, tsecr;
	uint8_t nsack;
	uint32_t sack[4][2];
	/* parse: option kinds in order (NOP and EOL left out) */
	uint8_t kinds[20];
	uint8_t nkinds;
	uint8_t optlen;			/* parse: bytes of options */
	/* build: used as they are instead of the fields above */
	const uint8_t *raw_opts;
	uint8_t raw_optlen;
	const uint8_t *payload;		/* parse: into the frame */
	uint32_t len;
	/* filled by the fake peer: relative to the ISNs */
	uint32_t rseq, rack;
};

/*
 * Ethernet + IPv4 or IPv6 (by the family of src) + TCP with options and
 * payload, checksums valid.  Options in Linux's order: MSS, SACK_PERM, TS,
 * WS, then SACK blocks, NOP-padded.  Returns the frame length.
 */
uint32_t tq_tcptest_build(uint8_t *buf, const uint8_t *dmac, const char *src,
		const char *dst, const struct tq_tcptest_seg *sg);
/*
 * Parse a frame a host sent.  Returns 0 for a TCP segment (the IP and TCP
 * checksums are asserted), -1 for anything else.
 */
int tq_tcptest_parse(const uint8_t *frame, uint32_t len,
		struct tq_tcptest_seg *sg);

/* The byte at offset off of the test data stream. */
static inline uint8_t
tq_tcptest_pattern(uint64_t off)
{
	uint64_t x = (off >> 3) * 0x9e3779b97f4a7c15ull + 0x1234567ull;

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 29;
	return (uint8_t)(x >> ((off & 7) * 8));
}
void tq_tcptest_pattern_fill(uint8_t *buf, uint64_t off, uint32_t n);
/* Index of the first byte that differs from the pattern, or -1. */
int64_t tq_tcptest_pattern_check(const uint8_t *buf, uint64_t off,
		uint32_t n);

/* ------------------------------------------------------------------ */
/* A fake peer talking to one host over its wire                       */

struct tq_tcptest_conn {
	struct tq_tcptest_host *t;
	char peer[64];		/* the fake peer's address */
	char host[64];		/* the host's address */
	uint16_t pport, hport;	/* host order; hport 0: learned */
	uint32_t piss;		/* the peer's ISN */
	uint32_t hiss;		/* the host's, learned from its SYN */
	bool hiss_known;
	/* what the peer puts on its SYN or SYN-ACK */
	uint16_t mss;		/* 0: no MSS option */
	bool ws_on;
	uint8_t ws;
	bool sack_perm;
	bool ts;		/* timestamps: offered, then on every segment */
	uint16_t syn_win;	/* window field of its SYN */
	uint16_t win;		/* window field of its other segments */
	uint32_t ts_base;	/* its TSval = now in ms + ts_base */
	uint32_t host_tsval;	/* the last TSval from the host, echoed */
	uint32_t peer_tsval;	/* the last TSval it sent */
	/* SACK blocks (relative) for the next segment only */
	uint8_t nsack;
	uint32_t sack[4][2];
	uint64_t t0;		/* time zero of tt_run and tt_at */
	uint8_t buf[2048];	/* the last frame read */

	/* the host's stream and what its callbacks saw */
	struct tq_stream *st;
	struct tq_listener *l;
	unsigned int n_accept, n_connected, n_readable, n_writable;
	unsigned int n_acked, n_closed;
	enum tq_close_reason why;
	uint64_t acked_total;
	bool no_accept;		/* leave connections on the accept q. */
	bool read_on_readable;	/* read into rbuf from the callback */
	uint8_t *rbuf;
	uint32_t rcap, rlen;
};

extern const struct tq_stream_ops tq_tcptest_ops;
/* An accept callback; arg is the conn.  Accepts with tq_tcptest_ops. */
void tq_tcptest_accept_cb(struct tq_shard *s, struct tq_listener *l,
		void *arg);

/*
 * Defaults: piss 1000000, MSS 1460, wscale 7, SACK_PERM, timestamps,
 * SYN window 65535, then window 1024 (<< 7: 128 KB).
 */
void tt_conn_init(struct tq_tcptest_conn *c, struct tq_tcptest_host *t,
		const char *peer, uint16_t pport, const char *host,
		uint16_t hport);
/* Time since c->t0, and moving the clock: advance polls once. */
uint64_t tt_now(const struct tq_tcptest_conn *c);
void tt_advance(struct tq_tcptest_conn *c, uint64_t ns);
/* To t (relative to t0): nothing may come out before, checked. */
void tt_at(struct tq_tcptest_conn *c, uint64_t t);

/*
 * The peer sends a segment: seq relative to its ISN, ack relative to the
 * host's; the payload is the pattern at the stream offset of seq (data
 * NULL), or data.  Timestamps and SACK blocks are added as set up.  The
 * host polls once (no time passes).
 */
void tt_in(struct tq_tcptest_conn *c, const char *flags, uint32_t seq,
		uint32_t ack, uint32_t len);
void tt_in_data(struct tq_tcptest_conn *c, const char *flags, uint32_t seq,
		uint32_t ack, const void *data, uint32_t len);
/* The same with the window field given (and no options but TS). */
void tt_in_win(struct tq_tcptest_conn *c, const char *flags, uint32_t seq,
		uint32_t ack, uint32_t len, uint16_t win);
/* Send a segment exactly as described (ports and addresses filled). */
void tt_in_seg(struct tq_tcptest_conn *c, struct tq_tcptest_seg *sg);

/* The next segment from the host; false when none.  Non-TCP fails. */
bool tt_out(struct tq_tcptest_conn *c, struct tq_tcptest_seg *sg);
/*
 * The next segment must be this one (relative numbers; len exact).
 * Checks: flags, seq, ack (when ACK is set), payload length and bytes
 * against the pattern, and that TSecr echoes the peer's last TSval.
 */
struct tq_tcptest_seg tt_expect(struct tq_tcptest_conn *c, const char *flags,
		uint32_t seq, uint32_t ack, uint32_t len);
/* The host sends nothing now. */
void tt_none(struct tq_tcptest_conn *c);
/* Exactly at t (relative to t0): nothing before, then the segment. */
struct tq_tcptest_seg tt_expect_at(struct tq_tcptest_conn *c, uint64_t t,
		const char *flags, uint32_t seq, uint32_t ack, uint32_t len);

/*
 * A packetdrill-style script.  Times in ms from c->t0 (set it with
 * tt_mark).  '<': the peer sends at that time; '>': the host sends
 * exactly at that time (nothing before); every segment the host sends
 * must be listed.  seq/ack relative as above; win: '<' the window field
 * (-1: the default), '>' the expected field (-1: any).
 */
struct tt_step {
	double at_ms;
	char dir;
	const char *flags;
	uint32_t seq, ack, len;
	int32_t win;
};
void tt_run(struct tq_tcptest_conn *c, const struct tt_step *steps,
		unsigned int n);
#define TT_RUN(c, steps) tt_run(c, steps, RTE_DIM(steps))
/* Time zero for tt_run/tt_at is now. */
void tt_mark(struct tq_tcptest_conn *c);

/*
 * Move c->pport up until the host's ISN for this conversation (opened
 * now: passively on c->hport, or actively from the next ephemeral port
 * when c->hport is 0) lies in the lower (upper false) or upper half of
 * the sequence space, with 16 MB to spare.  Returns the ISN.
 */
uint32_t tt_pick_pport(struct tq_tcptest_conn *c, bool upper);

/* ------------------------------------------------------------------ */
/* The fixture most TCP tests use: one host, one scripted peer         */

/*
 * Tests keep theirs static: tq_tcptest_teardown() finishes the host of a
 * test that failed, after its stack frame is gone.
 */
struct tt_fx {
	struct tq_tcptest_host t;
	struct tq_tcptest_conn c;
	unsigned int avail;	/* free mbufs at the start, checked at the end */
};

/* Zero f, note the pool, prepare the host: change f->t.conf, then start. */
void tt_fx_begin(struct tt_fx *f);
/*
 * Start the host as 10.0.0.2/24 (v6: 2001:db8::2/64) knowing its peer
 * 10.0.0.1 (2001:db8::1).  backlog > 0: the host listens on port 80 and
 * its accepts go to f->c, a peer at port 40000; else the peer is at
 * port 8080 and the host will connect to it from an ephemeral port.
 */
void tt_fx_start(struct tt_fx *f, bool v6, uint32_t backlog);
/* tt_fx_start(v4, no listener), an active open to ESTABLISHED, tt_mark. */
void tt_fx_up(struct tt_fx *f);

#define TT_FX_ABORT	0x1 /* reset a connection the test left open */
#define TT_FX_OPEN	0x2 /* the test leaves connections: no checks */
/*
 * Nothing more on the wire; unless TT_FX_OPEN, no connection left, every
 * TCB free, CurrEstab and TIME_WAIT at 0; the host finished and every
 * mbuf back in the pool.
 */
void tt_fx_end(struct tt_fx *f, unsigned int flags);

/* The host's TCB of this conversation, NULL if none. */
struct tq_tcb *tt_tcb(struct tq_tcptest_conn *c);

/*
 * Handshakes driven from the peer's side, with the options checked.
 * Passive: peer SYN, host SYN-ACK, peer ACK, accepted.  Active:
 * tq_tcp_connect, host SYN, peer SYN-ACK, host ACK, connected.
 */
void tt_passive_open(struct tq_tcptest_conn *c);
void tt_active_open(struct tq_tcptest_conn *c);

/* ------------------------------------------------------------------ */
/* Two hosts over a simulated link                                     */

/*
 * One direction of the link.  A frame enters a FIFO that drains at bw_bps
 * (a frame leaves no earlier than the previous one finished; its bytes
 * from the Ethernet header to the end of the payload are counted, no
 * preamble, FCS or gap), is dropped at the tail when the bytes waiting
 * would pass queue_bytes, then may be lost (loss), held back by an extra
 * delay in [reorder_min_ns, reorder_max_ns) (reorder), or delivered
 * twice (dup), delay_ns after it left.
 */
struct tq_sim_link_conf {
	uint64_t delay_ns;	/* propagation, one way */
	uint64_t bw_bps;	/* 0: no serialization */
	uint32_t queue_bytes;	/* drop-tail bound of the queue; 0: none */
	double loss, reorder, dup;
	uint64_t reorder_min_ns, reorder_max_ns; /* extra delay */
	/* Arrivals rounded up to a multiple of this (0: off), as a NIC's
	 * interrupt moderation hands frames up in bursts, the bursts GRO
	 * (TQ_MEMLINK_GRO=1) merges within. */
	uint64_t coalesce_ns;
};

struct tq_sim_link_stats {
	uint64_t sent, delivered, bytes_delivered;
	uint64_t lost, queue_drops, down_drops, reordered, duplicated;
	/* frames sent with their checksums left to the link's offload */
	uint64_t csum_offloaded;
	uint32_t max_queue_bytes;
	/* ns frames waited in the bottleneck queue, summed, and how many
	 * went through it: the mean standing queue (bw_bps links only) */
	uint64_t qwait_sum, qwait_n;
	/* most frames that entered at one instant of the clock, one after
	 * the other: the sender's largest burst (a pacer bounds it) */
	uint32_t max_burst;
};

struct tq_sim_frame {
	struct rte_mbuf *m;
	uint64_t at;
	uint64_t seq;
};

struct tq_sim_link {
	struct tq_sim_link_conf conf;
	uint64_t busy_until;
	uint64_t last_sent;	/* clock of the last frame in */
	uint32_t burst;		/* frames in at last_sent */
	struct tq_sim_frame *heap;
	uint32_t n, cap;
	struct tq_sim_link_stats st;
};

struct tq_sim {
	struct tq_tcptest_host *host[2];
	struct tq_sim_link link[2]; /* link[0] carries host[0] -> host[1] */
	uint64_t now;
	uint64_t rng;
	uint64_t seq;
	uint64_t down_from, down_until;
	uint64_t steps;
};

/*
 * Join two started hosts (each learns the other's MAC); both links get
 * conf; the clock is the later of the two hosts' clocks.
 */
void tq_sim_init(struct tq_sim *sim, struct tq_tcptest_host *a,
		struct tq_tcptest_host *b, const struct tq_sim_link_conf *conf,
		uint64_t seed);
/* Drop every frame that enters or would arrive in [from, until). */
void tq_sim_link_down(struct tq_sim *sim, uint64_t from, uint64_t until);
/* One event (a frame arrival or a timer), not past limit: new time. */
uint64_t tq_sim_step(struct tq_sim *sim, uint64_t limit);
/* Run until done(arg) or the clock reaches until; returns done(). */
bool tq_sim_run(struct tq_sim *sim, uint64_t until,
		bool (*done)(void *arg), void *arg);
/* Free frames still on the links. */
void tq_sim_fini(struct tq_sim *sim);

#endif
