/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A minimal Xen hypervisor interface for AArch64 guests (opt-in per VM), so
 * that a Linux kernel with Xen support built in (Debian's cloud kernel:
 * CONFIG_XEN, CONFIG_HVC_XEN) prints its boot log through `earlycon=xenboot`
 * (one console_io hypercall per log record) and hvc0 (a shared ring page
 * and one event-channel notification per 16 bytes) instead of one trapped
 * PL011 data-register write per byte.
 *
 * The guest sees an HVM domU without xenstore (docs/SEL4.md, "Xen console"):
 * a /hypervisor device-tree node (grant-table frame, event-channel PPI), the
 * console ring page and event channel as HVM parameters, and the hypercalls
 * a Linux domU makes while booting: xen_version (features), memory_op
 * (add_to_physmap of the shared-info page and the grant-table frame),
 * grant_table_op (query_size, set_version 1), vcpu_op (register vcpu_info
 * and the runstate area), hvm_op (get_param), event_channel_op (send,
 * unmask, bind_vcpu; 2-level ABI: init_control fails so Linux does not use
 * FIFO event channels), sched_op (yield, block, shutdown), console_io
 * (write). Everything else returns -ENOSYS.
 *
 * ABI (Xen public headers, arch-arm.h): `hvc #0xEA1`, hypercall number in
 * x16, arguments in x0..x4, result in x0 (a negative errno on failure).
 * Pointer arguments are guest virtual addresses, translated with the
 * guest's stage-1 tables (vmm_a64_s1_translate). Every value is hostile:
 * each pointer and length is validated, each call does bounded work, an
 * invalid one returns a Xen error code and the VMM carries on.
 *
 * Portable: no allocation, no globals; the caller owns struct vmm_xen.
 */
#ifndef STDVMM_XEN_H
#define STDVMM_XEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "stdvmm/aarch64_emul.h"
#include "stdvmm/backend.h"
#include "stdvmm/log.h"
#include "stdvmm/mem.h"
#include "stdvmm/vcpu.h"

/* The immediate of the HVC instruction Xen guests use on Arm. */
#define VMM_XEN_HVC_IMM 0xEA1u

/* Hypercall numbers (public/xen.h). */
#define VMM_XEN_HC_MEMORY_OP 12u
#define VMM_XEN_HC_XEN_VERSION 17u
#define VMM_XEN_HC_CONSOLE_IO 18u
#define VMM_XEN_HC_GRANT_TABLE_OP 20u
#define VMM_XEN_HC_VM_ASSIST 21u
#define VMM_XEN_HC_VCPU_OP 24u
#define VMM_XEN_HC_SCHED_OP 29u
#define VMM_XEN_HC_EVENT_CHANNEL_OP 32u
#define VMM_XEN_HC_HVM_OP 34u

/* Error codes returned to the guest (Xen uses Linux's errno values). */
#define VMM_XEN_EPERM 1
#define VMM_XEN_ENOENT 2
#define VMM_XEN_EFAULT 14
#define VMM_XEN_EINVAL 22
#define VMM_XEN_ENOSYS 38

/* Guest-physical layout of the interface (the device tree says the same). */
#define VMM_XEN_PAGE 4096u
#define VMM_XEN_CONSOLE_PORT 1u   /* event channel of the console ring */
#define VMM_XEN_NR_PORTS 4096u    /* 2-level: 64 words of 64 bits */
#define VMM_XEN_CONSOLE_MAX 4096u /* console_io write: bytes per call */
/* Grant-table frames: Linux sizes its free list as frames * 512 / 1024
 * entries and breaks with fewer than 2 (an empty kmalloc). */
#define VMM_XEN_GNTTAB_FRAMES 2u

/* Console ring page (public/io/console.h). */
#define VMM_XEN_RING_IN 0u
#define VMM_XEN_RING_IN_SIZE 1024u
#define VMM_XEN_RING_OUT 1024u
#define VMM_XEN_RING_OUT_SIZE 2048u
#define VMM_XEN_RING_IN_CONS 3072u
#define VMM_XEN_RING_IN_PROD 3076u
#define VMM_XEN_RING_OUT_CONS 3080u
#define VMM_XEN_RING_OUT_PROD 3084u

/* What a hypercall asks of the port besides its result. */
enum vmm_xen_action {
    VMM_XEN_ACT_NONE = 0,
    VMM_XEN_ACT_POWEROFF, /* SCHEDOP_shutdown poweroff/crash/halt: stop the VM */
    VMM_XEN_ACT_REBOOT,   /* SCHEDOP_shutdown reboot: reset the VM */
    VMM_XEN_ACT_BLOCK,    /* SCHEDOP_block: a WFI */
};

/* The port's services: the event-channel PPI of @vcpu became pending
 * (edge: latch it in the vGIC). Called with the VM's device lock held. */
struct vmm_xen_ops {
    void (*upcall)(void *ctx, unsigned vcpu);
};

struct vmm_xen_config {
    const struct vmm_mem *mem;
    unsigned nr_vcpus;
    uint64_t ring_gpa;                    /* console ring page (guest RAM, reserved in the DT) */
    uint64_t gnttab_gpa;                  /* the one grant-table frame (guest RAM, reserved) */
    const struct vmm_stream_backend *out; /* console output: the PL011's sink */
    const struct vmm_xen_ops *ops;
    void *ctx;
};

struct vmm_xen {
    struct vmm_xen_config cfg;
    uint64_t shared_info;                         /* gpa of the shared-info page, 0: not yet */
    uint64_t vcpu_info[VMM_MAX_VCPUS];            /* gpa of each registered vcpu_info, 0: none */
    uint16_t port_vcpu[VMM_XEN_CONSOLE_PORT + 1]; /* bind_vcpu of our ports */
    unsigned long calls, console_bytes, upcalls;
    struct vmm_ratelimit rl_unknown, rl_bad;
};

/* One trapped `hvc #0xEA1`: x16 and x0..x4; @s1 the guest's translation
 * controls at the trap. */
struct vmm_xen_call {
    uint64_t nr;
    uint64_t arg[5];
};

/* Start in reset state; -VMM_EINVAL for a bad configuration (pages outside
 * RAM or unaligned, no output, no upcall). */
int vmm_xen_init(struct vmm_xen *x, const struct vmm_xen_config *cfg);

/* Guest reset: forget the registered pages and bindings. */
void vmm_xen_reset(struct vmm_xen *x);

/* Carry out hypercall @c of @vcpu; returns the value for x0 and sets
 * *@act. Never fails the VMM: errors are Xen error codes for the guest. */
uint64_t vmm_xen_hypercall(struct vmm_xen *x, unsigned vcpu, const struct vmm_a64_s1 *s1,
                           const struct vmm_xen_call *c, enum vmm_xen_action *act);

/* Console input: put up to @len bytes into the ring's input buffer and
 * notify the guest; returns how many were taken. */
size_t vmm_xen_console_rx(struct vmm_xen *x, const uint8_t *buf, size_t len);

/* Deliver the console output the ring holds (EVTCHNOP_send does this). */
void vmm_xen_console_flush(struct vmm_xen *x);

/* Event channel @port became pending: 2-level delivery to its vCPU
 * (pending bit, selector, upcall flag, PPI). -VMM_EINVAL for a bad port. */
int vmm_xen_evtchn_set(struct vmm_xen *x, unsigned port);

/* Unmask @port (EVTCHNOP_unmask); delivers it if it is pending. */
int vmm_xen_evtchn_unmask(struct vmm_xen *x, unsigned port);

/* True if @insn is `hvc #0xEA1`. */
bool vmm_xen_is_hvc(uint32_t insn);

#endif
