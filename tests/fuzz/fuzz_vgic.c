/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The vGIC (src/arch/aarch64/vgic*.c, vgic.h) for v2 and v3: distributor and
 * redistributor registers of any offset, width and value from any vCPU,
 * through the MMIO bus or directly; interrupt lines; SGIs (GICD_SGIR writes
 * on v2, trapped ICC_SGI1R_EL1 on v3); list-register EOIs; the virtual timer
 * PPI event/EOI cycle.
 *
 * Input: byte 0 version and vCPU count, byte 1 SPIs and list registers, then
 * operations. The fake port keeps its own copy of every list register and
 * checks: the vGIC only writes free LRs below nr_lrs of existing vCPUs, with
 * an INTID that exists; an interrupt is never in two LRs at once (an SPI
 * anywhere, a private interrupt per vCPU); the vGIC's view of the LRs equals
 * the port's; the timer is acked only after it was raised. A reset (the vGIC
 * rebuilt while the port's LRs keep their interrupts, as on seL4) leaves
 * stuck LRs the port refuses with -VMM_EBUSY until the guest EOIs them: the
 * vGIC must skip such an LR, never try it twice, and free it on that EOI.
 */
#include <string.h>
#include "fuzz_support.h"
#include "stdvmm/err.h"
#include "stdvmm/mmio.h"
#include "stdvmm/vgic.h"

#define GICD_BASE 0x08000000ull
#define GICR_BASE 0x080a0000ull

struct fx {
    struct vmm_vgic gic;
    struct vmm_vtimer vt;
    struct vmm_mmio_bus bus;
    uint16_t lr[VMM_MAX_VCPUS][VMM_VGIC_MAX_LRS];  /* the port's copy */
    bool refused[VMM_MAX_VCPUS][VMM_VGIC_MAX_LRS]; /* a stuck LR refused once */
    struct vmm_vgic_config cfg;
    bool fail_inject;
    bool timer_raised[VMM_MAX_VCPUS];
};

/* The port's marker for an LR still active in the "hardware" from before a
 * reset: seL4 refuses it (-VMM_EBUSY) until the guest EOIs it. */
#define LR_STUCK 0xfffdu

static struct fx fx;

static bool intid_in_lrs(const struct fx *f, unsigned vcpu, unsigned intid)
{
    for (unsigned c = 0; c < f->gic.nr_vcpus; c++) {
        if (intid < VMM_VGIC_NR_PRIVATE && c != vcpu)
            continue;
        for (unsigned lr = 0; lr < f->gic.nr_lrs; lr++)
            if (f->lr[c][lr] == intid)
                return true;
    }
    return false;
}

static int fake_inject(void *ctx, unsigned vcpu, unsigned lr, unsigned intid, uint8_t priority,
                       unsigned group)
{
    struct fx *f = ctx;

    (void)priority;
    FZ_CHECK(vcpu < f->gic.nr_vcpus && lr < f->gic.nr_lrs);
    if (f->lr[vcpu][lr] == LR_STUCK) {
        FZ_CHECK(!f->refused[vcpu][lr]); /* a busy LR is not tried again */
        f->refused[vcpu][lr] = true;
        return -VMM_EBUSY;
    }
    FZ_CHECK(f->lr[vcpu][lr] == VMM_VGIC_LR_FREE);
    FZ_CHECK(intid < VMM_VGIC_NR_PRIVATE + f->gic.nr_spis);
    FZ_CHECK(group <= 1);
    FZ_CHECK(!intid_in_lrs(f, vcpu, intid));
    if (f->fail_inject)
        return -VMM_EIO;
    f->lr[vcpu][lr] = (uint16_t)intid;
    return 0;
}

static void fake_eoi(void *ctx, unsigned vcpu, unsigned intid)
{
    struct fx *f = ctx;

    FZ_CHECK(vcpu < f->gic.nr_vcpus);
    (void)vmm_vtimer_eoi(&f->vt, vcpu, intid);
}

static void fake_ack(void *ctx, unsigned vcpu)
{
    struct fx *f = ctx;

    FZ_CHECK(vcpu < f->gic.nr_vcpus && f->timer_raised[vcpu]);
    f->timer_raised[vcpu] = false;
}

static const struct vmm_vgic_ops fake_ops = {.inject = fake_inject, .eoi = fake_eoi};

static unsigned pick_size(uint8_t c)
{
    static const unsigned sizes[8] = {4, 4, 4, 1, 2, 8, 3, 4};

    return sizes[c & 7];
}

/* A register access: distributor or a redistributor frame, direct or via the bus. */
static void reg_access(struct fx *f, uint8_t op, struct fz_in *in)
{
    unsigned vcpu = fz_u8(in) % (f->gic.nr_vcpus + 1);
    uint8_t c = fz_u8(in);
    uint64_t off = fz_u16(in), value = fz_u64(in), out = 0;
    unsigned size = pick_size(c);
    bool write = c & 0x80, redist = f->gic.version == VMM_VGIC_V3 && (c & 0x40);
    int ret;

    if (redist)
        off = (uint64_t)vcpu * VMM_VGIC_V3_REDIST_STRIDE + ((c & 0x20) ? 0x10000u : 0) + off;
    else if (f->gic.version == VMM_VGIC_V2)
        off %= VMM_VGIC_V2_DIST_SIZE + 0x10;
    if (op & 0x80) { /* through the bus, as a port does */
        struct vmm_access acc = {
            .addr = (redist ? GICR_BASE : GICD_BASE) + off,
            .size = (uint8_t)size,
            .write = write,
            .value = value,
            .vcpu = vcpu,
        };

        (void)vmm_mmio_dispatch(&f->bus, &acc);
        return;
    }
    if (f->gic.version == VMM_VGIC_V2)
        ret = write ? vmm_vgic_v2_dist_write(&f->gic, vcpu, off, size, value)
                    : vmm_vgic_v2_dist_read(&f->gic, vcpu, off, size, &out);
    else if (redist)
        ret = write ? vmm_vgic_v3_redist_write(&f->gic, off, size, value)
                    : vmm_vgic_v3_redist_read(&f->gic, off, size, &out);
    else
        ret = write ? vmm_vgic_v3_dist_write(&f->gic, off, size, value)
                    : vmm_vgic_v3_dist_read(&f->gic, off, size, &out);
    if (ret == 0 && !write && size < 8)
        FZ_CHECK(out >> (8 * size) == 0);
}

static void check_lrs(const struct fx *f)
{
    for (unsigned c = 0; c < f->gic.nr_vcpus; c++)
        for (unsigned lr = 0; lr < VMM_VGIC_MAX_LRS; lr++) {
            int want =
                lr < f->gic.nr_lrs && f->lr[c][lr] != VMM_VGIC_LR_FREE && f->lr[c][lr] != LR_STUCK
                    ? f->lr[c][lr]
                    : -1;

            FZ_CHECK(vmm_vgic_lr_intid(&f->gic, c, lr) == want);
        }
}

static void run_op(struct fx *f, uint8_t op, struct fz_in *in)
{
    unsigned nirq = VMM_VGIC_NR_PRIVATE + f->gic.nr_spis;

    switch (op & 7) {
    case 0:
    case 1:
    case 2:
        reg_access(f, op, in);
        break;
    case 3: { /* an input line */
        unsigned vcpu = fz_u8(in) % (f->gic.nr_vcpus + 1);
        unsigned intid = fz_u16(in) % (nirq + 4);
        int ret = vmm_vgic_set_irq(&f->gic, vcpu, intid, op & 0x80);

        FZ_CHECK(ret == 0 || intid < VMM_VGIC_NR_SGIS || intid >= nirq ||
                 (intid < VMM_VGIC_NR_PRIVATE && vcpu >= f->gic.nr_vcpus));
        break;
    }
    case 4: { /* the guest EOIs a list register */
        unsigned vcpu = fz_u8(in) % (f->gic.nr_vcpus + 1), lr = fz_u8(in) % (f->gic.nr_lrs + 1);
        bool held =
            vcpu < f->gic.nr_vcpus && lr < f->gic.nr_lrs && f->lr[vcpu][lr] != VMM_VGIC_LR_FREE;

        if (held && f->lr[vcpu][lr] == LR_STUCK)
            break; /* stuck LRs are EOIed by op 7 */
        if (held)
            f->lr[vcpu][lr] = VMM_VGIC_LR_FREE;
        FZ_CHECK((vmm_vgic_lr_eoi(&f->gic, vcpu, lr) == 0) == held);
        break;
    }
    case 5: /* a trapped ICC_SGI1R_EL1 write (v3), or a flush */
        if (f->gic.version == VMM_VGIC_V3)
            (void)vmm_vgic_v3_sgi_write(&f->gic, fz_u8(in) % (f->gic.nr_vcpus + 1), fz_u64(in));
        else
            (void)vmm_vgic_flush(&f->gic, fz_u8(in) % (f->gic.nr_vcpus + 1));
        break;
    case 6: { /* the timer fires for a vCPU */
        unsigned vcpu = fz_u8(in) % (f->gic.nr_vcpus + 1);
        unsigned intid = (op & 0x80) ? fz_u8(in) % 32 : VMM_VGIC_VTIMER_INTID;

        if (vmm_vtimer_vppi_event(&f->vt, vcpu, intid) == 0)
            f->timer_raised[vcpu] = true;
        break;
    }
    default: /* the port fails injections for a while, or resets a vCPU's timer; a reset
              * leaves stuck LRs, which the guest may EOI later */
        if (op & 0x20) {
            unsigned vcpu = fz_u8(in) % f->gic.nr_vcpus, lr = fz_u8(in) % f->gic.nr_lrs;
            bool busy = f->refused[vcpu][lr];

            if (f->lr[vcpu][lr] != LR_STUCK)
                break;
            f->lr[vcpu][lr] = VMM_VGIC_LR_FREE;
            f->refused[vcpu][lr] = false;
            FZ_CHECK((vmm_vgic_lr_eoi(&f->gic, vcpu, lr) == 0) == busy);
        } else if (op & 0x10) {
            FZ_CHECK(vmm_vgic_init(&f->gic, &f->cfg) == 0);
            FZ_CHECK(vmm_vtimer_init(&f->vt, &f->gic, VMM_VGIC_VTIMER_INTID, fake_ack, f) == 0);
            memset(f->timer_raised, 0, sizeof(f->timer_raised));
            memset(f->refused, 0, sizeof(f->refused));
            for (unsigned c = 0; c < VMM_MAX_VCPUS; c++)
                for (unsigned lr = 0; lr < VMM_VGIC_MAX_LRS; lr++)
                    if (f->lr[c][lr] != VMM_VGIC_LR_FREE)
                        f->lr[c][lr] = LR_STUCK;
        } else if (op & 0x80) {
            unsigned vcpu = fz_u8(in) % f->gic.nr_vcpus;

            vmm_vtimer_reset(&f->vt, vcpu);
            FZ_CHECK(!f->timer_raised[vcpu]);
        } else {
            f->fail_inject = (op & 0x40) != 0;
        }
        break;
    }
    (void)vmm_vgic_is_pending(&f->gic, fz_u8(in) % (f->gic.nr_vcpus + 1), fz_u16(in) % 300);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_in in = {data, size};
    struct fx *f = &fx;
    uint8_t a = fz_u8(&in), b = fz_u8(&in);
    struct vmm_vgic_config cfg = {
        .version = (a & 1) ? VMM_VGIC_V3 : VMM_VGIC_V2,
        .nr_vcpus = 1 + ((a >> 1) & 7),
        .nr_spis = 32u * (b % 8),
        .nr_lrs = 1 + (b >> 4),
        .ops = &fake_ops,
        .ctx = f,
    };
    unsigned ops = 0;

    fz_log_init();
    memset(f, 0, sizeof(*f));
    memset(f->lr, 0xff, sizeof(f->lr));
    f->cfg = cfg;
    FZ_CHECK(vmm_vgic_init(&f->gic, &cfg) == 0);
    FZ_CHECK(vmm_vtimer_init(&f->vt, &f->gic, VMM_VGIC_VTIMER_INTID, fake_ack, f) == 0);
    vmm_mmio_bus_init(&f->bus);
    if (cfg.version == VMM_VGIC_V2) {
        FZ_CHECK(vmm_mmio_register_vcpu(&f->bus, GICD_BASE, VMM_VGIC_V2_DIST_SIZE,
                                        &vmm_vgic_v2_dist_mmio_ops, &vmm_vgic_v2_dist_vcpu_ops,
                                        &f->gic, "gicd") == 0);
    } else {
        FZ_CHECK(vmm_mmio_register(&f->bus, GICD_BASE, VMM_VGIC_V3_DIST_SIZE,
                                   &vmm_vgic_v3_dist_mmio_ops, &f->gic, "gicd") == 0);
        FZ_CHECK(vmm_mmio_register(&f->bus, GICR_BASE,
                                   (uint64_t)cfg.nr_vcpus * VMM_VGIC_V3_REDIST_STRIDE,
                                   &vmm_vgic_v3_redist_mmio_ops, &f->gic, "gicr") == 0);
    }
    while (fz_more(&in) && ops++ < FZ_MAX_OPS) {
        run_op(f, fz_u8(&in), &in);
        check_lrs(f);
    }
    return 0;
}
