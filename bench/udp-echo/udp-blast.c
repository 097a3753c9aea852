/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udp-blast: closed-loop UDP echo load generator.
 *
 * N connected UDP sockets (one flow each, distinct source ports) keep a
 * window of W datagrams of S bytes outstanding in total, using sendmmsg and
 * recvmmsg.  Every datagram carries a header with a magic, the flow, a
 * sequence number and the send time; the echo is matched to it and the
 * round trip goes into a log-linear histogram.  A datagram not echoed
 * within the timeout counts as lost and frees its window slot.
 *
 * Phases: warmup (not counted), measurement (D seconds: only datagrams sent
 * in this phase are counted), drain (no more sends; wait up to the timeout
 * for the last echoes).  The run is bounded: warmup + D + timeout.
 *
 * With --open-loop the window is ignored and the sockets send as fast as
 * they can (for a forwarder that does not echo, such as testpmd macswap).
 *
 * Output: one JSON object on stdout.
 *
 *   udp-blast --dst 10.99.0.2 --port 7 --flows 4 --window 256 --size 64 \
 *             --duration 5 [--warmup 1] [--timeout-ms 200] [--batch 32]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#define BLAST_MAGIC	0x54514231u	/* "TQB1" */
#define MAX_FLOWS	256
#define MAX_BATCH	256
#define MAX_SIZE	65507
#define HDR_SIZE	((int)sizeof(struct blast_hdr))

/* Log-linear histogram of nanoseconds: 2^SUB_BITS buckets per power of two,
 * so a bucket is at most 1/2^SUB_BITS (3 %) wide relative to its value. */
#define SUB_BITS	5
#define SUB_COUNT	(1u << SUB_BITS)
#define HIST_BUCKETS	(64u * SUB_COUNT)

struct blast_hdr {
	uint32_t magic;
	uint32_t flow;
	uint64_t seq;
	uint64_t ts_ns;
	uint64_t nonce;
};

struct slot {
	uint64_t seq;
	uint64_t ts_ns;
	uint8_t busy;
	uint8_t counted;	/* sent in the measurement phase */
};

struct flow {
	int fd;
	uint32_t id;
	uint32_t window;
	uint32_t outstanding;
	uint64_t next_seq;
	uint64_t tail;		/* oldest sequence that may be outstanding */
	struct slot *slots;
	uint32_t mask;
};

struct counters {
	uint64_t sent;		/* datagrams sent in the measurement phase */
	uint64_t received;	/* ... whose echo came back in time */
	uint64_t lost;		/* ... not echoed within the timeout */
	uint64_t late;		/* echoes after their slot timed out, or dups */
	uint64_t bad;		/* echoes with a wrong size, magic or flow */
	uint64_t send_errors;	/* sendmmsg failures other than EAGAIN */
	uint64_t recv_errors;
	uint64_t sent_total;	/* every datagram, warmup and drain included */
	uint64_t received_total;
	uint64_t bytes_received;
	uint64_t hist[HIST_BUCKETS];
	uint64_t lat_sum_ns;
	uint64_t lat_max_ns;
	uint64_t lat_min_ns;
};

struct config {
	struct sockaddr_in dst;
	unsigned int flows;
	unsigned int window;
	unsigned int size;
	double duration;
	double warmup;
	unsigned int timeout_ms;
	unsigned int batch;
	int open_loop;
	int rcvbuf;
};

static volatile sig_atomic_t stop_flag;

static void
on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static inline uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline unsigned int
hist_index(uint64_t v)
{
	unsigned int msb, sub;

	if (v < SUB_COUNT)
		return (unsigned int)v;
	msb = 63u - (unsigned int)__builtin_clzll(v);
	sub = (unsigned int)(v >> (msb - SUB_BITS)) & (SUB_COUNT - 1);
	return (msb - SUB_BITS + 1) * SUB_COUNT + sub;
}

/* Middle of a bucket, the value reported for a percentile. */
static double
hist_value(unsigned int idx)
{
	unsigned int grp = idx / SUB_COUNT, sub = idx % SUB_COUNT;
	unsigned int shift;
	double lo, width;

	if (grp == 0)
		return (double)idx;
	shift = grp - 1;
	lo = (double)((uint64_t)(SUB_COUNT + sub) << shift);
	width = (double)(1ull << shift);
	return lo + width / 2.0;
}

static double
hist_percentile(const struct counters *c, double p)
{
	uint64_t n = 0, want, acc = 0;
	unsigned int i;

	for (i = 0; i < HIST_BUCKETS; i++)
		n += c->hist[i];
	if (n == 0)
		return 0.0;
	want = (uint64_t)ceil(p / 100.0 * (double)n);
	if (want == 0)
		want = 1;
	for (i = 0; i < HIST_BUCKETS; i++) {
		acc += c->hist[i];
		if (acc >= want)
			return hist_value(i);
	}
	return (double)c->lat_max_ns;
}

static void
usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s --dst IPV4 [--port 7] [--flows 4] [--window 256]\n"
		"          [--size 64] [--duration 5] [--warmup 1]\n"
		"          [--timeout-ms 200] [--batch 32] [--rcvbuf BYTES]\n"
		"          [--open-loop]\n"
		"  --size is the UDP payload in bytes (>= %d)\n",
		prog, HDR_SIZE);
}

static int
parse_uint(const char *s, unsigned int lo, unsigned int hi, unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v < lo || v > hi)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

static int
parse_args(int argc, char **argv, struct config *cfg)
{
	static const struct option longopts[] = {
		{ "dst", required_argument, NULL, 'd' },
		{ "port", required_argument, NULL, 'p' },
		{ "flows", required_argument, NULL, 'n' },
		{ "window", required_argument, NULL, 'w' },
		{ "size", required_argument, NULL, 's' },
		{ "duration", required_argument, NULL, 't' },
		{ "warmup", required_argument, NULL, 'W' },
		{ "timeout-ms", required_argument, NULL, 'T' },
		{ "batch", required_argument, NULL, 'b' },
		{ "rcvbuf", required_argument, NULL, 'r' },
		{ "open-loop", no_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int port = 7, rcvbuf = 4 << 20;
	int have_dst = 0, opt;
	char *end;

	memset(cfg, 0, sizeof(*cfg));
	cfg->flows = 4;
	cfg->window = 256;
	cfg->size = 64;
	cfg->duration = 5.0;
	cfg->warmup = 1.0;
	cfg->timeout_ms = 200;
	cfg->batch = 32;

	while ((opt = getopt_long(argc, argv, "d:p:n:w:s:t:W:T:b:r:oh",
			longopts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			cfg->dst.sin_family = AF_INET;
			if (inet_pton(AF_INET, optarg,
					&cfg->dst.sin_addr) != 1) {
				fprintf(stderr, "udp-blast: bad --dst %s\n",
						optarg);
				return -1;
			}
			have_dst = 1;
			break;
		case 'p':
			if (parse_uint(optarg, 1, 65535, &port))
				goto bad;
			break;
		case 'n':
			if (parse_uint(optarg, 1, MAX_FLOWS, &cfg->flows))
				goto bad;
			break;
		case 'w':
			if (parse_uint(optarg, 1, 1u << 20, &cfg->window))
				goto bad;
			break;
		case 's':
			if (parse_uint(optarg, HDR_SIZE, MAX_SIZE, &cfg->size))
				goto bad;
			break;
		case 't':
			cfg->duration = strtod(optarg, &end);
			if (*end || !(cfg->duration > 0 &&
					cfg->duration <= 3600))
				goto bad;
			break;
		case 'W':
			cfg->warmup = strtod(optarg, &end);
			if (*end || !(cfg->warmup >= 0 && cfg->warmup <= 600))
				goto bad;
			break;
		case 'T':
			if (parse_uint(optarg, 1, 60000, &cfg->timeout_ms))
				goto bad;
			break;
		case 'b':
			if (parse_uint(optarg, 1, MAX_BATCH, &cfg->batch))
				goto bad;
			break;
		case 'r':
			if (parse_uint(optarg, 0, 1u << 30, &rcvbuf))
				goto bad;
			break;
		case 'o':
			cfg->open_loop = 1;
			break;
		case 'h':
			usage(argv[0]);
			exit(0);
		default:
			usage(argv[0]);
			return -1;
		}
	}
	if (!have_dst || optind != argc) {
		usage(argv[0]);
		return -1;
	}
	if (cfg->window < cfg->flows)
		cfg->flows = cfg->window;
	cfg->dst.sin_port = htons((uint16_t)port);
	cfg->rcvbuf = (int)rcvbuf;
	return 0;
bad:
	fprintf(stderr, "udp-blast: bad value for option -%c: %s\n",
			opt, optarg);
	return -1;
}

static void
set_buf(int fd, int opt, int force_opt, int bytes)
{
	if (bytes <= 0)
		return;
	/* SO_*BUFFORCE (root) goes past net.core.[rw]mem_max. */
	if (setsockopt(fd, SOL_SOCKET, force_opt, &bytes, sizeof(bytes)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, opt, &bytes, sizeof(bytes));
}

static int
open_flow(const struct config *cfg, struct flow *f, uint32_t id,
		uint32_t window)
{
	uint32_t ring = 1;

	f->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (f->fd < 0) {
		perror("udp-blast: socket");
		return -1;
	}
	set_buf(f->fd, SO_RCVBUF, SO_RCVBUFFORCE, cfg->rcvbuf);
	set_buf(f->fd, SO_SNDBUF, SO_SNDBUFFORCE, cfg->rcvbuf);
	if (connect(f->fd, (const struct sockaddr *)&cfg->dst,
			sizeof(cfg->dst)) < 0) {
		perror("udp-blast: connect");
		return -1;
	}
	f->id = id;
	f->window = window;
	/* Four times the window: room for sequence gaps left by reordering
	 * and by slots waiting for their timeout. */
	while (ring < 4 * window || ring < 64)
		ring <<= 1;
	f->mask = ring - 1;
	f->slots = calloc(ring, sizeof(*f->slots));
	if (f->slots == NULL) {
		fprintf(stderr, "udp-blast: out of memory\n");
		return -1;
	}
	return 0;
}

struct bufs {
	struct mmsghdr msgs[MAX_BATCH];
	struct iovec iov[MAX_BATCH];
	uint8_t *data;		/* MAX_BATCH buffers of buf_size bytes */
	size_t buf_size;
};

static int
bufs_init(struct bufs *b, size_t buf_size, unsigned int fill_len)
{
	unsigned int i, j;

	memset(b, 0, sizeof(*b));
	b->buf_size = buf_size;
	b->data = malloc(buf_size * MAX_BATCH);
	if (b->data == NULL)
		return -1;
	for (i = 0; i < MAX_BATCH; i++) {
		uint8_t *p = b->data + i * buf_size;

		for (j = 0; j < fill_len && j < buf_size; j++)
			p[j] = (uint8_t)(j * 7 + 1);
		b->iov[i].iov_base = p;
		b->iov[i].iov_len = buf_size;
		b->msgs[i].msg_hdr.msg_iov = &b->iov[i];
		b->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	return 0;
}

/* Free slots at the tail that were answered, and time out the oldest. */
static void
reap(struct flow *f, struct counters *c, uint64_t now, uint64_t timeout_ns)
{
	while (f->tail < f->next_seq) {
		struct slot *sl = &f->slots[f->tail & f->mask];

		if (sl->busy && sl->seq == f->tail) {
			if (now - sl->ts_ns < timeout_ns)
				break;
			sl->busy = 0;
			f->outstanding--;
			if (sl->counted)
				c->lost++;
		}
		f->tail++;
	}
}

static void
send_some(const struct config *cfg, struct flow *f, struct bufs *b,
		struct counters *c, uint64_t nonce, int counted)
{
	uint32_t room, k, i;
	uint64_t ts;
	int r;

	if (cfg->open_loop) {
		room = cfg->batch;
	} else {
		if (f->outstanding >= f->window)
			return;
		room = f->window - f->outstanding;
		/* never run the sequence past the slot ring */
		if (f->next_seq - f->tail + room > f->mask + 1)
			room = (uint32_t)(f->mask + 1 - (f->next_seq - f->tail));
	}
	k = room < cfg->batch ? room : cfg->batch;
	if (k == 0)
		return;
	ts = now_ns();
	for (i = 0; i < k; i++) {
		struct blast_hdr *h = b->iov[i].iov_base;

		h->magic = BLAST_MAGIC;
		h->flow = f->id;
		h->seq = f->next_seq + i;
		h->ts_ns = ts;
		h->nonce = nonce;
		b->iov[i].iov_len = cfg->size;
		b->msgs[i].msg_len = 0;
	}
	r = sendmmsg(f->fd, b->msgs, k, MSG_DONTWAIT);
	if (r < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK &&
				errno != ENOBUFS)
			c->send_errors++;
		return;
	}
	for (i = 0; i < (uint32_t)r; i++) {
		struct slot *sl = &f->slots[(f->next_seq + i) & f->mask];

		if (!cfg->open_loop) {
			sl->seq = f->next_seq + i;
			sl->ts_ns = ts;
			sl->busy = 1;
			sl->counted = (uint8_t)counted;
		}
		if (counted)
			c->sent++;
	}
	if (!cfg->open_loop)
		f->outstanding += (uint32_t)r;
	else
		f->tail = f->next_seq + (uint64_t)r;
	f->next_seq += (uint64_t)r;
	c->sent_total += (uint64_t)r;
}

/* Returns the number of datagrams read. */
static int
recv_some(const struct config *cfg, struct flow *f, struct bufs *b,
		struct counters *c, uint64_t nonce, uint64_t meas_start,
		uint64_t meas_end)
{
	unsigned int i;
	uint64_t now;
	int r;

	for (i = 0; i < cfg->batch; i++) {
		b->iov[i].iov_len = b->buf_size;
		b->msgs[i].msg_hdr.msg_flags = 0;
		b->msgs[i].msg_len = 0;
	}
	r = recvmmsg(f->fd, b->msgs, cfg->batch, MSG_DONTWAIT, NULL);
	if (r <= 0) {
		if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			c->recv_errors++;
		return 0;
	}
	now = now_ns();
	for (i = 0; i < (unsigned int)r; i++) {
		const struct blast_hdr *h = b->iov[i].iov_base;
		struct slot *sl;
		uint64_t rtt;

		c->received_total++;
		if (b->msgs[i].msg_len != cfg->size ||
				(b->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) ||
				h->magic != BLAST_MAGIC || h->flow != f->id ||
				h->nonce != nonce) {
			c->bad++;
			continue;
		}
		if (cfg->open_loop) {
			/* nothing is tracked: count what comes back */
			if (h->ts_ns >= meas_start && h->ts_ns < meas_end)
				c->received++;
			continue;
		}
		sl = &f->slots[h->seq & f->mask];
		if (h->seq < f->tail || h->seq >= f->next_seq || !sl->busy ||
				sl->seq != h->seq) {
			c->late++;
			continue;
		}
		if (sl->ts_ns != h->ts_ns) {
			c->bad++;
			continue;
		}
		sl->busy = 0;
		f->outstanding--;
		if (!sl->counted)
			continue;
		c->received++;
		c->bytes_received += cfg->size;
		rtt = now - h->ts_ns;
		c->hist[hist_index(rtt)]++;
		c->lat_sum_ns += rtt;
		if (rtt > c->lat_max_ns)
			c->lat_max_ns = rtt;
		if (c->lat_min_ns == 0 || rtt < c->lat_min_ns)
			c->lat_min_ns = rtt;
	}
	return r;
}

int
main(int argc, char **argv)
{
	static struct flow flows[MAX_FLOWS];
	static struct counters c;
	struct pollfd pfd[MAX_FLOWS];
	struct config cfg;
	struct bufs sb, rb;
	uint64_t t0, meas_start, meas_end, drain_end, timeout_ns, nonce;
	uint64_t outstanding, now;
	unsigned int i;
	char dst[INET_ADDRSTRLEN];
	struct rusage ru;
	double elapsed;

	if (parse_args(argc, argv, &cfg) < 0)
		return 2;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	for (i = 0; i < cfg.flows; i++) {
		uint32_t w = cfg.window / cfg.flows +
			(i < cfg.window % cfg.flows ? 1 : 0);

		if (open_flow(&cfg, &flows[i], i, w) < 0)
			return 1;
		pfd[i].fd = flows[i].fd;
		pfd[i].events = POLLIN;
	}
	if (bufs_init(&sb, cfg.size, cfg.size) < 0 ||
			bufs_init(&rb, cfg.size + 64 > 2048 ? cfg.size + 64 :
				2048, 0) < 0) {
		fprintf(stderr, "udp-blast: out of memory\n");
		return 1;
	}

	timeout_ns = (uint64_t)cfg.timeout_ms * 1000000ull;
	t0 = now_ns();
	nonce = t0 ^ ((uint64_t)getpid() << 32);
	meas_start = t0 + (uint64_t)(cfg.warmup * 1e9);
	meas_end = meas_start + (uint64_t)(cfg.duration * 1e9);
	drain_end = meas_end + timeout_ns;

	for (;;) {
		int progress = 0, counted;

		now = now_ns();
		if (stop_flag && now < meas_end) {
			/* interrupted: end the measurement here */
			meas_end = now;
			drain_end = now + timeout_ns;
		}
		if (now >= drain_end)
			break;
		counted = now >= meas_start && now < meas_end;
		outstanding = 0;
		for (i = 0; i < cfg.flows; i++) {
			struct flow *f = &flows[i];
			uint64_t before = f->next_seq;

			while (recv_some(&cfg, f, &rb, &c, nonce, meas_start,
					meas_end) > 0)
				progress = 1;
			if (!cfg.open_loop)
				reap(f, &c, now, timeout_ns);
			if (now < meas_end)
				send_some(&cfg, f, &sb, &c, nonce, counted);
			if (f->next_seq != before)
				progress = 1;
			outstanding += f->outstanding;
		}
		if (now >= meas_end && outstanding == 0 && !cfg.open_loop)
			break;
		if (!progress) {
			/* window full or socket buffers full: wait a little */
			for (i = 0; i < cfg.flows; i++)
				pfd[i].events = POLLIN |
					(flows[i].outstanding < flows[i].window ?
					 POLLOUT : 0);
			(void)poll(pfd, cfg.flows, 1);
		}
	}
	/* whatever the drain did not bring back is lost */
	for (i = 0; i < cfg.flows; i++) {
		struct flow *f = &flows[i];
		uint64_t s;

		if (cfg.open_loop)
			continue;
		for (s = f->tail; s < f->next_seq; s++) {
			struct slot *sl = &f->slots[s & f->mask];

			if (sl->busy && sl->seq == s && sl->counted)
				c.lost++;
		}
	}
	if (cfg.open_loop)
		c.lost = c.sent > c.received ? c.sent - c.received : 0;

	elapsed = (double)(meas_end - meas_start) / 1e9;
	if (elapsed <= 0)
		elapsed = 1e-9;
	inet_ntop(AF_INET, &cfg.dst.sin_addr, dst, sizeof(dst));
	printf("{\"tool\": \"udp-blast\", \"dst\": \"%s\", \"port\": %u, "
		"\"mode\": \"%s\", \"flows\": %u, \"window\": %u, "
		"\"size\": %u, \"batch\": %u, "
		"\"duration_s\": %.3f, \"warmup_s\": %.3f, "
		"\"timeout_ms\": %u, ",
		dst, ntohs(cfg.dst.sin_port),
		cfg.open_loop ? "open-loop" : "closed-loop", cfg.flows,
		cfg.window, cfg.size, cfg.batch, elapsed, cfg.warmup,
		cfg.timeout_ms);
	printf("\"sent\": %" PRIu64 ", \"received\": %" PRIu64
		", \"lost\": %" PRIu64 ", \"late\": %" PRIu64
		", \"bad\": %" PRIu64 ", \"send_errors\": %" PRIu64
		", \"recv_errors\": %" PRIu64 ", \"sent_total\": %" PRIu64
		", \"received_total\": %" PRIu64 ", ",
		c.sent, c.received, c.lost, c.late, c.bad, c.send_errors,
		c.recv_errors, c.sent_total, c.received_total);
	printf("\"sent_per_s\": %.1f, \"dgrams_per_s\": %.1f, "
		"\"mbit_per_s\": %.2f, ",
		(double)c.sent / elapsed, (double)c.received / elapsed,
		(double)c.bytes_received * 8.0 / elapsed / 1e6);
	getrusage(RUSAGE_SELF, &ru);
	printf("\"cpu_s\": {\"user\": %.3f, \"sys\": %.3f}, ",
		(double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
		(double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
	printf("\"latency_us\": {\"samples\": %" PRIu64 ", \"min\": %.2f, "
		"\"mean\": %.2f, \"p50\": %.2f, \"p90\": %.2f, "
		"\"p99\": %.2f, \"p999\": %.2f, \"max\": %.2f}}\n",
		c.received, (double)c.lat_min_ns / 1e3,
		c.received ? (double)c.lat_sum_ns / (double)c.received / 1e3 :
			0.0,
		hist_percentile(&c, 50.0) / 1e3,
		hist_percentile(&c, 90.0) / 1e3,
		hist_percentile(&c, 99.0) / 1e3,
		hist_percentile(&c, 99.9) / 1e3,
		(double)c.lat_max_ns / 1e3);
	for (i = 0; i < cfg.flows; i++) {
		close(flows[i].fd);
		free(flows[i].slots);
	}
	free(sb.data);
	free(rb.data);
	return 0;
}
