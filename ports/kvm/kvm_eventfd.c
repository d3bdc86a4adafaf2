/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Eventfds wired into KVM for devices served outside the VMM (vhost-user,
 * docs/VHOST.md): a queue-notify register write becomes an eventfd signal
 * in the kernel (KVM_IOEVENTFD, api.rst 4.59) and an eventfd signal
 * becomes an interrupt (KVM_IRQFD, api.rst 4.75), so neither a kick nor a
 * used-buffer interrupt passes through stdvmm.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include "kvm_priv.h"
#include "stdvmm/err.h"
#include "stdvmm/log.h"

int vmm_kvm_ioeventfd(struct vmm_kvm *kvm, uint64_t addr, uint32_t len, uint64_t datamatch, int fd)
{
    struct kvm_ioeventfd io;

    memset(&io, 0, sizeof(io));
    io.addr = addr;
    io.len = len;
    io.datamatch = datamatch;
    io.fd = fd;
    io.flags = KVM_IOEVENTFD_FLAG_DATAMATCH; /* MMIO: no PIO flag */
    if (ioctl(kvm->vm_fd, KVM_IOEVENTFD, &io) < 0) {
        int err = errno;

        vmm_err("KVM_IOEVENTFD at 0x%llx (value %llu): %s", (unsigned long long)addr,
                (unsigned long long)datamatch, strerror(err));
        return kvm_err(err);
    }
    return 0;
}

/* GSI n is SPI n (INTID 32 + n): KVM's default routing on arm64, set up
 * when the vGIC is initialised. */
int vmm_kvm_irqfd(struct vmm_kvm *kvm, unsigned line, int fd)
{
    struct kvm_irqfd irqfd;

    memset(&irqfd, 0, sizeof(irqfd));
    irqfd.fd = (uint32_t)fd;
    irqfd.gsi = line;
    if (ioctl(kvm->vm_fd, KVM_IRQFD, &irqfd) < 0) {
        int err = errno;

        vmm_err("KVM_IRQFD (line %u): %s", line, strerror(err));
        return kvm_err(err);
    }
    return 0;
}
