/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP/1.1 file service (RFC 9110, RFC 9112) over the engine's streams.
 *
 * One struct http_conn per connection, made at accept and freed in the
 * closed() callback, holds the engine's HTTP/1.1 parser
 * (<tachyon/tq_http.h>) and the response being queued; its buffers (the
 * bytes of the request head being parsed, at most HTTP_HDR_MAX: more is
 * never read, so the receive window closes on a client that pipelines
 * faster than we answer; and the response header) are a struct http_io
 * lent by the worker while the connection has something in them, and
 * given back when it idles between requests: a hundred thousand idle
 * keep-alive connections hold none.  Requests are answered one at a
 * time, in order.
 *
 * GET and HEAD serve files.  POST and PUT bodies (Content-Length or
 * chunked, at most --http-max-body) are read and dropped as they arrive,
 * counted, and answered "received N bytes": the parser hands body bytes
 * over as spans of the read buffer, so a body of any size passes through
 * the same HTTP_HDR_MAX bytes.  A request the parser refuses gets its
 * status (400, 413, 431, 501, 505) and the connection closes, since its
 * framing cannot be trusted.
 *
 * A response is its header, built here, and a body that is a read-only
 * mapping of the file: open, fstat, mmap and close once per response,
 * munmap when the last byte is queued.  The body is copied from the
 * mapping into the send buffer as that drains (tq_stream_write_space()
 * arms writable()).  Zero copy (mbufs attached to the mapping with
 * rte_pktmbuf_attach_extbuf()) is not used: page-cache pages have no
 * IOVA a NIC could DMA from unless each mapping were registered with
 * every device, which costs more syscalls per response than the copy.
 *
 * Paths are percent-decoded, ".." segments and NUL refused, and files
 * opened relative to the document root with openat2(RESOLVE_BENEATH),
 * which refuses any symlink or ".." that leads out of it; on kernels
 * without openat2 (before 5.6), realpath() and a prefix check instead.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/openat2.h>

#include <rte_common.h>
#include <rte_lcore.h>

#include <tachyon/tq_http.h>
#include <tachyon/tq_tcp.h>

#include "fcache.h"
#include "http.h"

#define HTTP_HDR_MAX 8192	 /* request line and header fields, with EOLs */
#define HTTP_TARGET_MAX 2048	 /* request target */
#define HTTP_RESP_MAX 1024	 /* our status line, fields and error body */
#define HTTP_PATH_MAX (HTTP_TARGET_MAX + 16) /* decoded, + "/index.html" */
#define HTTP_STAGE 16384	 /* header and first body bytes, one write */
#define HTTP_DRAIN_MAX (256u * 1024) /* dropped while closing, then RST */
#define HTTP_BODY_MAX (64ull << 20) /* --http-max-body default */
#define HTTP_MAX_FIELDS 100
#define HTTP_SEQ_ADVISE (1u << 20) /* madvise(SEQUENTIAL) from this size */
#define HTTP_DROP_BEHIND (8u << 20) /* unmap pages copied out, this often */

enum http_state {
	HTTP_READ,  /* waiting for, or parsing, a request */
	HTTP_SEND,  /* a response is being queued */
	HTTP_DRAIN, /* our FIN is queued: input dropped until the peer's */
};

struct http_conn {
	TAILQ_ENTRY(http_conn) next;
	struct http_service *svc;
	struct tq_stream *st;
	unsigned int lcore;
	enum http_state state;
	bool keep_alive;      /* after the response in progress */
	bool in_body;	      /* reading the body of a POST or PUT */
	uint8_t minor;	      /* of the request being answered */
	uint32_t rpos, wpos;  /* unparsed request bytes: buf[rpos, wpos) */
	uint32_t drained;     /* bytes dropped in HTTP_DRAIN */
	uint64_t body_rx;     /* body bytes of the POST or PUT so far */
	uint64_t sent;	      /* bytes queued on the stream, in all */
	/* the response in progress: hdr[hdr_off, hdr_len), then body */
	uint32_t hdr_len, hdr_off;
	const uint8_t *body;
	size_t body_len, body_off;
	void *map; /* the file's mapping (body), or NULL */
	size_t map_len;
	struct fcache_file *cf; /* or the cache's (body), held */
	size_t dropped; /* map[0, dropped) is released (MADV_DONTNEED) */
	struct tq_http_parser parser;
	struct http_io *io;   /* the buffers, while in use (http_io_get) */
};

struct http_io {
	struct http_io *next; /* on the worker's free list */
	char hdr[HTTP_RESP_MAX];
	char buf[HTTP_HDR_MAX];
};

/* Buffers a worker keeps for its next busy connections. */
#define HTTP_IO_CACHE 256

TAILQ_HEAD(http_conn_head, http_conn);

/* Only the worker of an lcore touches its list and counters. */
struct http_conn_list {
	struct http_conn_head head;
	struct http_io *free_io;
	unsigned int nfree_io;
} __rte_cache_aligned;

struct http_stats {
	uint64_t accepted;
	uint64_t closed[TQ_CLOSE_ABORTED + 1];
	uint64_t requests;
	uint64_t status[6]; /* by class: [2] is 2xx ... [5] is 5xx */
	uint64_t maps, unmaps;
	uint64_t body_bytes;
	uint64_t rx_body_bytes; /* of POST and PUT requests */
} __rte_cache_aligned;

static void http_pump(struct http_conn *c);

/* ---------- options ---------- */

int
http_opt_port(void *arg, const char *val)
{
	struct http_service *h = arg;
	char *end;
	long p;

	if (h->nb_ports == HTTP_MAX_PORTS)
		return -EINVAL;
	errno = 0;
	p = strtol(val, &end, 10);
	if (errno || end == val || *end || p < 1 || p > 65535)
		return -EINVAL;
	h->ports[h->nb_ports++] = (uint16_t)p;
	return 0;
}

int
http_opt_docroot(void *arg, const char *val)
{
	struct http_service *h = arg;
	char *d;

	if (!*val)
		return -EINVAL;
	d = strdup(val);
	if (!d)
		return -EINVAL;
	free(h->docroot);
	h->docroot = d;
	return 0;
}

int
http_opt_max_body(void *arg, const char *val)
{
	struct http_service *h = arg;
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(val, &end, 10);
	if (errno || end == val || *end || v == 0 || *val == '-')
		return -EINVAL;
	h->max_body = v;
	return 0;
}

/* ---------- small helpers ---------- */

static struct http_stats *
http_stats_of(struct http_conn *c)
{
	return &c->svc->stats[c->lcore];
}

static int
http_hexval(unsigned char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* RFC 9110 5.6.7 IMF-fixdate, without the locale strftime() would use. */
static void
http_fmt_date(time_t t, char *out, size_t len)
{
	static const char *const wday[] = { "Sun", "Mon", "Tue", "Wed",
		"Thu", "Fri", "Sat" };
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr",
		"May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, len, "%s, %02d %s %04d %02d:%02d:%02d GMT",
			wday[tm.tm_wday % 7], tm.tm_mday, mon[tm.tm_mon % 12],
			tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The Date of now, formatted once a second per worker. */
static const char *
http_date(void)
{
	static __thread time_t last;
	static __thread char text[40];
	time_t now = time(NULL);

	if (now != last || !text[0]) {
		http_fmt_date(now, text, sizeof(text));
		last = now;
	}
	return text;
}

const char *
http_content_type(const char *path)
{
	static const struct {
		const char *ext;
		const char *type;
	} types[] = {
		{ "html", "text/html; charset=utf-8" },
		{ "htm", "text/html; charset=utf-8" },
		{ "txt", "text/plain; charset=utf-8" },
		{ "css", "text/css" },
		{ "js", "text/javascript" },
		{ "json", "application/json" },
		{ "png", "image/png" },
		{ "jpg", "image/jpeg" },
		{ "jpeg", "image/jpeg" },
		{ "gif", "image/gif" },
		{ "svg", "image/svg+xml" },
	};
	const char *base = strrchr(path, '/');
	const char *dot;
	unsigned int i;

	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	if (dot && dot != base)
		for (i = 0; i < RTE_DIM(types); i++)
			if (strcasecmp(dot + 1, types[i].ext) == 0)
				return types[i].type;
	return "application/octet-stream";
}

/* ---------- request parsing ---------- */

/*
 * The head filled the buffer without ending: say why, as before the
 * parser said only 431.  414 when the request line is still going and
 * its target is already too long, the request line's own error when it
 * is malformed, 431 when it is the fields that are too many.
 */
static int
http_overflow_status(const char *p, size_t n)
{
	static __thread char line[HTTP_HDR_MAX + 4];
	const char *lf = memchr(p, '\n', n), *sp1, *sp2;
	struct tq_http_limits lim = { .max_head = sizeof(line) };
	struct tq_http_parser hp;
	struct tq_http_event ev;
	size_t tlen, len;

	if (lf) {
		/* the request line alone, as a head of its own */
		len = (size_t)(lf - p);
		if (len && p[len - 1] == '\r')
			len--;
		memcpy(line, p, len);
		memcpy(line + len, "\r\n\r\n", 4);
		tq_http_parser_init(&hp, TQ_HTTP_REQUEST, &lim);
		if (tq_http_parse(&hp, line, len + 4, &ev) < 0)
			return tq_http_error_status(hp.error);
		return hp.msg.target.len > HTTP_TARGET_MAX ? 414 : 431;
	}
	sp1 = memchr(p, ' ', n);
	if (!sp1)
		return 400;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(p + n - sp1 - 1));
	tlen = (size_t)((sp2 ? sp2 : p + n) - (sp1 + 1));
	return tlen > HTTP_TARGET_MAX ? 414 : 400;
}

/*
 * The path of a request target, relative to the root: percent-decoded,
 * without query and fragment, "." and empty segments dropped, a trailing
 * '/' kept ("." for the root itself).  ".." segments and NUL are refused
 * (400), encoded or not, so nothing can climb out of the root.
 */
int
http_target_path(const char *t, size_t n, char *out, size_t cap)
{
	size_t i = 0, o = 0, seg = 0;

	/* RFC 9112 3.2.2 absolute-form: skip "scheme://authority" (the
	 * usual origin-form starts with '/': no compare). */
	if (n >= 7 && (t[0] | 0x20) == 'h' &&
			strncasecmp(t, "http://", 7) == 0)
		i = 7;
	else if (n >= 8 && (t[0] | 0x20) == 'h' &&
			strncasecmp(t, "https://", 8) == 0)
		i = 8;
	if (i) {
		while (i < n && t[i] != '/' && t[i] != '?' && t[i] != '#')
			i++;
		if (i >= n || t[i] != '/') {
			snprintf(out, cap, ".");
			return 0;
		}
	}
	if (i >= n || t[i] != '/')
		return 400;
	for (; i < n && t[i] != '?' && t[i] != '#'; i++) {
		unsigned char ch = (unsigned char)t[i];

		if (ch == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return 400;
			hi = http_hexval((unsigned char)t[i + 1]);
			lo = http_hexval((unsigned char)t[i + 2]);
			if (hi < 0 || lo < 0)
				return 400;
			ch = (unsigned char)(hi << 4 | lo);
			i += 2;
			if (ch == 0)
				return 400;
		}
		if (ch == '/') {
			if (o - seg == 2 && out[seg] == '.' && out[seg + 1] == '.')
				return 400;
			if (o == seg || (o - seg == 1 && out[seg] == '.'))
				o = seg; /* "" or ".": nothing */
			else
				out[o++] = '/';
			seg = o;
			continue;
		}
		if (o + 1 >= cap)
			return 414;
		out[o++] = (char)ch;
	}
	if (o - seg == 2 && out[seg] == '.' && out[seg + 1] == '.')
		return 400;
	if (o - seg == 1 && out[seg] == '.')
		o = seg;
	if (o == 0)
		out[o++] = '.';
	out[o] = '\0';
	return 0;
}

/* ---------- files ---------- */

static int
http_open_rel(const struct http_service *h, const char *rel)
{
	const int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
	char full[PATH_MAX], real[PATH_MAX];
	size_t rl = strlen(h->root);
	int fd;

	if (h->use_openat2) {
		struct open_how how = {
			.flags = flags,
			.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
		};
		long r = syscall(SYS_openat2, h->root_fd, rel, &how,
				sizeof(how));

		return r < 0 ? -errno : (int)r;
	}
	/* Fallback: resolve every link, then check the prefix.  A link
	 * swapped in between is caught at the last component only. */
	if ((size_t)snprintf(full, sizeof(full), "%s/%s", h->root, rel) >=
			sizeof(full))
		return -ENAMETOOLONG;
	if (!realpath(full, real))
		return -errno;
	if (rl > 1 && (strncmp(real, h->root, rl) != 0 ||
			(real[rl] != '/' && real[rl] != '\0')))
		return -EXDEV;
	fd = open(real, flags | O_NOFOLLOW);
	return fd < 0 ? -errno : fd;
}

static int
http_errno_status(int err)
{
	switch (err) {
	case -EACCES:
	case -EPERM:
		return 403;
	case -EMFILE:
	case -ENFILE:
	case -ENOMEM:
		return 503;
	case -EIO:
		return 500;
	default:
		/* ENOENT, ENOTDIR, ENAMETOOLONG; EXDEV and ELOOP: a link
		 * out of the root is as good as absent. */
		return 404;
	}
}

/*
 * Open rel (a directory: its index.html) as a regular file.  On success
 * returns the fd, sb filled and rel ending in the name served; else the
 * status as a negative number: -403, -404, -500, -503.
 */
int
http_open_file(const struct http_service *h, char *rel, size_t cap,
		struct stat *sb)
{
	size_t len;
	int fd;

	fd = http_open_rel(h, rel);
	if (fd < 0)
		return -http_errno_status(fd);
	if (fstat(fd, sb) < 0) {
		close(fd);
		return -500;
	}
	if (S_ISDIR(sb->st_mode)) {
		close(fd);
		len = strlen(rel);
		if (snprintf(rel + len, cap - len, "%sindex.html",
				rel[len - 1] == '/' ? "" : "/") >=
				(int)(cap - len))
			return -404;
		fd = http_open_rel(h, rel);
		if (fd < 0)
			/* a directory without an index is not listed */
			return fd == -ENOENT ? -403 : -http_errno_status(fd);
		if (fstat(fd, sb) < 0) {
			close(fd);
			return -500;
		}
	}
	if (!S_ISREG(sb->st_mode)) {
		close(fd);
		return -403;
	}
	return fd;
}

/* ---------- responses ---------- */

/* Append to the response header; false when it would not fit. */
static bool __rte_format_printf(2, 3)
http_hdr_add(struct http_conn *c, const char *fmt, ...)
{
	size_t room = sizeof(c->io->hdr) - c->hdr_len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(c->io->hdr + c->hdr_len, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		return false;
	c->hdr_len += (uint32_t)n;
	return true;
}

/* Status line and the fields every response has; ends with the empty
 * line.  mtime 0: no Last-Modified. */
static void
http_hdr_build(struct http_conn *c, int status, const char *type,
		uint64_t len, time_t mtime, bool allow)
{
	char lm[40];

	c->hdr_len = c->hdr_off = 0;
	http_hdr_add(c, "HTTP/1.1 %d %s\r\nServer: tachyon\r\nDate: %s\r\n"
			"Content-Type: %s\r\nContent-Length: %" PRIu64 "\r\n",
			status, tq_http_reason(status), http_date(), type, len);
	if (mtime) {
		http_fmt_date(mtime, lm, sizeof(lm));
		http_hdr_add(c, "Last-Modified: %s\r\n", lm);
	}
	if (allow)
		http_hdr_add(c, "Allow: GET, HEAD, POST, PUT\r\n");
	if (!c->keep_alive)
		http_hdr_add(c, "Connection: close\r\n");
	else if (c->minor == 0)
		http_hdr_add(c, "Connection: keep-alive\r\n");
	http_hdr_add(c, "\r\n");
}

/* An error response with a one-line text body (none for HEAD). */
static void
http_error(struct http_conn *c, int status, bool head)
{
	char body[64];
	int n;

	n = snprintf(body, sizeof(body), "%d %s\n", status,
			tq_http_reason(status));
	http_hdr_build(c, status, "text/plain; charset=utf-8", (uint64_t)n, 0,
			status == 405);
	if (!head)
		http_hdr_add(c, "%s", body);
	http_stats_of(c)->status[status / 100]++;
	c->state = HTTP_SEND;
}

/* A request the parser refused (or a bad target): answer and close, as
 * the framing cannot be trusted. */
static void
http_reject(struct http_conn *c, int status, bool head)
{
	http_stats_of(c)->requests++;
	c->keep_alive = false;
	c->in_body = false;
	http_error(c, status, head);
}

/* The body of a POST or PUT has been read: say how much came. */
static void
http_respond_body(struct http_conn *c)
{
	char body[48];
	int n;

	c->in_body = false;
	http_stats_of(c)->rx_body_bytes += c->body_rx;
	n = snprintf(body, sizeof(body), "received %" PRIu64 " bytes\n",
			c->body_rx);
	http_hdr_build(c, 200, "text/plain; charset=utf-8", (uint64_t)n, 0,
			false);
	http_hdr_add(c, "%s", body);
	http_stats_of(c)->status[2]++;
	c->state = HTTP_SEND;
}

/*
 * Act on a parsed head.  GET and HEAD are answered now; POST and PUT
 * once their body is read (c->in_body).  The head's spans point into
 * c->io->buf and are used before anything moves it.
 */
static void
http_respond(struct http_conn *c, const struct tq_http_msg *m)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	struct http_stats *s = http_stats_of(c);
	bool head = m->meth == TQ_HTTP_M_HEAD;
	bool has_body = m->body != TQ_HTTP_BODY_NONE;
	char rel[HTTP_PATH_MAX];
	struct fcache_file *cf = NULL;
	struct stat sb;
	void *map = NULL;
	int status, fd;

	c->minor = m->minor;
	c->keep_alive = m->keep_alive;
	if (m->meth == TQ_HTTP_M_POST || m->meth == TQ_HTTP_M_PUT) {
		s->requests++;
		c->in_body = true;
		c->body_rx = 0;
		/* RFC 9110 10.1.1: the client may wait for this.  Whole
		 * or not at all: a part would corrupt the response. */
		if (m->expect_continue && m->minor >= 1 && has_body &&
				tq_stream_write_space(c->st) >=
				sizeof(cont) - 1) {
			int n = tq_stream_write(c->st, cont, sizeof(cont) - 1);

			if (n > 0)
				c->sent += (uint32_t)n;
		}
		return;
	}
	s->requests++;
	if (m->meth != TQ_HTTP_M_GET && !head) {
		/* A body we do not read would be taken for the next
		 * request (RFC 9112 9.3): close after the 405. */
		if (has_body)
			c->keep_alive = false;
		http_error(c, 405, false);
		return;
	}
	if (has_body) {
		c->keep_alive = false;
		http_error(c, 400, head);
		return;
	}
	if (m->target.len > HTTP_TARGET_MAX) {
		c->keep_alive = false;
		http_error(c, 414, head);
		return;
	}
	status = http_target_path(m->target.p, m->target.len, rel,
			sizeof(rel));
	if (status) {
		c->keep_alive = false;
		http_error(c, status, head);
		return;
	}
	status = fcache_open(http_fcache(c->svc, c->lcore), c->svc, rel,
			sizeof(rel), head, &cf, &fd, &sb);
	if (status < 0) {
		if (status == -503)
			c->keep_alive = false;
		http_error(c, -status, head);
		return;
	}
	if (cf && (head || !cf->map)) {
		/* a HEAD, or an empty file: the header is all */
		fcache_put(http_fcache(c->svc, c->lcore), cf);
		cf = NULL;
	} else if (!cf && !head && sb.st_size > 0) {
		map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_SHARED, fd,
				0);
		if (map == MAP_FAILED) {
			close(fd);
			http_error(c, errno == ENOMEM ? 503 : 500, head);
			return;
		}
		s->maps++;
		/* Read-ahead for big files: their pages fault in order. */
		if ((size_t)sb.st_size >= HTTP_SEQ_ADVISE)
			madvise(map, (size_t)sb.st_size, MADV_SEQUENTIAL);
	}
	if (fd >= 0)
		close(fd);
	http_hdr_build(c, 200, http_content_type(rel), (uint64_t)sb.st_size,
			sb.st_mtime, false);
	if (cf) {
		c->cf = cf;
		c->body = cf->map;
	} else if (map) {
		c->map = map;
		c->map_len = (size_t)sb.st_size;
		c->body = map;
	}
	if (cf || map) {
		c->body_len = (size_t)sb.st_size;
		c->body_off = 0;
	}
	s->status[2]++;
	c->state = HTTP_SEND;
}

/* The response is queued: let its mapping go. */
static void
http_resp_done(struct http_conn *c)
{
	struct http_stats *s = http_stats_of(c);

	s->body_bytes += c->body_off;
	if (c->map) {
		munmap(c->map, c->map_len);
		s->unmaps++;
		c->map = NULL;
	}
	if (c->cf) {
		fcache_put(http_fcache(c->svc, c->lcore), c->cf);
		c->cf = NULL;
	}
	c->dropped = 0;
	c->body = NULL;
	c->body_len = c->body_off = 0;
	c->hdr_len = c->hdr_off = 0;
}

/*
 * The send buffer holds copies: pages already copied out need not stay
 * mapped.  Without this a big file's pages would pile up in our RSS
 * until munmap (they stay in the page cache, clean, for the next
 * reader).  One madvise() every HTTP_DROP_BEHIND bytes.
 */
static void
http_drop_behind(struct http_conn *c)
{
	size_t upto = RTE_ALIGN_FLOOR(c->body_off, (size_t)HTTP_DROP_BEHIND);

	if (c->map && upto > c->dropped) {
		madvise((uint8_t *)c->map + c->dropped, upto - c->dropped,
				MADV_DONTNEED);
		c->dropped = upto;
	}
}

/*
 * Queue as much of the response as the send buffer takes.  Returns 0
 * when all of it is queued, -EAGAIN when writable() will call again, or
 * what tq_stream_write() failed with.
 */
static int
http_send(struct http_conn *c)
{
	static __thread uint8_t stage[HTTP_STAGE];
	struct tq_stream *st = c->st;
	uint32_t room, k, h, b, took;
	int n;

	while (c->hdr_off < c->hdr_len || c->body_off < c->body_len) {
		/* Below half the buffer this arms writable(). */
		room = tq_stream_write_space(st);
		if (room == 0)
			return -EAGAIN;
		if (c->hdr_off < c->hdr_len) {
			/* Header and first body bytes in one write: with
			 * NODELAY, separate writes are separate segments. */
			h = c->hdr_len - c->hdr_off;
			b = (uint32_t)RTE_MIN(c->body_len - c->body_off,
					(size_t)(sizeof(stage) - h));
			b = RTE_MIN(b, room > h ? room - h : 0);
			memcpy(stage, c->io->hdr + c->hdr_off, h);
			if (b)
				memcpy(stage + h, c->body + c->body_off, b);
			k = h + b;
			n = tq_stream_write(st, stage, k);
			if (n < 0)
				return n;
			c->sent += (uint32_t)n;
			took = RTE_MIN((uint32_t)n, h);
			c->hdr_off += took;
			c->body_off += (uint32_t)n - took;
		} else {
			k = (uint32_t)RTE_MIN((size_t)room,
					c->body_len - c->body_off);
			n = tq_stream_write(st, c->body + c->body_off, k);
			if (n < 0)
				return n;
			c->sent += (uint32_t)n;
			c->body_off += (uint32_t)n;
			http_drop_behind(c);
		}
		/* A short write armed writable() itself. */
		if ((uint32_t)n < k)
			return -EAGAIN;
	}
	return 0;
}

/*
 * Parse the next request, reading more as needed; the body of a POST or
 * PUT is read through and counted.  Returns 0 when a response was set
 * up, -EAGAIN when more bytes must come first, -EPIPE at the end of the
 * stream (a partial request is dropped).
 */
static int
http_next_request(struct http_conn *c)
{
	struct tq_http_parser *p = &c->parser;
	struct tq_http_event ev;
	int n, status;

	for (;;) {
		n = tq_http_parse(p, c->io->buf + c->rpos, c->wpos - c->rpos,
				&ev);
		if (n < 0) {
			status = tq_http_error_status(p->error);
			if (p->error == TQ_HTTP_E_HEAD_TOO_LARGE)
				status = http_overflow_status(c->io->buf + c->rpos,
						c->wpos - c->rpos);
			/* the method may not be known: a body it is */
			http_reject(c, status, false);
			return 0;
		}
		c->rpos += (uint32_t)n;
		switch (ev.type) {
		case TQ_HTTP_EV_HEAD:
			http_respond(c, &p->msg);
			if (c->state == HTTP_SEND)
				return 0;
			continue;
		case TQ_HTTP_EV_BODY:
			if (c->in_body)
				c->body_rx += ev.len;
			continue;
		case TQ_HTTP_EV_DONE:
			if (c->in_body) {
				http_respond_body(c);
				return 0;
			}
			continue;
		case TQ_HTTP_EV_NEED_MORE:
			break;
		}
		/* All but an unfinished head is consumed: keep that. */
		if (c->rpos == c->wpos) {
			c->rpos = c->wpos = 0;
		} else if (c->wpos == sizeof(c->io->buf) && c->rpos) {
			memmove(c->io->buf, c->io->buf + c->rpos,
					c->wpos - c->rpos);
			c->wpos -= c->rpos;
			c->rpos = 0;
		}
		n = tq_stream_read(c->st, c->io->buf + c->wpos,
				(uint32_t)sizeof(c->io->buf) - c->wpos);
		if (n == -EAGAIN)
			return -EAGAIN;
		if (n <= 0)
			return -EPIPE;
		c->wpos += (uint32_t)n;
	}
}

/*
 * Staged close (RFC 9112 9.6): after our FIN, input is read and dropped,
 * so that a request the peer sent before it saw our response does not
 * turn into a reset that destroys the response in its receive buffer.
 * The stream is closed at the peer's FIN, or (all_acked) once the peer
 * has acknowledged everything we sent: without an app timer, that hands
 * the wait for its FIN to the engine's FIN_WAIT_2 timeout, so a peer
 * that never closes does not hold the connection for ever.
 */
static void
http_drain(struct http_conn *c, bool all_acked)
{
	static __thread char sink[4096];
	int n;

	while ((n = tq_stream_read(c->st, sink, sizeof(sink))) > 0)
		c->drained += (uint32_t)n;
	if (tq_stream_eof(c->st) || all_acked) {
		tq_stream_close(c->st);
		return;
	}
	/* A peer that keeps sending after our FIN gets a reset. */
	if (c->drained > HTTP_DRAIN_MAX)
		tq_stream_abort(c->st, 0);
}

/* Buffers for c, from its worker's free list or the heap. */
static int
http_io_get(struct http_conn *c)
{
	struct http_conn_list *l = &c->svc->conns[c->lcore];

	if (c->io)
		return 0;
	c->io = l->free_io;
	if (c->io) {
		l->free_io = c->io->next;
		l->nfree_io--;
		return 0;
	}
	c->io = malloc(sizeof(*c->io));
	return c->io ? 0 : -ENOMEM;
}

static void
http_io_put(struct http_conn *c)
{
	struct http_conn_list *l = &c->svc->conns[c->lcore];

	if (!c->io)
		return;
	if (l->nfree_io < HTTP_IO_CACHE) {
		c->io->next = l->free_io;
		l->free_io = c->io;
		l->nfree_io++;
	} else {
		free(c->io);
	}
	c->io = NULL;
}

/*
 * Between requests (nothing unparsed, no response pending) the buffers
 * go back to the worker: the parser keeps no pointer into them once its
 * bytes are consumed (an unfinished head is never consumed).
 */
static void
http_io_idle(struct http_conn *c)
{
	if ((c->state == HTTP_READ && c->rpos == c->wpos &&
			c->hdr_off >= c->hdr_len) || c->state == HTTP_DRAIN) {
		c->rpos = c->wpos = 0;
		http_io_put(c);
	}
}

/*
 * Move the connection on as far as it goes now.  After it has closed or
 * aborted the stream, c may already be freed: nothing touches c after.
 */
static void
http_pump(struct http_conn *c)
{
	struct tq_stream *st = c->st;
	int ret;

	if (http_io_get(c) < 0) {
		tq_stream_abort(st, 0);
		return;
	}
	for (;;) {
		switch (c->state) {
		case HTTP_SEND:
			ret = http_send(c);
			if (ret == -EAGAIN)
				return;	/* hdr may be unsent: kept */
			if (ret < 0) {
				tq_stream_abort(st, 0);
				return;
			}
			http_resp_done(c);
			if (c->keep_alive) {
				c->state = HTTP_READ;
				break;
			}
			/* Our FIN now, close() later: see http_drain(). */
			c->state = HTTP_DRAIN;
			http_io_put(c);
			tq_stream_shutdown(st);
			http_drain(c, false);
			return;
		case HTTP_READ:
			ret = http_next_request(c);
			if (ret == -EAGAIN) {
				http_io_idle(c);
				return;
			}
			if (ret < 0) {
				/* all read: FIN, no RST */
				tq_stream_close(st);
				return;
			}
			break;
		case HTTP_DRAIN:
			http_io_put(c);
			http_drain(c, false);
			return;
		}
	}
}

/* ---------- stream callbacks ---------- */

static void
http_readable(struct tq_stream *st, void *ctx)
{
	http_pump(ctx);
}

static void
http_writable(struct tq_stream *st, void *ctx)
{
	http_pump(ctx);
}

static void
http_acked(struct tq_stream *st, uint64_t total, void *ctx)
{
	struct http_conn *c = ctx;

	if (c && c->state == HTTP_DRAIN && total >= c->sent)
		http_drain(c, true);
}

static void
http_conn_free(struct http_conn *c)
{
	http_resp_done(c);
	http_io_put(c);
	TAILQ_REMOVE(&c->svc->conns[c->lcore].head, c, next);
	free(c);
}

/* The last callback, whatever the reason: everything goes. */
static void
http_closed(struct tq_stream *st, enum tq_close_reason why, void *ctx)
{
	struct http_conn *c = ctx;

	if (!c)
		return;
	if ((unsigned int)why < RTE_DIM(http_stats_of(c)->closed))
		http_stats_of(c)->closed[why]++;
	http_conn_free(c);
}

static const struct tq_stream_ops http_ops = {
	.readable = http_readable,
	.writable = http_writable,
	.acked = http_acked,
	.closed = http_closed,
};

static void
http_accept(struct tq_shard *s, struct tq_listener *l, void *arg)
{
	struct http_service *h = arg;
	unsigned int lcore = rte_lcore_id();
	struct http_conn *c;
	struct tq_stream *st;

	if (lcore >= RTE_MAX_LCORE)
		lcore = 0;
	for (;;) {
		c = malloc(sizeof(*c));
		st = tq_tcp_accept(l, &http_ops, c);
		if (!st) {
			free(c);
			return;
		}
		if (!c) {
			/* closed() sees a NULL ctx */
			tq_stream_abort(st, 0);
			continue;
		}
		c->svc = h;
		c->st = st;
		c->lcore = lcore;
		c->state = HTTP_READ;
		c->keep_alive = true;
		c->minor = 1;
		c->rpos = c->wpos = c->drained = 0;
		c->in_body = false;
		c->body_rx = 0;
		tq_http_parser_init(&c->parser, TQ_HTTP_REQUEST, &h->limits);
		c->sent = 0;
		c->hdr_len = c->hdr_off = 0;
		c->body = NULL;
		c->body_len = c->body_off = 0;
		c->map = NULL;
		c->map_len = c->dropped = 0;
		c->cf = NULL;
		c->io = NULL;
		TAILQ_INSERT_TAIL(&h->conns[lcore].head, c, next);
		h->stats[lcore].accepted++;
		/* Responses are whole writes: no need to wait for ACKs. */
		tq_stream_set_opt(st, TQ_OPT_NODELAY, 1);
		/* readable() is not called for data that came before
		 * the accept. */
		if (tq_stream_readable(st) || tq_stream_eof(st))
			http_pump(c);
	}
}

/* ---------- setup ---------- */

/* Does this kernel have openat2() (Linux 5.6)? */
static bool
http_has_openat2(int dirfd)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC | O_DIRECTORY,
		.resolve = RESOLVE_BENEATH,
	};
	long fd = syscall(SYS_openat2, dirfd, ".", &how, sizeof(how));

	if (fd < 0)
		return false;
	close((int)fd);
	return true;
}

int
http_root_open(struct http_service *h)
{
	if (h->root)
		return 0;
	if (!h->docroot)
		return -EINVAL;
	h->root_fd = -1;
	h->root = realpath(h->docroot, NULL);
	if (h->root)
		h->root_fd = open(h->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (h->root_fd < 0) {
		fprintf(stderr, "tq-server: --docroot %s: %s\n", h->docroot,
				strerror(errno));
		free(h->root);
		h->root = NULL;
		return -EINVAL;
	}
	h->use_openat2 = http_has_openat2(h->root_fd);
	/* the caches themselves come at each worker's first request */
	h->fcache = calloc(RTE_MAX_LCORE, sizeof(*h->fcache));
	return 0;
}

int
http_listen(struct tq_engine *e, struct http_service *h, uint32_t backlog)
{
	unsigned int i;
	int ret;

	if (h->nb_ports == 0)
		return 0;
	if (!h->docroot) {
		fprintf(stderr, "tq-server: --http needs --docroot\n");
		return -EINVAL;
	}
	if (http_root_open(h) < 0)
		return -EINVAL;
	/* The head fits the read buffer: the parser never needs more. */
	h->limits.max_head = HTTP_HDR_MAX;
	h->limits.max_fields = HTTP_MAX_FIELDS;
	h->limits.max_body = h->max_body ? h->max_body : HTTP_BODY_MAX;
	h->conns = calloc(RTE_MAX_LCORE, sizeof(*h->conns));
	h->stats = calloc(RTE_MAX_LCORE, sizeof(*h->stats));
	if (!h->conns || !h->stats) {
		fprintf(stderr, "tq-server: --http: %s\n", strerror(ENOMEM));
		return -ENOMEM;
	}
	for (i = 0; i < RTE_MAX_LCORE; i++)
		TAILQ_INIT(&h->conns[i].head);
	for (i = 0; i < h->nb_ports; i++) {
		ret = tq_tcp_listen(e, NULL, h->ports[i], backlog, http_accept,
				h);
		if (ret < 0) {
			fprintf(stderr, "tq-server: --http %u: %s\n",
					h->ports[i], strerror(-ret));
			return ret;
		}
	}
	return 0;
}

struct fcache *
http_fcache(struct http_service *h, unsigned int lcore)
{
	if (!h->fcache || lcore >= RTE_MAX_LCORE)
		return NULL;
	if (!h->fcache[lcore])
		h->fcache[lcore] = fcache_new();
	return h->fcache[lcore];
}

/* The workers' file caches, emptied: their mappings are counted with
 * the responses' own. */
static void
http_fcache_free(struct http_service *h, struct fcache_stats *sum)
{
	struct fcache_stats st;
	unsigned int i;

	memset(sum, 0, sizeof(*sum));
	if (!h->fcache)
		return;
	for (i = 0; i < RTE_MAX_LCORE; i++) {
		if (!h->fcache[i])
			continue;
		/* every response was put back with its connection */
		fcache_free(h->fcache[i], &st);
		sum->hits += st.hits;
		sum->misses += st.misses;
		sum->checks += st.checks;
		sum->stale += st.stale;
		sum->evictions += st.evictions;
		sum->maps += st.maps;
		sum->unmaps += st.unmaps;
	}
	free(h->fcache);
	h->fcache = NULL;
}

void
http_service_free(struct http_service *h)
{
	struct fcache_stats fs;
	struct http_stats sum;
	struct http_conn *c;
	unsigned int i, k, open = 0;

	if (h->conns && h->stats) {
		/* The workers have stopped: their lists are ours now. */
		for (i = 0; i < RTE_MAX_LCORE; i++) {
			while ((c = TAILQ_FIRST(&h->conns[i].head)) != NULL) {
				open++;
				http_conn_free(c);
			}
			while (h->conns[i].free_io) {
				struct http_io *io = h->conns[i].free_io;

				h->conns[i].free_io = io->next;
				free(io);
			}
		}
		http_fcache_free(h, &fs);
		memset(&sum, 0, sizeof(sum));
		sum.maps = fs.maps;
		sum.unmaps = fs.unmaps;
		for (i = 0; i < RTE_MAX_LCORE; i++) {
			const struct http_stats *s = &h->stats[i];

			sum.accepted += s->accepted;
			sum.requests += s->requests;
			sum.maps += s->maps;
			sum.unmaps += s->unmaps;
			sum.body_bytes += s->body_bytes;
			sum.rx_body_bytes += s->rx_body_bytes;
			for (k = 0; k < RTE_DIM(sum.closed); k++)
				sum.closed[k] += s->closed[k];
			for (k = 0; k < RTE_DIM(sum.status); k++)
				sum.status[k] += s->status[k];
		}
		printf("tq-server: http: %" PRIu64 " connections, %" PRIu64
			" requests (2xx %" PRIu64 ", 4xx %" PRIu64 ", 5xx %"
			PRIu64 "), %" PRIu64 " body bytes (%" PRIu64
			" received); closed: normal %"
			PRIu64 " reset %" PRIu64 " timeout %" PRIu64
			" aborted %" PRIu64 "; open at exit %u; mappings %"
			PRIu64 "/%" PRIu64 " unmapped; file cache: hits %"
			PRIu64 " misses %" PRIu64 " checks %" PRIu64
			" stale %" PRIu64 " evicted %" PRIu64 "\n",
			sum.accepted, sum.requests, sum.status[2],
			sum.status[4], sum.status[5], sum.body_bytes,
			sum.rx_body_bytes,
			sum.closed[TQ_CLOSE_NORMAL], sum.closed[TQ_CLOSE_RESET],
			sum.closed[TQ_CLOSE_TIMEOUT],
			sum.closed[TQ_CLOSE_ABORTED], open, sum.unmaps,
			sum.maps, fs.hits, fs.misses, fs.checks, fs.stale,
			fs.evictions);
		fflush(stdout);
	}
	http_fcache_free(h, &fs);
	free(h->conns);
	free(h->stats);
	h->conns = NULL;
	h->stats = NULL;
	if (h->root_fd > 0)
		close(h->root_fd);
	h->root_fd = -1;
	free(h->root);
	free(h->docroot);
	h->root = h->docroot = NULL;
}
