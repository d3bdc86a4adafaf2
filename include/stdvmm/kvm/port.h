/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Linux/KVM port (arm64 hosts): one process runs one VM. The port
 * creates the KVM VM, maps guest RAM, creates the in-kernel vGICv3 and the
 * vCPUs, runs one thread per vCPU and hands every KVM_EXIT_MMIO to the core
 * (vmm_vm_mmio) under one VM-wide mutex, so device models need no locks.
 *
 * Use: vmm_kvm_open -> vmm_kvm_create_vcpus -> build the machine through
 * the port interface (include/stdvmm/port.h: map_ram, vcpu_start; the
 * machine builder does it) -> vmm_kvm_run -> on VMM_KVM_STOP_RESET reset
 * the machine (vmm_machine_reset) and vmm_kvm_run again -> vmm_kvm_close.
 * Every function logs what failed and returns a negative VMM_E* code.
 */
#ifndef STDVMM_KVM_H
#define STDVMM_KVM_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "stdvmm/log.h"
#include "stdvmm/vm.h"

struct kvm_run; /* <linux/kvm.h> */
struct vmm_kvm;

/* Why vmm_kvm_run() returned. */
enum vmm_kvm_stop {
    VMM_KVM_STOP_NONE = 0,
    VMM_KVM_STOP_SHUTDOWN, /* guest powered off (PSCI SYSTEM_OFF) */
    VMM_KVM_STOP_RESET,    /* guest asked for a reset (PSCI SYSTEM_RESET) */
    VMM_KVM_STOP_CRASH,    /* guest reported a crash (KVM_SYSTEM_EVENT_CRASH) */
    VMM_KVM_STOP_QUIT,     /* the user asked to quit (e.g. Ctrl-A x) */
    VMM_KVM_STOP_SIGINT,   /* SIGINT */
    VMM_KVM_STOP_SIGTERM,  /* SIGTERM */
    VMM_KVM_STOP_SIGHUP,   /* SIGHUP */
    VMM_KVM_STOP_ERROR,    /* KVM failed or an unexpected exit reason (logged) */
    VMM_KVM_STOP_API,      /* the control API's stop (or a shutdown that timed out) */
};

/* Kinds of vCPU exit the control API counts (vmm_kvm_exit_kind_name). */
enum vmm_kvm_exit_kind {
    VMM_KVM_EXITS_MMIO = 0,     /* KVM_EXIT_MMIO */
    VMM_KVM_EXITS_NISV,         /* KVM_EXIT_ARM_NISV, emulated from the instruction */
    VMM_KVM_EXITS_SYSTEM_EVENT, /* PSCI SYSTEM_OFF/RESET, crash */
    VMM_KVM_EXITS_INTR,         /* KVM_RUN interrupted by a signal (stop, pause kicks) */
    VMM_KVM_EXITS_DEBUG,        /* KVM_EXIT_DEBUG: a breakpoint or step of the GDB stub */
    VMM_KVM_EXITS_OTHER,        /* anything else (stops the VM) */
    VMM_KVM_NR_EXIT_KINDS,
};

struct vmm_kvm_vcpu {
    struct vmm_kvm *kvm;
    unsigned index;
    int fd;
    struct kvm_run *run; /* the shared kvm_run page(s) */
    pthread_t thread;
    bool started;
    struct vmm_ratelimit rl_nisv; /* undecodable accesses: logged once */
    /* Exits by kind since the process started; written by the vCPU's
     * thread, read by anyone (relaxed). */
    _Atomic uint64_t exits[VMM_KVM_NR_EXIT_KINDS];
};

struct vmm_kvm_ram {
    void *hva;
    uint64_t gpa, size;
    int fd; /* memfd behind it when shared_ram, else -1 */
};

struct vmm_kvm {
    struct vmm_vm *vm;
    int kvm_fd, vm_fd, vgic_fd;
    int stop_fd;   /* eventfd: a stop was requested */
    int signal_fd; /* signalfd for SIGINT/SIGTERM/SIGHUP */
    sigset_t old_mask;
    bool mask_saved;
    size_t run_size;
    unsigned ipa_bits; /* guest physical address bits of the VM */
    /* Set before RAM is mapped: back guest RAM with memfds (MAP_SHARED) a
     * vhost-user backend can map (docs/VHOST.md); else anonymous memory. */
    bool shared_ram;
    struct vmm_kvm_ram ram[VMM_MAX_RAM_REGIONS];
    unsigned nr_ram;
    unsigned nr_vcpus; /* created so far */
    struct vmm_kvm_vcpu vcpus[VMM_MAX_VCPUS];
    /* The VM-wide device lock: held around vmm_vm_mmio() and around backend
     * input delivery (pass it to backends that push input). */
    pthread_mutex_t lock;
    atomic_bool stopping;
    atomic_int stop_reason; /* enum vmm_kvm_stop, first one wins */
    /* Pause (kvm_pause.c): vCPU threads park on pause_cond while
     * pause_requested is set; parked counts them. */
    pthread_mutex_t pause_lock;
    pthread_cond_t pause_cond;
    atomic_bool pause_requested;
    unsigned parked;
    /* The GDB stub (kvm_debug.c): vCPUs in run_mask may run while a pause
     * is requested (single step); a KVM_EXIT_DEBUG stores its vCPU in
     * debug_stop (-1: none) and writes debug_fd. */
    atomic_uint run_mask;
    atomic_bool debugging;
    atomic_int debug_stop;
    int debug_fd; /* eventfd, -1 until vmm_kvm_debug_open() */
    unsigned max_hw_bps;
};

/*
 * Open /dev/kvm, check the API version and the capabilities the port needs
 * (PSCI 0.2, in-kernel irqchip, ONE_REG, immediate_exit, device control),
 * create the VM (default IPA size) and connect @vm to the port. Blocks
 * SIGINT/SIGTERM/SIGHUP in the calling thread (threads created later
 * inherit this) so vmm_kvm_run() can turn them into a clean stop.
 */
int vmm_kvm_open(struct vmm_kvm *kvm, struct vmm_vm *vm);

/* Map @size bytes of anonymous memory as guest RAM at @gpa (both page
 * aligned) in KVM and in the VM's memory map. Returns 0 or -errno. */
int vmm_kvm_add_ram(struct vmm_kvm *kvm, uint64_t gpa, uint64_t size);

/* KVM_IOEVENTFD: a guest write of @len bytes equal to @datamatch at
 * guest physical @addr (an MMIO register) signals @fd instead of exiting
 * (kvm_eventfd.c). 0 or a negative VMM_E* code, logged. */
int vmm_kvm_ioeventfd(struct vmm_kvm *kvm, uint64_t addr, uint32_t len, uint64_t datamatch, int fd);

/* KVM_IRQFD: a write to @fd raises SPI line @line (an edge) in the
 * in-kernel vGIC. 0 or a negative VMM_E* code, logged. */
int vmm_kvm_irqfd(struct vmm_kvm *kvm, unsigned line, int fd);

/*
 * Create the in-kernel vGICv3 (distributor at @gicd, redistributors at
 * @gicr) and vm->nr_vcpus vCPUs with PSCI 0.2: vCPU 0 on, the others
 * powered off until PSCI CPU_ON (handled inside KVM). The port's
 * vcpu_start (port.h) then points vCPU 0 at the kernel.
 */
int vmm_kvm_create_vcpus(struct vmm_kvm *kvm, uint64_t gicd, uint64_t gicr);

/*
 * Run every vCPU on its own thread until the guest powers off, resets or
 * crashes, a vCPU fails, a signal arrives or vmm_kvm_request_stop() is
 * called; then stop and join every vCPU thread. Returns why it stopped.
 * May be called again after a stop (a guest reset runs the VM again).
 */
enum vmm_kvm_stop vmm_kvm_run(struct vmm_kvm *kvm);

/* Ask vmm_kvm_run() to stop with @reason (the first reason wins). Safe
 * from any thread, with or without the device lock held. */
void vmm_kvm_request_stop(struct vmm_kvm *kvm, enum vmm_kvm_stop reason);

/* Free everything vmm_kvm_open() and later calls created (safe on a
 * partially opened port) and restore the signal mask. */
void vmm_kvm_close(struct vmm_kvm *kvm);

/*
 * Pause the guest: every vCPU thread is kicked out of KVM_RUN (the kick
 * signal with immediate_exit) and parks until vmm_kvm_resume(); a vCPU
 * started later (after a reset) parks before its first KVM_RUN. Waits up
 * to @timeout_ms for every running vCPU to park: 0, -VMM_EAGAIN if one
 * did not in time (it parks when it leaves KVM_RUN). Never call with the
 * device lock held (a vCPU may wait for it before it can park).
 */
int vmm_kvm_pause(struct vmm_kvm *kvm, unsigned timeout_ms);

/* Let parked vCPUs run again (no-op when not paused). */
void vmm_kvm_resume(struct vmm_kvm *kvm);

/* True between vmm_kvm_pause() and vmm_kvm_resume(). */
bool vmm_kvm_paused(struct vmm_kvm *kvm);

/* How many vCPU threads are parked now. */
unsigned vmm_kvm_parked(struct vmm_kvm *kvm);

/*
 * Debugging (the GDB stub, kvm_debug.c). vmm_kvm_debug_open() (before the
 * seccomp filter) makes debug_fd and reads how many hardware breakpoints
 * KVM offers. The rest is called with the VM paused (vmm_kvm_pause).
 */
int vmm_kvm_debug_open(struct vmm_kvm *kvm);

/* Guest debugging on every vCPU (software breakpoints trap, the hardware
 * breakpoints @hw[0..@n) armed), single step on @step_vcpu (-1: none);
 * @enable false turns it all off. */
int vmm_kvm_debug_set(struct vmm_kvm *kvm, bool enable, const uint64_t *hw, unsigned n,
                      int step_vcpu);

/* Run again after a debug stop: every vCPU, or only @step_vcpu (one
 * instruction, the others stay parked). The stop is reported on debug_fd. */
void vmm_kvm_debug_resume(struct vmm_kvm *kvm, int step_vcpu);

/* The vCPU of the last debug stop and forget it (-1: none). */
int vmm_kvm_debug_take_stop(struct vmm_kvm *kvm);

/* Registers of parked vCPU @vcpu: x0..x30, the current SP (SP_EL1 at EL1h,
 * else SP_EL0), PC, PSTATE. */
int vmm_kvm_get_core_regs(struct vmm_kvm *kvm, unsigned vcpu, uint64_t x[31], uint64_t *sp,
                          uint64_t *pc, uint64_t *pstate);
int vmm_kvm_set_core_regs(struct vmm_kvm *kvm, unsigned vcpu, const uint64_t x[31], uint64_t sp,
                          uint64_t pc, uint64_t pstate);

/* Copy guest memory at @addr, virtual through parked vCPU @vcpu's stage-1
 * tables or physical; writes clean the instruction cache. */
int vmm_kvm_guest_rw(struct vmm_kvm *kvm, unsigned vcpu, bool phys, uint64_t addr, uint8_t *buf,
                     size_t len, bool write);

/* Name of an exit kind for the counters ("mmio"). */
const char *vmm_kvm_exit_kind_name(enum vmm_kvm_exit_kind kind);

/* Short name for a stop reason ("shutdown", "SIGINT", ...). */
const char *vmm_kvm_stop_name(enum vmm_kvm_stop reason);

/* Name of a KVM_EXIT_* reason for error messages ("KVM_EXIT_MMIO"), or
 * "unknown". */
const char *vmm_kvm_exit_name(unsigned exit_reason);

#endif
