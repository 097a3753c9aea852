/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GEN_REPORT_H
#define GEN_REPORT_H

/*
 * What a run measured, as JSON (libjansson) and as a wrk-like summary,
 * and --merge: several reports combined exactly (counts and rates
 * summed, histograms merged, per-second series summed by second).
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "hist.h"

/* Errors by kind: the enum and the JSON names from one list. */
#define GEN_ERRORS(X) \
	X(CONNECT_TIMEOUT, "connect_timeout") /* no SYN-ACK in time */ \
	X(REFUSED, "refused")		/* RST to our SYN */ \
	X(UNREACHABLE, "unreachable")	/* ICMP unreachable, no route */ \
	X(RESET, "reset")		/* RST once connected */ \
	X(CLOSED, "closed")		/* peer closed before the answer */ \
	X(STATUS_4XX, "status_4xx") \
	X(STATUS_5XX, "status_5xx") \
	X(PARSE, "parse")		/* not HTTP/1.1, or bad echo bytes */ \
	X(TIMEOUT, "timeout")		/* no answer within --timeout */

enum gen_err {
#define GEN_ERR_ENUM(id, name) GEN_E_##id,
	GEN_ERRORS(GEN_ERR_ENUM)
#undef GEN_ERR_ENUM
	GEN_E_MAX
};

const char *gen_err_name(enum gen_err e);

struct gen_counts {
	uint64_t requests;	/* answers received whole (any status) */
	uint64_t connections;	/* connections established */
	uint64_t bytes_rx;	/* payload bytes received */
	uint64_t bytes_tx;	/* payload bytes sent */
	uint64_t resumed;	/* --h3: handshakes that resumed a session */
	uint64_t early;		/* --h3: of them, 0-RTT taken */
	uint64_t errors[GEN_E_MAX];
};

void gen_counts_add(struct gen_counts *dst, const struct gen_counts *src);
uint64_t gen_counts_errors(const struct gen_counts *c);

/* One second of the run: second t counts from the end of warmup. */
struct gen_sec {
	uint32_t t;
	struct gen_counts c;
	struct gen_hist_sparse lat;
};

struct gen_report {
	char mode[16];
	uint32_t inputs;	/* runs it holds: 1, or how many merged */
	bool interrupted;	/* a run (or one of those merged) was cut
				 * short by SIGINT/SIGTERM */
	double duration_s;	/* measured; a merge keeps the longest */
	/* Rates of a run are its counts over its duration; of a merge, the
	 * sum of its inputs' rates (the load they put on together). */
	double requests_per_sec;
	double connections_per_sec;
	double bytes_per_sec;	/* received and sent */
	struct gen_counts c;
	struct gen_hist *lat;	/* ns, from the intended send time */
	uint32_t nsec;
	struct gen_sec *sec;	/* sorted by t */
	json_t *config;		/* the options, as given; may be NULL */
};

/* 0 or -ENOMEM. */
int gen_report_init(struct gen_report *r, const char *mode);
void gen_report_free(struct gen_report *r);

/* Rates from the counts and duration_s (a run, not a merge). */
void gen_report_rates(struct gen_report *r);

/*
 * Add one second's counts and latencies at second t (summed into what
 * is there for t).  0 or -ENOMEM.
 */
int gen_report_add_sec(struct gen_report *r, uint32_t t,
		const struct gen_counts *c, const struct gen_hist *lat);

/* The report as JSON; NULL when out of memory. */
json_t *gen_report_to_json(const struct gen_report *r);

/* Write it to path ("-": stdout).  0 or a negative errno. */
int gen_report_write(const struct gen_report *r, const char *path);

/*
 * Add the report in j (or in file path) into r: counts, rates and
 * inputs summed, histograms merged, series summed by second, the longest
 * duration kept.  A report of another mode is refused.  On error r may
 * hold part of it.  0, -EINVAL (malformed, with a message in err) or
 * -ENOMEM.
 */
int gen_report_add_json(struct gen_report *r, const json_t *j,
		char *err, size_t errlen);
int gen_report_add_file(struct gen_report *r, const char *path,
		char *err, size_t errlen);

/* The wrk-like summary. */
void gen_report_print(const struct gen_report *r, FILE *f);

#endif
