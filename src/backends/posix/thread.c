/* SPDX-License-Identifier: BSD-2-Clause */
/* Threads with a small fixed stack (include/stdvmm/posix/thread.h). */
#include "stdvmm/posix/thread.h"

int vmm_posix_thread_start(pthread_t *thread, void *(*fn)(void *), void *arg)
{
    pthread_attr_t attr;
    int ret = pthread_attr_init(&attr);

    if (ret != 0)
        return ret;
    ret = pthread_attr_setstacksize(&attr, POSIX_THREAD_STACK);
    if (ret == 0)
        ret = pthread_create(thread, &attr, fn, arg);
    pthread_attr_destroy(&attr);
    return ret;
}
