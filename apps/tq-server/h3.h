/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_SERVER_H3_H
#define TQ_SERVER_H3_H

/*
 * tq-server --h3 PORT: the --docroot files over HTTP/3 (h3.c).
 */

#include <stdint.h>

#include <tachyon/tachyon.h>

struct http_service;
struct h3_stats;

struct h3_service {
	uint16_t port;			/* 0: off */
	struct http_service *http;	/* the docroot and its rules */
	struct h3_stats *stats;		/* per lcore */
};

/* The option setter of --h3 PORT; arg is the struct h3_service. */
int h3_opt_port(void *arg, const char *val);

/* Listen (after tq_engine_init, before or while running): 0 or a
 * negative errno, said on stderr. */
int h3_listen(struct tq_engine *e, struct h3_service *h,
		struct http_service *http);

/* After tq_engine_run() has returned: print the totals, free. */
void h3_service_free(struct h3_service *h);

#endif
