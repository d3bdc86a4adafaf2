/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A GDB remote serial protocol stub for an AArch64 guest, portable
 * (docs/API.md, "GDB"): the framing ($payload#checksum, acks, escapes,
 * Ctrl-C) and the commands (registers, memory, breakpoints, step,
 * continue, threads, the target description), on top of a target the
 * port provides. It never trusts the client: every length, address,
 * register number and thread id is checked, and a packet longer than
 * VMM_GDB_MAX_PACKET is refused. No allocation, no libc beyond <string.h>.
 */
#ifndef STDVMM_GDB_H
#define STDVMM_GDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMM_GDB_MAX_PACKET 4096 /* payload bytes we accept (PacketSize) */
#define VMM_GDB_MAX_REPLY 8192  /* payload bytes of one reply, before escaping */
#define VMM_GDB_MAX_MEM 2048    /* bytes one m/M/X packet may move */
#define VMM_GDB_MAX_SW_BP 64
#define VMM_GDB_MAX_HW_BP 16
#define VMM_GDB_NR_REGS 34 /* x0..x30, sp, pc, cpsr */
#define VMM_GDB_REG_SP 31
#define VMM_GDB_REG_PC 32
#define VMM_GDB_REG_CPSR 33
#define VMM_GDB_SIGINT 2
#define VMM_GDB_SIGTRAP 5

/* ------------------------------------------------------------- framing */

enum vmm_gdb_rx_event {
    VMM_GDB_RX_NONE = 0,  /* byte consumed, nothing complete */
    VMM_GDB_RX_PACKET,    /* a packet with a good checksum: rx->buf, rx->len */
    VMM_GDB_RX_BAD,       /* bad checksum or too long: answer '-' */
    VMM_GDB_RX_INTERRUPT, /* 0x03 outside a packet (Ctrl-C) */
};

struct vmm_gdb_rx {
    int state;
    char buf[VMM_GDB_MAX_PACKET + 1]; /* unescaped payload, NUL-terminated */
    size_t len;
    uint8_t sum, csum;
    bool escape, overflow;
};

/* Feed one byte received from the client. */
enum vmm_gdb_rx_event vmm_gdb_rx_byte(struct vmm_gdb_rx *rx, uint8_t c);

/* Frame @payload (@len bytes) as $...#xx into @out (escaping '$', '#',
 * '}' and '*'): the framed length, or 0 if it does not fit @cap. */
size_t vmm_gdb_frame(const char *payload, size_t len, char *out, size_t cap);

/* ------------------------------------------------------------- target */

struct vmm_gdb_regs {
    uint64_t x[31], sp, pc;
    uint32_t cpsr;
};

/* What the port provides. Threads are vCPUs 0..nr_threads-1 (GDB thread
 * ids 1..n). Every call but stop-related ones happens with the guest
 * stopped. Return 0 or a negative VMM_E* code. */
struct vmm_gdb_target_ops {
    unsigned (*nr_threads)(void *ctx);
    int (*get_regs)(void *ctx, unsigned vcpu, struct vmm_gdb_regs *r);
    int (*set_regs)(void *ctx, unsigned vcpu, const struct vmm_gdb_regs *r);
    /* Guest memory at @addr: virtual through @vcpu's stage-1 tables, or
     * guest physical when @phys. Writes keep the instruction cache
     * coherent (breakpoints). */
    int (*read_mem)(void *ctx, unsigned vcpu, bool phys, uint64_t addr, uint8_t *buf, size_t len);
    int (*write_mem)(void *ctx, unsigned vcpu, bool phys, uint64_t addr, const uint8_t *buf,
                     size_t len);
    /* Program the hardware breakpoints @addrs[0..n) on every vCPU. */
    int (*set_hw_breaks)(void *ctx, const uint64_t *addrs, unsigned n);
    /* Let the guest run: every vCPU, or only @step_vcpu for one
     * instruction when @step_vcpu >= 0. The port reports the stop later
     * (vmm_gdb_stop_reply). */
    int (*resume)(void *ctx, int step_vcpu);
};

struct vmm_gdb_sw_bp {
    uint64_t addr;
    uint32_t saved; /* the instruction the BRK replaced */
    bool used;
};

struct vmm_gdb {
    const struct vmm_gdb_target_ops *ops;
    void *ctx;
    unsigned g_vcpu; /* Hg: registers and memory */
    int c_vcpu;      /* Hc: which vCPU steps (-1: any) */
    bool phys;       /* "monitor phys on": m/M/X are guest physical */
    bool running;    /* resumed; the stop reply is pending */
    bool no_ack;     /* QStartNoAckMode */
    unsigned thread_iter;
    struct vmm_gdb_sw_bp sw[VMM_GDB_MAX_SW_BP];
    uint64_t hw[VMM_GDB_MAX_HW_BP];
    unsigned nr_hw, max_hw;
    unsigned last_vcpu; /* of the last stop */
};

/* Start a session on @ops/@ctx with @max_hw hardware breakpoints
 * (at most VMM_GDB_MAX_HW_BP). The guest is stopped. */
void vmm_gdb_init(struct vmm_gdb *g, const struct vmm_gdb_target_ops *ops, void *ctx,
                  unsigned max_hw);

/*
 * Handle one packet payload (@pkt, @len bytes, NUL-terminated). Returns the
 * length of the reply payload written to @reply (@cap >= VMM_GDB_MAX_REPLY;
 * 0 is the empty reply, "not supported"), or -1 when there is no reply now
 * (the guest runs: the reply is the stop reply), or -2 for a detach (D) or
 * kill (k): breakpoints are removed; reply "OK" and close the connection.
 */
long vmm_gdb_handle(struct vmm_gdb *g, const char *pkt, size_t len, char *reply, size_t cap);

/* The stop reply "T<sig>thread:<id>;" for @vcpu into @reply (and the
 * session is stopped again): its length. */
long vmm_gdb_stop_reply(struct vmm_gdb *g, unsigned vcpu, int sig, char *reply, size_t cap);

/* Remove every breakpoint from the guest (the end of a session). */
void vmm_gdb_detach(struct vmm_gdb *g);

/* The target description (qXfer:features:read:target.xml). */
extern const char vmm_gdb_target_xml[];

#endif
