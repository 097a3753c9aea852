/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_SERVER_HTTP_H
#define TQ_SERVER_HTTP_H

/*
 * HTTP/1.1 file service of tq-server: GET and HEAD of regular files under
 * a document root, keep-alive and pipelining, over the engine's TCP
 * streams.  Files are mapped once per response and copied into the send
 * buffer as it drains, so a file of any size is never held in memory.
 */

#include <stdint.h>

#include <tachyon/tachyon.h>
#include <tachyon/tq_http.h>

#define HTTP_MAX_PORTS 8

struct http_conn_list;
struct http_stats;

/* Filled by the option setters; the rest is private to http.c. */
struct http_service {
	uint16_t ports[HTTP_MAX_PORTS];
	unsigned int nb_ports;
	char *docroot;		/* as given */
	uint64_t max_body;	/* --http-max-body, 0: the default */

	/* set up by http_listen() */
	char *root;		/* realpath of docroot */
	int root_fd;		/* O_PATH directory: base of every open */
	int use_openat2;	/* the kernel has openat2(RESOLVE_BENEATH) */
	struct tq_http_limits limits; /* of every connection's parser */
	struct http_conn_list *conns; /* per lcore: open connections */
	struct http_stats *stats;     /* per lcore */
	struct fcache **fcache;	      /* per lcore, made at first use */
};

/* Option setters for --http PORT (repeatable) and --docroot DIR; arg is
 * the struct http_service.  Return 0 or -EINVAL. */
int http_opt_port(void *arg, const char *val);
int http_opt_docroot(void *arg, const char *val);
int http_opt_max_body(void *arg, const char *val);

/*
 * Open the document root and listen on every --http port.  Does nothing
 * without --http.  Prints a message naming the option on error.
 * @return 0, -EINVAL (no or bad --docroot), -ENOMEM, or what
 *   tq_tcp_listen() returns.
 */
int http_listen(struct tq_engine *e, struct http_service *h,
		uint32_t backlog);

/* The docroot opened once for --http and --h3: 0 or -EINVAL (said on
 * stderr). */
int http_root_open(struct http_service *h);

/* Shared with the HTTP/3 server (h3.c), as --http uses them: a request
 * target to a path under the root (0, or 400/414); open it (a
 * directory: its index.html) as a regular file: the fd, or -403,
 * -404, -500, -503; the Content-Type of a name. */
#define HTTP_REL_MAX (2048 + 16)
struct stat;
int http_target_path(const char *t, size_t n, char *out, size_t cap);
int http_open_file(const struct http_service *h, char *rel, size_t cap,
		struct stat *sb);
const char *http_content_type(const char *path);

/* The file cache of an lcore's worker (fcache.h), made at its first
 * use; NULL when it cannot be (fcache_open() then opens every time). */
struct fcache;
struct fcache *http_fcache(struct http_service *h, unsigned int lcore);

/* After tq_engine_run() has returned: print the totals and free the
 * connections the workers left open (the engine drops them silently). */
void http_service_free(struct http_service *h);

#endif
