/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TQ_OPTS_H
#define TQ_OPTS_H

/*
 * One option table serves the command line (--name value) and the config
 * file (INI: "name = value" under [section]).  Errors are one line naming
 * the key or value, kept in o->err for the caller to print.
 */

#include <stdint.h>
#include <stdio.h>

#include <tachyon/tachyon.h>

/* Engine, module and app options together: tq-gen alone has 30 and the
 * modules add one per feature, so leave room (96 ran out silently). */
#define TQ_OPTS_MAX 256
#define TQ_EAL_ARGS_MAX 64

struct tq_opts {
	unsigned int n;
	struct tq_app_opt v[TQ_OPTS_MAX];
	char err[256];
	/* EAL arguments from the config file's [eal] section */
	int eal_argc;
	char *eal_argv[TQ_EAL_ARGS_MAX];
};

int tq_opts_add(struct tq_opts *o, const struct tq_app_opt *opt);

/*
 * Load an INI file: [eal] entries become EAL arguments ("key = value" is
 * --key value; an empty value is a flag; "args = ..." is split on
 * spaces); every other entry goes to its option.
 * Returns 0 or -EINVAL with o->err set.
 */
int tq_opts_load_ini(struct tq_opts *o, const char *path);

/*
 * Parse argv (app options only, argv[0] is skipped).  Returns 0, 1 when
 * --help was given, or -EINVAL with o->err set.
 */
int tq_opts_parse_argv(struct tq_opts *o, int argc, char **argv);

/* Find "--config FILE" or "--config=FILE" in argv; NULL if absent. */
const char *tq_opts_find_config(int argc, char **argv);

void tq_opts_usage(const struct tq_opts *o, FILE *f, const char *prog);

void tq_opts_free(struct tq_opts *o);

/* An unsigned number (decimal, 0x hex or 0 octal) in [min, max]: 0, or
 * -EINVAL for anything else (empty, signed, trailing text, range). */
int tq_opts_parse_u64(const char *v, uint64_t min, uint64_t max,
		uint64_t *out);

/*
 * A setter fn storing a number in [min, max], times mul, into field of
 * the struct stype its argument points to; and one setting a field of
 * a flag option to a fixed value.
 */
#define TQ_OPT_U_SETTER(fn, stype, field, type, min, max, mul)      \
	static int fn(void *arg, const char *v)                      \
	{                                                            \
		stype *st_ = arg;                                    \
		uint64_t x_;                                         \
		if (tq_opts_parse_u64(v, min, max, &x_) < 0)         \
			return -EINVAL;                              \
		st_->field = (type)(x_ * (mul));                     \
		return 0;                                            \
	}

#define TQ_OPT_FLAG_SETTER(fn, stype, field, value)                 \
	static int fn(void *arg, const char *v)                      \
	{                                                            \
		(void)v;                                             \
		((stype *)arg)->field = (value);                     \
		return 0;                                            \
	}

/*
 * A connection listing's telemetry parameters, "w=0,c=12,state=NAME,
 * port=N", all optional (TCP's /tachyon/conns, QUIC's /tachyon/quic/conns):
 * fields not named keep their values; state_by_name() gives a state's
 * number or -1.
 */
int tq_ctl_conn_params(const char *params, int (*state_by_name)(const char *),
		unsigned int *worker, uint32_t *cursor, int *state,
		uint16_t *port);

#endif
