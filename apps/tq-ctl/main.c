/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tq-ctl: read a running engine's counters through DPDK telemetry, where
 * the engine registers /tachyon/... commands.  It speaks the telemetry
 * socket protocol itself, so it needs no EAL and no hugepages.
 *
 *   tq-ctl [--file-prefix P] [--per-worker] [-z] stats
 *   tq-ctl [--file-prefix P] info
 *   tq-ctl [--file-prefix P] [--state S] [--port N] [--json] conns
 *   tq-ctl [--file-prefix P] [--interval S] [--json] workers
 *   tq-ctl [--file-prefix P] set KEY VALUE
 *   tq-ctl [--file-prefix P] get [KEY]
 *   tq-ctl [--file-prefix P] reload
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "tq_ctl.h"

#define BUF_MAX TQ_CTL_BUF_MAX

static int
tel_connect(const char *prefix)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *rt = getenv("XDG_RUNTIME_DIR");
	char buf[BUF_MAX];
	int fd;

	/* EAL uses /var/run/dpdk for root, $XDG_RUNTIME_DIR/dpdk else. */
	if (getuid() == 0 || !rt)
		rt = "/var/run";
	snprintf(sun.sun_path, sizeof(sun.sun_path),
			"%s/dpdk/%s/dpdk_telemetry.v2", rt, prefix);
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int err = errno;

		fprintf(stderr, "tq-ctl: %s: %s (is the engine running with "
			"--file-prefix %s?)\n", sun.sun_path, strerror(err),
			prefix);
		close(fd);
		return -err;
	}
	/* The server greets with its version and limits first. */
	if (read(fd, buf, sizeof(buf)) <= 0) {
		close(fd);
		return -EIO;
	}
	return fd;
}

int
tq_ctl_query(int fd, const char *cmd, char *out, size_t len)
{
	ssize_t n;

	if (write(fd, cmd, strlen(cmd)) < 0)
		return -errno;
	n = read(fd, out, len - 1);
	if (n <= 0)
		return -EIO;
	out[n] = '\0';
	return 0;
}

int
tq_ctl_query_json(int fd, const char *cmd, json_t **body)
{
	static char buf[BUF_MAX];
	json_t *reply, *b;

	*body = NULL;
	if (tq_ctl_query(fd, cmd, buf, sizeof(buf)) < 0)
		return -EIO;
	reply = json_loads(buf, 0, NULL);
	/* Replies are {"<cmd>": <body>}; a failed command's body is null. */
	b = reply ? json_object_iter_value(json_object_iter(reply)) : NULL;
	if (json_is_object(b))
		*body = json_incref(b);
	json_decref(reply);
	return *body ? 0 : -EINVAL;
}

/*
 * Walk the innermost object of {"cmd": {"Name": 1, ...}} and call fn
 * for each "key": value pair.  Telemetry output is machine-made JSON
 * without nesting deeper than this, so a scanner is enough.
 */
static int
each_pair(const char *json, void (*fn)(const char *k, const char *v,
		void *arg), void *arg)
{
	const char *p = strchr(json, '{');
	int n = 0;

	if (!p || !(p = strchr(p + 1, '{')))
		return -EINVAL; /* error replies are {"cmd": null} */
	p++;
	for (;;) {
		char key[128], val[256];
		const char *ke, *vs, *ve;

		while (*p == ' ' || *p == ',')
			p++;
		if (*p != '"')
			break;
		ke = strchr(p + 1, '"');
		if (!ke || ke[1] != ':')
			return -EINVAL;
		snprintf(key, sizeof(key), "%.*s", (int)(ke - p - 1), p + 1);
		vs = ke + 2;
		if (*vs == '"') {
			ve = strchr(vs + 1, '"');
			if (!ve)
				return -EINVAL;
			snprintf(val, sizeof(val), "%.*s", (int)(ve - vs - 1),
					vs + 1);
			p = ve + 1;
		} else {
			ve = vs + strcspn(vs, ",}");
			snprintf(val, sizeof(val), "%.*s", (int)(ve - vs), vs);
			p = ve;
		}
		fn(key, val, arg);
		n++;
	}
	return n;
}


static void
print_pair(const char *k, const char *v, void *arg)
{
	int zeros = *(int *)arg;

	if (zeros || strcmp(v, "0"))
		printf("%-32s %s\n", k, v);
}

static void
find_workers(const char *k, const char *v, void *arg)
{
	if (!strcmp(k, "workers"))
		*(int *)arg = atoi(v);
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: tq-ctl [--file-prefix P] [--per-worker] [-z] "
		"stats\n       tq-ctl [--file-prefix P] info\n"
		"  stats         counters summed over workers, nstat-like "
		"(non-zero only unless -z)\n"
		"  info          port, driver, addresses, workers\n"
		"       tq-ctl [--file-prefix P] [--state S] [--port N] [--json] "
		"conns\n"
		"  conns         TCP connections, one a line (like ss): state, "
		"worker,\n"
		"                addresses, rtt, rttvar, rto, cwnd, ssthresh, "
		"in flight,\n"
		"                queues, retransmits, cc; then QUIC ones: role, "
		"bytes, lost,\n"
		"                streams; --state takes ss names (ESTAB, "
		"TIME-WAIT...)\n"
		"                or QUIC's (HANDSHAKE, CLOSING, DRAINING), "
		"--port a local\n"
		"                or peer port\n"
		"       tq-ctl [--file-prefix P] [--interval S] [--json] workers\n"
		"  workers       each worker's load over S seconds (1): busy "
		"polls,\n"
		"                busy cycles, packets/s, cycles per packet in "
		"RX,\n"
		"                protocol and TX, ring and mbuf drops\n"
		"       tq-ctl [--file-prefix P] [--json] backends\n"
		"  backends      tq-proxy: each listener and backend, up or "
		"down, connections\n"
		"                active and total, bytes each way, connect "
		"failures\n"
		"       tq-ctl [--file-prefix P] reload\n"
		"  reload        tq-proxy: read its --config file again and "
		"take it; exits 1\n"
		"                when it is refused (the running one "
		"stays)\n"
		"       tq-ctl [--file-prefix P] set KEY VALUE\n"
		"       tq-ctl [--file-prefix P] get [KEY]\n"
		"  set, get      settings that change while running (tcp.cc, "
		"tcp.keepalive_time,\n"
		"                log.PATTERN ...): new connections take them; "
		"get lists all\n");
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "file-prefix", required_argument, NULL, 'p' },
		{ "per-worker", no_argument, NULL, 'w' },
		{ "zeros", no_argument, NULL, 'z' },
		{ "state", required_argument, NULL, 's' },
		{ "port", required_argument, NULL, 'P' },
		{ "json", no_argument, NULL, 'j' },
		{ "interval", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *prefix = "rte";
	static char buf[BUF_MAX];
	struct tq_ctl_conns_opts co = { 0 };
	double interval = 1.0;
	int per_worker = 0, zeros = 0, c, fd, ret = 0;

	while ((c = getopt_long(argc, argv, "p:wzh", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			co.state = optarg;
			break;
		case 'P': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (!*optarg || *end || v == 0 || v > 65535) {
				fprintf(stderr, "tq-ctl: --port %s\n", optarg);
				return 2;
			}
			co.port = (uint16_t)v;
			break;
		}
		case 'j':
			co.json = 1;
			break;
		case 'i': {
			char *end;

			interval = strtod(optarg, &end);
			if (!*optarg || *end || interval <= 0 ||
					interval > 3600) {
				fprintf(stderr, "tq-ctl: --interval %s\n",
						optarg);
				return 2;
			}
			break;
		}
		case 'p':
			prefix = optarg;
			break;
		case 'w':
			per_worker = 1;
			break;
		case 'z':
			zeros = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc && !strcmp(argv[optind], "set")) {
		if (argc - optind != 3) {
			usage(stderr);
			return 2;
		}
		fd = tel_connect(prefix);
		if (fd < 0)
			return 1;
		ret = tq_ctl_set(fd, argv[optind + 1], argv[optind + 2]) < 0;
		close(fd);
		return ret;
	}
	if (optind < argc && !strcmp(argv[optind], "get")) {
		if (argc - optind > 2) {
			usage(stderr);
			return 2;
		}
		fd = tel_connect(prefix);
		if (fd < 0)
			return 1;
		ret = tq_ctl_get(fd, argc - optind == 2 ?
				argv[optind + 1] : NULL) < 0;
		close(fd);
		return ret;
	}
	if (optind != argc - 1 || (strcmp(argv[optind], "stats") &&
			strcmp(argv[optind], "info") &&
			strcmp(argv[optind], "conns") &&
			strcmp(argv[optind], "backends") &&
			strcmp(argv[optind], "reload") &&
			strcmp(argv[optind], "workers"))) {
		usage(stderr);
		return 2;
	}
	fd = tel_connect(prefix);
	if (fd < 0)
		return 1;
	if (!strcmp(argv[optind], "workers")) {
		ret = tq_ctl_workers(fd, interval, co.json) < 0;
		if (ret)
			fprintf(stderr, "tq-ctl: the engine did not answer "
				"/tachyon/workers\n");
		close(fd);
		return ret;
	}
	if (!strcmp(argv[optind], "reload")) {
		ret = tq_ctl_reload(fd) < 0;
		close(fd);
		return ret;
	}
	if (!strcmp(argv[optind], "backends")) {
		ret = tq_ctl_backends(fd, co.json) < 0;
		close(fd);
		return ret;
	}
	if (!strcmp(argv[optind], "conns")) {
		ret = tq_ctl_conns(fd, &co) < 0;
		close(fd);
		return ret;
	} else if (!strcmp(argv[optind], "info")) {
		int one = 1;

		if (tq_ctl_query(fd, "/tachyon/info", buf, sizeof(buf)) < 0 ||
				each_pair(buf, print_pair, &one) < 0)
			ret = 1;
	} else if (!per_worker) {
		if (tq_ctl_query(fd, "/tachyon/stats", buf, sizeof(buf)) < 0 ||
				each_pair(buf, print_pair, &zeros) < 0)
			ret = 1;
	} else {
		int workers = 0, w;
		char cmd[64];

		if (tq_ctl_query(fd, "/tachyon/info", buf, sizeof(buf)) < 0 ||
				each_pair(buf, find_workers, &workers) < 0)
			ret = 1;
		for (w = 0; w < workers && !ret; w++) {
			snprintf(cmd, sizeof(cmd), "/tachyon/stats,%d", w);
			printf("# worker %d\n", w);
			if (tq_ctl_query(fd, cmd, buf, sizeof(buf)) < 0 ||
					each_pair(buf, print_pair, &zeros) < 0)
				ret = 1;
		}
	}
	if (ret)
		fprintf(stderr, "tq-ctl: the engine did not answer the "
			"query\n");
	close(fd);
	return ret;
}
