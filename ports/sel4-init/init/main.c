/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stdvmm-init, the root task: reads the kernel's bootinfo (untyped memory,
 * cores), takes the example's system description (sel4init_describe),
 * checks it, creates every VM (vm.c) and only then starts their VMM
 * threads. Each step that fails says what and stops before anything runs.
 * At the end it reports where each thread is: the kernel's scheduler dump
 * on every core (the root task moves its own scheduling context there).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include "../../sel4/sel4_fmt.h"
#include "init.h"
#include "stdvmm/err.h"
#include "stdvmm/sel4init_ctl.h"

/* The kernel refuses budgets below 2 x its WCET (qemu-arm-virt: 10 us). */
#define INIT_MIN_BUDGET_US 20
#define INIT_DUMP_PERIOD_US 10000

seL4_IPCBuffer *__sel4_ipc_buffer;

static struct init init_state;
static struct sel4init_system init_sys;
static struct init_vm init_vms[SEL4INIT_MAX_VMS];

void init_main(seL4_BootInfo *bi);
/* Defined by a control system (sel4init_ctl.h); NULL elsewhere. */
__attribute__((weak)) void sel4init_describe_ctl(struct sel4init_ctl_system *ctl);

/* libsel4's seL4_DebugNameThread copies the name with strcpy. */
char *strcpy(char *dst, const char *src);

char *strcpy(char *dst, const char *src)
{
    char *d = dst;

    while ((*d++ = *src++) != '\0')
        ;
    return dst;
}

static void puts_(const char *s)
{
    for (; *s != '\0'; s++)
        seL4_DebugPutChar(*s);
}

void init_log(const char *fmt, ...)
{
    char buf[256];
    va_list ap;

    va_start(ap, fmt);
    sel4_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    puts_("stdvmm-init: ");
    puts_(buf);
    puts_("\n");
}

static _Noreturn void stop(const char *why)
{
    init_log("%s; nothing was started", why);
    seL4_TCB_Suspend(seL4_CapInitThreadTCB);
    for (;;)
        seL4_Yield();
}

static void read_untypeds(struct init *in)
{
    seL4_BootInfo *bi = in->bi;
    unsigned n = (unsigned)(bi->untyped.end - bi->untyped.start);

    for (unsigned i = 0; i < n; i++) {
        const seL4_UntypedDesc *u = &bi->untypedList[i];

        if (sel4init_ut_add(&in->pool, u->paddr, u->sizeBits, u->isDevice != 0) < 0) {
            init_log("warning: untyped %u (0x%llx, 2^%u) not used", i, (unsigned long long)u->paddr,
                     u->sizeBits);
            /* keep indexes equal to the bootinfo's: stop adding */
            break;
        }
    }
}

/* Move the root task to each core in turn and print the kernel's list of
 * that core's threads (name, state, priority, core). */
static void dump_cores(struct init *in)
{
    for (seL4_Word c = 0; c < in->bi->numNodes; c++) {
        if (seL4_SchedControl_ConfigureFlags(in->bi->schedcontrol.start + c, seL4_CapInitThreadSC,
                                             INIT_DUMP_PERIOD_US, INIT_DUMP_PERIOD_US, 0, 0,
                                             0) != seL4_NoError) {
            init_log("warning: cannot move to core %lu for its thread list", (unsigned long)c);
            continue;
        }
        init_log("threads on core %lu:", (unsigned long)c);
        seL4_DebugDumpScheduler();
    }
    seL4_SchedControl_ConfigureFlags(in->bi->schedcontrol.start, seL4_CapInitThreadSC,
                                     INIT_DUMP_PERIOD_US, INIT_DUMP_PERIOD_US, 0, 0, 0);
}

void init_main(seL4_BootInfo *bi)
{
    struct init *in = &init_state;
    struct sel4init_limits lim;
    char msg[200];
    int ret;

    __sel4_ipc_buffer = bi->ipcBuffer;
    in->bi = bi;
    in->next_slot = bi->empty.start;
    in->end_slot = bi->empty.end;
    read_untypeds(in);
    lim = (struct sel4init_limits){.nr_cores = (unsigned)bi->numNodes,
                                   .free_bytes = sel4init_ut_free_bytes(&in->pool),
                                   .min_budget_us = INIT_MIN_BUDGET_US};
    init_log("%u core(s), %llu MiB of untyped memory, %lu free slots", lim.nr_cores,
             (unsigned long long)(lim.free_bytes >> 20),
             (unsigned long)(in->end_slot - in->next_slot));
    sel4init_describe(&init_sys);
    if (sel4init_describe_ctl != NULL)
        init_ctl_main(in, &init_sys);
    ret = sel4init_check(&init_sys, &lim, msg, sizeof(msg));
    if (ret == 0)
        ret = init_colour_check(in, &init_sys, msg, sizeof(msg));
    if (ret < 0) {
        init_log("error: impossible system description \"%s\": %s",
                 init_sys.name != NULL ? init_sys.name : "", msg);
        stop("stopped");
    }
    for (unsigned i = 0; i < init_sys.nr_vms; i++) {
        if (init_vm_build(in, &init_vms[i], &init_sys.vms[i]) < 0) {
            init_log("error: VM %s could not be created", init_sys.vms[i].name);
            stop("stopped");
        }
    }
    for (unsigned i = 0; i < init_sys.nr_channels; i++) {
        const struct sel4init_channel *c = &init_sys.channels[i];

        if (init_vm_connect(in, &init_vms[c->vm_a], c->ch_a, &init_vms[c->vm_b], c->ch_b) < 0)
            stop("stopped: a channel could not be created");
    }
    if (init_dev_start(in, init_vms, &init_sys) < 0)
        stop("stopped: a device could not be given to its owner");
    for (unsigned i = 0; i < init_sys.nr_vms; i++) {
        if (init_vm_start(in, &init_vms[i]) < 0)
            stop("stopped");
    }
    init_log("system %s: %u VM(s) started, %llu MiB of untyped memory left",
             init_sys.name != NULL ? init_sys.name : "", init_sys.nr_vms,
             (unsigned long long)(sel4init_ut_free_bytes(&in->pool) >> 20));
    dump_cores(in);
    seL4_TCB_Suspend(seL4_CapInitThreadTCB);
}
