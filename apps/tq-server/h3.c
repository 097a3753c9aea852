/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tq-server's HTTP/3 file server (--h3 PORT): the files of --docroot
 * over QUIC, as --http serves them over HTTP/1.1 (http.c, whose path
 * and file rules it shares): GET and HEAD, 200 with Content-Length and
 * Content-Type, 404/403 for what is not served, 405 for other methods.
 * Each QUIC connection the engine accepts gets an HTTP/3 server session
 * (tq_h3_server_new()); a response body is the file's mapping, handed
 * to the session without a copy and unmapped when the exchange ends.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_lcore.h>

#include <tachyon/tachyon.h>
#include <tachyon/tq_h3.h>
#include <tachyon/tq_quic.h>

#include "fcache.h"
#include "h3.h"
#include "http.h"

struct h3_stats {
	uint64_t conns;
	uint64_t requests;
	uint64_t status[6];	/* by class */
	uint64_t body_bytes;	/* of 200 responses to GET */
	uint64_t errors;	/* exchanges ended by an H3 error */
} __rte_cache_aligned;

/* One exchange's file mapping, unmapped at closed(). */
struct h3_body {
	void *map;			/* our own mapping (a big file) */
	size_t len;
	struct fcache_file *cf;		/* or the worker's cached one */
	unsigned int lcore;		/* whose cache */
	bool status;			/* h3_status()'s: its body follows */
};

/* Each worker keeps the blocks of its ended requests for the next ones:
 * a calloc() and a free() a request less. */
#define H3_BODY_KEEP	64

static struct h3_body_stash {
	struct h3_body *b[H3_BODY_KEEP];
	unsigned int n;
} __rte_cache_aligned h3_stash[RTE_MAX_LCORE];

/* This worker's stash; NULL off a worker (no lcore id). */
static struct h3_body_stash *
h3_stash_here(void)
{
	unsigned int l = rte_lcore_id();

	return l < RTE_MAX_LCORE ? &h3_stash[l] : NULL;
}

static struct h3_body *
h3_body_get(void)
{
	struct h3_body_stash *k = h3_stash_here();
	struct h3_body *b;

	if (!k || k->n == 0)
		return calloc(1, sizeof(*b));
	b = k->b[--k->n];
	memset(b, 0, sizeof(*b));
	return b;
}

static void
h3_body_put(struct h3_body *b)
{
	struct h3_body_stash *k = h3_stash_here();

	if (b->status || !k || k->n == H3_BODY_KEEP) {
		free(b);
		return;
	}
	k->b[k->n++] = b;
}

static struct h3_stats *
h3_stats(struct h3_service *h)
{
	unsigned int l = rte_lcore_id();

	return &h->stats[l < RTE_MAX_LCORE ? l : 0];
}

int
h3_opt_port(void *arg, const char *val)
{
	struct h3_service *h = arg;
	char *end;
	unsigned long p = strtoul(val, &end, 10);

	if (*val == '\0' || *end != '\0' || p == 0 || p > 65535)
		return -EINVAL;
	h->port = (uint16_t)p;
	return 0;
}

static void
h3_status(struct h3_service *h, struct tq_h3_req *r, uint16_t status)
{
	static const char type[] = "text/plain";
	char body[64];
	const struct tq_http_field f[] = {
		{ { "content-type", 12 }, { type, sizeof(type) - 1 } },
	};
	int n = snprintf(body, sizeof(body), "%u\n", status);

	h3_stats(h)->status[status / 100 < 6 ? status / 100 : 0]++;
	/* A body of our own: the session copies nothing, so it must live
	 * until closed(); a short static-length answer in a heap block. */
	{
		struct h3_body *b = calloc(1, sizeof(*b) + (size_t)n);

		if (!b) {
			tq_h3_req_cancel(r, TQ_H3_INTERNAL_ERROR);
			return;
		}
		memcpy(b + 1, body, (size_t)n);
		b->len = (size_t)n;
		b->status = true;
		tq_h3_req_set_udata(r, b);
		if (tq_h3_respond(r, status, f, RTE_DIM(f), b + 1, b->len,
				0) < 0)
			tq_h3_req_cancel(r, TQ_H3_INTERNAL_ERROR);
	}
}

/* v in decimal at the end of buf[24], returned with its length: a
 * snprintf() here cost ~700 instructions a request (bench/quic/cost.sh) */
static const char *
dec_u64(char buf[24], uint64_t v, uint32_t *len)
{
	char *p = buf + 24;

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	*len = (uint32_t)(buf + 24 - p);
	return p;
}

/* 200 with a body of len bytes at body (NULL: a HEAD, none sent). */
static void
h3_ok(struct h3_service *h, struct tq_h3_req *r, const char *type,
		size_t len, const void *body)
{
	struct tq_http_field f[2];
	char clen[24];
	const char *cl;
	uint32_t cl_len;

	cl = dec_u64(clen, (uint64_t)len, &cl_len);
	f[0] = (struct tq_http_field){ { "content-type", 12 },
		{ type, (uint32_t)strlen(type) } };
	f[1] = (struct tq_http_field){ { "content-length", 14 },
		{ cl, cl_len } };
	h3_stats(h)->status[2]++;
	if (tq_h3_respond(r, 200, f, RTE_DIM(f), body, body ? len : 0,
			0) < 0) {
		tq_h3_req_cancel(r, TQ_H3_INTERNAL_ERROR);
		return;
	}
	if (body)
		h3_stats(h)->body_bytes += len;
}

static void
h3_headers(struct tq_h3_req *r, const struct tq_h3_msg *m, void *arg)
{
	struct h3_service *h = arg;
	char rel[HTTP_REL_MAX];
	const void *body = NULL;
	struct h3_body *b;
	struct stat sb;
	bool head;
	int st, fd;

	h3_stats(h)->requests++;
	head = m->method.len == 4 && memcmp(m->method.p, "HEAD", 4) == 0;
	if (!head && !(m->method.len == 3 &&
			memcmp(m->method.p, "GET", 3) == 0)) {
		h3_status(h, r, 405);
		return;
	}
	st = http_target_path(m->path.p, m->path.len, rel, sizeof(rel));
	if (st) {
		h3_status(h, r, (uint16_t)st);
		return;
	}
	b = h3_body_get();
	if (!b) {
		h3_status(h, r, 503);
		return;
	}
	b->lcore = rte_lcore_id();
	st = fcache_open(http_fcache(h->http, b->lcore), h->http, rel,
			sizeof(rel), head, &b->cf, &fd, &sb);
	if (st < 0) {
		h3_body_put(b);
		h3_status(h, r, (uint16_t)-st);
		return;
	}
	if (b->cf) {
		if (!head)
			body = b->cf->map;
	} else if (!head && sb.st_size > 0) {
		b->map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_SHARED,
				fd, 0);
		if (b->map == MAP_FAILED) {
			close(fd);
			h3_body_put(b);
			h3_status(h, r, 500);
			return;
		}
		b->len = (size_t)sb.st_size;
		body = b->map;
	}
	if (fd >= 0)
		close(fd);
	tq_h3_req_set_udata(r, b);
	h3_ok(h, r, http_content_type(rel), (size_t)sb.st_size, body);
}

static void
h3_closed(struct tq_h3_req *r, uint64_t code, void *arg)
{
	struct h3_service *h = arg;
	struct h3_body *b = tq_h3_req_udata(r);

	if (code)
		h3_stats(h)->errors++;
	if (!b)
		return;
	if (b->map)
		munmap(b->map, b->len);
	if (b->cf)
		fcache_put(http_fcache(h->http, b->lcore), b->cf);
	h3_body_put(b);
}

static const struct tq_h3_ops h3_ops = {
	.headers = h3_headers,
	.closed = h3_closed,
};

static void
h3_accept(struct tq_shard *s, struct tq_conn *c, void *arg)
{
	struct h3_service *h = arg;
	int err = 0;

	(void)s;
	h3_stats(h)->conns++;
	if (!tq_h3_server_new(c, &h3_ops, h, NULL, &err))
		tq_conn_close(c, TQ_H3_INTERNAL_ERROR);
}

int
h3_listen(struct tq_engine *e, struct h3_service *h, struct http_service *http)
{
	int ret;

	if (h->port == 0)
		return 0;
	if (!http->docroot) {
		fprintf(stderr, "tq-server: --h3 needs --docroot\n");
		return -EINVAL;
	}
	if (http_root_open(http) < 0)
		return -EINVAL;
	h->http = http;
	h->stats = calloc(RTE_MAX_LCORE, sizeof(*h->stats));
	if (!h->stats)
		return -ENOMEM;
	ret = tq_quic_listen(e, NULL, h->port, "h3", h3_accept, h);
	if (ret < 0)
		fprintf(stderr, "tq-server: --h3 %u: %s\n", h->port,
				strerror(-ret));
	return ret;
}

void
h3_service_free(struct h3_service *h)
{
	struct h3_stats sum;
	unsigned int i, k;

	if (!h->stats)
		return;
	memset(&sum, 0, sizeof(sum));
	for (i = 0; i < RTE_MAX_LCORE; i++) {
		sum.conns += h->stats[i].conns;
		sum.requests += h->stats[i].requests;
		sum.body_bytes += h->stats[i].body_bytes;
		sum.errors += h->stats[i].errors;
		for (k = 0; k < RTE_DIM(sum.status); k++)
			sum.status[k] += h->stats[i].status[k];
	}
	printf("tq-server: h3: %" PRIu64 " connections, %" PRIu64
		" requests (2xx %" PRIu64 ", 4xx %" PRIu64 ", 5xx %" PRIu64
		"), %" PRIu64 " body bytes, %" PRIu64 " exchanges in error\n",
		sum.conns, sum.requests, sum.status[2], sum.status[4],
		sum.status[5], sum.body_bytes, sum.errors);
	fflush(stdout);
	free(h->stats);
	h->stats = NULL;
}
