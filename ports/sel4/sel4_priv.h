/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Inside the seL4 VMM protection domain: the machine one VMM runs, and the
 * functions its files share. Only files in ports/sel4 include this.
 */
#ifndef STDVMM_SEL4_PRIV_H
#define STDVMM_SEL4_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "stdvmm/backend.h"
#include "stdvmm/machine.h"
#include "stdvmm/psci.h"
#include "stdvmm/vgic.h"
#include "stdvmm_sel4.h"

/* QEMU virt's GICv2 has 4 list registers per CPU interface (GICH_VTR). */
#define SEL4_VMM_NR_LRS 4
#define SEL4_VMM_NR_SPIS 64
#define SEL4_CONSOLE_LINE 256
/* Device state of the machine builder (the console devices are part of
 * struct vmm_machine; classes with a seL4 backend need room here: a
 * virtio-net is about 18 KiB). */
#define SEL4_MACHINE_STORAGE 0x10000
/* sDDF clients besides the console (blk, net) a VMM PD serves. */
#define SEL4_MAX_IO_CLIENTS 4

/* An sDDF client other than the console: the notifications on its channels
 * and what it queued, sent once after each handled exit or notification. */
struct sel4_io_client {
    bool (*notified)(void *ctx, unsigned ch); /* true: its channel */
    void (*flush)(void *ctx);
    void *ctx;
};

/* Guest output, one whole line at a time with the VM's name in front, so
 * two VMs sharing the serial port stay readable: on the seL4 debug console,
 * or, once an attach function (cfg->console_attach, ports/sel4/sddf) set the
 * hooks, through an sDDF serial client, which also brings input. */
struct sel4_console {
    struct vmm_stream_backend backend;
    const char *prefix;
    char line[SEL4_CONSOLE_LINE];
    size_t len;
    /* Where input goes (the machine's console rx), set before attaching. */
    size_t (*input)(void *ctx, const uint8_t *buf, size_t len);
    void *input_ctx;
    /* Set by an attach function; NULL on the debug console. */
    void (*log_line)(struct sel4_console *con, const char *line, size_t len);
    bool (*notified)(struct sel4_console *con, unsigned ch); /* true: its channel */
    void (*flush)(struct sel4_console *con);                 /* after each exit / notification */
    void *ext;
};

/* vCPUs sleeping in WFI (sel4_idle.c): suspended, each until wake_at
 * (physical count) or an interrupt for it, whichever comes first. */
struct sel4_idle {
    bool enabled;  /* a wake-up timer is configured */
    uint64_t freq; /* CNTFRQ */
    bool asleep[VMM_MAX_VCPUS];
    uint64_t wake_at[VMM_MAX_VCPUS];
    bool armed; /* a timeout is set for armed_at */
    uint64_t armed_at;
    /* Counters, logged at power-off: WFx traps, of which slept; why not. */
    uint64_t traps, sleeps, pending_irq, timer_due;
    uint64_t wakes_irq, wakes_timer;
};

/* A device backend served by this PD (ports/sel4/sddf), set by an attach
 * function: open() gives a machine device its backend, notified() takes
 * the backend's channels, flush() sends what it queued (after each exit
 * or notification). */
struct sel4_io {
    int (*open)(struct sel4_io *io, struct vmm_machine_dev *d);
    bool (*notified)(struct sel4_io *io, unsigned ch); /* true: its channel */
    void (*flush)(struct sel4_io *io);
    void *ctx;
};

/* The passed-through device (sel4_passthru.c), cfg NULL: none. */
struct sel4_passthru {
    const struct sel4_passthru_config *cfg;
    struct vmm_device dev; /* its device-tree node, line and placeholder window */
    bool asserted;         /* line high: the kernel's interrupt waits for the guest's EOI */
    uint64_t irqs, releases, acks_failed, absent_accesses;
    struct vmm_ratelimit rl;
};

struct sel4_vmm {
    const struct vmm_machine_desc *cfg; /* &desc */
    uint8_t *ram;                       /* guest_ram in this PD (setvar_vaddr) */
    struct vmm_machine_desc desc;       /* the example's, with the linked images */
    struct vmm_machine machine;         /* machine.vm is the VM */
    struct vmm_backend_provider provider;
    _Alignas(16) uint8_t storage[SEL4_MACHINE_STORAGE];
    struct vmm_vgic gic;
    struct vmm_vtimer vtimer;
    struct vmm_psci psci;
    struct sel4_console console;
    struct sel4_io net; /* open == NULL: no net backend */
    struct sel4_io_client io[SEL4_MAX_IO_CLIENTS];
    unsigned nr_io;
    volatile uint32_t *uart_mirror; /* cfg's uart_mirror page, or NULL */
    char cmdline[512];
    bool halted;       /* stopped for good (SYSTEM_OFF or an error) */
    bool blk_attached; /* the sDDF blk client has its disk */
    bool running[VMM_MAX_VCPUS];
    struct sel4_idle idle;
    struct sel4_passthru pt;
    struct vmm_ratelimit rl_sysreg, rl_inject;
    struct vmm_ratelimit rl_undef, rl_abort; /* exceptions injected instead of emulating */
};

/* sel4_console.c: the stream backend and the log sink. */
void sel4_console_init(struct sel4_console *con, const char *prefix);
void sel4_log_init(const char *name);
/* Send the VMM's log lines through @con too once it is attached to sDDF. */
void sel4_log_set_console(struct sel4_console *con);

/* vmm.c: serve @c's channels and flush it after each exit; -VMM_ENOSPC when full. */
int sel4_io_register(struct sel4_vmm *s, const struct sel4_io_client *c);

/* sel4_machine.c: describe and build the VM and start vCPU 0. */
int sel4_machine_start(struct sel4_vmm *s);
/* Stop every vCPU; @why is logged. The VM stays stopped. */
void sel4_machine_halt(struct sel4_vmm *s, const char *why);
/* PSCI SYSTEM_RESET: stop everything, reload the images, boot again. */
int sel4_machine_reset(struct sel4_vmm *s);

/* sel4_vcpu.c: vCPU threads and registers. */
struct sel4_regs;
int sel4_vcpu_boot(struct sel4_vmm *s, unsigned vcpu, uint64_t pc, uint64_t x0);
void sel4_vcpu_stop(struct sel4_vmm *s, unsigned vcpu);
void sel4_vcpu_init_ids(struct sel4_vmm *s);

/* sel4_idle.c: WFI blocking. init once; wfi() for a vCPU stopped in a WFx
 * (or PSCI CPU_SUSPEND) trap whose PC already points past it: true when
 * it now sleeps (do not reply); poll() after every handled fault or
 * notification wakes the sleepers with an interrupt or a passed deadline;
 * notified() takes the timer's channel (true if it was). */
void sel4_idle_init(struct sel4_vmm *s);
bool sel4_idle_wfi(struct sel4_vmm *s, unsigned vcpu, unsigned kind, uint64_t wfit_deadline);
void sel4_idle_poll(struct sel4_vmm *s);
bool sel4_idle_notified(struct sel4_vmm *s, unsigned ch);
/* The vCPU no longer sleeps (stopped or reset): forget it. */
void sel4_idle_forget(struct sel4_vmm *s, unsigned vcpu);
/* Log how often vCPUs slept and what woke them (when the VM stops). */
void sel4_idle_report(const struct sel4_vmm *s);

/* sel4_passthru.c: the passed-through device. add() before the machine is
 * built; notified() takes its channels (true if it was one); eoi() from the
 * vGIC's ops->eoi; reset() on a guest reset; abort(): an access at @ipa
 * from the guest in @spsr's mode must get an external data abort (EL0, the
 * frame not mapped); in(): @ipa is in its frame; report() logs counters. */
int sel4_passthru_add(struct sel4_vmm *s);
bool sel4_passthru_notified(struct sel4_vmm *s, unsigned ch);
void sel4_passthru_eoi(struct sel4_vmm *s, unsigned intid);
void sel4_passthru_reset(struct sel4_vmm *s);
bool sel4_passthru_abort(const struct sel4_vmm *s, uint64_t ipa, uint64_t spsr);
bool sel4_passthru_in(const struct sel4_vmm *s, uint64_t ipa);
void sel4_passthru_report(const struct sel4_vmm *s);

/* sel4_fault.c: one fault message from vCPU @vcpu; true to resume it. */
bool sel4_fault_handle(struct sel4_vmm *s, unsigned vcpu, unsigned label);

#endif
