# SPDX-License-Identifier: BSD-2-Clause
#
# The devown system's control client (client_move.c), included by
# ../Makefile: linked with the client library like the ctl clients
# (ctl/ctl.mk) and put into the root task.

DEVOWN := $(BUILD)/devown

$(DEVOWN)/client_devown-move.elf: $(DEVOWN)/obj/client_move.o $(CTL_CLIENT_OBJS) $(LDS)
	$(LD) --no-warn-rwx-segments -T $(LDS) -o $@ $(filter %.o,$^) $(LIBGCC)
$(DEVOWN)/obj/client_move.o: devown/client_move.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@
$(DEVOWN)/clients.S: devown/devown.mk
	@mkdir -p $(dir $@)
	@printf '/* generated */\n    .section .rodata, "a"\n    .balign 4096\n    .global client_devown_move_elf\n    .global client_devown_move_elf_end\nclient_devown_move_elf:\n    .incbin "%s"\nclient_devown_move_elf_end:\n' \
		$(DEVOWN)/client_devown-move.elf >$@
$(DEVOWN)/clients.o: $(DEVOWN)/clients.S $(DEVOWN)/client_devown-move.elf
	$(CC) -c $< -o $@
EXTRA_OBJS_devown := $(DEVOWN)/clients.o
# The VMM configurations include devown/pl031.h (VM_FLAGS_devown).
$(DEVOWN)/obj/vm_vm-a.o $(DEVOWN)/obj/vm_vm-b.o: devown/pl031.h
