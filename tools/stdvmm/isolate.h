/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Confining the stdvmm process once the VM is set up (docs/SECURITY.md):
 * --chroot DIR, --gid N, --uid N drop what the process can reach, then the
 * seccomp allow-list (ports/kvm/seccomp.c) limits what it can ask the kernel
 * for, unless --no-seccomp.
 */
#ifndef STDVMM_TOOL_ISOLATE_H
#define STDVMM_TOOL_ISOLATE_H

#include <stdbool.h>
#include <stddef.h>
#include "config.h"
#include "stdvmm/posix/syscalls.h"

/* True if @opt is one of the isolation options taking a value. */
bool stdvmm_isolation_option_known(const char *opt);

/* Parse --chroot DIR, --uid N or --gid N (N a decimal id, not -1) into
 * @cfg; -VMM_EINVAL with a one-line reason in @err. */
int stdvmm_isolation_option(struct stdvmm_config *cfg, const char *opt, const char *v, char *err,
                            size_t errlen);

/* After set-up, before the vCPUs run: chroot (and chdir "/"), drop the
 * supplementary groups, set the gid then the uid, install the seccomp
 * filter: the port's list plus the @nr_extra lists the opened backends
 * declared (@extra). Returns 0 or a negative errno, logged with the option
 * at fault. */
int stdvmm_isolate(const struct stdvmm_config *cfg, const struct vmm_posix_syscalls *const *extra,
                   size_t nr_extra);

#endif
