/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `stdvmm run --api-sock PATH`: the control API's commands on the KVM port
 * (docs/API.md). The socket and the protocol are shared code
 * (posix/api_sock.h, stdvmm/api.h); this file answers each request from
 * the machine and the port, on the event loop's thread.
 */
#ifndef STDVMM_TOOL_API_H
#define STDVMM_TOOL_API_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "config.h"
#include "stdvmm/kvm/port.h"
#include "stdvmm/machine.h"
#include "stdvmm/posix/api_sock.h"

#define STDVMM_API_SHUTDOWN_MS 30000u /* default time the guest gets to power off */
#define STDVMM_API_PAUSE_WAIT_MS 1000u

struct stdvmm_api {
    struct vmm_api_sock sock;
    bool open;
    const struct stdvmm_config *cfg;
    struct vmm_kvm *kvm;
    struct vmm_machine *machine;
    uint64_t start_ns;
    atomic_bool reboot;            /* the API asked for the reset in progress */
    uint64_t shutdown_deadline_ns; /* 0: no shutdown pending */
};

/* Open the socket of cfg->api_sock (logged errors); 0 when none is asked. */
int stdvmm_api_open(struct stdvmm_api *a, const struct stdvmm_config *cfg, struct vmm_kvm *kvm,
                    struct vmm_machine *m);

/* Serve it from @loop (no-op without --api-sock). */
int stdvmm_api_start(struct stdvmm_api *a, struct vmm_loop *loop);

/* Leave the loop and close the socket. */
void stdvmm_api_close(struct stdvmm_api *a);

/* True (once) if the guest reset in progress was the API's reboot. */
bool stdvmm_api_take_reboot(struct stdvmm_api *a);

#endif
