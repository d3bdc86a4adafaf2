/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The seccomp-BPF filter of the stdvmm process (kvm/seccomp.h): building the
 * program from a table, installing it, and the SIGSYS handler that names a
 * blocked syscall. The native table is in seccomp_table.c.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>
#include "stdvmm/err.h"
#include "stdvmm/kvm/seccomp.h"
#include "stdvmm/log.h"

/* ---- the BPF program */

#define ARG_LO(i) ((uint32_t)offsetof(struct seccomp_data, args[(i)])) /* little endian */

struct seccomp_prog {
    struct sock_filter *insn;
    size_t n, cap;
    bool overflow;
};

static void emit(struct seccomp_prog *p, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
    if (p->n >= p->cap) {
        p->overflow = true;
        return;
    }
    p->insn[p->n++] = (struct sock_filter){code, jt, jf, k};
}

static void emit_ret(struct seccomp_prog *p, uint32_t action)
{
    emit(p, BPF_RET | BPF_K, 0, 0, action);
}

/* if (A == k) return action; */
static void emit_match_ret(struct seccomp_prog *p, uint32_t k, uint32_t action)
{
    emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, k);
    emit_ret(p, action);
}

int vmm_seccomp_build(const struct vmm_seccomp_table *t, struct sock_filter *prog, size_t cap)
{
    struct seccomp_prog p = {.insn = prog, .cap = cap};

    if (t == NULL || prog == NULL)
        return -VMM_EINVAL;
    /* A foreign architecture's numbers mean other syscalls: kill. */
    emit(&p, BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)offsetof(struct seccomp_data, arch));
    emit(&p, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, t->audit_arch);
    emit_ret(&p, SECCOMP_RET_KILL_PROCESS);
    emit(&p, BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)offsetof(struct seccomp_data, nr));
    if (t->nr_kill_mask != 0) {
        emit(&p, BPF_JMP | BPF_JSET | BPF_K, 0, 1, t->nr_kill_mask);
        emit_ret(&p, SECCOMP_RET_KILL_PROCESS);
    }
    /* Syscalls allowed with some argument values: the body returns on
     * every path, so a non-matching number jumps over all of it. */
    for (size_t i = 0; i < t->nr_rules; i++) {
        const struct vmm_seccomp_arg_rule *r = &t->rules[i];
        size_t body = 1 + 2 * r->nr_values + 1;

        if (r->arg > 5 || body > 255)
            return -VMM_EINVAL;
        emit(&p, BPF_JMP | BPF_JEQ | BPF_K, 0, (uint8_t)body, (uint32_t)r->nr);
        emit(&p, BPF_LD | BPF_W | BPF_ABS, 0, 0, ARG_LO(r->arg));
        for (size_t v = 0; v < r->nr_values; v++)
            emit_match_ret(&p, r->values[v], SECCOMP_RET_ALLOW);
        emit_ret(&p, SECCOMP_RET_TRAP);
    }
    for (size_t i = 0; i < t->nr_allow; i++)
        emit_match_ret(&p, (uint32_t)t->allow[i], SECCOMP_RET_ALLOW);
    for (size_t i = 0; i < t->nr_eperm; i++)
        emit_match_ret(&p, (uint32_t)t->eperm[i], SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA));
    emit_ret(&p, SECCOMP_RET_TRAP);
    return p.overflow ? -VMM_ENOSPC : (int)p.n;
}

/* ---- SIGSYS: say which syscall, then exit (async-signal-safe only) */

static size_t put_str(char *buf, size_t at, size_t cap, const char *s)
{
    while (*s && at + 1 < cap)
        buf[at++] = *s++;
    return at;
}

static size_t put_num(char *buf, size_t at, size_t cap, uint64_t v, unsigned base)
{
    char tmp[24];
    size_t n = 0;

    do {
        tmp[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v != 0 && n < sizeof(tmp));
    while (n > 0 && at + 1 < cap)
        buf[at++] = tmp[--n];
    return at;
}

static uint64_t seccomp_ioctl_request(const void *uc_void)
{
    const ucontext_t *uc = uc_void;

#if defined(__aarch64__)
    return uc->uc_mcontext.regs[1];
#else
    return (uint64_t)uc->uc_mcontext.gregs[REG_RSI];
#endif
}

/* Process configuration for the signal handler, set before the filter. */
static void (*seccomp_on_violation)(void);

void vmm_seccomp_set_on_violation(void (*fn)(void))
{
    seccomp_on_violation = fn;
}

static void seccomp_sigsys(int sig, siginfo_t *si, void *uc)
{
    char msg[160];
    size_t n = 0;
    int nr = si->si_syscall;

    (void)sig;
    n = put_str(msg, n, sizeof(msg), "stdvmm: seccomp: blocked syscall ");
    n = put_num(msg, n, sizeof(msg), (uint64_t)(unsigned)nr, 10);
    n = put_str(msg, n, sizeof(msg), " (");
    n = put_str(msg, n, sizeof(msg), vmm_seccomp_syscall_name(nr));
    if (nr == __NR_ioctl) {
        n = put_str(msg, n, sizeof(msg), " request 0x");
        n = put_num(msg, n, sizeof(msg), seccomp_ioctl_request(uc) & 0xffffffffu, 16);
    }
    n = put_str(msg, n, sizeof(msg), "); stopping (--no-seccomp turns the filter off)\n");
    if (seccomp_on_violation != NULL)
        seccomp_on_violation();
    (void)syscall(__NR_write, STDERR_FILENO, msg, n);
    (void)syscall(__NR_exit_group, VMM_SECCOMP_EXIT_STATUS);
}

int vmm_seccomp_install(const struct vmm_seccomp_table *t)
{
    static struct sock_filter insns[VMM_SECCOMP_MAX_INSNS];
    struct sock_fprog prog;
    struct sigaction sa;
    sigset_t sys;
    int n, err;

    n = vmm_seccomp_build(t, insns, VMM_SECCOMP_MAX_INSNS);
    if (n < 0) {
        vmm_err("seccomp: cannot build the filter: %s", vmm_strerror(n));
        return n;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = seccomp_sigsys;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigemptyset(&sys);
    sigaddset(&sys, SIGSYS);
    if (sigaction(SIGSYS, &sa, NULL) < 0 || sigprocmask(SIG_UNBLOCK, &sys, NULL) < 0) {
        err = errno;
        vmm_err("seccomp: SIGSYS handler: %s", strerror(err));
        return -err;
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
        err = errno;
        vmm_err("seccomp: PR_SET_NO_NEW_PRIVS: %s", strerror(err));
        return -err;
    }
    prog.len = (unsigned short)n;
    prog.filter = insns;
    /* TSYNC: the console input thread already runs; it gets the filter too. */
    if (syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog) != 0) {
        err = errno ? errno : EAGAIN;
        vmm_err("seccomp: installing the filter: %s (--no-seccomp runs without it)", strerror(err));
        return -err;
    }
    vmm_dbg("seccomp: filter of %d instructions installed", n);
    return 0;
}

/* Append @n values to @dst (holding *@len of @cap); false when full. */
static bool merge_u32(uint32_t *dst, size_t *len, size_t cap, const uint32_t *src, size_t n)
{
    if (n > cap - *len)
        return false;
    for (size_t i = 0; i < n; i++)
        dst[(*len)++] = src[i];
    return true;
}

int vmm_seccomp_merge(struct vmm_seccomp_merged *m, const struct vmm_seccomp_table *base,
                      const struct vmm_posix_syscalls *const *extra, size_t n)
{
    size_t nr_allow = 0, nr_ioctls = 0, nr_domains = 0, nr_rules = 0;
    const struct vmm_seccomp_arg_rule *ioctl_rule = NULL, *socket_rule = NULL;

    memset(m, 0, sizeof(*m));
    m->table = *base;
    if (base->nr_allow > VMM_SECCOMP_MERGE_MAX || base->nr_rules > 6)
        return -VMM_ENOSPC;
    memcpy(m->allow, base->allow, base->nr_allow * sizeof(int));
    nr_allow = base->nr_allow;
    for (size_t i = 0; i < base->nr_rules; i++) {
        const struct vmm_seccomp_arg_rule *r = &base->rules[i];
        if (r->nr == __NR_ioctl && r->arg == 1)
            ioctl_rule = r;
        else if (r->nr == __NR_socket && r->arg == 0)
            socket_rule = r;
        else
            m->rules[nr_rules++] = *r;
    }
    if ((ioctl_rule != NULL && !merge_u32(m->ioctls, &nr_ioctls, VMM_SECCOMP_MERGE_MAX,
                                          ioctl_rule->values, ioctl_rule->nr_values)) ||
        (socket_rule != NULL &&
         !merge_u32(m->domains, &nr_domains, 8, socket_rule->values, socket_rule->nr_values)))
        return -VMM_ENOSPC;
    for (size_t e = 0; e < n; e++) {
        const struct vmm_posix_syscalls *x = extra[e];
        if (x == NULL)
            continue;
        if (x->nr_allow > VMM_SECCOMP_MERGE_MAX - nr_allow)
            return -VMM_ENOSPC;
        for (size_t i = 0; i < x->nr_allow; i++)
            m->allow[nr_allow++] = x->allow[i];
        if (!merge_u32(m->ioctls, &nr_ioctls, VMM_SECCOMP_MERGE_MAX, x->ioctls, x->nr_ioctls) ||
            !merge_u32(m->domains, &nr_domains, 8, x->socket_domains, x->nr_socket_domains))
            return -VMM_ENOSPC;
    }
    if (nr_ioctls > 0)
        m->rules[nr_rules++] = (struct vmm_seccomp_arg_rule){__NR_ioctl, 1, m->ioctls, nr_ioctls};
    if (nr_domains > 0)
        m->rules[nr_rules++] =
            (struct vmm_seccomp_arg_rule){__NR_socket, 0, m->domains, nr_domains};
    m->table.allow = m->allow;
    m->table.nr_allow = nr_allow;
    m->table.rules = m->rules;
    m->table.nr_rules = nr_rules;
    return 0;
}
