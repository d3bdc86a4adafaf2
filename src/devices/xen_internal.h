/* SPDX-License-Identifier: BSD-2-Clause */
/* Shared between the Xen interface's two files (include/stdvmm/xen.h). */
#ifndef STDVMM_XEN_INTERNAL_H
#define STDVMM_XEN_INTERNAL_H

#include "stdvmm/xen.h"

/* Bytes of the AArch64 struct vcpu_info. */
#define XEN_VCPU_INFO_SIZE 48u

/* @vcpu registered its vcpu_info at @gpa (checked by the caller): mark
 * every selector bit and the upcall pending there, as Xen does, so that no
 * event raised before the move is lost (the guest sees one spurious scan). */
void vmm_xen_vcpu_info_moved(struct vmm_xen *x, unsigned vcpu);

#endif
