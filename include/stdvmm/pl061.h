/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ARM PrimeCell GPIO (PL061, ARM DDI 0190) as QEMU virt uses it: a power
 * button on pin 3, described to the guest by a "gpio-keys" node with
 * KEY_POWER (linux,code 116), so a guest's gpio-keys driver (or a program
 * watching the pin) can power off cleanly when the host presses it.
 * Registers: GPIODATA (address-masked), GPIODIR, the interrupt sense,
 * edge and mask registers, GPIOAFSEL and the PrimeCell IDs.
 */
#ifndef STDVMM_PL061_H
#define STDVMM_PL061_H

#include <stdbool.h>
#include <stdint.h>
#include "stdvmm/device.h"

struct vmm_vm;

#define PL061_MMIO_SIZE 0x1000u
#define PL061_POWER_PIN 3u   /* QEMU virt's GPIO_PWR pin */
#define PL061_KEY_POWER 116u /* linux/input-event-codes.h */
#define PL061_DEFAULT_BASE 0x09030000ull
#define PL061_DEFAULT_IRQ 7u

/* Register offsets, DDI 0190 3.2. */
#define PL061_DATA 0x000 /* 0x000..0x3fc: address bits [9:2] mask the pins */
#define PL061_DIR 0x400
#define PL061_IS 0x404
#define PL061_IBE 0x408
#define PL061_IEV 0x40c
#define PL061_IE 0x410
#define PL061_RIS 0x414
#define PL061_MIS 0x418
#define PL061_IC 0x41c
#define PL061_AFSEL 0x420
#define PL061_ID_BASE 0xfe0

struct pl061 {
    struct vmm_device dev; /* add with vmm_vm_add_device(vm, &gpio->dev) */
    struct vmm_vm *vm;
    uint32_t clk_phandle, phandle;
    uint8_t in;  /* levels driven from outside (the power button) */
    uint8_t out; /* levels the guest wrote (pins set as outputs) */
    uint8_t dir, is, ibe, iev, ie, ris, afsel;
    bool irq_level;
    unsigned long presses;
};

/* Set up @gpio at @base with SPI @irq; @clk_phandle is the APB clock and
 * @phandle the one the gpio-keys node refers to. */
void vmm_pl061_init(struct pl061 *gpio, struct vmm_vm *vm, const char *name, uint64_t base,
                    unsigned irq, uint32_t clk_phandle, uint32_t phandle);

/* Drive input pin @pin (0..7) to @level: an edge the guest enabled
 * raises the interrupt. Call with the VM's device lock held. */
void vmm_pl061_set_input(struct pl061 *gpio, unsigned pin, bool level);

/* Press the power button: pin 3 low then high (a rising edge each time it
 * is pressed); it stays high until the next press or a reset. */
void vmm_pl061_press_power(struct pl061 *gpio);

/* Back to the power-on state (a guest reset): inputs low, interrupts off. */
void vmm_pl061_reset(struct pl061 *gpio);

#endif
