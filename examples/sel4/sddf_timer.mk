# SPDX-License-Identifier: BSD-2-Clause
#
# sDDF's ARM generic-timer driver (drivers/timer/arm) of a system generated
# by tools/sel4gen, built by sddf_common.mk: timer_driver.cfg.elf.
#
# Needs: MICROKIT_SDK MICROKIT_BOARD MICROKIT_CONFIG SDDF GEN

COMPONENTS := timer_driver
SDDF_SNIPPETS := drivers/timer/arm/timer_driver.mk
SECTIONS_timer_driver := .device_resources

include $(dir $(lastword $(MAKEFILE_LIST)))sddf_common.mk
