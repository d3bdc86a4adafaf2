# SPDX-License-Identifier: BSD-2-Clause
#
# Builds sDDF's ARM generic-timer driver (drivers/timer/arm) from the SDDF
# checkout the user gave, in the current directory, with sDDF's own Makefile
# snippet, and puts into it the device resources tools/sel4gen generated in
# GEN (sddf_timer_driver.c compiled against the checkout's headers, its
# section copied in with objcopy): timer_driver.cfg.elf.
#
# Needs: MICROKIT_SDK MICROKIT_BOARD MICROKIT_CONFIG SDDF GEN

BOARD_DIR := $(MICROKIT_SDK)/board/$(MICROKIT_BOARD)/$(MICROKIT_CONFIG)
ARCH := aarch64
CPU := cortex-a53
CC := clang
LD := ld.lld
AR := llvm-ar
RANLIB := llvm-ranlib
OBJCOPY := llvm-objcopy
SDDF_CUSTOM_LIBC := 1
CFLAGS := -ffreestanding -g3 -O2 -Wall -Wno-unused-function -Werror -MD \
	-mcpu=$(CPU) -mstrict-align -target aarch64-none-elf \
	-I$(BOARD_DIR)/include -I$(SDDF)/include -I$(SDDF)/include/microkit
LDFLAGS := -L$(BOARD_DIR)/lib
LIBS := --start-group -lmicrokit -Tmicrokit.ld libsddf_util_debug.a --end-group
CHECK_FLAGS_BOARD_MD5 := .board_cflags

all: timer_driver.cfg.elf

$(CHECK_FLAGS_BOARD_MD5):
	touch $@

timer_driver.elf: libsddf_util_debug.a

include $(SDDF)/util/util.mk
include $(SDDF)/drivers/timer/arm/timer_driver.mk

gen/timer_driver.o: $(GEN)/sddf_timer_driver.c
	@mkdir -p gen
	$(CC) $(CFLAGS) -c -o $@ $<

timer_driver.cfg.elf: timer_driver.elf gen/timer_driver.o
	$(OBJCOPY) --dump-section .device_resources=gen/timer_driver.device_resources.data \
		gen/timer_driver.o
	$(OBJCOPY) --update-section .device_resources=gen/timer_driver.device_resources.data \
		timer_driver.elf $@.tmp
	mv $@.tmp $@
