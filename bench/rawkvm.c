/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rawkvm: the least a VMM can do per exit, as the physical limit for the
 * exit-cost benchmark. One vCPU, no interrupt controller, 16 MiB of RAM at
 * 0x40000000 with an arm64 Image at its text_offset; every KVM_EXIT_MMIO is
 * answered with nothing (reads give 0) except a write to the PL011 data
 * register at 0x09000000, which goes to stdout. Stops on PSCI SYSTEM_OFF
 * (KVM_EXIT_SYSTEM_EVENT). Usage: rawkvm [--vgic] IMAGE
 * --vgic adds an in-kernel GICv3 the way stdvmm's KVM port creates it
 * (Documentation/virt/kvm/devices/arm-vgic-v3.rst: device before the vCPU,
 * distributor 0x08000000, redistributors 0x080a0000, 128 INTIDs, CTRL_INIT
 * after the vCPU), so the kernel's per-exit vGIC save/restore is counted.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define RAM_BASE 0x40000000ull
#define RAM_SIZE (16ull << 20)
#define UART_DR 0x09000000ull
#define GICD_BASE 0x08000000ull /* as stdvmm (VMM_ARM64_GICD_BASE) */
#define GICR_BASE 0x080a0000ull /* as stdvmm (VMM_ARM64_GICR_BASE) */
#define GIC_NR_IRQS 128u        /* as stdvmm (ports/kvm/kvm_gic.c) */
#define CORE_REG(field)                                                                            \
    (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG(field))

static void die(const char *what)
{
    fprintf(stderr, "rawkvm: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void set_reg(int vcpu, uint64_t id, uint64_t value)
{
    struct kvm_one_reg reg = {.id = id, .addr = (uint64_t)(uintptr_t)&value};

    if (ioctl(vcpu, KVM_SET_ONE_REG, &reg) < 0)
        die("KVM_SET_ONE_REG");
}

static void gic_attr(int dev, uint32_t group, uint64_t attr, void *addr)
{
    struct kvm_device_attr da = {.group = group, .attr = attr, .addr = (uint64_t)(uintptr_t)addr};

    if (ioctl(dev, KVM_SET_DEVICE_ATTR, &da) < 0)
        die("vGICv3 KVM_SET_DEVICE_ATTR");
}

/* Create the vGICv3 (before any vCPU); returns its device fd. */
static int gic_create(int vm)
{
    struct kvm_create_device cd = {.type = KVM_DEV_TYPE_ARM_VGIC_V3};
    uint64_t gicd = GICD_BASE, gicr = GICR_BASE;
    uint32_t nr_irqs = GIC_NR_IRQS;

    if (ioctl(vm, KVM_CREATE_DEVICE, &cd) < 0)
        die("KVM_CREATE_DEVICE vGICv3");
    gic_attr((int)cd.fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &gicd);
    gic_attr((int)cd.fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &gicr);
    gic_attr((int)cd.fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr_irqs);
    return (int)cd.fd;
}

/* Copy the Image to RAM + text_offset; returns text_offset. */
static uint64_t load_image(const char *path, uint8_t *ram)
{
    uint64_t text_offset;
    uint8_t head[64];
    struct stat st;
    int fd = open(path, O_RDONLY);

    if (fd < 0 || fstat(fd, &st) < 0)
        die(path);
    if (st.st_size < 64 || (uint64_t)st.st_size > RAM_SIZE / 2) {
        fprintf(stderr, "rawkvm: %s: not a small arm64 Image\n", path);
        exit(1);
    }
    if (read(fd, head, sizeof(head)) != (ssize_t)sizeof(head))
        die(path);
    memcpy(&text_offset, head + 8, sizeof(text_offset));
    if (memcmp(head + 56, "ARM\x64", 4) != 0 || text_offset > RAM_SIZE / 2) {
        fprintf(stderr, "rawkvm: %s: bad Image header\n", path);
        exit(1);
    }
    if (pread(fd, ram + text_offset, (size_t)st.st_size, 0) != st.st_size)
        die(path);
    close(fd);
    return text_offset;
}

int main(int argc, char **argv)
{
    struct kvm_vcpu_init init;
    struct kvm_run *run;
    uint64_t exits = 0, text_offset;
    uint8_t *ram;
    int kvm, vm, vcpu, gic = -1;
    long run_size;
    int vgic = argc == 3 && strcmp(argv[1], "--vgic") == 0;

    if (argc != 2 + vgic) {
        fprintf(stderr, "usage: rawkvm [--vgic] IMAGE\n");
        return 2;
    }
    kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0)
        die("/dev/kvm");
    vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0)
        die("KVM_CREATE_VM");
    ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ram == MAP_FAILED)
        die("mmap");
    struct kvm_userspace_memory_region region = {
        .slot = 0,
        .guest_phys_addr = RAM_BASE,
        .memory_size = RAM_SIZE,
        .userspace_addr = (uint64_t)(uintptr_t)ram,
    };
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
        die("KVM_SET_USER_MEMORY_REGION");
    text_offset = load_image(argv[1 + vgic], ram);
    if (vgic)
        gic = gic_create(vm);

    vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0)
        die("KVM_CREATE_VCPU");
    if (ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init) < 0)
        die("KVM_ARM_PREFERRED_TARGET");
    init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
    if (ioctl(vcpu, KVM_ARM_VCPU_INIT, &init) < 0)
        die("KVM_ARM_VCPU_INIT");
    if (gic >= 0)
        gic_attr(gic, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
    run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED)
        die("mmap kvm_run");
    set_reg(vcpu, CORE_REG(regs.pc), RAM_BASE + text_offset);
    set_reg(vcpu, CORE_REG(regs.pstate), 0x3c5); /* EL1h, DAIF masked */

    for (;;) {
        if (ioctl(vcpu, KVM_RUN, 0) < 0) {
            if (errno == EINTR)
                continue;
            die("KVM_RUN");
        }
        exits++;
        if (run->exit_reason == KVM_EXIT_MMIO) {
            if (run->mmio.is_write && run->mmio.phys_addr == UART_DR)
                putchar(run->mmio.data[0]);
            else if (!run->mmio.is_write)
                memset(run->mmio.data, 0, sizeof(run->mmio.data));
            continue;
        }
        if (run->exit_reason == KVM_EXIT_SYSTEM_EVENT)
            break;
        fprintf(stderr, "rawkvm: unexpected exit reason %u\n", run->exit_reason);
        return 1;
    }
    fflush(stdout);
    fprintf(stderr, "rawkvm: %llu exits%s\n", (unsigned long long)exits, vgic ? " (vGICv3)" : "");
    return 0;
}
