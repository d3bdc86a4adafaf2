/* SPDX-License-Identifier: BSD-2-Clause */
/* `stdvmm run`: build the machine a struct stdvmm_config describes and run it. */
#ifndef STDVMM_TOOL_RUN_H
#define STDVMM_TOOL_RUN_H

#include "config.h"

/* Run (or, with --dump-dtb, only describe) the VM; returns the process
 * exit status documented in `stdvmm run --help`. */
int stdvmm_run(const struct stdvmm_config *cfg);

#endif
