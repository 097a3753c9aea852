/* SPDX-License-Identifier: BSD-3-Clause */
#include "tq_test.h"

int cf_eal_init(const char *name);

int
cf_eal_init(const char *name)
{
	return tq_test_eal_init(name);
}
