/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TACHYON_H
#define TACHYON_H

/**
 * @file
 * The engine: create it from the command line, bind services, run it.
 *
 * An app calls tq_engine_create() with its argv (EAL options, then "--",
 * then engine and app options), binds its services, then tq_engine_run()
 * which returns after SIGINT/SIGTERM or tq_engine_stop().  Service
 * callbacks run on the worker that received the packet.
 */

#include <stdbool.h>
#include <stdint.h>

#include <tachyon/tq_addr.h>

struct tq_engine;
struct tq_shard;

/** Exit status for configuration errors (bad key, bad value, no port). */
#define TQ_EXIT_CONFIG 2

/** Counter ids, generated from tq_counters.def. */
enum tq_counter {
#define TQ_CTR(id, name, help) TQ_CTR_##id,
#include <tachyon/tq_counters.def>
#undef TQ_CTR
	TQ_CTR_MAX
};

/** Name of a counter (nstat-like), or NULL when out of range. */
const char *tq_counter_name(unsigned int id);

/** One-line description of a counter, or NULL when out of range. */
const char *tq_counter_help(unsigned int id);

/** True for a gauge (a level such as connections now, TQ_GAUGE in
 * tq_counters.def), false for a counter that only grows. */
bool tq_counter_is_gauge(unsigned int id);

/**
 * An option an app adds to the engine's own.  It is accepted on the
 * command line as --name and in the config file as "name = value" in
 * the given INI section.
 */
struct tq_app_opt {
	const char *name;
	const char *section;
	const char *metavar; /**< NULL for a flag without a value */
	const char *help;
	/** Apply the value; return 0 or -EINVAL (the engine reports it). */
	int (*set)(void *arg, const char *val);
	void *arg;
};

/**
 * Initialise EAL, parse the options and config file, and bring up the
 * port.  On a configuration error a one-line message naming the key or
 * value is printed and -EINVAL returned: the app exits TQ_EXIT_CONFIG.
 *
 * @return 0, 1 when --help was printed, or a negative errno.
 */
int tq_engine_create(int argc, char **argv, const char *app_name,
		const struct tq_app_opt *opts, unsigned int nb_opts,
		struct tq_engine **out);

/**
 * Read the app's options again, as tq_engine_create() did: the config
 * file (--config) first, then the command line after "--", each calling
 * the app's setters again (the app points them at a fresh copy first).
 * The engine's own options are checked as keys but not applied: they
 * are read at start only.  Not from a worker; one caller at a time.
 * @return 0, or -EINVAL with the reason (the key, the value) in err.
 */
int tq_engine_reload_app_opts(struct tq_engine *e, char *err, size_t len);

/** Launch workers and serve until stopped; returns 0 or a negative errno. */
int tq_engine_run(struct tq_engine *e);

/** Ask a running engine to stop (signal-safe). */
void tq_engine_stop(struct tq_engine *e);

/** Stop the port, free everything, clean up EAL. */
void tq_engine_destroy(struct tq_engine *e);

/** Number of workers (lcores other than the main one). */
unsigned int tq_engine_workers(const struct tq_engine *e);

/** The --metrics page being written, for an app's own families. */
struct tq_metrics_page;

/** An app's part of the --metrics page: called on the metrics thread
 * at each scrape, after the engine's families. */
typedef void (*tq_metrics_fn)(struct tq_metrics_page *pg, void *arg);

/** Most metrics hooks an engine holds. */
#define TQ_METRICS_HOOKS_MAX 8

/**
 * Add fn to the --metrics page, before tq_engine_run(): for what app
 * counters cannot say (a gauge, labels such as a backend's address).
 * fn reads per-worker state relaxed, as the engine does for counters.
 * @return 0, -EINVAL, -EBUSY (the engine runs), -ENOSPC.
 */
int tq_engine_on_metrics(struct tq_engine *e, tq_metrics_fn fn, void *arg);

/**
 * "# HELP" and "# TYPE" of a family (type "counter" or "gauge"): names
 * in Prometheus's rules (a counter's ends in _total, base units).
 */
void tq_metrics_family(struct tq_metrics_page *pg, const char *name,
		const char *type, const char *help);

/**
 * One sample, name{labels} value; labels is what goes inside the
 * braces (label="value",...), its values made with tq_metrics_escape().
 */
void tq_metrics_sample(struct tq_metrics_page *pg, const char *name,
		const char *labels, double v);

/** A label value escaped for the page (\, " and newline); snprintf's
 * return. */
int tq_metrics_escape(char *out, size_t len, const char *v);

/**
 * The engine's own addresses (--addr), in the order given: up to max
 * into out (NULL with max 0 to count).
 * @return how many the engine has.
 */
unsigned int tq_engine_addrs(const struct tq_engine *e, struct tq_addr *out,
		unsigned int max);

/**
 * Copy counters: worker -1 sums all workers.
 * @return 0, or -EINVAL for a worker that does not exist.
 */
int tq_engine_counters(const struct tq_engine *e, int worker,
		uint64_t out[TQ_CTR_MAX]);

/**
 * Change a setting while the engine runs (tq-ctl set does the same):
 * "tcp.cc", "tcp.keepalive_time", ... (tq-ctl get lists them) or
 * "log.PATTERN" with an rte_log level name.  It takes effect for what
 * the workers start afterwards (new connections); what runs keeps its
 * settings.  Not from a worker.
 * @return 0, -ENOENT (no such key), -EINVAL (bad value), -EAGAIN (a
 *   worker did not answer in 2 s: it adopts the setting later),
 *   -EDEADLK (called on a worker) or -ENOMEM.
 */
int tq_engine_set(struct tq_engine *e, const char *key, const char *val);

/**
 * A live setting's current value as text.
 * @return 0, -ENOENT or -ENOSPC.
 */
int tq_engine_get(struct tq_engine *e, const char *key, char *buf,
		size_t len);

/** Id of the worker a shard belongs to. */
unsigned int tq_shard_id(const struct tq_shard *s);

#endif
