/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ctl-view, a control client WITHOUT the control capability: its CNode
 * holds only a view capability (badge rights VIEW) in slot 1. It lists the
 * VMs (allowed), then tries every operation that changes something on the
 * first VM (each refused by stdvmm-init: -VMM_EPERM), then calls the slot
 * next to it, where an admin's capability would be: nothing is there, so
 * the kernel refuses the call (an invalid-capability error, -VMM_EACCES
 * here); stdvmm-init never sees it.
 */
#include <stdint.h>
#include "stdvmm/err.h"
#include "stdvmm/sel4init_ctl.h"

#define EP SEL4INIT_CTL_CLIENT_SLOT_EP

void sel4init_ctl_client_main(unsigned idx);

void sel4init_ctl_client_main(unsigned idx)
{
    static const unsigned ops[] = {SEL4INIT_CTL_STOP, SEL4INIT_CTL_START, SEL4INIT_CTL_RESTART,
                                   SEL4INIT_CTL_DESTROY, SEL4INIT_CTL_CAPS};
    struct sel4init_ctl_vm_info vi = {0};
    struct sel4init_ctl_create c = {.name = "intruder",
                                    .program = "tiny",
                                    .ram_size = 4u << 20,
                                    .nr_vcpus = 1,
                                    .vcpus = {{.core = 1, .priority = 100}},
                                    .vmm_core = SEL4INIT_CTL_CORE_ANY,
                                    .vmm_priority = 200};
    struct sel4init_ctl_info info;
    uint32_t id = 0;
    int ret;

    /* let boot-vm's first lines (on core 3) pass: the test reads ours whole */
    sel4init_ctl_sleep_ms(10000);
    sel4init_ctl_say("ctl-view: client %u, holding a view capability only", idx);
    ret = sel4init_ctl_list(EP, 0, &vi);
    sel4init_ctl_say("ctl-view: list 0: %d (%s, %s)", ret, vi.name,
                     sel4init_ctl_state_name(vi.state));
    ret = sel4init_ctl_create(EP, &c, &id);
    sel4init_ctl_say("ctl-view: create refused: %d%s", ret, ret == -VMM_EPERM ? " (EPERM)" : "");
    for (unsigned i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        ret = sel4init_ctl_call(EP, ops[i], vi.id, NULL);
        sel4init_ctl_say("ctl-view: %s %s refused: %d%s", sel4init_ctl_op_name(ops[i]), vi.name,
                         ret, ret == -VMM_EPERM ? " (EPERM)" : "");
    }
    sel4init_ctl_say("ctl-view: calling slot %u, where a control capability would be", EP + 1);
    ret = sel4init_ctl_get_info(EP + 1, &info);
    sel4init_ctl_say("ctl-view: info without a capability refused by the kernel: %d%s", ret,
                     ret == -VMM_EACCES ? " (EACCES: the call never reached stdvmm-init)" : "");
}
