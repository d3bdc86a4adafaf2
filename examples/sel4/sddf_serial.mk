# SPDX-License-Identifier: BSD-2-Clause
#
# Builds sDDF's serial components (the PL011 driver and the rx/tx
# virtualisers) from the SDDF checkout the user gave, in the current
# directory (make -C BUILDDIR -f sddf_serial.mk ...), with sDDF's own
# Makefile snippets, and puts into each the configuration data that
# tools/sel4gen generated in GEN (C initialisers compiled against this
# checkout's headers, their sections copied in with objcopy).
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

COMPONENTS := serial_driver serial_virt_rx serial_virt_tx
# component: sections its generated config file fills
SECTIONS_serial_driver := .device_resources .serial_driver_config
SECTIONS_serial_virt_rx := .serial_virt_rx_config
SECTIONS_serial_virt_tx := .serial_virt_tx_config

all: $(addsuffix .cfg.elf,$(COMPONENTS))

$(CHECK_FLAGS_BOARD_MD5):
	touch $@

serial_driver.elf serial_virt_rx.elf serial_virt_tx.elf: libsddf_util_debug.a

include $(SDDF)/util/util.mk
include $(SDDF)/drivers/serial/arm/serial_driver.mk
include $(SDDF)/serial/components/serial_components.mk

gen/%.o: $(GEN)/sddf_%.c
	@mkdir -p gen
	$(CC) $(CFLAGS) -c -o $@ $<

# <component>.cfg.elf: the component with its configuration sections filled.
%.cfg.elf: %.elf gen/%.o
	cp $< $@.tmp
	for sec in $(SECTIONS_$*); do \
		$(OBJCOPY) --dump-section $$sec=gen/$*$$sec.data gen/$*.o && \
		$(OBJCOPY) --update-section $$sec=gen/$*$$sec.data $@.tmp || exit 1; \
	done
	mv $@.tmp $@
