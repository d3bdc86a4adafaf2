/* SPDX-License-Identifier: BSD-2-Clause */
/* `stdvmm ctl`: the control API's client (ctl.c, docs/API.md). */
#ifndef STDVMM_TOOL_CTL_H
#define STDVMM_TOOL_CTL_H

/* Run `stdvmm ctl ...` (argv[1] is "ctl"); returns the exit status. */
int stdvmm_ctl(int argc, char *const argv[]);

#endif
