/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The hypercalls of include/stdvmm/xen.h. Structures are read from and
 * written to guest virtual addresses (Xen's guest handles on Arm) one 4 KiB
 * page at a time, each page translated by the guest's stage-1 tables and
 * checked against guest RAM; a failure is -EFAULT for the guest. Layouts
 * (AArch64, little endian; the public headers):
 *   xen_feature_info        submap_idx u32 @0, submap u32 @4
 *   xen_add_to_physmap      domid u16 @0, size u16 @2, space u32 @4, idx u64 @8, gpfn u64 @16
 *   gnttab_query_size       dom u16 @0, nr_frames u32 @4, max_nr_frames u32 @8, status s16 @12
 *   gnttab_set_version      version u32 @0
 *   vcpu_register_vcpu_info mfn u64 @0, offset u32 @8, rsvd u32 @12
 *   xen_hvm_param           domid u16 @0, index u32 @4, value u64 @8
 *   evtchn_send / _unmask   port u32 @0;  evtchn_bind_vcpu port u32 @0, vcpu u32 @4
 *   sched_shutdown          reason u32 @0
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "stdvmm/bytes.h"
#include "stdvmm/compiler.h"
#include "stdvmm/err.h"
#include "stdvmm/log.h"
#include "stdvmm/xen.h"
#include "xen_internal.h"

#define DOMID_SELF 0x7ff0u
#define ESRCH 3

#define XENVER_version 0u
#define XENVER_extraversion 1u
#define XENVER_get_features 6u
#define XENVER_pagesize 7u
#define XENFEAT_auto_translated_physmap 2u
#define XENFEAT_not_direct_mapped 16u
#define XEN_VERSION ((4u << 16) | 19u) /* what the DT's "xen,xen-4.19" says */

#define XENMEM_add_to_physmap 7u
#define XENMAPSPACE_shared_info 0u
#define XENMAPSPACE_grant_table 1u

#define GNTTABOP_query_size 6u
#define GNTTABOP_set_version 8u

#define VCPUOP_register_runstate_memory_area 5u
#define VCPUOP_register_vcpu_info 10u

#define HVMOP_set_param 0u
#define HVMOP_get_param 1u
#define HVM_PARAM_STORE_PFN 1u
#define HVM_PARAM_STORE_EVTCHN 2u
#define HVM_PARAM_CONSOLE_PFN 17u
#define HVM_PARAM_CONSOLE_EVTCHN 18u
#define HVM_NR_PARAMS 64u

#define EVTCHNOP_bind_vcpu 8u
#define EVTCHNOP_send 4u
#define EVTCHNOP_unmask 9u

#define SCHEDOP_yield 0u
#define SCHEDOP_block 1u
#define SCHEDOP_shutdown 2u
#define SHUTDOWN_poweroff 0u
#define SHUTDOWN_reboot 1u
#define SHUTDOWN_crash 3u
#define SHUTDOWN_watchdog 4u

#define CONSOLEIO_write 0u
#define CONSOLEIO_read 1u

static uint64_t err(int e)
{
    return (uint64_t)(int64_t)-e;
}

/* Copy @len bytes between guest VA @va and @buf, page by page (the VA
 * after the last byte may wrap to 0 when the buffer ends at 2^64). */
VMM_WRAPS static int guest_copy(struct vmm_xen *x, const struct vmm_a64_s1 *s1, uint64_t va,
                                void *buf, size_t len, bool to_guest)
{
    uint8_t *p = buf;

    if (len > 0 && va > UINT64_MAX - (len - 1))
        return -VMM_XEN_EFAULT;
    while (len > 0) {
        size_t chunk = VMM_XEN_PAGE - (size_t)(va & (VMM_XEN_PAGE - 1));
        uint64_t ipa;
        int ret;

        if (chunk > len)
            chunk = len;
        if (vmm_a64_s1_translate(x->cfg.mem, s1, va, true, &ipa) < 0)
            return -VMM_XEN_EFAULT;
        ret = to_guest ? vmm_guest_write(x->cfg.mem, ipa, p, chunk)
                       : vmm_guest_read(x->cfg.mem, ipa, p, chunk);
        if (ret < 0)
            return -VMM_XEN_EFAULT;
        va += chunk;
        p += chunk;
        len -= chunk;
    }
    return 0;
}

#define GET(buf, va, n)                                                                            \
    do {                                                                                           \
        if (guest_copy(x, s1, (va), (buf), (n), false) < 0)                                        \
            return err(VMM_XEN_EFAULT);                                                            \
    } while (0)
#define PUT(buf, va, n)                                                                            \
    do {                                                                                           \
        if (guest_copy(x, s1, (va), (buf), (n), true) < 0)                                         \
            return err(VMM_XEN_EFAULT);                                                            \
    } while (0)

static uint64_t hc_xen_version(struct vmm_xen *x, const struct vmm_a64_s1 *s1, uint64_t cmd,
                               uint64_t arg)
{
    uint8_t b[16];

    switch (cmd) {
    case XENVER_version:
        return XEN_VERSION;
    case XENVER_extraversion:
        memset(b, 0, sizeof(b));
        memcpy(b, "-stdvmm", 7);
        PUT(b, arg, sizeof(b));
        return 0;
    case XENVER_get_features:
        GET(b, arg, 8);
        vmm_put_le32(b + 4, vmm_get_le32(b) == 0 ? (1u << XENFEAT_auto_translated_physmap) |
                                                       (1u << XENFEAT_not_direct_mapped)
                                                 : 0u);
        PUT(b, arg, 8);
        return 0;
    case XENVER_pagesize:
        return VMM_XEN_PAGE;
    default:
        return err(VMM_XEN_ENOSYS);
    }
}

static uint64_t hc_memory_op(struct vmm_xen *x, const struct vmm_a64_s1 *s1, uint64_t cmd,
                             uint64_t arg)
{
    uint8_t b[24];
    uint64_t idx, gpa;

    if (cmd != XENMEM_add_to_physmap)
        return err(VMM_XEN_ENOSYS);
    GET(b, arg, sizeof(b));
    if (vmm_get_le16(b) != DOMID_SELF)
        return err(ESRCH);
    idx = vmm_get_le64(b + 8);
    gpa = vmm_get_le64(b + 16);
    if (gpa >= (UINT64_C(1) << 52))
        return err(VMM_XEN_EINVAL);
    gpa <<= 12;
    switch (vmm_get_le32(b + 4)) {
    case XENMAPSPACE_shared_info:
        /* Xen would map its own page there; the guest's page stands in for
         * it (Linux hands over a zeroed page), so nothing moves. */
        if (idx != 0 || gpa == 0 || !vmm_mem_range_ok(x->cfg.mem, gpa, VMM_XEN_PAGE))
            return err(VMM_XEN_EINVAL);
        x->shared_info = gpa;
        return 0;
    case XENMAPSPACE_grant_table:
        /* where the device tree put them (reserved RAM): nothing moves */
        if (idx >= VMM_XEN_GNTTAB_FRAMES || gpa != x->cfg.gnttab_gpa + idx * VMM_XEN_PAGE)
            return err(VMM_XEN_EINVAL);
        return 0;
    default:
        return err(VMM_XEN_EINVAL);
    }
}

static uint64_t hc_grant_table_op(struct vmm_xen *x, const struct vmm_a64_s1 *s1, uint64_t cmd,
                                  uint64_t arg, uint64_t count)
{
    uint8_t b[16];

    if (count == 0)
        return 0;
    if (cmd != GNTTABOP_query_size && cmd != GNTTABOP_set_version)
        return err(VMM_XEN_ENOSYS);
    if (count != 1)
        return err(VMM_XEN_EINVAL);
    if (cmd == GNTTABOP_set_version) {
        GET(b, arg, 4);
        if (vmm_get_le32(b) > 1)
            return err(VMM_XEN_EINVAL); /* only the v1 layout */
        vmm_put_le32(b, 1);
        PUT(b, arg, 4);
        return 0;
    }
    GET(b, arg, sizeof(b));
    if (vmm_get_le16(b) != DOMID_SELF) {
        vmm_put_le16(b + 12, (uint16_t)-7); /* GNTST_bad_domain */
    } else {
        vmm_put_le32(b + 4, 1);                     /* nr_frames */
        vmm_put_le32(b + 8, VMM_XEN_GNTTAB_FRAMES); /* max_nr_frames */
        vmm_put_le16(b + 12, 0);
    }
    PUT(b, arg, sizeof(b));
    return 0;
}

static uint64_t hc_vcpu_op(struct vmm_xen *x, const struct vmm_a64_s1 *s1, uint64_t cmd,
                           uint64_t target, uint64_t arg)
{
    uint8_t b[16];
    uint64_t mfn, gpa;
    uint32_t off;

    if (cmd != VCPUOP_register_vcpu_info && cmd != VCPUOP_register_runstate_memory_area)
        return err(VMM_XEN_ENOSYS);
    if (target >= x->cfg.nr_vcpus)
        return err(VMM_XEN_ENOENT);
    if (cmd == VCPUOP_register_runstate_memory_area) {
        /* Accepted and never written: the runstate stays all zero, which
         * reads as "always running, no steal time". */
        GET(b, arg, 8);
        return 0;
    }
    GET(b, arg, sizeof(b));
    mfn = vmm_get_le64(b);
    off = vmm_get_le32(b + 8);
    if (x->vcpu_info[target] != 0)
        return err(VMM_XEN_EINVAL); /* Xen allows one registration */
    if (mfn >= (UINT64_C(1) << 52) || off > VMM_XEN_PAGE - XEN_VCPU_INFO_SIZE || (off & 7u) != 0)
        return err(VMM_XEN_EINVAL);
    gpa = (mfn << 12) + off;
    if (gpa == 0 || !vmm_mem_range_ok(x->cfg.mem, gpa, XEN_VCPU_INFO_SIZE))
        return err(VMM_XEN_EINVAL);
    x->vcpu_info[target] = gpa;
    vmm_xen_vcpu_info_moved(x, (unsigned)target);
    return 0;
}

static uint64_t hc_hvm_op(struct vmm_xen *x, const struct vmm_a64_s1 *s1, uint64_t op, uint64_t arg)
{
    uint8_t b[16];
    uint32_t index;
    uint64_t value = 0;

    if (op == HVMOP_set_param)
        return err(VMM_XEN_EPERM);
    if (op != HVMOP_get_param)
        return err(VMM_XEN_ENOSYS);
    GET(b, arg, sizeof(b));
    if (vmm_get_le16(b) != DOMID_SELF)
        return err(ESRCH);
    index = vmm_get_le32(b + 4);
    if (index >= HVM_NR_PARAMS)
        return err(VMM_XEN_EINVAL);
    if (index == HVM_PARAM_CONSOLE_PFN)
        value = x->cfg.ring_gpa >> 12;
    else if (index == HVM_PARAM_CONSOLE_EVTCHN)
        value = VMM_XEN_CONSOLE_PORT;
    /* Everything else is unset: 0. No xenstore (STORE_PFN 0 makes Linux's
     * xenbus give up cleanly), no callback via (the PPI is in the DT). */
    vmm_put_le64(b + 8, value);
    PUT(b, arg, sizeof(b));
    return 0;
}

static uint64_t hc_event_channel_op(struct vmm_xen *x, const struct vmm_a64_s1 *s1, uint64_t cmd,
                                    uint64_t arg)
{
    uint8_t b[8];
    uint32_t port;

    if (cmd != EVTCHNOP_send && cmd != EVTCHNOP_unmask && cmd != EVTCHNOP_bind_vcpu)
        return err(VMM_XEN_ENOSYS); /* e.g. init_control: Linux falls back to 2-level */
    GET(b, arg, cmd == EVTCHNOP_bind_vcpu ? 8u : 4u);
    port = vmm_get_le32(b);
    switch (cmd) {
    case EVTCHNOP_send:
        if (port != VMM_XEN_CONSOLE_PORT)
            return err(VMM_XEN_EINVAL);
        vmm_xen_console_flush(x);
        return 0;
    case EVTCHNOP_unmask:
        return vmm_xen_evtchn_unmask(x, port) < 0 ? err(VMM_XEN_EINVAL) : 0;
    default: /* bind_vcpu */
        if (port != VMM_XEN_CONSOLE_PORT)
            return err(VMM_XEN_EINVAL);
        if (vmm_get_le32(b + 4) >= x->cfg.nr_vcpus)
            return err(VMM_XEN_ENOENT);
        x->port_vcpu[port] = (uint16_t)vmm_get_le32(b + 4);
        return 0;
    }
}

static uint64_t hc_sched_op(struct vmm_xen *x, const struct vmm_a64_s1 *s1, uint64_t cmd,
                            uint64_t arg, enum vmm_xen_action *act)
{
    uint8_t b[4];

    switch (cmd) {
    case SCHEDOP_yield:
        return 0;
    case SCHEDOP_block:
        *act = VMM_XEN_ACT_BLOCK;
        return 0;
    case SCHEDOP_shutdown:
        GET(b, arg, 4);
        switch (vmm_get_le32(b)) {
        case SHUTDOWN_poweroff:
        case SHUTDOWN_crash:
        case SHUTDOWN_watchdog:
            *act = VMM_XEN_ACT_POWEROFF;
            return 0;
        case SHUTDOWN_reboot:
            *act = VMM_XEN_ACT_REBOOT;
            return 0;
        default:
            return err(VMM_XEN_EINVAL); /* suspend needs a toolstack */
        }
    default:
        return err(VMM_XEN_ENOSYS);
    }
}

/* console_io write: the bytes straight to the console sink, in pieces. */
static uint64_t hc_console_io(struct vmm_xen *x, const struct vmm_a64_s1 *s1, uint64_t cmd,
                              uint64_t count, uint64_t arg)
{
    uint8_t b[256];

    if (cmd == CONSOLEIO_read)
        return 0; /* input goes through the ring */
    if (cmd != CONSOLEIO_write)
        return err(VMM_XEN_ENOSYS);
    if (count > VMM_XEN_CONSOLE_MAX)
        return err(VMM_XEN_EINVAL);
    if (count > 0 && arg > UINT64_MAX - (count - 1))
        return err(VMM_XEN_EFAULT);
    while (count > 0) {
        size_t n = count < sizeof(b) ? (size_t)count : sizeof(b);

        GET(b, arg, n);
        x->cfg.out->write(x->cfg.out->ctx, b, n);
        x->console_bytes += n;
        arg += n;
        count -= n;
    }
    return 0;
}

uint64_t vmm_xen_hypercall(struct vmm_xen *x, unsigned vcpu, const struct vmm_a64_s1 *s1,
                           const struct vmm_xen_call *c, enum vmm_xen_action *act)
{
    const uint64_t *a = c->arg;

    *act = VMM_XEN_ACT_NONE;
    x->calls++;
    if (vcpu >= x->cfg.nr_vcpus)
        return err(VMM_XEN_EINVAL);
    switch (c->nr) {
    case VMM_XEN_HC_CONSOLE_IO:
        return hc_console_io(x, s1, a[0], a[1], a[2]);
    case VMM_XEN_HC_EVENT_CHANNEL_OP:
        return hc_event_channel_op(x, s1, a[0], a[1]);
    case VMM_XEN_HC_SCHED_OP:
        return hc_sched_op(x, s1, a[0], a[1], act);
    case VMM_XEN_HC_XEN_VERSION:
        return hc_xen_version(x, s1, a[0], a[1]);
    case VMM_XEN_HC_MEMORY_OP:
        return hc_memory_op(x, s1, a[0], a[1]);
    case VMM_XEN_HC_GRANT_TABLE_OP:
        return hc_grant_table_op(x, s1, a[0], a[1], a[2]);
    case VMM_XEN_HC_VCPU_OP:
        return hc_vcpu_op(x, s1, a[0], a[1], a[2]);
    case VMM_XEN_HC_HVM_OP:
        return hc_hvm_op(x, s1, a[0], a[1]);
    case VMM_XEN_HC_VM_ASSIST:
        return err(VMM_XEN_EINVAL); /* no assists: Linux keeps its defaults */
    default:
        if (vmm_ratelimit_first(&x->rl_unknown))
            vmm_warn("xen: vCPU %u: hypercall %llu (x0 0x%llx) is not emulated: -ENOSYS "
                     "(further ones counted)",
                     vcpu, (unsigned long long)c->nr, (unsigned long long)a[0]);
        return err(VMM_XEN_ENOSYS);
    }
}

bool vmm_xen_is_hvc(uint32_t insn)
{
    /* HVC #imm16: 1101 0100 000 imm16 000 10 (Arm ARM C6.2.135) */
    return insn == (0xd4000002u | (VMM_XEN_HVC_IMM << 5));
}

int vmm_xen_init(struct vmm_xen *x, const struct vmm_xen_config *cfg)
{
    memset(x, 0, sizeof(*x));
    if (cfg->mem == NULL || cfg->out == NULL || cfg->out->write == NULL || cfg->ops == NULL ||
        cfg->ops->upcall == NULL || cfg->nr_vcpus == 0 || cfg->nr_vcpus > VMM_MAX_VCPUS)
        return -VMM_EINVAL;
    if ((cfg->ring_gpa | cfg->gnttab_gpa) & (VMM_XEN_PAGE - 1) || cfg->ring_gpa == 0 ||
        cfg->gnttab_gpa == 0 ||
        (cfg->ring_gpa >= cfg->gnttab_gpa &&
         cfg->ring_gpa < cfg->gnttab_gpa + VMM_XEN_GNTTAB_FRAMES * VMM_XEN_PAGE) ||
        !vmm_mem_range_ok(cfg->mem, cfg->ring_gpa, VMM_XEN_PAGE) ||
        !vmm_mem_range_ok(cfg->mem, cfg->gnttab_gpa, VMM_XEN_GNTTAB_FRAMES * VMM_XEN_PAGE))
        return -VMM_EINVAL;
    x->cfg = *cfg;
    vmm_xen_reset(x);
    return 0;
}

void vmm_xen_reset(struct vmm_xen *x)
{
    uint8_t *ring = vmm_gpa_to_hva(x->cfg.mem, x->cfg.ring_gpa, VMM_XEN_PAGE);

    x->shared_info = 0;
    memset(x->vcpu_info, 0, sizeof(x->vcpu_info));
    memset(x->port_vcpu, 0, sizeof(x->port_vcpu));
    /* a fresh, empty console ring, as the toolstack gives a new domain */
    if (ring != NULL)
        memset(ring, 0, VMM_XEN_PAGE);
}
