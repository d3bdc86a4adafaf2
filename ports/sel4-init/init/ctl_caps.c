/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Capability lists of the PDs stdvmm-init builds (docs/SECURITY.md): every
 * capability it puts into a PD's CNode is noted here (slot, rights, badge);
 * a list reads each noted slot back from the kernel (a copy into a scratch
 * slot, whose object type seL4_DebugCapIdentify names) so what is printed
 * is what the CNode holds. Slots never written stay empty: the CNode was
 * retyped from memory the kernel cleared, and a PD holds no untyped memory
 * to make capabilities of its own.
 */
#include <stdbool.h>
#include <stdint.h>
#include "ctl.h"
#include "init.h"
#include "stdvmm/err.h"

#define MAX_NOTES 1024

struct cap_note {
    seL4_CPtr cnode;
    seL4_Word badge;
    uint16_t slot;
    uint8_t rights; /* R W G GR as bits 0..3 */
};

static struct cap_note notes[MAX_NOTES];
static unsigned nr_notes;
static bool notes_full;

void init_cap_note(seL4_CPtr cnode, unsigned slot, seL4_CapRights_t rights, seL4_Word badge)
{
    uint8_t r = (uint8_t)((seL4_CapRights_get_capAllowRead(rights) ? 1 : 0) |
                          (seL4_CapRights_get_capAllowWrite(rights) ? 2 : 0) |
                          (seL4_CapRights_get_capAllowGrant(rights) ? 4 : 0) |
                          (seL4_CapRights_get_capAllowGrantReply(rights) ? 8 : 0));

    for (unsigned i = 0; i < nr_notes; i++) {
        if (notes[i].cnode == cnode && notes[i].slot == slot) {
            notes[i].rights = r;
            notes[i].badge = badge;
            return;
        }
    }
    if (nr_notes == MAX_NOTES) {
        notes_full = true; /* the lists say they are incomplete */
        return;
    }
    notes[nr_notes++] =
        (struct cap_note){.cnode = cnode, .badge = badge, .slot = (uint16_t)slot, .rights = r};
}

void ctl_caps_forget(seL4_CPtr cnode)
{
    unsigned j = 0;

    for (unsigned i = 0; i < nr_notes; i++) {
        if (notes[i].cnode != cnode)
            notes[j++] = notes[i];
    }
    nr_notes = j;
}

/* The kernel's capability types (seL4 16.0.0, AArch64: cap_tag_t). */
static const char *cap_type_name(seL4_Uint32 t)
{
    static const char *const names[] = {
        [0] = "null",           [1] = "frame",          [2] = "untyped",       [3] = "page table",
        [4] = "endpoint",       [6] = "notification",   [8] = "reply",         [9] = "vspace",
        [10] = "cnode",         [11] = "asid control",  [12] = "thread (TCB)", [13] = "asid pool",
        [14] = "irq control",   [15] = "vcpu",          [16] = "irq handler",  [20] = "domain",
        [22] = "sched context", [24] = "sched control",
    };

    return t < sizeof(names) / sizeof(names[0]) && names[t] != NULL ? names[t] : "other";
}

#define TYPE_WIDTH 13

/* @s left-justified in TYPE_WIDTH columns (the formatter has no %-13s). */
static const char *padded(const char *s, char out[TYPE_WIDTH + 1])
{
    unsigned i = 0;

    for (; s[i] != '\0' && i < TYPE_WIDTH; i++)
        out[i] = s[i];
    for (; i < TYPE_WIDTH; i++)
        out[i] = ' ';
    out[TYPE_WIDTH] = '\0';
    return out;
}

int ctl_caps_print(const char *pd, seL4_CPtr cnode, unsigned bits, seL4_CPtr scratch)
{
    unsigned n = 0, total = 0;

    for (unsigned i = 0; i < nr_notes; i++)
        total += notes[i].cnode == cnode;
    init_log("capabilities of PD %s (CNode of %u slots, %u filled by stdvmm-init%s):", pd,
             1u << bits, total, notes_full ? "; the list of notes overflowed" : "");
    for (unsigned slot = 0; slot < (1u << bits); slot++) {
        for (unsigned i = 0; i < nr_notes; i++) {
            const struct cap_note *c = &notes[i];
            seL4_Error e;
            seL4_Uint32 type;
            char tn[TYPE_WIDTH + 1];

            if (c->cnode != cnode || c->slot != slot)
                continue;
            e = seL4_CNode_Copy(seL4_CapInitThreadCNode, scratch, seL4_WordBits, cnode, slot, bits,
                                seL4_AllRights);
            if (e == seL4_FailedLookup) { /* taken back (a device's IRQ handler) */
                init_log("  slot %3u  empty", slot);
                continue;
            }
            if (e != seL4_NoError) {
                init_log("  slot %3u  (cannot be read back: %d)", slot, (int)e);
                continue;
            }
            type = seL4_DebugCapIdentify(scratch);
            seL4_CNode_Delete(seL4_CapInitThreadCNode, scratch, seL4_WordBits);
            init_log("  slot %3u  %s rights %c%c%c%c  badge 0x%llx", slot,
                     padded(cap_type_name(type), tn), (c->rights & 1) ? 'R' : '-',
                     (c->rights & 2) ? 'W' : '-', (c->rights & 4) ? 'G' : '-',
                     (c->rights & 8) ? 'g' : '-', (unsigned long long)c->badge);
            n++;
        }
    }
    return (int)n;
}
