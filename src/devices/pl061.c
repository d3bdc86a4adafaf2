/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * PL061 GPIO (pl061.h) with the power button on pin 3. Interrupts follow
 * DDI 0190 3.3: GPIOIS selects level (1) or edge (0) sensing, GPIOIBE both
 * edges, GPIOIEV the rising edge or high level; GPIORIS latches edges until
 * GPIOIC clears them, and reflects levels directly; the line is
 * RIS & IE != 0. Accesses of any width are taken as the low byte (the
 * registers are 8 bits wide); unknown offsets read 0 and ignore writes.
 */
#include <libfdt.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "stdvmm/irq.h"
#include "stdvmm/pl061.h"
#include "stdvmm/vm.h"

static const char pl061_compatible[] = "arm,pl061\0arm,primecell";

/* PeriphID0..3 (0x61, 0x10, 0x04, 0x00) then PCellID0..3 (0x0d, 0xf0,
 * 0x05, 0xb1), DDI 0190 3.3.13-14. */
static const uint8_t pl061_ids[8] = {0x61, 0x10, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

static uint8_t pl061_levels(const struct pl061 *g)
{
    return (uint8_t)((g->out & g->dir) | (g->in & (uint8_t)~g->dir));
}

/* Level-sensitive pins mirror their level into RIS. */
static void pl061_update(struct pl061 *g)
{
    uint8_t lv = pl061_levels(g);
    uint8_t high = (uint8_t)((lv & g->iev) | ((uint8_t)~lv & (uint8_t)~g->iev));
    bool level;

    g->ris = (uint8_t)((g->ris & (uint8_t)~g->is) | (high & g->is));
    level = (g->ris & g->ie) != 0;
    if (level != g->irq_level) {
        g->irq_level = level;
        g->dev.counters.interrupts += level;
        (void)vmm_irq_set(g->vm, g->dev.irq, level);
    }
}

/* Edge-sensitive pins latch an edge of the enabled kind. */
static void pl061_edges(struct pl061 *g, uint8_t before)
{
    uint8_t after = pl061_levels(g), changed = before ^ after;
    uint8_t rising = changed & after, falling = changed & before;
    uint8_t edge =
        (uint8_t)((g->ibe & changed) | (~g->ibe & g->iev & rising) | (~g->ibe & ~g->iev & falling));

    g->ris |= (uint8_t)(edge & ~g->is);
    pl061_update(g);
}

static int pl061_read(void *opaque, uint64_t offset, unsigned size, uint64_t *value)
{
    struct pl061 *g = opaque;

    (void)size;
    if (offset < PL061_DIR) {
        *value = pl061_levels(g) & (uint8_t)(offset >> 2);
        return 0;
    }
    switch (offset) {
    case PL061_DIR:
        *value = g->dir;
        break;
    case PL061_IS:
        *value = g->is;
        break;
    case PL061_IBE:
        *value = g->ibe;
        break;
    case PL061_IEV:
        *value = g->iev;
        break;
    case PL061_IE:
        *value = g->ie;
        break;
    case PL061_RIS:
        *value = g->ris;
        break;
    case PL061_MIS:
        *value = g->ris & g->ie;
        break;
    case PL061_AFSEL:
        *value = g->afsel;
        break;
    default:
        *value = offset >= PL061_ID_BASE && offset < PL061_ID_BASE + 32 && (offset & 3) == 0
                     ? pl061_ids[(offset - PL061_ID_BASE) >> 2]
                     : 0;
        break;
    }
    return 0;
}

static int pl061_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct pl061 *g = opaque;
    uint8_t v = (uint8_t)value, before = pl061_levels(g);

    (void)size;
    if (offset < PL061_DIR) {
        uint8_t mask = (uint8_t)(offset >> 2);
        g->out = (uint8_t)((g->out & ~mask) | (v & mask));
        pl061_edges(g, before);
        return 0;
    }
    switch (offset) {
    case PL061_DIR:
        g->dir = v;
        break;
    case PL061_IS:
        g->is = v;
        break;
    case PL061_IBE:
        g->ibe = v;
        break;
    case PL061_IEV:
        g->iev = v;
        break;
    case PL061_IE:
        g->ie = v;
        break;
    case PL061_IC:
        g->ris &= (uint8_t)~v;
        break;
    case PL061_AFSEL:
        g->afsel = v;
        break;
    default:
        return 0; /* read-only or reserved */
    }
    pl061_edges(g, before);
    return 0;
}

static const struct vmm_mmio_ops pl061_ops = {.read = pl061_read, .write = pl061_write};

/* gpio/pl061-gpio.yaml: a GPIO controller with two cells, the APB clock. */
static int pl061_fdt_props(const struct vmm_device *dev, void *fdt)
{
    const struct pl061 *g = dev->opaque;
    int ret = fdt_property(fdt, "gpio-controller", NULL, 0);

    if (ret == 0)
        ret = fdt_property_u32(fdt, "#gpio-cells", 2);
    if (ret == 0)
        ret = fdt_property_u32(fdt, "clocks", g->clk_phandle);
    if (ret == 0)
        ret = fdt_property_string(fdt, "clock-names", "apb_pclk");
    if (ret == 0)
        ret = fdt_property_u32(fdt, "phandle", g->phandle);
    return ret;
}

/* input/gpio-keys.yaml, as QEMU virt writes it: the power key on pin 3,
 * active high. A sibling of the controller at the root. */
static int pl061_fdt_nodes(const struct vmm_device *dev, void *fdt)
{
    const struct pl061 *g = dev->opaque;
    fdt32_t gpios[3] = {cpu_to_fdt32(g->phandle), cpu_to_fdt32(PL061_POWER_PIN), 0};
    int ret = fdt_begin_node(fdt, "gpio-keys");

    if (ret == 0)
        ret = fdt_property_string(fdt, "compatible", "gpio-keys");
    if (ret == 0)
        ret = fdt_begin_node(fdt, "poweroff");
    if (ret == 0)
        ret = fdt_property_string(fdt, "label", "GPIO Key Poweroff");
    if (ret == 0)
        ret = fdt_property_u32(fdt, "linux,code", PL061_KEY_POWER);
    if (ret == 0)
        ret = fdt_property(fdt, "gpios", gpios, sizeof(gpios));
    if (ret == 0)
        ret = fdt_end_node(fdt);
    if (ret == 0)
        ret = fdt_end_node(fdt);
    return ret;
}

static void pl061_dev_reset(struct vmm_device *dev)
{
    vmm_pl061_reset(dev->opaque);
}

void vmm_pl061_reset(struct pl061 *g)
{
    g->in = g->out = g->dir = g->is = g->ibe = g->iev = g->ie = g->ris = g->afsel = 0;
    pl061_update(g);
}

void vmm_pl061_init(struct pl061 *g, struct vmm_vm *vm, const char *name, uint64_t base,
                    unsigned irq, uint32_t clk_phandle, uint32_t phandle)
{
    memset(g, 0, sizeof(*g));
    g->vm = vm;
    g->clk_phandle = clk_phandle;
    g->phandle = phandle;
    g->dev = (struct vmm_device){
        .name = name,
        .node_name = "pl061",
        .compatible = pl061_compatible,
        .compatible_len = sizeof(pl061_compatible),
        .base = base,
        .size = PL061_MMIO_SIZE,
        .irq = irq,
        .ops = &pl061_ops,
        .opaque = g,
        .fdt_props = pl061_fdt_props,
        .fdt_nodes = pl061_fdt_nodes,
        .reset = pl061_dev_reset,
    };
}

void vmm_pl061_set_input(struct pl061 *g, unsigned pin, bool level)
{
    uint8_t before = pl061_levels(g), bit = (uint8_t)(1u << (pin & 7));

    g->in = level ? (uint8_t)(g->in | bit) : (uint8_t)(g->in & ~bit);
    pl061_edges(g, before);
}

void vmm_pl061_press_power(struct pl061 *g)
{
    g->presses++;
    g->dev.counters.notifications++;
    vmm_pl061_set_input(g, PL061_POWER_PIN, false);
    vmm_pl061_set_input(g, PL061_POWER_PIN, true);
}
