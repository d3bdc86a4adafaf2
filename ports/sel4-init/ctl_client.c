/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The client side of stdvmm-init's control interface (sel4init_ctl.h):
 * each call is one seL4_Call on the endpoint capability, arguments in the
 * message registers, the result in the reply's first word. Also the start
 * of a control client PD (ctl_crt0.S calls sel4init_ctl_client_start): its
 * IPC buffer, then the program's sel4init_ctl_client_main.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include "../sel4/sel4_fmt.h"
#include "../sel4/sel4_rt.h"
#include "stdvmm/err.h"
#include "stdvmm/sel4init_ctl.h"

seL4_IPCBuffer *__sel4_ipc_buffer;

void sel4init_ctl_client_start(uint64_t idx);
/* The client program's body (examples/sel4-init/ctl/client_*.c). */
void sel4init_ctl_client_main(unsigned idx);

void sel4init_ctl_client_start(uint64_t idx)
{
    __sel4_ipc_buffer = (seL4_IPCBuffer *)(uintptr_t)SEL4INIT_CTL_CLIENT_IPCBUF;
    sel4init_ctl_client_main((unsigned)idx);
}

/* One request: @len words of @mr; @nout reply words after the result. */
static int call(uint64_t ep, unsigned op, const uint64_t *mr, unsigned len, uint64_t *out,
                unsigned nout)
{
    seL4_MessageInfo_t info;
    int64_t ret;

    for (unsigned i = 0; i < len; i++)
        seL4_SetMR((int)i, mr[i]);
    info = seL4_Call((seL4_CPtr)ep, seL4_MessageInfo_new(op, 0, 0, len));
    /* stdvmm-init replies with label 0; a label is the kernel's error (no
     * capability in that slot: the call never reached stdvmm-init) */
    if (seL4_MessageInfo_get_label(info) != 0)
        return -VMM_EACCES;
    if (seL4_MessageInfo_get_length(info) < 1)
        return -VMM_EPROTO;
    ret = (int64_t)seL4_GetMR(0);
    if (ret < 0)
        return ret < -4095 ? -VMM_EPROTO : (int)ret;
    if (seL4_MessageInfo_get_length(info) < 1 + nout)
        return -VMM_EPROTO;
    for (unsigned i = 0; i < nout; i++)
        out[i] = seL4_GetMR((int)i + 1);
    return 0;
}

int sel4init_ctl_get_info(uint64_t ep, struct sel4init_ctl_info *out)
{
    uint64_t w[3];
    int ret = call(ep, SEL4INIT_CTL_INFO, NULL, 0, w, 3);

    if (ret == 0)
        *out = (struct sel4init_ctl_info){
            .free_bytes = w[0], .nr_vms = (unsigned)w[1], .max_vms = (unsigned)w[2]};
    return ret;
}

int sel4init_ctl_list(uint64_t ep, unsigned index, struct sel4init_ctl_vm_info *out)
{
    uint64_t arg = index, w[8] = {0};
    int ret = call(ep, SEL4INIT_CTL_LIST, &arg, 1, w, 7);

    if (ret == 0)
        sel4init_ctl_decode_info(w, out);
    return ret;
}

int sel4init_ctl_create(uint64_t ep, const struct sel4init_ctl_create *c, uint32_t *id)
{
    uint64_t mr[SEL4INIT_CTL_MAX_MR], w;
    int len = sel4init_ctl_encode_create(c, mr);
    int ret;

    if (len < 0)
        return len;
    ret = call(ep, SEL4INIT_CTL_CREATE, mr, (unsigned)len, &w, 1);
    if (ret == 0)
        *id = (uint32_t)w;
    return ret;
}

int sel4init_ctl_call(uint64_t ep, unsigned op, uint32_t id, uint64_t *n)
{
    uint64_t arg = id, w = 0;
    int ret = call(ep, op, &arg, 1, &w, op == SEL4INIT_CTL_CAPS ? 1 : 0);

    if (ret == 0 && n != NULL)
        *n = w;
    return ret;
}

int sel4init_ctl_move(uint64_t ep, unsigned device, uint32_t id)
{
    uint64_t arg[2] = {device, id};

    return call(ep, SEL4INIT_CTL_MOVE, arg, 2, NULL, 0);
}

void sel4init_ctl_say(const char *fmt, ...)
{
    char buf[200];
    va_list ap;

    va_start(ap, fmt);
    sel4_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
#ifdef CONFIG_PRINTING
    for (const char *p = buf; *p != '\0'; p++)
        seL4_DebugPutChar(*p);
    seL4_DebugPutChar('\n');
#endif
}

/* With a client's scheduling context (budget below its period, ctl_pd.c)
 * each seL4_Yield gives up the rest of the budget until the next period. */
void sel4init_ctl_sleep_ms(uint64_t ms)
{
    uint64_t freq, now, end;

    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(freq));
    __asm__ volatile("isb; mrs %0, cntpct_el0" : "=r"(now));
    end = now + freq / 1000 * ms;
    while (now < end) {
        seL4_Yield();
        __asm__ volatile("isb; mrs %0, cntpct_el0" : "=r"(now));
    }
}
