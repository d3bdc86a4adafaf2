/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The control interface of stdvmm-init (docs/SEL4.md "Runtime control"):
 * after start-up the root task serves an endpoint; a client holding a
 * badged capability to it lists, creates, starts, stops, restarts and
 * destroys VMs at run time. One request is one seL4_Call: the message
 * label is the operation, the message registers its arguments, all plain
 * 64-bit words; the reply's first word is 0 or a negative VMM_E* code.
 * Requests are untrusted: stdvmm-init decodes and checks every field
 * (sel4init_ctl_decode) and the badge's rights before it acts.
 *
 * This header needs no seL4 header: the encoding and decoding below are
 * plain C (ports/sel4-init/ctl_proto.c, host unit tests); the client calls
 * (ports/sel4-init/ctl_client.c) take the endpoint as a capability pointer.
 */
#ifndef STDVMM_SEL4INIT_CTL_H
#define STDVMM_SEL4INIT_CTL_H

#include <stdbool.h>
#include <stdint.h>
#include "stdvmm/sel4init.h"

/* Operations (the message label). */
enum sel4init_ctl_op {
    SEL4INIT_CTL_INFO = 1,    /* -> free untyped bytes, VMs in use, table size */
    SEL4INIT_CTL_LIST = 2,    /* [index] -> one VM's state and resources */
    SEL4INIT_CTL_CREATE = 3,  /* [name, program, RAM, VMM and vCPU placement] -> id */
    SEL4INIT_CTL_START = 4,   /* [id] */
    SEL4INIT_CTL_STOP = 5,    /* [id] */
    SEL4INIT_CTL_RESTART = 6, /* [id] */
    SEL4INIT_CTL_DESTROY = 7, /* [id] */
    SEL4INIT_CTL_CAPS = 8,    /* [id] -> number of capabilities, list on the console */
    SEL4INIT_CTL_MOVE = 9,    /* [device, id or SEL4INIT_CTL_NOBODY]: give a device to a VM */
    SEL4INIT_CTL_NR_OPS
};

/* Rights, in the low bits of a client's badge; the client index above. */
#define SEL4INIT_CTL_RIGHT_VIEW 1u  /* INFO, LIST */
#define SEL4INIT_CTL_RIGHT_ADMIN 2u /* everything */
#define SEL4INIT_CTL_BADGE(rights, client) ((uint64_t)(rights) | ((uint64_t)(client) << 8))
/* Faults of client threads arrive on the same endpoint with this bit. */
#define SEL4INIT_CTL_BADGE_FAULT (1ull << 62)

#define SEL4INIT_CTL_NAME_LEN 16 /* names: 1..15 of [a-z0-9_-], NUL padded */
#define SEL4INIT_CTL_MAX_MR (6 + SEL4INIT_MAX_VCPUS)
#define SEL4INIT_CTL_MAX_RAM (1ull << 30)
/* The capability slot of a control client's endpoint (its CNode's only one). */
#define SEL4INIT_CTL_CLIENT_SLOT_EP 1
#define SEL4INIT_CTL_CLIENT_CNODE_BITS 4
/* A client program is entered with x0 = its index, its IPC buffer here. */
#define SEL4INIT_CTL_CLIENT_IPCBUF 0x20000000ull

/* VM states in LIST. */
enum sel4init_ctl_state {
    SEL4INIT_VM_FREE = 0,    /* no VM in this table entry */
    SEL4INIT_VM_CREATED = 1, /* objects created, nothing runs */
    SEL4INIT_VM_RUNNING = 2,
    SEL4INIT_VM_STOPPED = 3, /* every thread suspended; memory kept */
};

/* A CREATE request: a VM of the VMM program @program (one linked into
 * stdvmm-init), its RAM at 0x40000000, one vCPU per @vcpus entry. */
struct sel4init_ctl_create {
    char name[SEL4INIT_CTL_NAME_LEN], program[SEL4INIT_CTL_NAME_LEN];
    uint64_t ram_size;
    unsigned nr_vcpus;
    struct sel4init_vcpu vcpus[SEL4INIT_MAX_VCPUS];
    unsigned vmm_core, vmm_priority; /* SEL4INIT_CTL_CORE_ANY: vCPU 0's core */
};
#define SEL4INIT_CTL_CORE_ANY 0xffu

/* MOVE's VM id that gives the device to no VM (release only). */
#define SEL4INIT_CTL_NOBODY 0xffffffffu

/* A decoded, checked request. */
struct sel4init_ctl_req {
    unsigned op;
    uint32_t id;     /* START..CAPS, MOVE (or SEL4INIT_CTL_NOBODY) */
    unsigned device; /* MOVE: index in the description's devices */
    unsigned index;  /* LIST */
    struct sel4init_ctl_create create;
};

/* One VM, as LIST returns it. */
struct sel4init_ctl_vm_info {
    uint32_t id; /* (generation << 8) | table index */
    unsigned state, nr_vcpus, vmm_core;
    uint32_t vcpu_cores; /* bit n: a vCPU runs on core n */
    uint64_t ram_size;
    uint64_t ut_bytes; /* untyped memory the VM holds (returned on destroy) */
    uint64_t ut_used;  /* of which used by its objects */
    char name[SEL4INIT_CTL_NAME_LEN];
};

struct sel4init_ctl_info {
    uint64_t free_bytes; /* free untyped memory (normal, not device) */
    unsigned nr_vms, max_vms;
};

/* ---- encoding (client) and decoding (stdvmm-init): no seL4 calls */

/* Words of a CREATE request into @mr (SEL4INIT_CTL_MAX_MR); its length, or
 * a negative VMM_E* code for a request that cannot be encoded. */
int sel4init_ctl_encode_create(const struct sel4init_ctl_create *c, uint64_t *mr);
/* Decode a request of @len words with label @label from a client whose
 * badge is @badge; checks the rights, the length and every field's range
 * (names, sizes, packed scheduling words). 0 or -VMM_EPERM (rights),
 * -VMM_ENOSYS (label), -VMM_EINVAL (length or a field). */
int sel4init_ctl_decode(uint64_t label, const uint64_t *mr, unsigned len, uint64_t badge,
                        struct sel4init_ctl_req *req);
/* A VM info into 8 reply words (after the result word) and back. */
void sel4init_ctl_encode_info(const struct sel4init_ctl_vm_info *vi, uint64_t mr[8]);
void sel4init_ctl_decode_info(const uint64_t mr[8], struct sel4init_ctl_vm_info *vi);
/* The state @op moves a VM in @state to (*@fresh: its objects are re-created
 * first); -VMM_EBUSY if @op is not allowed in @state. */
int sel4init_ctl_next_state(unsigned state, unsigned op, unsigned *next, bool *fresh);
/* Name of a state, of an operation. */
const char *sel4init_ctl_state_name(unsigned state);
const char *sel4init_ctl_op_name(unsigned op);

/* ---- client calls (ports/sel4-init/ctl_client.c, libsel4): @ep is the
 * endpoint capability; each returns 0 or a negative VMM_E* code: -VMM_EPERM
 * when stdvmm-init refused for the badge's rights, -VMM_EACCES when the
 * kernel refused the call itself (no capability in slot @ep). */
int sel4init_ctl_get_info(uint64_t ep, struct sel4init_ctl_info *out);
/* The VM in table entry @index (-VMM_ENOENT: entry free). */
int sel4init_ctl_list(uint64_t ep, unsigned index, struct sel4init_ctl_vm_info *out);
/* Create a VM; its id in *@id. */
int sel4init_ctl_create(uint64_t ep, const struct sel4init_ctl_create *c, uint32_t *id);
/* START, STOP, RESTART, DESTROY or CAPS on VM @id (CAPS: *@n capabilities). */
int sel4init_ctl_call(uint64_t ep, unsigned op, uint32_t id, uint64_t *n);

/* Move device @device (its index in the system description) to VM @id:
 * released by its owner (if any), acquired by @id; SEL4INIT_CTL_NOBODY
 * releases it only. -VMM_ENOENT: no such device or VM. */
int sel4init_ctl_move(uint64_t ep, unsigned device, uint32_t id);
/* In a client PD: print a line on the kernel's debug console (debug
 * kernels), and wait @ms milliseconds of the system counter (yielding). */
void sel4init_ctl_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sel4init_ctl_sleep_ms(uint64_t ms);

/* ---- the description of a control system (optional, weak in stdvmm-init):
 * an example that defines sel4init_describe_ctl gets the control interface. */
#define SEL4INIT_CTL_MAX_CLIENTS 4
#define SEL4INIT_CTL_MAX_PROGRAMS 8

struct sel4init_ctl_client {
    const char *name;
    const unsigned char *elf, *elf_end; /* linked like the VMM programs */
    unsigned core, priority;
    unsigned rights; /* SEL4INIT_CTL_RIGHT_*; 0: no control capability at all */
};

struct sel4init_ctl_program {
    const char *name; /* what CREATE names */
    const unsigned char *elf, *elf_end;
};

struct sel4init_ctl_system {
    unsigned nr_clients, nr_programs;
    struct sel4init_ctl_client clients[SEL4INIT_CTL_MAX_CLIENTS];
    struct sel4init_ctl_program programs[SEL4INIT_CTL_MAX_PROGRAMS];
    bool print_caps; /* print every PD's capability list at start */
    /* Start client i + 1 only when client i has finished (a scripted test's
     * clients one after another); false: all at once. */
    bool clients_in_order;
};

/* The example's control description (examples/sel4-init/ctl/system.c). */
void sel4init_describe_ctl(struct sel4init_ctl_system *ctl);

#endif
