/* SPDX-License-Identifier: BSD-2-Clause */
/* Entropy backend over getrandom(2); see include/stdvmm/posix/entropy.h. */
#include <errno.h>
#include <sys/syscall.h>
#include <limits.h>
#include <stdint.h>
#include <sys/random.h>
#include "stdvmm/posix/entropy.h"

long vmm_posix_entropy_fill(void *ctx, void *buf, size_t len)
{
    uint8_t *p = buf;
    size_t done = 0;

    (void)ctx;
    if (len > LONG_MAX)
        len = LONG_MAX;
    while (done < len) {
        ssize_t n = getrandom(p + done, len - done, 0);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return done > 0 ? (long)done : (n < 0 ? -errno : -EIO);
        done += (size_t)n;
    }
    return (long)done;
}

void vmm_posix_entropy_init(struct vmm_entropy_backend *be)
{
    be->fill = vmm_posix_entropy_fill;
    be->ctx = NULL;
}

static const int entropy_allow[] = {__NR_getrandom};

const struct vmm_posix_syscalls vmm_posix_entropy_syscalls = {
    .allow = entropy_allow,
    .nr_allow = VMM_POSIX_COUNT(entropy_allow),
};
