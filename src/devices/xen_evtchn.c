/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Xen event channels (2-level ABI, public/event_channel.h and xen.h's
 * struct shared_info) and the console ring (public/io/console.h), the
 * parts of include/stdvmm/xen.h that touch the guest's shared pages.
 *
 * The pages are guest RAM the guest registered; it changes them while the
 * VMM looks (another vCPU), so the bits are set with atomic operations on
 * the mapped words and every ring index is checked before use.
 *
 * AArch64 layouts (arch-arm.h: xen_ulong_t is 64-bit, arch_vcpu_info and
 * arch_shared_info are empty):
 *   vcpu_info   (48 bytes): upcall_pending u8 @0, upcall_mask u8 @1,
 *                           evtchn_pending_sel u64 @8, vcpu_time_info @16
 *   shared_info:            vcpu_info[1] @0, evtchn_pending[64] @48,
 *                           evtchn_mask[64] @560, wallclock @1072
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

#define SI_PENDING 48u
#define SI_MASK 560u
#define VI_UPCALL_PENDING 0u
#define VI_PENDING_SEL 8u

/* The 64-bit word at @gpa (8-byte aligned, in RAM) as a host pointer. */
static uint64_t *word_at(const struct vmm_xen *x, uint64_t gpa)
{
    if (gpa == 0 || (gpa & 7u) != 0)
        return NULL;
    return vmm_gpa_to_hva(x->cfg.mem, gpa, 8);
}

/* Atomically set bit @bit of the little-endian word at @w; true if it was set. */
static bool test_and_set(uint64_t *w, unsigned bit)
{
    uint64_t mask = 0;

    vmm_put_le64(&mask, UINT64_C(1) << bit);
    return (__atomic_fetch_or(w, mask, __ATOMIC_SEQ_CST) & mask) != 0;
}

static bool test_and_clear(uint64_t *w, unsigned bit)
{
    uint64_t mask = 0;

    vmm_put_le64(&mask, UINT64_C(1) << bit);
    return (__atomic_fetch_and(w, ~mask, __ATOMIC_SEQ_CST) & mask) != 0;
}

static bool test_bit(const uint64_t *w, unsigned bit)
{
    uint64_t mask = 0;

    vmm_put_le64(&mask, UINT64_C(1) << bit);
    return (__atomic_load_n(w, __ATOMIC_SEQ_CST) & mask) != 0;
}

/* gpa of @vcpu's vcpu_info: the registered one, else (vCPU 0 only) the
 * legacy slot in shared_info; 0 if there is none. */
static uint64_t vcpu_info_gpa(const struct vmm_xen *x, unsigned vcpu)
{
    if (vcpu >= x->cfg.nr_vcpus)
        return 0;
    if (x->vcpu_info[vcpu] != 0)
        return x->vcpu_info[vcpu];
    return vcpu == 0 ? x->shared_info : 0;
}

/* Selector bit @sel of @vcpu: set it and, on 0 -> 1 of the upcall flag,
 * raise the PPI. */
static void mark_pending(struct vmm_xen *x, unsigned vcpu, unsigned sel)
{
    uint64_t vi = vcpu_info_gpa(x, vcpu);
    uint64_t *selw;
    uint8_t *upcall;

    if (vi == 0)
        return; /* the guest has not registered where to tell it */
    selw = word_at(x, vi + VI_PENDING_SEL);
    upcall = vmm_gpa_to_hva(x->cfg.mem, vi + VI_UPCALL_PENDING, 1);
    if (selw == NULL || upcall == NULL)
        return; /* the guest has not registered where to tell it */
    if (test_and_set(selw, sel))
        return;
    if (__atomic_exchange_n(upcall, (uint8_t)1, __ATOMIC_SEQ_CST) == 0) {
        x->upcalls++;
        x->cfg.ops->upcall(x->cfg.ctx, vcpu);
    }
}

static unsigned port_vcpu(const struct vmm_xen *x, unsigned port)
{
    return port <= VMM_XEN_CONSOLE_PORT ? x->port_vcpu[port] : 0;
}

int vmm_xen_evtchn_set(struct vmm_xen *x, unsigned port)
{
    uint64_t *pend, *mask;

    if (port == 0 || port >= VMM_XEN_NR_PORTS)
        return -VMM_EINVAL;
    pend = word_at(x, x->shared_info == 0 ? 0 : x->shared_info + SI_PENDING + 8u * (port / 64));
    mask = word_at(x, x->shared_info == 0 ? 0 : x->shared_info + SI_MASK + 8u * (port / 64));
    if (pend == NULL || mask == NULL)
        return 0; /* no shared info yet: nothing to deliver into */
    if (test_and_set(pend, port % 64))
        return 0;
    if (!test_bit(mask, port % 64))
        mark_pending(x, port_vcpu(x, port), port / 64);
    return 0;
}

int vmm_xen_evtchn_unmask(struct vmm_xen *x, unsigned port)
{
    uint64_t *pend, *mask;

    if (port >= VMM_XEN_NR_PORTS)
        return -VMM_EINVAL;
    pend = word_at(x, x->shared_info == 0 ? 0 : x->shared_info + SI_PENDING + 8u * (port / 64));
    mask = word_at(x, x->shared_info == 0 ? 0 : x->shared_info + SI_MASK + 8u * (port / 64));
    if (pend == NULL || mask == NULL)
        return -VMM_EINVAL;
    if (test_and_clear(mask, port % 64) && test_bit(pend, port % 64))
        mark_pending(x, port_vcpu(x, port), port / 64);
    return 0;
}

/* ---------------------------------------------------------------- console ring */

static uint32_t ring_load(const uint8_t *ring, unsigned off)
{
    uint32_t v = __atomic_load_n((const uint32_t *)(const void *)(ring + off), __ATOMIC_ACQUIRE);

    return vmm_get_le32(&v);
}

static void ring_store(uint8_t *ring, unsigned off, uint32_t value)
{
    uint32_t v;

    vmm_put_le32(&v, value);
    __atomic_store_n((uint32_t *)(void *)(ring + off), v, __ATOMIC_RELEASE);
}

/* The ring indices are free-running 32-bit counters: they wrap. */
VMM_WRAPS void vmm_xen_console_flush(struct vmm_xen *x)
{
    uint8_t *ring = vmm_gpa_to_hva(x->cfg.mem, x->cfg.ring_gpa, VMM_XEN_PAGE);
    uint32_t cons, prod, n;

    if (ring == NULL)
        return;
    cons = ring_load(ring, VMM_XEN_RING_OUT_CONS);
    prod = ring_load(ring, VMM_XEN_RING_OUT_PROD);
    n = prod - cons; /* free-running indices: wrapping is normal */
    if (n > VMM_XEN_RING_OUT_SIZE) {
        if (vmm_ratelimit_first(&x->rl_bad))
            vmm_warn("xen console: output ring indices cons %u prod %u are %u bytes apart "
                     "(at most %u): dropping them (further ones counted)",
                     cons, prod, n, VMM_XEN_RING_OUT_SIZE);
        ring_store(ring, VMM_XEN_RING_OUT_CONS, prod);
        return;
    }
    while (n > 0) {
        uint32_t at = cons % VMM_XEN_RING_OUT_SIZE;
        uint32_t chunk = VMM_XEN_RING_OUT_SIZE - at < n ? VMM_XEN_RING_OUT_SIZE - at : n;
        uint8_t buf[256];

        if (chunk > sizeof(buf))
            chunk = sizeof(buf);
        /* a copy first: the guest may rewrite the ring while the sink reads */
        memcpy(buf, ring + VMM_XEN_RING_OUT + at, chunk);
        x->cfg.out->write(x->cfg.out->ctx, buf, chunk);
        x->console_bytes += chunk;
        cons += chunk;
        n -= chunk;
    }
    ring_store(ring, VMM_XEN_RING_OUT_CONS, cons);
}

VMM_WRAPS size_t vmm_xen_console_rx(struct vmm_xen *x, const uint8_t *buf, size_t len)
{
    uint8_t *ring = vmm_gpa_to_hva(x->cfg.mem, x->cfg.ring_gpa, VMM_XEN_PAGE);
    uint32_t cons, prod, used;
    size_t n = 0;

    if (ring == NULL || len == 0)
        return 0;
    cons = ring_load(ring, VMM_XEN_RING_IN_CONS);
    prod = ring_load(ring, VMM_XEN_RING_IN_PROD);
    used = prod - cons;
    if (used > VMM_XEN_RING_IN_SIZE) {
        if (vmm_ratelimit_first(&x->rl_bad))
            vmm_warn("xen console: input ring indices cons %u prod %u are %u bytes apart "
                     "(at most %u): input dropped (further ones counted)",
                     cons, prod, used, VMM_XEN_RING_IN_SIZE);
        return len; /* consumed: a broken ring must not stall the console */
    }
    while (n < len && used < VMM_XEN_RING_IN_SIZE) {
        ring[VMM_XEN_RING_IN + prod % VMM_XEN_RING_IN_SIZE] = buf[n++];
        prod++;
        used++;
    }
    if (n > 0) {
        ring_store(ring, VMM_XEN_RING_IN_PROD, prod);
        vmm_xen_evtchn_set(x, VMM_XEN_CONSOLE_PORT);
    }
    return n;
}

void vmm_xen_vcpu_info_moved(struct vmm_xen *x, unsigned vcpu)
{
    uint64_t vi = vcpu_info_gpa(x, vcpu);
    uint64_t *selw;
    uint8_t *upcall;

    if (vi == 0)
        return;
    selw = word_at(x, vi + VI_PENDING_SEL);
    upcall = vmm_gpa_to_hva(x->cfg.mem, vi + VI_UPCALL_PENDING, 1);
    if (selw == NULL || upcall == NULL)
        return;
    __atomic_store_n(selw, ~UINT64_C(0), __ATOMIC_SEQ_CST);
    if (__atomic_exchange_n(upcall, (uint8_t)1, __ATOMIC_SEQ_CST) == 0) {
        x->upcalls++;
        x->cfg.ops->upcall(x->cfg.ctx, vcpu);
    }
}
