/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tq-server: the engine serving network services on one port.
 *   tq-server [EAL options] -- --addr 10.0.0.2/24 --udp-echo 7
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tachyon/tachyon.h>
#include <tachyon/tq_udp.h>

struct server {
	uint16_t udp_echo[8];
	unsigned int nb_udp_echo;
};

static int
parse_port(const char *v, uint16_t *out)
{
	char *end;
	long p;

	errno = 0;
	p = strtol(v, &end, 10);
	if (errno || *end || p < 1 || p > 65535)
		return -EINVAL;
	*out = (uint16_t)p;
	return 0;
}

static int
set_udp_echo(void *arg, const char *v)
{
	struct server *sv = arg;

	if (sv->nb_udp_echo == 8)
		return -EINVAL;
	return parse_port(v, &sv->udp_echo[sv->nb_udp_echo++]);
}

/* Echo: the datagram goes back as it came, in the same mbuf. */
static void
udp_echo_rx(struct tq_shard *s, struct tq_udp_dgram *d, void *arg)
{
	tq_udp_reply(s, d);
}

int
main(int argc, char **argv)
{
	struct server sv = { 0 };
	const struct tq_app_opt opts[] = {
		{ "udp-echo", "server", "PORT",
			"UDP echo service on PORT (repeatable)", set_udp_echo,
			&sv },
	};
	struct tq_engine *e;
	unsigned int i;
	int ret;

	ret = tq_engine_create(argc, argv, "tq-server", opts, 1, &e);
	if (ret == 1)
		return 0;
	if (ret < 0)
		return ret == -EINVAL ? TQ_EXIT_CONFIG : 1;
	for (i = 0; i < sv.nb_udp_echo; i++) {
		ret = tq_udp_bind(e, NULL, sv.udp_echo[i], udp_echo_rx, &sv);
		if (ret < 0) {
			fprintf(stderr, "tq-server: --udp-echo %u: %s\n",
					sv.udp_echo[i], strerror(-ret));
			tq_engine_destroy(e);
			return TQ_EXIT_CONFIG;
		}
	}
	ret = tq_engine_run(e);
	tq_engine_destroy(e);
	return ret < 0 ? 1 : 0;
}
