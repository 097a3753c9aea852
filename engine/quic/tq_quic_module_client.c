/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The QUIC module's client side (docs/quic.md, The module): datagrams
 * to our client ports, the client TLS contexts per worker and settings,
 * tq_quic_connect(), and the calls on a connection either side uses
 * (session tickets, address validation tokens, resumption, migration).
 * The workers, the server side and the drive are tq_quic_module.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_random.h>

#include <tachyon/tq_quic.h>
#include <tachyon/tq_tcp.h>
#include <tachyon/tq_udp.h>

#include "quic/tq_quic_conn_info.h"
#include "quic/tq_quic_ctl.h"
#include "quic/tq_quic_module_priv.h"

/* ---- client connections ---- */

/*
 * A datagram to a client port: from a server, to a DCID we chose, which
 * names our worker whatever the packet's type (unlike a server's port,
 * where a client's Initial carries a DCID of the client's choice).
 */
void
tq_qm_client_rx(struct tq_shard *s, struct tq_udp_dgram *d, void *arg)
{
	struct tq_quic_mod *mod = arg;
	struct qm_worker *w = mod->w[s->id];
	struct rte_mbuf *m = d->m;
	size_t len = rte_pktmbuf_pkt_len(m);
	const uint8_t *p;
	struct tq_quic_hdr h;
	struct tq_quic_cid cid;
	struct qm_conn *q;
	uint8_t owner;
	int r;

	if (unlikely(!w || len == 0 || len > sizeof(w->rxbuf))) {
		TQ_INC(s, QUIC_DROP_MALFORMED);
		goto drop;
	}
	p = tq_qm_dgram_bytes(w, m, len);
	r = tq_quic_hdr_parse(p, len, mod->cid_len, &h);
	if (r < 0) {
		/* a version negotiation among them: we speak only v1 */
		TQ_INC(s, QUIC_DROP_MALFORMED);
		goto drop;
	}
	cid.len = h.dcid_len;
	memcpy(cid.id, h.dcid, h.dcid_len);
	q = tq_quic_table_lookup(&w->table, &cid);
	if (!q && tq_qm_reset_rx(w, p, len))
		goto drop;
	if (!q || !q->client) {
		if (s->nb_workers > 1 && tq_quic_lb_cid_route(&mod->lb,
				h.dcid, h.dcid_len, &owner) == 0 &&
				owner != s->id) {
			tq_qm_steer(s, m, owner);
			return;
		}
		TQ_INC(s, QUIC_DROP_NO_CONN);
		goto drop;
	}
	tq_qm_input(s, q, d, p, len);
	return;
drop:
	rte_pktmbuf_free(m);
}

/* The worker's TLS context for these client settings, made if new. */
struct tq_quic_tls_ctx *
tq_qm_client_tls(struct qm_worker *w, const struct tq_quic_client_conf *conf,
		int *err)
{
	const char *alpn = conf->alpn ? conf->alpn : "h3";
	const char *ca = conf->verify ? conf->ca_file : NULL;
	struct tq_quic_tls_conf tc;
	struct qm_client_tls *t;

	for (t = w->ctls; t; t = t->next)
		if (t->ciphers == conf->ciphers && t->verify == conf->verify &&
				strcmp(t->alpn, alpn) == 0 &&
				!t->ca_file == !ca &&
				(!ca || strcmp(t->ca_file, ca) == 0))
			return t->tls;
	t = calloc(1, sizeof(*t));
	if (!t || (ca && !(t->ca_file = strdup(ca)))) {
		free(t);
		*err = -ENOMEM;
		return NULL;
	}
	snprintf(t->alpn, sizeof(t->alpn), "%s", alpn);
	t->ciphers = conf->ciphers;
	t->verify = conf->verify;
	memset(&tc, 0, sizeof(tc));
	tc.alpn = &alpn;
	tc.n_alpn = 1;
	tc.ciphers = conf->ciphers;
	tc.verify = conf->verify;
	tc.ca_file = ca;
	/* 0-RTT is offered only when a connection resumes (conf->session);
	 * a full handshake is the same with it */
	tc.early_data = true;
	*err = tq_quic_tls_ctx_new(&tc, &t->tls);
	if (*err < 0) {
		free(t->ca_file);
		free(t);
		return NULL;
	}
	t->next = w->ctls;
	w->ctls = t;
	return t->tls;
}

void
tq_qm_client_tls_free(struct qm_worker *w)
{
	struct qm_client_tls *t;

	while ((t = w->ctls) != NULL) {
		w->ctls = t->next;
		tq_quic_tls_ctx_free(t->tls);
		free(t->ca_file);
		free(t);
	}
}

/*
 * A client port for a connection to dst:dport: the next one in the
 * range whose 4-tuple RSS brings back to this worker (the hash is
 * TCP's, which is the NIC's for UDP as well); without one, the next
 * port, and the DCID steering brings the datagrams here.  Ports are
 * shared by connections: the DCID tells them apart.
 */
uint16_t
tq_qm_client_port(struct qm_worker *w, const struct tq_addr *dst,
		uint16_t dport, int *err)
{
	struct tq_quic_mod *m = w->mod;
	struct tq_shard *s = w->s;
	unsigned int range = (unsigned int)m->cport_hi - m->cport_lo + 1, i;
	uint16_t p = w->cport_next, first = p;
	int owner;

	for (i = 0; i < range; i++) {
		owner = tq_tcp_flow_worker(s, NULL, p, dst, dport);
		if (owner < 0) {
			*err = owner;
			return 0;
		}
		if (owner == (int)s->id) {
			first = p;
			break;
		}
		p = p == m->cport_hi ? m->cport_lo : (uint16_t)(p + 1);
	}
	w->cport_next = first == m->cport_hi ? m->cport_lo :
		(uint16_t)(first + 1);
	return first;
}

struct tq_conn *
tq_quic_connect(struct tq_shard *s, const struct tq_addr *dst, uint16_t dport,
		const struct tq_quic_client_conf *conf,
		const struct tq_conn_ops *ops, void *udata, int *err)
{
	struct tq_quic_mod *m = s && s->engine ?
		tq_engine_module_state(s->engine, &tq_quic_module) : NULL;
	struct qm_worker *w = m && s->id < TQ_MAX_WORKERS ? m->w[s->id] : NULL;
	static const struct tq_quic_client_conf defaults;
	struct tq_quic_conn_cfg cfg;
	uint8_t rnd[TQ_QUIC_CID_MAX];
	struct tq_conn *c;
	struct qm_conn *q;
	unsigned int i, tries;
	uint16_t lport;
	int dummy;

	if (!err)
		err = &dummy;
	*err = 0;
	if (!conf)
		conf = &defaults;
	if (!w || !dst || dport == 0 || (dst->family != AF_INET &&
			dst->family != AF_INET6) ||
			(conf->alpn && (!*conf->alpn || strlen(conf->alpn) >=
				sizeof(((struct qm_client_tls *)0)->alpn))) ||
			conf->ciphers > 7) {
		*err = -EINVAL;
		return NULL;
	}
	if (!m->cport_lo) {
		*err = -EADDRNOTAVAIL;
		return NULL;
	}
	if (w->nb_conns >= m->max_conns) {
		*err = -ENOBUFS;
		return NULL;
	}
	lport = tq_qm_client_port(w, dst, dport, err);
	if (!lport)
		return NULL;
	memset(&cfg, 0, sizeof(cfg));
	cfg.tls = tq_qm_client_tls(w, conf, err);
	if (!cfg.tls)
		return NULL;
	q = calloc(1, sizeof(*q));
	if (!q) {
		*err = -ENOMEM;
		return NULL;
	}
	cfg.is_server = false;
	tq_qm_conn_cfg(w, dst, &cfg);
	cfg.server_name = conf->server_name;
	cfg.session = conf->session;
	cfg.session_len = conf->session ? conf->session_len : 0;
	cfg.token = conf->token;
	cfg.token_len = conf->token ? conf->token_len : 0;
	/* RFC 9000 7.2: a first DCID of at least 8 random bytes */
	cfg.dcid.len = 8;
	for (i = 0; i < cfg.dcid.len; i++)
		cfg.dcid.id[i] = (uint8_t)rte_rand();
	/* Our CID names the worker, as a server's does: whatever queue a
	 * datagram of this connection comes in on, it is steered here. */
	cfg.scid.len = m->cid_len;
	for (tries = 0; tries < 4; tries++) {
		for (i = 0; i < sizeof(rnd); i++)
			rnd[i] = (uint8_t)rte_rand();
		if (tq_quic_lb_cid_make(&m->lb, (uint8_t)s->id, rnd,
				cfg.scid.id) < 0) {
			free(q);
			*err = -EINVAL;
			return NULL;
		}
		/* a clash with a connection's CID: another nonce */
		if (!tq_quic_table_lookup(&w->table, &cfg.scid))
			break;
	}
	if (tq_quic_conn_new(&cfg, s->now, &q->c) < 0) {
		free(q);
		*err = -ENOMEM;
		return NULL;
	}
	/* before its first output, as a server's (no file: no qlog) */
	if (m->qlog_dir)
		(void)tq_quic_conn_set_qlog(q->c, m->qlog_dir);
	q->w = w;
	q->client = true;
	q->scid = cfg.scid;
	memset(&q->local, 0, sizeof(q->local));
	q->local.family = dst->family;
	q->lport = lport;
	q->peer = *dst;
	q->pport = dport;
	tq_timer_init(&q->timer, tq_qm_on_timer, q);
	if (tq_quic_table_add(&w->table, &q->scid, q) < 0) {
		tq_quic_conn_free(q->c);
		free(q);
		*err = -ENOMEM;
		return NULL;
	}
	c = tq_quic_conn_base(q->c);
	tq_conn_set_udata(c, udata);
	tq_conn_set_ops(c, ops);
	tq_quic_conn_set_shard(q->c, s);
	tq_quic_conn_set_kick(q->c, tq_qm_kick, q);
	tq_quic_conn_set_addrs(q->c, &q->local, q->lport, &q->peer, q->pport);
	q->next = w->conns;
	if (q->next)
		q->next->pprev = &q->next;
	q->pprev = &w->conns;
	w->conns = q;
	w->nb_conns++;
	TQ_INC(s, QUIC_CONNS_OPENED);
	TQ_INC(s, QUIC_CLIENT_CONNS);
	s->ctr[TQ_CTR_QUIC_CURR_CONNS]++;
	/* The ClientHello goes out from the timer, not inside the app's
	 * call: a failure then comes as closed(), never before we return. */
	tq_timer_arm(s->timers, &q->timer, s->now);
	return c;
}

/* The QUIC connection of c, NULL for another transport's. */
static struct tq_quic_conn *
quic_of(struct tq_conn *c)
{
	if (!c || tq_conn_transport(c) != TQ_TRANSPORT_QUIC)
		return NULL;
	/* the tq_conn is the connection's base (tq_quic_conn_base()) */
	return (struct tq_quic_conn *)c;
}

int
tq_quic_session(struct tq_conn *c, uint8_t **out, size_t *len)
{
	struct tq_quic_conn *q = quic_of(c);

	if (!q || !out || !len)
		return -EINVAL;
	return tq_quic_conn_session(q, out, len);
}

int
tq_quic_new_token(struct tq_conn *c, uint8_t **out, size_t *len)
{
	struct tq_quic_conn *q = quic_of(c);
	const uint8_t *t;
	size_t n;

	if (!q || !out || !len)
		return -EINVAL;
	t = tq_quic_conn_new_token(q, &n);
	if (!t || n == 0)
		return -ENOENT;
	*out = malloc(n);
	if (!*out)
		return -ENOMEM;
	memcpy(*out, t, n);
	*len = n;
	return 0;
}

bool
tq_quic_resumed(struct tq_conn *c, bool *early)
{
	struct tq_quic_conn *q = quic_of(c);
	const struct tq_quic_conn_stats *st;

	if (early)
		*early = false;
	if (!q)
		return false;
	st = tq_quic_conn_stats(q);
	if (early)
		*early = st->early_accepted != 0;
	return st->resumed != 0;
}

int
tq_quic_migrate(struct tq_conn *c)
{
	struct tq_quic_conn *qc = quic_of(c);
	struct tq_shard *s = qc ? tq_conn_shard(c) : NULL;
	struct tq_quic_mod *m = s && s->engine ?
		tq_engine_module_state(s->engine, &tq_quic_module) : NULL;
	struct qm_worker *w = m && s->id < TQ_MAX_WORKERS ? m->w[s->id] : NULL;
	struct tq_quic_cid cid;
	struct qm_conn *q = NULL;
	uint16_t lport;
	unsigned int i;
	int err = 0, r;

	if (!w)
		return -EINVAL;
	/* our qm_conn: the table entry of any CID of ours */
	for (i = 0; !q && tq_quic_conn_local_cid(qc, i, &cid); i++)
		q = tq_quic_table_lookup(&w->table, &cid);
	if (!q || q->c != qc || !q->client)
		return -EINVAL;
	if (!q->confirmed)
		return -ENOTCONN;
	if (tq_quic_conn_spare_dcids(qc) == 0)
		return -ENOENT;
	lport = tq_qm_client_port(w, &q->peer, q->pport, &err);
	if (lport == q->lport)	/* the worker's only port: try the next */
		lport = tq_qm_client_port(w, &q->peer, q->pport, &err);
	if (!lport || lport == q->lport)
		return err ? err : -EADDRNOTAVAIL;
	r = tq_quic_conn_rotate_dcid(qc);
	if (r < 0)
		return r;
	q->lport = lport;
	tq_quic_conn_set_addrs(qc, &q->local, q->lport, &q->peer, q->pport);
	/* a non-probing packet on the new path: the server moves to it */
	(void)tq_quic_conn_ping(qc);
	tq_qm_kick(q);
	return 0;
}
