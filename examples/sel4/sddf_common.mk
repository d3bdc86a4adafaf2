# SPDX-License-Identifier: BSD-2-Clause
#
# The build of sDDF components that sddf_serial.mk, sddf_timer.mk,
# sddf_blk.mk and sddf_net.mk share; each includes it after saying what to
# build. In the current directory (make -C BUILDDIR -f sddf_<x>.mk ...): the
# components' ELFs from the SDDF checkout the user gave, with sDDF's own
# Makefile snippets and its util library, then <component>.cfg.elf for each:
# its ELF with the configuration data tools/sel4gen generated in GEN put in
# (GEN/sddf_<component>.c compiled against this checkout's headers, its
# sections copied in with objcopy).
#
# The including file sets, before the include:
#   COMPONENTS            the components (protection domains) to build
#   SDDF_SNIPPETS         sDDF's Makefile snippets (paths under SDDF) that
#                         build their ELFs
#   SECTIONS_<component>  the sections its generated config fills
#   BASE_<component>      the ELF it is made from (default <component>.elf)
#   GEN_CFLAGS            more flags for the generated configs (optional)
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

base_of = $(or $(BASE_$(1)),$(1).elf)

all: $(addsuffix .cfg.elf,$(COMPONENTS))

$(CHECK_FLAGS_BOARD_MD5):
	touch $@

$(sort $(foreach c,$(COMPONENTS),$(call base_of,$(c)))): libsddf_util_debug.a

include $(SDDF)/util/util.mk
include $(addprefix $(SDDF)/,$(SDDF_SNIPPETS))

gen/%.o: $(GEN)/sddf_%.c
	@mkdir -p gen
	$(CC) $(CFLAGS) $(GEN_CFLAGS) -c -o $@ $<

# <component>.cfg.elf: the component with its configuration sections filled.
define cfg_elf
$(1).cfg.elf: $(call base_of,$(1)) gen/$(1).o
	cp $$< $$@.tmp
	for sec in $$(SECTIONS_$(1)); do \
		$$(OBJCOPY) --dump-section $$$$sec=gen/$(1)$$$$sec.data gen/$(1).o && \
		$$(OBJCOPY) --update-section $$$$sec=gen/$(1)$$$$sec.data $$@.tmp || exit 1; \
	done
	mv $$@.tmp $$@
endef
$(foreach c,$(COMPONENTS),$(eval $(call cfg_elf,$(c))))
