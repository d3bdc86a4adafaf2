/* SPDX-License-Identifier: BSD-2-Clause */
/* Confining the stdvmm process after set-up (isolate.h). */
#include <errno.h>
#include <grp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "isolate.h"
#include "stdvmm/err.h"
#include "stdvmm/kvm/seccomp.h"
#include "stdvmm/posix/backends.h"
#include "stdvmm/log.h"

bool stdvmm_isolation_option_known(const char *opt)
{
    return strcmp(opt, "--chroot") == 0 || strcmp(opt, "--uid") == 0 || strcmp(opt, "--gid") == 0;
}

static int parse_id(const char *opt, const char *v, uint32_t *out, char *err, size_t errlen)
{
    size_t len = strlen(v);
    uint64_t n = 0;

    if (len == 0 || len > 10 || strspn(v, "0123456789") != len) {
        snprintf(err, errlen, "%s %s: not a numeric id", opt, v);
        return -VMM_EINVAL;
    }
    for (size_t i = 0; i < len; i++)
        n = n * 10 + (uint64_t)(v[i] - '0');
    if (n >= UINT32_MAX) { /* (uid_t)-1 means "unchanged" to setresuid */
        snprintf(err, errlen, "%s %s: out of range", opt, v);
        return -VMM_EINVAL;
    }
    *out = (uint32_t)n;
    return 0;
}

int stdvmm_isolation_option(struct stdvmm_config *cfg, const char *opt, const char *v, char *err,
                            size_t errlen)
{
    if (strcmp(opt, "--chroot") == 0) {
        if (v[0] != '/') {
            snprintf(err, errlen, "--chroot %s: must be an absolute directory", v);
            return -VMM_EINVAL;
        }
        cfg->chroot_dir = v;
        return 0;
    }
    if (strcmp(opt, "--uid") == 0) {
        cfg->set_uid = true;
        return parse_id(opt, v, &cfg->uid, err, errlen);
    }
    cfg->set_gid = true;
    return parse_id(opt, v, &cfg->gid, err, errlen);
}

int stdvmm_isolate(const struct stdvmm_config *cfg, const struct vmm_posix_syscalls *const *extra,
                   size_t nr_extra)
{
    static struct vmm_seccomp_merged merged; /* large; set up once per process */
    int err;

    if (cfg->chroot_dir != NULL && (chroot(cfg->chroot_dir) < 0 || chdir("/") < 0)) {
        err = errno;
        vmm_err("--chroot %s: %s", cfg->chroot_dir, strerror(err));
        return -err;
    }
    /* Groups first: after setuid() we could no longer change them. */
    if ((cfg->set_uid || cfg->set_gid) && setgroups(0, NULL) < 0) {
        err = errno;
        vmm_err("%s: dropping supplementary groups: %s", cfg->set_gid ? "--gid" : "--uid",
                strerror(err));
        return -err;
    }
    if (cfg->set_gid && setresgid(cfg->gid, cfg->gid, cfg->gid) < 0) {
        err = errno;
        vmm_err("--gid %u: %s", cfg->gid, strerror(err));
        return -err;
    }
    if (cfg->set_uid && setresuid(cfg->uid, cfg->uid, cfg->uid) < 0) {
        err = errno;
        vmm_err("--uid %u: %s", cfg->uid, strerror(err));
        return -err;
    }
    if (cfg->no_seccomp) {
        vmm_info("seccomp: off (--no-seccomp)");
        return 0;
    }
    /* A blocked syscall must not leave the user's terminal raw. */
    vmm_seccomp_set_on_violation(vmm_stdio_restore_terminal);
    err = vmm_seccomp_merge(&merged, vmm_seccomp_native_table(), extra, nr_extra);
    if (err < 0) {
        vmm_err("seccomp: the backends' system calls do not fit the filter: %s", vmm_strerror(err));
        return err;
    }
    return vmm_seccomp_install(&merged.table);
}
