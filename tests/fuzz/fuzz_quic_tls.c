/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QUIC's TLS handshake (engine/quic/tq_quic_tls.c) on attacker-chosen
 * handshake bytes: no host, no EAL.  Input:
 *
 *   [ctl][handshake bytes...]
 *
 * ctl bit 7 clear: the bytes go to a fresh server session as the
 * client's Initial CRYPTO data (a ClientHello); set: to a fresh client
 * session, after its ClientHello, as the server's (a ServerHello).
 * ctl bits 0-6: the size of each provide (0: all at once).  The peer's
 * transport parameters are decoded as the connection layer would.
 * Whatever comes in, provide returns NO_ERROR, a CRYPTO_ERROR,
 * TRANSPORT_PARAMETER_ERROR or PROTOCOL_VIOLATION; an error sticks; the handshake never
 * completes (nobody here can forge a Finished); secrets have their
 * suite's length; nothing leaks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "quic/tq_quic_tls.h"
#include "quic/tq_quic_wire.h"

#include "fuzz_common.h"

int tq_fuzz_quic_tls_one(const uint8_t *d, size_t n);

struct fz_tls {
	size_t out[TQ_QUIC_LEVEL_MAX];
	bool is_server;
};

static int
fz_crypto(void *arg, enum tq_quic_level level, const uint8_t *d, size_t n)
{
	struct fz_tls *f = arg;

	FZ_CHECK(level < TQ_QUIC_LEVEL_MAX && level != TQ_QUIC_LEVEL_EARLY,
			"crypto data at level %d", level);
	FZ_CHECK(d && n > 0, "empty crypto data");
	f->out[level] += n;
	return 0;
}

static int
fz_secret(void *arg, enum tq_quic_level level, enum tq_quic_dir dir,
		enum tq_quic_cipher c, const uint8_t *secret, size_t len)
{
	(void)arg;
	(void)dir;
	FZ_CHECK(level == TQ_QUIC_LEVEL_HANDSHAKE || level == TQ_QUIC_LEVEL_APP,
			"secret at level %d", level);
	FZ_CHECK(secret && len == tq_quic_cipher_secret_len(c),
			"secret of %zu bytes for %s", len,
			tq_quic_cipher_name(c));
	return 0;
}

static enum tq_quic_err
fz_peer_tp(void *arg, const uint8_t *tp, size_t len)
{
	struct fz_tls *f = arg;
	struct tq_quic_tp p;

	return tq_quic_tp_decode(tp, len, !f->is_server, &p);
}

static const struct tq_quic_tls_ops fz_tls_ops = {
	.crypto_data = fz_crypto,
	.secret = fz_secret,
	.peer_tp = fz_peer_tp,
};

static struct tq_quic_tls_ctx *fz_sctx, *fz_cctx;

static void
fz_tls_init(void)
{
	struct tq_quic_tls_conf sc = { .is_server = true };
	struct tq_quic_tls_conf cc = { .is_server = false };
	char *cert, *key;

	if (fz_sctx)
		return;
	if (tq_quic_tls_self_signed("fuzz.test", &cert, &key) < 0)
		abort();
	sc.cert_pem = cert;
	sc.key_pem = key;
	if (tq_quic_tls_ctx_new(&sc, &fz_sctx) < 0 ||
			tq_quic_tls_ctx_new(&cc, &fz_cctx) < 0)
		abort();
	free(cert);
	free(key);
}

static bool
fz_err_ok(enum tq_quic_err e)
{
	/* PROTOCOL_VIOLATION: Initial data after a ServerHello that
	 * parsed (RFC 9001 4.1.3) */
	return e == TQ_QUIC_NO_ERROR ||
		e == TQ_QUIC_TRANSPORT_PARAMETER_ERROR ||
		e == TQ_QUIC_PROTOCOL_VIOLATION ||
		(e >= TQ_QUIC_CRYPTO_ERROR && e <= 0x01ff);
}

int
tq_fuzz_quic_tls_one(const uint8_t *d, size_t n)
{
	struct fz_tls f = { { 0 }, false };
	struct tq_quic_tp tp;
	struct tq_quic_tls *t;
	enum tq_quic_err e = TQ_QUIC_NO_ERROR;
	uint8_t tpb[128];
	size_t chunk, off, k;
	int tpn;

	if (n < 1)
		return 0;
	fz_tls_init();
	f.is_server = !(d[0] & 0x80);
	chunk = d[0] & 0x7f;
	d++;
	n--;
	if (chunk == 0)
		chunk = n ? n : 1;

	FZ_CHECK(tq_quic_tls_new(f.is_server ? fz_sctx : fz_cctx, "fuzz.test",
			&fz_tls_ops, &f, &t) == 0, "session");
	tq_quic_tp_default(&tp);
	tp.has_initial_scid = true;
	tp.initial_scid.len = 4;
	if (f.is_server) {
		tp.has_original_dcid = true;
		tp.original_dcid.len = 8;
	}
	tpn = tq_quic_tp_encode(&tp, f.is_server, tpb, sizeof(tpb));
	FZ_CHECK(tpn > 0 && tq_quic_tls_set_tp(t, tpb, (size_t)tpn) == 0,
			"transport parameters");
	if (!f.is_server) {
		FZ_CHECK(tq_quic_tls_start(t) == TQ_QUIC_NO_ERROR, "start");
		FZ_CHECK(f.out[TQ_QUIC_LEVEL_INITIAL] > 0, "no ClientHello");
	}
	for (off = 0; off < n && e == TQ_QUIC_NO_ERROR; off += k) {
		k = n - off < chunk ? n - off : chunk;
		e = tq_quic_tls_provide(t, TQ_QUIC_LEVEL_INITIAL, d + off, k);
		FZ_CHECK(fz_err_ok(e), "provide gave 0x%x", e);
	}
	FZ_CHECK(tq_quic_tls_error(t) == e, "error 0x%x not kept", e);
	if (e != TQ_QUIC_NO_ERROR)
		FZ_CHECK(tq_quic_tls_provide(t, TQ_QUIC_LEVEL_INITIAL, d, n) ==
				e, "error did not stick");
	FZ_CHECK(!tq_quic_tls_complete(t), "complete without a Finished");
	tq_quic_tls_free(t);
	return 0;
}

#ifndef TQ_FUZZ_NO_ENTRY
/* No host to build: the handshake needs no EAL. */
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	return tq_fuzz_quic_tls_one(d, n);
}
#endif
