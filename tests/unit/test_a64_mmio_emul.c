/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ISV=0 MMIO emulation end to end on the host: a fake vCPU register file, a
 * fake guest RAM holding the instruction (and page tables), and a fake
 * device on the VM's MMIO bus. Instruction words from aarch64-linux-gnu-as.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "stdvmm/aarch64_emul.h"
#include "stdvmm/err.h"
#include "stdvmm/vm.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE (1u << 20)
#define DEV_BASE 0x0a000000ull
#define CODE (RAM_BASE + 0x8000) /* where the trapping instruction sits */
#define EL1H 0x3c5ull
#define EL1T 0x3c4ull
#define EL0 0x0ull

/* ---- fake vCPU */
struct fake_cpu {
    uint64_t r[VMM_A64_NR_REGS];
    int fail_reg; /* reading this register fails (-1: none) */
    unsigned writes;
    bool wrote[VMM_A64_NR_REGS];
};

static int cpu_read(void *ctx, enum vmm_a64_reg reg, uint64_t *v)
{
    struct fake_cpu *c = ctx;

    assert_true(reg < VMM_A64_NR_REGS);
    if ((int)reg == c->fail_reg)
        return -VMM_EIO;
    *v = c->r[reg];
    return 0;
}

static int cpu_write(void *ctx, enum vmm_a64_reg reg, uint64_t v)
{
    struct fake_cpu *c = ctx;

    assert_true(reg <= VMM_A64_PC); /* never PSTATE or a system register */
    c->r[reg] = v;
    c->wrote[reg] = true;
    c->writes++;
    return 0;
}

static const struct vmm_a64_regs_ops cpu_ops = {cpu_read, cpu_write};

/* ---- fake device: 4 KiB of little-endian registers, accesses logged */
struct fake_dev {
    uint8_t regs[0x1000];
    unsigned n;
    struct vmm_access log[4];
};

static int dev_read(void *o, uint64_t off, unsigned size, uint64_t *v)
{
    struct fake_dev *d = o;

    *v = 0;
    for (unsigned i = 0; i < size; i++)
        *v |= (uint64_t)d->regs[off + i] << (8 * i);
    if (d->n < 4)
        d->log[d->n] = (struct vmm_access){.addr = off, .size = (uint8_t)size, .value = *v};
    d->n++;
    return 0;
}

static int dev_write(void *o, uint64_t off, unsigned size, uint64_t v)
{
    struct fake_dev *d = o;

    for (unsigned i = 0; i < size; i++)
        d->regs[off + i] = (uint8_t)(v >> (8 * i));
    if (d->n < 4)
        d->log[d->n] =
            (struct vmm_access){.addr = off, .size = (uint8_t)size, .value = v, .write = true};
    d->n++;
    return 0;
}

static const struct vmm_mmio_ops dev_ops = {dev_read, dev_write};

static uint8_t ram[RAM_SIZE] __attribute__((aligned(4096)));
static struct vmm_vm vm;
static struct fake_dev dev;
static struct fake_cpu cpu;

static int setup(void **state)
{
    (void)state;
    memset(ram, 0, sizeof(ram));
    memset(&dev, 0, sizeof(dev));
    memset(&cpu, 0, sizeof(cpu));
    cpu.fail_reg = -1;
    cpu.r[VMM_A64_PSTATE] = EL1H;
    cpu.r[VMM_A64_PC] = CODE;
    assert_int_equal(vmm_vm_init(&vm, "emul", 1), 0);
    assert_int_equal(vmm_vm_add_ram(&vm, RAM_BASE, RAM_SIZE, ram), 0);
    assert_int_equal(vmm_mmio_register(&vm.bus, DEV_BASE, 0x1000, &dev_ops, &dev, "fake"), 0);
    /* virtio-mmio MagicValue and Version */
    memcpy(dev.regs, "virt", 4);
    dev.regs[4] = 2;
    return 0;
}

static void put32(uint64_t gpa, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++)
        ram[gpa - RAM_BASE + i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint64_t gpa, uint64_t v)
{
    put32(gpa, (uint32_t)v);
    put32(gpa + 4, (uint32_t)(v >> 32));
}

/* Emulate @insn at CODE for a trap at @ipa: all three phases. */
static int emulate(uint32_t insn, uint64_t ipa)
{
    struct vmm_a64_mmio op;
    int ret;

    put32(CODE, insn);
    ret = vmm_a64_mmio_prepare(&vm.mem, &cpu_ops, &cpu, ipa, 0, &op);
    if (ret < 0)
        return ret;
    vmm_a64_mmio_run(&vm, &op);
    return vmm_a64_mmio_complete(&cpu_ops, &cpu, &op);
}

static void emul_ldp_reads_magic_and_version(void **state)
{
    (void)state;
    cpu.r[3] = DEV_BASE;
    assert_int_equal(emulate(0x29400861 /* ldp w1, w2, [x3] */, DEV_BASE), 0);
    assert_int_equal(cpu.r[1], 0x74726976); /* "virt" */
    assert_int_equal(cpu.r[2], 2);
    assert_int_equal(cpu.r[3], DEV_BASE); /* no writeback */
    assert_int_equal(cpu.r[VMM_A64_PC], CODE + 4);
    assert_int_equal(dev.n, 2);
    assert_int_equal(dev.log[0].addr, 0);
    assert_int_equal(dev.log[0].size, 4);
    assert_int_equal(dev.log[1].addr, 4);
}

static void emul_ldp_pre_and_post_index_write_back(void **state)
{
    (void)state;
    dev.regs[0x10] = 0x11;
    dev.regs[0x18] = 0x22;
    cpu.r[6] = DEV_BASE + 0x20;
    assert_int_equal(emulate(0xa9ff14c4 /* ldp x4, x5, [x6, #-16]! */, DEV_BASE + 0x10), 0);
    assert_int_equal(cpu.r[4], 0x11);
    assert_int_equal(cpu.r[5], 0x22);
    assert_int_equal(cpu.r[6], DEV_BASE + 0x10);
    cpu.r[VMM_A64_PC] = CODE;
    assert_int_equal(emulate(0xa8c214c4 /* ldp x4, x5, [x6], #32 */, DEV_BASE + 0x18), 0);
    assert_int_equal(cpu.r[4], 0x11);
    assert_int_equal(cpu.r[6], DEV_BASE + 0x30);
}

static void emul_stp_writes_both_registers(void **state)
{
    (void)state;
    cpu.r[7] = 0x1111111155555555ull;
    cpu.r[8] = 0x2222222266666666ull;
    cpu.r[9] = DEV_BASE + 0x40;
    assert_int_equal(emulate(0x29012127 /* stp w7, w8, [x9, #8] */, DEV_BASE + 0x48), 0);
    assert_int_equal(dev.n, 2);
    assert_true(dev.log[0].write);
    assert_int_equal(dev.log[0].addr, 0x48);
    assert_int_equal(dev.log[0].value, 0x55555555); /* Wt: low half only */
    assert_int_equal(dev.log[1].addr, 0x4c);
    assert_int_equal(dev.log[1].value, 0x66666666);
}

/* stp x7, xzr, [sp, #-16]!: SP_EL1 at EL1h, SP_EL0 at EL1t; XZR stores 0. */
static void emul_stp_with_sp_base_and_xzr(void **state)
{
    (void)state;
    cpu.r[7] = 0x77;
    cpu.r[VMM_A64_SP_EL1] = DEV_BASE + 0x100;
    cpu.r[VMM_A64_SP_EL0] = 0x1234;
    memset(dev.regs + 0xf0, 0xff, 16);
    assert_int_equal(emulate(0xa9bf7fe7, DEV_BASE + 0xf0), 0);
    assert_int_equal(cpu.r[VMM_A64_SP_EL1], DEV_BASE + 0xf0);
    assert_int_equal(cpu.r[VMM_A64_SP_EL0], 0x1234);
    assert_int_equal(dev.log[0].value, 0x77);
    assert_int_equal(dev.log[1].value, 0);
    cpu.r[VMM_A64_PSTATE] = EL1T;
    cpu.r[VMM_A64_PC] = CODE;
    cpu.r[VMM_A64_SP_EL0] = DEV_BASE + 0x200;
    assert_int_equal(emulate(0xa9bf7fe7, DEV_BASE + 0x1f0), 0);
    assert_int_equal(cpu.r[VMM_A64_SP_EL0], DEV_BASE + 0x1f0);
    assert_int_equal(cpu.r[VMM_A64_SP_EL1], DEV_BASE + 0xf0);
}

static void emul_ldr_str_writeback(void **state)
{
    (void)state;
    dev.regs[0x70] = 0x0f;
    cpu.r[2] = DEV_BASE + 0x70;
    assert_int_equal(emulate(0xb8404441 /* ldr w1, [x2], #4 */, DEV_BASE + 0x70), 0);
    assert_int_equal(cpu.r[1], 0x0f);
    assert_int_equal(cpu.r[2], DEV_BASE + 0x74);
    cpu.r[VMM_A64_PC] = CODE;
    cpu.r[1] = 0xaabbccddeeff0011ull;
    cpu.r[2] = DEV_BASE + 0x88;
    assert_int_equal(emulate(0xf81f8c41 /* str x1, [x2, #-8]! */, DEV_BASE + 0x80), 0);
    assert_int_equal(cpu.r[2], DEV_BASE + 0x80);
    assert_int_equal(dev.log[1].size, 8);
    assert_int_equal(dev.log[1].value, 0xaabbccddeeff0011ull);
}

static void emul_sign_extending_loads(void **state)
{
    static const struct {
        uint32_t insn;
        const char *text;
        uint64_t want;
    } cases[] = {
        {0x39c00041, "ldrsb w1, [x2]", 0xfffffff0ull},
        {0x39800041, "ldrsb x1, [x2]", 0xfffffffffffffff0ull},
        {0x79c00041, "ldrsh w1, [x2]", 0xffff80f0ull},
        {0x79800041, "ldrsh x1, [x2]", 0xffffffffffff80f0ull},
        {0xb9800041, "ldrsw x1, [x2]", 0xffffffff807f80f0ull},
        {0xb9400041 | 0, "ldr w1, [x2]", 0x807f80f0ull},
        {0x39400041, "ldrb w1, [x2]", 0xf0ull},
    };
    (void)state;
    dev.regs[0x20] = 0xf0;
    dev.regs[0x21] = 0x80;
    dev.regs[0x22] = 0x7f;
    dev.regs[0x23] = 0x80;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        print_message("%s\n", cases[i].text);
        cpu.r[VMM_A64_PC] = CODE;
        cpu.r[1] = 0x5555555555555555ull;
        cpu.r[2] = DEV_BASE + 0x20;
        assert_int_equal(emulate(cases[i].insn, DEV_BASE + 0x20), 0);
        assert_int_equal(cpu.r[1], cases[i].want);
    }
}

static void emul_ldpsw_sign_extends_both(void **state)
{
    (void)state;
    memcpy(dev.regs + 0x28, "\xfe\xff\xff\xff\x05\x00\x00\x00", 8);
    cpu.r[3] = DEV_BASE + 0x20;
    assert_int_equal(emulate(0x69410861 /* ldpsw x1, x2, [x3, #8] */, DEV_BASE + 0x28), 0);
    assert_int_equal(cpu.r[1], (uint64_t)-2);
    assert_int_equal(cpu.r[2], 5);
}

static void emul_register_offset_extends(void **state)
{
    (void)state;
    dev.regs[0x38] = 0x9;
    cpu.r[2] = DEV_BASE + 0x40;
    cpu.r[3] = 0xfffffffeull; /* w3 = -2: sxtw #2 -> -8 */
    assert_int_equal(emulate(0xb863d841 /* ldr w1, [x2, w3, sxtw #2] */, DEV_BASE + 0x38), 0);
    assert_int_equal(cpu.r[1], 9);
    assert_int_equal(cpu.r[2], DEV_BASE + 0x40);
}

static void emul_load_into_xzr_writes_nothing(void **state)
{
    (void)state;
    cpu.r[2] = DEV_BASE;
    cpu.r[VMM_A64_SP_EL0] = 0x5150;
    assert_int_equal(emulate(0xf940005f /* ldr xzr, [x2] */, DEV_BASE), 0);
    assert_int_equal(cpu.r[VMM_A64_SP_EL0], 0x5150); /* not "X31" */
    assert_int_equal(cpu.writes, 1);                 /* PC only */
}

/* MMU on: the instruction and the device both behind stage-1 mappings;
 * the 4K tables of start.S's shape (T0SZ = 25, level 1 blocks) plus a page. */
static void emul_walks_stage1_for_fetch_and_data(void **state)
{
    const uint64_t l1 = RAM_BASE + 0x1000, l2 = RAM_BASE + 0x2000, l3 = RAM_BASE + 0x3000;
    const uint64_t code_va = 0x7f00000000ull + 0x8000; /* VA of the instruction */
    const uint64_t dev_va = 0x12345000ull;
    (void)state;
    put64(l1, l2 | 3);                         /* VA 0..1 GiB -> l2 */
    put64(l1 + 0x1fc * 8, 0x40000000 | 0x401); /* VA 0x7f00000000: 1 GiB block -> RAM */
    put64(l2 + (dev_va >> 21) * 8, l3 | 3);
    put64(l3 + ((dev_va >> 12) & 0x1ff) * 8, DEV_BASE | 0x403);
    cpu.r[VMM_A64_SCTLR_EL1] = 1;
    cpu.r[VMM_A64_TCR_EL1] = 25 | (1ull << 23);
    cpu.r[VMM_A64_TTBR0_EL1] = l1;
    cpu.r[VMM_A64_PC] = code_va;
    put32(RAM_BASE + 0x8000, 0x29400861); /* ldp w1, w2, [x3] */
    cpu.r[3] = dev_va;
    {
        struct vmm_a64_mmio op;
        assert_int_equal(vmm_a64_mmio_prepare(&vm.mem, &cpu_ops, &cpu, DEV_BASE + 4, 0, &op), 0);
        assert_int_equal(op.va, dev_va);
        assert_int_equal(op.acc[0].addr, DEV_BASE);
        vmm_a64_mmio_run(&vm, &op);
        assert_int_equal(vmm_a64_mmio_complete(&cpu_ops, &cpu, &op), 0);
    }
    assert_int_equal(cpu.r[1], 0x74726976);
    assert_int_equal(cpu.r[2], 2);
    assert_int_equal(cpu.r[VMM_A64_PC], code_va + 4);
    /* The same instruction, the data page unmapped: translation fails. */
    put64(l3 + ((dev_va >> 12) & 0x1ff) * 8, 0);
    cpu.r[VMM_A64_PC] = code_va;
    {
        struct vmm_a64_mmio op;
        assert_int_equal(vmm_a64_mmio_prepare(&vm.mem, &cpu_ops, &cpu, DEV_BASE, 0, &op),
                         -VMM_EFAULT);
    }
}

/* Nothing reaches the bus and no register changes when the emulation
 * refuses: the port then injects an abort. */
static void emul_refusals_touch_nothing(void **state)
{
    struct vmm_a64_mmio op;
    (void)state;
    cpu.r[3] = DEV_BASE;
    /* The trap's IPA is not where the instruction points. */
    put32(CODE, 0x29400861);
    assert_int_equal(vmm_a64_mmio_prepare(&vm.mem, &cpu_ops, &cpu, DEV_BASE + 8, 0, &op),
                     -VMM_EFAULT);
    assert_int_equal(vmm_a64_mmio_prepare(&vm.mem, &cpu_ops, &cpu, DEV_BASE - 1, 0, &op),
                     -VMM_EFAULT);
    /* SIMD load. */
    assert_int_equal(emulate(0x3dc00060 /* ldr q0, [x3] */, DEV_BASE), -VMM_ENOTSUP);
    /* A pair across a 4 KiB boundary. */
    cpu.r[3] = DEV_BASE + 0xffc;
    assert_int_equal(emulate(0x29400861, DEV_BASE + 0xffc), -VMM_ENOTSUP);
    cpu.r[3] = DEV_BASE;
    /* PC outside RAM, PC misaligned. */
    cpu.r[VMM_A64_PC] = 0x1000;
    assert_int_equal(vmm_a64_mmio_prepare(&vm.mem, &cpu_ops, &cpu, DEV_BASE, 0, &op), -VMM_EFAULT);
    cpu.r[VMM_A64_PC] = CODE + 2;
    assert_int_equal(vmm_a64_mmio_prepare(&vm.mem, &cpu_ops, &cpu, DEV_BASE, 0, &op), -VMM_EFAULT);
    cpu.r[VMM_A64_PC] = CODE;
    /* AArch32, EL2, big-endian data. */
    cpu.r[VMM_A64_PSTATE] = 0x10;
    assert_int_equal(emulate(0x29400861, DEV_BASE), -VMM_ENOTSUP);
    cpu.r[VMM_A64_PSTATE] = 0x9;
    assert_int_equal(emulate(0x29400861, DEV_BASE), -VMM_ENOTSUP);
    cpu.r[VMM_A64_PSTATE] = EL1H;
    cpu.r[VMM_A64_SCTLR_EL1] = 1ull << 25;
    assert_int_equal(emulate(0x29400861, DEV_BASE), -VMM_ENOTSUP);
    cpu.r[VMM_A64_SCTLR_EL1] = 1ull << 25; /* EE, but the guest is at EL0: E0E decides */
    cpu.r[VMM_A64_PSTATE] = EL0;
    assert_int_equal(emulate(0x29400861, DEV_BASE), 0);
    assert_int_equal(dev.n, 2);
    cpu.writes = 0;
    dev.n = 0;
    cpu.r[VMM_A64_PC] = CODE;
    cpu.r[VMM_A64_PSTATE] = EL1H;
    cpu.r[VMM_A64_SCTLR_EL1] = 0;
    /* The port cannot read a register. */
    cpu.fail_reg = 3;
    assert_int_equal(emulate(0x29400861, DEV_BASE), -VMM_EIO);
    assert_int_equal(dev.n, 0);
    assert_int_equal(cpu.writes, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(emul_ldp_reads_magic_and_version, setup),
        cmocka_unit_test_setup(emul_ldp_pre_and_post_index_write_back, setup),
        cmocka_unit_test_setup(emul_stp_writes_both_registers, setup),
        cmocka_unit_test_setup(emul_stp_with_sp_base_and_xzr, setup),
        cmocka_unit_test_setup(emul_ldr_str_writeback, setup),
        cmocka_unit_test_setup(emul_sign_extending_loads, setup),
        cmocka_unit_test_setup(emul_ldpsw_sign_extends_both, setup),
        cmocka_unit_test_setup(emul_register_offset_extends, setup),
        cmocka_unit_test_setup(emul_load_into_xzr_writes_nothing, setup),
        cmocka_unit_test_setup(emul_walks_stage1_for_fetch_and_data, setup),
        cmocka_unit_test_setup(emul_refusals_touch_nothing, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
