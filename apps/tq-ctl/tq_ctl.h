/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_CTL_H
#define TQ_CTL_H

#include <stddef.h>
#include <stdint.h>

/* A telemetry reply is at most 16 KB; room to spare. */
#define TQ_CTL_BUF_MAX (64 * 1024)

/* Send one telemetry command, read its reply into out (NUL-ended). */
int tq_ctl_query(int fd, const char *cmd, char *out, size_t len);

typedef struct json_t json_t;
/*
 * The same, parsed: *body is the object the command answered (a new
 * reference).  0, -EIO (no answer) or -EINVAL (refused: a null body).
 */
int tq_ctl_query_json(int fd, const char *cmd, json_t **body);

struct tq_ctl_conns_opts {
	const char *state;	/* ss name (ESTAB, TIME-WAIT...) or NULL */
	uint16_t port;		/* local or peer; 0: any */
	int json;
};

/* tq-ctl conns: 0, or a negative errno after a message. */
int tq_ctl_conns(int fd, const struct tq_ctl_conns_opts *o);

/* tq-ctl set KEY VALUE / get [KEY]: 0 or a negative errno. */
int tq_ctl_set(int fd, const char *key, const char *val);
int tq_ctl_get(int fd, const char *key);

/* tq-ctl backends: tq-proxy's listeners and backends. */
int tq_ctl_backends(int fd, int json);

/* tq-ctl reload: tq-proxy's configuration read again; 0 or a negative
 * errno (-EINVAL: refused, the running one stays). */
int tq_ctl_reload(int fd);

/* tq-ctl workers: each worker's load over interval seconds. */
int tq_ctl_workers(int fd, double interval, int json);

#endif
