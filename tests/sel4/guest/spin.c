/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * CPU-bound load for the seL4 time tests (tests/sel4/time.sh): counts loop
 * iterations and prints, about every INTERVAL ms of guest time,
 *   SEL4-GUEST: spin <n> loops=<total> ms=<guest monotonic ms>
 * so a test can compare the throughput of VMs sharing one core. The guest's
 * clock keeps running while its vCPU is descheduled (CNTVCT is not offset
 * on seL4 here), so loops per guest millisecond is the vCPU's CPU share.
 * Usage: spin [INTERVAL_MS]   (default 1000; runs until killed)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static unsigned long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000u + (unsigned long long)ts.tv_nsec / 1000000u;
}

int main(int argc, char **argv)
{
    unsigned long long interval = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000;
    unsigned long long next, loops = 0, reports = 0;
    volatile unsigned long sink = 0;

    if (interval == 0)
        interval = 1000;
    next = now_ms() + interval;
    for (;;) {
        for (unsigned i = 0; i < 4096; i++)
            sink += i;
        loops += 4096;
        if (now_ms() >= next) {
            unsigned long long t = now_ms();
            printf("SEL4-GUEST: spin %llu loops=%llu ms=%llu\n", ++reports, loops, t);
            fflush(stdout);
            next = t + interval;
        }
    }
    return 0;
}
