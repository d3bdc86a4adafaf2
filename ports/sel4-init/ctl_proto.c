/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The control protocol of stdvmm-init (include/stdvmm/sel4init_ctl.h):
 * packing a CREATE request into message words and decoding every request
 * a client sends. Every word comes from an untrusted client: lengths are
 * exact, names are checked byte by byte, reserved bits must be zero. No
 * seL4 dependency (host unit tests: tests/unit/test_sel4init_ctl.c).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "stdvmm/err.h"
#include "stdvmm/sel4init_ctl.h"

/* CREATE: name (2 words), program (2), RAM size, VMM word, one word per vCPU. */
#define MR_NAME 0
#define MR_PROG 2
#define MR_RAM 4
#define MR_VMM 5
#define MR_VCPU 6
/* A vCPU word: core | priority << 8 | budget_us << 16 | period_us << 40. */
#define SCHED_US_MAX 0xffffffull

static void put_name(const char *s, uint64_t *mr)
{
    uint8_t b[SEL4INIT_CTL_NAME_LEN] = {0};

    for (unsigned i = 0; i < SEL4INIT_CTL_NAME_LEN - 1 && s[i] != '\0'; i++)
        b[i] = (uint8_t)s[i];
    for (unsigned w = 0; w < 2; w++) {
        mr[w] = 0;
        for (unsigned i = 0; i < 8; i++)
            mr[w] |= (uint64_t)b[w * 8 + i] << (8 * i);
    }
}

static bool name_char(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* 1..15 allowed characters, then only NUL bytes. */
static int get_name(const uint64_t *mr, char *out)
{
    unsigned len = 0;

    for (unsigned i = 0; i < SEL4INIT_CTL_NAME_LEN; i++) {
        uint8_t c = (uint8_t)(mr[i / 8] >> (8 * (i % 8)));

        if (c == '\0')
            break;
        if (!name_char(c) || i == SEL4INIT_CTL_NAME_LEN - 1)
            return -VMM_EINVAL;
        out[len++] = (char)c;
    }
    if (len == 0)
        return -VMM_EINVAL;
    for (unsigned i = len; i < SEL4INIT_CTL_NAME_LEN; i++) {
        if ((uint8_t)(mr[i / 8] >> (8 * (i % 8))) != 0)
            return -VMM_EINVAL;
        out[i] = '\0';
    }
    return 0;
}

static bool name_ok(const char *s)
{
    size_t n = strnlen(s, SEL4INIT_CTL_NAME_LEN);

    if (n == 0 || n >= SEL4INIT_CTL_NAME_LEN)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!name_char((uint8_t)s[i]))
            return false;
    }
    return true;
}

int sel4init_ctl_encode_create(const struct sel4init_ctl_create *c, uint64_t *mr)
{
    if (!name_ok(c->name) || !name_ok(c->program) || c->nr_vcpus == 0 ||
        c->nr_vcpus > SEL4INIT_MAX_VCPUS || c->vmm_core > 0xff || c->vmm_priority > 0xff)
        return -VMM_EINVAL;
    put_name(c->name, &mr[MR_NAME]);
    put_name(c->program, &mr[MR_PROG]);
    mr[MR_RAM] = c->ram_size;
    mr[MR_VMM] = (uint64_t)c->vmm_core | (uint64_t)c->vmm_priority << 8;
    for (unsigned i = 0; i < c->nr_vcpus; i++) {
        const struct sel4init_vcpu *v = &c->vcpus[i];

        if (v->core > 0xff || v->priority > 0xff || v->budget_us > SCHED_US_MAX ||
            v->period_us > SCHED_US_MAX)
            return -VMM_ERANGE;
        mr[MR_VCPU + i] = (uint64_t)v->core | (uint64_t)v->priority << 8 | v->budget_us << 16 |
                          v->period_us << 40;
    }
    return (int)(MR_VCPU + c->nr_vcpus);
}

static int decode_create(const uint64_t *mr, unsigned len, struct sel4init_ctl_create *c)
{
    uint64_t vmm = mr[MR_VMM];

    if (len <= MR_VCPU || len > MR_VCPU + SEL4INIT_MAX_VCPUS)
        return -VMM_EINVAL;
    memset(c, 0, sizeof(*c));
    if (get_name(&mr[MR_NAME], c->name) < 0 || get_name(&mr[MR_PROG], c->program) < 0)
        return -VMM_EINVAL;
    c->ram_size = mr[MR_RAM];
    if (c->ram_size == 0 || c->ram_size % SEL4INIT_PAGE_LARGE != 0 ||
        c->ram_size > SEL4INIT_CTL_MAX_RAM)
        return -VMM_EINVAL;
    if ((vmm >> 16) != 0)
        return -VMM_EINVAL;
    c->vmm_core = (unsigned)(vmm & 0xff);
    c->vmm_priority = (unsigned)((vmm >> 8) & 0xff);
    if (c->vmm_priority == 0 || c->vmm_priority > SEL4INIT_MAX_PRIO)
        return -VMM_EINVAL;
    c->nr_vcpus = len - MR_VCPU;
    for (unsigned i = 0; i < c->nr_vcpus; i++) {
        uint64_t w = mr[MR_VCPU + i];
        struct sel4init_vcpu *v = &c->vcpus[i];

        v->core = (unsigned)(w & 0xff);
        v->priority = (unsigned)((w >> 8) & 0xff);
        v->budget_us = (w >> 16) & SCHED_US_MAX;
        v->period_us = w >> 40;
        if (v->core == SEL4INIT_CTL_CORE_ANY || v->priority == 0 || v->priority >= c->vmm_priority)
            return -VMM_EINVAL;
    }
    return 0;
}

static unsigned op_rights(unsigned op)
{
    return op == SEL4INIT_CTL_INFO || op == SEL4INIT_CTL_LIST
               ? SEL4INIT_CTL_RIGHT_VIEW | SEL4INIT_CTL_RIGHT_ADMIN
               : SEL4INIT_CTL_RIGHT_ADMIN;
}

int sel4init_ctl_decode(uint64_t label, const uint64_t *mr, unsigned len, uint64_t badge,
                        struct sel4init_ctl_req *req)
{
    memset(req, 0, sizeof(*req));
    if (label == 0 || label >= SEL4INIT_CTL_NR_OPS)
        return -VMM_ENOSYS;
    req->op = (unsigned)label;
    if ((badge & SEL4INIT_CTL_BADGE_FAULT) != 0 || (badge & op_rights(req->op)) == 0)
        return -VMM_EPERM;
    switch (req->op) {
    case SEL4INIT_CTL_INFO:
        return len == 0 ? 0 : -VMM_EINVAL;
    case SEL4INIT_CTL_LIST:
        if (len != 1 || mr[0] >= SEL4INIT_MAX_VMS)
            return -VMM_EINVAL;
        req->index = (unsigned)mr[0];
        return 0;
    case SEL4INIT_CTL_CREATE:
        return decode_create(mr, len, &req->create);
    case SEL4INIT_CTL_MOVE:
        if (len != 2 || mr[0] >= SEL4INIT_MAX_DEVICES ||
            (mr[1] != SEL4INIT_CTL_NOBODY &&
             (mr[1] > 0xffffffffull || (mr[1] & 0xff) >= SEL4INIT_MAX_VMS)))
            return -VMM_EINVAL;
        req->device = (unsigned)mr[0];
        req->id = (uint32_t)mr[1];
        return 0;
    default: /* an operation on one VM: its id */
        if (len != 1 || mr[0] > 0xffffffffull || (mr[0] & 0xff) >= SEL4INIT_MAX_VMS)
            return -VMM_EINVAL;
        req->id = (uint32_t)mr[0];
        return 0;
    }
}

void sel4init_ctl_encode_info(const struct sel4init_ctl_vm_info *vi, uint64_t mr[8])
{
    mr[0] = vi->id;
    mr[1] = (uint64_t)(vi->state & 0xff) | (uint64_t)(vi->nr_vcpus & 0xff) << 8 |
            (uint64_t)(vi->vmm_core & 0xff) << 16 | (uint64_t)vi->vcpu_cores << 32;
    mr[2] = vi->ram_size;
    mr[3] = vi->ut_bytes;
    mr[4] = vi->ut_used;
    put_name(vi->name, &mr[5]);
    mr[7] = 0;
}

void sel4init_ctl_decode_info(const uint64_t mr[8], struct sel4init_ctl_vm_info *vi)
{
    memset(vi, 0, sizeof(*vi));
    vi->id = (uint32_t)mr[0];
    vi->state = (unsigned)(mr[1] & 0xff);
    vi->nr_vcpus = (unsigned)((mr[1] >> 8) & 0xff);
    vi->vmm_core = (unsigned)((mr[1] >> 16) & 0xff);
    vi->vcpu_cores = (uint32_t)(mr[1] >> 32);
    vi->ram_size = mr[2];
    vi->ut_bytes = mr[3];
    vi->ut_used = mr[4];
    if (get_name(&mr[5], vi->name) < 0)
        memcpy(vi->name, "?", 2);
}

int sel4init_ctl_next_state(unsigned state, unsigned op, unsigned *next, bool *fresh)
{
    *fresh = false;
    *next = state;
    if (state != SEL4INIT_VM_CREATED && state != SEL4INIT_VM_RUNNING &&
        state != SEL4INIT_VM_STOPPED)
        return -VMM_ENOENT;
    switch (op) {
    case SEL4INIT_CTL_START:
        if (state == SEL4INIT_VM_RUNNING)
            return -VMM_EBUSY;
        *fresh = state == SEL4INIT_VM_STOPPED;
        *next = SEL4INIT_VM_RUNNING;
        return 0;
    case SEL4INIT_CTL_STOP:
        if (state != SEL4INIT_VM_RUNNING)
            return -VMM_EBUSY;
        *next = SEL4INIT_VM_STOPPED;
        return 0;
    case SEL4INIT_CTL_RESTART:
        *fresh = state != SEL4INIT_VM_CREATED;
        *next = SEL4INIT_VM_RUNNING;
        return 0;
    case SEL4INIT_CTL_DESTROY:
        *next = SEL4INIT_VM_FREE;
        return 0;
    case SEL4INIT_CTL_CAPS:
        return 0;
    default:
        return -VMM_EINVAL;
    }
}

const char *sel4init_ctl_state_name(unsigned state)
{
    static const char *const names[] = {"free", "created", "running", "stopped"};

    return state < sizeof(names) / sizeof(names[0]) ? names[state] : "?";
}

const char *sel4init_ctl_op_name(unsigned op)
{
    static const char *const names[] = {"?",    "info",    "list",    "create", "start",
                                        "stop", "restart", "destroy", "caps",   "move"};

    return op < sizeof(names) / sizeof(names[0]) ? names[op] : "?";
}
