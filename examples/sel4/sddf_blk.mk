# SPDX-License-Identifier: BSD-2-Clause
#
# Builds sDDF's blk components (the virtio-blk driver and the blk
# virtualiser) from the SDDF checkout the user gave, in the current
# directory (make -C BUILDDIR -f sddf_blk.mk ...), with sDDF's own Makefile
# snippets, and puts into each the configuration data that tools/sel4gen
# (tools/sel4gen/sddf_blk.py) generated in GEN, as sddf_serial.mk does.
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

COMPONENTS := blk_driver blk_virt
# component: sections its generated config file fills
SECTIONS_blk_driver := .device_resources .blk_driver_config
SECTIONS_blk_virt := .blk_virt_config

all: $(addsuffix .cfg.elf,$(COMPONENTS))

$(CHECK_FLAGS_BOARD_MD5):
	touch $@

blk_driver.elf blk_virt.elf: libsddf_util_debug.a

include $(SDDF)/util/util.mk
include $(SDDF)/drivers/blk/virtio/blk_driver.mk
include $(SDDF)/blk/components/blk_components.mk

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
