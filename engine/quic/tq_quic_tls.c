/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QUIC's TLS 1.3 handshake (RFC 9001) over GnuTLS's QUIC interface
 * (3.7.0+): no records and no transport.  gnutls_handshake_write() takes
 * the peer's CRYPTO data per level, the "read function" gives us what
 * to send per level, the secret function hands over traffic secrets and
 * the alert function catches the alert TLS would have sent, which QUIC
 * carries as CRYPTO_ERROR instead (RFC 9001 4.8).  Transport parameters
 * ride in extension 0x39 registered on each session.
 *
 * Control path only: nothing here runs per packet.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "quic/tq_quic_tls.h"

#define TP_EXT_TYPE	0x39	/* quic_transport_parameters, RFC 9001 8.2 */
#define TP_MAX		65535	/* an extension's length is 16 bits */
/* ClientHellos with early data remembered for the anti-replay window:
 * a fixed table (control path, one lock per 0-RTT handshake); one
 * that finds no free slot within REPLAY_PROBE refuses the early data,
 * which costs a round trip, never a replay. */
#define REPLAY_SLOTS	(1u << 16)
#define REPLAY_PROBE	32
/* GnuTLS's anti-replay context is written by each check (the window's
 * rollover), so each thread (worker) has its own, and they share the
 * table of ClientHellos seen: up to AR_THREADS threads. */
#define AR_THREADS	64
/* the key GnuTLS gives starts with its context's window start (12
 * bytes), which differs per context: the rest is the ClientHello's */
#define AR_KEY_PREFIX	12

struct replay_db {
	pthread_mutex_t mu;
	struct {
		uint64_t h;
		time_t exp;
	} e[REPLAY_SLOTS];
};

struct tq_quic_tls_ctx {
	bool is_server;
	bool verify;
	unsigned int ciphers;
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t prio;
	size_t n_alpn;
	gnutls_datum_t alpn[TQ_QUIC_TLS_MAX_ALPN];
	bool tickets, early;
	gnutls_datum_t ticket_key;
	gnutls_anti_replay_t ar[AR_THREADS];
	struct replay_db *replay;
};

struct tq_quic_tls {
	struct tq_quic_tls_ctx *ctx;
	gnutls_session_t s;
	struct tq_quic_tls_ops ops;
	void *arg;
	uint8_t *tp;
	size_t tp_len;
	uint8_t *peer_tp;
	size_t peer_tp_len;
	bool peer_tp_seen;
	bool started;
	bool complete;
	bool confirmed;
	bool ticket_sent;
	bool early_offered;
	unsigned int tickets_rx;
	/* The highest level a read secret came for: CRYPTO data must come
	 * at it (RFC 9001 4.1.3), or at APP after completion. */
	enum tq_quic_level rx_level;
	int alert;		/* what TLS would have sent, -1: none */
	enum tq_quic_err local_err; /* our own reason, before TLS's */
	enum tq_quic_err err;	/* sticky */
};

/* ---- context ---- */

static int
gnutls_to_errno(int rc)
{
	switch (rc) {
	case GNUTLS_E_MEMORY_ERROR:
		return -ENOMEM;
	case GNUTLS_E_FILE_ERROR:
		return -ENOENT;
	case GNUTLS_E_INVALID_REQUEST:
		return -EINVAL;
	default:
		return -EBADMSG;
	}
}

/*
 * TLS 1.3 only, no middlebox compatibility mode (RFC 9001 8.4: no
 * ChangeCipherSpec, empty session ID), the three AEADs RFC 9001 uses
 * (not CCM), and X25519, P-256, P-384.  The client sends a key share
 * for each key type (GNUTLS_KEY_SHARE_TOP3): GnuTLS 3.7.9 holds one
 * share per type, so X25519 and P-256 get one and P-384 does not; a
 * server that takes only P-384 costs a HelloRetryRequest, which GnuTLS
 * cannot combine with early data (issue 11 must keep that in mind).
 */
static int
build_priority(unsigned int ciphers, unsigned int groups, char *buf,
		size_t cap)
{
	static const char *const cnames[] = {
		[TQ_QUIC_AES_128_GCM] = "+AES-128-GCM:",
		[TQ_QUIC_AES_256_GCM] = "+AES-256-GCM:",
		[TQ_QUIC_CHACHA20_POLY1305] = "+CHACHA20-POLY1305:",
	};
	static const char *const gnames[] = {
		":+GROUP-X25519", ":+GROUP-SECP256R1", ":+GROUP-SECP384R1",
	};
	size_t n;
	unsigned int i;

	n = (size_t)snprintf(buf, cap, "%s",
			"%DISABLE_TLS13_COMPAT_MODE:NORMAL:-VERS-ALL:"
			"+VERS-TLS1.3:-CIPHER-ALL:");
	for (i = 0; i < 3 && n < cap; i++)
		if (ciphers & (1u << i))
			n += (size_t)snprintf(buf + n, cap - n, "%s", cnames[i]);
	if (n < cap)
		n += (size_t)snprintf(buf + n, cap - n, "%s", "-GROUP-ALL");
	for (i = 0; i < 3 && n < cap; i++)
		if (groups & (1u << i))
			n += (size_t)snprintf(buf + n, cap - n, "%s", gnames[i]);
	return n < cap ? 0 : -EINVAL;
}

void
tq_quic_tls_ctx_free(struct tq_quic_tls_ctx *ctx)
{
	size_t i;

	if (!ctx)
		return;
	if (ctx->prio)
		gnutls_priority_deinit(ctx->prio);
	if (ctx->cred)
		gnutls_certificate_free_credentials(ctx->cred);
	for (i = 0; i < ctx->n_alpn; i++)
		free(ctx->alpn[i].data);
	for (i = 0; i < AR_THREADS; i++)
		if (ctx->ar[i])
			gnutls_anti_replay_deinit(ctx->ar[i]);
	if (ctx->replay) {
		pthread_mutex_destroy(&ctx->replay->mu);
		free(ctx->replay);
	}
	if (ctx->ticket_key.data) {
		tq_quic_wipe(ctx->ticket_key.data, ctx->ticket_key.size);
		gnutls_free(ctx->ticket_key.data);
	}
	free(ctx);
}

static int
ctx_alpn(struct tq_quic_tls_ctx *ctx, const struct tq_quic_tls_conf *conf)
{
	static const char *const dflt[] = { "h3" };
	const char *const *list = conf->alpn ? conf->alpn : dflt;
	size_t n = conf->alpn ? conf->n_alpn : 1;
	size_t i, len;

	if (n == 0 || n > TQ_QUIC_TLS_MAX_ALPN)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		len = list[i] ? strlen(list[i]) : 0;
		/* RFC 7301 3.1: 1 to 255 bytes each */
		if (len == 0 || len > 255)
			return -EINVAL;
		ctx->alpn[i].data = (unsigned char *)strdup(list[i]);
		if (!ctx->alpn[i].data)
			return -ENOMEM;
		ctx->alpn[i].size = (unsigned int)len;
		ctx->n_alpn = i + 1;
	}
	return 0;
}

static int
ctx_cred(struct tq_quic_tls_ctx *ctx, const struct tq_quic_tls_conf *conf)
{
	gnutls_datum_t c, k;
	int rc;

	rc = gnutls_certificate_allocate_credentials(&ctx->cred);
	if (rc < 0)
		return gnutls_to_errno(rc);
	if (conf->is_server) {
		if (conf->cert_file && conf->key_file) {
			rc = gnutls_certificate_set_x509_key_file(ctx->cred,
					conf->cert_file, conf->key_file,
					GNUTLS_X509_FMT_PEM);
		} else if (conf->cert_pem && conf->key_pem) {
			c.data = (unsigned char *)(uintptr_t)conf->cert_pem;
			c.size = (unsigned int)strlen(conf->cert_pem);
			k.data = (unsigned char *)(uintptr_t)conf->key_pem;
			k.size = (unsigned int)strlen(conf->key_pem);
			rc = gnutls_certificate_set_x509_key_mem(ctx->cred,
					&c, &k, GNUTLS_X509_FMT_PEM);
		} else {
			return -EINVAL;
		}
		return rc < 0 ? gnutls_to_errno(rc) : 0;
	}
	if (!conf->verify)
		return 0;
	if (conf->ca_file)
		rc = gnutls_certificate_set_x509_trust_file(ctx->cred,
				conf->ca_file, GNUTLS_X509_FMT_PEM);
	else
		rc = gnutls_certificate_set_x509_system_trust(ctx->cred);
	/* Both return the number of certificates: none is no trust. */
	if (rc == 0)
		return conf->ca_file ? -EBADMSG : -ENOENT;
	return rc < 0 ? gnutls_to_errno(rc) : 0;
}

/*
 * GnuTLS's anti-replay check (RFC 8446 8.2: a ClientHello with early
 * data, within the window, seen once) asks us to remember its key until
 * exp; an entry that is there and not expired is a replay.
 */
static int
replay_add(void *ptr, time_t exp, const gnutls_datum_t *key,
		const gnutls_datum_t *data)
{
	struct replay_db *db = ptr;
	time_t now = time(NULL);
	uint64_t h = 0xcbf29ce484222325ull;
	unsigned int i, at, free_at = REPLAY_SLOTS;
	int rc = GNUTLS_E_DB_ERROR;

	(void)data;
	for (i = key->size > AR_KEY_PREFIX ? AR_KEY_PREFIX : 0;
			i < key->size; i++)
		h = (h ^ key->data[i]) * 0x100000001b3ull;
	h |= 1;	/* 0 marks an empty slot */
	pthread_mutex_lock(&db->mu);
	for (i = 0; i < REPLAY_PROBE; i++) {
		at = (unsigned int)(h + i) & (REPLAY_SLOTS - 1);
		if (db->e[at].h == h && db->e[at].exp >= now) {
			rc = GNUTLS_E_DB_ENTRY_EXISTS;
			break;
		}
		if (free_at == REPLAY_SLOTS &&
				(db->e[at].h == 0 || db->e[at].exp < now))
			free_at = at;
	}
	if (i == REPLAY_PROBE && free_at != REPLAY_SLOTS) {
		db->e[free_at].h = h;
		db->e[free_at].exp = exp;
		rc = 0;
	}
	pthread_mutex_unlock(&db->mu);
	return rc;
}

/* Tickets (and 0-RTT) for a server context: the ticket key, and for
 * 0-RTT the anti-replay context with its table. */
static int
ctx_tickets(struct tq_quic_tls_ctx *ctx, const struct tq_quic_tls_conf *conf)
{
	unsigned int i;
	int rc;

	if (!conf->is_server) {
		ctx->early = conf->early_data;
		return 0;
	}
	ctx->tickets = conf->tickets;
	ctx->early = conf->tickets && conf->early_data;
	if (!ctx->tickets)
		return 0;
	if (conf->ticket_key) {
		ctx->ticket_key.data = gnutls_malloc(64);
		if (!ctx->ticket_key.data)
			return -ENOMEM;
		memcpy(ctx->ticket_key.data, conf->ticket_key, 64);
		ctx->ticket_key.size = 64;
	} else {
		rc = gnutls_session_ticket_key_generate(&ctx->ticket_key);
		if (rc < 0)
			return -EIO;
	}
	if (!ctx->early)
		return 0;
	ctx->replay = calloc(1, sizeof(*ctx->replay));
	if (!ctx->replay)
		return -ENOMEM;
	pthread_mutex_init(&ctx->replay->mu, NULL);
	for (i = 0; i < AR_THREADS; i++) {
		if (gnutls_anti_replay_init(&ctx->ar[i]) < 0) {
			ctx->ar[i] = NULL;
			return -ENOMEM;
		}
		gnutls_anti_replay_set_window(ctx->ar[i],
				conf->anti_replay_ms ? conf->anti_replay_ms :
				10000);
		gnutls_anti_replay_set_ptr(ctx->ar[i], ctx->replay);
		gnutls_anti_replay_set_add_function(ctx->ar[i], replay_add);
	}
	return 0;
}

int
tq_quic_tls_ctx_new(const struct tq_quic_tls_conf *conf,
		struct tq_quic_tls_ctx **out)
{
	struct tq_quic_tls_ctx *ctx;
	const char *errpos;
	char prio[256];
	int rc;

	*out = NULL;
	if (!conf || (conf->ciphers & ~7u) || (conf->groups & ~7u))
		return -EINVAL;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ctx->is_server = conf->is_server;
	ctx->verify = !conf->is_server && conf->verify;
	ctx->ciphers = conf->ciphers ? conf->ciphers : 7u;
	rc = ctx_alpn(ctx, conf);
	if (rc == 0)
		rc = ctx_cred(ctx, conf);
	if (rc == 0)
		rc = ctx_tickets(ctx, conf);
	if (rc == 0)
		rc = build_priority(ctx->ciphers,
				conf->groups ? conf->groups : 7u, prio,
				sizeof(prio));
	if (rc == 0 && gnutls_priority_init(&ctx->prio, prio, &errpos) < 0) {
		ctx->prio = NULL;
		rc = -EIO;
	}
	if (rc < 0) {
		tq_quic_tls_ctx_free(ctx);
		return rc;
	}
	*out = ctx;
	return 0;
}

/* ---- GnuTLS callbacks ---- */

static struct tq_quic_tls *
tls_of(gnutls_session_t s)
{
	return gnutls_session_get_ptr(s);
}

/* Any error GnuTLS does not know is fatal to it; this one says "ours". */
#define OUR_ERROR GNUTLS_E_APPLICATION_ERROR_MIN

static int
fail_local(struct tq_quic_tls *t, enum tq_quic_err e)
{
	if (t->local_err == TQ_QUIC_NO_ERROR)
		t->local_err = e;
	return OUR_ERROR;
}

static int
tp_send(gnutls_session_t s, gnutls_buffer_t buf)
{
	struct tq_quic_tls *t = tls_of(s);
	int rc;

	/* Nothing set: no extension (GnuTLS drops an empty one). */
	if (!t->tp)
		return 0;
	rc = gnutls_buffer_append_data(buf, t->tp, t->tp_len);
	return rc < 0 ? rc : (int)t->tp_len;
}

static int
tp_recv(gnutls_session_t s, const unsigned char *data, size_t len)
{
	struct tq_quic_tls *t = tls_of(s);
	enum tq_quic_err e;

	/* A second time only in the ClientHello after a HelloRetryRequest
	 * (GnuTLS refuses an extension twice in one message): the new one
	 * stands, and the connection hears it again. */
	free(t->peer_tp);
	t->peer_tp_seen = false;
	t->peer_tp = malloc(len ? len : 1);
	if (!t->peer_tp)
		return fail_local(t, TQ_QUIC_INTERNAL_ERROR);
	if (len)
		memcpy(t->peer_tp, data, len);
	t->peer_tp_len = len;
	t->peer_tp_seen = true;
	if (t->ops.peer_tp) {
		e = t->ops.peer_tp(t->arg, t->peer_tp, len);
		if (e != TQ_QUIC_NO_ERROR)
			return fail_local(t, e);
	}
	return 0;
}

/*
 * RFC 9001 8.2: a ClientHello or EncryptedExtensions without transport
 * parameters ends the handshake with missing_extension; 8.1: so does
 * one that negotiates no application protocol, with
 * no_application_protocol (GnuTLS's GNUTLS_ALPN_MANDATORY refuses a
 * list with nothing in common, not a peer that sends no ALPN at all).
 * A hook on the message that carries the extensions is not sure to
 * run after GnuTLS parsed them, so the checks run at the next step: the
 * server's before it writes ServerHello, the client's on the first
 * message after EncryptedExtensions; neither side has sent anything
 * more by then.
 */
static int
hs_hook(gnutls_session_t s, unsigned int htype, unsigned int when,
		unsigned int incoming, const gnutls_datum_t *msg)
{
	struct tq_quic_tls *t = tls_of(s);
	gnutls_datum_t p;
	bool check;

	(void)msg;
	if (when == GNUTLS_HOOK_POST && incoming &&
			htype == GNUTLS_HANDSHAKE_NEW_SESSION_TICKET)
		t->tickets_rx++;
	if (when != GNUTLS_HOOK_PRE)
		return 0;
	if (t->ctx->is_server)
		check = !incoming && htype == GNUTLS_HANDSHAKE_SERVER_HELLO;
	else
		check = incoming &&
			(htype == GNUTLS_HANDSHAKE_CERTIFICATE_REQUEST ||
			 htype == GNUTLS_HANDSHAKE_CERTIFICATE_PKT ||
			 htype == GNUTLS_HANDSHAKE_FINISHED);
	if (!check)
		return 0;
	if (!t->peer_tp_seen)
		return fail_local(t, TQ_QUIC_CRYPTO_ERROR_ALERT(
				TQ_TLS_ALERT_MISSING_EXTENSION));
	if (gnutls_alpn_get_selected_protocol(s, &p) < 0 || p.size == 0)
		return fail_local(t, TQ_QUIC_CRYPTO_ERROR_ALERT(
				TQ_TLS_ALERT_NO_APPLICATION_PROTOCOL));
	return 0;
}

static int
hs_out(gnutls_session_t s, gnutls_record_encryption_level_t level,
		gnutls_handshake_description_t htype, const void *data,
		size_t len)
{
	struct tq_quic_tls *t = tls_of(s);

	/* Not in QUIC (compatibility mode is off), but never send one. */
	if (htype == GNUTLS_HANDSHAKE_CHANGE_CIPHER_SPEC || len == 0)
		return 0;
	if (t->ops.crypto_data((void *)t->arg, (enum tq_quic_level)level,
			data, len) != 0)
		return fail_local(t, TQ_QUIC_INTERNAL_ERROR);
	return 0;
}

static int
hs_secret(gnutls_session_t s, gnutls_record_encryption_level_t level,
		const void *rd, const void *wr, size_t len)
{
	struct tq_quic_tls *t = tls_of(s);
	enum tq_quic_cipher c;
	int gc;

	gc = level == GNUTLS_ENCRYPTION_LEVEL_EARLY ?
		(int)gnutls_early_cipher_get(s) : (int)gnutls_cipher_get(s);
	if (tq_quic_cipher_from_gnutls(gc, &c) < 0 ||
			len != tq_quic_cipher_secret_len(c))
		return fail_local(t, TQ_QUIC_INTERNAL_ERROR);
	if (level == GNUTLS_ENCRYPTION_LEVEL_EARLY && wr)
		t->early_offered = true;
	if (rd) {
		if (t->ops.secret(t->arg, (enum tq_quic_level)level,
				TQ_QUIC_DIR_READ, c, rd, len) != 0)
			return fail_local(t, TQ_QUIC_INTERNAL_ERROR);
		if ((enum tq_quic_level)level > t->rx_level &&
				level != GNUTLS_ENCRYPTION_LEVEL_EARLY)
			t->rx_level = (enum tq_quic_level)level;
	}
	if (wr && t->ops.secret(t->arg, (enum tq_quic_level)level,
			TQ_QUIC_DIR_WRITE, c, wr, len) != 0)
		return fail_local(t, TQ_QUIC_INTERNAL_ERROR);
	return 0;
}

/* Called where TLS would send an alert: QUIC sends it as an error
 * code in CONNECTION_CLOSE instead. */
static int
hs_alert(gnutls_session_t s, gnutls_record_encryption_level_t level,
		gnutls_alert_level_t alevel, gnutls_alert_description_t desc)
{
	struct tq_quic_tls *t = tls_of(s);

	(void)level;
	(void)alevel;
	if (t->alert < 0)
		t->alert = (int)desc & 0xff;
	return 0;
}

/* ---- session ---- */

/* This thread's anti-replay context (see AR_THREADS). */
static unsigned int
ar_slot(void)
{
	static unsigned int next;
	static __thread unsigned int slot = UINT32_MAX;

	if (slot == UINT32_MAX)
		slot = __atomic_fetch_add(&next, 1, __ATOMIC_RELAXED) %
			AR_THREADS;
	return slot;
}

int
tq_quic_tls_new(struct tq_quic_tls_ctx *ctx, const char *server_name,
		const struct tq_quic_tls_ops *ops, void *arg,
		struct tq_quic_tls **out)
{
	struct tq_quic_tls *t;
	unsigned char ip[16];
	unsigned int flags;
	int rc;

	*out = NULL;
	if (!ctx || !ops || !ops->crypto_data || !ops->secret)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->ctx = ctx;
	t->ops = *ops;
	t->arg = arg;
	t->alert = -1;
	t->rx_level = TQ_QUIC_LEVEL_INITIAL;
	/* Tickets are sent by hand once complete (handshake_done()), so
	 * they go out at 1-RTT.  The client offers a key share for each of
	 * its three groups.  0-RTT in QUIC has no EndOfEarlyData (RFC 9001
	 * 8.3). */
	flags = ctx->is_server ? GNUTLS_SERVER | GNUTLS_NO_AUTO_SEND_TICKET :
		GNUTLS_CLIENT | GNUTLS_KEY_SHARE_TOP3;
	if (ctx->early)
		flags |= GNUTLS_ENABLE_EARLY_DATA | GNUTLS_NO_END_OF_EARLY_DATA;
	rc = gnutls_init(&t->s, flags);
	if (rc < 0) {
		free(t);
		return gnutls_to_errno(rc);
	}
	gnutls_session_set_ptr(t->s, t);
	rc = gnutls_priority_set(t->s, ctx->prio);
	if (rc == 0)
		rc = gnutls_credentials_set(t->s, GNUTLS_CRD_CERTIFICATE,
				ctx->cred);
	if (rc == 0)
		rc = gnutls_alpn_set_protocols(t->s, ctx->alpn,
				(unsigned int)ctx->n_alpn,
				GNUTLS_ALPN_MANDATORY |
				(ctx->is_server ? GNUTLS_ALPN_SERVER_PRECEDENCE
						: 0));
	if (rc == 0)
		rc = gnutls_session_ext_register(t->s,
				"quic_transport_parameters", TP_EXT_TYPE,
				GNUTLS_EXT_TLS, tp_recv, tp_send, NULL, NULL,
				NULL, GNUTLS_EXT_FLAG_TLS |
				GNUTLS_EXT_FLAG_CLIENT_HELLO |
				GNUTLS_EXT_FLAG_EE);
	if (rc == 0 && !ctx->is_server && server_name) {
		/* RFC 6066 3: no IP literal in SNI. */
		if (inet_pton(AF_INET, server_name, ip) != 1 &&
				inet_pton(AF_INET6, server_name, ip) != 1)
			rc = gnutls_server_name_set(t->s, GNUTLS_NAME_DNS,
					server_name, strlen(server_name));
	}
	if (rc == 0 && ctx->verify)
		gnutls_session_set_verify_cert(t->s, server_name, 0);
	if (rc == 0 && ctx->tickets)
		rc = gnutls_session_ticket_enable_server(t->s,
				&ctx->ticket_key);
	if (rc == 0 && ctx->is_server && ctx->early) {
		/* RFC 9001 4.6.1: a ticket for QUIC 0-RTT says 0xffffffff */
		gnutls_anti_replay_enable(t->s, ctx->ar[ar_slot()]);
		rc = gnutls_record_set_max_early_data_size(t->s, 0xffffffffu);
	}
	if (rc < 0) {
		tq_quic_tls_free(t);
		return gnutls_to_errno(rc);
	}
	gnutls_handshake_set_secret_function(t->s, hs_secret);
	gnutls_handshake_set_read_function(t->s, hs_out);
	gnutls_alert_set_read_function(t->s, hs_alert);
	gnutls_handshake_set_hook_function(t->s, GNUTLS_HANDSHAKE_ANY,
			GNUTLS_HOOK_BOTH, hs_hook);
	*out = t;
	return 0;
}

void
tq_quic_tls_free(struct tq_quic_tls *t)
{
	if (!t)
		return;
	if (t->s)
		gnutls_deinit(t->s);
	free(t->tp);
	free(t->peer_tp);
	free(t);
}

int
tq_quic_tls_set_tp(struct tq_quic_tls *t, const uint8_t *tp, size_t len)
{
	uint8_t *p;

	if (!tp || len == 0 || len > TP_MAX)
		return -EINVAL;
	if (t->started)
		return -EBUSY;
	p = malloc(len);
	if (!p)
		return -ENOMEM;
	memcpy(p, tp, len);
	free(t->tp);
	t->tp = p;
	t->tp_len = len;
	return 0;
}

static enum tq_quic_err
fail(struct tq_quic_tls *t, int rc)
{
	enum tq_quic_err e;
	int lvl, a;

	if (t->local_err != TQ_QUIC_NO_ERROR) {
		e = t->local_err;
	} else {
		/* Through hs_alert, when GnuTLS has a write epoch ... */
		if (t->alert < 0 && rc < 0)
			gnutls_alert_send_appropriate(t->s, rc);
		/* ... else straight from the table it uses. */
		if (t->alert < 0 && rc < 0) {
			a = gnutls_error_to_alert(rc, &lvl);
			if (a >= 0)
				t->alert = a & 0xff;
		}
		if (t->alert < 0)
			t->alert = TQ_TLS_ALERT_INTERNAL_ERROR;
		e = TQ_QUIC_CRYPTO_ERROR_ALERT((unsigned int)t->alert);
	}
	t->err = e;
	return e;
}

static enum tq_quic_err
handshake_done(struct tq_quic_tls *t)
{
	gnutls_datum_t p;

	/* RFC 9001 8.1: no protocol, no connection (GnuTLS's MANDATORY
	 * covers a server that got none it knows, not a silent one). */
	if (gnutls_alpn_get_selected_protocol(t->s, &p) < 0 || p.size == 0) {
		fail_local(t, TQ_QUIC_CRYPTO_ERROR_ALERT(
				TQ_TLS_ALERT_NO_APPLICATION_PROTOCOL));
		return fail(t, OUR_ERROR);
	}
	if (!t->peer_tp_seen) {
		fail_local(t, TQ_QUIC_CRYPTO_ERROR_ALERT(
				TQ_TLS_ALERT_MISSING_EXTENSION));
		return fail(t, OUR_ERROR);
	}
	t->complete = true;
	if (t->ctx->is_server)
		t->confirmed = true;
	/* One ticket, at 1-RTT (crypto_data at APP); a connection works
	 * on without one, so a failure here is not the handshake's. */
	if (t->ctx->tickets && !t->ticket_sent) {
		t->ticket_sent = true;
		(void)gnutls_session_ticket_send(t->s, 1, 0);
	}
	return TQ_QUIC_NO_ERROR;
}

static enum tq_quic_err
drive(struct tq_quic_tls *t)
{
	int rc;

	rc = gnutls_handshake(t->s);
	if (rc == 0)
		return handshake_done(t);
	/* GNUTLS_E_AGAIN: it wants more bytes from the peer. */
	if (!gnutls_error_is_fatal(rc) && t->local_err == TQ_QUIC_NO_ERROR)
		return TQ_QUIC_NO_ERROR;
	return fail(t, rc);
}

enum tq_quic_err
tq_quic_tls_start(struct tq_quic_tls *t)
{
	if (t->err != TQ_QUIC_NO_ERROR)
		return t->err;
	if (t->ctx->is_server || t->started)
		return TQ_QUIC_NO_ERROR;
	t->started = true;
	return drive(t);
}

enum tq_quic_err
tq_quic_tls_provide(struct tq_quic_tls *t, enum tq_quic_level level,
		const uint8_t *data, size_t len)
{
	int rc;

	if (t->err != TQ_QUIC_NO_ERROR)
		return t->err;
	if ((unsigned int)level >= TQ_QUIC_LEVEL_MAX || (len && !data)) {
		t->err = TQ_QUIC_INTERNAL_ERROR;
		return t->err;
	}
	if (!t->ctx->is_server && !t->started) {
		t->err = TQ_QUIC_PROTOCOL_VIOLATION;
		return t->err;
	}
	t->started = true;
	/* RFC 9001 4.1.3: handshake data only at the level TLS reads;
	 * the connection's reassembly already dropped retransmissions. */
	if (len && level != t->rx_level) {
		t->err = TQ_QUIC_PROTOCOL_VIOLATION;
		return t->err;
	}
	if (len) {
		rc = gnutls_handshake_write(t->s,
				(gnutls_record_encryption_level_t)level,
				data, len);
		if (rc < 0 && (gnutls_error_is_fatal(rc) ||
				t->local_err != TQ_QUIC_NO_ERROR))
			return fail(t, rc);
	}
	if (t->complete)
		return TQ_QUIC_NO_ERROR;
	return drive(t);
}

bool
tq_quic_tls_complete(const struct tq_quic_tls *t)
{
	return t->complete;
}

bool
tq_quic_tls_confirmed(const struct tq_quic_tls *t)
{
	return t->confirmed;
}

void
tq_quic_tls_confirm(struct tq_quic_tls *t)
{
	if (t->complete)
		t->confirmed = true;
}

enum tq_quic_err
tq_quic_tls_error(const struct tq_quic_tls *t)
{
	return t->err;
}

bool
tq_quic_tls_is_server(const struct tq_quic_tls *t)
{
	return t->ctx->is_server;
}

const uint8_t *
tq_quic_tls_alpn(const struct tq_quic_tls *t, size_t *len)
{
	gnutls_datum_t p;

	if (gnutls_alpn_get_selected_protocol(t->s, &p) < 0 || p.size == 0) {
		*len = 0;
		return NULL;
	}
	*len = p.size;
	return p.data;
}

int
tq_quic_tls_cipher(const struct tq_quic_tls *t, enum tq_quic_cipher *c)
{
	if (tq_quic_cipher_from_gnutls((int)gnutls_cipher_get(t->s), c) < 0)
		return -EAGAIN;
	return 0;
}

const uint8_t *
tq_quic_tls_peer_tp(const struct tq_quic_tls *t, size_t *len)
{
	*len = t->peer_tp_seen ? t->peer_tp_len : 0;
	return t->peer_tp_seen ? t->peer_tp : NULL;
}

int
tq_quic_tls_set_session(struct tq_quic_tls *t, const uint8_t *data,
		size_t len)
{
	if (t->ctx->is_server || !data || len == 0 || len > UINT32_MAX)
		return -EINVAL;
	if (t->started)
		return -EBUSY;
	if (gnutls_session_set_data(t->s, data, len) < 0)
		return -EINVAL;
	return 0;
}

int
tq_quic_tls_get_session(struct tq_quic_tls *t, uint8_t **data, size_t *len)
{
	gnutls_datum_t d = { NULL, 0 };
	uint8_t *p;

	*data = NULL;
	*len = 0;
	if (t->ctx->is_server || !t->complete || t->tickets_rx == 0)
		return -EAGAIN;
	if (gnutls_session_get_data2(t->s, &d) < 0 || d.size == 0)
		return -EAGAIN;
	p = malloc(d.size);
	if (p)
		memcpy(p, d.data, d.size);
	gnutls_free(d.data);
	if (!p)
		return -ENOMEM;
	*data = p;
	*len = d.size;
	return 0;
}

unsigned int
tq_quic_tls_tickets(const struct tq_quic_tls *t)
{
	return t->tickets_rx;
}

bool
tq_quic_tls_resumed(const struct tq_quic_tls *t)
{
	return t->complete && gnutls_session_is_resumed(t->s) != 0;
}

bool
tq_quic_tls_early_offered(const struct tq_quic_tls *t)
{
	return t->early_offered;
}

bool
tq_quic_tls_early_accepted(const struct tq_quic_tls *t)
{
	return t->complete && (gnutls_session_get_flags(t->s) &
			GNUTLS_SFLAGS_EARLY_DATA) != 0;
}

void *
tq_quic_tls_gnutls_session(struct tq_quic_tls *t)
{
	return t->s;
}

const char *
tq_quic_level_name(enum tq_quic_level level)
{
	switch (level) {
	case TQ_QUIC_LEVEL_INITIAL:
		return "initial";
	case TQ_QUIC_LEVEL_EARLY:
		return "0rtt";
	case TQ_QUIC_LEVEL_HANDSHAKE:
		return "handshake";
	case TQ_QUIC_LEVEL_APP:
		return "1rtt";
	default:
		return "?";
	}
}

/* ---- self-signed certificate ---- */

static int
export_pem(gnutls_datum_t *d, char **out)
{
	char *p = malloc((size_t)d->size + 1);

	if (!p)
		return -ENOMEM;
	memcpy(p, d->data, d->size);
	p[d->size] = '\0';
	*out = p;
	return 0;
}

int
tq_quic_tls_self_signed(const char *dns_name, char **cert_pem, char **key_pem)
{
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t cd = { NULL, 0 }, kd = { NULL, 0 };
	unsigned char serial[16];
	time_t now = time(NULL);
	int rc;

	*cert_pem = NULL;
	*key_pem = NULL;
	if (!dns_name || !*dns_name || strlen(dns_name) > 253)
		return -EINVAL;
	rc = gnutls_x509_privkey_init(&key);
	if (rc == 0)
		rc = gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
				GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1),
				0);
	if (rc == 0)
		rc = gnutls_x509_crt_init(&crt);
	if (rc == 0)
		rc = gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial));
	serial[0] &= 0x7f;	/* a positive INTEGER */
	if (rc == 0)
		rc = gnutls_x509_crt_set_serial(crt, serial, sizeof(serial));
	if (rc == 0)
		rc = gnutls_x509_crt_set_version(crt, 3);
	if (rc == 0)
		rc = gnutls_x509_crt_set_activation_time(crt, now - 3600);
	if (rc == 0)
		rc = gnutls_x509_crt_set_expiration_time(crt, now + 86400);
	if (rc == 0)
		rc = gnutls_x509_crt_set_dn_by_oid(crt,
				GNUTLS_OID_X520_COMMON_NAME, 0, dns_name,
				(unsigned int)strlen(dns_name));
	if (rc == 0)
		rc = gnutls_x509_crt_set_subject_alt_name(crt,
				GNUTLS_SAN_DNSNAME, dns_name,
				(unsigned int)strlen(dns_name),
				GNUTLS_FSAN_SET);
	if (rc == 0)
		rc = gnutls_x509_crt_set_key(crt, key);
	if (rc == 0)
		rc = gnutls_x509_crt_set_key_usage(crt,
				GNUTLS_KEY_DIGITAL_SIGNATURE);
	if (rc == 0)
		rc = gnutls_x509_crt_set_key_purpose_oid(crt,
				GNUTLS_KP_TLS_WWW_SERVER, 0);
	if (rc == 0)
		rc = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0);
	if (rc == 0)
		rc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &cd);
	if (rc == 0)
		rc = gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &kd);
	if (rc < 0)
		rc = rc == GNUTLS_E_MEMORY_ERROR ? -ENOMEM : -EIO;
	if (rc == 0)
		rc = export_pem(&cd, cert_pem);
	if (rc == 0)
		rc = export_pem(&kd, key_pem);
	if (rc < 0) {
		free(*cert_pem);
		*cert_pem = NULL;
	}
	if (kd.data) {
		tq_quic_wipe(kd.data, kd.size);
		gnutls_free(kd.data);
	}
	gnutls_free(cd.data);
	if (crt)
		gnutls_x509_crt_deinit(crt);
	if (key)
		gnutls_x509_privkey_deinit(key);
	return rc;
}

/* ---- keys per level ---- */

int
tq_quic_key_set_install(struct tq_quic_key_set *ks,
		struct tq_quic_crypto_worker *w, enum tq_quic_level level,
		enum tq_quic_dir dir, enum tq_quic_cipher cipher,
		const uint8_t *secret, size_t len)
{
	struct tq_quic_keys k;
	struct tq_quic_aead *a;
	int rc;

	if ((unsigned int)level >= TQ_QUIC_LEVEL_MAX ||
			(dir != TQ_QUIC_DIR_READ && dir != TQ_QUIC_DIR_WRITE))
		return -EINVAL;
	rc = tq_quic_keys_derive(cipher, secret, len, &k);
	if (rc < 0)
		return rc;
	rc = tq_quic_aead_new(w, &k, &a);
	if (rc < 0) {
		tq_quic_wipe(&k, sizeof(k));
		return rc;
	}
	tq_quic_aead_free(ks->aead[level][dir]);
	ks->aead[level][dir] = a;
	if (level == TQ_QUIC_LEVEL_APP) {
		/* RFC 9001 6: the next generation grows from these. */
		ks->app_cipher = cipher;
		ks->app_secret_len = len;
		memcpy(ks->app_secret[dir], secret, len);
		ks->app_keys[dir] = k;
	}
	tq_quic_wipe(&k, sizeof(k));
	return 0;
}

int
tq_quic_key_set_next(struct tq_quic_key_set *ks,
		struct tq_quic_crypto_worker *w, enum tq_quic_dir dir,
		struct tq_quic_aead **out)
{
	uint8_t secret[TQ_QUIC_MAX_SECRET_LEN];
	struct tq_quic_keys k;
	int rc;

	*out = NULL;
	if ((dir != TQ_QUIC_DIR_READ && dir != TQ_QUIC_DIR_WRITE) ||
			ks->app_secret_len == 0)
		return -EINVAL;
	rc = tq_quic_keys_next(&ks->app_keys[dir], ks->app_secret[dir],
			ks->app_secret_len, secret, &k);
	if (rc == 0)
		rc = tq_quic_aead_new(w, &k, out);
	if (rc == 0) {
		memcpy(ks->app_secret[dir], secret, ks->app_secret_len);
		ks->app_keys[dir] = k;
	}
	tq_quic_wipe(secret, sizeof(secret));
	tq_quic_wipe(&k, sizeof(k));
	return rc;
}

int
tq_quic_key_set_initial(struct tq_quic_key_set *ks,
		struct tq_quic_crypto_worker *w, bool is_server,
		const uint8_t *dcid, size_t dcid_len)
{
	uint8_t cs[TQ_QUIC_INITIAL_SECRET_LEN], ss[TQ_QUIC_INITIAL_SECRET_LEN];
	int rc;

	rc = tq_quic_initial_secrets(dcid, dcid_len, cs, ss);
	if (rc == 0)
		rc = tq_quic_key_set_install(ks, w, TQ_QUIC_LEVEL_INITIAL,
				TQ_QUIC_DIR_READ, TQ_QUIC_AES_128_GCM,
				is_server ? cs : ss, sizeof(cs));
	if (rc == 0)
		rc = tq_quic_key_set_install(ks, w, TQ_QUIC_LEVEL_INITIAL,
				TQ_QUIC_DIR_WRITE, TQ_QUIC_AES_128_GCM,
				is_server ? ss : cs, sizeof(ss));
	tq_quic_wipe(cs, sizeof(cs));
	tq_quic_wipe(ss, sizeof(ss));
	return rc;
}

void
tq_quic_key_set_drop(struct tq_quic_key_set *ks, enum tq_quic_level level)
{
	if ((unsigned int)level >= TQ_QUIC_LEVEL_MAX)
		return;
	tq_quic_aead_free(ks->aead[level][TQ_QUIC_DIR_READ]);
	tq_quic_aead_free(ks->aead[level][TQ_QUIC_DIR_WRITE]);
	ks->aead[level][TQ_QUIC_DIR_READ] = NULL;
	ks->aead[level][TQ_QUIC_DIR_WRITE] = NULL;
	if (level == TQ_QUIC_LEVEL_APP) {
		tq_quic_wipe(ks->app_secret, sizeof(ks->app_secret));
		tq_quic_wipe(ks->app_keys, sizeof(ks->app_keys));
		ks->app_secret_len = 0;
	}
}

void
tq_quic_key_set_free(struct tq_quic_key_set *ks)
{
	unsigned int l;

	for (l = 0; l < TQ_QUIC_LEVEL_MAX; l++)
		tq_quic_key_set_drop(ks, (enum tq_quic_level)l);
}
