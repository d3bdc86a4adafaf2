/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The in-kernel GICv3 (Documentation/virt/kvm/devices/arm-vgic-v3.rst):
 * created before the vCPUs, initialised after all of them exist.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include "kvm_priv.h"
#include "stdvmm/err.h"
#include "stdvmm/log.h"

/* INTIDs the vGIC implements: 32 private (SGI+PPI) + 96 SPIs, which covers
 * every core IRQ line (VMM_MAX_IRQ_LINES). A multiple of 32 (arm-vgic-v3.rst). */
#define KVM_GIC_NR_IRQS 128

_Static_assert(KVM_GIC_NR_IRQS - 32 >= VMM_MAX_IRQ_LINES, "vGIC too small for the IRQ lines");

static int kvm_gic_set_attr(struct vmm_kvm *kvm, uint32_t group, uint64_t attr, void *addr,
                            const char *what)
{
    struct kvm_device_attr da;

    memset(&da, 0, sizeof(da));
    da.group = group;
    da.attr = attr;
    da.addr = (uint64_t)(uintptr_t)addr;
    if (ioctl(kvm->vgic_fd, KVM_SET_DEVICE_ATTR, &da) < 0) {
        int err = errno;
        vmm_err("vGICv3 %s: %s", what, strerror(err));
        return kvm_err(err);
    }
    return 0;
}

int kvm_gic_create(struct vmm_kvm *kvm, uint64_t gicd, uint64_t gicr)
{
    struct kvm_create_device cd;
    uint32_t nr_irqs = KVM_GIC_NR_IRQS;
    int ret;

    memset(&cd, 0, sizeof(cd));
    cd.type = KVM_DEV_TYPE_ARM_VGIC_V3;
    if (ioctl(kvm->vm_fd, KVM_CREATE_DEVICE, &cd) < 0) {
        int err = errno;
        vmm_err("KVM cannot create a GICv3 (%s): stdvmm needs a host with a GICv3", strerror(err));
        return kvm_err(err);
    }
    kvm->vgic_fd = (int)cd.fd;
    ret = kvm_gic_set_attr(kvm, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &gicd,
                           "distributor address");
    if (ret < 0)
        return ret;
    ret = kvm_gic_set_attr(kvm, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &gicr,
                           "redistributor address");
    if (ret < 0)
        return ret;
    ret = kvm_gic_set_attr(kvm, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr_irqs, "number of IRQs");
    if (ret < 0)
        return ret;
    vmm_dbg("kvm: vGICv3 distributor 0x%llx, redistributors 0x%llx", (unsigned long long)gicd,
            (unsigned long long)gicr);
    return 0;
}

int kvm_gic_init(struct vmm_kvm *kvm)
{
    return kvm_gic_set_attr(kvm, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL,
                            "init");
}
