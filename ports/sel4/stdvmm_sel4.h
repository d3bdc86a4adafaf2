/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The seL4 Microkit port of stdvmm: one VMM protection domain per VM. What
 * an example system provides to the port, as plain data: a machine
 * description (include/stdvmm/machine.h), which the port completes with
 * the guest images linked into the program and builds with the machine
 * builder, as `stdvmm run` does on KVM. No seL4 or Microkit header is
 * needed to write one (examples/sel4/<system>/config_*.c).
 */
#ifndef STDVMM_SEL4_H
#define STDVMM_SEL4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "stdvmm/machine.h"

/* One sDDF serial queue pair as this VMM PD maps it (tools/sel4gen writes these). */
struct sel4_serial_queue {
    uintptr_t queue; /* vaddr of the serial_queue_t region */
    uintptr_t data;  /* vaddr of the data region */
    uint32_t size;   /* data region size, a power of two */
    unsigned ch;     /* Microkit channel to the virtualiser */
};

/* The VMM's sDDF serial client: rx from the rx virtualiser, tx to the tx one. */
struct sel4_serial_config {
    struct sel4_serial_queue rx, tx;
};

/* One direction of an sDDF net client connection as this VMM PD maps it
 * (tools/sel4gen/sddf_net.py writes these): the free and active
 * net_queue_t regions, their capacity (a power of two), the data region of
 * capacity x 2048-byte buffers, and the Microkit channel to the peer (the
 * copier for rx, the net switch for tx). */
struct sel4_net_queue {
    uintptr_t free, active;
    uint32_t capacity;
    uintptr_t data;
    uint32_t data_size;
    unsigned ch;
};

/* The VMM's sDDF net client: its queues and the VM's MAC (also in the
 * machine description's "net" device options). */
struct sel4_net_config {
    struct sel4_net_queue rx, tx;
    uint8_t mac[6];
};

/* The VMM's sDDF blk client (tools/sel4gen writes these): the queues to the
 * blk virtualiser, its storage information and the client data region. */
struct sel4_blk_config {
    uintptr_t req_queue, resp_queue; /* vaddrs of blk_req_queue_t / blk_resp_queue_t */
    uintptr_t storage_info;          /* vaddr of blk_storage_info_t */
    uintptr_t data;                  /* vaddr of the data region */
    uint32_t num_buffers;            /* entries per queue */
    uint32_t data_size;              /* bytes */
    uint32_t slot_size;              /* bytes of data per sDDF request */
    unsigned ch;                     /* Microkit channel to the virtualiser */
    bool read_only;                  /* the guest gets a read-only disk */
};

/* A passed-through device whose frame and interrupt stdvmm-init moves
 * between VMs (ports/sel4-init/init/devown.c). While this VM owns it, its
 * frame is mapped at gpa and the interrupt arrives on the runtime's
 * channel irq_ch (acked through the runtime); release_ch tells the VMM it
 * was taken away. While another VM owns it, an EL0 access to the frame gets
 * an external data abort and an EL1 access reads as zero (writes ignored). */
struct sel4_passthru_config {
    uint64_t gpa;                /* its 4 KiB frame in the guest */
    unsigned line;               /* SPI line (INTID 32 + line); VMM_IRQ_NONE: none */
    unsigned irq_ch, release_ch; /* the runtime's channels */
    const char *node_name;       /* device tree node "<node_name>@<gpa>" */
    const char *compatible;      /* "\0"-separated, compatible_len bytes */
    size_t compatible_len;
    uint32_t primecell_periphid; /* an AMBA PrimeCell's ID (adds apb_pclk); 0: not one */
};

struct sel4_console;
struct sel4_vmm;
struct vmm_blk_backend;

/*
 * machine.name: for logs and the console prefix ("vm1"); nr_vcpus:
 * 1..VMM_MAX_VCPUS, <vcpu id="0..n-1"/> in the .system; ram_base/ram_size:
 * the guest_ram memory region as the VM sees it (the .system's VM map);
 * gic_version 2 (seL4 on QEMU virt); cmdline: the port appends
 * stdvmm.boot=<n>; console: VMM_CONSOLE_VIRTIO adds a virtio-console; the
 * devices need classes whose backend kind this port provides (the console
 * stream; "net" with an sDDF net client and a "disk" with blk/blk_attach
 * below). kernel and initrd are left empty: the port fills them in from
 * guest_images.S.
 */
struct sel4_vmm_config {
    struct vmm_machine_desc machine;
    /* Optional console through sDDF serial (systems built with SDDF=DIR by
     * tools/sel4gen): the client queues, and sel4_sddf_console_attach
     * (ports/sel4/sddf). NULL: guest output goes to the kernel's debug
     * console (debug kernels only), and there is no input. */
    const struct sel4_serial_config *serial;
    int (*console_attach)(struct sel4_console *con, const struct sel4_serial_config *serial);
    /* Optional wake-up timer (sDDF's timer driver, tools/sel4gen's
     * System.timer()): sel4_sddf_timer_set and the channel to the driver.
     * With it a vCPU that executes WFI sleeps until it has something to
     * take (ports/sel4/sel4_idle.c); NULL: WFI resumes at once (spins). */
    void (*timer_set)(unsigned ch, uint64_t ns);
    unsigned timer_ch;
    /* Optional virtio-net through an sDDF net client (the machine
     * description's "net" device): the queues and sel4_sddf_net_attach
     * (ports/sel4/sddf). NULL: a "net" device is refused. */
    const struct sel4_net_config *net;
    int (*net_attach)(struct sel4_vmm *s, const struct sel4_net_config *net);
    /* Optional disk through sDDF blk: the client queues, and
     * sel4_sddf_blk_attach (ports/sel4/sddf), which gives the backend of the
     * machine description's "disk" device. */
    const struct sel4_blk_config *blk;
    int (*blk_attach)(struct sel4_vmm *s, const struct sel4_blk_config *blk,
                      const struct vmm_blk_backend **backend);
    /* Optional (machine.console VMM_CONSOLE_VIRTIO only): vaddr of a page
     * the VM maps read-only at its PL011 (tools/sel4gen's uart_mirror). The
     * VMM keeps the registers' values there, so the guest's PL011 reads
     * (FR polls) do not trap; its writes still do. 0: every access traps. */
    uintptr_t uart_mirror;
    /* Optional: vaddr and size of the window (mapped read-only) where the
     * boot loader put this VM's images, a struct sel4_guest_images_hdr
     * first. 0: the images linked into the program (guest_images.S). */
    uintptr_t guest_images;
    size_t guest_images_size;
    /* Optional (stdvmm-init systems): a physical device passed through to
     * this VM while it owns it (ports/sel4/sel4_passthru.c). NULL: none. */
    const struct sel4_passthru_config *passthru;
};

/*
 * Guest images a boot loader put in memory (systems made by tools/sel4gen:
 * QEMU's `-device loader` from <system>.qemu, or a board's boot loader):
 * this header, then the kernel Image and the initramfs at their offsets.
 * `sel4gen.py pack KERNEL INITRD OUT` writes one.
 */
#define SEL4_GUEST_IMAGES_MAGIC "STDVMMGI"
struct sel4_guest_images_hdr {
    char magic[8];
    uint64_t kernel_offset, kernel_size;
    uint64_t initrd_offset, initrd_size; /* size 0: no initramfs */
};

/* ports/sel4/sddf: serve the machine's "net" device from the client queues in @net. */
int sel4_sddf_net_attach(struct sel4_vmm *s, const struct sel4_net_config *net);

/* ports/sel4/sddf: switch @con to the sDDF serial client queues in @serial. */
int sel4_sddf_console_attach(struct sel4_console *con, const struct sel4_serial_config *serial);

/* ports/sel4/sddf: ask sDDF's timer driver on channel @ch for a
 * notification in @ns nanoseconds (replaces this client's previous one). */
void sel4_sddf_timer_set(unsigned ch, uint64_t ns);
/* ports/sel4/sddf: the block backend over the sDDF blk client in @blk. */
int sel4_sddf_blk_attach(struct sel4_vmm *s, const struct sel4_blk_config *blk,
                         const struct vmm_blk_backend **backend);

/* The example's configuration (one per VMM program). */
extern const struct sel4_vmm_config sel4_vmm_config;

/* Guest images linked into the VMM program (guest_images.S); weak: a
 * program whose images the boot loader places links none. */
extern const unsigned char sel4_guest_kernel[] __attribute__((weak));
extern const unsigned char sel4_guest_kernel_end[] __attribute__((weak));
extern const unsigned char sel4_guest_initrd[] __attribute__((weak));
extern const unsigned char sel4_guest_initrd_end[] __attribute__((weak));

#endif
