/* SPDX-License-Identifier: BSD-2-Clause */
/* The PL061 GPIO power button (pl061.h), driven through the MMIO bus as the
 * Linux pl061 driver and a sysfs reader would use it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "stdvmm/pl061.h"
#include "stdvmm/vm.h"

#define BASE PL061_DEFAULT_BASE
#define LINE PL061_DEFAULT_IRQ
#define PIN (1u << PL061_POWER_PIN)

struct fixture {
    struct vmm_vm vm;
    struct pl061 gpio;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    assert_int_equal(vmm_vm_init(&f->vm, "pl061-test", 1), 0);
    vmm_pl061_init(&f->gpio, &f->vm, "gpio0", BASE, LINE, 2, 3);
    assert_int_equal(vmm_vm_add_device(&f->vm, &f->gpio.dev), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

static uint32_t rd(struct fixture *f, uint64_t off)
{
    struct vmm_access acc = {.addr = BASE + off, .size = 4};

    assert_int_equal(vmm_vm_mmio(&f->vm, &acc), 0);
    return (uint32_t)acc.value;
}

static void wr(struct fixture *f, uint64_t off, uint32_t value)
{
    struct vmm_access acc = {.addr = BASE + off, .size = 4, .write = true, .value = value};

    assert_int_equal(vmm_vm_mmio(&f->vm, &acc), 0);
}

static bool irq_line(struct fixture *f)
{
    return f->vm.irqs.level[LINE];
}

static void pl061_reads_primecell_ids(void **state)
{
    struct fixture *f = *state;
    static const uint8_t ids[8] = {0x61, 0x10, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

    for (unsigned i = 0; i < 8; i++)
        assert_int_equal(rd(f, PL061_ID_BASE + 4 * i), ids[i]);
}

/* GPIODATA reads only the pins its address bits [9:2] select. */
static void pl061_power_button_shows_in_masked_data(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(rd(f, PIN << 2), 0);
    vmm_pl061_press_power(&f->gpio);
    assert_int_equal(rd(f, PIN << 2), PIN);
    assert_int_equal(rd(f, 0x3fc), PIN);
    assert_int_equal(rd(f, (PIN ^ 0xff) << 2), 0);
    assert_int_equal(f->gpio.dev.counters.notifications, 1);
}

/* The Linux driver's setup for a rising edge: IS=0, IBE=0, IEV=1, IE set. */
static void pl061_rising_edge_raises_the_line_until_cleared(void **state)
{
    struct fixture *f = *state;

    wr(f, PL061_IEV, PIN);
    wr(f, PL061_IE, PIN);
    assert_false(irq_line(f));
    vmm_pl061_press_power(&f->gpio);
    assert_true(irq_line(f));
    assert_int_equal(rd(f, PL061_RIS), PIN);
    assert_int_equal(rd(f, PL061_MIS), PIN);
    wr(f, PL061_IC, PIN);
    assert_false(irq_line(f));
    /* a second press is a second edge (low, then high again) */
    vmm_pl061_press_power(&f->gpio);
    assert_true(irq_line(f));
    assert_int_equal(f->gpio.dev.counters.interrupts, 2);
}

static void pl061_masked_or_level_interrupts(void **state)
{
    struct fixture *f = *state;

    vmm_pl061_press_power(&f->gpio);       /* IE clear: latched, no line */
    assert_int_equal(rd(f, PL061_RIS), 0); /* nothing latched before IEV chose the edge */
    assert_false(irq_line(f));
    /* level-high sensing follows the pin */
    wr(f, PL061_IS, PIN);
    wr(f, PL061_IEV, PIN);
    wr(f, PL061_IE, PIN);
    assert_true(irq_line(f));
    vmm_pl061_set_input(&f->gpio, PL061_POWER_PIN, false);
    assert_false(irq_line(f));
    /* a guest reset forgets everything */
    vmm_pl061_set_input(&f->gpio, PL061_POWER_PIN, true);
    assert_true(irq_line(f));
    f->gpio.dev.reset(&f->gpio.dev);
    assert_false(irq_line(f));
    assert_int_equal(rd(f, 0x3fc), 0);
    assert_int_equal(rd(f, PL061_IE), 0);
}

/* A pin the guest set as an output reads back what it wrote; the
 * button's input level does not show through it. */
static void pl061_output_pins_read_back(void **state)
{
    struct fixture *f = *state;

    wr(f, PL061_DIR, 0x81);
    wr(f, 0x3fc, 0xff);
    vmm_pl061_press_power(&f->gpio);
    assert_int_equal(rd(f, 0x3fc), 0x81 | PIN);
    wr(f, 0x1 << 2, 0); /* only pin 0 is written */
    assert_int_equal(rd(f, 0x3fc), 0x80 | PIN);
    assert_int_equal(rd(f, 0x800), 0); /* reserved */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(pl061_reads_primecell_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(pl061_power_button_shows_in_masked_data, setup, teardown),
        cmocka_unit_test_setup_teardown(pl061_rising_edge_raises_the_line_until_cleared, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(pl061_masked_or_level_interrupts, setup, teardown),
        cmocka_unit_test_setup_teardown(pl061_output_pins_read_back, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
