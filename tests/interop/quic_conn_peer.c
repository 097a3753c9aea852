/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * quic_conn_peer: our whole QUIC connection (engine/quic/tq_quic_conn.h)
 * as a client over a kernel UDP socket against a real server (ngtcp2's
 * gtlsserver): the handshake completes and is confirmed (HANDSHAKE_DONE),
 * the Initial and Handshake keys are discarded, the server's HTTP/3
 * control and QPACK streams are accepted and read (so it has no reason
 * to complain), then we close with H3_NO_ERROR and wait out the closing
 * period.  Success: no error either way, the negotiated suite is the one
 * asked for.  The clock and the socket are this program's: the
 * connection itself does no I/O.
 *
 *   quic_conn_peer client HOST PORT [--cipher NAME] [--ca FILE --name NAME]
 *   quic_conn_peer server ADDR PORT --cert FILE --key FILE [--cipher NAME]
 *   --key-update: make a key update once confirmed (RFC 9001 6)
 *   --session-file FILE (client): resume with the session in FILE if it
 *     has one; save the session the server's ticket gives to it
 *   --qlog-dir DIR: a qlog file of the connection in DIR
 *   --clients N (server): answer N clients one after the other, with
 *     session tickets (and with --early, 0-RTT taken), so a client's
 *     second run resumes
 *   --early (client): offer 0-RTT when resuming, and open an HTTP/3
 *     control stream (type, empty SETTINGS) before the first datagram,
 *     so it goes in 0-RTT (or in 1-RTT once the handshake is done, when
 *     there is no 0-RTT)
 *
 * As a server (for ngtcp2's gtlsclient) it answers the first client: the
 * connection is made from its first Initial as the module will, the
 * handshake completes, the client's streams are read, and after a moment
 * it closes with H3_NO_ERROR (it serves no HTTP/3).
 *
 * Exit 0 on success, 1 on failure (the reason on stderr).
 */
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

#include "quic/tq_quic_conn.h"
#include "tq_test.h"

#define H3_NO_ERROR 0x100

static int established, closed;
static enum tq_close_reason close_why;
static uint64_t close_code, peer_streams, peer_bytes;

static void __attribute__((format(printf, 1, 2), noreturn))
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "quic_conn_peer: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
sink_readable(struct tq_stream *st, void *ctx)
{
	uint8_t buf[4096];
	int n;

	(void)ctx;
	while ((n = tq_stream_read(st, buf, sizeof(buf))) > 0)
		peer_bytes += (uint64_t)n;
}

static const struct tq_stream_ops sink_ops = {
	.readable = sink_readable,
};

static void
on_established(struct tq_conn *c, void *u)
{
	(void)c;
	(void)u;
	established++;
}

static void
on_new_stream(struct tq_conn *c, struct tq_stream *st, void *u)
{
	(void)c;
	(void)u;
	peer_streams++;
	tq_stream_set_ops(st, &sink_ops, NULL);
}

static void
on_closed(struct tq_conn *c, enum tq_close_reason why, uint64_t code,
		void *u)
{
	(void)c;
	(void)u;
	closed++;
	close_why = why;
	close_code = code;
}

static const struct tq_conn_ops conn_ops = {
	.established = on_established,
	.new_stream = on_new_stream,
	.closed = on_closed,
};

static int
udp_socket(const char *host, const char *port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *ai;
	int fd;

	if (getaddrinfo(host, port, &hints, &ai) != 0)
		die("cannot resolve %s", host);
	fd = socket(ai->ai_family, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0)
		die("%s:%s: %s", host, port, strerror(errno));
	freeaddrinfo(ai);
	return fd;
}

static int
cipher_mask(const char *name)
{
	static const enum tq_quic_cipher all[] = {
		TQ_QUIC_AES_128_GCM, TQ_QUIC_AES_256_GCM,
		TQ_QUIC_CHACHA20_POLY1305,
	};
	unsigned int i;

	for (i = 0; i < 3; i++)
		if (!strcmp(name, tq_quic_cipher_name(all[i])))
			return 1 << all[i];
	die("unknown cipher %s", name);
}

/* Run the connection until done(c) or the deadline. */
static bool
drive(struct tq_quic_conn *c, int fd, uint64_t deadline,
		bool (*done)(struct tq_quic_conn *c))
{
	uint8_t dg[2048];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint64_t now, t;
	size_t n;
	ssize_t r;
	int ms;

	for (;;) {
		now = now_ns();
		while ((n = tq_quic_conn_output(c, dg, sizeof(dg), now)) > 0)
			if (send(fd, dg, n, 0) != (ssize_t)n)
				die("send: %s", strerror(errno));
		if (done(c))
			return true;
		if (now >= deadline)
			return false;
		t = RTE_MIN(tq_quic_conn_next_timer(c), deadline);
		ms = t <= now ? 0 : (int)RTE_MIN((t - now) / 1000000 + 1,
				(uint64_t)1000);
		if (poll(&pfd, 1, ms) > 0) {
			r = recv(fd, dg, sizeof(dg), 0);
			if (r < 0)
				die("recv: %s", strerror(errno));
			tq_quic_conn_input(c, dg, (size_t)r, TQ_QUIC_ECN_NOT,
					now_ns());
		}
		now = now_ns();
		if (tq_quic_conn_next_timer(c) <= now)
			tq_quic_conn_on_timer(c, now);
	}
}

static bool
confirmed(struct tq_quic_conn *c)
{
	return tq_quic_conn_confirmed(c) &&
		!tq_quic_conn_has_keys(c, TQ_QUIC_LEVEL_HANDSHAKE);
}

static bool
finished(struct tq_quic_conn *c)
{
	return tq_quic_conn_done(c);
}

static bool
never(struct tq_quic_conn *c)
{
	return tq_quic_conn_state(c) >= TQ_QUIC_CS_CLOSING;
}

static bool
complete(struct tq_quic_conn *c)
{
	return tq_quic_conn_confirmed(c);
}

static void
report(struct tq_quic_conn *c, const char *who, const char *want)
{
	const struct tq_quic_conn_stats *st;
	enum tq_quic_cipher ci;
	const uint8_t *alpn;
	uint64_t code;
	size_t alpn_len;
	bool app, remote;

	tq_quic_conn_close_info(c, &code, &app, &remote);
	if (remote || !app || code != H3_NO_ERROR || closed != 1)
		die("close: %s code 0x%llx", remote ? "peer's" : "our",
				(unsigned long long)code);
	if (tq_quic_tls_cipher(tq_quic_conn_tls(c), &ci) < 0)
		die("no suite");
	if (want && strcmp(want, tq_quic_cipher_name(ci)))
		die("suite %s, not %s", tq_quic_cipher_name(ci), want);
	alpn = tq_quic_tls_alpn(tq_quic_conn_tls(c), &alpn_len);
	if (!alpn || alpn_len != 2 || memcmp(alpn, "h3", 2))
		die("ALPN not h3");
	st = tq_quic_conn_stats(c);
	if (st->proto_err)
		die("%llu protocol errors", (unsigned long long)st->proto_err);
	printf("%s: %s, ALPN h3, confirmed, %s, 0-RTT %s (%llu packets), "
			"%llu peer streams (%llu "
			"bytes), %llu key updates, %llu Retry, closed with "
			"H3_NO_ERROR; "
			"%llu datagrams in, %llu out, %llu dropped "
			"undecryptable; %llu packets in, %llu out\n", who,
			tq_quic_cipher_name(ci),
			st->resumed ? "resumed" : "full handshake",
			st->early_accepted ? "accepted" : st->early_rejected ?
			"rejected" : "none",
			(unsigned long long)st->early_pkts,
			(unsigned long long)peer_streams,
			(unsigned long long)peer_bytes,
			(unsigned long long)st->key_updates,
			(unsigned long long)st->retries,
			(unsigned long long)st->dgrams_in,
			(unsigned long long)st->dgrams_out,
			(unsigned long long)(st->drop_decrypt +
				st->drop_nokey),
			(unsigned long long)st->pkts_in,
			(unsigned long long)st->pkts_out);
}

/* The state after the handshake, and the close. */
static bool key_update, early;
static const char *session_file, *qlog_dir;
static int nclients = 1;
static struct tq_stream *ctl;

static const struct tq_stream_ops ctl_ops = { 0 };

/* An HTTP/3 control stream: its type (0x00) and an empty SETTINGS. */
static int
open_control(struct tq_quic_conn *c)
{
	static const uint8_t h3ctl[] = { 0x00, 0x04, 0x00 };
	int err = 0;

	if (ctl)
		return 0;
	ctl = tq_conn_stream_open(tq_quic_conn_base(c), TQ_STREAM_UNI,
			&ctl_ops, NULL, &err);
	if (!ctl)
		return err;
	if (tq_stream_write(ctl, h3ctl, sizeof(h3ctl)) != sizeof(h3ctl))
		die("control stream write");
	return 0;
}

static uint8_t *
load_session(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p;
	long n;

	*len = 0;
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) <= 0 ||
			fseek(f, 0, SEEK_SET) < 0) {
		fclose(f);
		return NULL;
	}
	p = malloc((size_t)n);
	if (!p || fread(p, 1, (size_t)n, f) != (size_t)n)
		die("read %s", path);
	fclose(f);
	*len = (size_t)n;
	return p;
}

static bool
has_session(struct tq_quic_conn *c)
{
	uint8_t *p;
	size_t n;

	if (tq_quic_conn_session(c, &p, &n) < 0)
		return tq_quic_conn_state(c) >= TQ_QUIC_CS_CLOSING;
	free(p);
	return true;
}

static void
save_session(struct tq_quic_conn *c, int fd);

static void
settle_and_close(struct tq_quic_conn *c, int fd)
{
	uint64_t code;
	bool app, remote;
	int i;

	if (established != 1)
		die("established() %d times", established);
	if (tq_quic_conn_has_keys(c, TQ_QUIC_LEVEL_INITIAL))
		die("Initial keys kept");
	/* the peer's HTTP/3 streams arrive; nothing goes wrong for a
	 * moment, while PINGs make it answer (its key update, if it
	 * makes one, shows then), and we make a key update of our own */
	for (i = 0; i < 8; i++) {
		if (tq_quic_conn_ping(c) < 0)
			break;
		if (i == 4 && key_update &&
				tq_quic_conn_key_update(c) < 0)
			die("key update refused");
		drive(c, fd, now_ns() + 50000000ull, never);
	}
	if (tq_quic_conn_state(c) != TQ_QUIC_CS_ESTABLISHED) {
		tq_quic_conn_close_info(c, &code, &app, &remote);
		die("closed after the handshake: %s code 0x%llx",
				remote ? "peer's" : "our",
				(unsigned long long)code);
	}
	if (early && open_control(c) < 0)
		die("control stream");
	if (session_file)
		save_session(c, fd);
	tq_conn_close(tq_quic_conn_base(c), H3_NO_ERROR);
	if (!drive(c, fd, now_ns() + 5000000000ull, finished))
		die("closing period did not end");
}

/* The server's ticket comes after the handshake: wait for it a while. */
static bool drive(struct tq_quic_conn *c, int fd, uint64_t deadline,
		bool (*done)(struct tq_quic_conn *c));

static void
save_session(struct tq_quic_conn *c, int fd)
{
	uint8_t *p;
	size_t n;
	FILE *f;

	drive(c, fd, now_ns() + 2000000000ull, has_session);
	if (tq_quic_conn_session(c, &p, &n) < 0)
		die("no session ticket from the server");
	f = fopen(session_file, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0)
		die("write %s", session_file);
	free(p);
}

static void
fail_info(struct tq_quic_conn *c, const char *what)
{
	uint64_t code;
	bool app, remote;

	tq_quic_conn_close_info(c, &code, &app, &remote);
	die("%s: state %d, %s code 0x%llx (%s)", what,
			(int)tq_quic_conn_state(c),
			remote ? "peer's" : "our", (unsigned long long)code,
			app ? "application" : tq_quic_err_str(code));
}

static void serve_one(struct tq_quic_conn_cfg *cfg, int fd,
		const char *want);

static int
run_server(struct tq_quic_conn_cfg *cfg, const char *addr, const char *port,
		const char *want)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *ai;
	int fd;

	if (getaddrinfo(addr, port, &hints, &ai) != 0)
		die("cannot resolve %s", addr);
	fd = socket(ai->ai_family, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0)
		die("bind %s:%s: %s", addr, port, strerror(errno));
	freeaddrinfo(ai);
	for (; nclients > 0; nclients--) {
		struct sockaddr unspec = { .sa_family = AF_UNSPEC };

		serve_one(cfg, fd, want);
		/* the next client, from wherever */
		connect(fd, &unspec, sizeof(unspec));
		established = closed = 0;
		peer_streams = peer_bytes = 0;
	}
	close(fd);
	return 0;
}

static void
serve_one(struct tq_quic_conn_cfg *cfg, int fd, const char *want)
{
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	struct pollfd pfd;
	struct tq_quic_hdr h;
	struct tq_quic_conn *c;
	uint8_t dg[2048];
	ssize_t r;

	pfd.fd = fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 10000) <= 0)
		die("no client in 10 s");
	r = recvfrom(fd, dg, sizeof(dg), 0, (struct sockaddr *)&from, &flen);
	if (r < 0)
		die("recvfrom: %s", strerror(errno));
	/* one client: the socket is its from now on */
	if (connect(fd, (struct sockaddr *)&from, flen) < 0)
		die("connect: %s", strerror(errno));
	if (tq_quic_hdr_parse(dg, (size_t)r, 8, &h) < 0 ||
			h.type != TQ_QUIC_PKT_INITIAL || r < 1200)
		die("the first datagram is no client Initial");
	cfg->is_server = true;
	cfg->server_name = NULL;
	cfg->dcid.len = h.dcid_len;
	memcpy(cfg->dcid.id, h.dcid, h.dcid_len);
	cfg->peer_scid.len = h.scid_len;
	memcpy(cfg->peer_scid.id, h.scid, h.scid_len);
	if (tq_quic_conn_new(cfg, now_ns(), &c) < 0)
		die("connection");
	if (qlog_dir && tq_quic_conn_set_qlog(c, qlog_dir) < 0)
		die("qlog in %s", qlog_dir);
	tq_conn_set_ops(tq_quic_conn_base(c), &conn_ops);
	tq_quic_conn_input(c, dg, (size_t)r, TQ_QUIC_ECN_NOT, now_ns());
	/* 15 s: under the interop's 20% loss each way, a handshake whose
	 * flights are lost again and again backs its PTO off past 5 s now
	 * and then (seen once, with another test on the other core); the
	 * client still leaves after 5 s idle. */
	if (!drive(c, fd, now_ns() + 15000000000ull, complete))
		fail_info(c, "not complete in 15 s");
	settle_and_close(c, fd);
	report(c, "server", want);
	tq_quic_conn_free(c);
}

int
main(int argc, char **argv)
{
	struct tq_quic_tls_conf tc = { 0 };
	struct tq_quic_conn_cfg cfg = { 0 };
	const char *want = NULL, *name = NULL;
	struct tq_quic_crypto_worker *cw;
	struct tq_quic_tls_ctx *ctx;
	struct tq_quic_conn *c;
	uint8_t *sess = NULL;
	bool server;
	int fd, i;

	if (argc < 4 || (strcmp(argv[1], "client") &&
			strcmp(argv[1], "server")))
		die("usage: quic_conn_peer client|server HOST PORT "
				"[--cipher NAME] [--ca FILE --name NAME] "
				"[--cert FILE --key FILE]");
	server = !strcmp(argv[1], "server");
	tc.is_server = server;
	for (i = 4; i < argc; i += 2) {
		if (!strcmp(argv[i], "--key-update")) {
			key_update = true;
			i--;
			continue;
		}
		if (!strcmp(argv[i], "--early")) {
			early = true;
			i--;
			continue;
		}
		if (i + 1 >= argc)
			die("%s needs a value", argv[i]);
		if (!strcmp(argv[i], "--cipher"))
			want = argv[i + 1];
		else if (!strcmp(argv[i], "--ca"))
			tc.ca_file = argv[i + 1];
		else if (!strcmp(argv[i], "--name"))
			name = argv[i + 1];
		else if (!strcmp(argv[i], "--cert"))
			tc.cert_file = argv[i + 1];
		else if (!strcmp(argv[i], "--key"))
			tc.key_file = argv[i + 1];
		else if (!strcmp(argv[i], "--session-file"))
			session_file = argv[i + 1];
		else if (!strcmp(argv[i], "--qlog-dir"))
			qlog_dir = argv[i + 1];
		else if (!strcmp(argv[i], "--clients"))
			nclients = atoi(argv[i + 1]);
		else
			die("unknown option %s", argv[i]);
	}
	if (tq_test_eal_init(server ? "quic_conn_srv" : "quic_conn_cli") != 0)
		die("EAL");
	if (want)
		tc.ciphers = (unsigned int)cipher_mask(want);
	tc.verify = !server && tc.ca_file != NULL;
	tc.early_data = early;
	tc.tickets = server && nclients > 1;
	if (tq_quic_tls_ctx_new(&tc, &ctx) < 0)
		die("TLS context");
	if (tq_quic_crypto_worker_new(TQ_QUIC_CRYPTO_AUTO, &cw) < 0)
		die("crypto worker");
	cfg.tls = ctx;
	cfg.cw = cw;
	cfg.pool = tq_test_pool();
	cfg.scid.len = 8;
	cfg.dcid.len = 8;
	if (gnutls_rnd(GNUTLS_RND_NONCE, cfg.scid.id, 8) < 0 ||
			gnutls_rnd(GNUTLS_RND_NONCE, cfg.dcid.id, 8) < 0)
		die("random");
	if (server) {
		run_server(&cfg, argv[2], argv[3], want);
	} else {
		cfg.server_name = name ? name : argv[2];
		fd = udp_socket(argv[2], argv[3]);
		if (session_file)
			cfg.session = sess = load_session(session_file,
					&cfg.session_len);
		if (tq_quic_conn_new(&cfg, now_ns(), &c) < 0)
			die("connection");
		free(sess);
		if (qlog_dir && tq_quic_conn_set_qlog(c, qlog_dir) < 0)
			die("qlog in %s", qlog_dir);
		tq_conn_set_ops(tq_quic_conn_base(c), &conn_ops);
		/* before anything is sent: into 0-RTT if resuming */
		if (early)
			open_control(c);
		if (!drive(c, fd, now_ns() + 5000000000ull, confirmed))
			fail_info(c, "not confirmed in 5 s");
		settle_and_close(c, fd);
		report(c, "client", want);
		tq_quic_conn_free(c);
		close(fd);
	}
	tq_quic_crypto_worker_free(cw);
	tq_quic_tls_ctx_free(ctx);
	return 0;
}
