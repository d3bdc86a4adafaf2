/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rawkvm: the least a VMM can do per exit, as the physical limit for the
 * exit-cost benchmark. One vCPU, no interrupt controller, 16 MiB of RAM at
 * 0x40000000 with an arm64 Image at its text_offset; every KVM_EXIT_MMIO is
 * answered with nothing (reads give 0) except a write to the PL011 data
 * register at 0x09000000, which goes to stdout. Stops on PSCI SYSTEM_OFF
 * (KVM_EXIT_SYSTEM_EVENT). Usage: rawkvm IMAGE
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
    int kvm, vm, vcpu;
    long run_size;

    if (argc != 2) {
        fprintf(stderr, "usage: rawkvm IMAGE\n");
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
    text_offset = load_image(argv[1], ram);

    vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0)
        die("KVM_CREATE_VCPU");
    if (ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init) < 0)
        die("KVM_ARM_PREFERRED_TARGET");
    init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
    if (ioctl(vcpu, KVM_ARM_VCPU_INIT, &init) < 0)
        die("KVM_ARM_VCPU_INIT");
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
    fprintf(stderr, "rawkvm: %llu exits\n", (unsigned long long)exits);
    return 0;
}
