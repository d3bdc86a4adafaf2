/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Boot timer (see include/stdvmm/boot_timer.h): one write-once signal
 * register and a read-only count. Any other access reads 0 / is ignored,
 * and a repeated or wrong value never calls back again.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "stdvmm/boot_timer.h"
#include "stdvmm/err.h"
#include "stdvmm/irq.h"

static const char boot_timer_compatible[] = "stdvmm,boot-timer";

static int boot_timer_read(void *opaque, uint64_t offset, unsigned size, uint64_t *value)
{
    const struct boot_timer *bt = opaque;

    (void)size;
    *value = offset == BOOT_TIMER_COUNT ? (uint64_t)bt->fired : 0;
    return 0;
}

static int boot_timer_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct boot_timer *bt = opaque;

    if (offset != BOOT_TIMER_SIGNAL || size != 4 || value != BOOT_TIMER_MAGIC || bt->fired) {
        bt->ignored++;
        return 0;
    }
    bt->fired = true;
    if (bt->signalled != NULL)
        bt->signalled(bt->ctx);
    return 0;
}

const struct vmm_mmio_ops vmm_boot_timer_mmio_ops = {
    .read = boot_timer_read,
    .write = boot_timer_write,
};

/* A guest reset: the next boot may signal again. */
static void boot_timer_reset(struct vmm_device *dev)
{
    struct boot_timer *bt = dev->opaque;

    bt->fired = false;
}

void vmm_boot_timer_init(struct boot_timer *bt, const char *name, uint64_t base,
                         void (*signalled)(void *ctx), void *ctx)
{
    memset(bt, 0, sizeof(*bt));
    bt->signalled = signalled;
    bt->ctx = ctx;
    bt->dev = (struct vmm_device){
        .name = name != NULL ? name : "boot-timer",
        .node_name = "boot-timer",
        .compatible = boot_timer_compatible,
        .compatible_len = sizeof(boot_timer_compatible),
        .base = base,
        .size = BOOT_TIMER_SIZE,
        .irq = VMM_IRQ_NONE,
        .ops = &vmm_boot_timer_mmio_ops,
        .opaque = bt,
        .reset = boot_timer_reset,
    };
}
