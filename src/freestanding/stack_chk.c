/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Stack-protector symbols that Debian's libfdt.a (built with
 * -fstack-protector-strong) references. The guard is a fixed pattern: there
 * is no entropy source this early, and the check still catches overruns.
 */
#include <stdint.h>

uintptr_t __stack_chk_guard = (uintptr_t)0x5f7e1d2c3b4a6988ull;

void __stack_chk_fail(void);

void __stack_chk_fail(void)
{
    __builtin_trap();
}
