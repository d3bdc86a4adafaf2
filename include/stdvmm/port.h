/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What a hypervisor port provides to the portable core and the machine
 * builder (src/machine/). A port (ports/kvm, ports/sel4) fills one
 * struct vmm_port_ops and connects it to a VM with vmm_vm_set_port(); the
 * builder then maps RAM, starts vCPU 0 and, on a guest reset, resets the
 * vCPUs only through these calls. Every call returns 0 or a negative
 * VMM_E* code (errno values are translated at the port boundary).
 *
 * The vCPU model every port follows (include/stdvmm/vcpu.h): at most
 * VMM_MAX_VCPUS vCPUs; vCPU n has the affinity (MPIDR on AArch64)
 * vmm_arm64_vcpu_mpidr(n) unless the machine description says otherwise;
 * after a start or a reset vCPU 0 is the only one powered on, the others
 * wait for PSCI CPU_ON (handled by the port: in the kernel on KVM, through
 * src/arch/aarch64/psci.c on seL4), and a vCPU enters the guest in the
 * boot state of booting.rst (VMM_ARM64_BOOT_PSTATE, MMU and caches off).
 */
#ifndef STDVMM_PORT_H
#define STDVMM_PORT_H

#include <stdbool.h>
#include <stdint.h>

struct vmm_port_ops {
    /* Drive interrupt line @line (SPI index) to @level. Required. */
    int (*irq_set)(void *port, unsigned line, bool level);
    /* Back guest RAM at [@gpa, @gpa + @size) and add it to the VM's memory
     * map (vmm_vm_add_ram); *@hva is where the VMM sees it. */
    int (*map_ram)(void *port, uint64_t gpa, uint64_t size, void **hva);
    /* Start (or restart) @vcpu at @pc with x0 = @x0 in the boot state. */
    int (*vcpu_start)(void *port, unsigned vcpu, uint64_t pc, uint64_t x0);
    /* Stop @vcpu; it runs again only after vcpu_start. */
    void (*vcpu_stop)(void *port, unsigned vcpu);
    /* Guest reset: every vCPU stopped and back in its reset state (vCPU 0
     * on, the others off), the interrupt controller and PSCI state reset.
     * Guest RAM and devices are untouched (the builder resets devices). */
    int (*reset)(void *port);
    /* Optional: latch an edge on private interrupt @intid (16..31) of
     * @vcpu (the Xen console's event upcall, machine.h). */
    int (*ppi_pulse)(void *port, unsigned vcpu, unsigned intid);
};

#endif
