/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Attack modes chosen on the kernel command line (attack.mode=NAME in the
 * device tree's bootargs), and the console flood (attack.mode=console-flood):
 * the guest writes its virtio console and PL011 as fast as it can, forever.
 * outer.sh points stdvmm's stdout at a FIFO whose reader stops reading
 * after the first 4 KiB; stdvmm must still stop on SIGTERM within 5 s
 * (issue 10, point 2: the write used to block the vCPU under the VM lock).
 */
#include "guest.h"

#define UART_DR 0x00u

bool attack_mode(uint64_t dtb, const char *mode);
bool attack_mode(uint64_t dtb, const char *mode)
{
    char v[32];
    size_t n = strlen(mode);

    return attack_arg(dtb, "attack.mode", v, sizeof(v)) && strlen(v) == n &&
           memcmp(v, mode, n) == 0;
}

void console_flood_main(struct vdev *devs, unsigned n) __attribute__((noreturn));
void console_flood_main(struct vdev *devs, unsigned n)
{
    static const char line[] = "ATTACK-FLOOD: the guest floods its console\r\n";
    struct vdev *con = NULL;
    uint32_t len;

    for (unsigned i = 0; i < n && con == NULL; i++)
        if (devs[i].id == 3)
            con = &devs[i];
    if (con != NULL && !vdev_init(con))
        con = NULL;
    out_str(con != NULL ? "ATTACK-FLOOD: start, virtio console and PL011\n"
                        : "ATTACK-FLOOD: start, PL011 only (no virtio console)\n");
    if (con != NULL)
        for (unsigned i = 0; i < 4096; i++)
            con->buf[i] = (uint8_t)line[i % (sizeof(line) - 1)];
    for (;;) {
        if (con != NULL) {
            con->desc[0] = (struct vdesc){(uintptr_t)con->buf, 4096, 0, 0};
            vdev_submit(con, 0);
            (void)vdev_wait_used(con, &len);
        }
        /* The PL011's data register, without waiting for room: the VMM
         * must take (or drop) every byte. */
        for (unsigned i = 0; i < sizeof(line) - 1; i++)
            wr32(GUEST_UART + UART_DR, (uint8_t)line[i]);
    }
}
