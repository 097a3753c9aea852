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

static json_t *
body_of(const char *buf, json_t **reply)
{
	json_t *b;

	*reply = json_loads(buf, 0, NULL);
	b = *reply ? json_object_iter_value(json_object_iter(*reply)) : NULL;
	return json_is_object(b) ? b : NULL;
}

int
tq_ctl_set(int fd, const char *key, const char *val)
{
	static char buf[TQ_CTL_BUF_MAX];
	char cmd[512];
	json_t *reply, *b;
	int err, ret = 0;

	if (strchr(key, ',') || snprintf(cmd, sizeof(cmd), "/tachyon/set,%s,%s",
			key, val) >= (int)sizeof(cmd)) {
		fprintf(stderr, "tq-ctl: set: key or value too long\n");
		return -EINVAL;
	}
	if (tq_ctl_query(fd, cmd, buf, sizeof(buf)) < 0)
		return -EIO;
	b = body_of(buf, &reply);
	if (!b) {
		fprintf(stderr, "tq-ctl: set: the engine refused the command\n");
		json_decref(reply);
		return -EIO;
	}
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
	json_decref(reply);
	return ret;
}

int
tq_ctl_get(int fd, const char *key)
{
	static char buf[TQ_CTL_BUF_MAX];
	char cmd[256];
	json_t *reply, *b, *keys, *vals;
	size_t i;

	if (key)
		snprintf(cmd, sizeof(cmd), "/tachyon/get,%s", key);
	else
		snprintf(cmd, sizeof(cmd), "/tachyon/get");
	if (tq_ctl_query(fd, cmd, buf, sizeof(buf)) < 0)
		return -EIO;
	b = body_of(buf, &reply);
	if (!b) {
		fprintf(stderr, "tq-ctl: get: no setting '%s'\n",
			key ? key : "");
		json_decref(reply);
		return -ENOENT;
	}
	keys = json_object_get(b, "keys");
	vals = json_object_get(b, "values");
	for (i = 0; i < json_array_size(keys); i++)
		printf("%-28s %s\n", json_string_value(json_array_get(keys, i)) ?:
			"?", json_string_value(json_array_get(vals, i)) ?: "?");
	json_decref(reply);
	return 0;
}
