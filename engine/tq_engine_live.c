/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Settings changed while the engine runs: tq_engine_set()/_get(), and
 * /tachyon/set and /tachyon/get for tq-ctl.  A module's setting is
 * applied to a copy of its state, which every worker then adopts from
 * its command ring (struct tq_module's live, publish); the workers read
 * only settings nobody writes any more, and take no lock.  log.PATTERN
 * sets rte_log levels, which need no worker; fault and fault.ITEM change
 * the engine's fault injector on every worker.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <rte_log.h>
#include <rte_telemetry.h>

#include "core/tq_module.h"
#include "core/tq_shard.h"
#include "tq_engine_priv.h"

/* How long a setting waits for each worker. */
#define LIVE_WAIT_MS 2000

static const struct tq_live_opt *
find_live(const char *key, unsigned int *mod)
{
	unsigned int m, k;

	for (m = 0; tq_modules[m]; m++)
		for (k = 0; k < tq_modules[m]->nb_live; k++)
			if (!strcmp(tq_modules[m]->live[k].key, key)) {
				*mod = m;
				return &tq_modules[m]->live[k];
			}
	return NULL;
}

/*
 * Each copy of a module's state a set made while the workers ran, with
 * the argument of the workers' command (which may run after a wait timed
 * out): both kept until the engine ends.
 */
struct tq_live_copy {
	struct tq_live_copy *next;
	const struct tq_module *m;
	char state[] __rte_aligned(RTE_CACHE_LINE_SIZE);
};

static void
publish_cmd(struct tq_shard *s, void *arg)
{
	const struct tq_live_copy *c = arg;

	c->m->publish(s, c->state);
}

static const char *const level_names[] = {
	[RTE_LOG_EMERG] = "emerg", [RTE_LOG_ALERT] = "alert",
	[RTE_LOG_CRIT] = "crit", [RTE_LOG_ERR] = "err",
	[RTE_LOG_WARNING] = "warning", [RTE_LOG_NOTICE] = "notice",
	[RTE_LOG_INFO] = "info", [RTE_LOG_DEBUG] = "debug",
};

static int
log_level(const char *v)
{
	unsigned int l;

	for (l = RTE_LOG_EMERG; l <= RTE_LOG_DEBUG; l++)
		if (!strcasecmp(v, level_names[l]))
			return (int)l;
	return -1;
}

/*
 * Call fn for each log type rte_log_dump() lists ("id 3: lib.eal, level
 * is info"): DPDK 22.11 has no lookup by name that does not register.
 */
static int
each_log_type(int (*fn)(const char *name, const char *level, void *arg),
		void *arg)
{
	char *text = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int ret = 0;

	if (!f)
		return -ENOMEM;
	rte_log_dump(f);
	fclose(f);
	for (line = strtok_r(text, "\n", &save); line && !ret;
			line = strtok_r(NULL, "\n", &save)) {
		char name[128], level[32];

		if (sscanf(line, "id %*u: %127[^,], level is %31s", name,
				level) == 2)
			ret = fn(name, level, arg);
	}
	free(text);
	return ret;
}

struct log_get {
	const char *name;
	char *buf;
	size_t len;
	bool found;
};

static int
log_get_one(const char *name, const char *level, void *arg)
{
	struct log_get *g = arg;

	if (strcmp(name, g->name))
		return 0;
	g->found = true;
	return snprintf(g->buf, g->len, "%s", level) < (int)g->len ?
		1 : -ENOSPC;
}

/* A copy of size bytes of state, aligned for the workers to read. */
static struct tq_live_copy *
live_copy_new(size_t size)
{
	return aligned_alloc(RTE_CACHE_LINE_SIZE, RTE_ALIGN_CEIL(
			sizeof(struct tq_live_copy) + size,
			RTE_CACHE_LINE_SIZE));
}

/*
 * Under the control lock: every polling worker runs fn(c), then the
 * copy joins the list freed at the end (a worker that timed out runs
 * its command later, so it must outlive the wait).
 */
static int
live_publish(struct tq_engine *e, struct tq_live_copy *c, tq_cmd_fn fn)
{
	unsigned int k;
	int ret = 0;

	for (k = 0; fn && k < e->nb_workers && tq_engine_running(e); k++) {
		ret = tq_worker_run_wait(e, k, fn, c, LIVE_WAIT_MS);
		if (ret < 0)
			break;
	}
	c->next = e->live_copies;
	e->live_copies = c;
	return ret == -ETIMEDOUT ? -EAGAIN : ret;
}

static void
fault_cmd(struct tq_shard *s, void *arg)
{
	const struct tq_live_copy *c = arg;

	tq_shard_set_fault(s, (const struct tq_fault_spec *)c->state);
}

/*
 * fault (the whole spec, in --fault's syntax, or "off") and fault.ITEM
 * (one item of it): the injector is the engine's, not a module's, and
 * each worker puts the new spec on its own injectors.
 */
static int
fault_set(struct tq_engine *e, const char *key, const char *val)
{
	struct tq_fault_spec sp;
	struct tq_live_copy *c;
	const char *bad;
	int ret = 0;

	if (tq_engine_running(e) && tq_engine_on_worker(e))
		return -EDEADLK;
	tq_engine_ctl_lock(e);
	sp = e->fault;
	if (!strcmp(key, "fault")) {
		if (!strcmp(val, "off") || !*val)
			tq_fault_spec_off(&sp);
		else if (tq_fault_parse(val, &sp, &bad) < 0)
			ret = -EINVAL;
	} else if (tq_fault_set_item(&sp, key + 6, val) < 0) {
		ret = -EINVAL;
	}
	c = ret ? NULL : live_copy_new(sizeof(sp));
	if (!c) {
		tq_engine_ctl_unlock(e);
		return ret ? ret : -ENOMEM;
	}
	c->m = NULL;
	memcpy(c->state, &sp, sizeof(sp));
	ret = live_publish(e, c, fault_cmd);
	e->fault = sp;
	tq_engine_ctl_unlock(e);
	return ret;
}

static const char *const fault_items[] = {
	"drop", "dup", "reorder", "corrupt", "delay", "seed", "dir",
};

static bool
is_fault_key(const char *key)
{
	unsigned int i;

	if (!strcmp(key, "fault"))
		return true;
	if (strncmp(key, "fault.", 6))
		return false;
	for (i = 0; i < RTE_DIM(fault_items); i++)
		if (!strcmp(key + 6, fault_items[i]))
			return true;
	return false;
}

static int
fault_get(struct tq_engine *e, const char *key, char *buf, size_t len)
{
	char all[256], *item, *save = NULL;
	size_t n = strlen(key + 5);
	int ret;

	tq_engine_ctl_lock(e);
	tq_fault_format(&e->fault, all, sizeof(all));
	tq_engine_ctl_unlock(e);
	if (!strcmp(key, "fault"))
		return snprintf(buf, len, "%s", all) < (int)len ? 0 : -ENOSPC;
	/* "fault.drop": the value of "drop=" in the formatted spec. */
	for (item = strtok_r(all, ",", &save); item;
			item = strtok_r(NULL, ",", &save))
		if (!strncmp(item, key + 6, n - 1) && item[n - 1] == '=') {
			ret = snprintf(buf, len, "%s", item + n);
			return ret < (int)len ? 0 : -ENOSPC;
		}
	return -ENOENT;
}

static int
engine_set(struct tq_engine *e, const char *key, const char *val)
{
	const struct tq_live_opt *o;
	const struct tq_module *m;
	struct tq_live_copy *c;
	unsigned int mi;
	int ret;

	if (!strncmp(key, "log.", 4)) {
		int l = log_level(val);

		if (l < 0 || !key[4])
			return -EINVAL;
		/* A pattern that matches no type yet also applies to types
		 * registered later, as EAL's --log-level does. */
		return rte_log_set_level_pattern(key + 4, (uint32_t)l) < 0 ?
			-EINVAL : 0;
	}
	if (is_fault_key(key))
		return fault_set(e, key, val);
	o = find_live(key, &mi);
	if (!o)
		return -ENOENT;
	m = tq_modules[mi];
	if (tq_engine_running(e) && tq_engine_on_worker(e))
		return -EDEADLK;
	c = live_copy_new(m->state_size);
	if (!c)
		return -ENOMEM;
	c->m = m;
	tq_engine_ctl_lock(e);
	memcpy(c->state, e->mod_state[mi], m->state_size);
	if (o->set(c->state, val) < 0) {
		tq_engine_ctl_unlock(e);
		free(c);
		return -EINVAL;
	}
	/* Workers not polling yet copy the master when they attach. */
	ret = live_publish(e, c, m->publish ? publish_cmd : NULL);
	/*
	 * The master copy: what the next set starts from, what get shows.
	 * Kept even when a worker timed out: its command runs later and
	 * it ends up with the same settings.
	 */
	memcpy(e->mod_state[mi], c->state, m->state_size);
	tq_engine_ctl_unlock(e);
	return ret;
}

/* Every change is logged, so the log says when behaviour changed. */
int
tq_engine_set(struct tq_engine *e, const char *key, const char *val)
{
	char v[256];
	int ret = engine_set(e, key, val);

	if (ret == 0 || ret == -EAGAIN)
		ENG_LOG(NOTICE, "set %s = %s%s", key,
			tq_engine_get(e, key, v, sizeof(v)) == 0 ? v : val,
			ret ? " (a worker has yet to take it)" : "");
	return ret;
}

int
tq_engine_get(struct tq_engine *e, const char *key, char *buf, size_t len)
{
	const struct tq_live_opt *o;
	unsigned int mi;
	int ret;

	if (!strncmp(key, "log.", 4)) {
		struct log_get g = { key + 4, buf, len, false };

		ret = each_log_type(log_get_one, &g);
		if (ret < 0)
			return ret;
		return g.found ? 0 : -ENOENT;
	}
	if (is_fault_key(key))
		return fault_get(e, key, buf, len);
	o = find_live(key, &mi);
	if (!o)
		return -ENOENT;
	tq_engine_ctl_lock(e);
	ret = o->get(e->mod_state[mi], buf, len);
	tq_engine_ctl_unlock(e);
	return ret;
}

void
tq_engine_live_free(struct tq_engine *e)
{
	while (e->live_copies) {
		struct tq_live_copy *c = e->live_copies;

		e->live_copies = c->next;
		free(c);
	}
}

/* /tachyon/set,KEY,VALUE (the value may hold commas). */
static int
tel_set(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct tq_engine *e = tq_engine_current();
	char key[96];
	const char *comma;
	int ret;

	if (!e)
		return -ENODEV;
	comma = params ? strchr(params, ',') : NULL;
	if (!comma || comma == params ||
			(size_t)(comma - params) >= sizeof(key))
		return -EINVAL;
	memcpy(key, params, (size_t)(comma - params));
	key[comma - params] = '\0';
	ret = tq_engine_set(e, key, comma + 1);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "key", key);
	rte_tel_data_add_dict_int(d, "error", -ret);
	if (ret == 0) {
		char v[RTE_TEL_MAX_STRING_LEN];

		if (tq_engine_get(e, key, v, sizeof(v)) == 0)
			rte_tel_data_add_dict_string(d, "value", v);
	}
	return 0;
}

struct get_all {
	struct rte_tel_data *keys, *vals;
};

static void
get_add(struct get_all *g, const char *key, const char *val)
{
	rte_tel_data_add_array_string(g->keys, key);
	rte_tel_data_add_array_string(g->vals, val);
}

static int
log_get_all(const char *name, const char *level, void *arg)
{
	char key[RTE_TEL_MAX_STRING_LEN];

	/* Ours and EAL's; DPDK has some hundred more. */
	if (strncmp(name, "tachyon.", 8) && strcmp(name, "lib.eal"))
		return 0;
	snprintf(key, sizeof(key), "log.%s", name);
	get_add(arg, key, level);
	return 0;
}

/*
 * /tachyon/get[,KEY]: one setting, or every one, as two arrays (keys
 * and values): telemetry dictionary names cannot hold the dots of ours.
 */
static int
tel_get(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct tq_engine *e = tq_engine_current();
	char v[RTE_TEL_MAX_STRING_LEN];
	struct get_all g;
	unsigned int m, k;

	if (!e)
		return -ENODEV;
	if (params && *params && tq_engine_get(e, params, v, sizeof(v)) < 0)
		return -ENOENT;
	g.keys = rte_tel_data_alloc();
	g.vals = rte_tel_data_alloc();
	if (!g.keys || !g.vals) {
		rte_tel_data_free(g.keys);
		rte_tel_data_free(g.vals);
		return -ENOMEM;
	}
	rte_tel_data_start_array(g.keys, RTE_TEL_STRING_VAL);
	rte_tel_data_start_array(g.vals, RTE_TEL_STRING_VAL);
	if (params && *params) {
		get_add(&g, params, v);
	} else {
		for (m = 0; tq_modules[m]; m++)
			for (k = 0; k < tq_modules[m]->nb_live; k++)
				if (tq_engine_get(e, tq_modules[m]->live[k].key,
						v, sizeof(v)) == 0)
					get_add(&g, tq_modules[m]->live[k].key,
							v);
		if (fault_get(e, "fault", v, sizeof(v)) == 0)
			get_add(&g, "fault", v);
		each_log_type(log_get_all, &g);
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_container(d, "keys", g.keys, 0);
	rte_tel_data_add_dict_container(d, "values", g.vals, 0);
	return 0;
}

void
tq_engine_live_telemetry(void)
{
	rte_telemetry_register_cmd("/tachyon/set", tel_set,
		"Change a setting while running. Params: KEY,VALUE");
	rte_telemetry_register_cmd("/tachyon/get", tel_get,
		"Settings that change while running. Params: [KEY]");
}
