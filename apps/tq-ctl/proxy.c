/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tq-ctl backends: tq-proxy's listeners and backends (its telemetry
 * /tqproxy/listeners and /tqproxy/backends, docs/tq-proxy.md), one a
 * line; tq-ctl reload: its configuration read again.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include <jansson.h>

#include "tq_ctl.h"

static uint64_t
u64(json_t *o, const char *k)
{
	return (uint64_t)json_integer_value(json_object_get(o, k));
}

static const char *
str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "-";
}

int
tq_ctl_backends(int fd, int json)
{
	json_t *l = NULL, *b = NULL, *v;
	const char *k;
	int ret;

	ret = tq_ctl_query_json(fd, "/tqproxy/listeners", &l);
	if (ret == 0)
		ret = tq_ctl_query_json(fd, "/tqproxy/backends", &b);
	if (ret < 0) {
		json_decref(l);
		json_decref(b);
		fprintf(stderr, "tq-ctl: no /tqproxy telemetry: is it "
			"tq-proxy?\n");
		return ret;
	}
	if (json) {
		json_t *all = json_pack("{s:O,s:O}", "listeners", l,
				"backends", b);

		json_dumpf(all, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		printf("\n");
		json_decref(all);
	} else {
		/* The last four are HTTP mode's (0 in tcp mode). */
		printf("%-8s %-44s %-12s %8s %10s %14s %14s %8s %10s %10s "
			"%8s %8s\n", "what", "address", "pool", "active",
			"total", "bytes_up", "bytes_down", "fails", "requests",
			"2xx", "4xx", "5xx");
		json_object_foreach(l, k, v)
			printf("%-8s %-44" PRIu64 " %-12s %8" PRIu64 " %10"
				PRIu64 " %14" PRIu64 " %14" PRIu64 " %8s %10"
				PRIu64 " %10" PRIu64 " %8" PRIu64 " %8" PRIu64
				"\n",
				json_object_get(v, "proto") ?
				str(v, "proto") : "listen",
				u64(v, "port"), str(v, "pool"),
				u64(v, "active"), u64(v, "total"),
				u64(v, "bytes_up"), u64(v, "bytes_down"), "-",
				u64(v, "requests"), u64(v, "resp_2xx"),
				u64(v, "resp_4xx"), u64(v, "resp_5xx"));
		json_object_foreach(b, k, v)
			printf("%-8s %-44s %-12s %8" PRIu64 " %10" PRIu64
				" %14" PRIu64 " %14" PRIu64 " %8" PRIu64
				" %10" PRIu64 " %10" PRIu64 " %8" PRIu64
				" %8" PRIu64 "\n",
				u64(v, "up") ? "up" : "down",
				json_string_value(json_object_get(v, "addr")) ?:
				k, str(v, "pool"),
				u64(v, "active"), u64(v, "total"),
				u64(v, "bytes_up"), u64(v, "bytes_down"),
				u64(v, "connect_fails"), u64(v, "requests"),
				u64(v, "resp_2xx"), u64(v, "resp_4xx"),
				u64(v, "resp_5xx"));
	}
	json_decref(l);
	json_decref(b);
	return 0;
}

/*
 * tq-ctl reload: tq-proxy reads its configuration again (its telemetry
 * /tqproxy/reload).  0 once every worker took it; -EINVAL when it was
 * refused (the running one stays), with tq-proxy's reason.
 */
int
tq_ctl_reload(int fd)
{
	json_t *b = NULL;
	int ret;

	ret = tq_ctl_query_json(fd, "/tqproxy/reload", &b);
	if (ret < 0) {
		fprintf(stderr, "tq-ctl: no /tqproxy/reload telemetry: is it "
			"tq-proxy?\n");
		return ret;
	}
	if (u64(b, "ok")) {
		printf("reloaded: generation %" PRIu64 " (%" PRIu64
			" reloads, %" PRIu64 " refused)\n",
			u64(b, "generation"), u64(b, "reloads"),
			u64(b, "reload_fails"));
	} else {
		fprintf(stderr, "tq-ctl: reload refused, generation %" PRIu64
			" stays: %s\n", u64(b, "generation"), str(b, "error"));
		ret = -EINVAL;
	}
	json_decref(b);
	return ret;
}
