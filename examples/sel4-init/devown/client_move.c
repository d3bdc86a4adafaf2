/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * devown-move, the devown system's control client: finds vm-a and vm-b
 * (LIST), then moves the PL031 (device 0) to the other VM every MOVE_S
 * seconds, MOVES times, with SEL4INIT_CTL_MOVE, and checks two refusals
 * (an unknown device, a stale VM id). After the first two moves it has
 * both VMMs' capability lists printed (CAPS): only the owner's holds the
 * device's IRQ handler. The test (tests/sel4-init/run.sh
 * devown) reads the guests' lines between stdvmm-init's handover lines.
 */
#include <stdint.h>
#include <string.h>
#include "stdvmm/err.h"
#include "stdvmm/sel4init_ctl.h"

#define EP SEL4INIT_CTL_CLIENT_SLOT_EP
#define MOVE_S 40
#define MOVES 40

void sel4init_ctl_client_main(unsigned idx);

static int find(const char *name, uint32_t *id)
{
    for (unsigned i = 0; i < SEL4INIT_MAX_VMS; i++) {
        struct sel4init_ctl_vm_info vi;

        if (sel4init_ctl_list(EP, i, &vi) == 0 && strcmp(vi.name, name) == 0) {
            *id = vi.id;
            return 0;
        }
    }
    return -VMM_ENOENT;
}

void sel4init_ctl_client_main(unsigned idx)
{
    uint32_t id[2];
    int ret;

    if (find("vm-a", &id[0]) < 0 || find("vm-b", &id[1]) < 0) {
        sel4init_ctl_say("devown-move: vm-a or vm-b not found");
        return;
    }
    sel4init_ctl_say("devown-move: client %u: vm-a 0x%x, vm-b 0x%x", idx, id[0], id[1]);
    ret = sel4init_ctl_move(EP, SEL4INIT_MAX_DEVICES - 1, id[1]);
    sel4init_ctl_say("devown-move: moving device %u refused: %d", SEL4INIT_MAX_DEVICES - 1, ret);
    ret = sel4init_ctl_move(EP, 0, id[1] + 0x100);
    sel4init_ctl_say("devown-move: moving to a stale id refused: %d", ret);
    for (unsigned n = 1; n <= MOVES; n++) {
        sel4init_ctl_sleep_ms(MOVE_S * 1000ull);
        ret = sel4init_ctl_move(EP, 0, id[n % 2]);
        sel4init_ctl_say("devown-move: move %u of %u to %s: %d", n, MOVES, n % 2 ? "vm-b" : "vm-a",
                         ret);
        if (n <= 2) { /* the owner's VMM holds the IRQ handler, the other's not */
            uint64_t caps_a = 0, caps_b = 0;

            sel4init_ctl_call(EP, SEL4INIT_CTL_CAPS, id[0], &caps_a);
            sel4init_ctl_call(EP, SEL4INIT_CTL_CAPS, id[1], &caps_b);
            sel4init_ctl_say("devown-move: capabilities after move %u: vm-a %u, vm-b %u", n,
                             (unsigned)caps_a, (unsigned)caps_b);
        }
    }
}
