/* SPDX-License-Identifier: BSD-2-Clause */
/* Inside stdvmm-init (the root task): what its files share. */
#ifndef STDVMM_SEL4INIT_INIT_H
#define STDVMM_SEL4INIT_INIT_H

#ifndef __thread
#define __thread /* one thread: libsel4's IPC buffer pointer is a plain global */
#endif
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sel4/sel4.h>
#include "../ut_alloc.h"
#include "stdvmm/sel4init.h"

struct init {
    seL4_BootInfo *bi;
    struct sel4init_ut_pool pool;
    seL4_CPtr next_slot, end_slot;
    uint64_t scratch; /* next free scratch vaddr in the root task's VSpace */
    /* When set, init_obj takes memory from one VM's own untypeds instead
     * of the bootinfo's (ctl_vm.c). */
    struct init_mem *alloc;
};

/* One VM's own untyped memory: objects of 2 MiB and more come from @large,
 * smaller ones from @small (so no small object breaks the 2 MiB alignment
 * of the large pieces); entry i of a pool is capability caps[i]. */
#define INIT_MEM_PIECES 32
struct init_mem {
    struct sel4init_ut_pool small, large;
    seL4_CPtr small_caps[INIT_MEM_PIECES], large_caps[INIT_MEM_PIECES];
};

/* Output on the kernel's debug console, prefixed "stdvmm-init: ". */
void init_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* objs.c: capability slots, objects from untyped memory, mappings. */
int init_slot(struct init *in, seL4_CPtr *slot);
/* Retype one object of @type (2^@bits bytes for sized types) into a new slot. */
int init_obj(struct init *in, seL4_Word type, unsigned bits, seL4_CPtr *cap, uint64_t *paddr);
/* The device frame (4 KiB) at @paddr, into a new slot. */
int init_device_frame(struct init *in, uint64_t paddr, seL4_CPtr *cap);
/* Map @frame in @vspace at @vaddr, creating page tables as needed. */
int init_map(struct init *in, seL4_CPtr frame, seL4_CPtr vspace, uint64_t vaddr,
             seL4_CapRights_t rights, seL4_ARM_VMAttributes attr);
/* Copy @cap into a new slot of the root CNode (to map a frame twice). */
int init_copy(struct init *in, seL4_CPtr cap, seL4_CPtr *copy);
/* A new VSpace with an ASID. */
int init_vspace(struct init *in, seL4_CPtr *vspace);
/* Map @frame (2^@bits bytes) in the root task, run @fn on it, unmap it. */
int init_with_frame(struct init *in, seL4_CPtr frame, unsigned bits,
                    void (*fn)(void *ctx, uint8_t *va), void *ctx);

/* vm.c: create everything of one VM, then start its VMM thread. */
struct init_vm {
    const struct sel4init_vm *desc;
    seL4_CPtr cnode, vspace, guest_vspace, ep, ntfn, tcb; /* ep, tcb: VMM thread 0's */
    seL4_CPtr vcpu_tcb[SEL4INIT_MAX_VCPUS];
    /* The VMM's threads (sel4init_vmm_threads): TCB, endpoint and core of
     * each, and which one takes each vCPU's faults. */
    unsigned nr_threads;
    seL4_CPtr thread_tcb[SEL4INIT_MAX_VMM_THREADS], thread_ep[SEL4INIT_MAX_VMM_THREADS];
    unsigned thread_core[SEL4INIT_MAX_VMM_THREADS], thread_of_vcpu[SEL4INIT_MAX_VCPUS];
    uint64_t entry;
    struct init_colour_vm *colour; /* colour_vm.c's state; NULL: uncoloured */
};
int init_vm_build(struct init *in, struct init_vm *vm, const struct sel4init_vm *desc);
/* The objects every VM shares (the GIC's virtual CPU interface frames). */
int init_vm_shared(struct init *in);
/* Load the ELF [elf, end) into @vspace in 2 MiB pages; its entry point. */
int init_load_elf(struct init *in, const char *name, const unsigned char *elf,
                  const unsigned char *end, seL4_CPtr vspace, uint64_t *entry);
int init_vm_connect(struct init *in, struct init_vm *a, unsigned ch_a, struct init_vm *b,
                    unsigned ch_b);
int init_vm_start(struct init *in, struct init_vm *vm);

/* colour_vm.c: cache colouring (../colour.h). Check the description's
 * colours against the free memory (before anything is created); load the
 * VMM program, map guest RAM, make the IPC buffer of a coloured VM from its
 * colours only; print its audit (every frame's kernel address in its set). */
int init_colour_check(struct init *in, const struct sel4init_system *sys, char *msg, size_t len);
int init_colour_load_program(struct init *in, struct init_vm *vm);
int init_colour_map_ram(struct init *in, struct init_vm *vm);
int init_colour_frame(struct init *in, struct init_vm *vm, seL4_CPtr *frame);
int init_colour_audit(struct init *in, struct init_vm *vm);

/* ctl_caps.c: what stdvmm-init put in each PD's CNode, for its capability
 * lists (docs/SECURITY.md). */
void init_cap_note(seL4_CPtr cnode, unsigned slot, seL4_CapRights_t rights, seL4_Word badge);

/* ctl.c: serve the control interface (sel4init_ctl.h) instead of suspending,
 * building the description's VMs so that each can be destroyed. */
_Noreturn void init_ctl_main(struct init *in, struct sel4init_system *sys);
/* devown.c: a passed-through device (struct sel4init_device) and its owner. */
struct init_dev {
    const struct sel4init_device *desc;
    seL4_CPtr frame, mapped, irq; /* original frame, the copy the owner maps, IRQ handler */
    seL4_CPtr ntfn;               /* a badged copy of the owner's notification */
    volatile uint32_t *regs;      /* stdvmm-init's own mapping of the frame */
    struct init_vm *owner;        /* NULL: nobody */
};
/* Make every device's frame, mapping and IRQ handler (owner: nobody). */
int init_devs_setup(struct init *in, const struct sel4init_system *sys);
/* Device @index of the description, or NULL. */
struct init_dev *init_dev_get(unsigned index);
/* Release @d from its owner (if any: unmap, take the IRQ handler back,
 * silence, ack, tell the old VMM), then give it to @to (NULL: nobody):
 * map the frame, give its VMM the IRQ handler. Logs the handover. */
int init_dev_move(struct init *in, struct init_dev *d, struct init_vm *to);
/* Release every device @vm owns (before it is reset or destroyed). */
void init_dev_release_vm(struct init *in, const struct init_vm *vm);
/* Set up every device of @sys and give it to its first owner (before start). */
int init_dev_start(struct init *in, struct init_vm vms[], const struct sel4init_system *sys);

#endif
