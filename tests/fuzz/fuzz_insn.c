/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ISV=0 MMIO emulation (src/arch/aarch64/insn_decode.c, s1walk.c,
 * mmio_emul.c): the decoder on a raw word, then a whole emulation with the
 * vCPU's registers, PSTATE, SCTLR/TCR/TTBRs, the trap's IPA, the instruction
 * and the guest's page tables all from the input.
 *
 * Input: u32 word for the bare decoder; then the register file (flags byte,
 * PSTATE, SCTLR, TCR, TTBR0, TTBR1, PC offset, a base near the device and
 * up to 33 register overrides), the fault IPA offset, a byte making one
 * register read fail, then the rest fills guest RAM (instruction, tables).
 * Checked: decoded fields stay in range; an accepted access has 1 or 2
 * elements of one size inside one 4 KiB page containing the trap's IPA;
 * only X0..X30, SP and PC are written, PC last, as pc + 4; Wt loads clear
 * the upper half; a refusal touches no register and no device.
 */
#include <string.h>
#include "fuzz_support.h"
#include "stdvmm/aarch64_emul.h"
#include "stdvmm/err.h"

#define DEV_SIZE 0x1000u

struct fx {
    struct fz_guest g;
    uint64_t r[VMM_A64_NR_REGS];
    int fail_reg;
    unsigned writes, dev_accesses;
    bool pc_written;
    uint64_t dev_value;
};

static struct fx fx;

static int reg_read(void *ctx, enum vmm_a64_reg reg, uint64_t *v)
{
    struct fx *f = ctx;

    FZ_CHECK(reg < VMM_A64_NR_REGS);
    if ((int)reg == f->fail_reg)
        return -VMM_EIO;
    *v = f->r[reg];
    return 0;
}

static int reg_write(void *ctx, enum vmm_a64_reg reg, uint64_t v)
{
    struct fx *f = ctx;

    FZ_CHECK(reg <= VMM_A64_PC && !f->pc_written); /* PC is the last write */
    f->r[reg] = v;
    f->writes++;
    f->pc_written = reg == VMM_A64_PC;
    return 0;
}

static const struct vmm_a64_regs_ops regs_ops = {reg_read, reg_write};

static int dev_read(void *o, uint64_t off, unsigned size, uint64_t *v)
{
    struct fx *f = o;

    FZ_CHECK(off < DEV_SIZE && (size == 1 || size == 2 || size == 4 || size == 8));
    f->dev_accesses++;
    *v = f->dev_value;
    return 0;
}

static int dev_write(void *o, uint64_t off, unsigned size, uint64_t v)
{
    struct fx *f = o;

    FZ_CHECK(off < DEV_SIZE && (size == 1 || size == 2 || size == 4 || size == 8));
    FZ_CHECK(size == 8 || v >> (8 * size) == 0);
    f->dev_accesses++;
    return 0;
}

static const struct vmm_mmio_ops dev_ops = {dev_read, dev_write};

static void check_decode(uint32_t insn)
{
    struct vmm_a64_ldst d;

    if (vmm_a64_decode_ldst(insn, &d) < 0)
        return;
    FZ_CHECK(d.size == 1 || d.size == 2 || d.size == 4 || d.size == 8);
    FZ_CHECK(d.count == 1 || (d.count == 2 && d.size >= 4));
    FZ_CHECK(d.rt <= 31 && d.rt2 <= 31 && d.rn <= 31 && d.rm <= 31);
    FZ_CHECK(d.imm >= -512 && d.imm <= 4095 * 8);
    FZ_CHECK(!d.reg_offset || d.idx == VMM_A64_IDX_OFFSET);
    if (d.idx != VMM_A64_IDX_OFFSET && d.rn != 31)
        FZ_CHECK(d.rn != d.rt && (d.count == 1 || d.rn != d.rt2));
}

static void load_regs(struct fx *f, struct fz_in *in)
{
    uint8_t flags = fz_u8(in);
    uint64_t near = FZ_DEV_BASE + (fz_u16(in) & (DEV_SIZE - 1));

    for (unsigned i = 0; i < VMM_A64_NR_REGS; i++)
        f->r[i] = near;
    f->r[VMM_A64_PSTATE] = (flags & 1) ? fz_u64(in) : (flags & 2) ? 0x3c5 : 0x3c4;
    f->r[VMM_A64_SCTLR_EL1] = (flags & 4) ? fz_u64(in) : 0;
    f->r[VMM_A64_TCR_EL1] = fz_u64(in);
    f->r[VMM_A64_TTBR0_EL1] = FZ_RAM_GPA + (fz_u32(in) & (FZ_RAM_SIZE - 1));
    f->r[VMM_A64_TTBR1_EL1] = (flags & 8) ? fz_u64(in) : FZ_RAM_GPA;
    f->r[VMM_A64_PC] = (flags & 16) ? fz_u64(in) : FZ_RAM_GPA + (fz_u16(in) & (FZ_RAM_SIZE - 4));
    for (unsigned n = fz_u8(in) % 8; n > 0; n--) { /* a few registers from the input */
        unsigned r = fz_u8(in) % (VMM_A64_SP_EL1 + 1);
        f->r[r] = fz_u64(in);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_in in = {data, size};
    struct fx *f = &fx;
    struct vmm_a64_mmio op;
    uint64_t before[VMM_A64_NR_REGS], ipa, pc;
    int ret;

    check_decode(fz_u32(&in));
    fz_guest_init(&f->g, 1);
    f->writes = f->dev_accesses = 0;
    f->pc_written = false;
    FZ_CHECK(vmm_mmio_register(&f->g.vm.bus, FZ_DEV_BASE, DEV_SIZE, &dev_ops, f, "dev") == 0);
    load_regs(f, &in);
    ipa = FZ_DEV_BASE + (fz_u16(&in) % (DEV_SIZE + 16));
    f->fail_reg = (int)(fz_u8(&in) % 64) - 32; /* mostly none */
    f->dev_value = fz_u64(&in);
    for (unsigned i = 0; i < 2; i++)
        fz_fill(&in, f->g.ram[i], FZ_RAM_HALF);
    memcpy(before, f->r, sizeof(before));
    pc = f->r[VMM_A64_PC];

    ret = vmm_a64_mmio_prepare(&f->g.vm.mem, &regs_ops, f, ipa, 0, &op);
    FZ_CHECK(f->writes == 0 && f->dev_accesses == 0);
    if (ret < 0) {
        FZ_CHECK(ret == -VMM_ENOTSUP || ret == -VMM_EFAULT || ret == -VMM_EIO);
        FZ_CHECK(memcmp(before, f->r, sizeof(before)) == 0);
        fz_guest_free(&f->g);
        return 0;
    }
    check_decode(op.insn);
    FZ_CHECK(op.nr == op.ld.count && (op.nr == 1 || op.nr == 2));
    FZ_CHECK(op.acc[0].addr <= ipa && ipa - op.acc[0].addr < (uint64_t)op.nr * op.ld.size);
    FZ_CHECK((op.acc[0].addr & ~0xfffull) ==
             ((op.acc[op.nr - 1].addr + op.ld.size - 1) & ~0xfffull));
    vmm_a64_mmio_run(&f->g.vm, &op);
    FZ_CHECK(vmm_a64_mmio_complete(&regs_ops, f, &op) == 0);
    FZ_CHECK(f->pc_written && f->r[VMM_A64_PC] == pc + 4);
    if (op.ld.load && !op.ld.dst64 && op.ld.rt != 31)
        FZ_CHECK(f->r[op.ld.rt] >> 32 == 0);
    fz_guest_free(&f->g);
    return 0;
}
