/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An HTTP/3 server session (engine/http3) fed arbitrary bytes on its
 * peer's streams, over the in-memory transport (tests/lib/tq_memconn.c).
 * Input: records (tq_fuzz_records()); the first byte of the first record
 * is control (bits 0-2: the pump's piece size, 1 to 2^k * 64 bytes), and
 * each record after is
 *
 *   [target][bytes...]
 *
 * target bits 0-2 pick a stream: 0 the peer's control stream, 1 and 2
 * two more unidirectional streams (QPACK encoder, decoder, or anything),
 * 3-7 request streams; bit 6 ends the stream after the bytes (FIN), bit
 * 7 resets it (code = the next byte).  The session answers each request
 * it sees with a small body.  After the input the connection is closed;
 * every exchange the app saw must get closed() once, the session
 * conn_closed(), and every mbuf must be back in the pool.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <tachyon/tq_h3.h>

#include "fuzz_common.h"
#include "tq_memconn.h"

int tq_fuzz_h3_one(const uint8_t *d, size_t n);

struct fz_h3 {
	unsigned int seen, closed;
	bool conn_closed;
};

static struct fz_h3 h3fz;

static void
h3fz_headers(struct tq_h3_req *r, const struct tq_h3_msg *m, void *arg)
{
	static const char body[] = "hello h3\n";

	h3fz.seen++;
	FZ_CHECK(m->nfields <= 128, "%u fields", m->nfields);
	tq_h3_respond(r, 200, NULL, 0, body, sizeof(body) - 1, 0);
}

static void
h3fz_closed(struct tq_h3_req *r, uint64_t code, void *arg)
{
	h3fz.closed++;
	FZ_CHECK(h3fz.closed <= h3fz.seen, "closed %u of %u", h3fz.closed,
			h3fz.seen);
}

static void
h3fz_conn_closed(struct tq_h3_conn *h, uint64_t code, void *arg)
{
	FZ_CHECK(!h3fz.conn_closed, "conn_closed twice");
	h3fz.conn_closed = true;
}

static const struct tq_h3_ops h3fz_ops = {
	.headers = h3fz_headers,
	.closed = h3fz_closed,
	.conn_closed = h3fz_conn_closed,
};

/* The raw peer reads and drops what the server sends. */
static void
h3peer_readable(struct tq_stream *st, void *ctx)
{
	uint8_t buf[2048];

	while (tq_stream_read(st, buf, sizeof(buf)) > 0)
		;
}

/* A stream of ours the pump ended: forget it. */
static void
h3peer_closed(struct tq_stream *st, enum tq_close_reason why, void *ctx)
{
	if (ctx)
		*(struct tq_stream **)ctx = NULL;
}

static const struct tq_stream_ops h3peer_stream_ops = {
	.readable = h3peer_readable,
	.closed = h3peer_closed,
};

static void
h3peer_new_stream(struct tq_conn *c, struct tq_stream *st, void *u)
{
	tq_stream_set_ops(st, &h3peer_stream_ops, NULL);
}

static const struct tq_conn_ops h3peer_ops = {
	.new_stream = h3peer_new_stream,
};

int
tq_fuzz_h3_one(const uint8_t *d, size_t n)
{
	struct tq_fuzz_rec rec[FZ_MAX_RECS];
	struct tq_stream *st[8] = { NULL };
	struct tq_memconn *mc;
	struct tq_h3_conn *h;
	unsigned int nrec, i, avail;
	uint32_t chunk;
	int err = 0;

	tq_fuzz_init("fuzz_h3");
	nrec = tq_fuzz_records(d, n, rec, FZ_MAX_RECS);
	if (nrec == 0 || rec[0].len == 0)
		return 0;
	memset(&h3fz, 0, sizeof(h3fz));
	avail = tq_test_pool_avail();
	chunk = 1u << (rec[0].p[0] & 7);
	chunk = chunk * 64 - (rec[0].p[0] >> 3);
	mc = tq_memconn_new(NULL);
	h = tq_h3_server_new(tq_memconn_end(mc, 1), &h3fz_ops, NULL, NULL,
			&err);
	FZ_CHECK(h, "server_new %d", err);
	tq_conn_set_ops(tq_memconn_end(mc, 0), &h3peer_ops);
	tq_memconn_run(mc, chunk, 10000);
	for (i = 1; i < nrec && !tq_memconn_closed(mc); i++) {
		const uint8_t *p = rec[i].p;
		uint32_t len = rec[i].len;
		unsigned int k;

		if (len == 0)
			continue;
		k = p[0] & 7;
		if (!st[k])
			st[k] = tq_conn_stream_open(tq_memconn_end(mc, 0),
					k < 3 ? TQ_STREAM_UNI : 0,
					&h3peer_stream_ops, &st[k], NULL);
		if (!st[k])
			continue;
		if (p[0] & 0x80) {
			struct tq_stream *s = st[k];

			/* closed() comes in the pump; the slot is free now */
			tq_stream_set_ops(s, &h3peer_stream_ops, NULL);
			st[k] = NULL;
			tq_stream_abort(s, len > 1 ? p[1] + 0x100u : 0);
		} else {
			if (len > 1)
				tq_stream_write(st[k], p + 1, len - 1);
			if (p[0] & 0x40)
				tq_stream_shutdown(st[k]);
		}
		tq_memconn_run(mc, chunk, 10000);
	}
	if (!tq_memconn_closed(mc)) {
		tq_conn_close(tq_memconn_end(mc, 0), 0x100);
		tq_memconn_run(mc, chunk, 10000);
	}
	FZ_CHECK(tq_memconn_closed(mc), "connection still open");
	FZ_CHECK(h3fz.conn_closed, "no conn_closed");
	FZ_CHECK(h3fz.closed == h3fz.seen, "closed %u, seen %u", h3fz.closed,
			h3fz.seen);
	tq_memconn_free(mc);
	FZ_CHECK(tq_test_pool_avail() == avail,
			"mbufs leaked: %u of %u back",
			tq_test_pool_avail(), avail);
	return 0;
}

#ifndef TQ_FUZZ_NO_ENTRY
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	return tq_fuzz_h3_one(d, n);
}
#endif
