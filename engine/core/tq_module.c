/* SPDX-License-Identifier: BSD-3-Clause */
/* The list of protocol modules the engine walks (tq_modules.def). */
#include "tq_module.h"

#define TQ_MODULE(x) extern const struct tq_module tq_##x##_module;
#include "tq_modules.def"
#undef TQ_MODULE

#define TQ_MODULE(x) &tq_##x##_module,
const struct tq_module *const tq_modules[] = {
#include "tq_modules.def"
	NULL
};
#undef TQ_MODULE
