# SPDX-License-Identifier: BSD-2-Clause
#
# The ctl system (stdvmm-init's control interface), included by
# ../Makefile: the tiny guest (guest.S) as the "tiny" VMM program's kernel
# with an empty initramfs, and the control clients, each linked with the
# client library (ports/sel4-init/ctl_client.c) and put into the root task.

CTL := $(BUILD)/ctl
CTL_CLIENTS := ctl-test:ctl/client_test.c ctl-view:ctl/client_view.c
CTL_CLIENT_OBJS := $(BUILD)/obj/ports/sel4-init/ctl_crt0.o $(BUILD)/obj/ports/sel4-init/ctl_client.o \
	$(BUILD)/obj/ports/sel4-init/ctl_proto.o $(BUILD)/obj/ports/sel4/sel4_fmt.o \
	$(patsubst $(REPO)/%.c,$(BUILD)/obj/%.o,$(wildcard $(REPO)/src/freestanding/*.c))

$(CTL)/guest.o: ctl/guest.S
	@mkdir -p $(dir $@)
	$(CC) -c $< -o $@
$(CTL)/guest.Image: $(CTL)/guest.o
	$(LD) -Ttext=0 --no-warn-rwx-segments -e _head -o $(CTL)/guest.elf $<
	$(CROSS)objcopy -O binary $(CTL)/guest.elf $@
$(CTL)/empty:
	@mkdir -p $(dir $@)
	: >$@
$(CTL)/images_tiny.o: $(REPO)/ports/sel4/guest_images.S $(CTL)/guest.Image $(CTL)/empty
	$(CC) -c -DSEL4_GUEST_KERNEL='"$(CTL)/guest.Image"' -DSEL4_GUEST_INITRD='"$(CTL)/empty"' $< -o $@
IMAGES_ctl_tiny := $(CTL)/images_tiny.o
# Its machine: 4 MiB, the console on the PL011, no command line (vm_config.c).
VM_FLAGS_ctl_tiny := -DVM_RAM_SIZE=0x400000 -DVM_CONSOLE=VMM_CONSOLE_SERIAL -DVM_CMDLINE='""'

# $(1) client name, $(2) source: a client program.
define ctl_client
$(CTL)/client_$(1).elf: $(CTL)/obj/client_$(1).o $(CTL_CLIENT_OBJS) $(LDS)
	$(LD) --no-warn-rwx-segments -T $(LDS) -o $$@ $$(filter %.o,$$^) $(LIBGCC)
$(CTL)/obj/client_$(1).o: $(2) $(HDRS)
	@mkdir -p $$(dir $$@)
	$(CC) $(CFLAGS) -c $$< -o $$@
endef
$(foreach p,$(CTL_CLIENTS),$(eval $(call ctl_client,$(word 1,$(subst :, ,$(p))),$(word 2,$(subst :, ,$(p))))))

$(CTL)/clients.S: ctl/ctl.mk
	@mkdir -p $(dir $@)
	@printf '/* generated */\n    .section .rodata, "a"\n' >$@
	@for c in $(foreach p,$(CTL_CLIENTS),$(word 1,$(subst :, ,$(p)))); do s=$$(echo $$c | tr -- - _); \
		printf '    .balign 4096\n    .global client_%s_elf\n    .global client_%s_elf_end\nclient_%s_elf:\n    .incbin "%s"\nclient_%s_elf_end:\n' \
		$$s $$s $$s $(CTL)/client_$$c.elf $$s >>$@; done
$(CTL)/clients.o: $(CTL)/clients.S $(foreach p,$(CTL_CLIENTS),$(CTL)/client_$(word 1,$(subst :, ,$(p))).elf)
	$(CC) -c $< -o $@
EXTRA_OBJS_ctl := $(CTL)/clients.o
