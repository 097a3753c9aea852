/* SPDX-License-Identifier: BSD-3-Clause */
#include "tq_tcptest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_tcp.h>

#include "core/tq_mbuf.h"

/* ================================================================== */
/* A host with TCP                                                     */

/* Hosts started and not yet finished, for tq_tcptest_teardown(). */
#define MAX_LIVE 8
static struct tq_tcptest_host *live[MAX_LIVE];

void
tq_tcptest_prepare(struct tq_tcptest_host *t)
{
	unsigned int i;

	memset(t, 0, sizeof(*t));
	tq_tcp_conf_defaults(&t->conf);
	/* Small tables: EAL runs in 128 MB without hugepages. */
	t->conf.max_conns = 256;
	tq_net_conf_defaults(&t->net);
	t->net.frag_entries = 64;
	/* Entries we teach stay REACHABLE: no ARP/NDP mid-conversation. */
	t->net.neigh_reachable_ns = UINT64_MAX / 4;
	t->net.neigh_gc_ns = UINT64_MAX / 4;
	t->net.garp = false;
	for (i = 0; i < sizeof(t->secret); i++)
		t->secret[i] = (uint8_t)(0x5a ^ (i * 37));
}

int
tq_tcptest_listen(struct tq_tcptest_host *t, const char *addr, uint16_t port,
		uint32_t backlog, tq_accept_cb cb, void *arg)
{
	struct tq_addr a;

	if (addr) {
		a = tq_test_addr(addr);
		return tq_tcp_listen_table_add(&t->lt, &a, port, backlog, cb,
				arg);
	}
	return tq_tcp_listen_table_add(&t->lt, NULL, port, backlog, cb, arg);
}

int
tq_tcptest_start(struct tq_tcptest_host *t, uint8_t id,
		const char *const *addrs)
{
	struct tq_test_host_opts o = { .conf = &t->net };
	unsigned int i;
	int rc;

	rc = tq_test_host_init_opts(&t->h, id, addrs, &o);
	if (rc < 0)
		return rc;
	/* The out-of-order queue links mbufs through a dynamic field. */
	rc = tq_mbuf_dyn_register();
	if (rc < 0)
		return rc;
	rc = tq_tcp_attach(t->h.s, &t->conf, &t->lt, t->secret);
	if (rc < 0) {
		tq_test_host_fini(&t->h);
		return rc;
	}
	t->started = true;
	for (i = 0; i < MAX_LIVE; i++) {
		if (!live[i]) {
			live[i] = t;
			break;
		}
	}
	return 0;
}

void
tq_tcptest_fini(struct tq_tcptest_host *t)
{
	unsigned int i;

	for (i = 0; i < MAX_LIVE; i++)
		if (live[i] == t)
			live[i] = NULL;
	if (t->started && t->h.s)
		tq_tcp_detach(t->h.s);
	t->started = false;
	tq_test_host_fini(&t->h);
}

int
tq_tcptest_teardown(void **state)
{
	unsigned int i;

	for (i = 0; i < MAX_LIVE; i++)
		if (live[i])
			tq_tcptest_fini(live[i]);
	return 0;
}

void
tq_tcptest_check_pool(unsigned int avail)
{
	unsigned int now = tq_test_pool_avail();

	if (now != avail)
		fail_msg("%d mbuf(s) leaked (pool had %u free, now %u)",
				(int)avail - (int)now, avail, now);
}

struct tq_tcp *
tq_tcptest_tcp(struct tq_tcptest_host *t)
{
	return tq_tcp(t->h.s);
}

unsigned int
tq_tcptest_nconns(struct tq_tcptest_host *t)
{
	return tq_tcp(t->h.s)->nconns;
}

unsigned int
tq_tcptest_tcbs_free(struct tq_tcptest_host *t)
{
	return tq_tcp_tcbs_free(tq_tcp(t->h.s));
}

struct tq_tcb *
tq_tcptest_find(struct tq_tcptest_host *t, const char *laddr, uint16_t lport,
		const char *faddr, uint16_t fport)
{
	struct tq_addr l = tq_test_addr(laddr), f = tq_test_addr(faddr);
	struct tq_tcp_key k;
	uint32_t sig;

	memset(&k, 0, sizeof(k));
	k.family = l.family;
	if (l.family == AF_INET) {
		memcpy(k.laddr, &l.v4, 4);
		memcpy(k.faddr, &f.v4, 4);
	} else {
		memcpy(k.laddr, l.v6, 16);
		memcpy(k.faddr, f.v6, 16);
	}
	k.lport = rte_cpu_to_be_16(lport);
	k.fport = rte_cpu_to_be_16(fport);
	return tq_tcp_lookup(t->h.s, &k, &sig);
}

uint64_t
tq_tcptest_next_timer(struct tq_tcptest_host *t)
{
	const struct tq_timer_wheel *w = t->h.s->timers;
	uint64_t best = UINT64_MAX;
	unsigned int i;

	if (w->count == 0)
		return best;
	for (i = 0; i < TQ_WHEEL_ALL_SLOTS; i++) {
		const struct tq_timer *tm;

		for (tm = w->slot[i]; tm; tm = tm->next)
			if (tm->expire < best)
				best = tm->expire;
	}
	return best;
}

static void
learn_addr(struct tq_tcptest_host *t, const struct tq_addr *a,
		const struct rte_ether_addr *mac)
{
	tq_neigh_update(t->h.s, a, mac, true, false);
}

void
tq_tcptest_learn(struct tq_tcptest_host *t, const char *addr,
		const struct rte_ether_addr *mac)
{
	struct tq_addr a = tq_test_addr(addr);

	learn_addr(t, &a, mac);
}

uint64_t
tq_tcptest_ctr(struct tq_tcptest_host *t, unsigned int id)
{
	return t->h.s->ctr[id];
}

/* ================================================================== */
/* Segments                                                            */

uint8_t
tq_tcptest_flags(const char *s)
{
	uint8_t f = 0;

	for (; s && *s; s++) {
		switch (*s) {
		case 'S': f |= TQ_TH_SYN; break;
		case 'F': f |= TQ_TH_FIN; break;
		case 'R': f |= TQ_TH_RST; break;
		case 'P': f |= TQ_TH_PSH; break;
		case '.': f |= TQ_TH_ACK; break;
		case 'U': f |= TQ_TH_URG; break;
		default:
			fail_msg("bad flags string \"%s\"", s);
		}
	}
	return f;
}

const char *
tq_tcptest_flags_str(uint8_t f, char *buf)
{
	char *p = buf;

	if (f & TQ_TH_SYN)
		*p++ = 'S';
	if (f & TQ_TH_FIN)
		*p++ = 'F';
	if (f & TQ_TH_RST)
		*p++ = 'R';
	if (f & TQ_TH_PSH)
		*p++ = 'P';
	if (f & TQ_TH_URG)
		*p++ = 'U';
	if (f & TQ_TH_ACK)
		*p++ = '.';
	*p = 0;
	return buf;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
		((uint32_t)p[2] << 8) | p[3];
}

static unsigned int
build_opts(const struct tq_tcptest_seg *sg, uint8_t *o)
{
	unsigned int n = 0, k;

	if (sg->raw_opts) {
		assert_true(sg->raw_optlen % 4 == 0 && sg->raw_optlen <= 40);
		memcpy(o, sg->raw_opts, sg->raw_optlen);
		return sg->raw_optlen;
	}
	if (sg->has_mss) {
		o[n++] = 2;
		o[n++] = 4;
		o[n++] = (uint8_t)(sg->mss >> 8);
		o[n++] = (uint8_t)sg->mss;
	}
	if (sg->sack_perm && sg->has_ts) {
		o[n++] = 4;
		o[n++] = 2;
	} else if (sg->sack_perm) {
		o[n++] = 1;
		o[n++] = 1;
		o[n++] = 4;
		o[n++] = 2;
	}
	if (sg->has_ts) {
		if (!sg->sack_perm) {
			o[n++] = 1;
			o[n++] = 1;
		}
		o[n++] = 8;
		o[n++] = 10;
		put32(&o[n], sg->tsval);
		put32(&o[n + 4], sg->tsecr);
		n += 8;
	}
	if (sg->has_ws) {
		o[n++] = 1;
		o[n++] = 3;
		o[n++] = 3;
		o[n++] = sg->ws;
	}
	if (sg->nsack) {
		o[n++] = 1;
		o[n++] = 1;
		o[n++] = 5;
		o[n++] = (uint8_t)(2 + 8 * sg->nsack);
		for (k = 0; k < sg->nsack; k++) {
			put32(&o[n], sg->sack[k][0]);
			put32(&o[n + 4], sg->sack[k][1]);
			n += 8;
		}
	}
	assert_true(n <= 40 && n % 4 == 0);
	return n;
}

uint32_t
tq_tcptest_build(uint8_t *buf, const uint8_t *dmac, const char *src,
		const char *dst, const struct tq_tcptest_seg *sg)
{
	uint8_t l4[2048];
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)l4;
	struct tq_addr s = tq_test_addr(src), d = tq_test_addr(dst);
	unsigned int olen;
	uint32_t l4len;
	uint16_t c;

	memset(th, 0, sizeof(*th));
	olen = build_opts(sg, l4 + sizeof(*th));
	l4len = sizeof(*th) + olen + sg->len;
	assert_true(l4len <= sizeof(l4));
	th->src_port = rte_cpu_to_be_16(sg->sport);
	th->dst_port = rte_cpu_to_be_16(sg->dport);
	th->sent_seq = rte_cpu_to_be_32(sg->seq);
	th->recv_ack = rte_cpu_to_be_32(sg->ack);
	th->data_off = (uint8_t)(((sizeof(*th) + olen) / 4) << 4);
	th->tcp_flags = sg->flags;
	th->rx_win = rte_cpu_to_be_16(sg->win);
	if (sg->len)
		memcpy(l4 + sizeof(*th) + olen, sg->payload, sg->len);
	c = (uint16_t)~tq_test_cksum(l4, l4len,
			tq_test_phdr_sum(&s, &d, IPPROTO_TCP, l4len));
	th->cksum = c;
	if (s.family == AF_INET)
		return tq_test_build_ip4(buf, dmac, src, dst, IPPROTO_TCP,
				NULL, 0, l4, l4len);
	return tq_test_build_ip6(buf, dmac, src, dst, IPPROTO_TCP, 64, l4,
			l4len);
}

static void
parse_opts(const uint8_t *o, unsigned int len, struct tq_tcptest_seg *sg)
{
	unsigned int i = 0;

	while (i < len) {
		uint8_t kind = o[i], ol;

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		assert_true(i + 1 < len);
		ol = o[i + 1];
		assert_true(ol >= 2 && i + ol <= len);
		if (sg->nkinds < sizeof(sg->kinds))
			sg->kinds[sg->nkinds++] = kind;
		switch (kind) {
		case 2:
			assert_int_equal(ol, 4);
			sg->has_mss = true;
			sg->mss = (uint16_t)((o[i + 2] << 8) | o[i + 3]);
			break;
		case 3:
			assert_int_equal(ol, 3);
			sg->has_ws = true;
			sg->ws = o[i + 2];
			break;
		case 4:
			assert_int_equal(ol, 2);
			sg->sack_perm = true;
			break;
		case 5:
			assert_true(ol >= 10 && (ol - 2) % 8 == 0);
			for (unsigned int k = 0; k < (ol - 2u) / 8u && k < 4;
					k++) {
				sg->sack[k][0] = get32(&o[i + 2 + 8 * k]);
				sg->sack[k][1] = get32(&o[i + 6 + 8 * k]);
				sg->nsack++;
			}
			break;
		case 8:
			assert_int_equal(ol, 10);
			sg->has_ts = true;
			sg->tsval = get32(&o[i + 2]);
			sg->tsecr = get32(&o[i + 6]);
			break;
		default:
			break;
		}
		i += ol;
	}
}

int
tq_tcptest_parse(const uint8_t *f, uint32_t len, struct tq_tcptest_seg *sg)
{
	const struct rte_tcp_hdr *th;
	const uint8_t *l4;
	uint32_t l4len, hlen;
	uint16_t type;

	memset(sg, 0, sizeof(*sg));
	if (len < 14)
		return -1;
	type = (uint16_t)((f[12] << 8) | f[13]);
	if (type == RTE_ETHER_TYPE_IPV4) {
		const struct rte_ipv4_hdr *ip = (const void *)(f + 14);
		uint32_t ihl, tot;

		assert_true(len >= 14 + 20);
		ihl = (ip->version_ihl & 0xf) * 4u;
		tot = rte_be_to_cpu_16(ip->total_length);
		assert_true(tot <= len - 14 && ihl >= 20 && tot >= ihl);
		if (ip->next_proto_id != IPPROTO_TCP)
			return -1;
		assert_int_equal(tq_test_cksum(ip, ihl, 0), 0xffff);
		sg->src = tq_addr_v4(ip->src_addr);
		sg->dst = tq_addr_v4(ip->dst_addr);
		l4 = (const uint8_t *)ip + ihl;
		l4len = tot - ihl;
	} else if (type == RTE_ETHER_TYPE_IPV6) {
		const struct rte_ipv6_hdr *ip = (const void *)(f + 14);

		assert_true(len >= 14 + 40);
		if (ip->proto != IPPROTO_TCP)
			return -1;
		sg->src.family = sg->dst.family = AF_INET6;
		memcpy(sg->src.v6, ip->src_addr, 16);
		memcpy(sg->dst.v6, ip->dst_addr, 16);
		l4 = (const uint8_t *)(ip + 1);
		l4len = rte_be_to_cpu_16(ip->payload_len);
		assert_true(l4len <= len - 14 - 40);
	} else {
		return -1;
	}
	assert_true(l4len >= sizeof(*th));
	th = (const void *)l4;
	hlen = (th->data_off >> 4) * 4u;
	assert_true(hlen >= sizeof(*th) && hlen <= l4len);
	if (!tq_test_l4_cksum_ok(&sg->src, &sg->dst, IPPROTO_TCP, l4, l4len))
		fail_msg("TCP checksum of a segment the host sent is wrong");
	sg->sport = rte_be_to_cpu_16(th->src_port);
	sg->dport = rte_be_to_cpu_16(th->dst_port);
	sg->seq = rte_be_to_cpu_32(th->sent_seq);
	sg->ack = rte_be_to_cpu_32(th->recv_ack);
	sg->flags = th->tcp_flags;
	sg->win = rte_be_to_cpu_16(th->rx_win);
	sg->optlen = (uint8_t)(hlen - sizeof(*th));
	parse_opts(l4 + sizeof(*th), hlen - sizeof(*th), sg);
	sg->payload = l4 + hlen;
	sg->len = l4len - hlen;
	return 0;
}

void
tq_tcptest_pattern_fill(uint8_t *buf, uint64_t off, uint32_t n)
{
	uint32_t i = 0;

	/* Whole words where aligned: 8 bytes per mix. */
	while (i < n && ((off + i) & 7))
		buf[i] = tq_tcptest_pattern(off + i), i++;
	while (i + 8 <= n) {
		uint64_t x = ((off + i) >> 3) * 0x9e3779b97f4a7c15ull +
			0x1234567ull;

		x ^= x >> 31;
		x *= 0xbf58476d1ce4e5b9ull;
		x ^= x >> 29;
		for (unsigned int k = 0; k < 8; k++)
			buf[i + k] = (uint8_t)(x >> (8 * k));
		i += 8;
	}
	while (i < n)
		buf[i] = tq_tcptest_pattern(off + i), i++;
}

int64_t
tq_tcptest_pattern_check(const uint8_t *buf, uint64_t off, uint32_t n)
{
	uint8_t tmp[4096];
	uint32_t done = 0;

	while (done < n) {
		uint32_t k = RTE_MIN(n - done, (uint32_t)sizeof(tmp));

		tq_tcptest_pattern_fill(tmp, off + done, k);
		if (memcmp(tmp, buf + done, k) != 0) {
			for (uint32_t i = 0; i < k; i++)
				if (tmp[i] != buf[done + i])
					return (int64_t)(done + i);
		}
		done += k;
	}
	return -1;
}

/* ================================================================== */
/* The fake peer                                                       */

static void
cb_connected(struct tq_stream *st, void *ctx)
{
	struct tq_tcptest_conn *c = ctx;

	c->n_connected++;
	c->st = st;
}

static void
cb_readable(struct tq_stream *st, void *ctx)
{
	struct tq_tcptest_conn *c = ctx;

	c->n_readable++;
	if (c->read_on_readable && c->rbuf) {
		int n = tq_stream_read(st, c->rbuf + c->rlen,
				c->rcap - c->rlen);

		if (n > 0)
			c->rlen += (uint32_t)n;
	}
}

static void
cb_writable(struct tq_stream *st, void *ctx)
{
	struct tq_tcptest_conn *c = ctx;

	c->n_writable++;
}

static void
cb_acked(struct tq_stream *st, uint64_t total, void *ctx)
{
	struct tq_tcptest_conn *c = ctx;

	c->n_acked++;
	c->acked_total = total;
}

static void
cb_closed(struct tq_stream *st, enum tq_close_reason why, void *ctx)
{
	struct tq_tcptest_conn *c = ctx;

	c->n_closed++;
	c->why = why;
	c->st = NULL;
}

const struct tq_stream_ops tq_tcptest_ops = {
	.connected = cb_connected,
	.readable = cb_readable,
	.writable = cb_writable,
	.acked = cb_acked,
	.closed = cb_closed,
};

void
tq_tcptest_accept_cb(struct tq_shard *s, struct tq_listener *l, void *arg)
{
	struct tq_tcptest_conn *c = arg;

	c->n_accept++;
	c->l = l;
	if (!c->no_accept) {
		c->st = tq_tcp_accept(l, &tq_tcptest_ops, c);
		assert_non_null(c->st);
	}
}

void
tt_conn_init(struct tq_tcptest_conn *c, struct tq_tcptest_host *t,
		const char *peer, uint16_t pport, const char *host,
		uint16_t hport)
{
	memset(c, 0, sizeof(*c));
	c->t = t;
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	snprintf(c->host, sizeof(c->host), "%s", host);
	c->pport = pport;
	c->hport = hport;
	c->piss = 1000000;
	c->mss = 1460;
	c->ws_on = true;
	c->ws = 7;
	c->sack_perm = true;
	c->ts = true;
	c->syn_win = 65535;
	c->win = 1024;
	c->ts_base = 700000;
	c->t0 = t->h.now;
}

uint64_t
tt_now(const struct tq_tcptest_conn *c)
{
	return c->t->h.now - c->t0;
}

void
tt_advance(struct tq_tcptest_conn *c, uint64_t ns)
{
	tq_test_host_poll(&c->t->h, ns);
}

void
tt_mark(struct tq_tcptest_conn *c)
{
	c->t0 = c->t->h.now;
}

static void
seg_desc(const struct tq_tcptest_seg *sg, char *buf, size_t n)
{
	char fb[8];

	snprintf(buf, n, "%s seq %u ack %u len %u win %u",
			tq_tcptest_flags_str(sg->flags, fb), sg->rseq,
			sg->rack, sg->len, sg->win);
}

void
tt_none(struct tq_tcptest_conn *c)
{
	struct tq_tcptest_seg sg;
	char d[96];

	if (tt_out(c, &sg)) {
		seg_desc(&sg, d, sizeof(d));
		fail_msg("at %.3f ms the host sent an unexpected segment: %s",
				tt_now(c) / 1e6, d);
	}
}

void
tt_at(struct tq_tcptest_conn *c, uint64_t t)
{
	uint64_t abs = c->t0 + t, now = c->t->h.now;

	if (abs < now)
		fail_msg("script time %.3f ms is in the past (now %.3f ms)",
				t / 1e6, (now - c->t0) / 1e6);
	if (abs > now + 1) {
		tt_advance(c, abs - 1 - now);
		tt_none(c);
		now = abs - 1;
	}
	tt_advance(c, abs - now);
}

void
tt_in_seg(struct tq_tcptest_conn *c, struct tq_tcptest_seg *sg)
{
	uint8_t f[2048];
	uint32_t len;

	sg->sport = c->pport;
	sg->dport = c->hport;
	len = tq_tcptest_build(f, c->t->h.ifc.mac.addr_bytes, c->peer,
			c->host, sg);
	tq_test_wire_send(&c->t->h, f, len);
	tt_advance(c, 0);
}

static void
in_common(struct tq_tcptest_conn *c, const char *flags, uint32_t seq,
		uint32_t ack, const void *data, uint32_t len, int32_t win)
{
	struct tq_tcptest_seg sg;
	uint8_t pl[2048];
	unsigned int k;

	memset(&sg, 0, sizeof(sg));
	sg.flags = tq_tcptest_flags(flags);
	sg.seq = c->piss + seq;
	sg.ack = (sg.flags & TQ_TH_ACK) ? c->hiss + ack : 0;
	if (sg.flags & TQ_TH_SYN) {
		sg.win = c->syn_win;
		sg.has_mss = c->mss != 0;
		sg.mss = c->mss;
		sg.has_ws = c->ws_on;
		sg.ws = c->ws;
		sg.sack_perm = c->sack_perm;
	} else {
		sg.win = c->win;
	}
	if (win >= 0)
		sg.win = (uint16_t)win;
	if (c->ts) {
		sg.has_ts = true;
		sg.tsval = (uint32_t)(c->t->h.now / 1000000) + c->ts_base;
		sg.tsecr = (sg.flags & TQ_TH_ACK) ? c->host_tsval : 0;
		c->peer_tsval = sg.tsval;
	}
	if (c->nsack) {
		sg.nsack = c->nsack;
		for (k = 0; k < c->nsack; k++) {
			sg.sack[k][0] = c->hiss + c->sack[k][0];
			sg.sack[k][1] = c->hiss + c->sack[k][1];
		}
		c->nsack = 0;
	}
	assert_true(len <= sizeof(pl));
	if (len && !data) {
		assert_true(seq >= 1);
		tq_tcptest_pattern_fill(pl, seq - 1, len);
		data = pl;
	}
	sg.payload = data;
	sg.len = len;
	tt_in_seg(c, &sg);
}

void
tt_in(struct tq_tcptest_conn *c, const char *flags, uint32_t seq,
		uint32_t ack, uint32_t len)
{
	in_common(c, flags, seq, ack, NULL, len, -1);
}

void
tt_in_data(struct tq_tcptest_conn *c, const char *flags, uint32_t seq,
		uint32_t ack, const void *data, uint32_t len)
{
	in_common(c, flags, seq, ack, data, len, -1);
}

void
tt_in_win(struct tq_tcptest_conn *c, const char *flags, uint32_t seq,
		uint32_t ack, uint32_t len, uint16_t win)
{
	in_common(c, flags, seq, ack, NULL, len, win);
}

bool
tt_out(struct tq_tcptest_conn *c, struct tq_tcptest_seg *sg)
{
	struct tq_addr p = tq_test_addr(c->peer), h = tq_test_addr(c->host);
	uint32_t len;

	len = tq_test_wire_recv_flat(&c->t->h, c->buf, sizeof(c->buf));
	if (len == 0)
		return false;
	if (tq_tcptest_parse(c->buf, len, sg) < 0)
		fail_msg("the host sent a frame that is not TCP (%u bytes, "
				"type %02x%02x)", len, c->buf[12], c->buf[13]);
	assert_true(tq_addr_equal(&sg->src, &h));
	assert_true(tq_addr_equal(&sg->dst, &p));
	assert_int_equal(sg->dport, c->pport);
	if (c->hport == 0 && (sg->flags & TQ_TH_SYN))
		c->hport = sg->sport;
	assert_int_equal(sg->sport, c->hport);
	if ((sg->flags & TQ_TH_SYN) && !c->hiss_known) {
		c->hiss = sg->seq;
		c->hiss_known = true;
	}
	sg->rseq = sg->seq - c->hiss;
	sg->rack = sg->ack - c->piss;
	if (sg->has_ts)
		c->host_tsval = sg->tsval;
	return true;
}

struct tq_tcptest_seg
tt_expect(struct tq_tcptest_conn *c, const char *flags, uint32_t seq,
		uint32_t ack, uint32_t len)
{
	struct tq_tcptest_seg sg;
	uint8_t want = tq_tcptest_flags(flags);
	char d[96];

	if (!tt_out(c, &sg))
		fail_msg("at %.3f ms: expected %s seq %u ack %u len %u "
				"from the host, got nothing", tt_now(c) / 1e6,
				flags, seq, ack, len);
	seg_desc(&sg, d, sizeof(d));
	if (sg.flags != want || sg.rseq != seq || sg.len != len ||
			((want & TQ_TH_ACK) && sg.rack != ack))
		fail_msg("at %.3f ms: expected %s seq %u ack %u len %u, got %s",
				tt_now(c) / 1e6, flags, seq, ack, len, d);
	if (len && tq_tcptest_pattern_check(sg.payload, seq - 1, len) >= 0)
		fail_msg("at %.3f ms: payload of %s is not the stream's bytes",
				tt_now(c) / 1e6, d);
	if (c->ts && !(want & TQ_TH_RST || (want & TQ_TH_SYN &&
			!(want & TQ_TH_ACK)))) {
		if (!sg.has_ts)
			fail_msg("at %.3f ms: %s carries no timestamps",
					tt_now(c) / 1e6, d);
		if (sg.tsecr != c->peer_tsval)
			fail_msg("at %.3f ms: %s echoes TSecr %u, the peer's "
					"last TSval is %u", tt_now(c) / 1e6, d,
					sg.tsecr, c->peer_tsval);
	}
	return sg;
}

struct tq_tcptest_seg
tt_expect_at(struct tq_tcptest_conn *c, uint64_t t, const char *flags,
		uint32_t seq, uint32_t ack, uint32_t len)
{
	tt_at(c, t);
	return tt_expect(c, flags, seq, ack, len);
}

void
tt_run(struct tq_tcptest_conn *c, const struct tt_step *steps, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		const struct tt_step *s = &steps[i];
		uint64_t at = (uint64_t)(s->at_ms * 1e6 + 0.5);
		uint64_t now = tt_now(c);

		if (at < now)
			fail_msg("step %u: time %.3f ms is in the past", i,
					s->at_ms);
		if (s->dir == '<') {
			if (at > now)
				tt_advance(c, at - now);
			tt_none(c);
			in_common(c, s->flags, s->seq, s->ack, NULL, s->len,
					s->win);
		} else if (s->dir == '>') {
			struct tq_tcptest_seg sg;

			if (at > now)
				tt_at(c, at);
			else
				tt_advance(c, 0); /* flush what is queued */
			sg = tt_expect(c, s->flags, s->seq, s->ack, s->len);
			if (s->win >= 0 && sg.win != (uint32_t)s->win)
				fail_msg("step %u: window %u, expected %d", i,
						sg.win, s->win);
		} else {
			fail_msg("step %u: bad direction '%c'", i, s->dir);
		}
	}
}

uint32_t
tt_pick_pport(struct tq_tcptest_conn *c, bool upper)
{
	struct tq_addr l = tq_test_addr(c->host), f = tq_test_addr(c->peer);
	struct tq_tcp *tcp = tq_tcp(c->t->h.s);
	struct tq_tcp_key k;
	unsigned int tries;

	memset(&k, 0, sizeof(k));
	k.family = l.family;
	if (l.family == AF_INET) {
		memcpy(k.laddr, &l.v4, 4);
		memcpy(k.faddr, &f.v4, 4);
	} else {
		memcpy(k.laddr, l.v6, 16);
		memcpy(k.faddr, f.v6, 16);
	}
	k.lport = rte_cpu_to_be_16(c->hport ? c->hport : tcp->next_eport);
	for (tries = 0; tries < 1000; tries++, c->pport++) {
		uint32_t iss;

		k.fport = rte_cpu_to_be_16(c->pport);
		iss = tq_tcp_isn(c->t->secret, &k, c->t->h.now);
		if ((iss >> 31) == (uint32_t)upper &&
				((iss + (16u << 20)) >> 31) == (uint32_t)upper)
			return iss;
	}
	fail_msg("no port gives an ISN in the %s half", upper ? "upper" :
			"lower");
	return 0;
}

struct tq_tcb *
tt_tcb(struct tq_tcptest_conn *c)
{
	return tq_tcptest_find(c->t, c->host, c->hport, c->peer, c->pport);
}

static uint8_t
expected_wscale(const struct tq_tcptest_host *t)
{
	uint8_t sh = 0;

	while (sh < 14 && ((uint32_t)UINT16_MAX << sh) < t->conf.rcvbuf)
		sh++;
	return sh;
}

static uint16_t
host_mss(const struct tq_tcptest_conn *c)
{
	struct tq_addr a = tq_test_addr(c->host);

	return (uint16_t)(c->t->h.ifc.mtu - (a.family == AF_INET ? 40 : 60));
}

/* Options of a SYN or SYN-ACK the host sent: which, in Linux's order. */
static void
check_syn_options(struct tq_tcptest_conn *c, const struct tq_tcptest_seg *sg,
		bool want_sack, bool want_ts, bool want_ws)
{
	uint8_t order[4], n = 0;

	order[n++] = 2;
	if (want_sack)
		order[n++] = 4;
	if (want_ts)
		order[n++] = 8;
	if (want_ws)
		order[n++] = 3;
	assert_int_equal(sg->nkinds, n);
	assert_memory_equal(sg->kinds, order, n);
	assert_true(sg->has_mss);
	assert_int_equal(sg->mss, host_mss(c));
	if (want_ws)
		assert_int_equal(sg->ws, expected_wscale(c->t));
	/* Never scaled on a SYN (RFC 7323 2.2). */
	assert_int_equal(sg->win, RTE_MIN(c->t->conf.rcvbuf, 65535u));
}

void
tt_passive_open(struct tq_tcptest_conn *c)
{
	const struct tq_tcp_conf *conf = &c->t->conf;
	struct tq_tcptest_seg sg;
	bool sack = c->sack_perm && conf->sack;
	bool ts = c->ts && conf->timestamps;
	bool ws = c->ws_on && conf->wscale;
	unsigned int acc = c->n_accept;

	tt_in(c, "S", 0, 0, 0);
	if (!tt_out(c, &sg))
		fail_msg("no SYN-ACK for the SYN");
	assert_int_equal(sg.flags, TQ_TH_SYN | TQ_TH_ACK);
	assert_int_equal(sg.rack, 1);
	assert_int_equal(sg.len, 0);
	check_syn_options(c, &sg, sack, ts, ws);
	if (ts)
		assert_int_equal(sg.tsecr, c->peer_tsval);
	c->ts = ts;
	tt_in(c, ".", 1, 1, 0);
	tt_none(c);
	if (!c->no_accept) {
		assert_int_equal(c->n_accept, acc + 1);
		assert_non_null(c->st);
		assert_int_equal(tq_stream_tcb(c->st)->state,
				TQ_TCPS_ESTABLISHED);
	}
}

void
tt_active_open(struct tq_tcptest_conn *c)
{
	const struct tq_tcp_conf *conf = &c->t->conf;
	struct tq_addr dst = tq_test_addr(c->peer);
	struct tq_tcptest_seg sg;
	int err = 1;

	c->st = tq_tcp_connect(c->t->h.s, &dst, c->pport, NULL, c->hport,
			&tq_tcptest_ops, c, &err);
	assert_non_null(c->st);
	assert_int_equal(err, 0);
	assert_int_equal(tq_stream_tcb(c->st)->state, TQ_TCPS_SYN_SENT);
	tt_advance(c, 0);
	if (!tt_out(c, &sg))
		fail_msg("tq_tcp_connect sent no SYN");
	assert_int_equal(sg.flags, TQ_TH_SYN);
	assert_int_equal(sg.len, 0);
	check_syn_options(c, &sg, conf->sack, conf->timestamps, conf->wscale);
	if (conf->timestamps)
		assert_int_equal(sg.tsecr, 0);
	c->ts = c->ts && conf->timestamps;
	c->sack_perm = c->sack_perm && conf->sack;
	c->ws_on = c->ws_on && conf->wscale;
	tt_in(c, "S.", 0, 1, 0);
	tt_expect(c, ".", 1, 1, 0);
	tt_none(c);
	assert_int_equal(c->n_connected, 1);
	assert_int_equal(tq_stream_tcb(c->st)->state, TQ_TCPS_ESTABLISHED);
}

/* ================================================================== */
/* The simulator                                                       */

static uint64_t
sim_rand(struct tq_sim *sim)
{
	uint64_t z = (sim->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double
sim_unit(struct tq_sim *sim)
{
	return (double)(sim_rand(sim) >> 11) * (1.0 / 9007199254740992.0);
}

static bool
frame_before(const struct tq_sim_frame *a, const struct tq_sim_frame *b)
{
	return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void
heap_push(struct tq_sim_link *l, struct rte_mbuf *m, uint64_t at,
		uint64_t seq)
{
	uint32_t i;

	if (l->n == l->cap) {
		uint32_t cap = l->cap ? l->cap * 2 : 1024;
		struct tq_sim_frame *h = realloc(l->heap, cap * sizeof(*h));

		assert_non_null(h);
		l->heap = h;
		l->cap = cap;
	}
	i = l->n++;
	l->heap[i].m = m;
	l->heap[i].at = at;
	l->heap[i].seq = seq;
	while (i > 0) {
		uint32_t p = (i - 1) / 2;
		struct tq_sim_frame tmp;

		if (!frame_before(&l->heap[i], &l->heap[p]))
			break;
		tmp = l->heap[i];
		l->heap[i] = l->heap[p];
		l->heap[p] = tmp;
		i = p;
	}
}

static struct tq_sim_frame
heap_pop(struct tq_sim_link *l)
{
	struct tq_sim_frame top = l->heap[0];
	uint32_t i = 0;

	l->heap[0] = l->heap[--l->n];
	for (;;) {
		uint32_t a = 2 * i + 1, b = a + 1, m = i;
		struct tq_sim_frame tmp;

		if (a < l->n && frame_before(&l->heap[a], &l->heap[m]))
			m = a;
		if (b < l->n && frame_before(&l->heap[b], &l->heap[m]))
			m = b;
		if (m == i)
			break;
		tmp = l->heap[i];
		l->heap[i] = l->heap[m];
		l->heap[m] = tmp;
		i = m;
	}
	return top;
}

/* Frames on a wire are flat copies: what a NIC would hand up. */
static struct rte_mbuf *
flat_copy(const struct rte_mbuf *m)
{
	struct rte_mbuf *c = rte_pktmbuf_alloc(tq_test_pool());
	uint32_t len = rte_pktmbuf_pkt_len(m);
	const void *p;
	char *d;

	assert_non_null(c);
	d = rte_pktmbuf_append(c, (uint16_t)len);
	assert_non_null(d);
	p = rte_pktmbuf_read(m, 0, len, d);
	assert_non_null(p);
	if (p != d)
		memcpy(d, p, len);
	/* With the link's offloads, whether the checksums were vouched
	 * for travels with the frame, as a NIC's RX flags would. */
	c->ol_flags |= m->ol_flags & (RTE_MBUF_F_RX_IP_CKSUM_MASK |
			RTE_MBUF_F_RX_L4_CKSUM_MASK);
	return c;
}

static bool
sim_down(const struct tq_sim *sim, uint64_t t)
{
	return t >= sim->down_from && t < sim->down_until;
}

static void
link_send(struct tq_sim *sim, unsigned int d, struct rte_mbuf *m)
{
	struct tq_sim_link *l = &sim->link[d];
	const struct tq_sim_link_conf *c = &l->conf;
	uint32_t size = rte_pktmbuf_pkt_len(m);
	uint64_t depart = sim->now, at;
	struct rte_mbuf *f;

	l->st.sent++;
	l->burst = l->st.sent > 1 && l->last_sent == sim->now ?
		l->burst + 1 : 1;
	l->last_sent = sim->now;
	if (l->burst > l->st.max_burst)
		l->st.max_burst = l->burst;
	if (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_GOOD)
		l->st.csum_offloaded++;
	if (sim_down(sim, sim->now)) {
		l->st.down_drops++;
		rte_pktmbuf_free(m);
		return;
	}
	if (c->bw_bps) {
		double backlog = l->busy_until > sim->now ?
			(double)(l->busy_until - sim->now) * c->bw_bps / 8e9 :
			0;

		if (c->queue_bytes && backlog + size > c->queue_bytes) {
			l->st.queue_drops++;
			rte_pktmbuf_free(m);
			return;
		}
		if (backlog + size > l->st.max_queue_bytes)
			l->st.max_queue_bytes = (uint32_t)(backlog + size);
		l->st.qwait_sum += l->busy_until > sim->now ?
			l->busy_until - sim->now : 0;
		l->st.qwait_n++;
		depart = RTE_MAX(sim->now, l->busy_until) +
			(uint64_t)size * 8000000000ull / c->bw_bps;
		l->busy_until = depart;
	}
	/* Loss after the queue: the frame used its slot on the link. */
	if (c->loss > 0 && sim_unit(sim) < c->loss) {
		l->st.lost++;
		rte_pktmbuf_free(m);
		return;
	}
	at = depart + c->delay_ns;
	if (c->coalesce_ns)
		at += c->coalesce_ns - at % c->coalesce_ns;
	if (c->reorder > 0 && sim_unit(sim) < c->reorder) {
		uint64_t span = c->reorder_max_ns > c->reorder_min_ns ?
			c->reorder_max_ns - c->reorder_min_ns : 0;

		at += c->reorder_min_ns + (span ? sim_rand(sim) % span : 0);
		l->st.reordered++;
	}
	f = flat_copy(m);
	rte_pktmbuf_free(m);
	if (c->dup > 0 && sim_unit(sim) < c->dup) {
		heap_push(l, flat_copy(f), at + 1, sim->seq++);
		l->st.duplicated++;
	}
	heap_push(l, f, at, sim->seq++);
}

/* Engines on the simulated link use checksum offloads unless
 * TQ_MEMLINK_CSUM=0: the path the benchmarks measure, and the other. */
static void
sim_csum_offload(struct tq_tcptest_host *t)
{
	t->h.ifc.rx_ip_cksum = t->h.ifc.rx_l4_cksum = true;
	t->h.ifc.tx_ip_cksum = t->h.ifc.tx_udp_cksum = true;
	t->h.ifc.tx_tcp_cksum = true;
	tq_io_memlink_csum_offload(&t->h.s->io, true);
}

void
tq_sim_init(struct tq_sim *sim, struct tq_tcptest_host *a,
		struct tq_tcptest_host *b, const struct tq_sim_link_conf *conf,
		uint64_t seed)
{
	unsigned int i;

	memset(sim, 0, sizeof(*sim));
	sim->host[0] = a;
	sim->host[1] = b;
	sim->link[0].conf = *conf;
	sim->link[1].conf = *conf;
	sim->rng = seed;
	sim->now = RTE_MAX(a->h.now, b->h.now);
	a->h.now = b->h.now = sim->now;
	if (tq_memlink_csum_default()) {
		sim_csum_offload(a);
		sim_csum_offload(b);
	}
	/* TSO likewise unless TQ_MEMLINK_TSO=0: the link cuts the
	 * segments, so loss, reordering and duplication hit frames.  With
	 * TQ_MEMLINK_TSO=gso the link does not, and the shard cuts them in
	 * software before its TX (what a port without TSO gets). */
	if (tq_memlink_tso_default()) {
		const char *v = getenv("TQ_MEMLINK_TSO");
		bool gso = v && strcmp(v, "gso") == 0;

		for (i = 0; i < 2; i++) {
			sim->host[i]->h.ifc.tso_max = TQ_TSO_MAX_BYTES;
			tq_io_memlink_tso(&sim->host[i]->h.s->io, !gso,
					tq_test_pool());
		}
	}
	/* GRO when TQ_MEMLINK_GRO=1: after the link's loss, reordering
	 * and duplication, as a NIC's would be. */
	for (i = 0; i < 2; i++)
		sim->host[i]->h.s->io.gro = tq_memlink_gro_default();
	for (i = 0; i < b->h.ifc.nb_addrs; i++)
		learn_addr(a, &b->h.ifc.addrs[i].addr, &b->h.ifc.mac);
	for (i = 0; i < a->h.ifc.nb_addrs; i++)
		learn_addr(b, &a->h.ifc.addrs[i].addr, &a->h.ifc.mac);
}

void
tq_sim_link_down(struct tq_sim *sim, uint64_t from, uint64_t until)
{
	sim->down_from = from;
	sim->down_until = until;
}

static void
poll_host(struct tq_sim *sim, struct tq_tcptest_host *t)
{
	t->h.now = sim->now;
	do {
		tq_shard_poll(t->h.s, sim->now);
	} while (rte_ring_count(t->h.link.b) > 0);
}

uint64_t
tq_sim_step(struct tq_sim *sim, uint64_t limit)
{
	uint64_t next = limit;
	unsigned int d, i;

	for (d = 0; d < 2; d++)
		if (sim->link[d].n && sim->link[d].heap[0].at < next)
			next = sim->link[d].heap[0].at;
	for (i = 0; i < 2; i++)
		next = RTE_MIN(next, tq_tcptest_next_timer(sim->host[i]));
	if (next < sim->now)
		next = sim->now;
	sim->now = next;
	for (d = 0; d < 2; d++) {
		struct tq_sim_link *l = &sim->link[d];
		struct tq_tcptest_host *dst = sim->host[1 - d];
		unsigned int batch = 0;

		while (l->n && l->heap[0].at <= sim->now) {
			struct tq_sim_frame f = heap_pop(l);

			if (sim_down(sim, f.at)) {
				l->st.down_drops++;
				rte_pktmbuf_free(f.m);
				continue;
			}
			l->st.delivered++;
			l->st.bytes_delivered += rte_pktmbuf_pkt_len(f.m);
			if (dst->h.wire.tx(&dst->h.wire, &f.m, 1) != 1)
				fail_msg("simulator: host ring full");
			if (++batch == TQ_BURST) {
				poll_host(sim, dst);
				batch = 0;
			}
		}
	}
	for (i = 0; i < 2; i++)
		poll_host(sim, sim->host[i]);
	for (i = 0; i < 2; i++) {
		struct rte_mbuf *m;

		while ((m = tq_test_wire_recv(&sim->host[i]->h)) != NULL)
			link_send(sim, i, m);
	}
	sim->steps++;
	return sim->now;
}

bool
tq_sim_run(struct tq_sim *sim, uint64_t until, bool (*done)(void *arg),
		void *arg)
{
	for (;;) {
		if (done && done(arg))
			return true;
		if (sim->now >= until)
			return false;
		tq_sim_step(sim, until);
	}
}

void
tq_sim_fini(struct tq_sim *sim)
{
	unsigned int d;

	for (d = 0; d < 2; d++) {
		struct tq_sim_link *l = &sim->link[d];

		while (l->n)
			rte_pktmbuf_free(heap_pop(l).m);
		free(l->heap);
		l->heap = NULL;
		l->cap = 0;
	}
}

/* ------------------------------------------------------------------ */

void
tt_fx_begin(struct tt_fx *f)
{
	memset(f, 0, sizeof(*f));
	f->avail = tq_test_pool_avail();
	tq_tcptest_prepare(&f->t);
}

void
tt_fx_start(struct tt_fx *f, bool v6, uint32_t backlog)
{
	static const char *const addrs4[] = { "10.0.0.2/24", NULL };
	static const char *const addrs6[] = { "2001:db8::2/64", NULL };
	const char *peer = v6 ? "2001:db8::1" : "10.0.0.1";

	if (backlog)
		assert_int_equal(tq_tcptest_listen(&f->t, NULL, 80, backlog,
				tq_tcptest_accept_cb, &f->c), 0);
	assert_int_equal(tq_tcptest_start(&f->t, 2, v6 ? addrs6 : addrs4), 0);
	tq_test_host_learn(&f->t.h, peer);
	tt_conn_init(&f->c, &f->t, peer, backlog ? 40000 : 8080,
			v6 ? "2001:db8::2" : "10.0.0.2", backlog ? 80 : 0);
}

void
tt_fx_up(struct tt_fx *f)
{
	tt_fx_start(f, false, 0);
	tt_active_open(&f->c);
	tt_mark(&f->c);
}

void
tt_fx_end(struct tt_fx *f, unsigned int flags)
{
	tt_none(&f->c);
	if ((flags & TT_FX_ABORT) && f->c.st && f->c.n_closed == 0) {
		tq_stream_abort(f->c.st, 0);
		tt_advance(&f->c, 0);
		tq_test_wire_drain(&f->t.h);
	}
	if (!(flags & TT_FX_OPEN)) {
		assert_int_equal(tq_tcptest_nconns(&f->t), 0);
		assert_int_equal(tq_tcptest_tcbs_free(&f->t),
				f->t.conf.max_conns);
		assert_int_equal(tq_tcptest_ctr(&f->t, TQ_CTR_TCP_CURR_ESTAB),
				0);
		assert_int_equal(tq_tcptest_ctr(&f->t, TQ_CTR_TCP_TW_COUNT), 0);
	}
	tq_tcptest_fini(&f->t);
	tq_tcptest_check_pool(f->avail);
}
