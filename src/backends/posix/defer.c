/* SPDX-License-Identifier: BSD-2-Clause */
/* Work run after the VM lock is dropped (include/stdvmm/posix/defer.h). */
#include <stddef.h>
#include "stdvmm/posix/defer.h"

struct defer_item {
    void (*fn)(void *arg);
    void *arg;
};

struct defer_window {
    bool open;
    unsigned n;
    struct defer_item item[VMM_POSIX_DEFER_MAX];
};

static _Thread_local struct defer_window window;

void vmm_posix_defer_open(void)
{
    window.open = true;
    window.n = 0;
}

bool vmm_posix_defer(void (*fn)(void *arg), void *arg)
{
    if (!window.open || window.n == VMM_POSIX_DEFER_MAX || fn == NULL)
        return false;
    window.item[window.n++] = (struct defer_item){fn, arg};
    return true;
}

void vmm_posix_defer_run(void)
{
    struct defer_window w = window;

    window.open = false; /* what the items submit takes the usual path */
    window.n = 0;
    for (unsigned i = 0; i < w.n; i++)
        w.item[i].fn(w.item[i].arg);
}
