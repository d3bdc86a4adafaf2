/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ctl-test, the scripted control client of the ctl example (it holds the
 * admin control capability in slot 1). What tests/sel4-init/ctl.sh checks:
 *  1. creates, starts and destroys a tiny VM CTL_CYCLES times and prints the
 *     free untyped byte count before and after ("... before N after M");
 *  2. takes one tiny VM through create, caps, start, stop, start, restart,
 *     destroy, printing a marker after each (its guest prints "boot 1"
 *     after each start: RAM re-created, not reused);
 *  3. checks refusals: a stale id, an unknown program, a name in use, a
 *     core the kernel does not have;
 *  4. destroys the VM of the description (boot-vm) and prints the count;
 *  5. creates and starts a Linux VM at run time ("linux-1", program linux),
 *     which boots to /init and powers off.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "stdvmm/err.h"
#include "stdvmm/sel4init_ctl.h"

#ifndef CTL_CYCLES
#define CTL_CYCLES 100
#endif
#define EP SEL4INIT_CTL_CLIENT_SLOT_EP
#define GUEST_MS 15000 /* enough for the tiny guest to print its line, on a loaded host */

void sel4init_ctl_client_main(unsigned idx);

static unsigned failures;

static void check(bool ok, const char *what, int ret)
{
    if (!ok)
        failures++;
    sel4init_ctl_say("ctl-test: %s: %d%s", what, ret, ok ? "" : " UNEXPECTED");
}

static void list_all(void)
{
    for (unsigned i = 0; i < SEL4INIT_MAX_VMS; i++) {
        struct sel4init_ctl_vm_info vi;

        if (sel4init_ctl_list(EP, i, &vi) < 0)
            continue;
        sel4init_ctl_say("ctl-test:   [%u] %s id 0x%x %s, %u vCPU(s) (cores 0x%x), VMM core %u, "
                         "RAM %llu MiB, untyped %llu KiB (used %llu KiB)",
                         i, vi.name, vi.id, sel4init_ctl_state_name(vi.state), vi.nr_vcpus,
                         vi.vcpu_cores, vi.vmm_core, (unsigned long long)(vi.ram_size >> 20),
                         (unsigned long long)(vi.ut_bytes >> 10),
                         (unsigned long long)(vi.ut_used >> 10));
    }
}

static uint64_t free_bytes(void)
{
    struct sel4init_ctl_info info = {0};
    int ret = sel4init_ctl_get_info(EP, &info);

    if (ret < 0)
        check(false, "info", ret);
    return info.free_bytes;
}

static struct sel4init_ctl_create vm_req(const char *name, const char *prog, uint64_t ram,
                                         unsigned core)
{
    struct sel4init_ctl_create c = {.ram_size = ram,
                                    .nr_vcpus = 1,
                                    .vcpus = {{.core = core, .priority = 100}},
                                    .vmm_core = SEL4INIT_CTL_CORE_ANY,
                                    .vmm_priority = 200};

    memcpy(c.name, name, strnlen(name, sizeof(c.name) - 1));
    memcpy(c.program, prog, strnlen(prog, sizeof(c.program) - 1));
    return c;
}

static void cycles(void)
{
    struct sel4init_ctl_create c = vm_req("cycle", "tiny", 4u << 20, 1);
    uint64_t before = free_bytes(), after;
    unsigned n = 0;

    for (; n < CTL_CYCLES; n++) {
        uint32_t id;
        int ret = sel4init_ctl_create(EP, &c, &id);

        if (ret == 0)
            ret = sel4init_ctl_call(EP, SEL4INIT_CTL_START, id, NULL);
        if (ret == 0)
            ret = sel4init_ctl_call(EP, SEL4INIT_CTL_DESTROY, id, NULL);
        if (ret < 0) {
            check(false, "a create/start/destroy cycle", ret);
            break;
        }
        if ((n + 1) % 10 == 0)
            sel4init_ctl_say("ctl-test: %u cycles, %llu bytes free", n + 1,
                             (unsigned long long)free_bytes());
    }
    after = free_bytes();
    sel4init_ctl_say("ctl-test: %u create/start/destroy cycles: free untyped bytes before %llu "
                     "after %llu (%s)",
                     n, (unsigned long long)before, (unsigned long long)after,
                     before == after ? "equal" : "DIFFERENT");
    if (before != after)
        failures++;
}

static void lifecycle(void)
{
    struct sel4init_ctl_create c = vm_req("tiny-1", "tiny", 4u << 20, 1);
    uint64_t n = 0;
    uint32_t id = 0;
    int ret = sel4init_ctl_create(EP, &c, &id);

    check(ret == 0, "create tiny-1", ret);
    list_all();
    ret = sel4init_ctl_call(EP, SEL4INIT_CTL_CAPS, id, &n);
    check(ret == 0 && n > 0, "caps of tiny-1 (listed by stdvmm-init)", ret < 0 ? ret : (int)n);
    sel4init_ctl_say("ctl-test: tiny-1 starting (start)");
    ret = sel4init_ctl_call(EP, SEL4INIT_CTL_START, id, NULL);
    check(ret == 0, "start tiny-1", ret);
    sel4init_ctl_sleep_ms(GUEST_MS);
    sel4init_ctl_say("ctl-test: tiny-1 stopping");
    ret = sel4init_ctl_call(EP, SEL4INIT_CTL_STOP, id, NULL);
    check(ret == 0, "stop tiny-1", ret);
    ret = sel4init_ctl_call(EP, SEL4INIT_CTL_STOP, id, NULL);
    check(ret == -VMM_EBUSY, "stop tiny-1 again (refused)", ret);
    list_all();
    sel4init_ctl_say("ctl-test: tiny-1 starting (start again)");
    ret = sel4init_ctl_call(EP, SEL4INIT_CTL_START, id, NULL);
    check(ret == 0, "start tiny-1 again", ret);
    sel4init_ctl_sleep_ms(GUEST_MS);
    sel4init_ctl_say("ctl-test: tiny-1 starting (restart)");
    ret = sel4init_ctl_call(EP, SEL4INIT_CTL_RESTART, id, NULL);
    check(ret == 0, "restart tiny-1", ret);
    sel4init_ctl_sleep_ms(GUEST_MS);
    list_all();
    sel4init_ctl_say("ctl-test: tiny-1 destroying");
    ret = sel4init_ctl_call(EP, SEL4INIT_CTL_DESTROY, id, NULL);
    check(ret == 0, "destroy tiny-1", ret);
    ret = sel4init_ctl_call(EP, SEL4INIT_CTL_START, id, NULL);
    check(ret == -VMM_ENOENT, "start with the destroyed VM's id (refused)", ret);
}

static void refusals(void)
{
    struct sel4init_ctl_create c = vm_req("nope", "no-such-vmm", 4u << 20, 1);
    uint32_t id;
    int ret = sel4init_ctl_create(EP, &c, &id);

    check(ret == -VMM_ENOENT, "create with an unknown program (refused)", ret);
    c = vm_req("boot-vm", "tiny", 4u << 20, 1);
    ret = sel4init_ctl_create(EP, &c, &id);
    check(ret == -VMM_EEXIST, "create with a name in use (refused)", ret);
    c = vm_req("far", "tiny", 4u << 20, 9);
    ret = sel4init_ctl_create(EP, &c, &id);
    check(ret == -VMM_ERANGE, "create on core 9 (refused)", ret);
}

static void destroy_named(const char *name)
{
    for (unsigned i = 0; i < SEL4INIT_MAX_VMS; i++) {
        struct sel4init_ctl_vm_info vi;
        int ret;

        if (sel4init_ctl_list(EP, i, &vi) < 0 || strcmp(vi.name, name) != 0)
            continue;
        ret = sel4init_ctl_call(EP, SEL4INIT_CTL_DESTROY, vi.id, NULL);
        check(ret == 0, "destroy the description's VM", ret);
        return;
    }
    check(false, "no VM of that name", -VMM_ENOENT);
}

void sel4init_ctl_client_main(unsigned idx)
{
    struct sel4init_ctl_create lx = vm_req("linux-1", "linux", 128u << 20, 2);
    uint64_t start;
    uint32_t id;
    int ret;

    sel4init_ctl_say("ctl-test: client %u, holding the control capability", idx);
    start = free_bytes();
    sel4init_ctl_say("ctl-test: %llu bytes of untyped memory free", (unsigned long long)start);
    list_all();
    cycles();
    lifecycle();
    refusals();
    destroy_named("boot-vm");
    list_all();
    sel4init_ctl_say("ctl-test: no VM left: %llu bytes free (%llu at the start, with boot-vm)",
                     (unsigned long long)free_bytes(), (unsigned long long)start);
    ret = sel4init_ctl_create(EP, &lx, &id);
    check(ret == 0, "create linux-1", ret);
    if (ret == 0) {
        ret = sel4init_ctl_call(EP, SEL4INIT_CTL_START, id, NULL);
        check(ret == 0, "start linux-1", ret);
    }
    list_all();
    sel4init_ctl_say("ctl-test: done, %u unexpected result(s)", failures);
}
