/* SPDX-License-Identifier: BSD-2-Clause */
/* Inside stdvmm-init: the control interface's files (ctl*.c) share this. */
#ifndef STDVMM_SEL4INIT_CTL_INTERNAL_H
#define STDVMM_SEL4INIT_CTL_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include "../ctl_acct.h"
#include "init.h"
#include "stdvmm/sel4init_ctl.h"

/* Root CNode slots of one VM (its pieces of untyped, objects, copies). */
#define CTL_WINDOW_SLOTS 1536

/* One VM under the control interface. */
struct ctl_vm {
    unsigned state; /* enum sel4init_ctl_state */
    uint32_t gen;   /* bumped on each create: stale ids are refused */
    char name[SEL4INIT_CTL_NAME_LEN];
    struct sel4init_vm desc;
    struct init_vm vm;
    unsigned chunk;      /* its untyped: ctl.chunks.c[chunk] */
    struct init_mem mem; /* the chunk cut into pieces */
    seL4_CPtr win;       /* its window of CTL_WINDOW_SLOTS root slots */
    seL4_CPtr win_used;
};

struct ctl {
    struct init *in;
    struct sel4init_ctl_system sys;
    struct sel4init_chunks chunks;
    seL4_CPtr chunk_slots; /* chunk i's capability: chunk_slots + i */
    seL4_CPtr probe;       /* a scratch slot */
    struct ctl_vm vms[SEL4INIT_MAX_VMS];
};

/* ctl_vm.c */
/* Set up what VMs need: chunk and window slots, shared objects. */
int ctl_vm_setup(struct ctl *c);
/* Check @d against the kernel and the other VMs, then create it in table
 * entry @i (free): its chunk, its objects. Nothing is left on failure. */
int ctl_vm_create(struct ctl *c, unsigned i, const struct sel4init_vm *d, char *msg, size_t len);
int ctl_vm_start(struct ctl *c, struct ctl_vm *v);
/* Suspend every thread of the VM. */
void ctl_vm_stop(struct ctl *c, struct ctl_vm *v);
/* Re-create the VM's objects from its description in its own chunk. */
int ctl_vm_reset(struct ctl *c, struct ctl_vm *v);
/* Revoke everything of the VM and give its memory back. */
int ctl_vm_destroy(struct ctl *c, struct ctl_vm *v);
uint64_t ctl_free_bytes(const struct ctl *c);
void ctl_vm_info(const struct ctl *c, unsigned i, struct sel4init_ctl_vm_info *vi);

/* ctl_pd.c: the control clients. */
int ctl_clients_build(struct ctl *c, seL4_CPtr ep);
/* Start clients [first, first + n). */
int ctl_clients_start(struct ctl *c, unsigned first, unsigned n);
const char *ctl_client_name(const struct ctl *c, unsigned idx);
/* Stop client @idx for good (after a fault; drops its pending reply). */
void ctl_client_suspend(const struct ctl *c, unsigned idx);
void ctl_clients_print_caps(const struct ctl *c);

/* ctl_caps.c */
void ctl_caps_forget(seL4_CPtr cnode);
/* Print the capabilities of the PD whose CNode (2^@bits slots) is @cnode;
 * their number. @scratch: an empty root slot. */
int ctl_caps_print(const char *pd, seL4_CPtr cnode, unsigned bits, seL4_CPtr scratch);

#endif
