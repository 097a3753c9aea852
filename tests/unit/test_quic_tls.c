/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QUIC's TLS handshake (engine/quic/tq_quic_tls.c): a client and a
 * server session joined in memory, their CRYPTO data carried level by
 * level through provide and the crypto_data callback, their secrets
 * installed with tq_quic_key_set_install().  A self-signed certificate
 * is made at start (tq_quic_tls_self_signed) and written to PEM files,
 * so the server loads it as it would in production.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>

#include <cmocka.h>
#include <gnutls/gnutls.h>

#include "quic/tq_quic_crypto.h"
#include "quic/tq_quic_tls.h"
#include "quic/tq_quic_wire.h"

#define OUT_CAP 16384
#define NAME "quic.test"

struct side {
	struct tq_quic_tls *t;
	bool is_server;
	struct {
		uint8_t buf[OUT_CAP];
		size_t len;
		size_t sent;
	} out[TQ_QUIC_LEVEL_MAX];
	struct tq_quic_key_set ks;
	enum tq_quic_cipher cipher;
	/* the order secrets came in: level * 2 + dir */
	int order[2 * TQ_QUIC_LEVEL_MAX];
	unsigned int n_secrets;
	int tp_cb_calls;
	enum tq_quic_err tp_verdict;
};

static struct tq_quic_crypto_worker *w;
static char cert_path[64], key_path[64];
static char *cert_pem, *key_pem;

static int
on_crypto(void *arg, enum tq_quic_level level, const uint8_t *d, size_t n)
{
	struct side *s = arg;

	if (s->out[level].len + n > OUT_CAP)
		return -EMSGSIZE;
	memcpy(s->out[level].buf + s->out[level].len, d, n);
	s->out[level].len += n;
	return 0;
}

static int
on_secret(void *arg, enum tq_quic_level level, enum tq_quic_dir dir,
		enum tq_quic_cipher c, const uint8_t *secret, size_t len)
{
	struct side *s = arg;

	if (s->n_secrets < 2 * TQ_QUIC_LEVEL_MAX)
		s->order[s->n_secrets++] = (int)level * 2 + (int)dir;
	s->cipher = c;
	return tq_quic_key_set_install(&s->ks, w, level, dir, c, secret, len);
}

static enum tq_quic_err
on_peer_tp(void *arg, const uint8_t *tp, size_t len)
{
	struct side *s = arg;

	(void)tp;
	(void)len;
	s->tp_cb_calls++;
	return s->tp_verdict;
}

static const struct tq_quic_tls_ops ops = {
	.crypto_data = on_crypto,
	.secret = on_secret,
	.peer_tp = on_peer_tp,
};

static int
write_file(char *path, const char *tmpl, const char *data)
{
	int fd;
	size_t n = strlen(data);

	strcpy(path, tmpl);
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	if (write(fd, data, n) != (ssize_t)n) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int
setup(void **state)
{
	(void)state;
	if (tq_quic_crypto_worker_new(TQ_QUIC_CRYPTO_AUTO, &w) < 0)
		return -1;
	if (tq_quic_tls_self_signed(NAME, &cert_pem, &key_pem) < 0)
		return -1;
	if (write_file(cert_path, "/tmp/tq-quic-cert-XXXXXX", cert_pem) < 0 ||
			write_file(key_path, "/tmp/tq-quic-key-XXXXXX",
				key_pem) < 0)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(cert_path);
	unlink(key_path);
	free(cert_pem);
	free(key_pem);
	tq_quic_crypto_worker_free(w);
	return 0;
}

static const uint8_t scid_c[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const uint8_t scid_s[5] = { 9, 9, 9, 9, 9 };
static const uint8_t odcid[8] = { 0xa, 0xb, 0xc, 0xd, 0xe, 0xf, 0x1, 0x2 };

static void
set_cid(struct tq_quic_cid *c, const uint8_t *id, size_t n)
{
	c->len = (uint8_t)n;
	memcpy(c->id, id, n);
}

/* Transport parameters as each role would send them. */
static void
our_tp(bool server, struct tq_quic_tp *tp)
{
	tq_quic_tp_default(tp);
	tp->has_initial_scid = true;
	set_cid(&tp->initial_scid, server ? scid_s : scid_c,
			server ? sizeof(scid_s) : sizeof(scid_c));
	tp->initial_max_data = server ? 1000000 : 2000000;
	tp->initial_max_streams_bidi = server ? 100 : 3;
	tp->max_idle_timeout = 30000;
	if (server) {
		tp->has_original_dcid = true;
		set_cid(&tp->original_dcid, odcid, sizeof(odcid));
	}
}

static void
set_tp(struct side *s)
{
	struct tq_quic_tp tp;
	uint8_t buf[512];
	int n;

	our_tp(s->is_server, &tp);
	n = tq_quic_tp_encode(&tp, s->is_server, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(tq_quic_tls_set_tp(s->t, buf, (size_t)n), 0);
}

struct conf {
	const char *const *client_alpn;
	size_t n_client_alpn;
	const char *const *server_alpn;
	size_t n_server_alpn;
	unsigned int client_ciphers;
	unsigned int server_ciphers;
	unsigned int client_groups;
	unsigned int server_groups;
	bool verify;
	const char *server_name;
	bool no_client_tp;
	bool no_server_tp;
};

struct pair {
	struct tq_quic_tls_ctx *cctx, *sctx;
	struct side c, s;
};

static void
pair_init(struct pair *p, const struct conf *cf)
{
	struct tq_quic_tls_conf cc = { 0 }, sc = { 0 };

	memset(p, 0, sizeof(*p));
	sc.is_server = true;
	sc.cert_file = cert_path;
	sc.key_file = key_path;
	sc.alpn = cf->server_alpn;
	sc.n_alpn = cf->n_server_alpn;
	sc.ciphers = cf->server_ciphers;
	sc.groups = cf->server_groups;
	cc.groups = cf->client_groups;
	cc.alpn = cf->client_alpn;
	cc.n_alpn = cf->n_client_alpn;
	cc.ciphers = cf->client_ciphers;
	cc.verify = cf->verify;
	cc.ca_file = cf->verify ? cert_path : NULL;
	assert_int_equal(tq_quic_tls_ctx_new(&sc, &p->sctx), 0);
	assert_int_equal(tq_quic_tls_ctx_new(&cc, &p->cctx), 0);
	p->c.is_server = false;
	p->s.is_server = true;
	assert_int_equal(tq_quic_tls_new(p->cctx,
			cf->server_name ? cf->server_name : NAME, &ops, &p->c,
			&p->c.t), 0);
	assert_int_equal(tq_quic_tls_new(p->sctx, NULL, &ops, &p->s,
			&p->s.t), 0);
	if (!cf->no_client_tp)
		set_tp(&p->c);
	if (!cf->no_server_tp)
		set_tp(&p->s);
}

static void
pair_fini(struct pair *p)
{
	tq_quic_tls_free(p->c.t);
	tq_quic_tls_free(p->s.t);
	tq_quic_key_set_free(&p->c.ks);
	tq_quic_key_set_free(&p->s.ks);
	tq_quic_tls_ctx_free(p->cctx);
	tq_quic_tls_ctx_free(p->sctx);
}

/*
 * Carry what each side has queued to the other, lowest level first, in
 * pieces of chunk bytes, until nothing moves or a side fails.  Returns
 * the first error either side's provide gave.
 */
static enum tq_quic_err
pump(struct pair *p, size_t chunk)
{
	struct side *from, *to;
	enum tq_quic_err e;
	bool moved = true;
	size_t n;
	int l, i;

	while (moved) {
		moved = false;
		for (i = 0; i < 2; i++) {
			from = i ? &p->s : &p->c;
			to = i ? &p->c : &p->s;
			for (l = 0; l < TQ_QUIC_LEVEL_MAX; l++) {
				while (from->out[l].sent < from->out[l].len) {
					n = from->out[l].len - from->out[l].sent;
					if (n > chunk)
						n = chunk;
					e = tq_quic_tls_provide(to->t,
						(enum tq_quic_level)l,
						from->out[l].buf +
						from->out[l].sent, n);
					from->out[l].sent += n;
					moved = true;
					if (e != TQ_QUIC_NO_ERROR)
						return e;
				}
			}
		}
	}
	return TQ_QUIC_NO_ERROR;
}

static enum tq_quic_err
handshake(struct pair *p, size_t chunk)
{
	enum tq_quic_err e = tq_quic_tls_start(p->c.t);

	if (e != TQ_QUIC_NO_ERROR)
		return e;
	return pump(p, chunk);
}

/* A packet sealed with one side's write key opens with the other's
 * read key, and not with a wrong one. */
static void
check_keys(struct side *a, struct side *b, enum tq_quic_level l)
{
	struct tq_quic_aead *wk = tq_quic_key_set_get(&a->ks, l,
			TQ_QUIC_DIR_WRITE);
	struct tq_quic_aead *rk = tq_quic_key_set_get(&b->ks, l,
			TQ_QUIC_DIR_READ);
	static const uint8_t hdr[] = { 0x40, 1, 2, 3 };
	uint8_t pkt[64 + TQ_QUIC_TAG_LEN], mask_a[5], mask_b[5];
	static const uint8_t sample[16] = { 7 };
	int n;

	assert_non_null(wk);
	assert_non_null(rk);
	memset(pkt, 0x5a, 64);
	n = tq_quic_seal(wk, w, 42, hdr, sizeof(hdr), pkt, 64);
	assert_int_equal(n, 64 + TQ_QUIC_TAG_LEN);
	assert_int_equal(tq_quic_open(rk, w, 42, hdr, sizeof(hdr), pkt,
			(size_t)n), 64);
	for (n = 0; n < 64; n++)
		assert_int_equal(pkt[n], 0x5a);
	/* the same header protection key on both ends */
	assert_int_equal(tq_quic_hp_mask(wk, w, sample, mask_a), 0);
	assert_int_equal(tq_quic_hp_mask(rk, w, sample, mask_b), 0);
	assert_memory_equal(mask_a, mask_b, 5);
	/* the wrong packet number does not open */
	n = tq_quic_seal(wk, w, 43, hdr, sizeof(hdr), pkt, 64);
	assert_int_equal(tq_quic_open(rk, w, 44, hdr, sizeof(hdr), pkt,
			(size_t)n), -EBADMSG);
}

static void
check_done(struct pair *p)
{
	const uint8_t *alpn;
	size_t n;

	assert_true(tq_quic_tls_complete(p->c.t));
	assert_true(tq_quic_tls_complete(p->s.t));
	assert_int_equal(tq_quic_tls_error(p->c.t), TQ_QUIC_NO_ERROR);
	assert_int_equal(tq_quic_tls_error(p->s.t), TQ_QUIC_NO_ERROR);
	alpn = tq_quic_tls_alpn(p->c.t, &n);
	assert_non_null(alpn);
	assert_int_equal(n, 2);
	assert_memory_equal(alpn, "h3", 2);
	check_keys(&p->c, &p->s, TQ_QUIC_LEVEL_HANDSHAKE);
	check_keys(&p->s, &p->c, TQ_QUIC_LEVEL_HANDSHAKE);
	check_keys(&p->c, &p->s, TQ_QUIC_LEVEL_APP);
	check_keys(&p->s, &p->c, TQ_QUIC_LEVEL_APP);
}

static void
handshake_completes(void **state)
{
	static const struct conf cf = { 0 };
	struct pair p;
	int i;

	(void)state;
	pair_init(&p, &cf);
	assert_false(tq_quic_tls_is_server(p.c.t));
	assert_true(tq_quic_tls_is_server(p.s.t));
	assert_int_equal(tq_quic_tls_start(p.c.t), TQ_QUIC_NO_ERROR);
	/* the ClientHello alone, at Initial */
	assert_true(p.c.out[TQ_QUIC_LEVEL_INITIAL].len > 0);
	for (i = 1; i < TQ_QUIC_LEVEL_MAX; i++)
		assert_int_equal(p.c.out[i].len, 0);
	assert_int_equal(p.c.n_secrets, 0);
	/* too late for our transport parameters once it is out */
	assert_int_equal(tq_quic_tls_set_tp(p.c.t, (const uint8_t *)"x", 1),
			-EBUSY);
	assert_int_equal(pump(&p, SIZE_MAX), TQ_QUIC_NO_ERROR);
	check_done(&p);
	/* the server says nothing at 0-RTT or 1-RTT (no ticket yet) */
	assert_true(p.s.out[TQ_QUIC_LEVEL_HANDSHAKE].len > 0);
	assert_int_equal(p.s.out[TQ_QUIC_LEVEL_EARLY].len, 0);
	assert_int_equal(p.s.out[TQ_QUIC_LEVEL_APP].len, 0);
	assert_int_equal(p.c.out[TQ_QUIC_LEVEL_APP].len, 0);
	/* confirmation: the server on completion, the client when told */
	assert_true(tq_quic_tls_confirmed(p.s.t));
	assert_false(tq_quic_tls_confirmed(p.c.t));
	tq_quic_tls_confirm(p.c.t);
	assert_true(tq_quic_tls_confirmed(p.c.t));
	/* nothing more to do is not an error */
	assert_int_equal(tq_quic_tls_provide(p.c.t, TQ_QUIC_LEVEL_APP, NULL,
			0), TQ_QUIC_NO_ERROR);
	assert_int_equal(tq_quic_tls_provide(p.s.t, TQ_QUIC_LEVEL_APP, NULL,
			0), TQ_QUIC_NO_ERROR);
	assert_true(tq_quic_tls_gnutls_session(p.s.t) != NULL);
	pair_fini(&p);
}

static bool
seen(const struct side *s, enum tq_quic_level l, enum tq_quic_dir d,
		unsigned int *at)
{
	unsigned int i;

	for (i = 0; i < s->n_secrets; i++)
		if (s->order[i] == (int)l * 2 + (int)d) {
			*at = i;
			return true;
		}
	return false;
}

/* The extension of type want in a ClientHello's extension block, or
 * NULL; *len gets its length. */
static const uint8_t *
ch_ext(const uint8_t *ch, size_t n, unsigned int want, size_t *len)
{
	size_t off = 4 + 2 + 32, l;

	off += 1 + ch[off];				/* session id */
	off += 2 + ((size_t)ch[off] << 8 | ch[off + 1]); /* suites */
	off += 1 + ch[off];				/* compression */
	off += 2;
	while (off + 4 <= n) {
		l = (size_t)ch[off + 2] << 8 | ch[off + 3];
		if (((unsigned int)ch[off] << 8 | ch[off + 1]) == want) {
			*len = l;
			return ch + off + 4;
		}
		off += 4 + l;
	}
	return NULL;
}

/*
 * What the priorities make of a ClientHello: TLS 1.3 alone, no session
 * ID (no compatibility mode, RFC 9001 8.4), the three AEAD suites,
 * X25519, P-256 and P-384 with key shares for the first two, ALPN h3,
 * SNI, our transport parameters.
 */
static void
client_hello_shape(void **state)
{
	static const uint8_t suites[] = { 0x13, 0x01, 0x13, 0x02, 0x13, 0x03 };
	static const struct conf cf = { 0 };
	struct tq_quic_tp tp;
	uint8_t tpb[512];
	const uint8_t *ch, *e;
	size_t n, l, off, ns;
	unsigned int groups = 0, g;
	struct pair p;
	int tpn;

	(void)state;
	pair_init(&p, &cf);
	assert_int_equal(tq_quic_tls_start(p.c.t), 0);
	ch = p.c.out[0].buf;
	n = p.c.out[0].len;
	assert_int_equal(ch[0], 1);
	assert_int_equal(((size_t)ch[1] << 16 | (size_t)ch[2] << 8 | ch[3]),
			n - 4);
	assert_int_equal(ch[4 + 2 + 32], 0);		/* empty session ID */
	off = 4 + 2 + 32 + 1;
	ns = (size_t)ch[off] << 8 | ch[off + 1];
	/* the three suites, in any order */
	assert_int_equal(ns, sizeof(suites));
	for (l = 0; l < ns; l += 2)
		assert_non_null(memchr(suites + 1, ch[off + 2 + l + 1], 5));
	e = ch_ext(ch, n, 0x002b, &l);			/* supported_versions */
	assert_non_null(e);
	assert_int_equal(l, 3);
	assert_memory_equal(e, "\x02\x03\x04", 3);
	e = ch_ext(ch, n, 0x0033, &l);			/* key_share */
	assert_non_null(e);
	for (off = 2; off + 4 <= l; off += 4 + ((size_t)e[off + 2] << 8 |
			e[off + 3])) {
		g = (unsigned int)e[off] << 8 | e[off + 1];
		groups |= g == 0x001d ? 1 : g == 0x0017 ? 2 :
			g == 0x0018 ? 4 : 8;
	}
	/* GnuTLS 3.7.9 keeps one share per key type (one NIST curve), so
	 * X25519 and P-256 get shares and P-384 is only supported */
	assert_int_equal(groups, 3);
	e = ch_ext(ch, n, 0x000a, &l);			/* supported_groups */
	assert_non_null(e);
	assert_int_equal(l, 8);
	assert_memory_equal(e, "\x00\x06\x00\x1d\x00\x17\x00\x18", 8);
	e = ch_ext(ch, n, 0x0010, &l);			/* ALPN */
	assert_non_null(e);
	assert_int_equal(l, 5);
	assert_memory_equal(e, "\x00\x03\x02h3", 5);
	e = ch_ext(ch, n, 0x0000, &l);			/* server_name */
	assert_non_null(e);
	assert_memory_equal(e + l - strlen(NAME), NAME, strlen(NAME));
	e = ch_ext(ch, n, 0x0039, &l);
	assert_non_null(e);
	our_tp(false, &tp);
	tpn = tq_quic_tp_encode(&tp, false, tpb, sizeof(tpb));
	assert_int_equal(l, (size_t)tpn);
	assert_memory_equal(e, tpb, l);
	/* no early data offered, no ChangeCipherSpec anywhere */
	assert_null(ch_ext(ch, n, 0x002a, &l));
	assert_int_equal(pump(&p, SIZE_MAX), TQ_QUIC_NO_ERROR);
	pair_fini(&p);

	/* an IP address is not sent as SNI (RFC 6066 3) */
	pair_init(&p, &(struct conf){ .server_name = "192.0.2.1" });
	assert_int_equal(tq_quic_tls_start(p.c.t), 0);
	assert_null(ch_ext(p.c.out[0].buf, p.c.out[0].len, 0x0000, &l));
	pair_fini(&p);
}

/* Handshake and 1-RTT secrets in both directions on both sides, none
 * for 0-RTT or Initial (those come from the DCID), and the server's
 * 1-RTT write secret before its read one: nothing assumes pairs. */
static void
secrets_unpaired(void **state)
{
	static const struct conf cf = { 0 };
	unsigned int hw = 0, hr = 0, aw = 0, ar = 0;
	struct pair p;
	int i;

	(void)state;
	pair_init(&p, &cf);
	assert_int_equal(tq_quic_tls_start(p.c.t), TQ_QUIC_NO_ERROR);
	/* ClientHello to the server only: it has all but the 1-RTT read */
	assert_int_equal(tq_quic_tls_provide(p.s.t, TQ_QUIC_LEVEL_INITIAL,
			p.c.out[0].buf, p.c.out[0].len), TQ_QUIC_NO_ERROR);
	p.c.out[0].sent = p.c.out[0].len;
	assert_true(seen(&p.s, TQ_QUIC_LEVEL_APP, TQ_QUIC_DIR_WRITE, &aw));
	assert_false(seen(&p.s, TQ_QUIC_LEVEL_APP, TQ_QUIC_DIR_READ, &ar));
	assert_non_null(tq_quic_key_set_get(&p.s.ks, TQ_QUIC_LEVEL_APP,
			TQ_QUIC_DIR_WRITE));
	assert_null(tq_quic_key_set_get(&p.s.ks, TQ_QUIC_LEVEL_APP,
			TQ_QUIC_DIR_READ));
	assert_false(tq_quic_tls_complete(p.s.t));
	assert_int_equal(pump(&p, SIZE_MAX), TQ_QUIC_NO_ERROR);
	check_done(&p);
	for (i = 0; i < 2; i++) {
		struct side *s = i ? &p.s : &p.c;

		assert_int_equal(s->n_secrets, 4);
		assert_true(seen(s, TQ_QUIC_LEVEL_HANDSHAKE, TQ_QUIC_DIR_WRITE,
				&hw));
		assert_true(seen(s, TQ_QUIC_LEVEL_HANDSHAKE, TQ_QUIC_DIR_READ,
				&hr));
		assert_true(seen(s, TQ_QUIC_LEVEL_APP, TQ_QUIC_DIR_WRITE, &aw));
		assert_true(seen(s, TQ_QUIC_LEVEL_APP, TQ_QUIC_DIR_READ, &ar));
		assert_true(hw < aw && hr < ar);
	}
	assert_true(seen(&p.s, TQ_QUIC_LEVEL_APP, TQ_QUIC_DIR_WRITE, &aw));
	assert_true(seen(&p.s, TQ_QUIC_LEVEL_APP, TQ_QUIC_DIR_READ, &ar));
	assert_true(aw < ar);
	/* dropping a level's keys (RFC 9001 4.9) */
	tq_quic_key_set_drop(&p.c.ks, TQ_QUIC_LEVEL_HANDSHAKE);
	assert_null(tq_quic_key_set_get(&p.c.ks, TQ_QUIC_LEVEL_HANDSHAKE,
			TQ_QUIC_DIR_READ));
	assert_null(tq_quic_key_set_get(&p.c.ks, TQ_QUIC_LEVEL_HANDSHAKE,
			TQ_QUIC_DIR_WRITE));
	pair_fini(&p);
}

/* Each suite when it is the only one one side allows, then the other;
 * keys agree and have that suite's lengths. */
static void
each_cipher(void **state)
{
	unsigned int c, side;
	enum tq_quic_cipher got;

	(void)state;
	for (c = 0; c < 3; c++) {
		for (side = 0; side < 2; side++) {
			struct conf cf = { 0 };
			struct pair p;

			if (side)
				cf.server_ciphers = 1u << c;
			else
				cf.client_ciphers = 1u << c;
			pair_init(&p, &cf);
			assert_int_equal(tq_quic_tls_cipher(p.c.t, &got),
					-EAGAIN);
			assert_int_equal(handshake(&p, SIZE_MAX),
					TQ_QUIC_NO_ERROR);
			check_done(&p);
			assert_int_equal(tq_quic_tls_cipher(p.c.t, &got), 0);
			assert_int_equal(got, c);
			assert_int_equal(tq_quic_tls_cipher(p.s.t, &got), 0);
			assert_int_equal(got, c);
			assert_int_equal(p.c.cipher, c);
			assert_int_equal(p.s.cipher, c);
			assert_int_equal(tq_quic_aead_cipher(
					tq_quic_key_set_get(&p.c.ks,
						TQ_QUIC_LEVEL_APP,
						TQ_QUIC_DIR_READ)), c);
			assert_int_equal(p.c.ks.app_secret_len,
					c == TQ_QUIC_AES_256_GCM ? 48 : 32);
			pair_fini(&p);
		}
	}
	/* No suite in common: a handshake failure (40). */
	{
		struct conf cf = { 0 };
		struct pair p;

		cf.client_ciphers = 1u << TQ_QUIC_AES_128_GCM;
		cf.server_ciphers = 1u << TQ_QUIC_CHACHA20_POLY1305;
		pair_init(&p, &cf);
		assert_int_equal(handshake(&p, SIZE_MAX),
				TQ_QUIC_CRYPTO_ERROR_ALERT(40));
		pair_fini(&p);
	}
}

static bool
is_crypto_error(enum tq_quic_err e)
{
	return e >= 0x0100 && e <= 0x01ff;
}

static void
check_tp(const struct side *s, bool peer_is_server)
{
	struct tq_quic_tp want, got;
	const uint8_t *raw;
	size_t n;

	raw = tq_quic_tls_peer_tp(s->t, &n);
	assert_non_null(raw);
	assert_int_equal(s->tp_cb_calls, 1);
	assert_int_equal(tq_quic_tp_decode(raw, n, peer_is_server, &got),
			TQ_QUIC_NO_ERROR);
	our_tp(peer_is_server, &want);
	assert_int_equal(got.initial_scid.len, want.initial_scid.len);
	assert_memory_equal(got.initial_scid.id, want.initial_scid.id,
			want.initial_scid.len);
	assert_int_equal(got.initial_max_data, want.initial_max_data);
	assert_int_equal(got.initial_max_streams_bidi,
			want.initial_max_streams_bidi);
	assert_int_equal(got.max_idle_timeout, want.max_idle_timeout);
	assert_int_equal(got.has_original_dcid, peer_is_server);
	if (peer_is_server)
		assert_memory_equal(got.original_dcid.id, odcid,
				sizeof(odcid));
}

static void
transport_params(void **state)
{
	static const struct conf cf = { 0 };
	struct pair p;
	size_t n;

	(void)state;
	pair_init(&p, &cf);
	assert_null(tq_quic_tls_peer_tp(p.c.t, &n));
	assert_int_equal(n, 0);
	assert_int_equal(handshake(&p, SIZE_MAX), TQ_QUIC_NO_ERROR);
	check_tp(&p.c, true);
	check_tp(&p.s, false);
	pair_fini(&p);

	/* the connection refusing them ends the handshake with its code */
	pair_init(&p, &cf);
	p.s.tp_verdict = TQ_QUIC_TRANSPORT_PARAMETER_ERROR;
	assert_int_equal(handshake(&p, SIZE_MAX),
			TQ_QUIC_TRANSPORT_PARAMETER_ERROR);
	assert_int_equal(tq_quic_tls_error(p.s.t),
			TQ_QUIC_TRANSPORT_PARAMETER_ERROR);
	assert_false(tq_quic_tls_complete(p.s.t));
	/* nothing was sent back */
	assert_int_equal(p.s.out[TQ_QUIC_LEVEL_INITIAL].len, 0);
	pair_fini(&p);

	pair_init(&p, &cf);
	p.c.tp_verdict = TQ_QUIC_TRANSPORT_PARAMETER_ERROR;
	assert_int_equal(handshake(&p, SIZE_MAX),
			TQ_QUIC_TRANSPORT_PARAMETER_ERROR);
	assert_false(tq_quic_tls_complete(p.c.t));
	assert_int_equal(p.c.out[TQ_QUIC_LEVEL_HANDSHAKE].len, 0);
	pair_fini(&p);
}

/* RFC 9001 8.2: no quic_transport_parameters, missing_extension (109)
 * = 0x016d, from the side that did not get them. */
static void
missing_tp(void **state)
{
	struct conf cf = { 0 };
	struct pair p;

	(void)state;
	cf.no_client_tp = true;
	pair_init(&p, &cf);
	assert_int_equal(handshake(&p, SIZE_MAX), 0x016d);
	assert_int_equal(tq_quic_tls_error(p.s.t), 0x016d);
	assert_int_equal(p.s.out[TQ_QUIC_LEVEL_INITIAL].len, 0);
	assert_int_equal(p.s.n_secrets, 0);
	pair_fini(&p);

	cf.no_client_tp = false;
	cf.no_server_tp = true;
	pair_init(&p, &cf);
	assert_int_equal(handshake(&p, SIZE_MAX), 0x016d);
	assert_int_equal(tq_quic_tls_error(p.c.t), 0x016d);
	assert_false(tq_quic_tls_complete(p.c.t));
	/* the client's Finished never went out */
	assert_int_equal(p.c.out[TQ_QUIC_LEVEL_HANDSHAKE].len, 0);
	/* the error sticks */
	assert_int_equal(tq_quic_tls_provide(p.c.t, TQ_QUIC_LEVEL_HANDSHAKE,
			(const uint8_t *)"\x14", 1), 0x016d);
	pair_fini(&p);
}

/* RFC 9001 8.1: no ALPN in common, no_application_protocol (120). */
static void
alpn_mismatch(void **state)
{
	static const char *const hq[] = { "hq-interop" };
	static const char *const both[] = { "hq-interop", "h3" };
	struct conf cf = { 0 };
	struct pair p;
	const uint8_t *a;
	size_t n;

	(void)state;
	cf.client_alpn = hq;
	cf.n_client_alpn = 1;
	pair_init(&p, &cf);
	assert_int_equal(handshake(&p, SIZE_MAX),
			TQ_QUIC_CRYPTO_ERROR_ALERT(120));
	assert_int_equal(tq_quic_tls_error(p.s.t), 0x0178);
	assert_false(tq_quic_tls_complete(p.s.t));
	assert_null(tq_quic_tls_alpn(p.s.t, &n));
	pair_fini(&p);

	/* two offered, the server's choice among them */
	cf.client_alpn = both;
	cf.n_client_alpn = 2;
	cf.server_alpn = both + 1;
	cf.n_server_alpn = 1;
	pair_init(&p, &cf);
	assert_int_equal(handshake(&p, SIZE_MAX), TQ_QUIC_NO_ERROR);
	a = tq_quic_tls_alpn(p.c.t, &n);
	assert_int_equal(n, 2);
	assert_memory_equal(a, "h3", 2);
	pair_fini(&p);
}

/*
 * A server taking only P-384, for which the client sent no key share:
 * a HelloRetryRequest, a second ClientHello (with the transport
 * parameters again), and a handshake that completes on P-384.
 */
static void
hello_retry(void **state)
{
	struct conf cf = { 0 };
	struct tq_quic_tp tp;
	const uint8_t *raw;
	struct pair p;
	size_t n, first;

	(void)state;
	cf.server_groups = TQ_QUIC_TLS_GROUP_P384;
	pair_init(&p, &cf);
	assert_int_equal(tq_quic_tls_start(p.c.t), 0);
	first = p.c.out[0].len;
	assert_int_equal(tq_quic_tls_provide(p.s.t, TQ_QUIC_LEVEL_INITIAL,
			p.c.out[0].buf, first), 0);
	p.c.out[0].sent = first;
	/* a HelloRetryRequest only: no keys yet */
	assert_true(p.s.out[0].len > 0);
	assert_int_equal(p.s.out[TQ_QUIC_LEVEL_HANDSHAKE].len, 0);
	assert_int_equal(p.s.n_secrets, 0);
	assert_int_equal(pump(&p, SIZE_MAX), TQ_QUIC_NO_ERROR);
	/* the client wrote a second ClientHello */
	assert_true(p.c.out[0].len > first);
	check_done(&p);
	assert_int_equal(p.s.tp_cb_calls, 2);
	raw = tq_quic_tls_peer_tp(p.s.t, &n);
	assert_int_equal(tq_quic_tp_decode(raw, n, false, &tp),
			TQ_QUIC_NO_ERROR);
	assert_int_equal(tp.initial_max_data, 2000000);
	pair_fini(&p);

	/* no group in common */
	cf.client_groups = TQ_QUIC_TLS_GROUP_X25519;
	pair_init(&p, &cf);
	assert_true(is_crypto_error(handshake(&p, SIZE_MAX)));
	assert_false(tq_quic_tls_complete(p.s.t));
	pair_fini(&p);
}

/* Our own ClientHello without one extension, its lengths fixed. */
static size_t
ch_drop_ext(uint8_t *ch, size_t n, unsigned int type)
{
	const uint8_t *e;
	size_t l, off, hl, el;

	e = ch_ext(ch, n, type, &l);
	assert_non_null(e);
	off = (size_t)(e - ch) - 4;
	memmove(ch + off, ch + off + 4 + l, n - off - 4 - l);
	n -= 4 + l;
	hl = n - 4;
	ch[1] = (uint8_t)(hl >> 16);
	ch[2] = (uint8_t)(hl >> 8);
	ch[3] = (uint8_t)hl;
	/* the extensions' length: after session id, suites, compression */
	off = 4 + 2 + 32;
	off += 1 + ch[off];
	off += 2 + ((size_t)ch[off] << 8 | ch[off + 1]);
	off += 1 + ch[off];
	el = ((size_t)ch[off] << 8 | ch[off + 1]) - 4 - l;
	ch[off] = (uint8_t)(el >> 8);
	ch[off + 1] = (uint8_t)el;
	return n;
}

/* A client that sends no ALPN at all: the server refuses before it says
 * anything (RFC 9001 8.1), as it does one without transport parameters
 * (8.2); the untouched ClientHello goes through. */
static void
client_hello_without(void **state)
{
	static const struct conf cf = { 0 };
	static const unsigned int types[] = { 0x0010, 0x0039, 0x0000 };
	static const enum tq_quic_err want[] = { 0x0178, 0x016d, 0 };
	uint8_t ch[OUT_CAP];
	struct pair p;
	unsigned int i;
	size_t n, l;

	(void)state;
	for (i = 0; i < 3; i++) {
		pair_init(&p, &cf);
		assert_int_equal(tq_quic_tls_start(p.c.t), 0);
		n = p.c.out[0].len;
		memcpy(ch, p.c.out[0].buf, n);
		n = ch_drop_ext(ch, n, types[i]);
		assert_null(ch_ext(ch, n, types[i], &l));
		assert_int_equal(tq_quic_tls_provide(p.s.t,
				TQ_QUIC_LEVEL_INITIAL, ch, n), want[i]);
		if (want[i]) {
			assert_int_equal(p.s.out[0].len, 0);
			assert_int_equal(p.s.n_secrets, 0);
		} else {
			/* without SNI the server does not mind */
			assert_true(p.s.out[TQ_QUIC_LEVEL_HANDSHAKE].len > 0);
		}
		pair_fini(&p);
	}
}

/*
 * After completion: a NewSessionTicket sent through the GnuTLS session
 * (what issue 11 builds on) comes out at 1-RTT and goes into the client
 * at 1-RTT, whole or a byte at a time; GNUTLS_E_AGAIN in between is not
 * an error, and the client can then resume.
 */
static void
post_handshake_ticket(void **state)
{
	static const struct conf cf = { 0 };
	static const size_t chunks[] = { SIZE_MAX, 1 };
	gnutls_datum_t key, sess;
	gnutls_session_t gs, gc;
	struct pair p;
	size_t before;
	unsigned int i;

	(void)state;
	assert_int_equal(gnutls_session_ticket_key_generate(&key), 0);
	for (i = 0; i < 2; i++) {
		pair_init(&p, &cf);
		gs = tq_quic_tls_gnutls_session(p.s.t);
		assert_int_equal(gnutls_session_ticket_enable_server(gs, &key),
				0);
		assert_int_equal(handshake(&p, SIZE_MAX), TQ_QUIC_NO_ERROR);
		check_done(&p);
		/* no ticket on its own (GNUTLS_NO_AUTO_SEND_TICKET) */
		assert_int_equal(p.s.out[TQ_QUIC_LEVEL_APP].len, 0);
		gc = tq_quic_tls_gnutls_session(p.c.t);
		assert_int_equal(gnutls_session_get_flags(gc) &
				GNUTLS_SFLAGS_SESSION_TICKET, 0);
		before = p.s.n_secrets;
		assert_int_equal(gnutls_session_ticket_send(gs, 1, 0), 0);
		assert_true(p.s.out[TQ_QUIC_LEVEL_APP].len > 0);
		assert_int_equal(p.s.n_secrets, before);
		assert_int_equal(pump(&p, chunks[i]), TQ_QUIC_NO_ERROR);
		assert_int_equal(tq_quic_tls_error(p.c.t), TQ_QUIC_NO_ERROR);
		/* the client took it: resumption data is there */
		assert_true(gnutls_session_get_flags(gc) &
				GNUTLS_SFLAGS_SESSION_TICKET);
		assert_int_equal(gnutls_session_get_data2(gc, &sess), 0);
		assert_true(sess.size > 0);
		gnutls_free(sess.data);
		pair_fini(&p);
	}
	gnutls_free(key.data);
}

/* One session of ctx on side s, transport parameters set. */
static void
side_new(struct side *sd, struct tq_quic_tls_ctx *ctx, bool server)
{
	memset(sd, 0, sizeof(*sd));
	sd->is_server = server;
	assert_int_equal(tq_quic_tls_new(ctx, server ? NULL : NAME, &ops, sd,
			&sd->t), 0);
	set_tp(sd);
}

static void
side_fini(struct side *sd)
{
	tq_quic_tls_free(sd->t);
	tq_quic_key_set_free(&sd->ks);
}

struct replay {
	struct tq_quic_tls_ctx *sctx;
	const uint8_t *ch;
	size_t ch_len;
	bool got_key;
	enum tq_quic_err e;
};

/* A ClientHello given to a new server session of ctx: whether it got a
 * 0-RTT read key.  Run on another thread too: each thread has its own
 * anti-replay context, the table of ClientHellos seen is the
 * context's. */
static void *
replay_once(void *arg)
{
	struct replay *r = arg;
	struct side sd;

	side_new(&sd, r->sctx, true);
	r->e = tq_quic_tls_provide(sd.t, TQ_QUIC_LEVEL_INITIAL, r->ch,
			r->ch_len);
	r->got_key = tq_quic_key_set_get(&sd.ks, TQ_QUIC_LEVEL_EARLY,
			TQ_QUIC_DIR_READ) != NULL;
	if (sd.out[TQ_QUIC_LEVEL_HANDSHAKE].len == 0)
		r->e = TQ_QUIC_INTERNAL_ERROR;
	side_fini(&sd);
	return NULL;
}

/*
 * Session tickets, resumption and 0-RTT between our two sides: a server
 * context with tickets sends one at 1-RTT once complete (a client takes
 * it, its session bytes come out); a second handshake with them is
 * resumed, the client gets a 0-RTT write secret with its ClientHello
 * and the server the matching read secret, and both say early data was
 * taken; the same ClientHello again (a replay), on this thread and on
 * another, resumes but gets no 0-RTT key; a server without 0-RTT
 * resumes but refuses the 0-RTT the client offers (GnuTLS's client
 * offers it on any TLS 1.3 ticket): no read key, both say not accepted;
 * one without tickets sends none.
 */
static void
resume_and_early(void **state)
{
	struct tq_quic_tls_conf sc = { 0 }, cc = { 0 };
	struct tq_quic_tls_ctx *sctx, *cctx;
	struct pair p;
	uint8_t *sess, ch[OUT_CAP];
	size_t sess_len, ch_len;
	struct replay rp;
	pthread_t th;
	int early;

	(void)state;
	sc.is_server = true;
	sc.cert_file = cert_path;
	sc.key_file = key_path;
	cc.early_data = true;
	assert_int_equal(tq_quic_tls_ctx_new(&cc, &cctx), 0);
	for (early = 1; early >= 0; early--) {
		sc.tickets = true;
		sc.early_data = early;
		assert_int_equal(tq_quic_tls_ctx_new(&sc, &sctx), 0);
		memset(&p, 0, sizeof(p));
		side_new(&p.c, cctx, false);
		side_new(&p.s, sctx, true);
		assert_int_equal(tq_quic_tls_get_session(p.c.t, &sess,
				&sess_len), -EAGAIN);
		assert_int_equal(handshake(&p, SIZE_MAX), TQ_QUIC_NO_ERROR);
		check_done(&p);
		assert_int_equal(tq_quic_tls_tickets(p.c.t), 1);
		assert_false(tq_quic_tls_resumed(p.c.t));
		assert_false(tq_quic_tls_early_offered(p.c.t));
		assert_int_equal(tq_quic_tls_get_session(p.c.t, &sess,
				&sess_len), 0);
		assert_true(sess_len > 0);
		side_fini(&p.c);
		side_fini(&p.s);

		/* resumed */
		side_new(&p.c, cctx, false);
		side_new(&p.s, sctx, true);
		assert_int_equal(tq_quic_tls_set_session(p.c.t, sess,
				sess_len), 0);
		assert_int_equal(tq_quic_tls_start(p.c.t), TQ_QUIC_NO_ERROR);
		/* GnuTLS's client offers 0-RTT on any TLS 1.3 ticket */
		assert_true(tq_quic_tls_early_offered(p.c.t));
		assert_non_null(tq_quic_key_set_get(&p.c.ks,
				TQ_QUIC_LEVEL_EARLY, TQ_QUIC_DIR_WRITE));
		ch_len = p.c.out[TQ_QUIC_LEVEL_INITIAL].len;
		memcpy(ch, p.c.out[TQ_QUIC_LEVEL_INITIAL].buf, ch_len);
		assert_int_equal(pump(&p, SIZE_MAX), TQ_QUIC_NO_ERROR);
		check_done(&p);
		assert_true(tq_quic_tls_resumed(p.c.t));
		assert_true(tq_quic_tls_resumed(p.s.t));
		assert_int_equal(tq_quic_tls_early_accepted(p.c.t), early);
		assert_int_equal(tq_quic_tls_early_accepted(p.s.t), early);
		if (early)
			check_keys(&p.c, &p.s, TQ_QUIC_LEVEL_EARLY);
		else
			assert_null(tq_quic_key_set_get(&p.s.ks,
					TQ_QUIC_LEVEL_EARLY, TQ_QUIC_DIR_READ));
		assert_int_equal(tq_quic_tls_set_session(p.c.t, sess,
				sess_len), -EBUSY);
		side_fini(&p.c);
		side_fini(&p.s);

		/* the same ClientHello again, here and on another thread:
		 * no 0-RTT key for it */
		rp.sctx = sctx;
		rp.ch = ch;
		rp.ch_len = ch_len;
		replay_once(&rp);
		assert_int_equal(rp.e, TQ_QUIC_NO_ERROR);
		assert_false(rp.got_key);
		assert_int_equal(pthread_create(&th, NULL, replay_once, &rp),
				0);
		assert_int_equal(pthread_join(th, NULL), 0);
		assert_int_equal(rp.e, TQ_QUIC_NO_ERROR);
		assert_false(rp.got_key);
		free(sess);
		tq_quic_tls_ctx_free(sctx);
	}
	/* no tickets: none sent, nothing to resume with */
	sc.tickets = false;
	assert_int_equal(tq_quic_tls_ctx_new(&sc, &sctx), 0);
	side_new(&p.c, cctx, false);
	side_new(&p.s, sctx, true);
	assert_int_equal(handshake(&p, SIZE_MAX), TQ_QUIC_NO_ERROR);
	check_done(&p);
	assert_int_equal(p.s.out[TQ_QUIC_LEVEL_APP].len, 0);
	assert_int_equal(tq_quic_tls_get_session(p.c.t, &sess, &sess_len),
			-EAGAIN);
	side_fini(&p.c);
	side_fini(&p.s);
	tq_quic_tls_ctx_free(sctx);
	tq_quic_tls_ctx_free(cctx);
}

/* Seal with a, open with b: whether it opens. */
static bool
opens(struct tq_quic_aead *a, struct tq_quic_aead *b, uint64_t pn)
{
	static const uint8_t hdr[] = { 0x40, 9 };
	uint8_t pkt[32 + TQ_QUIC_TAG_LEN];
	int n;

	memset(pkt, 0xa5, 32);
	n = tq_quic_seal(a, w, pn, hdr, sizeof(hdr), pkt, 32);
	assert_int_equal(n, 32 + TQ_QUIC_TAG_LEN);
	return tq_quic_open(b, w, pn, hdr, sizeof(hdr), pkt, (size_t)n) == 32;
}

/*
 * RFC 9001 6 through the key set: two generations of 1-RTT keys on
 * both sides, for each suite; each generation's packets open only with
 * that generation's keys; the header protection key stays.
 */
static void
key_update(void **state)
{
	struct tq_quic_aead *cw[3], *sr[3], *sw2, *cr2;
	uint8_t m0[5], m1[5];
	static const uint8_t sample[16] = { 1, 2, 3 };
	unsigned int c, g;

	(void)state;
	for (c = 0; c < 3; c++) {
		struct conf cf = { 0 };
		struct pair p;

		cf.server_ciphers = 1u << c;
		pair_init(&p, &cf);
		assert_int_equal(handshake(&p, SIZE_MAX), TQ_QUIC_NO_ERROR);
		cw[0] = tq_quic_key_set_get(&p.c.ks, TQ_QUIC_LEVEL_APP,
				TQ_QUIC_DIR_WRITE);
		sr[0] = tq_quic_key_set_get(&p.s.ks, TQ_QUIC_LEVEL_APP,
				TQ_QUIC_DIR_READ);
		for (g = 1; g < 3; g++) {
			assert_int_equal(tq_quic_key_set_next(&p.c.ks, w,
					TQ_QUIC_DIR_WRITE, &cw[g]), 0);
			assert_int_equal(tq_quic_key_set_next(&p.s.ks, w,
					TQ_QUIC_DIR_READ, &sr[g]), 0);
			assert_int_equal(tq_quic_aead_cipher(cw[g]), c);
		}
		for (g = 0; g < 3; g++) {
			assert_true(opens(cw[g], sr[g], 7));
			assert_false(opens(cw[g], sr[(g + 1) % 3], 7));
			assert_int_equal(tq_quic_hp_mask(cw[0], w, sample, m0),
					0);
			assert_int_equal(tq_quic_hp_mask(cw[g], w, sample, m1),
					0);
			assert_memory_equal(m0, m1, 5);
		}
		/* the other direction, one generation */
		assert_int_equal(tq_quic_key_set_next(&p.s.ks, w,
				TQ_QUIC_DIR_WRITE, &sw2), 0);
		assert_int_equal(tq_quic_key_set_next(&p.c.ks, w,
				TQ_QUIC_DIR_READ, &cr2), 0);
		assert_true(opens(sw2, cr2, 1));
		assert_false(opens(sw2, tq_quic_key_set_get(&p.c.ks,
				TQ_QUIC_LEVEL_APP, TQ_QUIC_DIR_READ), 1));
		for (g = 1; g < 3; g++) {
			tq_quic_aead_free(cw[g]);
			tq_quic_aead_free(sr[g]);
		}
		tq_quic_aead_free(sw2);
		tq_quic_aead_free(cr2);
		/* nothing to update from once 1-RTT is dropped */
		tq_quic_key_set_drop(&p.c.ks, TQ_QUIC_LEVEL_APP);
		assert_int_equal(tq_quic_key_set_next(&p.c.ks, w,
				TQ_QUIC_DIR_WRITE, &sw2), -EINVAL);
		assert_null(sw2);
		pair_fini(&p);
	}
}

/* Every byte on its own: each message crosses provide boundaries. */
static void
one_byte_at_a_time(void **state)
{
	static const struct conf cf = { 0 };
	struct pair p;

	(void)state;
	pair_init(&p, &cf);
	assert_int_equal(handshake(&p, 1), TQ_QUIC_NO_ERROR);
	check_done(&p);
	check_tp(&p.c, true);
	check_tp(&p.s, false);
	pair_fini(&p);
}

/* Every split of the ClientHello in two: nothing goes out before its
 * last byte, and then the server's whole flight. */
static void
every_split(void **state)
{
	static const struct conf cf = { 0 };
	struct pair p;
	size_t cut, len;
	uint8_t ch[OUT_CAP];

	(void)state;
	pair_init(&p, &cf);
	assert_int_equal(tq_quic_tls_start(p.c.t), TQ_QUIC_NO_ERROR);
	len = p.c.out[0].len;
	memcpy(ch, p.c.out[0].buf, len);
	pair_fini(&p);
	for (cut = 0; cut <= len; cut++) {
		struct side s = { 0 };
		struct tq_quic_tls_ctx *sctx;
		struct tq_quic_tls_conf sc = { .is_server = true };

		sc.cert_pem = cert_pem;
		sc.key_pem = key_pem;
		assert_int_equal(tq_quic_tls_ctx_new(&sc, &sctx), 0);
		s.is_server = true;
		assert_int_equal(tq_quic_tls_new(sctx, NULL, &ops, &s, &s.t),
				0);
		set_tp(&s);
		assert_int_equal(tq_quic_tls_provide(s.t,
				TQ_QUIC_LEVEL_INITIAL, ch, cut),
				TQ_QUIC_NO_ERROR);
		assert_int_equal(s.out[0].len, cut == len ? s.out[0].len : 0);
		assert_int_equal(tq_quic_tls_provide(s.t,
				TQ_QUIC_LEVEL_INITIAL, ch + cut, len - cut),
				TQ_QUIC_NO_ERROR);
		/* the ServerHello is out, and the server's flight */
		assert_true(s.out[TQ_QUIC_LEVEL_INITIAL].len > 0);
		assert_true(s.out[TQ_QUIC_LEVEL_HANDSHAKE].len > 0);
		tq_quic_tls_free(s.t);
		tq_quic_key_set_free(&s.ks);
		tq_quic_tls_ctx_free(sctx);
	}
}

/*
 * Garbage in: a CRYPTO_ERROR, never a crash, and the error sticks.  A
 * complete message that does not parse must fail; random bytes may
 * instead announce a message longer than what came, which TLS waits
 * for (the connection's CRYPTO buffer limit ends that), sending nothing.
 */
static void
garbage(void **state)
{
	static const struct conf cf = { 0 };
	uint8_t junk[600];
	struct pair p;
	enum tq_quic_err e;
	unsigned int i, round, kind;
	size_t n, cut;

	(void)state;
	for (round = 0; round < 60; round++) {
		pair_init(&p, &cf);
		srand(round);
		for (i = 0; i < sizeof(junk); i++)
			junk[i] = (uint8_t)rand();
		n = sizeof(junk);
		kind = round % 3;
		if (kind == 1) {
			/* a ClientHello of random content, length right */
			junk[0] = 1;
			junk[1] = 0;
			junk[2] = (uint8_t)((n - 4) >> 8);
			junk[3] = (uint8_t)(n - 4);
		} else if (kind == 2) {
			/* a real ClientHello claiming to end early */
			assert_int_equal(tq_quic_tls_start(p.c.t), 0);
			n = p.c.out[0].len;
			assert_true(n <= sizeof(junk));
			memcpy(junk, p.c.out[0].buf, n);
			cut = 1 + round % 60;
			n -= cut;
			junk[1] = (uint8_t)((n - 4) >> 16);
			junk[2] = (uint8_t)((n - 4) >> 8);
			junk[3] = (uint8_t)(n - 4);
		}
		e = tq_quic_tls_provide(p.s.t, TQ_QUIC_LEVEL_INITIAL, junk, n);
		if (kind != 0 || e != TQ_QUIC_NO_ERROR) {
			if (!is_crypto_error(e))
				fail_msg("round %u: 0x%x", round, e);
			assert_int_equal(tq_quic_tls_provide(p.s.t,
					TQ_QUIC_LEVEL_INITIAL, junk, 1), e);
			assert_int_equal(tq_quic_tls_error(p.s.t), e);
		}
		assert_false(tq_quic_tls_complete(p.s.t));
		for (i = 0; i < TQ_QUIC_LEVEL_MAX; i++)
			assert_int_equal(p.s.out[i].len, 0);
		assert_int_equal(p.s.n_secrets, 0);
		pair_fini(&p);
	}

	/* a message type no one sends at the start */
	pair_init(&p, &cf);
	memcpy(junk, "\xfe\x00\x00\x04" "abcd", 8);
	e = tq_quic_tls_provide(p.s.t, TQ_QUIC_LEVEL_INITIAL, junk, 8);
	if (!is_crypto_error(e))
		fail_msg("type 0xfe: 0x%x", e);
	pair_fini(&p);

	/* a client getting garbage for a ServerHello */
	pair_init(&p, &cf);
	assert_int_equal(tq_quic_tls_start(p.c.t), 0);
	memset(junk, 0xee, sizeof(junk));
	junk[0] = 2;	/* ServerHello, all of it */
	junk[1] = 0;
	junk[2] = (uint8_t)((sizeof(junk) - 4) >> 8);
	junk[3] = (uint8_t)(sizeof(junk) - 4);
	e = tq_quic_tls_provide(p.c.t, TQ_QUIC_LEVEL_INITIAL, junk,
			sizeof(junk));
	assert_true(is_crypto_error(e));
	pair_fini(&p);

	/* after completion: a post-handshake message that does not parse,
	 * and a handshake message that has no place there */
	pair_init(&p, &cf);
	assert_int_equal(handshake(&p, SIZE_MAX), TQ_QUIC_NO_ERROR);
	memcpy(junk, "\x04\x00\x00\x03" "abc", 7);	/* NewSessionTicket */
	e = tq_quic_tls_provide(p.c.t, TQ_QUIC_LEVEL_APP, junk, 7);
	if (!is_crypto_error(e))
		fail_msg("bad ticket: 0x%x", e);
	assert_true(tq_quic_tls_complete(p.c.t));
	memcpy(junk, "\x01\x00\x00\x02" "ab", 6);	/* ClientHello */
	e = tq_quic_tls_provide(p.s.t, TQ_QUIC_LEVEL_APP, junk, 6);
	if (!is_crypto_error(e))
		fail_msg("ClientHello after the handshake: 0x%x", e);
	pair_fini(&p);

	/* a ServerHello's type with a ClientHello in it: unexpected
	 * message (10) */
	pair_init(&p, &cf);
	assert_int_equal(tq_quic_tls_start(p.c.t), 0);
	e = tq_quic_tls_provide(p.c.t, TQ_QUIC_LEVEL_INITIAL, p.c.out[0].buf,
			p.c.out[0].len);
	assert_int_equal(e, TQ_QUIC_CRYPTO_ERROR_ALERT(10));
	pair_fini(&p);
}

/* RFC 9001 4.1.3: handshake bytes only at the level TLS reads. */
static void
wrong_level(void **state)
{
	static const struct conf cf = { 0 };
	struct pair p;

	(void)state;
	pair_init(&p, &cf);
	assert_int_equal(tq_quic_tls_start(p.c.t), 0);
	assert_int_equal(tq_quic_tls_provide(p.s.t, TQ_QUIC_LEVEL_HANDSHAKE,
			p.c.out[0].buf, p.c.out[0].len),
			TQ_QUIC_PROTOCOL_VIOLATION);
	pair_fini(&p);

	/* more Initial data after the handshake keys */
	pair_init(&p, &cf);
	assert_int_equal(handshake(&p, SIZE_MAX), TQ_QUIC_NO_ERROR);
	assert_int_equal(tq_quic_tls_provide(p.c.t, TQ_QUIC_LEVEL_INITIAL,
			(const uint8_t *)"\x02", 1), TQ_QUIC_PROTOCOL_VIOLATION);
	pair_fini(&p);

	/* a server never starts; a client that did not start gets none */
	pair_init(&p, &cf);
	assert_int_equal(tq_quic_tls_start(p.s.t), TQ_QUIC_NO_ERROR);
	assert_int_equal(p.s.out[0].len, 0);
	assert_int_equal(tq_quic_tls_provide(p.c.t, TQ_QUIC_LEVEL_INITIAL,
			(const uint8_t *)"\x02", 1), TQ_QUIC_PROTOCOL_VIOLATION);
	pair_fini(&p);
}

/* The client checks the self-signed certificate against it as CA, and
 * the name in it. */
static void
verify(void **state)
{
	struct conf cf = { 0 };
	struct pair p;
	enum tq_quic_err e;

	(void)state;
	cf.verify = true;
	pair_init(&p, &cf);
	assert_int_equal(handshake(&p, SIZE_MAX), TQ_QUIC_NO_ERROR);
	check_done(&p);
	pair_fini(&p);

	cf.server_name = "other.test";
	pair_init(&p, &cf);
	e = handshake(&p, SIZE_MAX);
	/* bad_certificate (42) */
	assert_int_equal(e, TQ_QUIC_CRYPTO_ERROR_ALERT(42));
	assert_int_equal(tq_quic_tls_error(p.c.t), e);
	assert_false(tq_quic_tls_complete(p.c.t));
	assert_int_equal(p.c.out[TQ_QUIC_LEVEL_HANDSHAKE].len, 0);
	pair_fini(&p);
}

static void
ctx_errors(void **state)
{
	static const char *const empty[] = { "" };
	struct tq_quic_tls_conf c = { 0 };
	struct tq_quic_tls_ctx *ctx;
	struct tq_quic_tls *t;
	char *cp, *kp;

	(void)state;
	c.is_server = true;
	assert_int_equal(tq_quic_tls_ctx_new(&c, &ctx), -EINVAL);
	assert_null(ctx);
	c.cert_file = "/nonexistent/cert.pem";
	c.key_file = "/nonexistent/key.pem";
	assert_int_equal(tq_quic_tls_ctx_new(&c, &ctx), -ENOENT);
	c.cert_file = key_path;	/* a key is not a certificate */
	c.key_file = key_path;
	assert_true(tq_quic_tls_ctx_new(&c, &ctx) < 0);
	c.cert_file = cert_path;
	c.alpn = empty;
	c.n_alpn = 1;
	assert_int_equal(tq_quic_tls_ctx_new(&c, &ctx), -EINVAL);
	c.alpn = NULL;
	c.ciphers = 8;
	assert_int_equal(tq_quic_tls_ctx_new(&c, &ctx), -EINVAL);
	c.ciphers = 0;
	assert_int_equal(tq_quic_tls_ctx_new(&c, &ctx), 0);
	assert_int_equal(tq_quic_tls_new(ctx, NULL, NULL, NULL, &t), -EINVAL);
	tq_quic_tls_ctx_free(ctx);

	memset(&c, 0, sizeof(c));
	c.verify = true;
	c.ca_file = "/nonexistent/ca.pem";
	assert_true(tq_quic_tls_ctx_new(&c, &ctx) < 0);
	assert_int_equal(tq_quic_tls_self_signed("", &cp, &kp), -EINVAL);
	assert_string_equal(tq_quic_level_name(TQ_QUIC_LEVEL_APP), "1rtt");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(handshake_completes),
		cmocka_unit_test(client_hello_shape),
		cmocka_unit_test(secrets_unpaired),
		cmocka_unit_test(each_cipher),
		cmocka_unit_test(transport_params),
		cmocka_unit_test(missing_tp),
		cmocka_unit_test(alpn_mismatch),
		cmocka_unit_test(hello_retry),
		cmocka_unit_test(post_handshake_ticket),
		cmocka_unit_test(resume_and_early),
		cmocka_unit_test(key_update),
		cmocka_unit_test(client_hello_without),
		cmocka_unit_test(one_byte_at_a_time),
		cmocka_unit_test(every_split),
		cmocka_unit_test(garbage),
		cmocka_unit_test(wrong_level),
		cmocka_unit_test(verify),
		cmocka_unit_test(ctx_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
