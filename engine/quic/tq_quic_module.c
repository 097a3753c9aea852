/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The QUIC module (docs/quic.md, The module): its options (--quic-*),
 * per worker a crypto context, a connection table by our CIDs and the
 * connections on the shard's timer wheel; tq_quic_listen() binds a UDP
 * port whose datagrams come here.  The connection layer does the
 * protocol; this file feeds it datagrams and the time, sends what it
 * makes with the UDP layer, re-arms its timer after every call, answers
 * what has no connection (version negotiation, stateless reset) and
 * sums the connections' figures into the QUIC counters.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_random.h>
#include <rte_ring.h>
#include <rte_ether.h>
#include <rte_udp.h>

#include <tachyon/tq_quic.h>
#include <tachyon/tq_tcp.h>
#include <tachyon/tq_udp.h>

#include "core/tq_module.h"
#include "core/tq_opts.h"
#include "core/tq_shard.h"
#include "core/tq_timer.h"
#include "net/tq_net.h"
#include "quic/tq_quic_conn.h"
#include "quic/tq_quic_conn_info.h"
#include "quic/tq_quic_ctl.h"
#include "quic/tq_quic_crypto.h"
#include "quic/tq_quic_lb.h"
#include "quic/tq_quic_table.h"
#include "quic/tq_quic_tls.h"
#include "quic/tq_quic_token.h"

#include "quic/tq_quic_module_priv.h"

RTE_LOG_REGISTER(tq_quic_logtype, tachyon.quic, INFO);

/* ---- options ---- */

#define ST struct tq_quic_mod

TQ_OPT_U_SETTER(set_idle, ST, idle_ms, uint32_t, 1, 600000, 1)
TQ_OPT_U_SETTER(set_keepalive, ST, keepalive_ms, uint32_t, 0, 600000, 1)
TQ_OPT_U_SETTER(set_max_conns, ST, max_conns, uint32_t, 1, 1u << 22, 1)
TQ_OPT_FLAG_SETTER(set_no_ecn, ST, no_ecn, true)
TQ_OPT_FLAG_SETTER(set_no_pmtud, ST, no_pmtud, true)
TQ_OPT_U_SETTER(set_early_window, ST, early_window_ms, uint32_t, 1, 3600000, 1)
/* At least a packet's worth (a window below a frame's overhead would
 * stall the HTTP/3 control streams); at most 1 GiB, which the 16x of
 * autotuning keeps within QUIC's 2^62. */
TQ_OPT_U_SETTER(set_max_stream_data, ST, max_stream_data, uint64_t, 1200,
		1u << 30, 1)
TQ_OPT_U_SETTER(set_max_data, ST, max_data, uint64_t, 1200, 1u << 30, 1)

static int
set_early(void *arg, const char *v)
{
	if (strcmp(v, "on") == 0)
		((ST *)arg)->early = true;
	else if (strcmp(v, "off") == 0)
		((ST *)arg)->early = false;
	else
		return -EINVAL;
	return 0;
}

TQ_OPT_U_SETTER(set_retry_threshold, ST, retry_threshold, uint32_t, 1,
		1u << 30, 1)

static int
set_retry(void *arg, const char *v)
{
	if (strcmp(v, "off") == 0)
		((ST *)arg)->retry = QM_RETRY_OFF;
	else if (strcmp(v, "on") == 0)
		((ST *)arg)->retry = QM_RETRY_ON;
	else if (strcmp(v, "auto") == 0)
		((ST *)arg)->retry = QM_RETRY_AUTO;
	else
		return -EINVAL;
	return 0;
}

static int
set_str(char **field, const char *v)
{
	char *d = strdup(v);

	if (!d)
		return -ENOMEM;
	free(*field);
	*field = d;
	return 0;
}

static int
set_cert(void *arg, const char *v)
{
	return set_str(&((ST *)arg)->cert_file, v);
}

static int
set_secret(void *arg, const char *v)
{
	return set_str(&((ST *)arg)->secret_file, v);
}

static int
set_qlog_dir(void *arg, const char *v)
{
	return set_str(&((ST *)arg)->qlog_dir, v);
}

static int
set_key(void *arg, const char *v)
{
	return set_str(&((ST *)arg)->key_file, v);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
set_server_id(void *arg, const char *v)
{
	struct tq_quic_lb_conf lb = ((ST *)arg)->lb;
	size_t n = strlen(v), i;

	if (n == 0 || n % 2 || n / 2 > TQ_QUIC_LB_SERVER_ID_MAX ||
			n / 2 + QM_NONCE_LEN > 19)
		return -EINVAL;
	for (i = 0; i < n / 2; i++) {
		int hi = hexval(v[2 * i]), lo = hexval(v[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		lb.server_id[i] = (uint8_t)(hi << 4 | lo);
	}
	lb.server_id_len = (uint8_t)(n / 2);
	if (tq_quic_lb_check(&lb) < 0)
		return -EINVAL;
	((ST *)arg)->lb = lb;
	return 0;
}

static int
set_crypto(void *arg, const char *v)
{
	if (strcmp(v, "ipsecmb") == 0)
		((ST *)arg)->crypto = TQ_QUIC_CRYPTO_IPSECMB;
	else if (strcmp(v, "gnutls") == 0)
		((ST *)arg)->crypto = TQ_QUIC_CRYPTO_GNUTLS;
	else
		return -EINVAL;
	return 0;
}

static int
set_client_ports(void *arg, const char *v)
{
	unsigned long lo, hi;
	char *end;

	if (strcmp(v, "none") == 0) {
		((ST *)arg)->cport_lo = ((ST *)arg)->cport_hi = 0;
		return 0;
	}
	lo = strtoul(v, &end, 10);
	if (*end == '-')
		hi = strtoul(end + 1, &end, 10);
	else
		hi = lo;
	if (*end || lo == 0 || hi < lo || hi > 65535 || hi - lo >= 4096)
		return -EINVAL;
	((ST *)arg)->cport_lo = (uint16_t)lo;
	((ST *)arg)->cport_hi = (uint16_t)hi;
	return 0;
}

static int
set_cc(void *arg, const char *v)
{
	const struct tq_cc_ops *ops = tq_cc_find(v);

	if (!ops)
		return -EINVAL;
	((ST *)arg)->cc = ops;
	return 0;
}

static const struct tq_app_opt quic_opts[] = {
	{ "quic-cert", "quic", "FILE", "server certificate chain, PEM (none: a self-signed one, with a warning)", set_cert, NULL },
	{ "quic-key", "quic", "FILE", "the certificate's private key, PEM", set_key, NULL },
	{ "quic-secret", "quic", "FILE", "at least 32 bytes of secret the stateless reset, address-token and session-ticket keys derive from, shared by restarts and servers behind one load balancer (none: random keys per run)", set_secret, NULL },
	{ "quic-idle-ms", "quic", "MS", "idle timeout we advertise (30000)", set_idle, NULL },
	{ "quic-keepalive-ms", "quic", "MS", "a PING after this long without an ack-eliciting packet sent (0: off)", set_keepalive, NULL },
	{ "quic-max-conns", "quic", "N", "QUIC connections per worker (4096)", set_max_conns, NULL },
	{ "quic-server-id", "quic", "HEX", "QUIC-LB server id in our connection IDs, 1 to 11 bytes in hex (01)", set_server_id, NULL },
	{ "quic-crypto", "quic", "NAME", "packet protection backend: ipsecmb, gnutls (ipsecmb when the CPU has it)", set_crypto, NULL },
	{ "quic-client-ports", "quic", "LO-HI", "local UDP ports of client connections, bound on every worker, up to 4096 (none)", set_client_ports, NULL },
	{ "quic-cc", "quic", "NAME", "congestion control of new connections: newreno, cubic, bbr (newreno)", set_cc, NULL },
	{ "quic-no-ecn", "quic", NULL, "send unmarked (no ECT(0), no ECN validation); received ECN is still counted in ACKs", set_no_ecn, NULL },
	{ "quic-no-pmtud", "quic", NULL, "no path MTU search: datagrams stay at 1200 bytes", set_no_pmtud, NULL },
	{ "quic-0rtt", "quic", "on|off", "take 0-RTT from resuming clients (off; replays refused within --quic-0rtt-window)", set_early, NULL },
	{ "qlog-dir", "quic", "DIR", "a qlog file (JSON-SEQ) per QUIC connection in DIR (none)", set_qlog_dir, NULL },
	{ "quic-0rtt-window", "quic", "MS", "0-RTT anti-replay window (10000)", set_early_window, NULL },
	{ "quic-retry", "quic", "off|on|auto", "Retry a new client (address validation) never, always, or past --quic-retry-threshold (auto)", set_retry, NULL },
	{ "quic-max-stream-data", "quic", "BYTES", "initial receive window per stream we advertise; autotuning grows it up to 16x (262144)", set_max_stream_data, NULL },
	{ "quic-max-data", "quic", "BYTES", "initial connection receive window we advertise; autotuning grows it up to 16x (1.5 x --quic-max-stream-data)", set_max_data, NULL },
	{ "quic-retry-threshold", "quic", "N", "auto: new client Initials per second and worker past which they get a Retry (1000)", set_retry_threshold, NULL },
};

#undef ST

static void
quic_init(void *state)
{
	struct tq_quic_mod *m = state;

	m->idle_ms = 30000;
	m->max_conns = 4096;
	m->crypto = TQ_QUIC_CRYPTO_AUTO;
	m->early_window_ms = 10000;
	m->retry = QM_RETRY_AUTO;
	m->retry_threshold = 1000;
	m->lb.config_id = 0;
	m->lb.encode_len = true;
	m->lb.server_id_len = 1;
	m->lb.server_id[0] = 0x01;
	m->lb.nonce_len = QM_NONCE_LEN;
}

/* The keys of --quic-secret, once (like creds(): tq_quic_listen() may
 * come before finish and needs the ticket key).  Without the option the
 * keys are random per run: quic_finish() and each listener's own. */
static int
load_secret(struct tq_quic_mod *m)
{
	uint8_t buf[TQ_QUIC_SECRET_MAX];
	int n, r;

	if (!m->secret_file || m->have_secret)
		return 0;
	n = tq_quic_secret_read(m->secret_file, buf, sizeof(buf));
	if (n < 0) {
		QLOG(ERR, "--quic-secret %s: %s\n", m->secret_file,
				n == -EMSGSIZE ? "under 32 bytes" :
				n == -EFBIG ? "over 4096 bytes" :
				strerror(-n));
		return -EINVAL;
	}
	r = tq_quic_secret_derive(buf, (size_t)n, m->secret, m->ticket_key);
	tq_quic_wipe(buf, sizeof(buf));
	if (r < 0)
		return r;
	m->have_secret = true;
	return 0;
}

/* The server's credentials: the files given, or a self-signed pair made
 * once (tq_quic_listen() may come before the engine runs, so before
 * finish). */
static int
creds(struct tq_quic_mod *m)
{
	if (!m->cert_file != !m->key_file) {
		QLOG(ERR, "--quic-cert and --quic-key go together\n");
		return -EINVAL;
	}
	if (m->cert_file || m->cert_pem)
		return 0;
	QLOG(WARNING, "no --quic-cert: a self-signed certificate for localhost\n");
	return tq_quic_tls_self_signed("localhost", &m->cert_pem, &m->key_pem);
}

static int
quic_finish(void *state, const struct tq_module_env *env)
{
	struct tq_quic_mod *m = state;
	unsigned int i;
	int r;

	if (env->nb_workers > 256)
		return -EINVAL;	/* the worker is one nonce byte */
	if (tq_quic_lb_check(&m->lb) < 0)
		return -EINVAL;
	m->cid_len = (uint8_t)tq_quic_lb_cid_len(&m->lb);
	r = creds(m);
	if (r == 0)
		r = load_secret(m);
	if (r < 0)
		return r;
	if (m->have_secret)
		return 0;
	/* Stateless reset tokens must agree on every worker: one secret
	 * for the run, the engine's 16 bytes and 16 of our own. */
	memcpy(m->secret, env->secret, 16);
	for (i = 16; i < sizeof(m->secret); i++)
		m->secret[i] = (uint8_t)rte_rand();
	return 0;
}


static int
quic_attach(struct tq_shard *s, void *state, const struct tq_module_env *env)
{
	struct tq_quic_mod *m = state;
	struct qm_worker *w;
	int r;

	(void)env;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->s = s;
	w->mod = m;
	r = tq_quic_crypto_worker_new(m->crypto, &w->cw);
	if (r == 0)
		r = tq_quic_token_key_new(m->secret, &w->tok);
	if (r == 0)
		r = tq_quic_retry_aead_new(w->cw, &w->retry_aead);
	/* a connection's CIDs (twice QM_CIDS while some retire) and the
	 * client's first DCID until it takes ours */
	if (r == 0)
		r = tq_quic_table_init(&w->table, (uint32_t)RTE_MIN(
				(uint64_t)m->max_conns * (2 * QM_CIDS + 1),
				(uint64_t)1 << 24));
	if (r == 0) {
		r = tq_quic_table_init(&w->rtab, RTE_MIN(m->max_conns,
				(uint32_t)1 << 24));
		if (r < 0)
			tq_quic_table_fini(&w->table);
	}
	if (r == 0) {
		r = tq_quic_stream_pool_new(QM_STREAMS_PREALLOC,
				QM_STREAMS_KEEP, &w->spool);
		if (r < 0) {
			tq_quic_table_fini(&w->table);
			tq_quic_table_fini(&w->rtab);
		}
	}
	if (r < 0) {
		tq_quic_aead_free(w->retry_aead);
		tq_quic_token_key_free(w->tok);
		if (w->cw)
			tq_quic_crypto_worker_free(w->cw);
		free(w);
		return r;
	}
	w->answer_tokens = QM_ANSWERS_PER_SEC;
	m->w[s->id] = w;
	/* Every worker takes the client ports: a server's datagram may
	 * arrive on any, and is steered to the one its DCID names. */
	if (m->cport_lo) {
		unsigned int p;

		for (p = m->cport_lo; p <= m->cport_hi; p++) {
			r = tq_udp_shard_bind(s, NULL, (uint16_t)p,
					tq_qm_client_rx, m);
			if (r < 0) {
				QLOG(ERR, "--quic-client-ports: port %u: %s\n",
						p, strerror(-r));
				while (--p >= m->cport_lo)
					tq_udp_shard_unbind(s, NULL,
							(uint16_t)p);
				m->w[s->id] = NULL;
				tq_quic_table_fini(&w->table);
				tq_quic_table_fini(&w->rtab);
				tq_quic_stream_pool_free(w->spool);
				tq_quic_aead_free(w->retry_aead);
				tq_quic_token_key_free(w->tok);
				tq_quic_crypto_worker_free(w->cw);
				free(w);
				return r;
			}
		}
		w->cport_next = m->cport_lo;
	}
	return 0;
}

/* ---- connections ---- */

/* Add what the connection counted since the last time. */
static void
account(struct qm_conn *q)
{
	const struct tq_quic_conn_stats *st = tq_quic_conn_stats(q->c);
	struct tq_shard *s = q->w->s;

#define D(f) (st->f - q->seen.f)
	TQ_ADD(s, QUIC_DGRAMS_IN, D(dgrams_in));
	TQ_ADD(s, QUIC_DGRAMS_OUT, D(dgrams_out));
	TQ_ADD(s, QUIC_PKTS_IN, D(pkts_in));
	TQ_ADD(s, QUIC_PKTS_OUT, D(pkts_out));
	TQ_ADD(s, QUIC_RETRANSMITS, D(retransmits));
	TQ_ADD(s, QUIC_PROTO_ERRORS, D(proto_err));
	TQ_ADD(s, QUIC_DROP_NOKEY, D(drop_nokey));
	TQ_ADD(s, QUIC_DROP_DECRYPT, D(drop_decrypt));
	TQ_ADD(s, QUIC_DROP_DUP, D(drop_dup));
	TQ_ADD(s, QUIC_DROP_CONN_OTHER, D(drop_cid) + D(drop_unsupported));
	TQ_ADD(s, QUIC_ECN_CE, D(ecn_ce));
	TQ_ADD(s, QUIC_ECN_FAILED, D(ecn_failed));
	TQ_ADD(s, QUIC_RESUMED, D(resumed));
	TQ_ADD(s, QUIC_0RTT_ACCEPTED, D(early_accepted));
	TQ_ADD(s, QUIC_0RTT_REJECTED, D(early_rejected));
	TQ_ADD(s, QUIC_0RTT_PKTS, D(early_pkts));
	TQ_ADD(s, QUIC_NEW_TOKENS, D(new_tokens));
	TQ_ADD(s, QUIC_CIDS_ISSUED, D(cids_issued));
	TQ_ADD(s, QUIC_CIDS_RETIRED, D(cids_retired));
	TQ_ADD(s, QUIC_MIGRATIONS, D(migrations));
	TQ_ADD(s, QUIC_PATH_FAILS, D(path_failed));
	TQ_ADD(s, QUIC_RESETS_RX, D(stateless_resets));
	TQ_ADD(s, QUIC_KEY_UPDATES, D(key_updates));
	TQ_ADD(s, QUIC_AEAD_LIMIT_UPDATES, D(aead_limit_updates));
	TQ_ADD(s, QUIC_PMTU_PROBES, D(pmtu_probes));
	TQ_ADD(s, QUIC_PMTU_RAISED, D(pmtu_raised));
#undef D
	q->seen = *st;
}

static void
conn_free(struct qm_conn *q)
{
	struct qm_worker *w = q->w;
	struct tq_shard *s = w->s;
	struct tq_quic_cid cid;
	unsigned int i;

	tq_timer_cancel(s->timers, &q->timer);
	/* every CID the peer may still use (the handshake's among them,
	 * unless retired) */
	for (i = 0; tq_quic_conn_local_cid(q->c, i, &cid); i++)
		tq_quic_table_del(&w->table, &cid);
	if (q->ocid.len)
		tq_quic_table_del(&w->table, &q->ocid);
	if (q->has_rtok)
		tq_quic_table_del(&w->rtab, &q->rtok);
	*q->pprev = q->next;
	if (q->next)
		q->next->pprev = q->pprev;
	w->nb_conns--;
	/* closed() callbacks from the free below must not arm the timer */
	tq_quic_conn_set_kick(q->c, NULL, NULL);
	if (!q->confirmed)
		TQ_INC(s, QUIC_HANDSHAKE_FAILS);
	TQ_INC(s, QUIC_CONNS_CLOSED);
	s->ctr[TQ_CTR_QUIC_CURR_CONNS]--;
	tq_quic_conn_free(q->c);
	free(q);
}


/* Keep the worker's rtab on the peer's token in use: it comes with the
 * transport parameters and changes with the peer's CID. */
static void
rtok_sync(struct qm_conn *q)
{
	struct tq_quic_cid t = { .len = TQ_QUIC_RESET_TOKEN_LEN };
	bool has = tq_quic_conn_peer_reset_token(q->c, t.id);

	if (has == q->has_rtok && (!has ||
			memcmp(t.id, q->rtok.id, t.len) == 0))
		return;
	if (q->has_rtok)
		tq_quic_table_del(&q->w->rtab, &q->rtok);
	/* -EEXIST (another connection's, a peer reusing one): not
	 * entered, so a reset ends only the first */
	q->has_rtok = has && tq_quic_table_add(&q->w->rtab, &t, q) == 0;
	q->rtok = t;
}

/* A datagram with a short header and no connection: a stateless reset
 * for one of ours (RFC 9000 10.3.1)?  It ends the connection then. */
bool
tq_qm_reset_rx(struct qm_worker *w, const uint8_t *p, size_t len)
{
	struct tq_quic_cid t = { .len = TQ_QUIC_RESET_TOKEN_LEN };
	struct qm_conn *q;

	if (len < 21 || (p[0] & 0x80) || w->rtab.count == 0)
		return false;
	memcpy(t.id, p + len - TQ_QUIC_RESET_TOKEN_LEN, t.len);
	q = tq_quic_table_lookup(&w->rtab, &t);
	if (!q || !tq_quic_conn_stateless_reset(q->c, p, len, w->s->now))
		return false;
	tq_qm_drive(q);
	return true;
}

/*
 * The datagrams of a tq_qm_drive, built in the mbufs they go out in, in one
 * UDP burst: one route and one neighbour lookup for the run, no copy
 * (a copy of each datagram and a route lookup per datagram before).
 * One the UDP layer refuses is counted and dropped: the connection
 * took it as sent and recovers it as lost.
 */
static void
send_tx(struct tq_shard *s, struct tq_udp_tx *tx, unsigned int n)
{
	unsigned int done = 0;
	int k;

	while (done < n) {
		k = tq_udp_send_burst(s, tx + done, n - done);
		if (k > 0) {
			done += (unsigned int)k;
			continue;
		}
		rte_pktmbuf_free(tx[done].m);
		TQ_INC(s, QUIC_SEND_FAILS);
		done++;
	}
}

/*
 * After every input, timer and app call: send what the connection has
 * (up to a burst; the rest at the next tick), count, free it when done,
 * else arm its timer for when it asks.
 */
void
tq_qm_drive(struct qm_conn *q)
{
	struct qm_worker *w = q->w;
	struct tq_shard *s = w->s;
	uint64_t now = s->now, t;
	unsigned int i, nt = 0;
	bool starved = false;
	size_t n = 0;

	/* the client's path may have moved (or moved back) */
	tq_quic_conn_path(q->c, &q->peer, &q->pport, NULL);
	for (i = 0; i < QM_OUT_BURST; i++) {
		struct tq_udp_tx *x = &w->tx[nt];
		struct rte_mbuf *m = w->spare ? w->spare : tq_net_alloc(s);

		if (!m) {
			starved = true;	/* the rest at the next tick */
			break;
		}
		n = tq_quic_conn_output(q->c, rte_pktmbuf_mtod(m, uint8_t *),
				RTE_MIN((size_t)QM_DGRAM_MAX,
					(size_t)rte_pktmbuf_tailroom(m)), now);
		if (n == 0) {
			w->spare = m;
			break;
		}
		w->spare = NULL;
		m->data_len = (uint16_t)n;
		m->pkt_len = (uint32_t)n;
		x->m = m;
		x->dst = q->peer;
		x->src = q->local;
		x->sport = q->lport;
		x->dport = q->pport;
		x->tos = tq_quic_conn_output_ecn(q->c) == TQ_QUIC_ECN_ECT0 ?
			TQ_ECN_ECT0 : TQ_ECN_NOT_ECT;
		if (++nt == RTE_DIM(w->tx)) {
			send_tx(s, w->tx, nt);
			nt = 0;
		}
	}
	send_tx(s, w->tx, nt);
	if (!q->confirmed && tq_quic_conn_confirmed(q->c)) {
		q->confirmed = true;
		if (q->client)
			TQ_INC(s, QUIC_CLIENT_HANDSHAKES);
	}
	account(q);
	if (tq_quic_conn_done(q->c)) {
		conn_free(q);
		return;
	}
	rtok_sync(q);
	t = n || starved ? now : tq_quic_conn_next_timer(q->c);
	if (t == UINT64_MAX)
		tq_timer_cancel(s->timers, &q->timer);
	else
		tq_timer_arm(s->timers, &q->timer, RTE_MAX(t, now));
}

void
tq_qm_on_timer(struct tq_timer *t, void *arg)
{
	struct qm_conn *q = arg;

	(void)t;
	if (q->w->s->now >= tq_quic_conn_next_timer(q->c))
		tq_quic_conn_on_timer(q->c, q->w->s->now);
	tq_qm_drive(q);
}

/*
 * An app call on the connection (a write from an app timer, a close):
 * drive it at the next poll's timers.  Calls made inside our own input,
 * timer or output are covered by the drive that follows them, which
 * re-arms the timer for what the connection asks.
 */
void
tq_qm_kick(void *arg)
{
	struct qm_conn *q = arg;
	struct tq_shard *s = q->w->s;

	if (!tq_timer_pending(&q->timer) || q->timer.expire > s->now)
		tq_timer_arm(s->timers, &q->timer, s->now);
}

/* A token for an answer to what has no connection, if the bucket has
 * one (refilled once a second). */
static bool
answer_ok(struct qm_worker *w)
{
	uint64_t now = w->s->now;

	if (now - w->answer_ts >= 1000000000ull) {
		w->answer_ts = now;
		w->answer_tokens = QM_ANSWERS_PER_SEC;
	}
	if (w->answer_tokens == 0) {
		TQ_INC(w->s, QUIC_RESETS_LIMITED);
		return false;
	}
	w->answer_tokens--;
	return true;
}

/* RFC 9000 6.1: what we speak, to a client of another version. */
static void
send_vn(struct qm_worker *w, const struct tq_udp_dgram *d,
		const struct tq_quic_hdr *h, size_t dgram_len)
{
	static const uint32_t versions[] = { TQ_QUIC_VERSION_1 };
	struct tq_quic_wr wr;
	int n;

	/* 6.1 / 14.1: not for a datagram a client's first could not be,
	 * and never for a version negotiation */
	if (h->version == TQ_QUIC_VERSION_NEG || dgram_len < 1200 ||
			!answer_ok(w))
		return;
	tq_quic_wr_init(&wr, w->buf, sizeof(w->buf));
	n = tq_quic_vn_write(&wr, h->scid, h->scid_len, h->dcid, h->dcid_len,
			versions, RTE_DIM(versions),
			(uint8_t)(rte_rand() & 0x7f));
	if (n < 0)
		return;
	/* the writer's position is the packet's end */
	if (tq_udp_sendto(w->s, &d->dst, d->dport, &d->src, d->sport,
			w->buf, (uint32_t)(wr.pos - w->buf)) == 0)
		TQ_INC(w->s, QUIC_VERSION_NEGS);
}

/*
 * RFC 9000 10.3: a short header for a CID of ours we no longer know
 * (a restart, a connection freed): a stateless reset
 * (tq_quic_reset_build()).
 */
static void
send_reset(struct qm_worker *w, const struct tq_udp_dgram *d,
		const uint8_t *cid, size_t dgram_len)
{
	int n;

	if (dgram_len < 22 || !answer_ok(w))
		return;
	n = tq_quic_reset_build(w->tok, cid, w->mod->cid_len, dgram_len,
			w->buf, sizeof(w->buf));
	if (n < 0)
		return;
	if (tq_udp_sendto(w->s, &d->dst, d->dport, &d->src, d->sport,
			w->buf, (uint32_t)n) == 0)
		TQ_INC(w->s, QUIC_RESETS_SENT);
}

/* How a client's first Initial stands (its token checked). */
struct qm_valid {
	bool retried;		/* a Retry token: odcid is the first DCID */
	bool validated;		/* any good token */
	struct tq_quic_cid odcid;
};

/* A CID of ours naming this worker (QUIC-LB, random nonce). */
static int
make_cid(struct qm_worker *w, struct tq_quic_cid *cid)
{
	uint8_t rnd[TQ_QUIC_CID_MAX];
	unsigned int i;

	for (i = 0; i < sizeof(rnd); i++)
		rnd[i] = (uint8_t)rte_rand();
	cid->len = w->mod->cid_len;
	return tq_quic_lb_cid_make(&w->mod->lb, (uint8_t)w->s->id, rnd,
			cid->id);
}

/* --quic-retry: whether a client Initial without a valid token gets a
 * Retry.  auto counts them per second (this one and the last, so a
 * flood does not slip through at each second's start), as a SYN-flood
 * defence counts SYNs: past the threshold every new client proves its
 * address first. */
static bool
retry_wanted(struct qm_worker *w)
{
	uint64_t now = w->s->now, el = now - w->hs_ts;

	if (el >= 1000000000ull) {
		w->hs_prev = el < 2000000000ull ? w->hs_cur : 0;
		w->hs_cur = 0;
		w->hs_ts = now;
	}
	w->hs_cur++;
	switch (w->mod->retry) {
	case QM_RETRY_ON:
		return true;
	case QM_RETRY_AUTO:
		return RTE_MAX(w->hs_cur - 1, w->hs_prev) >=
			w->mod->retry_threshold;
	default:
		return false;
	}
}

/* RFC 9000 17.2.5, 8.1.2: a Retry with a token sealing the client's
 * address, the time and its first DCID; our new CID for the client's
 * next Initial; the integrity tag over the client's first DCID. */
static void
send_retry(struct qm_worker *w, const struct tq_udp_dgram *d,
		const struct tq_quic_hdr *h)
{
	uint8_t tok[TQ_QUIC_TOKEN_MAX], nonce[TQ_QUIC_TOKEN_NONCE_LEN];
	struct tq_quic_cid rcid;
	struct tq_quic_wr wr;
	unsigned int i;
	size_t n;
	int tl;

	for (i = 0; i < sizeof(nonce); i++)
		nonce[i] = (uint8_t)rte_rand();
	tl = tq_quic_token_make(w->tok, TQ_QUIC_TOKEN_RETRY, &d->src, h->dcid,
			h->dcid_len, w->s->now / 1000000, nonce, tok,
			sizeof(tok));
	if (tl < 0 || make_cid(w, &rcid) < 0)
		return;
	tq_quic_wr_init(&wr, w->buf, sizeof(w->buf));
	if (tq_quic_hdr_write_retry(&wr, TQ_QUIC_VERSION_1, h->scid,
			h->scid_len, rcid.id, rcid.len, tok, (size_t)tl,
			(uint8_t)(rte_rand() & 0xf)) < 0)
		return;
	n = (size_t)(wr.pos - w->buf);
	if (n + TQ_QUIC_RETRY_TAG_LEN > sizeof(w->buf) ||
			tq_quic_retry_tag(w->retry_aead, w->cw, h->dcid,
				h->dcid_len, w->buf, n, w->buf + n) < 0)
		return;
	n += TQ_QUIC_RETRY_TAG_LEN;
	if (tq_udp_sendto(w->s, &d->dst, d->dport, &d->src, d->sport,
			w->buf, (uint32_t)n) == 0)
		TQ_INC(w->s, QUIC_RETRY_SENT);
	else
		TQ_INC(w->s, QUIC_SEND_FAILS);
}

/* RFC 9000 8.1.3: a Retry token that no longer validates ends the
 * attempt, which the client learns at once rather than by timing out. */
static void
send_invalid_token(struct qm_worker *w, const struct tq_udp_dgram *d,
		const struct tq_quic_hdr *h)
{
	struct tq_quic_cid scid;
	int n;

	if (!answer_ok(w) || make_cid(w, &scid) < 0)
		return;
	n = tq_quic_initial_close(w->cw, h->dcid, h->dcid_len, scid.id,
			scid.len, h->scid, h->scid_len, TQ_QUIC_INVALID_TOKEN,
			"invalid token", w->buf, sizeof(w->buf));
	if (n < 0)
		return;
	if (tq_udp_sendto(w->s, &d->dst, d->dport, &d->src, d->sport,
			w->buf, (uint32_t)n) == 0)
		TQ_INC(w->s, QUIC_INVALID_TOKEN_SENT);
	else
		TQ_INC(w->s, QUIC_SEND_FAILS);
}

/*
 * A client's first Initial (no connection for its DCID): check its
 * token, if any, and apply the Retry policy.  true: make the
 * connection, *v saying how its address stands; false: answered with a
 * Retry or a close, or dropped.  RFC 9000 8.1.3: a token that does not
 * validate counts for nothing (the client is treated as one without),
 * but one that was a Retry's (expired, another address) ends the
 * attempt: the client takes no second Retry, so it is closed with
 * INVALID_TOKEN rather than retried again.
 */
static bool
initial_gate(struct qm_worker *w, const struct tq_udp_dgram *d,
		const struct tq_quic_hdr *h, struct qm_valid *v)
{
	struct tq_shard *s = w->s;
	enum tq_quic_token_kind kind = 0;
	size_t olen = 0;
	int r;

	memset(v, 0, sizeof(*v));
	if (h->token_len) {
		r = tq_quic_token_check(w->tok, h->token, h->token_len,
				&d->src, s->now / 1000000, QM_RETRY_TOKEN_MS,
				QM_NEW_TOKEN_MS, &kind, v->odcid.id, &olen);
		if (r == 0) {
			TQ_INC(s, QUIC_TOKENS_ACCEPTED);
			v->validated = true;
			v->retried = kind == TQ_QUIC_TOKEN_RETRY;
			v->odcid.len = (uint8_t)olen;
			return true;
		}
		if (r == -ETIMEDOUT)
			TQ_INC(s, QUIC_TOKENS_EXPIRED);
		else if (r == -EACCES)
			TQ_INC(s, QUIC_TOKENS_WRONG_ADDR);
		else
			TQ_INC(s, QUIC_TOKENS_BAD);
		if (r != -EBADMSG && kind == TQ_QUIC_TOKEN_RETRY) {
			send_invalid_token(w, d, h);
			return false;
		}
	}
	if (!retry_wanted(w))
		return true;
	send_retry(w, d, h);
	return false;
}

/* NEW_CONNECTION_ID: a CID naming this worker, its stateless reset
 * token, in the table. */
static int
cid_make(void *arg, struct tq_quic_cid *cid, uint8_t token[16])
{
	struct qm_conn *q = arg;
	struct qm_worker *w = q->w;
	int r;

	r = make_cid(w, cid);
	if (r == 0)
		r = tq_quic_table_add(&w->table, cid, q);
	if (r == 0 && tq_quic_reset_token(w->tok, cid->id, cid->len,
			token) < 0) {
		tq_quic_table_del(&w->table, cid);
		r = -EIO;
	}
	return r;
}

static void
cid_retired(void *arg, const struct tq_quic_cid *cid)
{
	struct qm_conn *q = arg;

	tq_quic_table_del(&q->w->table, cid);
}

static const struct tq_quic_conn_cid_ops cid_ops = {
	.make = cid_make,
	.retired = cid_retired,
};

/* The largest UDP payload our link carries to peer, for the PMTU
 * search: the interface MTU less the IP and UDP headers (the path may
 * be narrower: the search finds out), within our datagram buffers. */
static uint32_t
probe_ceiling(const struct tq_quic_mod *m, struct tq_shard *s,
		const struct tq_addr *peer)
{
	uint32_t mtu = tq_net(s)->ifc->mtu;
	uint32_t hdr = (peer->family == AF_INET6 ? 40 : 20) + 8;

	if (m->no_pmtud || mtu <= hdr)
		return 0;
	return RTE_MIN(mtu - hdr, (uint32_t)QM_DGRAM_MAX);
}

void
tq_qm_conn_cfg(struct qm_worker *w, const struct tq_addr *peer,
		struct tq_quic_conn_cfg *cfg)
{
	const struct tq_quic_mod *m = w->mod;

	cfg->cw = w->cw;
	cfg->pool = w->s->pool;
	cfg->spool = w->spool;
	cfg->idle_timeout_ms = m->idle_ms;
	cfg->keepalive_ms = m->keepalive_ms;
	cfg->max_stream_data = m->max_stream_data;
	cfg->max_data = m->max_data;
	cfg->cc = m->cc;
	cfg->ecn = !m->no_ecn;
	cfg->max_dgram_probe = probe_ceiling(m, w->s, peer);
}

/* A client's first Initial: a server connection (RFC 9000 7.2). */
static struct qm_conn *
conn_new(struct qm_worker *w, struct tq_quic_listener *l,
		const struct tq_udp_dgram *d, const struct tq_quic_hdr *h,
		const struct qm_valid *v)
{
	struct tq_shard *s = w->s;
	struct tq_quic_mod *m = w->mod;
	struct tq_quic_conn_cfg cfg;
	uint8_t nt[TQ_QUIC_TOKEN_MAX], nonce[TQ_QUIC_TOKEN_NONCE_LEN];
	struct qm_conn *q;
	unsigned int i;
	int ntl;

	if (w->nb_conns >= m->max_conns) {
		TQ_INC(s, QUIC_DROP_FULL);
		return NULL;
	}
	q = calloc(1, sizeof(*q));
	if (!q) {
		TQ_INC(s, QUIC_DROP_NOMEM);
		return NULL;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.is_server = true;
	cfg.tls = l->tls;
	tq_qm_conn_cfg(w, &d->src, &cfg);
	if (make_cid(w, &cfg.scid) < 0)
		goto fail;
	cfg.dcid.len = h->dcid_len;
	memcpy(cfg.dcid.id, h->dcid, h->dcid_len);
	cfg.peer_scid.len = h->scid_len;
	memcpy(cfg.peer_scid.id, h->scid, h->scid_len);
	cfg.max_cids = QM_CIDS;
	cfg.retried = v->retried;
	cfg.original_dcid = v->odcid;
	cfg.addr_validated = v->validated;
	/* RFC 9000 8.1.3: a token for the client's next connection, sent
	 * once the handshake is confirmed */
	for (i = 0; i < sizeof(nonce); i++)
		nonce[i] = (uint8_t)rte_rand();
	ntl = tq_quic_token_make(w->tok, TQ_QUIC_TOKEN_NEW, &d->src, NULL, 0,
			s->now / 1000000, nonce, nt, sizeof(nt));
	if (ntl > 0) {
		cfg.token = nt;
		cfg.token_len = (size_t)ntl;
	}
	cfg.has_reset_token = tq_quic_reset_token(w->tok, cfg.scid.id,
			cfg.scid.len, cfg.reset_token) == 0;
	if (tq_quic_conn_new(&cfg, s->now, &q->c) < 0)
		goto fail;
	/* a file per connection, opened here on the worker (docs/
	 * observability.md: qlog); one that does not open means no qlog */
	if (m->qlog_dir)
		(void)tq_quic_conn_set_qlog(q->c, m->qlog_dir);
	q->w = w;
	q->scid = cfg.scid;
	q->local = d->dst;
	q->lport = d->dport;
	q->peer = d->src;
	q->pport = d->sport;
	tq_timer_init(&q->timer, tq_qm_on_timer, q);
	if (tq_quic_table_add(&w->table, &q->scid, q) < 0) {
		tq_quic_conn_free(q->c);
		goto fail;
	}
	/* Until our Initial reaches it the client sends to its own
	 * choice; a collision with another client's just means the later
	 * one's retransmits find nothing until it adopts our CID. */
	if (tq_quic_table_add(&w->table, &cfg.dcid, q) == 0)
		q->ocid = cfg.dcid;
	tq_quic_conn_set_shard(q->c, s);
	tq_quic_conn_set_kick(q->c, tq_qm_kick, q);
	tq_quic_conn_set_cid_ops(q->c, &cid_ops, q);
	tq_quic_conn_set_addrs(q->c, &q->local, q->lport, &q->peer, q->pport);
	q->next = w->conns;
	if (q->next)
		q->next->pprev = &q->next;
	q->pprev = &w->conns;
	w->conns = q;
	w->nb_conns++;
	TQ_INC(s, QUIC_CONNS_OPENED);
	s->ctr[TQ_CTR_QUIC_CURR_CONNS]++;
	if (l->cb)
		l->cb(s, tq_quic_conn_base(q->c), l->arg);
	return q;
fail:
	TQ_INC(s, QUIC_DROP_NOMEM);
	free(q);
	return NULL;
}

/*
 * Hand a datagram to the worker its DCID names, as TCP steers a segment:
 * the frame's headers are still in front of the payload (Ethernet, the
 * IP header of m->l3_len, UDP), so the owner takes it from the top of
 * its input.  A reassembled (chained) datagram cannot be: dropped.
 */
void
tq_qm_steer(struct tq_shard *s, struct rte_mbuf *m, unsigned int owner)
{
	struct tq_xmsg msg = { .type = TQ_XMSG_FRAME, .len = sizeof(m) };
	struct rte_ring *r = s->peers && owner < s->nb_workers ?
		s->peers[owner]->xin[s->id] : NULL;

	if (!r || m->nb_segs > 1 || m->l3_len == 0 ||
			!rte_pktmbuf_prepend(m, (uint16_t)(RTE_ETHER_HDR_LEN +
				m->l3_len + sizeof(struct rte_udp_hdr)))) {
		TQ_INC(s, QUIC_STEER_FAILS);
		rte_pktmbuf_free(m);
		return;
	}
	memcpy(msg.data, &m, sizeof(m));
	if (rte_ring_enqueue_elem(r, &msg, sizeof(msg)) < 0) {
		TQ_INC(s, QUIC_STEER_FAILS);
		rte_pktmbuf_free(m);
		return;
	}
	TQ_INC(s, QUIC_STEERED);
}

/* A datagram's bytes in one piece: reassembled datagrams come chained,
 * flattened into the worker's buffer (the connection is given that
 * copy). */
const uint8_t *
tq_qm_dgram_bytes(struct qm_worker *w, struct rte_mbuf *m, size_t len)
{
	const uint8_t *p;

	if (m->nb_segs == 1)
		return rte_pktmbuf_mtod(m, const uint8_t *);
	p = rte_pktmbuf_read(m, 0, (uint32_t)len, w->rxbuf);
	if (p != w->rxbuf)
		memcpy(w->rxbuf, p, len);
	return w->rxbuf;
}

/* A datagram into its connection (the flattened copy, or the mbuf
 * itself, no copy), then a drive. */
void
tq_qm_input(struct tq_shard *s, struct qm_conn *q, struct tq_udp_dgram *d,
		const uint8_t *p, size_t len)
{
	int r;

	if (p == q->w->rxbuf) {
		r = tq_quic_conn_input(q->c, p, len,
				(enum tq_quic_ecn)tq_ecn(d->tos), s->now);
		rte_pktmbuf_free(d->m);
	} else {
		r = tq_quic_conn_input_mbuf(q->c, d->m,
				(enum tq_quic_ecn)tq_ecn(d->tos), s->now);
	}
	if (r < 0)
		TQ_INC(s, QUIC_DROP_NOMEM);
	tq_qm_drive(q);
}

/* The UDP callback of a listener's port, on the receiving worker. */
static void
quic_rx(struct tq_shard *s, struct tq_udp_dgram *d, void *arg)
{
	struct tq_quic_listener *l = arg;
	struct qm_worker *w = l->mod->w[s->id];
	struct rte_mbuf *m = d->m;
	size_t len = rte_pktmbuf_pkt_len(m);
	const uint8_t *p;
	struct tq_quic_hdr h;
	struct tq_quic_cid cid;
	struct qm_valid v;
	struct qm_conn *q;
	uint8_t owner;
	int r;

	if (unlikely(!w || len == 0 || len > sizeof(w->rxbuf))) {
		TQ_INC(s, QUIC_DROP_MALFORMED);
		goto drop;
	}
	p = tq_qm_dgram_bytes(w, m, len);
	r = tq_quic_hdr_parse(p, len, w->mod->cid_len, &h);
	if (r == -EPROTONOSUPPORT) {
		send_vn(w, d, &h, len);
		goto drop;
	}
	if (r < 0) {
		TQ_INC(s, QUIC_DROP_MALFORMED);
		goto drop;
	}
	cid.len = h.dcid_len;
	memcpy(cid.id, h.dcid, h.dcid_len);
	q = tq_quic_table_lookup(&w->table, &cid);
	if (!q && tq_qm_reset_rx(w, p, len))
		goto drop;
	if (!q) {
		/* Ours, for another worker (a path RSS puts elsewhere): the
		 * whole frame goes there.  Not a client's Initial, whose DCID
		 * the client chose. */
		if (s->nb_workers > 1 && h.type != TQ_QUIC_PKT_INITIAL &&
				tq_quic_lb_cid_route(&w->mod->lb, h.dcid,
					h.dcid_len, &owner) == 0 &&
				owner != s->id) {
			tq_qm_steer(s, m, owner);
			return;
		}
		if (!(p[0] & 0x80)) {
			TQ_INC(s, QUIC_DROP_NO_CONN);
			send_reset(w, d, h.dcid, len);
			goto drop;
		}
		if (h.type != TQ_QUIC_PKT_INITIAL) {
			TQ_INC(s, QUIC_DROP_NO_CONN);
			goto drop;
		}
		if (len < 1200) {
			TQ_INC(s, QUIC_DROP_SHORT_INITIAL);
			goto drop;
		}
		/* RFC 9000 7.2: a client's first DCID has 8 bytes or more */
		if (h.dcid_len < 8) {
			TQ_INC(s, QUIC_DROP_MALFORMED);
			goto drop;
		}
		if (!initial_gate(w, d, &h, &v))
			goto drop;
		q = conn_new(w, l, d, &h, &v);
		if (!q)
			goto drop;
	}
	tq_quic_conn_set_rx_path(q->c, &d->src, d->sport);
	tq_qm_input(s, q, d, p, len);
	return;
drop:
	rte_pktmbuf_free(m);
}

/* ---- stop, detach ---- */

/* The engine stops: close every connection (CONNECTION_CLOSE sent
 * while the worker still polls); what is left is freed at detach. */
static void
quic_stop(struct tq_shard *s)
{
	struct tq_quic_mod *m = tq_engine_module_state(s->engine,
			&tq_quic_module);
	struct qm_worker *w = m ? m->w[s->id] : NULL;
	struct qm_conn *q, *next;

	if (!w)
		return;
	for (q = w->conns; q; q = next) {
		next = q->next;
		tq_conn_close(tq_quic_conn_base(q->c), 0);
		tq_qm_drive(q);
	}
}

static void
quic_detach(struct tq_shard *s)
{
	struct tq_quic_mod *m = s->engine ? tq_engine_module_state(s->engine,
			&tq_quic_module) : NULL;
	struct qm_worker *w = m ? m->w[s->id] : NULL;

	if (!w)
		return;
	while (w->conns)
		conn_free(w->conns);
	rte_pktmbuf_free(w->spare);
	tq_qm_client_tls_free(w);
	tq_quic_stream_pool_free(w->spool);
	tq_quic_table_fini(&w->table);
	tq_quic_table_fini(&w->rtab);
	tq_quic_aead_free(w->retry_aead);
	tq_quic_token_key_free(w->tok);
	tq_quic_crypto_worker_free(w->cw);
	m->w[s->id] = NULL;
	free(w);
}

static void
quic_fini(void *state)
{
	struct tq_quic_mod *m = state;
	struct tq_quic_listener *l;
	unsigned int i;

	for (i = 0; i < TQ_MAX_WORKERS; i++) {
		if (!m->w[i])
			continue;
		/* never attached to a running engine: no detach came */
		while (m->w[i]->conns)
			conn_free(m->w[i]->conns);
		rte_pktmbuf_free(m->w[i]->spare);
		tq_qm_client_tls_free(m->w[i]);
		tq_quic_table_fini(&m->w[i]->table);
		tq_quic_table_fini(&m->w[i]->rtab);
		tq_quic_aead_free(m->w[i]->retry_aead);
		tq_quic_token_key_free(m->w[i]->tok);
		tq_quic_crypto_worker_free(m->w[i]->cw);
		free(m->w[i]);
		m->w[i] = NULL;
	}
	while ((l = m->listeners) != NULL) {
		m->listeners = l->next;
		tq_quic_tls_ctx_free(l->tls);
		free(l);
	}
	free(m->cert_file);
	free(m->secret_file);
	tq_quic_wipe(m->secret, sizeof(m->secret));
	tq_quic_wipe(m->ticket_key, sizeof(m->ticket_key));
	free(m->key_file);
	free(m->qlog_dir);
	free(m->cert_pem);
	free(m->key_pem);
}

const struct tq_module tq_quic_module = {
	.name = "quic",
	.opts = quic_opts,
	.nb_opts = RTE_DIM(quic_opts),
	.state_size = sizeof(struct tq_quic_mod),
	.init = quic_init,
	.finish = quic_finish,
	.attach = quic_attach,
	.stop = quic_stop,
	.detach = quic_detach,
	.fini = quic_fini,
	.telemetry = tq_quic_telemetry,
};

/* ---- tq-ctl conns ---- */

static void
conn_row(const struct qm_conn *q, struct tq_quic_conn_row *r)
{
	struct tq_quic_conn_info in;

	tq_quic_conn_info(q->c, &in);
	memset(r, 0, sizeof(*r));
	r->la = q->local;
	r->lport = q->lport;
	r->fa = q->peer;
	r->fport = q->pport;
	r->state = (uint8_t)in.state;
	r->client = q->client;
	r->rtt_us = in.srtt_ns / 1000;
	r->rttvar_us = in.rttvar_ns / 1000;
	r->cwnd = in.cwnd;
	r->ssthresh = in.ssthresh;
	r->inflight = in.inflight;
	r->bytes_in = in.bytes_in;
	r->bytes_out = in.bytes_out;
	r->retrans = in.retransmits;
	r->lost = in.lost;
	r->streams = in.streams;
	snprintf(r->cc, sizeof(r->cc), "%s", in.cc);
}

/* Table slots a worker looks at per page: a call never holds it long,
 * however many connections it has. */
#define QM_WALK_BUDGET 65536

/*
 * By table slot, so the cursor stays put while connections come and
 * go.  A connection has several CIDs in the table (and a server's the
 * client's first DCID): it is listed at the slot of its first CID of
 * ours, once.
 */
unsigned int
tq_quic_conns_walk(struct tq_shard *s, const struct tq_quic_conn_filter *f,
		uint32_t *cursor, bool *end, struct tq_quic_conn_row *rows,
		unsigned int max)
{
	struct tq_quic_mod *m = s && s->engine ?
		tq_engine_module_state(s->engine, &tq_quic_module) : NULL;
	struct qm_worker *w = m && s->id < TQ_MAX_WORKERS ? m->w[s->id] : NULL;
	const struct tq_quic_table *t = w ? &w->table : NULL;
	uint32_t i = *cursor, budget = QM_WALK_BUDGET;
	unsigned int n = 0;

	*end = true;
	if (!t || !t->ent)
		return 0;
	for (; i <= t->mask && n < max && budget; i++, budget--) {
		const struct tq_quic_table_ent *e = &t->ent[i];
		const struct qm_conn *q = e->val;
		struct tq_quic_cid first;

		if (!q || !tq_quic_conn_local_cid(q->c, 0, &first) ||
				first.len != e->cid.len ||
				memcmp(first.id, e->cid.id, first.len) != 0)
			continue;
		if (f->state >= 0 &&
				(int)tq_quic_conn_state(q->c) != f->state)
			continue;
		if (f->port && q->lport != f->port && q->pport != f->port)
			continue;
		conn_row(q, &rows[n++]);
	}
	*cursor = i;
	*end = i > t->mask;
	return n;
}

/* ---- the public API ---- */

int
tq_quic_listen(struct tq_engine *e, const struct tq_addr *addr,
		uint16_t port, const char *alpn, tq_quic_accept_cb cb,
		void *arg)
{
	struct tq_quic_mod *m = tq_engine_module_state(e, &tq_quic_module);
	struct tq_quic_tls_conf tc;
	struct tq_quic_listener *l;
	const char *alpns[1];
	int r;

	if (!m || port == 0 || (alpn && (!*alpn ||
			strlen(alpn) >= sizeof(l->alpn))))
		return -EINVAL;
	tq_engine_ctl_lock(e);
	r = creds(m);
	if (r == 0)
		r = load_secret(m);
	tq_engine_ctl_unlock(e);
	if (r < 0)
		return r;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	snprintf(l->alpn, sizeof(l->alpn), "%s", alpn ? alpn : "h3");
	alpns[0] = l->alpn;
	memset(&tc, 0, sizeof(tc));
	tc.is_server = true;
	tc.alpn = alpns;
	tc.n_alpn = 1;
	tc.cert_file = m->cert_file;
	tc.key_file = m->key_file;
	tc.cert_pem = m->cert_pem;
	tc.key_pem = m->key_pem;
	/* tickets sealed with a key of this listener's, or with the one
	 * --quic-secret derives, shared by the servers and restarts that
	 * share the file: a ticket resumes where the transport parameters
	 * it remembers are the ones we still send, the same options (RFC
	 * 9000 7.4.1's "not reduced" holds as long as they do) */
	tc.tickets = true;
	tc.ticket_key = m->have_secret ? m->ticket_key : NULL;
	tc.early_data = m->early;
	tc.anti_replay_ms = m->early_window_ms;
	r = tq_quic_tls_ctx_new(&tc, &l->tls);
	if (r < 0) {
		free(l);
		return r;
	}
	l->mod = m;
	l->cb = cb;
	l->arg = arg;
	r = tq_udp_bind(e, addr, port, quic_rx, l);
	if (r < 0) {
		tq_quic_tls_ctx_free(l->tls);
		free(l);
		return r;
	}
	/* Kept until the engine ends: a worker may still hold it. */
	tq_engine_ctl_lock(e);
	l->next = m->listeners;
	m->listeners = l;
	tq_engine_ctl_unlock(e);
	return 0;
}
