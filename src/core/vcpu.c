/* SPDX-License-Identifier: BSD-2-Clause */
#include "stdvmm/vcpu.h"

const char *vmm_vcpu_state_name(enum vmm_vcpu_state state)
{
    switch (state) {
    case VMM_VCPU_OFF:
        return "off";
    case VMM_VCPU_ON:
        return "on";
    case VMM_VCPU_STOPPED:
        return "stopped";
    }
    return "unknown";
}
