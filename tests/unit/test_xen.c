/* SPDX-License-Identifier: BSD-2-Clause */
/* The Xen hypercall interface (include/stdvmm/xen.h) against hostile guests. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <libfdt.h>
#include "stdvmm/arm64.h"
#include "stdvmm/bytes.h"
#include "stdvmm/err.h"
#include "stdvmm/mem.h"
#include "stdvmm/vm.h"
#include "stdvmm/xen.h"

#define RAM_GPA 0x40000000ull
#define RAM_SIZE (64u * 1024u)
#define RING_GPA (RAM_GPA + RAM_SIZE - 3 * 4096)
#define GNT_GPA (RAM_GPA + RAM_SIZE - 2 * 4096)
#define SI_GPA (RAM_GPA + 0x4000)
#define VI_GPA (RAM_GPA + 0x5040)
#define ARG_GPA (RAM_GPA + 0x1000)
#define RET(e) ((uint64_t)(int64_t)(e))

struct fixture {
    uint8_t ram[RAM_SIZE] __attribute__((aligned(4096)));
    struct vmm_mem mem;
    struct vmm_xen x;
    struct vmm_stream_backend out;
    struct vmm_xen_ops ops;
    struct vmm_a64_s1 s1; /* MMU off: VA == IPA */
    uint8_t sink[8192];
    size_t sunk;
    unsigned upcalls[2];
};

static long sink_write(void *ctx, const uint8_t *buf, size_t len)
{
    struct fixture *f = ctx;

    assert_true(f->sunk + len <= sizeof(f->sink));
    memcpy(f->sink + f->sunk, buf, len);
    f->sunk += len;
    return (long)len;
}

static void upcall(void *ctx, unsigned vcpu)
{
    struct fixture *f = ctx;

    assert_true(vcpu < 2);
    f->upcalls[vcpu]++;
}

static int setup(void **state)
{
    static struct fixture f;
    struct vmm_xen_config cfg;

    memset(&f, 0, sizeof(f));
    vmm_mem_init(&f.mem);
    assert_int_equal(vmm_mem_add_region(&f.mem, RAM_GPA, RAM_SIZE, f.ram), 0);
    f.out = (struct vmm_stream_backend){.write = sink_write, .ctx = &f};
    f.ops = (struct vmm_xen_ops){.upcall = upcall};
    cfg = (struct vmm_xen_config){.mem = &f.mem,
                                  .nr_vcpus = 2,
                                  .ring_gpa = RING_GPA,
                                  .gnttab_gpa = GNT_GPA,
                                  .out = &f.out,
                                  .ops = &f.ops,
                                  .ctx = &f};
    assert_int_equal(vmm_xen_init(&f.x, &cfg), 0);
    *state = &f;
    return 0;
}

static uint8_t *at(struct fixture *f, uint64_t gpa)
{
    return f->ram + (gpa - RAM_GPA);
}

static uint64_t hc(struct fixture *f, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
                   enum vmm_xen_action *act)
{
    struct vmm_xen_call c = {.nr = nr, .arg = {a0, a1, a2, 0, 0}};
    enum vmm_xen_action dummy;

    return vmm_xen_hypercall(&f->x, 0, &f->s1, &c, act != NULL ? act : &dummy);
}

static void xen_console_io_write_reaches_the_sink(void **state)
{
    struct fixture *f = *state;

    memcpy(at(f, ARG_GPA), "Booting Linux\n", 14);
    assert_int_equal(hc(f, VMM_XEN_HC_CONSOLE_IO, 0, 14, ARG_GPA, NULL), 0);
    assert_int_equal(f->sunk, 14);
    assert_memory_equal(f->sink, "Booting Linux\n", 14);
}

static void xen_console_io_rejects_hostile_buffers(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(hc(f, VMM_XEN_HC_CONSOLE_IO, 0, 1u << 20, ARG_GPA, NULL),
                     RET(-VMM_XEN_EINVAL));
    assert_int_equal(hc(f, VMM_XEN_HC_CONSOLE_IO, 0, 16, 0x1000, NULL), RET(-VMM_XEN_EFAULT));
    assert_int_equal(hc(f, VMM_XEN_HC_CONSOLE_IO, 0, 16, UINT64_MAX - 4, NULL),
                     RET(-VMM_XEN_EFAULT));
    /* starts in RAM, runs past its end */
    assert_int_equal(hc(f, VMM_XEN_HC_CONSOLE_IO, 0, 64, RAM_GPA + RAM_SIZE - 8, NULL),
                     RET(-VMM_XEN_EFAULT));
    assert_int_equal(f->sunk, 0);
    assert_int_equal(hc(f, VMM_XEN_HC_CONSOLE_IO, 7, 1, ARG_GPA, NULL), RET(-VMM_XEN_ENOSYS));
}

static void xen_unknown_hypercalls_and_subops_are_enosys(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(hc(f, 0, 0, 0, 0, NULL), RET(-VMM_XEN_ENOSYS));
    assert_int_equal(hc(f, UINT64_MAX, 0, 0, 0, NULL), RET(-VMM_XEN_ENOSYS));
    assert_int_equal(hc(f, VMM_XEN_HC_MEMORY_OP, 99, ARG_GPA, 0, NULL), RET(-VMM_XEN_ENOSYS));
    assert_int_equal(hc(f, VMM_XEN_HC_EVENT_CHANNEL_OP, 11 /* init_control */, ARG_GPA, 0, NULL),
                     RET(-VMM_XEN_ENOSYS));
    assert_int_equal(hc(f, VMM_XEN_HC_VCPU_OP, 1 /* up */, 0, ARG_GPA, NULL), RET(-VMM_XEN_ENOSYS));
    assert_int_equal(hc(f, VMM_XEN_HC_HVM_OP, 0 /* set_param */, ARG_GPA, 0, NULL),
                     RET(-VMM_XEN_EPERM));
}

static void xen_version_reports_auto_translated_domu_features(void **state)
{
    struct fixture *f = *state;
    uint8_t *b = at(f, ARG_GPA);

    assert_int_equal(hc(f, VMM_XEN_HC_XEN_VERSION, 0, 0, 0, NULL), (4u << 16) | 19u);
    memset(b, 0xff, 8);
    vmm_put_le32(b, 0);
    assert_int_equal(hc(f, VMM_XEN_HC_XEN_VERSION, 6, ARG_GPA, 0, NULL), 0);
    assert_int_equal(vmm_get_le32(b + 4), (1u << 2) | (1u << 16)); /* no XENFEAT_dom0 */
    vmm_put_le32(b, 5);
    assert_int_equal(hc(f, VMM_XEN_HC_XEN_VERSION, 6, ARG_GPA, 0, NULL), 0);
    assert_int_equal(vmm_get_le32(b + 4), 0);
    assert_int_equal(hc(f, VMM_XEN_HC_XEN_VERSION, 6, 8, 0, NULL), RET(-VMM_XEN_EFAULT));
}

static void xen_hvm_params_give_the_console_and_no_xenstore(void **state)
{
    struct fixture *f = *state;
    uint8_t *b = at(f, ARG_GPA);
    static const uint32_t idx[] = {17, 18, 1, 2, 0};
    static const uint64_t want[] = {RING_GPA >> 12, VMM_XEN_CONSOLE_PORT, 0, 0, 0};

    for (unsigned i = 0; i < 5; i++) {
        memset(b, 0xaa, 16);
        vmm_put_le16(b, 0x7ff0);
        vmm_put_le32(b + 4, idx[i]);
        assert_int_equal(hc(f, VMM_XEN_HC_HVM_OP, 1, ARG_GPA, 0, NULL), 0);
        assert_int_equal(vmm_get_le64(b + 8), want[i]);
    }
    vmm_put_le32(b + 4, 0xffffffffu);
    assert_int_equal(hc(f, VMM_XEN_HC_HVM_OP, 1, ARG_GPA, 0, NULL), RET(-VMM_XEN_EINVAL));
    vmm_put_le16(b, 3);
    vmm_put_le32(b + 4, 17);
    assert_int_equal(hc(f, VMM_XEN_HC_HVM_OP, 1, ARG_GPA, 0, NULL), RET(-3));
}

static uint64_t add_to_physmap(struct fixture *f, uint32_t space, uint64_t idx, uint64_t gpfn)
{
    uint8_t *b = at(f, ARG_GPA);

    memset(b, 0, 24);
    vmm_put_le16(b, 0x7ff0);
    vmm_put_le32(b + 4, space);
    vmm_put_le64(b + 8, idx);
    vmm_put_le64(b + 16, gpfn);
    return hc(f, VMM_XEN_HC_MEMORY_OP, 7, ARG_GPA, 0, NULL);
}

static void xen_add_to_physmap_checks_space_index_and_frame(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(add_to_physmap(f, 0, 0, 0x10), RET(-VMM_XEN_EINVAL)); /* not RAM */
    assert_int_equal(add_to_physmap(f, 0, 0, UINT64_MAX), RET(-VMM_XEN_EINVAL));
    assert_int_equal(add_to_physmap(f, 0, 1, SI_GPA >> 12), RET(-VMM_XEN_EINVAL));
    assert_int_equal(add_to_physmap(f, 1, 0, SI_GPA >> 12), RET(-VMM_XEN_EINVAL));
    assert_int_equal(add_to_physmap(f, 1, 1, GNT_GPA >> 12), RET(-VMM_XEN_EINVAL));
    assert_int_equal(add_to_physmap(f, 1, 2, (GNT_GPA >> 12) + 2), RET(-VMM_XEN_EINVAL));
    assert_int_equal(add_to_physmap(f, 1, 1, (GNT_GPA >> 12) + 1), 0);
    assert_int_equal(add_to_physmap(f, 9, 0, GNT_GPA >> 12), RET(-VMM_XEN_EINVAL));
    assert_int_equal(f->x.shared_info, 0);
    assert_int_equal(add_to_physmap(f, 1, 0, GNT_GPA >> 12), 0);
    assert_int_equal(add_to_physmap(f, 0, 0, SI_GPA >> 12), 0);
    assert_int_equal(f->x.shared_info, SI_GPA);
}

static void xen_grant_table_query_and_version(void **state)
{
    struct fixture *f = *state;
    uint8_t *b = at(f, ARG_GPA);

    memset(b, 0, 16);
    vmm_put_le16(b, 0x7ff0);
    assert_int_equal(hc(f, VMM_XEN_HC_GRANT_TABLE_OP, 6, ARG_GPA, 1, NULL), 0);
    assert_int_equal(vmm_get_le32(b + 4), 1);
    assert_int_equal(vmm_get_le32(b + 8), 2); /* Linux needs at least 2 */
    assert_int_equal(vmm_get_le16(b + 12), 0);
    assert_int_equal(hc(f, VMM_XEN_HC_GRANT_TABLE_OP, 6, ARG_GPA, 1000000, NULL),
                     RET(-VMM_XEN_EINVAL));
    vmm_put_le32(b, 2);
    assert_int_equal(hc(f, VMM_XEN_HC_GRANT_TABLE_OP, 8, ARG_GPA, 1, NULL), RET(-VMM_XEN_EINVAL));
    vmm_put_le32(b, 1);
    assert_int_equal(hc(f, VMM_XEN_HC_GRANT_TABLE_OP, 8, ARG_GPA, 1, NULL), 0);
    assert_int_equal(hc(f, VMM_XEN_HC_GRANT_TABLE_OP, 12, ARG_GPA, 1, NULL), RET(-VMM_XEN_ENOSYS));
}

static uint64_t register_vcpu_info(struct fixture *f, uint64_t vcpu, uint64_t mfn, uint32_t off)
{
    uint8_t *b = at(f, ARG_GPA);

    vmm_put_le64(b, mfn);
    vmm_put_le32(b + 8, off);
    vmm_put_le32(b + 12, 0);
    return hc(f, VMM_XEN_HC_VCPU_OP, 10, vcpu, ARG_GPA, NULL);
}

static void xen_vcpu_info_registration_is_checked_and_once(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(register_vcpu_info(f, 2, VI_GPA >> 12, 0x40), RET(-VMM_XEN_ENOENT));
    assert_int_equal(register_vcpu_info(f, 0, VI_GPA >> 12, 4090), RET(-VMM_XEN_EINVAL));
    assert_int_equal(register_vcpu_info(f, 0, VI_GPA >> 12, 0x41), RET(-VMM_XEN_EINVAL));
    assert_int_equal(register_vcpu_info(f, 0, 0x10, 0), RET(-VMM_XEN_EINVAL));
    assert_int_equal(register_vcpu_info(f, 0, UINT64_MAX, 0), RET(-VMM_XEN_EINVAL));
    assert_int_equal(f->upcalls[0], 0);
    assert_int_equal(register_vcpu_info(f, 0, VI_GPA >> 12, 0x40), 0);
    assert_int_equal(f->upcalls[0], 1); /* everything marked pending once */
    assert_int_equal(at(f, VI_GPA)[0], 1);
    assert_int_equal(vmm_get_le64(at(f, VI_GPA + 8)), UINT64_MAX);
    assert_int_equal(register_vcpu_info(f, 0, VI_GPA >> 12, 0x80), RET(-VMM_XEN_EINVAL));
    /* the runstate area is accepted (Linux BUG()s otherwise) */
    assert_int_equal(hc(f, VMM_XEN_HC_VCPU_OP, 5, 1, ARG_GPA, NULL), 0);
    assert_int_equal(hc(f, VMM_XEN_HC_VCPU_OP, 5, 1, 0x10, NULL), RET(-VMM_XEN_EFAULT));
}

static void set_ring(struct fixture *f, unsigned cons_off, uint32_t cons, uint32_t prod)
{
    vmm_put_le32(at(f, RING_GPA + cons_off), cons);
    vmm_put_le32(at(f, RING_GPA + cons_off + 4), prod);
}

static uint64_t send(struct fixture *f, uint32_t port)
{
    vmm_put_le32(at(f, ARG_GPA), port);
    return hc(f, VMM_XEN_HC_EVENT_CHANNEL_OP, 4, ARG_GPA, 0, NULL);
}

static void xen_ring_output_follows_wrapping_indices(void **state)
{
    struct fixture *f = *state;
    uint32_t cons = 0xfffffff0u; /* 16 bytes before the 32-bit wrap */
    uint8_t *out = at(f, RING_GPA + VMM_XEN_RING_OUT);

    for (unsigned i = 0; i < 40; i++)
        out[(cons + i) % VMM_XEN_RING_OUT_SIZE] = (uint8_t)('A' + i % 26);
    set_ring(f, VMM_XEN_RING_OUT_CONS, cons, cons + 40);
    assert_int_equal(send(f, VMM_XEN_CONSOLE_PORT), 0);
    assert_int_equal(f->sunk, 40);
    for (unsigned i = 0; i < 40; i++)
        assert_int_equal(f->sink[i], 'A' + i % 26);
    assert_int_equal(vmm_get_le32(at(f, RING_GPA + VMM_XEN_RING_OUT_CONS)), cons + 40);
    assert_int_equal(send(f, 7), RET(-VMM_XEN_EINVAL));
    assert_int_equal(send(f, 0xffffffffu), RET(-VMM_XEN_EINVAL));
}

static void xen_ring_output_with_hostile_indices_is_dropped(void **state)
{
    struct fixture *f = *state;

    set_ring(f, VMM_XEN_RING_OUT_CONS, 100, 100 + VMM_XEN_RING_OUT_SIZE + 1);
    assert_int_equal(send(f, VMM_XEN_CONSOLE_PORT), 0);
    assert_int_equal(f->sunk, 0);
    assert_int_equal(vmm_get_le32(at(f, RING_GPA + VMM_XEN_RING_OUT_CONS)),
                     100 + VMM_XEN_RING_OUT_SIZE + 1);
    set_ring(f, VMM_XEN_RING_OUT_CONS, 5000, 10); /* prod behind cons */
    assert_int_equal(send(f, VMM_XEN_CONSOLE_PORT), 0);
    assert_int_equal(f->sunk, 0);
    set_ring(f, VMM_XEN_RING_OUT_CONS, 0, VMM_XEN_RING_OUT_SIZE); /* exactly full is fine */
    assert_int_equal(send(f, VMM_XEN_CONSOLE_PORT), 0);
    assert_int_equal(f->sunk, VMM_XEN_RING_OUT_SIZE);
}

static void xen_input_raises_the_event_unless_masked(void **state)
{
    struct fixture *f = *state;
    uint8_t big[2000];

    /* no shared info yet: the bytes wait in the ring, no upcall */
    assert_int_equal(vmm_xen_console_rx(&f->x, (const uint8_t *)"ab", 2), 2);
    assert_int_equal(f->upcalls[0], 0);
    assert_int_equal(add_to_physmap(f, 0, 0, SI_GPA >> 12), 0);
    assert_int_equal(vmm_xen_console_rx(&f->x, (const uint8_t *)"c", 1), 1);
    assert_int_equal(f->upcalls[0], 1); /* legacy vcpu_info[0] in shared info */
    assert_int_equal(vmm_get_le64(at(f, SI_GPA + 48)), 1u << VMM_XEN_CONSOLE_PORT);
    assert_int_equal(vmm_get_le64(at(f, SI_GPA + 8)), 1);
    assert_int_equal(at(f, SI_GPA)[0], 1);
    assert_memory_equal(at(f, RING_GPA), "abc", 3);
    assert_int_equal(vmm_get_le32(at(f, RING_GPA + VMM_XEN_RING_IN_PROD)), 3);
    /* guest handled it; now masks the port */
    memset(at(f, SI_GPA), 0, 16);
    vmm_put_le64(at(f, SI_GPA + 48), 0);
    vmm_put_le64(at(f, SI_GPA + 560), 1u << VMM_XEN_CONSOLE_PORT);
    assert_int_equal(vmm_xen_console_rx(&f->x, (const uint8_t *)"d", 1), 1);
    assert_int_equal(f->upcalls[0], 1);
    /* unmask delivers the pending event */
    vmm_put_le32(at(f, ARG_GPA), VMM_XEN_CONSOLE_PORT);
    assert_int_equal(hc(f, VMM_XEN_HC_EVENT_CHANNEL_OP, 9, ARG_GPA, 0, NULL), 0);
    assert_int_equal(f->upcalls[0], 2);
    vmm_put_le32(at(f, ARG_GPA), 4096);
    assert_int_equal(hc(f, VMM_XEN_HC_EVENT_CHANNEL_OP, 9, ARG_GPA, 0, NULL), RET(-VMM_XEN_EINVAL));
    /* a full ring takes only what fits */
    memset(big, 'x', sizeof(big));
    assert_int_equal(vmm_xen_console_rx(&f->x, big, sizeof(big)), VMM_XEN_RING_IN_SIZE - 4);
    assert_int_equal(vmm_xen_console_rx(&f->x, big, sizeof(big)), 0);
    /* hostile input indices: input dropped, nothing written */
    set_ring(f, VMM_XEN_RING_IN_CONS, 0, 5000);
    assert_int_equal(vmm_xen_console_rx(&f->x, big, 10), 10);
    assert_int_equal(vmm_get_le32(at(f, RING_GPA + VMM_XEN_RING_IN_PROD)), 5000);
}

static void xen_bind_vcpu_moves_the_console_event(void **state)
{
    struct fixture *f = *state;
    uint8_t *b = at(f, ARG_GPA);

    assert_int_equal(add_to_physmap(f, 0, 0, SI_GPA >> 12), 0);
    vmm_put_le32(b, VMM_XEN_CONSOLE_PORT);
    vmm_put_le32(b + 4, 9);
    assert_int_equal(hc(f, VMM_XEN_HC_EVENT_CHANNEL_OP, 8, ARG_GPA, 0, NULL), RET(-VMM_XEN_ENOENT));
    vmm_put_le32(b + 4, 1);
    assert_int_equal(hc(f, VMM_XEN_HC_EVENT_CHANNEL_OP, 8, ARG_GPA, 0, NULL), 0);
    /* vCPU 1 has no vcpu_info yet: no upcall anywhere */
    assert_int_equal(vmm_xen_console_rx(&f->x, (const uint8_t *)"a", 1), 1);
    assert_int_equal(f->upcalls[0] + f->upcalls[1], 0);
    assert_int_equal(register_vcpu_info(f, 1, VI_GPA >> 12, 0x40), 0);
    assert_int_equal(f->upcalls[1], 1);
}

static void xen_sched_op_shutdown_reasons(void **state)
{
    struct fixture *f = *state;
    enum vmm_xen_action act;

    vmm_put_le32(at(f, ARG_GPA), 0);
    assert_int_equal(hc(f, VMM_XEN_HC_SCHED_OP, 2, ARG_GPA, 0, &act), 0);
    assert_int_equal(act, VMM_XEN_ACT_POWEROFF);
    vmm_put_le32(at(f, ARG_GPA), 1);
    assert_int_equal(hc(f, VMM_XEN_HC_SCHED_OP, 2, ARG_GPA, 0, &act), 0);
    assert_int_equal(act, VMM_XEN_ACT_REBOOT);
    vmm_put_le32(at(f, ARG_GPA), 2);
    assert_int_equal(hc(f, VMM_XEN_HC_SCHED_OP, 2, ARG_GPA, 0, &act), RET(-VMM_XEN_EINVAL));
    assert_int_equal(act, VMM_XEN_ACT_NONE);
    assert_int_equal(hc(f, VMM_XEN_HC_SCHED_OP, 2, 0x10, 0, &act), RET(-VMM_XEN_EFAULT));
    assert_int_equal(hc(f, VMM_XEN_HC_SCHED_OP, 0, 0, 0, &act), 0);
    assert_int_equal(hc(f, VMM_XEN_HC_SCHED_OP, 1, 0, 0, &act), 0);
    assert_int_equal(act, VMM_XEN_ACT_BLOCK);
}

static void xen_reset_forgets_registrations_and_empties_the_ring(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(add_to_physmap(f, 0, 0, SI_GPA >> 12), 0);
    assert_int_equal(register_vcpu_info(f, 0, VI_GPA >> 12, 0x40), 0);
    set_ring(f, VMM_XEN_RING_OUT_CONS, 3, 9);
    vmm_xen_reset(&f->x);
    assert_int_equal(f->x.shared_info, 0);
    assert_int_equal(f->x.vcpu_info[0], 0);
    assert_int_equal(vmm_get_le32(at(f, RING_GPA + VMM_XEN_RING_OUT_PROD)), 0);
    assert_int_equal(register_vcpu_info(f, 0, VI_GPA >> 12, 0x40), 0);
}

static void xen_recognises_only_its_hvc_immediate(void **state)
{
    (void)state;
    assert_true(vmm_xen_is_hvc(0xd4000002u | (0xea1u << 5)));
    assert_false(vmm_xen_is_hvc(0xd4000002u));                 /* hvc #0: SMCCC */
    assert_false(vmm_xen_is_hvc(0xd4000003u | (0xea1u << 5))); /* smc #0xea1 */
}

static void xen_init_rejects_bad_pages(void **state)
{
    struct fixture *f = *state;
    struct vmm_xen x;
    struct vmm_xen_config cfg = f->x.cfg;

    cfg.ring_gpa = RING_GPA + 8;
    assert_int_equal(vmm_xen_init(&x, &cfg), -VMM_EINVAL);
    cfg.ring_gpa = RAM_GPA + RAM_SIZE;
    assert_int_equal(vmm_xen_init(&x, &cfg), -VMM_EINVAL);
    cfg.ring_gpa = GNT_GPA + 4096; /* inside the grant frames */
    assert_int_equal(vmm_xen_init(&x, &cfg), -VMM_EINVAL);
    cfg.ring_gpa = RING_GPA;
    cfg.gnttab_gpa = RAM_GPA + RAM_SIZE - 4096; /* second frame outside RAM */
    assert_int_equal(vmm_xen_init(&x, &cfg), -VMM_EINVAL);
    cfg.gnttab_gpa = GNT_GPA;
    cfg.ring_gpa = RING_GPA;
    cfg.nr_vcpus = 0;
    assert_int_equal(vmm_xen_init(&x, &cfg), -VMM_EINVAL);
}

/* The device tree Linux's xen_early_init()/xen_guest_init() read. */
static void xen_device_tree_has_the_hypervisor_node_and_reservation(void **state)
{
    static uint8_t fdt[16384], ram[64];
    static struct vmm_vm vm;
    struct vmm_arm64_layout layout;
    struct vmm_arm64_xen xen = {.gnttab_gpa = 0x4fffe000,
                                .gnttab_size = 0x2000,
                                .reserved_gpa = 0x4fffd000,
                                .reserved_size = 0x3000,
                                .ppi = 31};
    struct vmm_arm64_boot boot = {.cmdline = "console=hvc0", .xen = &xen};
    const fdt32_t *irq;
    const fdt64_t *reg;
    const char *compat;
    uint64_t addr, size;
    int node, len;

    (void)state;
    assert_int_equal(vmm_vm_init(&vm, "xen-fdt", 2), 0);
    vmm_arm64_default_layout_gicv2(&layout);
    assert_int_equal(vmm_vm_add_ram(&vm, 0x40000000, 0x10000000, ram), 0);
    assert_true(vmm_arm64_build_fdt(&vm, &layout, &boot, 0, 0, fdt, sizeof(fdt)) > 0);
    node = fdt_path_offset(fdt, "/hypervisor"); /* no unit address: Linux wants the bare name */
    assert_true(node >= 0);
    compat = fdt_getprop(fdt, node, "compatible", &len);
    assert_non_null(compat);
    assert_string_equal(compat, "xen,xen-4.19");
    assert_string_equal(compat + strlen(compat) + 1, "xen,xen");
    reg = fdt_getprop(fdt, node, "reg", &len);
    assert_int_equal(len, 16);
    assert_int_equal(fdt64_ld(&reg[0]), 0x4fffe000);
    assert_int_equal(fdt64_ld(&reg[1]), 0x2000);
    irq = fdt_getprop(fdt, node, "interrupts", &len);
    assert_int_equal(len, 12);
    assert_int_equal(fdt32_to_cpu(irq[0]), 1);     /* PPI */
    assert_int_equal(fdt32_to_cpu(irq[1]), 15);    /* INTID 31 */
    assert_int_equal(fdt32_to_cpu(irq[2]), 0x301); /* 2 vCPUs, edge rising */
    assert_int_equal(fdt_num_mem_rsv(fdt), 1);
    assert_int_equal(fdt_get_mem_rsv(fdt, 0, &addr, &size), 0);
    assert_int_equal(addr, 0x4fffd000);
    assert_int_equal(size, 0x3000);
    /* without the Xen interface: neither */
    boot.xen = NULL;
    assert_true(vmm_arm64_build_fdt(&vm, &layout, &boot, 0, 0, fdt, sizeof(fdt)) > 0);
    assert_true(fdt_path_offset(fdt, "/hypervisor") < 0);
    assert_int_equal(fdt_num_mem_rsv(fdt), 0);
    /* a PPI out of range is refused */
    xen.ppi = 32;
    boot.xen = &xen;
    assert_int_equal(vmm_arm64_build_fdt(&vm, &layout, &boot, 0, 0, fdt, sizeof(fdt)), -VMM_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(xen_console_io_write_reaches_the_sink, setup),
        cmocka_unit_test_setup(xen_console_io_rejects_hostile_buffers, setup),
        cmocka_unit_test_setup(xen_unknown_hypercalls_and_subops_are_enosys, setup),
        cmocka_unit_test_setup(xen_version_reports_auto_translated_domu_features, setup),
        cmocka_unit_test_setup(xen_hvm_params_give_the_console_and_no_xenstore, setup),
        cmocka_unit_test_setup(xen_add_to_physmap_checks_space_index_and_frame, setup),
        cmocka_unit_test_setup(xen_grant_table_query_and_version, setup),
        cmocka_unit_test_setup(xen_vcpu_info_registration_is_checked_and_once, setup),
        cmocka_unit_test_setup(xen_ring_output_follows_wrapping_indices, setup),
        cmocka_unit_test_setup(xen_ring_output_with_hostile_indices_is_dropped, setup),
        cmocka_unit_test_setup(xen_input_raises_the_event_unless_masked, setup),
        cmocka_unit_test_setup(xen_bind_vcpu_moves_the_console_event, setup),
        cmocka_unit_test_setup(xen_sched_op_shutdown_reasons, setup),
        cmocka_unit_test_setup(xen_reset_forgets_registrations_and_empties_the_ring, setup),
        cmocka_unit_test_setup(xen_recognises_only_its_hvc_immediate, setup),
        cmocka_unit_test_setup(xen_init_rejects_bad_pages, setup),
        cmocka_unit_test(xen_device_tree_has_the_hypervisor_node_and_reservation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
