/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * quic_tls_peer: the QUIC handshake against a real peer (ngtcp2's
 * gtlsserver and gtlsclient) over a kernel UDP socket, with nothing of
 * ours but the layers that exist: the wire codecs, packet protection,
 * the key set and the TLS session.  No connection layer yet, so this is
 * the least of one: one path, no loss recovery (the flight is resent on
 * a timer), ACKs from a bitmap, CRYPTO reassembly in flat buffers.
 *
 * As a client it succeeds when TLS completes on our side and the
 * server, having checked our Finished, sends HANDSHAKE_DONE in a 1-RTT
 * packet that opens with our 1-RTT read key; the negotiated ALPN must
 * be h3, the suite the one asked for, and the server's transport
 * parameters must decode with our original DCID in them.  As a server
 * it answers one client: when TLS completes (the client's Finished
 * checked) it sends HANDSHAKE_DONE, waits a little for what follows,
 * closes with NO_ERROR and succeeds if the client's transport
 * parameters decode and ALPN is h3; whether the client took our flight
 * and HANDSHAKE_DONE is for its own output to say.
 *
 *   quic_tls_peer client HOST PORT [--cipher NAME] [--ca FILE --name NAME]
 *   quic_tls_peer server ADDR PORT --cert FILE --key FILE [--cipher NAME]
 *   quic_tls_peer make-cert DIR NAME    (DIR/cert.pem, DIR/key.pem)
 *
 * Exit 0 on success, 1 on failure (the reason on stderr).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "quic/tq_quic_crypto.h"
#include "quic/tq_quic_tls.h"
#include "quic/tq_quic_wire.h"

#define CID_LEN 8
#define CRYPTO_CAP 65536
#define MAX_DGRAM 1500

enum space { SP_INITIAL, SP_HANDSHAKE, SP_APP, SP_MAX };

struct crypto_out {
	uint8_t buf[CRYPTO_CAP];
	size_t len;
};

struct crypto_in {
	uint8_t buf[CRYPTO_CAP];
	uint8_t have[CRYPTO_CAP];
	size_t fed;
};

struct client {
	int fd;
	struct tq_quic_crypto_worker *w;
	struct tq_quic_key_set ks;
	struct tq_quic_tls_ctx *ctx;
	struct tq_quic_tls *tls;
	uint8_t odcid[TQ_QUIC_CID_MAX];	/* the client's first DCID */
	size_t odcid_len;
	uint8_t dcid[TQ_QUIC_CID_MAX];
	size_t dcid_len;
	bool is_server;
	bool have_peer_cid;	/* client: the server's SCID is known */
	uint8_t scid[CID_LEN];
	struct crypto_out out[TQ_QUIC_LEVEL_MAX];
	struct crypto_in in[TQ_QUIC_LEVEL_MAX];
	uint64_t next_pn[SP_MAX];
	uint64_t rcvd[SP_MAX];	/* bitmap of packet numbers 0-63 */
	bool ack_due[SP_MAX];
	bool handshake_done;
	enum tq_quic_err err;
};

static void __attribute__((format(printf, 1, 2), noreturn))
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "quic_tls_peer: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static enum tq_quic_level
level_of(enum space sp)
{
	return sp == SP_INITIAL ? TQ_QUIC_LEVEL_INITIAL :
		sp == SP_HANDSHAKE ? TQ_QUIC_LEVEL_HANDSHAKE :
		TQ_QUIC_LEVEL_APP;
}

static int
on_crypto(void *arg, enum tq_quic_level l, const uint8_t *d, size_t n)
{
	struct client *c = arg;

	if (c->out[l].len + n > CRYPTO_CAP)
		return -EMSGSIZE;
	memcpy(c->out[l].buf + c->out[l].len, d, n);
	c->out[l].len += n;
	return 0;
}

static int
on_secret(void *arg, enum tq_quic_level l, enum tq_quic_dir dir,
		enum tq_quic_cipher ci, const uint8_t *s, size_t n)
{
	struct client *c = arg;

	return tq_quic_key_set_install(&c->ks, c->w, l, dir, ci, s, n);
}

static const struct tq_quic_tls_ops ops = {
	.crypto_data = on_crypto,
	.secret = on_secret,
};

/* One packet of space sp with frames[0, flen), in a datagram of its
 * own; a client's Initial is padded to 1200 bytes (RFC 9000 14.1). */
static void
send_packet(struct client *c, enum space sp, const uint8_t *frames,
		size_t flen)
{
	static const enum tq_quic_pkt_type types[] = {
		TQ_QUIC_PKT_INITIAL, TQ_QUIC_PKT_HANDSHAKE, TQ_QUIC_PKT_1RTT,
	};
	struct tq_quic_aead *a = tq_quic_key_set_get(&c->ks, level_of(sp),
			TQ_QUIC_DIR_WRITE);
	uint8_t dg[MAX_DGRAM + TQ_QUIC_TAG_LEN] = { 0 };
	struct tq_quic_hdr_pos pos;
	struct tq_quic_wr wr;
	uint64_t pn = c->next_pn[sp]++;
	size_t payload;
	int rc, n;

	if (!a)
		die("no write key for %s", tq_quic_level_name(level_of(sp)));
	tq_quic_wr_init(&wr, dg, MAX_DGRAM);
	if (sp == SP_APP)
		rc = tq_quic_hdr_write_short(&wr, dg, c->dcid, c->dcid_len,
				false, false, pn, 2, &pos);
	else
		rc = tq_quic_hdr_write_long(&wr, dg, types[sp],
				TQ_QUIC_VERSION_1, c->dcid, c->dcid_len,
				c->scid, CID_LEN, NULL, 0, pn, 2, &pos);
	if (rc < 0 || tq_quic_wr_bytes(&wr, frames, flen) < 0)
		die("packet does not fit");
	/* Enough payload for the header protection sample, and the
	 * client's Initial datagram at 1200 bytes: PADDING is zeros. */
	while ((size_t)(wr.pos - dg) < pos.pn_off + pos.pn_len + 4 ||
			(sp == SP_INITIAL && (size_t)(wr.pos - dg) +
			 TQ_QUIC_TAG_LEN < TQ_QUIC_MIN_INITIAL_DGRAM))
		tq_quic_wr_u8(&wr, 0);
	if (sp != SP_APP && tq_quic_hdr_set_length(dg, &pos,
			(size_t)(wr.pos - dg) + TQ_QUIC_TAG_LEN) < 0)
		die("length");
	payload = (size_t)(wr.pos - dg) - pos.pn_off - pos.pn_len;
	n = tq_quic_packet_seal(a, c->w, dg, pos.pn_off, pn, payload);
	if (n < 0)
		die("seal: %d", n);
	if (send(c->fd, dg, (size_t)n, 0) != n)
		die("send: %s", strerror(errno));
}

/* An ACK of the space's packets seen so far (bitmap ranges). */
static int
write_ack(struct client *c, enum space sp, struct tq_quic_wr *wr)
{
	struct tq_quic_ack_range r[32];
	size_t n = 0;
	int i;

	for (i = 63; i >= 0 && n < 32; i--) {
		if (!(c->rcvd[sp] >> i & 1))
			continue;
		if (n && r[n - 1].smallest == (uint64_t)i + 1)
			r[n - 1].smallest = (uint64_t)i;
		else
			r[n++] = (struct tq_quic_ack_range){ (uint64_t)i,
				(uint64_t)i };
	}
	if (n == 0)
		return 0;
	return tq_quic_ack_encode(wr, r, n, 0, NULL);
}

/* Everything TLS has for the peer (from the start: on a timer this is
 * the retransmission), with an ACK where one is due. */
static void
flush(struct client *c, bool resend)
{
	static size_t sent[TQ_QUIC_LEVEL_MAX];
	uint8_t frames[1100];
	struct tq_quic_wr wr;
	enum space sp;
	enum tq_quic_level l;
	size_t off, fit;

	for (sp = SP_INITIAL; sp < SP_MAX; sp++) {
		l = level_of(sp);
		if (!tq_quic_key_set_get(&c->ks, l, TQ_QUIC_DIR_WRITE))
			continue;
		off = resend ? 0 : sent[l];
		do {
			tq_quic_wr_init(&wr, frames, sizeof(frames));
			if (c->ack_due[sp] && write_ack(c, sp, &wr) < 0)
				die("ack");
			c->ack_due[sp] = false;
			if (off < c->out[l].len) {
				if (tq_quic_crypto_encode(&wr, off,
						c->out[l].buf + off,
						c->out[l].len - off, &fit) < 0)
					die("crypto frame");
				off += fit;
			}
			if (wr.pos != frames)
				send_packet(c, sp, frames,
						(size_t)(wr.pos - frames));
		} while (off < c->out[l].len);
		sent[l] = off;
	}
}

static void
take_crypto(struct client *c, enum tq_quic_level l, uint64_t off,
		const uint8_t *d, size_t n)
{
	struct crypto_in *in = &c->in[l];
	enum tq_quic_err e;
	size_t end;

	if (off + n > CRYPTO_CAP)
		die("CRYPTO data past %d bytes", CRYPTO_CAP);
	memcpy(in->buf + off, d, n);
	memset(in->have + off, 1, n);
	for (end = in->fed; end < CRYPTO_CAP && in->have[end]; end++)
		;
	if (end == in->fed)
		return;
	e = tq_quic_tls_provide(c->tls, l, in->buf + in->fed, end - in->fed);
	in->fed = end;
	if (e != TQ_QUIC_NO_ERROR)
		die("TLS: 0x%x (%s)", (unsigned int)e, tq_quic_err_str(e));
}

static void
frames_in(struct client *c, enum space sp, enum tq_quic_pkt_type type,
		const uint8_t *p, size_t n)
{
	struct tq_quic_frame f;
	struct tq_quic_rd rd;
	enum tq_quic_err e;

	tq_quic_rd_init(&rd, p, n);
	while (tq_quic_rd_left(&rd)) {
		e = tq_quic_frame_decode(&rd, type, &f);
		if (e != TQ_QUIC_NO_ERROR)
			die("frame 0x%llx: %s", (unsigned long long)f.type,
					tq_quic_err_str(e));
		if (tq_quic_frame_ack_eliciting(f.type))
			c->ack_due[sp] = true;
		switch (f.type) {
		case TQ_QUIC_FT_CRYPTO:
			take_crypto(c, level_of(sp), f.crypto.offset,
					f.crypto.data, f.crypto.len);
			break;
		case TQ_QUIC_FT_HANDSHAKE_DONE:
			c->handshake_done = true;
			break;
		case TQ_QUIC_FT_CONNECTION_CLOSE:
		case TQ_QUIC_FT_CONNECTION_CLOSE_APP:
			die("peer closed: 0x%llx (%s) \"%.*s\"",
					(unsigned long long)f.close.error,
					tq_quic_err_str(f.close.error),
					(int)f.close.reason_len,
					(const char *)f.close.reason);
		default:
			break; /* ACK, PADDING, PING, NEW_TOKEN, streams, ... */
		}
	}
}

static void
datagram_in(struct client *c, uint8_t *dg, size_t n)
{
	struct tq_quic_dgram_iter it;
	struct tq_quic_hdr h;
	struct tq_quic_aead *a;
	enum space sp;
	uint8_t *pkt;
	uint64_t pn;
	size_t off;
	int len;

	tq_quic_dgram_iter_init(&it, dg, n, CID_LEN);
	while (tq_quic_dgram_next(&it, &h) == 1) {
		pkt = dg + it.off - h.len;
		if (h.type == TQ_QUIC_PKT_INITIAL)
			sp = SP_INITIAL;
		else if (h.type == TQ_QUIC_PKT_HANDSHAKE)
			sp = SP_HANDSHAKE;
		else if (h.type == TQ_QUIC_PKT_1RTT)
			sp = SP_APP;
		else
			continue; /* Retry, VN: not asked for */
		a = tq_quic_key_set_get(&c->ks, level_of(sp), TQ_QUIC_DIR_READ);
		if (!a)
			continue; /* keys not there yet: the peer resends */
		len = tq_quic_packet_open(a, c->w, pkt, h.len, h.pn_off,
				TQ_QUIC_PN_NONE, &pn, &off);
		if (len < 0) {
			fprintf(stderr, "quic_tls_peer: %s packet does not open\n",
					tq_quic_level_name(level_of(sp)));
			continue;
		}
		if (sp == SP_INITIAL && !c->have_peer_cid) {
			/* RFC 9000 7.2: from now on, the server's CID */
			memcpy(c->dcid, h.scid, h.scid_len);
			c->dcid_len = h.scid_len;
			c->have_peer_cid = true;
		}
		if (pn < 64)
			c->rcvd[sp] |= UINT64_C(1) << pn;
		frames_in(c, sp, h.type, pkt + off, (size_t)len);
	}
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
make_cert(const char *dir, const char *name)
{
	char *cert, *key, path[512];
	FILE *f;

	if (tq_quic_tls_self_signed(name, &cert, &key) < 0)
		die("self-signed certificate");
	snprintf(path, sizeof(path), "%s/cert.pem", dir);
	f = fopen(path, "w");
	if (!f || fputs(cert, f) < 0 || fclose(f) != 0)
		die("%s: %s", path, strerror(errno));
	snprintf(path, sizeof(path), "%s/key.pem", dir);
	f = fopen(path, "w");
	if (!f || fputs(key, f) < 0 || fclose(f) != 0)
		die("%s: %s", path, strerror(errno));
	free(cert);
	free(key);
	return 0;
}

static int
udp_socket(const char *host, const char *port, bool bind_it)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *ai;
	int fd;

	if (getaddrinfo(host, port, &hints, &ai) != 0)
		die("cannot resolve %s", host);
	fd = socket(ai->ai_family, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	if ((bind_it ? bind(fd, ai->ai_addr, ai->ai_addrlen) :
			connect(fd, ai->ai_addr, ai->ai_addrlen)) < 0)
		die("%s %s:%s: %s", bind_it ? "bind" : "connect", host, port,
				strerror(errno));
	freeaddrinfo(ai);
	return fd;
}

/* Our transport parameters: a server's carry the client's first DCID. */
static void
set_tp(struct client *c)
{
	struct tq_quic_tp tp;
	uint8_t tpb[256];
	int tpn;

	tq_quic_tp_default(&tp);
	tp.has_initial_scid = true;
	tp.initial_scid.len = CID_LEN;
	memcpy(tp.initial_scid.id, c->scid, CID_LEN);
	if (c->is_server) {
		tp.has_original_dcid = true;
		tp.original_dcid.len = (uint8_t)c->odcid_len;
		memcpy(tp.original_dcid.id, c->odcid, c->odcid_len);
	}
	tp.max_idle_timeout = 10000;
	tp.initial_max_data = 1 << 20;
	tp.initial_max_stream_data_bidi_local = 1 << 18;
	tp.initial_max_stream_data_bidi_remote = 1 << 18;
	tp.initial_max_stream_data_uni = 1 << 18;
	tp.initial_max_streams_bidi = 10;
	tp.initial_max_streams_uni = 10;
	tpn = tq_quic_tp_encode(&tp, c->is_server, tpb, sizeof(tpb));
	if (tpn < 0 || tq_quic_tls_set_tp(c->tls, tpb, (size_t)tpn) < 0)
		die("transport parameters");
}

/* ALPN h3 and the peer's transport parameters decoding; returns the
 * suite. */
static enum tq_quic_cipher
check_result(struct client *c, const char *want_cipher, struct tq_quic_tp *peer)
{
	const uint8_t *raw, *alpn;
	enum tq_quic_cipher ci;
	size_t n;

	if (!tq_quic_tls_complete(c->tls))
		die("TLS did not complete");
	alpn = tq_quic_tls_alpn(c->tls, &n);
	if (!alpn || n != 2 || memcmp(alpn, "h3", 2))
		die("ALPN is not h3");
	if (tq_quic_tls_cipher(c->tls, &ci) < 0 ||
			(want_cipher && strcmp(tq_quic_cipher_name(ci),
					       want_cipher)))
		die("suite %s, not %s", tq_quic_cipher_name(ci), want_cipher);
	raw = tq_quic_tls_peer_tp(c->tls, &n);
	if (!raw || tq_quic_tp_decode(raw, n, !c->is_server, peer) !=
			TQ_QUIC_NO_ERROR)
		die("the peer's transport parameters do not decode");
	if (peer->initial_scid.len != c->dcid_len ||
			memcmp(peer->initial_scid.id, c->dcid, c->dcid_len))
		die("initial_source_connection_id is not the peer's SCID");
	return ci;
}

/* One frame in a 1-RTT packet of its own. */
static void
send_app_frame(struct client *c, const struct tq_quic_frame *f)
{
	uint8_t fr[64];
	struct tq_quic_wr wr;

	tq_quic_wr_init(&wr, fr, sizeof(fr));
	if (tq_quic_frame_encode(&wr, f) < 0)
		die("frame");
	send_packet(c, SP_APP, fr, (size_t)(wr.pos - fr));
}

static void
finish(struct client *c)
{
	struct tq_quic_frame f = { .type = TQ_QUIC_FT_CONNECTION_CLOSE };

	/* A polite end: CONNECTION_CLOSE, NO_ERROR, in 1-RTT. */
	send_app_frame(c, &f);
	tq_quic_tls_free(c->tls);
	tq_quic_tls_ctx_free(c->ctx);
	tq_quic_key_set_free(&c->ks);
	tq_quic_crypto_worker_free(c->w);
	close(c->fd);
}

static int
run_client(struct client *c, const char *host, const char *port,
		const char *name, const char *want_cipher)
{
	struct tq_quic_tp peer;
	enum tq_quic_cipher ci;
	uint8_t dg[65536];
	double start, last;
	struct pollfd pfd;
	ssize_t r;

	if (gnutls_rnd(GNUTLS_RND_NONCE, c->odcid, CID_LEN) < 0)
		die("random");
	c->odcid_len = CID_LEN;
	memcpy(c->dcid, c->odcid, CID_LEN);
	c->dcid_len = CID_LEN;
	if (tq_quic_key_set_initial(&c->ks, c->w, false, c->odcid,
			CID_LEN) < 0)
		die("initial keys");
	if (tq_quic_tls_new(c->ctx, name ? name : host, &ops, c,
			&c->tls) < 0)
		die("TLS session");
	set_tp(c);
	c->fd = udp_socket(host, port, false);
	if (tq_quic_tls_start(c->tls) != TQ_QUIC_NO_ERROR)
		die("start");
	flush(c, false);
	start = last = now();
	pfd.fd = c->fd;
	pfd.events = POLLIN;
	while (!c->handshake_done) {
		if (now() - start > 5)
			die("no HANDSHAKE_DONE after 5 s (TLS %s)",
					tq_quic_tls_complete(c->tls) ?
					"complete" : "not complete");
		if (poll(&pfd, 1, 200) <= 0) {
			if (now() - last > 0.5) {
				flush(c, true);	/* our flight again */
				last = now();
			}
			continue;
		}
		r = recv(c->fd, dg, sizeof(dg), 0);
		if (r < 0)
			die("recv: %s", strerror(errno));
		datagram_in(c, dg, (size_t)r);
		flush(c, false);
	}
	tq_quic_tls_confirm(c->tls);
	if (!tq_quic_tls_confirmed(c->tls))
		die("HANDSHAKE_DONE before TLS completed");
	ci = check_result(c, want_cipher, &peer);
	if (peer.original_dcid.len != CID_LEN ||
			memcmp(peer.original_dcid.id, c->odcid, CID_LEN))
		die("original_destination_connection_id is not ours");
	printf("client: handshake confirmed: %s, ALPN h3, %.1f ms\n",
			tq_quic_cipher_name(ci), (now() - start) * 1000);
	finish(c);
	return 0;
}

static int
run_server(struct client *c, const char *addr, const char *port,
		const char *want_cipher)
{
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);
	struct tq_quic_hdr h;
	struct tq_quic_tp peer;
	enum tq_quic_cipher ci;
	uint8_t dg[65536];
	double start, last, done_at = 0;
	struct pollfd pfd;
	ssize_t r;

	c->fd = udp_socket(addr, port, true);
	pfd.fd = c->fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 10000) <= 0)
		die("no client in 10 s");
	r = recvfrom(c->fd, dg, sizeof(dg), 0, (struct sockaddr *)&from,
			&fromlen);
	if (r < 0)
		die("recvfrom: %s", strerror(errno));
	if (tq_quic_hdr_parse(dg, (size_t)r, CID_LEN, &h) < 0 ||
			h.type != TQ_QUIC_PKT_INITIAL)
		die("the first datagram is not an Initial");
	/* One client: the socket is its from now on. */
	if (connect(c->fd, (struct sockaddr *)&from, fromlen) < 0)
		die("connect: %s", strerror(errno));
	memcpy(c->odcid, h.dcid, h.dcid_len);
	c->odcid_len = h.dcid_len;
	memcpy(c->dcid, h.scid, h.scid_len);
	c->dcid_len = h.scid_len;
	c->have_peer_cid = true;
	if (tq_quic_key_set_initial(&c->ks, c->w, true, c->odcid,
			c->odcid_len) < 0)
		die("initial keys");
	if (tq_quic_tls_new(c->ctx, NULL, &ops, c, &c->tls) < 0)
		die("TLS session");
	set_tp(c);
	start = last = now();
	for (;;) {
		datagram_in(c, dg, (size_t)r);
		if (tq_quic_tls_complete(c->tls) && done_at == 0) {
			struct tq_quic_frame f = {
				.type = TQ_QUIC_FT_HANDSHAKE_DONE,
			};

			send_app_frame(c, &f);
			done_at = now();
		}
		flush(c, false);
		/* what follows (ACKs, the client's streams) for a moment */
		do {
			if (done_at && now() - done_at > 0.3)
				goto done;
			if (now() - start > 10)
				die("no handshake after 10 s");
			if (poll(&pfd, 1, 100) <= 0) {
				if (!done_at && now() - last > 0.5) {
					flush(c, true);
					last = now();
				}
				continue;
			}
			r = recv(c->fd, dg, sizeof(dg), 0);
			if (r < 0)
				die("recv: %s", strerror(errno));
			break;
		} while (1);
	}
done:
	ci = check_result(c, want_cipher, &peer);
	printf("server: handshake complete, HANDSHAKE_DONE sent: %s, ALPN h3, "
			"%.1f ms\n", tq_quic_cipher_name(ci),
			(done_at - start) * 1000);
	finish(c);
	return 0;
}

int
main(int argc, char **argv)
{
	static struct client cl;
	struct client *c = &cl;
	struct tq_quic_tls_conf conf = { 0 };
	const char *name = NULL, *want_cipher = NULL;
	enum tq_quic_cipher ci;
	int i;

	if (argc == 4 && !strcmp(argv[1], "make-cert"))
		return make_cert(argv[2], argv[3]);
	if (argc < 4 || (strcmp(argv[1], "client") &&
			strcmp(argv[1], "server")))
		die("usage: quic_tls_peer client|server HOST PORT "
				"[--cipher NAME] [--ca FILE --name NAME] "
				"[--cert FILE --key FILE]");
	c->is_server = !strcmp(argv[1], "server");
	conf.is_server = c->is_server;
	for (i = 4; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--cipher"))
			want_cipher = argv[i + 1];
		else if (!strcmp(argv[i], "--ca"))
			conf.ca_file = argv[i + 1];
		else if (!strcmp(argv[i], "--name"))
			name = argv[i + 1];
		else if (!strcmp(argv[i], "--cert"))
			conf.cert_file = argv[i + 1];
		else if (!strcmp(argv[i], "--key"))
			conf.key_file = argv[i + 1];
		else
			die("unknown option %s", argv[i]);
	}
	conf.verify = conf.ca_file != NULL;
	if (want_cipher) {
		for (ci = TQ_QUIC_AES_128_GCM; ci <= TQ_QUIC_CHACHA20_POLY1305;
				ci++)
			if (!strcmp(tq_quic_cipher_name(ci), want_cipher))
				break;
		if (ci > TQ_QUIC_CHACHA20_POLY1305)
			die("unknown cipher %s", want_cipher);
		conf.ciphers = 1u << ci;
	}
	if (tq_quic_crypto_worker_new(TQ_QUIC_CRYPTO_AUTO, &c->w) < 0)
		die("crypto worker");
	if (gnutls_rnd(GNUTLS_RND_NONCE, c->scid, CID_LEN) < 0)
		die("random");
	if (tq_quic_tls_ctx_new(&conf, &c->ctx) < 0)
		die("TLS context");
	if (c->is_server)
		return run_server(c, argv[2], argv[3], want_cipher);
	return run_client(c, argv[2], argv[3], name, want_cipher);
}
