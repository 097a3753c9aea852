/* SPDX-License-Identifier: BSD-3-Clause */
#include <tachyon/tachyon.h>

static const char *const names[TQ_CTR_MAX] = {
#define TQ_CTR(id, name, help) [TQ_CTR_##id] = name,
#include <tachyon/tq_counters.def>
#undef TQ_CTR
};

static const char *const helps[TQ_CTR_MAX] = {
#define TQ_CTR(id, name, help) [TQ_CTR_##id] = help,
#include <tachyon/tq_counters.def>
#undef TQ_CTR
};

static const bool gauges[TQ_CTR_MAX] = {
#define TQ_CTR(id, name, help)
#define TQ_GAUGE(id, name, help) [TQ_CTR_##id] = true,
#include <tachyon/tq_counters.def>
#undef TQ_GAUGE
#undef TQ_CTR
};

const char *
tq_counter_name(unsigned int id)
{
	return id < TQ_CTR_MAX ? names[id] : 0;
}

const char *
tq_counter_help(unsigned int id)
{
	return id < TQ_CTR_MAX ? helps[id] : 0;
}

bool
tq_counter_is_gauge(unsigned int id)
{
	return id < TQ_CTR_MAX && gauges[id];
}
