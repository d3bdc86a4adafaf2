# SPDX-License-Identifier: BSD-2-Clause
#
# stdvmm build. One GNU Make file, three flavours of the same sources:
#   host         x86_64 (or native) objects with ASan+UBSan, for cmocka unit tests
#   aarch64      the static `stdvmm` program for arm64 Linux hosts with /dev/kvm
#   freestanding the portable core as a library the seL4 port links
# See README.md for the targets a user runs.

BUILD ?= build
CROSS ?= aarch64-linux-gnu-
HOST_CC ?= gcc
DEPS := $(BUILD)/deps
ARM64_ROOT := $(DEPS)/arm64
VERSION := $(shell cat VERSION)

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla
CSTD := -std=c11
INC := -Iinclude -Isrc

# Portable code: no hypervisor, no libc beyond <string.h>, freestanding-safe.
CORE_SRCS := $(sort $(wildcard src/core/*.c src/arch/aarch64/*.c src/virtio/*.c src/devices/*.c src/api/*.c \
	src/machine/*.c) src/backends/sddf/net_frame.c)
# Hosted (POSIX/Linux) backends: files, fds, tap, sockets.
POSIX_SRCS := $(sort $(wildcard src/backends/posix/*.c))
# The KVM port and the command-line program.
KVM_SRCS := $(sort $(wildcard ports/kvm/*.c tools/stdvmm/*.c))
TEST_SRCS := $(sort $(wildcard tests/unit/test_*.c))
TEST_SUPPORT := $(sort $(wildcard tests/unit/support/*.c))
HDRS := $(shell find include src ports tools tests/unit -name '*.h' 2>/dev/null)

# ---------------------------------------------------------------- host / unit tests
HOST_DIR := $(BUILD)/host
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
HOST_CFLAGS := $(CSTD) $(WARN) $(INC) -Itests/unit -g -O1 $(SAN) -D_GNU_SOURCE
HOST_LDLIBS := -lcmocka -lfdt -pthread
# Hosted parts of the stdvmm program that unit tests exercise on the build host.
HOSTED_SRCS := tools/stdvmm/config.c tools/stdvmm/help.c tools/stdvmm/backends.c
# The KVM port's seccomp filter builds (and is tested) on any Linux host.
HOSTED_SRCS += tools/stdvmm/isolate.c ports/kvm/seccomp.c ports/kvm/seccomp_table.c
HOST_LIB_OBJS := $(patsubst %.c,$(HOST_DIR)/%.o,$(CORE_SRCS) $(POSIX_SRCS) $(HOSTED_SRCS))
HOST_SUPPORT_OBJS := $(patsubst %.c,$(HOST_DIR)/%.o,$(TEST_SUPPORT))
# Shared by every test binary: keep them (make would delete them as intermediates).
.SECONDARY: $(HOST_SUPPORT_OBJS)
UNIT_BINS := $(patsubst tests/unit/%.c,$(HOST_DIR)/tests/%,$(TEST_SRCS))

$(HOST_DIR)/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -c $< -o $@

$(HOST_DIR)/libstdvmm.a: $(HOST_LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(HOST_DIR)/tests/%: tests/unit/%.c $(HOST_SUPPORT_OBJS) $(HOST_DIR)/libstdvmm.a $(HDRS)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -MMD -MP -MF $@.d $< $(HOST_SUPPORT_OBJS) $(HOST_DIR)/libstdvmm.a $(HOST_LDLIBS) -o $@

# Each test's dependency file also names the source files it compiles into
# itself (#include "../../x.c"), so editing one rebuilds the test.
-include $(UNIT_BINS:=.d)

.PHONY: unit-build unit
unit-build: $(UNIT_BINS)

# Runs every unit test binary; a failing binary fails the target after all ran.
unit: unit-build
	@scripts/run-unit-tests.sh $(UNIT_BINS)

# ---------------------------------------------------------------- aarch64 stdvmm
A64_DIR := $(BUILD)/aarch64
A64_CFLAGS := $(CSTD) $(WARN) $(INC) -I$(ARM64_ROOT)/usr/include -O2 -g -D_GNU_SOURCE \
	-DSTDVMM_VERSION=\"$(VERSION)\"
A64_OBJS := $(patsubst %.c,$(A64_DIR)/%.o,$(CORE_SRCS) $(POSIX_SRCS) $(KVM_SRCS))
ARM64_LIBFDT := $(ARM64_ROOT)/usr/lib/aarch64-linux-gnu/libfdt.a

$(ARM64_LIBFDT):
	scripts/deps.sh cross

$(A64_DIR)/%.o: %.c $(HDRS) | $(ARM64_LIBFDT)
	@mkdir -p $(dir $@)
	$(CROSS)gcc $(A64_CFLAGS) -c $< -o $@

$(A64_DIR)/stdvmm: $(A64_OBJS) $(ARM64_LIBFDT)
	$(CROSS)gcc -static -o $@ $(A64_OBJS) $(ARM64_LIBFDT) -lpthread

.PHONY: stdvmm
stdvmm: $(A64_DIR)/stdvmm

# ---------------------------------------------------------------- freestanding core
FS_DIR := $(BUILD)/freestanding
FS_CFLAGS := $(CSTD) $(WARN) $(INC) -O2 -ffreestanding -fno-stack-protector -mgeneral-regs-only \
	-mno-outline-atomics \
	-nostdinc -isystem $(shell $(CROSS)gcc -print-file-name=include) \
	-Isrc/freestanding/include -idirafter $(ARM64_ROOT)/usr/include
FS_OBJS := $(patsubst %.c,$(FS_DIR)/%.o,$(CORE_SRCS))

$(FS_DIR)/%.o: %.c $(HDRS) | $(ARM64_LIBFDT)
	@mkdir -p $(dir $@)
	$(CROSS)gcc $(FS_CFLAGS) -c $< -o $@

$(FS_DIR)/libstdvmm_core.a: $(FS_OBJS)
	@rm -f $@
	$(CROSS)ar rcs $@ $^

.PHONY: freestanding
freestanding: $(FS_DIR)/libstdvmm_core.a

# ---------------------------------------------------------------- libFuzzer targets
# tests/fuzz/fuzz_<target>.c, one LLVMFuzzerTestOneInput each, linked with the
# portable sources built by clang with ASan+UBSan and fuzzer coverage.
# See docs/FUZZING.md.
FUZZ_DIR := $(BUILD)/fuzz
FUZZ_CC ?= clang
FUZZ_TIME ?= 600
# ASan, UBSan (clang's 'undefined' has pointer-overflow; named for clarity) and
# the integer checks: unsigned wraparound, implicit truncation and sign change,
# unsigned shifts that lose bits. Wraparound on purpose is marked VMM_WRAPS
# (include/stdvmm/compiler.h) or written with explicit casts.
FUZZ_SAN := -fsanitize=address,undefined,pointer-overflow,integer -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
# tests/unit: the mirror of sDDF's queue layout (tests/unit/sddf) for the
# targets that build an sDDF backend in (fuzz_sddf_*.c).
FUZZ_CFLAGS := $(CSTD) $(WARN) $(INC) -Itests/fuzz -Itests/unit -g -O1 $(FUZZ_SAN) \
	-fsanitize=fuzzer-no-link -D_GNU_SOURCE
FUZZ_SRCS := $(sort $(filter-out tests/fuzz/fuzz_support.c,$(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(FUZZ_DIR)/%,$(FUZZ_SRCS))
FUZZ_LIB_OBJS := $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(CORE_SRCS) tests/fuzz/fuzz_support.c)
FUZZ_HDRS := $(HDRS) $(wildcard tests/fuzz/*.h)
.SECONDARY: $(FUZZ_LIB_OBJS)

$(FUZZ_DIR)/obj/%.o: %.c $(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_DIR)/libstdvmm_fuzz.a: $(FUZZ_LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_DIR)/libstdvmm_fuzz.a $(FUZZ_HDRS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_DIR)/libstdvmm_fuzz.a -lfdt -o $@
# The sDDF backends are built into their targets (#include of the .c file).
$(FUZZ_DIR)/fuzz_sddf_blk: src/backends/sddf/blk.c
$(FUZZ_DIR)/fuzz_sddf_net: src/backends/sddf/net.c

# The seed generator writes tests/fuzz/corpus/<target>/ (committed).
$(FUZZ_DIR)/gen_seeds: tests/fuzz/gen_seeds.c $(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(CSTD) $(WARN) $(INC) -g -D_GNU_SOURCE $< -o $@

.PHONY: fuzz-build fuzz-smoke fuzz fuzz-seeds
fuzz-build: $(FUZZ_BINS)

# Every target over its seeds plus a short bounded run (the check stage).
fuzz-smoke: fuzz-build
	tests/fuzz/run.sh smoke $(FUZZ_BINS)

# Long runs: FUZZ_TIME seconds per target, corpus kept in $(FUZZ_DIR)/corpus/<target>.
fuzz: fuzz-build
	FUZZ_TIME=$(FUZZ_TIME) tests/fuzz/run.sh long $(FUZZ_BINS)

fuzz-seeds: $(FUZZ_DIR)/gen_seeds
	$(FUZZ_DIR)/gen_seeds tests/fuzz/corpus

# ---------------------------------------------------------------- attacking guest
# tests/attack/: a bare-metal AArch64 program with an arm64 Image header that
# stdvmm boots as its kernel and that attacks it (tests/attack/README.md).
ATTACK_DIR := $(BUILD)/attack
ATTACK_CFLAGS := $(CSTD) $(WARN) -O2 -g -ffreestanding -nostdlib -fno-builtin \
	-fno-tree-loop-distribute-patterns -fno-stack-protector -fno-pie -mgeneral-regs-only
ATTACK_SRCS := $(sort $(wildcard tests/attack/*.c tests/attack/*.S))
ATTACK_OBJS := $(patsubst tests/attack/%,$(ATTACK_DIR)/%.o,$(ATTACK_SRCS))

$(ATTACK_DIR)/%.o: tests/attack/% tests/attack/guest.h tests/attack/boot.h
	@mkdir -p $(dir $@)
	$(CROSS)gcc $(ATTACK_CFLAGS) -c $< -o $@

$(ATTACK_DIR)/attack.elf: $(ATTACK_OBJS) tests/attack/attack.ld
	$(CROSS)gcc $(ATTACK_CFLAGS) -no-pie -static -Wl,--build-id=none,--no-warn-rwx-segments -T tests/attack/attack.ld \
		$(ATTACK_OBJS) -lgcc -o $@

$(ATTACK_DIR)/Image: $(ATTACK_DIR)/attack.elf
	$(CROSS)objcopy -O binary $< $@

.PHONY: attack-guest attack
attack-guest: $(ATTACK_DIR)/Image

# The attacking guest end to end on KVM in the emulated machine.
attack: stdvmm attack-guest
	tests/attack/run.sh

# ---------------------------------------------------------------- GDB test guest
# tests/gdb/: a bare-metal AArch64 program with symbols (gdb.elf) and its
# arm64 Image (Image) that the e2e GDB checks debug (docs/API.md, "GDB").
GDBG_DIR := $(BUILD)/gdb-guest
GDBG_SRCS := $(sort $(wildcard tests/gdb/*.c tests/gdb/*.S))
GDBG_OBJS := $(patsubst tests/gdb/%,$(GDBG_DIR)/%.o,$(GDBG_SRCS))

$(GDBG_DIR)/%.o: tests/gdb/% tests/attack/boot.h
	@mkdir -p $(dir $@)
	$(CROSS)gcc $(ATTACK_CFLAGS) -O1 -c $< -o $@

$(GDBG_DIR)/gdb.elf: $(GDBG_OBJS) tests/gdb/gdb.ld
	$(CROSS)gcc $(ATTACK_CFLAGS) -no-pie -static -Wl,--build-id=none,--no-warn-rwx-segments \
		-T tests/gdb/gdb.ld $(GDBG_OBJS) -lgcc -o $@

$(GDBG_DIR)/Image: $(GDBG_DIR)/gdb.elf
	$(CROSS)objcopy -O binary $< $@

.PHONY: gdb-guest
gdb-guest: $(GDBG_DIR)/Image

# ---------------------------------------------------------------- benchmarks
# stdvmm against Debian's arm64 QEMU in the emulated AArch64 machine
# (bench/run.sh; results in build/bench, table in docs/PERFORMANCE.md).
# bench-smoke: one short repetition, fails only if the suite is broken.
# bench-vhost: vhost-user-blk (qemu-storage-daemon) under stdvmm and QEMU
# against stdvmm's own virtio-blk (bench/vhost/run.sh, docs/PERFORMANCE.md).
.PHONY: bench bench-smoke bench-vhost
bench-vhost: stdvmm
	STDVMM=$(A64_DIR)/stdvmm bench/vhost/run.sh
bench: stdvmm
	STDVMM=$(A64_DIR)/stdvmm bench/run.sh

bench-smoke: stdvmm
	STDVMM=$(A64_DIR)/stdvmm bench/run.sh --smoke

# ---------------------------------------------------------------- top-level targets
.PHONY: sel4gen-test
# The seL4 system generator (tools/sel4gen), on the host: no SDK needed; the
# parts that compile against sDDF run when SDDF (and MICROKIT_SDK) are set.
# Also: the seL4 blk/net chart of docs/PERFORMANCE.md matches its tables.
sel4gen-test:
	python3 -m unittest discover -s tools/sel4gen -v
	python3 bench/sel4_chart.py --check

.PHONY: all deps check e2e demo format format-check clean
all: unit-build stdvmm freestanding

deps:
	scripts/deps.sh all

# The README's test command: everything that can run on this machine.
check:
	scripts/check.sh

e2e: stdvmm
	tests/e2e/run.sh

demo: stdvmm
	tests/e2e/demo.sh

format:
	clang-format -i $(shell git ls-files '*.c' '*.h')

# Fails on any tracked C file clang-format would change (a check stage).
format-check:
	scripts/check-format.sh

clean:
	rm -rf $(HOST_DIR) $(A64_DIR) $(FS_DIR) $(FUZZ_DIR)
