/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TCP state of a shard: the flow table (tq_tcp_flows.c, no locks:
 * only this worker touches it), the TCB pool, the listener
 * replicas with their SYN and accept queues.  The SYN queue is the flow
 * table itself: a SYN_RECEIVED TCB is found in O(1) by the third ACK, and
 * each listener counts its own against the backlog.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_thash.h>
#if defined(RTE_ARCH_X86_64) && defined(__SSE4_2__)
#include <nmmintrin.h>
#endif

#include "../core/tq_mbuf.h"
#include "tq_tcp.h"

void
tq_tcp_conf_defaults(struct tq_tcp_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->max_conns = 16384;
	c->max_tw = 8192;
	/* Linux's defaults: tcp_wmem[1] 16 KB grows, tcp_rmem[1] 128 KB;
	 * a fixed 256 KB each keeps a 1 Gb/s x 2 ms path full. */
	c->sndbuf = 256 * 1024;
	c->rcvbuf = 256 * 1024;
	c->ooo_segs = 1024;	/* the window bounds the bytes; this the mbufs */
	c->rcv_mbufs = 0;	/* the engine sizes it from its pool */
	c->rto_min_ns = 200ull * 1000000;	/* TCP_RTO_MIN */
	c->rto_max_ns = 120ull * 1000000000;	/* TCP_RTO_MAX */
	c->rto_init_ns = 1000ull * 1000000;	/* RFC 6298 2.1 */
	c->delack_ns = 40ull * 1000000;		/* TCP_DELACK_MIN */
	c->msl2_ns = 60ull * 1000000000;	/* TCP_TIMEWAIT_LEN */
	c->fin_timeout_ns = 60ull * 1000000000;	/* tcp_fin_timeout */
	c->retries2 = 15;
	c->syn_retries = 6;
	c->synack_retries = 5;
	c->keep_idle_ns = 7200ull * 1000000000;
	c->keep_intvl_ns = 75ull * 1000000000;
	c->keep_cnt = 9;
	c->challenge_ack_limit = 1000;
	c->syncookies = true;	/* net.ipv4.tcp_syncookies = 1 */
	c->eport_lo = 32768;			/* ip_local_port_range */
	c->eport_hi = 60999;
	c->mss_default = 536;
	c->init_cwnd = 10;
	c->quickack_max = 16;	/* TCP_MAX_QUICKACKS */
	c->sack = true;
	c->timestamps = true;
	c->predict = true;
	c->wscale = true;
	c->cc = &tq_cc_cubic;
}

int
tq_tcp_listen_table_add(struct tq_tcp_listen_table *lt,
		const struct tq_addr *addr, uint16_t port, uint32_t backlog,
		tq_accept_cb cb, void *arg)
{
	bool wild = !addr || addr->family == 0 || tq_addr_is_any(addr);
	struct tq_listen_conf *l;
	unsigned int i;

	if (port == 0 || !cb || backlog == 0)
		return -EINVAL;
	for (i = 0; i < lt->n; i++) {
		const struct tq_listen_conf *o = &lt->l[i];

		if (o->port != port) /* a free slot has port 0 */
			continue;
		/* Linux: a wildcard bind conflicts with every address of
		 * the port and an exact one with itself and the wildcard. */
		if (wild || o->addr.family == 0 ||
				tq_addr_equal(&o->addr, addr))
			return -EADDRINUSE;
	}
	for (i = 0; i < lt->n; i++)
		if (lt->l[i].port == 0)
			break;
	if (i == TQ_TCP_MAX_LISTEN)
		return -ENOSPC;
	l = &lt->l[i];
	memset(l, 0, sizeof(*l));
	if (!wild)
		l->addr = *addr;
	l->port = port;
	l->backlog = backlog;
	l->cb = cb;
	l->arg = arg;
	/* Last: a reader of n sees the slot filled. */
	if (i == lt->n)
		lt->n++;
	return 0;
}

int
tq_tcp_listen_table_find(const struct tq_tcp_listen_table *lt,
		const struct tq_addr *addr, uint16_t port)
{
	bool wild = !addr || addr->family == 0 || tq_addr_is_any(addr);
	unsigned int i;

	if (port == 0)
		return -ENOENT;
	for (i = 0; i < lt->n; i++) {
		const struct tq_listen_conf *o = &lt->l[i];

		if (o->port != port)
			continue;
		if (wild ? o->addr.family == 0 :
				tq_addr_equal(&o->addr, addr))
			return (int)i;
	}
	return -ENOENT;
}

void
tq_tcp_listen_table_del(struct tq_tcp_listen_table *lt, unsigned int idx)
{
	if (idx < lt->n)
		memset(&lt->l[idx], 0, sizeof(lt->l[idx]));
}

void
tq_tcp_listener_add(struct tq_shard *s, unsigned int idx)
{
	struct tq_tcp *t = tq_tcp(s);
	struct tq_listener *l = &t->listeners[idx];

	memset(l, 0, sizeof(*l));
	l->conf = &t->lt->l[idx];
	l->s = s;
	if (idx >= t->nl)
		t->nl = idx + 1;
}

/* Back to the start of the bucket tq_flows_next() last returned from:
 * a close there may have taken the entries after it. */
static void
flows_rewind(uint32_t *cursor)
{
	*cursor = (*cursor - 1) & ~(TQ_FLOWS_CHAIN_MAX - 1);
}

/*
 * What waits on the listener goes, with a RST where the peer thinks it
 * is connected: nobody will accept it now.  Closing changes the flow
 * table, and an app's closed() may close others: hence the two walks,
 * the second going over a bucket again after each close.
 */
void
tq_tcp_listener_del(struct tq_shard *s, unsigned int idx)
{
	struct tq_tcp *t = tq_tcp(s);
	struct tq_listener *l = &t->listeners[idx];
	struct tq_tcb *tp;
	uint32_t iter = 0;

	if (!l->conf)
		return;
	while ((tp = tq_flows_next(&t->flows, &iter)) != NULL) {
		if (tp->listener != l || (tp->flags & TF_DOOMED))
			continue;
		if (TQ_TCPS_SYNCHRONIZED(tp->state))
			tq_tcp_send_rst(tp);
		if (tp->state == TQ_TCPS_ESTABLISHED ||
				tp->state == TQ_TCPS_CLOSE_WAIT)
			TQ_INC(s, TCP_ESTAB_RESETS);
		tp->flags |= TF_DOOMED;
		tp->close_reason = (uint8_t)TQ_CLOSE_ABORTED;
	}
	iter = 0;
	while ((tp = tq_flows_next(&t->flows, &iter)) != NULL) {
		if (tp->listener == l && (tp->flags & TF_DOOMED)) {
			tq_tcb_close(tp, TQ_CLOSE_ABORTED);
			flows_rewind(&iter);
		}
	}
	memset(l, 0, sizeof(*l));
	while (t->nl && !t->listeners[t->nl - 1].conf)
		t->nl--;
}

int
tq_tcp_attach(struct tq_shard *s, const struct tq_tcp_conf *conf,
		const struct tq_tcp_listen_table *lt, const uint8_t *secret)
{
	static unsigned int seq;
	char name[RTE_MEMPOOL_NAMESIZE];
	struct tq_tcp *t;
	unsigned int i;

	t = rte_zmalloc_socket("tq_tcp", sizeof(*t), RTE_CACHE_LINE_SIZE,
			s->socket);
	if (!t)
		return -ENOMEM;
	t->conf = conf;
	t->lt = lt;
	t->secret = secret;
	/* Every entry is a TCB of the pool (TIME_WAIT ones too). */
	if (tq_flows_init(&t->flows, conf->max_conns, secret,
			(uint16_t)s->id, s->socket) < 0) {
		rte_free(t);
		return -ENOMEM;
	}
	/* Scoreboards for a quarter of the connections at once: only
	 * those with SACKed data outstanding hold one. */
	snprintf(name, sizeof(name), "tq_sb_%u_%u", s->id, seq);
	t->sbs = rte_mempool_create(name, conf->max_conns / 4 + 64,
			TQ_TCP_SB_MAX * 2 * sizeof(uint32_t), 0, 0, NULL, NULL,
			NULL, NULL, s->socket,
			MEMPOOL_F_SP_PUT | MEMPOOL_F_SC_GET);
	snprintf(name, sizeof(name), "tq_tcb_%u_%u", s->id, seq++);
	t->tcbs = rte_mempool_create(name, conf->max_conns,
			sizeof(struct tq_tcb), 0, 0, NULL, NULL, NULL, NULL,
			s->socket, MEMPOOL_F_SP_PUT | MEMPOOL_F_SC_GET);
	if (!t->tcbs || !t->sbs) {
		tq_flows_free(&t->flows);
		rte_mempool_free(t->tcbs);
		rte_mempool_free(t->sbs);
		rte_free(t);
		return -ENOMEM;
	}
	for (i = 0; i < lt->n; i++) {
		if (lt->l[i].port == 0)
			continue;
		t->listeners[i].conf = &lt->l[i];
		t->listeners[i].s = s;
		t->nl = i + 1;
	}
	t->next_eport = conf->eport_lo;
	s->tcp = t;
	tq_net(s)->tcp_input = tq_tcp_input;
	tq_net(s)->tcp_icmp = tq_tcp_icmp_input;
	return 0;
}

void
tq_tcp_detach(struct tq_shard *s)
{
	struct tq_tcp *t = tq_tcp(s);
	struct tq_tcb *tp;
	uint32_t b;

	if (!t)
		return;
	/* Free without callbacks: the engine is going away.  Each bucket
	 * emptied from its head, so no walk reads a TCB already put back. */
	for (b = 0; t->flows.b && b <= t->flows.mask; b++)
		while ((tp = t->flows.b[b]) != NULL) {
			tq_flows_del(&t->flows, tp);
			tp->flags |= TF_CLOSED_CB;
			tq_tcp_timers_cancel(tp);
			tq_mq_free(&tp->sndq);
			tq_mq_free(&tp->rcvq);
			tq_tcp_ooo_free(tp);
			tq_tcp_sb_free(tp);
			tq_tcp_rate_free(tp);
			rte_mempool_put(t->tcbs, tp);
		}
	t->last = NULL;
	tq_flows_free(&t->flows);
	while (t->tcb_stash_n)
		rte_mempool_put(t->tcbs, t->tcb_stash[--t->tcb_stash_n]);
	rte_mempool_free(t->tcbs);
	rte_mempool_free(t->sbs);
	if (s->net) {
		tq_net(s)->tcp_input = NULL;
		tq_net(s)->tcp_icmp = NULL;
	}
	rte_free(t);
	s->tcp = NULL;
}

struct tq_tcb *
tq_tcp_lookup_hash(struct tq_shard *s, const struct tq_tcp_key *k,
		uint32_t *sig)
{
	struct tq_tcp *t = tq_tcp(s);
	struct tq_tcb *tp;

	*sig = tq_flows_hash(&t->flows, k);
	for (tp = t->flows.b[*sig & t->flows.mask]; tp; tp = tp->hnext)
		if (tp->sig == *sig && tq_tcp_key_eq(&tp->key, k)) {
			t->last = tp;
			return tp;
		}
	return NULL;
}

struct tq_listener *
tq_tcp_find_listener(struct tq_shard *s, const struct tq_addr *dst,
		uint16_t port)
{
	struct tq_tcp *t = tq_tcp(s);
	struct tq_listener *wild = NULL;
	unsigned int i;

	for (i = 0; i < t->nl; i++) {
		struct tq_listener *l = &t->listeners[i];

		if (!l->conf || l->conf->port != port)
			continue;
		if (l->conf->addr.family == 0)
			wild = l;
		else if (tq_addr_equal(&l->conf->addr, dst))
			return l;
	}
	return wild;
}

void
tq_tcp_key_addrs(const struct tq_tcp_key *k, struct tq_addr *l,
		struct tq_addr *f)
{
	memset(l, 0, sizeof(*l));
	memset(f, 0, sizeof(*f));
	l->family = f->family = k->family;
	if (k->family == AF_INET) {
		memcpy(&l->v4, k->laddr, 4);
		memcpy(&f->v4, k->faddr, 4);
	} else {
		memcpy(l->v6, k->laddr, 16);
		memcpy(f->v6, k->faddr, 16);
	}
}

/* From a LAN round trip to a SYN retransmitted twice. */
const uint64_t tq_tcp_hs_bounds_ns[TQ_TCP_HS_BUCKETS] = {
	100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000,
	25000000, 50000000, 100000000, 250000000, 500000000, 1000000000,
	2500000000ull, 5000000000ull, 10000000000ull,
};

static void
tq_tcb_put(struct tq_tcp *t, struct tq_tcb *tp)
{
	if (t->tcb_stash_n < TQ_TCB_STASH)
		t->tcb_stash[t->tcb_stash_n++] = tp;
	else
		rte_mempool_put(t->tcbs, tp);
}

struct tq_tcb *
tq_tcb_new(struct tq_shard *s, const struct tq_tcp_key *k, uint32_t sig)
{
	struct tq_tcp *t = tq_tcp(s);
	const struct tq_tcp_conf *c = t->conf;
	struct tq_tcb *tp;
	void *obj;

	if (t->tcb_stash_n) {
		obj = t->tcb_stash[--t->tcb_stash_n];
	} else if (rte_mempool_get(t->tcbs, &obj) < 0) {
		TQ_INC(s, TCP_NO_TCB);
		return NULL;
	}
	tp = obj;
	memset(tp, 0, sizeof(*tp));
	tp->key = *k;
	tp->sig = sig;
	if (tq_flows_add(&t->flows, tp) < 0) {
		tq_tcb_put(t, tp);
		TQ_INC(s, TCP_NO_TCB);
		return NULL;
	}
	t->last = tp;
	tp->s = s;
	tp->born = s->now;
	tq_tcb_handles_init(tp, NULL, NULL);
	tp->state = TQ_TCPS_CLOSED;
	tp->sndbuf = c->sndbuf;
	tp->sndbuf_segs = tq_tcp_sndbuf_segs(c->sndbuf);
	tp->rcvbuf = c->rcvbuf;
	tp->rto = c->rto_init_ns;
	tp->adv_mss = 0;
	tp->mss = c->mss_default;
	if (c->nodelay)
		tp->flags |= TF_NODELAY;
	if (c->quickack)
		tp->flags |= TF_QUICKACK;
	if (c->keepalive)
		tp->flags |= TF_KEEPALIVE;
	tp->keep_idle = c->keep_idle_ns;
	tp->keep_intvl = c->keep_intvl_ns;
	tp->keep_cnt = (uint8_t)RTE_MIN(c->keep_cnt, 255u);
	tp->last_rcv = s->now;
	{
		/* One hash for both: the ISN's F() in the low half (as
		 * tq_tcp_isn), the timestamp offset in the high. */
		uint64_t h = tq_tcp_tuple_hash(t->secret, k);

		tp->isn_hash = (uint32_t)h;
		tp->ts_offset = (uint32_t)(h >> 32);
	}
	tq_tcp_timers_init(tp);
	t->nconns++;
	return tp;
}

static bool
counts_established(unsigned int st)
{
	/* Linux's CurrEstab: ESTABLISHED and CLOSE_WAIT. */
	return st == TQ_TCPS_ESTABLISHED || st == TQ_TCPS_CLOSE_WAIT;
}

/*
 * The worker that owns a flow.  Where the NIC spreads flows with RSS and
 * our symmetric key, it is the queue the NIC picks (Toeplitz over the
 * tuple as received, then the RETA), so nothing moves between workers.
 * Otherwise (af_packet's fanout, tap) a symmetric hash of the tuple
 * decides and frames that land elsewhere are handed over.
 */
unsigned int
tq_tcp_owner(const struct tq_shard *s, const struct tq_tcp_key *k)
{
	const struct tq_iface *ifc;
	uint32_t h, x = 0, w;
	unsigned int i;

	if (s->nb_workers <= 1)
		return s->id;
	ifc = ((const struct tq_net *)s->net)->ifc;
	if (ifc->reta_size) {
		union rte_thash_tuple t;
		uint32_t len;

		memset(&t, 0, sizeof(t));
		if (k->family == AF_INET) {
			uint32_t a, b;

			memcpy(&a, k->faddr, 4);
			memcpy(&b, k->laddr, 4);
			t.v4.src_addr = rte_be_to_cpu_32(a);
			t.v4.dst_addr = rte_be_to_cpu_32(b);
			t.v4.sport = rte_be_to_cpu_16(k->fport);
			t.v4.dport = rte_be_to_cpu_16(k->lport);
			len = RTE_THASH_V4_L4_LEN;
		} else {
			for (i = 0; i < 4; i++) {
				memcpy(&w, k->faddr + 4 * i, 4);
				((uint32_t *)t.v6.src_addr)[i] =
					rte_be_to_cpu_32(w);
				memcpy(&w, k->laddr + 4 * i, 4);
				((uint32_t *)t.v6.dst_addr)[i] =
					rte_be_to_cpu_32(w);
			}
			t.v6.sport = rte_be_to_cpu_16(k->fport);
			t.v6.dport = rte_be_to_cpu_16(k->lport);
			len = RTE_THASH_V6_L4_LEN;
		}
		h = rte_softrss((uint32_t *)&t, len, ifc->rss_key);
		return ifc->reta[h % ifc->reta_size] % s->nb_workers;
	}
	/* XOR of both ends: the same value whichever way a frame goes. */
	for (i = 0; i < 16; i += 4) {
		uint32_t a, b;

		memcpy(&a, k->laddr + i, 4);
		memcpy(&b, k->faddr + i, 4);
		x ^= a ^ b;
	}
	h = rte_hash_crc_4byte(x, (uint32_t)(k->lport ^ k->fport));
	return h % s->nb_workers;
}

/*
 * Everything that counts from the ISS starts there: RFC 6582 3.1's
 * recover, and the tail-loss-probe mark; left at 0 they compare wrong
 * for half of all ISNs.
 */
void
tq_tcp_init_send_seq(struct tq_tcb *tp)
{
	tp->snd_una = tp->snd_nxt = tp->snd_max = tp->iss;
	tp->recover = tp->iss;
	tp->tlp_high = tp->iss;
	tp->rexmit_nxt = tp->rexmit_end = tp->iss;
}

/* The out-of-order runs are linked through our mbuf field, not m->next. */
void
tq_tcp_ooo_free(struct tq_tcb *tp)
{
	struct rte_mbuf *m = tp->ooo, *n;

	while (m) {
		n = *tq_mbuf_link(m);
		rte_pktmbuf_free(m);
		m = n;
	}
	tp->ooo = NULL;
	tp->ooo_bytes = 0;
	tp->ooo_segs = 0;
}

void
tq_tcb_set_state(struct tq_tcb *tp, enum tq_tcp_state st)
{
	bool was = counts_established(tp->state);
	bool is = counts_established(st);

	if (was && !is)
		tp->s->ctr[TQ_CTR_TCP_CURR_ESTAB]--;
	else if (!was && is)
		tp->s->ctr[TQ_CTR_TCP_CURR_ESTAB]++;
	if (tp->state != st) {
		struct tq_tcp *t = tq_tcp(tp->s);

		if (tp->state != TQ_TCPS_CLOSED)
			t->nstate[tp->state]--;
		if (st != TQ_TCPS_CLOSED)
			t->nstate[st]++;
		/* Once per connection, on the state change: no clock read
		 * (now is the burst's) and nothing per packet. */
		if (st == TQ_TCPS_ESTABLISHED &&
				(tp->state == TQ_TCPS_SYN_SENT ||
				 tp->state == TQ_TCPS_SYN_RECEIVED)) {
			uint64_t d = tp->s->now - tp->born;
			unsigned int b = 0;

			while (b < TQ_TCP_HS_BUCKETS &&
					d > tq_tcp_hs_bounds_ns[b])
				b++;
			t->hs_count[b]++;
			t->hs_sum_ns += d;
		}
	}
	if (tp->state == TQ_TCPS_TIME_WAIT && st != TQ_TCPS_TIME_WAIT)
		tp->s->ctr[TQ_CTR_TCP_TW_COUNT]--;
	else if (tp->state != TQ_TCPS_TIME_WAIT && st == TQ_TCPS_TIME_WAIT)
		tp->s->ctr[TQ_CTR_TCP_TW_COUNT]++;
	tp->state = (uint8_t)st;
}

void
tq_tcp_accept_enqueue(struct tq_listener *l, struct tq_tcb *tp)
{
	tp->acc_next = NULL;
	if (l->acc_tail)
		l->acc_tail->acc_next = tp;
	else
		l->acc_head = tp;
	l->acc_tail = tp;
	l->acc_count++;
	tp->flags |= TF_ACCEPTQ;
}

void
tq_tcp_accept_remove(struct tq_listener *l, struct tq_tcb *tp)
{
	struct tq_tcb **pp = &l->acc_head, *prev = NULL;

	while (*pp && *pp != tp) {
		prev = *pp;
		pp = &(*pp)->acc_next;
	}
	if (!*pp)
		return;
	*pp = tp->acc_next;
	if (l->acc_tail == tp)
		l->acc_tail = prev;
	l->acc_count--;
	tp->flags &= ~TF_ACCEPTQ;
	tp->acc_next = NULL;
}

/*
 * A TIME_WAIT held only because the app has data left to read, when the
 * peer is plainly done with the 4-tuple (its RST, or its new SYN): like
 * Linux, where the socket the app holds is not the TIME_WAIT entry, the
 * data stays the app's and the 4-tuple goes free.  The TCB leaves the
 * table but lives until the app closes it or the read grace ends.
 */
void
tq_tcb_unhash(struct tq_tcb *tp)
{
	struct tq_tcp *t = tq_tcp(tp->s);

	if (tp->flags & TF_UNHASHED)
		return;
	tq_flows_del(&t->flows, tp);
	if (t->last == tp)
		t->last = NULL;
	tp->flags |= TF_UNHASHED;
	TQ_INC(tp->s, TCP_TW_APP_FREED);
}

/*
 * The end of a TCB: the app hears closed() once, the flow leaves the
 * table, buffers and timers go, the TCB returns to the pool.
 */
void
tq_tcb_close(struct tq_tcb *tp, enum tq_close_reason why)
{
	struct tq_shard *s = tp->s;
	struct tq_tcp *t = tq_tcp(s);

	if (tp->busy) {
		/* Inside input or a callback that still holds tp: finish
		 * the close when it returns. */
		if (!(tp->flags & TF_DOOMED)) {
			tp->flags |= TF_DOOMED;
			tp->close_reason = (uint8_t)why;
		}
		tq_tcp_timers_cancel(tp);
		return;
	}
	if (tp->listener) {
		if (tp->flags & TF_ACCEPTQ)
			tq_tcp_accept_remove(tp->listener, tp);
		else if (tp->state == TQ_TCPS_SYN_RECEIVED)
			tp->listener->syn_count--;
		tp->listener = NULL;
	}
	tq_tcb_set_state(tp, TQ_TCPS_CLOSED);
	tq_tcp_timers_cancel(tp);
	if (tp->st.ops && !(tp->flags & TF_CLOSED_CB)) {
		tp->flags |= TF_CLOSED_CB;
		/* The neutral API's "peer abandoned its side" comes first,
		 * so an app that handles codes needs no TCP case. */
		if (why == TQ_CLOSE_RESET && !(tp->flags & TF_APP_GONE))
			tq_stream_cb_peer_reset(&tp->st, 0);
		tq_stream_cb_closed(&tp->st, why);
	}
	if (!(tp->flags & TF_UNHASHED))
		tq_flows_del(&t->flows, tp);
	if (t->last == tp)
		t->last = NULL;
	tq_mq_free(&tp->sndq);
	tq_mq_free(&tp->rcvq);
	tq_tcp_ooo_free(tp);
	tq_tcp_sb_free(tp);
	tq_tcp_rate_free(tp);
	tq_tcb_rx_sync(tp);
	t->nconns--;
	tq_tcb_put(t, tp);
}

/* ---- mbuf queue ---- */

void
tq_mq_drop_run(struct tq_shard *s, struct tq_mq *q, uint32_t n)
{
	/* Empty segments at the head go too (a trimmed chain can leave
	 * some), so a reader never finds a head with nothing in it. */
	while (q->head && (n || q->head->data_len == q->off)) {
		struct rte_mbuf *m = q->head;
		uint32_t avail = m->data_len - q->off;

		if (n < avail) {
			q->off += n;
			q->bytes -= n;
			return;
		}
		n -= avail;
		q->bytes -= avail;
		q->head = m->next;
		if (!q->head)
			q->tail = NULL;
		m->next = NULL;
		m->nb_segs = 1;
		tq_shard_mbuf_free_seg(s, m);
		q->nsegs--;
		q->off = 0;
	}
}

void
tq_mq_free_run(struct tq_mq *q)
{
	while (q->head) {
		struct rte_mbuf *m = q->head;

		q->head = m->next;
		m->next = NULL;
		m->nb_segs = 1;
		rte_pktmbuf_free_seg(m);
	}
	memset(q, 0, sizeof(*q));
}

/*
 * The engine is stopping: end every connection the way a host going
 * down in order does (Linux on close of every socket): FIN after the
 * queued data, or RST where received data was never read.
 */
void
tq_tcp_shutdown_all(struct tq_shard *s)
{
	struct tq_tcp *t = tq_tcp(s);
	struct tq_tcb *tp;
	uint32_t iter = 0;

	if (!t)
		return;
	while ((tp = tq_flows_next(&t->flows, &iter)) != NULL) {
		if (tp->state == TQ_TCPS_TIME_WAIT ||
				(tp->flags & TF_DOOMED))
			continue;
		tp->busy++;
		if (tp->state == TQ_TCPS_SYN_SENT ||
				tp->state == TQ_TCPS_SYN_RECEIVED)
			tq_stream_abort(tq_tcb_stream(tp), 0);
		else
			/* close itself resets when data is left unread */
			tq_stream_close(tq_tcb_stream(tp));
		/* Freed after the walk: closed() may close others. */
		tp->busy--;
	}
	iter = 0;
	while ((tp = tq_flows_next(&t->flows, &iter)) != NULL) {
		if (tp->flags & TF_DOOMED) {
			tq_tcb_close(tp, (enum tq_close_reason)tp->close_reason);
			flows_rewind(&iter);
		}
	}
}

unsigned int
tq_tcp_conns_walk(struct tq_shard *s, const struct tq_tcp_conn_filter *f,
		uint32_t *cursor, bool *done, struct tq_tcp_conn_row *out,
		unsigned int max, unsigned int budget)
{
	struct tq_tcp *t = tq_tcp(s);
	unsigned int n = 0;

	*done = true;
	if (!t)
		return 0;
	while (n < max) {
		const struct tq_tcb *tp;
		struct tq_tcp_conn_row *r;

		if (budget-- == 0) {
			*done = false;
			break;
		}
		tp = tq_flows_next(&t->flows, cursor);
		if (!tp)
			return n;
		if (f->state >= 0 && tp->state != f->state)
			continue;
		if (f->port && rte_be_to_cpu_16(tp->key.lport) != f->port &&
				rte_be_to_cpu_16(tp->key.fport) != f->port)
			continue;
		r = &out[n++];
		tq_tcp_key_addrs(&tp->key, &r->la, &r->fa);
		r->lport = rte_be_to_cpu_16(tp->key.lport);
		r->fport = rte_be_to_cpu_16(tp->key.fport);
		r->state = tp->state;
		r->mss = tp->mss;
		r->rtt_us = (uint32_t)(tp->srtt / 1000);
		r->rttvar_us = (uint32_t)(tp->rttvar / 1000);
		r->rto_ms = (uint32_t)(tp->rto / 1000000);
		r->cwnd = tp->cc.cwnd;
		r->ssthresh = tp->cc.ssthresh;
		r->inflight = tp->snd_max - tp->snd_una;
		r->sndq = tp->sndq.bytes;
		r->rcvq = tp->rcvq.bytes;
		r->retrans = tp->retrans;
		r->cc = tp->cc.ops ? tp->cc.ops->name : "-";
	}
	/* Full page: the walk goes on from the cursor next time. */
	*done = false;
	return n;
}
