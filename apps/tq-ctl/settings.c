/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tq-ctl set KEY VALUE, tq-ctl get [KEY]: the settings a running engine
 * changes live (tcp.cc, keepalive times, TIME_WAIT, log levels...).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "tq_ctl.h"

int
tq_ctl_set(int fd, const char *key, const char *val)
{
	char cmd[512];
	json_t *b;
	int err, ret;

	if (strchr(key, ',') || snprintf(cmd, sizeof(cmd), "/tachyon/set,%s,%s",
			key, val) >= (int)sizeof(cmd)) {
		fprintf(stderr, "tq-ctl: set: key or value too long\n");
		return -EINVAL;
	}
	ret = tq_ctl_query_json(fd, cmd, &b);
	if (ret == -EINVAL)
		fprintf(stderr, "tq-ctl: set: the engine refused the command\n");
	if (ret < 0)
		return ret;
	err = (int)json_integer_value(json_object_get(b, "error"));
	switch (err) {
	case 0:
		printf("%s = %s\n", key, json_string_value(json_object_get(b,
				"value")) ?: val);
		break;
	case ENOENT:
		fprintf(stderr, "tq-ctl: set: no setting '%s' (tq-ctl get "
			"lists them)\n", key);
		ret = -ENOENT;
		break;
	case EINVAL:
		fprintf(stderr, "tq-ctl: set: '%s' is not a value for %s\n",
			val, key);
		ret = -EINVAL;
		break;
	case EAGAIN:
		fprintf(stderr, "tq-ctl: set: %s: a worker did not answer in "
			"2 s; it takes the setting when it does\n", key);
		ret = -EAGAIN;
		break;
	default:
		fprintf(stderr, "tq-ctl: set: %s: %s\n", key, strerror(err));
		ret = -err;
	}
	json_decref(b);
	return ret;
}

int
tq_ctl_get(int fd, const char *key)
{
	char cmd[256];
	json_t *b, *keys, *vals;
	int ret;
	size_t i;

	if (key)
		snprintf(cmd, sizeof(cmd), "/tachyon/get,%s", key);
	else
		snprintf(cmd, sizeof(cmd), "/tachyon/get");
	ret = tq_ctl_query_json(fd, cmd, &b);
	if (ret == -EINVAL)
		fprintf(stderr, "tq-ctl: get: no setting '%s'\n",
			key ? key : "");
	if (ret < 0)
		return ret;
	keys = json_object_get(b, "keys");
	vals = json_object_get(b, "values");
	for (i = 0; i < json_array_size(keys); i++)
		printf("%-28s %s\n", json_string_value(json_array_get(keys, i)) ?:
			"?", json_string_value(json_array_get(vals, i)) ?: "?");
	json_decref(b);
	return 0;
}
