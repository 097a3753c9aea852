/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kecho: the kernel's UDP echo, as fast as one thread makes it.
 *
 * One UDP socket bound to ADDR:PORT; recvmmsg a batch, sendmmsg it back to
 * the senders.  By default it blocks in recvmmsg (MSG_WAITFORONE) when idle,
 * as a kernel server normally does; --spin polls with MSG_DONTWAIT instead,
 * burning its core the way a DPDK worker does.  On SIGINT/SIGTERM it prints
 * its counters as JSON on stdout and exits.  --ready FILE is created once the
 * socket is bound.
 *
 *   kecho --addr 10.99.0.2 --port 7 [--batch 64] [--spin] [--ready FILE]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_BATCH	256
#define BUF_SIZE	65536

static volatile sig_atomic_t stop_flag;

static void
on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void
usage(const char *prog)
{
	fprintf(stderr, "usage: %s --addr IPV4 [--port 7] [--batch 64] "
			"[--rcvbuf BYTES] [--spin] [--ready FILE]\n", prog);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "batch", required_argument, NULL, 'b' },
		{ "rcvbuf", required_argument, NULL, 'r' },
		{ "spin", no_argument, NULL, 's' },
		{ "ready", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct mmsghdr msgs[MAX_BATCH];
	static struct iovec iov[MAX_BATCH];
	static struct sockaddr_in peers[MAX_BATCH];
	struct sigaction sa;
	struct sockaddr_in addr;
	const char *ready = NULL;
	unsigned long v;
	unsigned int batch = 64, i;
	uint64_t rx = 0, tx = 0, tx_drop = 0, calls = 0, bytes = 0;
	int fd, opt, spin = 0, rcvbuf = 4 << 20, port = 7, have_addr = 0;
	uint8_t *data;
	char *end;

	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	while ((opt = getopt_long(argc, argv, "a:p:b:r:sR:h", longopts,
			NULL)) != -1) {
		switch (opt) {
		case 'a':
			if (inet_pton(AF_INET, optarg, &addr.sin_addr) != 1)
				goto bad;
			have_addr = 1;
			break;
		case 'p':
			v = strtoul(optarg, &end, 10);
			if (*end || v < 1 || v > 65535)
				goto bad;
			port = (int)v;
			break;
		case 'b':
			v = strtoul(optarg, &end, 10);
			if (*end || v < 1 || v > MAX_BATCH)
				goto bad;
			batch = (unsigned int)v;
			break;
		case 'r':
			v = strtoul(optarg, &end, 10);
			if (*end || v > (1ul << 30))
				goto bad;
			rcvbuf = (int)v;
			break;
		case 's':
			spin = 1;
			break;
		case 'R':
			ready = optarg;
			break;
		case 'h':
			usage(argv[0]);
			return 0;
		default:
			usage(argv[0]);
			return 2;
		}
	}
	if (!have_addr || optind != argc) {
		usage(argv[0]);
		return 2;
	}
	addr.sin_port = htons((uint16_t)port);
	goto run;
bad:
	fprintf(stderr, "kecho: bad value for option -%c: %s\n", opt, optarg);
	return 2;
run:

	/* no SA_RESTART: the signal must break a blocking recvmmsg */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("kecho: socket");
		return 1;
	}
	if (rcvbuf > 0) {
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
				sizeof(rcvbuf)) < 0)
			(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
					sizeof(rcvbuf));
		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &rcvbuf,
				sizeof(rcvbuf)) < 0)
			(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &rcvbuf,
					sizeof(rcvbuf));
	}
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		perror("kecho: bind");
		return 1;
	}
	data = malloc((size_t)BUF_SIZE * batch);
	if (data == NULL) {
		fprintf(stderr, "kecho: out of memory\n");
		return 1;
	}
	for (i = 0; i < batch; i++) {
		iov[i].iov_base = data + (size_t)i * BUF_SIZE;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &peers[i];
	}
	if (ready != NULL) {
		int rfd = open(ready, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (rfd >= 0)
			close(rfd);
	}

	while (!stop_flag) {
		int r, s, done;

		for (i = 0; i < batch; i++) {
			iov[i].iov_len = BUF_SIZE;
			msgs[i].msg_hdr.msg_namelen = sizeof(peers[i]);
			msgs[i].msg_hdr.msg_flags = 0;
		}
		r = recvmmsg(fd, msgs, batch,
				spin ? MSG_DONTWAIT : MSG_WAITFORONE, NULL);
		calls++;
		if (r <= 0)
			continue;	/* EAGAIN, EINTR */
		rx += (uint64_t)r;
		for (i = 0; i < (unsigned int)r; i++) {
			iov[i].iov_len = msgs[i].msg_len;
			bytes += msgs[i].msg_len;
		}
		/* a full send buffer blocks; a hard error drops the rest */
		for (done = 0; done < r; ) {
			s = sendmmsg(fd, msgs + done, (unsigned int)(r - done),
					0);
			if (s < 0) {
				if (errno == EINTR && !stop_flag)
					continue;
				tx_drop += (uint64_t)(r - done);
				break;
			}
			done += s;
			tx += (uint64_t)s;
		}
	}
	printf("{\"tool\": \"kecho\", \"mode\": \"%s\", \"batch\": %u, "
		"\"rx\": %" PRIu64 ", \"tx\": %" PRIu64 ", \"tx_drop\": %"
		PRIu64 ", \"recv_calls\": %" PRIu64 ", \"bytes\": %" PRIu64
		"}\n", spin ? "spin" : "block", batch, rx, tx, tx_drop, calls,
		bytes);
	free(data);
	close(fd);
	return 0;
}
