/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Shared pieces of the libFuzzer targets: a reader that turns the input into
 * numbers (zeros once it runs out, so every input is valid), a small guest
 * (a VM with 64 KiB of RAM in two separately allocated 32 KiB regions, so
 * ASan catches any access past either end or across the seam), and a
 * hostile virtio-mmio driver that runs byte-coded operations against a
 * device: register accesses, a full bring-up, raw descriptors, well-formed
 * chains, ring fields, kicks and raw RAM writes.
 *
 * A target calls fz_guest_init(), sets its device up, then loops over
 * fz_driver_op() for each operation byte; ops it does not recognise
 * (fz_driver_op returns false) are the target's own device operations.
 * FZ_CHECK() is for invariants a device promises; a broken one aborts, which
 * libFuzzer reports as a crash.
 */
#ifndef STDVMM_FUZZ_SUPPORT_H
#define STDVMM_FUZZ_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "stdvmm/virtio.h"
#include "stdvmm/vm.h"

/* Abort with a message when a promised invariant does not hold. */
#define FZ_CHECK(cond)                                                                             \
    do {                                                                                           \
        if (!(cond))                                                                               \
            fz_fail(__FILE__, __LINE__, #cond);                                                    \
    } while (0)

void fz_fail(const char *file, int line, const char *what) __attribute__((noreturn));

/* ------------------------------------------------------------------ input */

struct fz_in {
    const uint8_t *p;
    size_t n;
};

static inline bool fz_more(const struct fz_in *in)
{
    return in->n > 0;
}

/* Little-endian numbers from the input; missing bytes read as zero. */
uint8_t fz_u8(struct fz_in *in);
uint16_t fz_u16(struct fz_in *in);
uint32_t fz_u32(struct fz_in *in);
uint64_t fz_u64(struct fz_in *in);

/* Take up to @max bytes: *@out points at them; returns how many. */
size_t fz_take(struct fz_in *in, size_t max, const uint8_t **out);

/* Copy up to @max input bytes into @dst, then fill the rest of @len with a
 * pattern; returns @len. */
size_t fz_fill(struct fz_in *in, void *dst, size_t len);

/* ------------------------------------------------------------------ guest */

/* Install a log sink that formats every message (so a wrong argument type
 * shows up under the sanitizers) and drops it; FUZZ_QUIET_LOG=1 in the
 * environment limits it to errors. It aborts when one input (everything
 * since this call) logs more than FZ_LOG_LINES_MAX lines at INFO or above:
 * every line a guest can trigger must be rate-limited. Debug lines are
 * opt-in and not counted. */
#define FZ_LOG_LINES_MAX 32u
void fz_log_init(void);

#define FZ_RAM_GPA 0x40000000ull
#define FZ_RAM_HALF 0x8000u /* two regions of this size, back to back */
#define FZ_RAM_SIZE (2u * FZ_RAM_HALF)
#define FZ_DEV_BASE 0x0a000000ull /* first device window */
#define FZ_DEV_IRQ 16u

struct fz_guest {
    struct vmm_vm vm;
    uint8_t *ram[2];
    unsigned irq_calls;
};

/* A VM with @nr_vcpus vCPUs, zeroed RAM, a port that counts IRQ changes and
 * the fz_log_init() sink. */
void fz_guest_init(struct fz_guest *g, unsigned nr_vcpus);

/* Free the RAM. */
void fz_guest_free(struct fz_guest *g);

/* True if host range [p, p+len) lies wholly inside one RAM region. */
bool fz_guest_owns(const struct fz_guest *g, const void *p, size_t len);

/* A guest address from the input: mostly inside (or just around) RAM,
 * sometimes any 64-bit value. */
uint64_t fz_addr(struct fz_in *in);

/* Route one access through the VM's bus; returns the value read. */
uint64_t fz_mmio(struct fz_guest *g, uint64_t addr, unsigned size, bool write, uint64_t value);

/* ------------------------------------------------------------------ driver */

/* The driver's view of one queue, as laid out by the bring-up op. */
struct fz_vq {
    uint64_t desc, avail, used;
    uint16_t num;       /* 0: not set up by the driver */
    uint16_t avail_idx; /* next index the driver publishes */
    uint16_t next_desc; /* round-robin descriptor allocator */
};

struct fz_driver {
    struct fz_guest *g;
    uint64_t base; /* the device's window */
    unsigned nr_queues;
    struct fz_vq q[VIRTIO_MMIO_MAX_QUEUES];
    uint64_t data_next; /* round-robin allocator in the data half of RAM */
};

/* Op codes below FZ_OP_DEVICE are the driver's; the rest are the target's. */
#define FZ_OP_DEVICE 10u

/* A driver for the device at @base with @nr_queues queues. */
void fz_driver_init(struct fz_driver *d, struct fz_guest *g, uint64_t base, unsigned nr_queues);

/* Run driver operation @op (low 4 bits) with arguments from @in; false when
 * the op is a device operation (op & 15 >= FZ_OP_DEVICE) left to the caller. */
bool fz_driver_op(struct fz_driver *d, uint8_t op, struct fz_in *in);

/* Reset, negotiate @features, lay out and enable every queue with @num
 * entries (capped by QueueNumMax), DRIVER_OK. */
void fz_driver_bringup(struct fz_driver *d, uint64_t features, uint16_t num);

/* Chain @n buffers of @lens (writable when bit i of @writable_mask is set)
 * in queue @q's data area, fill the readable ones from @in, and publish it
 * (through an indirect table when @indirect). Returns the head or -1. */
int fz_driver_add_chain(struct fz_driver *d, unsigned q, const uint32_t *lens, unsigned n,
                        uint32_t writable_mask, bool indirect, struct fz_in *in);

/* Same, but the first readable buffer is @hdr (@hdr_len bytes). */
int fz_driver_add_chain_hdr(struct fz_driver *d, unsigned q, const void *hdr, uint32_t hdr_len,
                            const uint32_t *lens, unsigned n, uint32_t writable_mask, bool indirect,
                            struct fz_in *in);

/* Write QueueNotify for @q. */
void fz_driver_kick(struct fz_driver *d, unsigned q);

/* ------------------------------------------------------------------ device tree */

/*
 * Check a generated DTB in @buf (@bufsize bytes): header and structure valid
 * (fdt_check_full), no larger than @bufsize, every node and property
 * readable. Then, when @bootargs is not NULL, /chosen/bootargs must equal
 * it; when @initrd_end > @initrd_start, linux,initrd-start/end must say so.
 * Returns the number of nodes.
 */
unsigned fz_fdt_check(const void *buf, size_t bufsize, const char *bootargs, uint64_t initrd_start,
                      uint64_t initrd_end);

/* Longest op sequence a target runs for one input. */
#define FZ_MAX_OPS 512u

#endif
