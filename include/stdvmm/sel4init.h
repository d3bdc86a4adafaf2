/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stdvmm-init's system description, written in C: the VMs of an seL4 system
 * built without Microkit, their guest RAM, their vCPUs (core, priority, MCS
 * budget and period), the VMM program of each and the channels between VMs.
 * An example fills a struct sel4init_system with the calls below (or as
 * plain data) in sel4init_describe(); stdvmm-init checks it with
 * sel4init_check() before it creates anything (ports/sel4-init, docs/SEL4.md).
 * No seL4 header is needed to write one.
 */
#ifndef STDVMM_SEL4INIT_H
#define STDVMM_SEL4INIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SEL4INIT_MAX_VMS 8
#define SEL4INIT_MAX_VCPUS 8
#define SEL4INIT_MAX_CHANNELS 16
#define SEL4INIT_MAX_PRIO 254 /* the root task runs at 255 */
/* MCS period of a full-budget scheduling context (round-robin among equal
 * priorities): each period is a timer interrupt on a busy core. */
#define SEL4INIT_DEFAULT_PERIOD_US 10000u
/* vmm_core: the core of the VM's first vCPU (the default). */
#define SEL4INIT_CORE_AUTO (~0u)
/* A VMM has a thread on each core that runs one of its vCPUs, and one on
 * vmm_core (at most one more than the vCPUs). */
#define SEL4INIT_MAX_VMM_THREADS (SEL4INIT_MAX_VCPUS + 1)
#define SEL4INIT_PAGE_LARGE (2ull << 20) /* guest RAM is mapped in 2 MiB pages */
#define SEL4INIT_MAX_COLOURS 64          /* cache colours of one last-level cache */
#define SEL4INIT_MAX_DEVICES 4
#define SEL4INIT_DEV_MAX_CLEAR 4

/* A VMM PD's address space: its program below SEL4INIT_VMM_PROG_TOP, the IPC
 * buffer of its thread t at SEL4INIT_VMM_IPCBUF + t * 4 KiB, guest RAM at its
 * guest-physical address. */
#define SEL4INIT_VMM_PROG_TOP 0x20000000ull
#define SEL4INIT_VMM_IPCBUF 0x20000000ull
#define SEL4INIT_VMM_IPCBUF_END (SEL4INIT_VMM_IPCBUF + SEL4INIT_MAX_VMM_THREADS * 0x1000ull)
/* The guest's device window (GIC, PL011, virtio-mmio; include/stdvmm/machine.h
 * layout): guest RAM may not overlap it. */
#define SEL4INIT_GUEST_MMIO_BASE 0x08000000ull
#define SEL4INIT_GUEST_MMIO_END 0x10000000ull

struct sel4init_vcpu {
    unsigned core;      /* physical core 0..nr_cores-1 the vCPU's thread runs on */
    unsigned priority;  /* 1..SEL4INIT_MAX_PRIO, below its VMM's */
    uint64_t budget_us; /* MCS budget per period (0: the whole period) */
    uint64_t period_us; /* MCS period (0: SEL4INIT_DEFAULT_PERIOD_US) */
};

struct sel4init_vm {
    const char *name;
    /* The VMM program (an ELF linked into stdvmm-init, built from ports/sel4
     * with the VM's struct sel4_vmm_config and ports/sel4-init/rt_init.c). */
    const unsigned char *vmm_elf, *vmm_elf_end;
    uint64_t ram_gpa, ram_size; /* 2 MiB aligned, mapped in the VM and its VMM */
    unsigned nr_vcpus;
    struct sel4init_vcpu vcpus[SEL4INIT_MAX_VCPUS];
    /* The VMM's threads: thread 0 on vmm_core (SEL4INIT_CORE_AUTO: vCPU 0's
     * core) takes the VM's notifications; the exits of a vCPU are handled
     * by the VMM thread on the vCPU's own core (sel4init_vmm_threads), so no
     * exit crosses cores. All share vmm_priority/budget/period. */
    unsigned vmm_core, vmm_priority;
    uint64_t vmm_budget_us, vmm_period_us;
    /* Cache colours (bit c: colour c of the system's llc, sel4init_set_colours):
     * guest RAM, the VMM program and its IPC buffer get only frames of these
     * colours, in 4 KiB pages. 0: uncoloured, guest RAM in 2 MiB pages. */
    uint64_t colours;
};

/* A notification channel: VM a's VMM signals b's with channel ch_a, b's
 * signals a's with ch_b (sel4_rt_notify / sel4_vmm_notified). */
struct sel4init_channel {
    unsigned vm_a, vm_b;
    unsigned ch_a, ch_b; /* 0..62 */
};

/* The last-level cache the colours refer to: a 4 KiB frame's colour is
 * (physical address / 4 KiB) mod (size / ways / 4 KiB), the way size in pages. */
struct sel4init_llc {
    uint64_t size;       /* bytes */
    unsigned ways, line; /* associativity, line size in bytes */
};

/* The channels (badge bits of the VMM's notification) of a device while a
 * VM owns it: its interrupts, and "taken away" (stdvmm-init signals it
 * after a release). A badge with both is handled in bit order: a stale
 * interrupt first, then the release. */
#define SEL4INIT_DEV_IRQ_CH 60
#define SEL4INIT_DEV_RELEASE_CH 61

/* A physical device (one 4 KiB MMIO frame, no DMA, optionally an interrupt)
 * owned by at most one VM at a time (ports/sel4-init/init/devown.c):
 * stdvmm-init maps its frame into the owner's stage-2 at gpa and gives the
 * owner's VMM its IRQ handler capability; a move (the control interface's
 * SEL4INIT_CTL_MOVE) takes both away, silences the device with the
 * register writes of clear_* and acknowledges its interrupt before the
 * next owner gets them. Every VM that may own it lists it in its VMM's
 * configuration (struct sel4_vmm_config.passthru). */
struct sel4init_device {
    const char *name;
    uint64_t paddr, gpa;
    unsigned intid;    /* GIC interrupt ID (SPI n: 32 + n), 0: none */
    unsigned owner;    /* VM index of the owner at start */
    unsigned nr_clear; /* register writes that silence the device */
    uint32_t clear_off[SEL4INIT_DEV_MAX_CLEAR], clear_val[SEL4INIT_DEV_MAX_CLEAR];
};

struct sel4init_system {
    const char *name;
    struct sel4init_llc llc; /* needed when a VM has colours */
    unsigned nr_devices;
    struct sel4init_device devices[SEL4INIT_MAX_DEVICES];
    unsigned nr_vms;
    struct sel4init_vm vms[SEL4INIT_MAX_VMS];
    unsigned nr_channels;
    struct sel4init_channel channels[SEL4INIT_MAX_CHANNELS];
    const char *error; /* set by the calls below when a table is full */
};

/* What the running kernel offers, for the checks. */
struct sel4init_limits {
    unsigned nr_cores;   /* the kernel's nodes */
    uint64_t free_bytes; /* normal (non-device) untyped memory */
    uint64_t min_budget_us;
};

/* The example's description (examples/sel4-init/<system>/system.c). */
void sel4init_describe(struct sel4init_system *sys);

/* Add a VM running the VMM program [elf, elf_end) with @ram_size bytes of RAM
 * at 0x40000000 and its VMM at priority 254 on its vCPUs' cores; NULL when full. */
struct sel4init_vm *sel4init_add_vm(struct sel4init_system *sys, const char *name,
                                    const unsigned char *elf, const unsigned char *elf_end,
                                    uint64_t ram_size);
/* Add a vCPU to @vm on @core with @priority and an MCS budget/period (us). */
int sel4init_add_vcpu(struct sel4init_system *sys, struct sel4init_vm *vm, unsigned core,
                      unsigned priority, uint64_t budget_us, uint64_t period_us);
/* Connect the VMMs of VMs @a and @b: a signals b on channel @ch_a, b signals a on @ch_b. */
int sel4init_add_channel(struct sel4init_system *sys, unsigned a, unsigned b, unsigned ch_a,
                         unsigned ch_b);

/* Give @vm the cache colours @first..@first+@count-1 of @sys's llc (set
 * sys->llc first); checked with the rest of the description. */
int sel4init_set_colours(struct sel4init_system *sys, struct sel4init_vm *vm, unsigned first,
                         unsigned count);

/* Check @sys against @lim; 0, or a negative VMM_E* code with a message that
 * names the VM, vCPU or channel in @msg (always terminated). */
int sel4init_check(const struct sel4init_system *sys, const struct sel4init_limits *lim, char *msg,
                   size_t len);

/* The core of @vm's VMM thread 0 (vmm_core, or vCPU 0's for SEL4INIT_CORE_AUTO). */
unsigned sel4init_vmm_core(const struct sel4init_vm *vm);
/* @vm's VMM threads: @core[t] is thread t's core, @thread_of_vcpu[i] the
 * thread that handles vCPU i's exits; returns the number of threads. */
unsigned sel4init_vmm_threads(const struct sel4init_vm *vm, unsigned core[SEL4INIT_MAX_VMM_THREADS],
                              unsigned thread_of_vcpu[SEL4INIT_MAX_VCPUS]);

/* Bytes of untyped memory the description needs at least: guest RAM, the
 * VMM programs and a per-VM allowance for kernel objects. */
uint64_t sel4init_needed_bytes(const struct sel4init_system *sys);

#endif
