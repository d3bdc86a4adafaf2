/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * KVM VM lifetime: /dev/kvm, capability checks, the VM file descriptor,
 * guest RAM slots and interrupt injection (Documentation/virt/kvm/api.rst).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include "kvm_priv.h"
#include "stdvmm/err.h"
#include "stdvmm/log.h"

#define KVM_DEV_PATH "/dev/kvm"
/* Without KVM_VM_TYPE_ARM_IPA_SIZE the VM gets the historical 40 bits. */
#define KVM_DEFAULT_IPA_BITS 40

struct kvm_required_cap {
    int cap;
    const char *name;
};

/* What the port relies on; api.rst section 8 names each capability. */
static const struct kvm_required_cap kvm_required_caps[] = {
    {KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY"},
    {KVM_CAP_ONE_REG, "KVM_CAP_ONE_REG"},
    {KVM_CAP_ARM_PSCI_0_2, "KVM_CAP_ARM_PSCI_0_2"},
    {KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP (in-kernel vGIC)"},
    {KVM_CAP_DEVICE_CTRL, "KVM_CAP_DEVICE_CTRL"},
    {KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT"},
};

/*
 * Interrupts go through KVM_IRQ_LINE rather than irqfd: every device raises
 * its line from a thread that already holds the device lock (a vCPU thread
 * in the MMIO path or a backend thread), the call is synchronous and keeps
 * level semantics without a resample eventfd per line. irqfd would pay off
 * only for devices driven outside the VMM process.
 */
static int kvm_port_irq_set(void *port, unsigned line, bool level)
{
    struct vmm_kvm *kvm = port;
    struct kvm_irq_level irq;

    memset(&irq, 0, sizeof(irq));
    /* irq field layout: type in bits 24..27, INTID in bits 0..15 (api.rst 4.25) */
    irq.irq = (KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT) | (32u + line);
    irq.level = level ? 1 : 0;
    if (ioctl(kvm->vm_fd, KVM_IRQ_LINE, &irq) < 0) {
        int err = errno;
        vmm_err("KVM_IRQ_LINE (line %u, level %d): %s", line, irq.level, strerror(err));
        return kvm_err(err);
    }
    return 0;
}

static int kvm_port_map_ram(void *port, uint64_t gpa, uint64_t size, void **hva)
{
    struct vmm_kvm *kvm = port;
    int ret = vmm_kvm_add_ram(kvm, gpa, size);

    if (ret == 0)
        *hva = kvm->ram[kvm->nr_ram - 1].hva;
    return ret;
}

static struct vmm_kvm_vcpu *kvm_port_vcpu(struct vmm_kvm *kvm, unsigned index)
{
    if (index >= kvm->nr_vcpus || kvm->vcpus[index].fd < 0) {
        vmm_err("kvm: vCPU %u does not exist (%u created)", index, kvm->nr_vcpus);
        return NULL;
    }
    return &kvm->vcpus[index];
}

/* Only while no vCPU thread runs (before vmm_kvm_run() or between runs):
 * once the guest runs, KVM's own PSCI starts and stops vCPUs. */
static int kvm_port_vcpu_start(void *port, unsigned index, uint64_t pc, uint64_t x0)
{
    struct vmm_kvm_vcpu *vcpu = kvm_port_vcpu(port, index);
    int ret;

    if (vcpu == NULL)
        return -VMM_EINVAL;
    ret = kvm_vcpu_set_boot_regs(vcpu, pc, x0);
    if (ret == 0 && index != 0)
        ret = kvm_vcpu_set_power(vcpu, true);
    return ret;
}

static void kvm_port_vcpu_stop(void *port, unsigned index)
{
    struct vmm_kvm_vcpu *vcpu = kvm_port_vcpu(port, index);

    if (vcpu != NULL)
        kvm_vcpu_set_power(vcpu, false);
}

/* KVM_ARM_VCPU_INIT again resets every register of a vCPU (its timer
 * too) and powers the secondaries off; the in-kernel PSCI state follows. */
static int kvm_port_reset(void *port)
{
    struct vmm_kvm *kvm = port;

    for (unsigned i = 0; i < kvm->nr_vcpus; i++) {
        int ret = kvm_vcpu_init(&kvm->vcpus[i]);
        if (ret < 0)
            return ret;
    }
    return 0;
}

static const struct vmm_port_ops kvm_port_ops = {
    .irq_set = kvm_port_irq_set,
    .map_ram = kvm_port_map_ram,
    .vcpu_start = kvm_port_vcpu_start,
    .vcpu_stop = kvm_port_vcpu_stop,
    .reset = kvm_port_reset,
};

static int kvm_open_dev(struct vmm_kvm *kvm)
{
    int err;

    kvm->kvm_fd = open(KVM_DEV_PATH, O_RDWR | O_CLOEXEC);
    if (kvm->kvm_fd >= 0)
        return 0;
    err = errno;
    switch (err) {
    case ENOENT:
    case ENODEV:
    case ENXIO:
        vmm_err("%s: %s — this host has no KVM", KVM_DEV_PATH, strerror(err));
        break;
    case EACCES:
    case EPERM:
        vmm_err("%s: %s — run as root or join the group that owns %s", KVM_DEV_PATH, strerror(err),
                KVM_DEV_PATH);
        break;
    default:
        vmm_err("%s: %s", KVM_DEV_PATH, strerror(err));
        break;
    }
    return kvm_err(err);
}

static int kvm_check_caps(struct vmm_kvm *kvm)
{
    int version = ioctl(kvm->kvm_fd, KVM_GET_API_VERSION, 0);

    if (version != KVM_API_VERSION) {
        vmm_err("%s: KVM API version %d, stdvmm needs %d", KVM_DEV_PATH, version, KVM_API_VERSION);
        return -VMM_ENOTSUP;
    }
    for (size_t i = 0; i < sizeof(kvm_required_caps) / sizeof(kvm_required_caps[0]); i++) {
        if (ioctl(kvm->kvm_fd, KVM_CHECK_EXTENSION, kvm_required_caps[i].cap) <= 0) {
            vmm_err("%s: KVM lacks %s, which stdvmm needs", KVM_DEV_PATH,
                    kvm_required_caps[i].name);
            return -VMM_ENOTSUP;
        }
    }
    return 0;
}

/* SIGINT/SIGTERM/SIGHUP become readable on signal_fd instead of killing
 * the process, so the run loop can stop the vCPUs and restore the tty. */
static int kvm_setup_signals(struct vmm_kvm *kvm)
{
    sigset_t set;
    int err;

    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    err = pthread_sigmask(SIG_BLOCK, &set, &kvm->old_mask);
    if (err != 0) {
        vmm_err("pthread_sigmask: %s", strerror(err));
        return kvm_err(err);
    }
    kvm->mask_saved = true;
    kvm->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (kvm->signal_fd < 0) {
        err = errno;
        vmm_err("signalfd: %s", strerror(err));
        return kvm_err(err);
    }
    return 0;
}

/* Accesses KVM cannot decode (a load/store pair, a load with writeback...)
 * then reach us as KVM_EXIT_ARM_NISV (kvm_vcpu.c injects an abort); without
 * it KVM_RUN fails with ENOSYS and one guest instruction stops the VMM. */
static void kvm_enable_nisv_exits(struct vmm_kvm *kvm)
{
    struct kvm_enable_cap cap = {.cap = KVM_CAP_ARM_NISV_TO_USER};

    if (ioctl(kvm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_ARM_NISV_TO_USER) <= 0 ||
        ioctl(kvm->vm_fd, KVM_ENABLE_CAP, &cap) < 0)
        vmm_warn("kvm: no KVM_CAP_ARM_NISV_TO_USER: a guest access KVM cannot decode will "
                 "stop the VM");
}

int vmm_kvm_open(struct vmm_kvm *kvm, struct vmm_vm *vm)
{
    int ret, err;

    memset(kvm, 0, sizeof(*kvm));
    kvm->vm = vm;
    kvm->kvm_fd = kvm->vm_fd = kvm->vgic_fd = kvm->stop_fd = kvm->signal_fd = -1;
    atomic_init(&kvm->stopping, false);
    atomic_init(&kvm->stop_reason, VMM_KVM_STOP_NONE);
    for (unsigned i = 0; i < VMM_MAX_VCPUS; i++)
        kvm->vcpus[i].fd = -1;
    err = pthread_mutex_init(&kvm->lock, NULL);
    if (err == 0)
        err = pthread_mutex_init(&kvm->pause_lock, NULL);
    if (err == 0)
        err = pthread_cond_init(&kvm->pause_cond, NULL);
    if (err != 0)
        return kvm_err(err);
    atomic_init(&kvm->pause_requested, false);
    atomic_init(&kvm->run_mask, 0);
    atomic_init(&kvm->debugging, false);
    atomic_init(&kvm->debug_stop, -1);
    kvm->debug_fd = -1;

    ret = kvm_open_dev(kvm);
    if (ret < 0)
        return ret;
    ret = kvm_check_caps(kvm);
    if (ret < 0)
        return ret;
    ret = ioctl(kvm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (ret <= 0) {
        vmm_err("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
        return -VMM_EIO;
    }
    kvm->run_size = (size_t)ret;
    kvm->vm_fd = ioctl(kvm->kvm_fd, KVM_CREATE_VM, 0UL);
    if (kvm->vm_fd < 0) {
        err = errno;
        vmm_err("KVM_CREATE_VM: %s", strerror(err));
        return kvm_err(err);
    }
    kvm->ipa_bits = KVM_DEFAULT_IPA_BITS;
    kvm_enable_nisv_exits(kvm);
    kvm->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (kvm->stop_fd < 0) {
        err = errno;
        vmm_err("eventfd: %s", strerror(err));
        return kvm_err(err);
    }
    ret = kvm_setup_signals(kvm);
    if (ret < 0)
        return ret;
    vmm_vm_set_port(vm, &kvm_port_ops, kvm);
    vmm_dbg("kvm: VM created (vcpu mmap size %zu)", kvm->run_size);
    return 0;
}

/*
 * Guest RAM at a 2 MiB-aligned host address, asking for transparent huge
 * pages: KVM maps stage 2 in 2 MiB blocks only where the host address and
 * the guest address agree modulo 2 MiB and a huge page backs them, so the
 * guest's first touches fault once per 2 MiB instead of once per 4 KiB
 * (docs/PERFORMANCE.md, boot). Over-allocates by 2 MiB and trims.
 */
static void *kvm_map_ram(size_t size)
{
    const size_t huge = (size_t)2 << 20;
    uint8_t *raw, *hva;
    size_t head;

    if (size > SIZE_MAX - huge)
        return mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                    -1, 0);
    raw = mmap(NULL, size + huge, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (raw == MAP_FAILED)
        return MAP_FAILED;
    head = (huge - ((uintptr_t)raw & (huge - 1))) & (huge - 1);
    hva = raw + head;
    if (head != 0)
        munmap(raw, head);
    munmap(hva + size, huge - head);
    (void)madvise(hva, size, MADV_HUGEPAGE); /* advisory: EINVAL without THP */
    return hva;
}

/*
 * Guest RAM a vhost-user backend can map: a memfd of @size bytes mapped
 * MAP_SHARED at a 2 MiB-aligned address (reserved first, then the memfd
 * mapped over it). Only the memfd is handed over: it holds guest RAM and
 * nothing else of stdvmm's. Returns the address or MAP_FAILED (*@fd -1).
 */
static void *kvm_map_shared_ram(size_t size, int *fd)
{
    const size_t huge = (size_t)2 << 20;
    uint8_t *raw, *hva;
    void *p;
    size_t head;
    int err;

    *fd = memfd_create("stdvmm-guest-ram", MFD_CLOEXEC);
    if (*fd < 0)
        return MAP_FAILED;
    if (ftruncate(*fd, (off_t)size) < 0 || size > SIZE_MAX - huge)
        goto fail;
    raw = mmap(NULL, size + huge, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (raw == MAP_FAILED)
        goto fail;
    head = (huge - ((uintptr_t)raw & (huge - 1))) & (huge - 1);
    hva = raw + head;
    p = mmap(hva, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, *fd, 0);
    if (p == MAP_FAILED) {
        err = errno;
        munmap(raw, size + huge);
        errno = err;
        goto fail;
    }
    if (head != 0)
        munmap(raw, head);
    munmap(hva + size, huge - head);
    (void)madvise(hva, size, MADV_HUGEPAGE); /* shmem THP only if the host allows it */
    return hva;
fail:
    err = errno;
    close(*fd);
    *fd = -1;
    errno = err;
    return MAP_FAILED;
}

int vmm_kvm_add_ram(struct vmm_kvm *kvm, uint64_t gpa, uint64_t size)
{
    int fd = -1;
    struct kvm_userspace_memory_region region;
    long page = sysconf(_SC_PAGESIZE);
    uint64_t ipa_limit = 1ULL << kvm->ipa_bits;
    void *hva;
    int ret, err;

    if (page <= 0)
        page = 4096;
    if (size == 0 || gpa % (uint64_t)page != 0 || size % (uint64_t)page != 0) {
        vmm_err("guest RAM [0x%llx, +0x%llx): not page aligned", (unsigned long long)gpa,
                (unsigned long long)size);
        return -VMM_EINVAL;
    }
    if (gpa >= ipa_limit || size > ipa_limit - gpa) {
        vmm_err("guest RAM [0x%llx, +0x%llx) ends beyond the VM's %u-bit physical space",
                (unsigned long long)gpa, (unsigned long long)size, kvm->ipa_bits);
        return -VMM_ERANGE;
    }
    if (kvm->nr_ram >= VMM_MAX_RAM_REGIONS)
        return -VMM_ENOSPC;
    if (size > SIZE_MAX)
        return -VMM_E2BIG;
    hva = kvm->shared_ram ? kvm_map_shared_ram((size_t)size, &fd) : kvm_map_ram((size_t)size);
    if (hva == MAP_FAILED) {
        err = errno;
        vmm_err("guest RAM: mmap of %llu bytes: %s", (unsigned long long)size, strerror(err));
        return kvm_err(err);
    }
    ret = vmm_vm_add_ram(kvm->vm, gpa, size, hva);
    if (ret < 0) {
        vmm_err("guest RAM [0x%llx, +0x%llx): %s", (unsigned long long)gpa,
                (unsigned long long)size, vmm_strerror(ret));
        munmap(hva, (size_t)size);
        if (fd >= 0)
            close(fd);
        return ret;
    }
    memset(&region, 0, sizeof(region));
    region.slot = kvm->nr_ram;
    region.guest_phys_addr = gpa;
    region.memory_size = size;
    region.userspace_addr = (uint64_t)(uintptr_t)hva;
    if (ioctl(kvm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
        err = errno;
        vmm_err("KVM_SET_USER_MEMORY_REGION [0x%llx, +0x%llx): %s", (unsigned long long)gpa,
                (unsigned long long)size, strerror(err));
        /* The region stays in vm->mem until the VM goes away; keep the
         * mapping so that entry never dangles. */
        kvm->ram[kvm->nr_ram++] = (struct vmm_kvm_ram){hva, gpa, size, fd};
        return kvm_err(err);
    }
    kvm->ram[kvm->nr_ram++] = (struct vmm_kvm_ram){hva, gpa, size, fd};
    vmm_dbg("kvm: RAM slot %u at 0x%llx, %llu MiB%s", region.slot, (unsigned long long)gpa,
            (unsigned long long)(size >> 20), fd >= 0 ? " (memfd, shareable)" : "");
    return 0;
}

int vmm_kvm_create_vcpus(struct vmm_kvm *kvm, uint64_t gicd, uint64_t gicr)
{
    int ret;

    ret = kvm_gic_create(kvm, gicd, gicr);
    if (ret < 0)
        return ret;
    for (unsigned i = 0; i < kvm->vm->nr_vcpus; i++) {
        ret = kvm_vcpu_create(kvm, i);
        if (ret < 0)
            return ret;
    }
    return kvm_gic_init(kvm);
}

void vmm_kvm_close(struct vmm_kvm *kvm)
{
    for (unsigned i = 0; i < kvm->nr_vcpus; i++)
        kvm_vcpu_destroy(&kvm->vcpus[i]);
    kvm->nr_vcpus = 0;
    if (kvm->vgic_fd >= 0)
        close(kvm->vgic_fd);
    if (kvm->vm_fd >= 0)
        close(kvm->vm_fd);
    if (kvm->kvm_fd >= 0)
        close(kvm->kvm_fd);
    if (kvm->stop_fd >= 0)
        close(kvm->stop_fd);
    if (kvm->signal_fd >= 0)
        close(kvm->signal_fd);
    if (kvm->debug_fd >= 0)
        close(kvm->debug_fd);
    kvm->debug_fd = -1;
    kvm->vgic_fd = kvm->vm_fd = kvm->kvm_fd = kvm->stop_fd = kvm->signal_fd = -1;
    /* Guest RAM stays mapped: vm->mem still points at it and the caller may
     * inspect it; the process exit releases it. A memfd can go (the
     * mapping keeps its pages). */
    for (unsigned i = 0; i < kvm->nr_ram; i++)
        if (kvm->ram[i].fd >= 0) {
            close(kvm->ram[i].fd);
            kvm->ram[i].fd = -1;
        }
    if (kvm->mask_saved) {
        pthread_sigmask(SIG_SETMASK, &kvm->old_mask, NULL);
        kvm->mask_saved = false;
    }
}
