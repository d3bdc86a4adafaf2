/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The run loop's syscall allow-list for the architecture stdvmm is built
 * for (kvm/seccomp.h; the filter itself is built in seccomp.c).
 *
 * Which syscalls: those the run loop makes once set-up is over. vCPU
 * threads: KVM_RUN, KVM_IRQ_LINE, KVM_SET_VCPU_EVENTS, KVM_GET/SET_ONE_REG
 * (accesses emulated from their instruction), futex (the device lock),
 * signals to stop; a guest reset: KVM_ARM_PREFERRED_TARGET,
 * KVM_ARM_VCPU_INIT, KVM_SET_ONE_REG (main thread, vCPUs stopped). Every
 * backend: read/write/readv/writev, poll, eventfds, the terminal's TC*
 * ioctls, getrandom (also glibc's). What one backend alone needs it
 * declares itself (include/stdvmm/posix/syscalls.h: the disk image's
 * preadv/pwritev/fdatasync/fallocate, the tap's TUNSETOFFLOAD, the vsock
 * sockets' accept4/connect/sendmsg and socket(AF_UNIX)), and `stdvmm` adds
 * the lists of the backends it opened (vmm_seccomp_merge). Thread creation
 * and exit (vmm_kvm_run starts the vCPU threads after the filter is in
 * place): clone/clone3, mmap,
 * mprotect, munmap, madvise, set_robust_list, rseq. Found by reading the
 * code and confirmed by running the e2e and attack guests with the filter
 * on (a missing syscall shows up as "blocked syscall N").
 */
#include <linux/audit.h>
#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include "stdvmm/kvm/seccomp.h"

#if defined(__aarch64__)
#define SECCOMP_NATIVE_ARCH AUDIT_ARCH_AARCH64
#define SECCOMP_NATIVE_KILL_MASK 0u
#elif defined(__x86_64__)
#define SECCOMP_NATIVE_ARCH AUDIT_ARCH_X86_64
#define SECCOMP_NATIVE_KILL_MASK 0x40000000u /* __X32_SYSCALL_BIT */
#else
#error "stdvmm's seccomp filter knows aarch64 and x86_64"
#endif

static const int native_allow[] = {
    __NR_read,
    __NR_write,
    __NR_readv,
    __NR_writev,
    __NR_close,
    __NR_ppoll,
#ifdef __NR_poll
    __NR_poll,
#endif
    __NR_futex,
    __NR_rt_sigprocmask,
    __NR_rt_sigreturn,
    __NR_rt_sigaction,
    __NR_sigaltstack,
    __NR_tgkill,
    __NR_tkill,
    __NR_getpid,
    __NR_gettid,
    __NR_exit,
    __NR_exit_group,
    __NR_clone,
    __NR_clone3,
    __NR_mmap,
    __NR_munmap,
    __NR_mprotect,
    __NR_madvise,
    __NR_brk,
    __NR_mremap,
    __NR_set_robust_list,
    __NR_rseq,
    __NR_sched_yield,
    __NR_clock_gettime,
    __NR_clock_nanosleep,
    __NR_nanosleep,
    __NR_gettimeofday,
    __NR_getrandom,
    __NR_fsync,
    __NR_lseek,
    __NR_fstat,
    __NR_newfstatat,
    __NR_fcntl,
    __NR_restart_syscall,
};

static const uint32_t native_ioctls[] = {
    (uint32_t)KVM_RUN,
    (uint32_t)KVM_IRQ_LINE,
    (uint32_t)KVM_SET_VCPU_EVENTS,
    /* registers of an access emulated from its instruction (kvm_nisv.c) */
    (uint32_t)KVM_GET_ONE_REG,
    (uint32_t)KVM_SET_ONE_REG,
#if defined(__aarch64__)
    /* a guest reset: every vCPU back to its reset state (then SET_ONE_REG) */
    (uint32_t)KVM_ARM_PREFERRED_TARGET,
    (uint32_t)KVM_ARM_VCPU_INIT,
#endif
    (uint32_t)TCGETS, /* isatty(), tcgetattr() */
    (uint32_t)TCSETS, /* tcsetattr(): the console's raw mode is undone at exit */
    (uint32_t)TCSETSW,
    (uint32_t)TCSETSF,
};

static const struct vmm_seccomp_arg_rule native_rules[] = {
    {__NR_ioctl, 1, native_ioctls, sizeof(native_ioctls) / sizeof(native_ioctls[0])},
};

/* Refused with EPERM: removing the vsock socket file at exit (it is
 * removed again before the next bind). */
static const int native_eperm[] = {
    __NR_unlinkat,
#ifdef __NR_unlink
    __NR_unlink,
#endif
};

static const struct vmm_seccomp_table native_table = {
    .audit_arch = SECCOMP_NATIVE_ARCH,
    .nr_kill_mask = SECCOMP_NATIVE_KILL_MASK,
    .allow = native_allow,
    .nr_allow = sizeof(native_allow) / sizeof(native_allow[0]),
    .rules = native_rules,
    .nr_rules = sizeof(native_rules) / sizeof(native_rules[0]),
    .eperm = native_eperm,
    .nr_eperm = sizeof(native_eperm) / sizeof(native_eperm[0]),
};

struct seccomp_name {
    int nr;
    const char *name;
};

/* For the message: everything above and a few a compromised VMM would try. */
static const struct seccomp_name native_names[] = {
    {__NR_ioctl, "ioctl"},
    {__NR_socket, "socket"},
    {__NR_read, "read"},
    {__NR_write, "write"},
    {__NR_readv, "readv"},
    {__NR_writev, "writev"},
    {__NR_pread64, "pread64"},
    {__NR_pwrite64, "pwrite64"},
    {__NR_preadv, "preadv"},
    {__NR_pwritev, "pwritev"},
    {__NR_preadv2, "preadv2"},
    {__NR_pwritev2, "pwritev2"},
    {__NR_close, "close"},
    {__NR_ppoll, "ppoll"},
#ifdef __NR_poll
    {__NR_poll, "poll"},
#endif
    {__NR_futex, "futex"},
    {__NR_rt_sigprocmask, "rt_sigprocmask"},
    {__NR_rt_sigreturn, "rt_sigreturn"},
    {__NR_rt_sigaction, "rt_sigaction"},
    {__NR_sigaltstack, "sigaltstack"},
    {__NR_tgkill, "tgkill"},
    {__NR_tkill, "tkill"},
    {__NR_getpid, "getpid"},
    {__NR_gettid, "gettid"},
    {__NR_exit, "exit"},
    {__NR_exit_group, "exit_group"},
    {__NR_clone, "clone"},
    {__NR_clone3, "clone3"},
    {__NR_mmap, "mmap"},
    {__NR_munmap, "munmap"},
    {__NR_mprotect, "mprotect"},
    {__NR_madvise, "madvise"},
    {__NR_brk, "brk"},
    {__NR_mremap, "mremap"},
    {__NR_set_robust_list, "set_robust_list"},
    {__NR_rseq, "rseq"},
    {__NR_sched_yield, "sched_yield"},
    {__NR_clock_gettime, "clock_gettime"},
    {__NR_clock_nanosleep, "clock_nanosleep"},
    {__NR_nanosleep, "nanosleep"},
    {__NR_gettimeofday, "gettimeofday"},
    {__NR_getrandom, "getrandom"},
    {__NR_fdatasync, "fdatasync"},
    {__NR_fsync, "fsync"},
    {__NR_fallocate, "fallocate"},
    {__NR_lseek, "lseek"},
    {__NR_fstat, "fstat"},
    {__NR_newfstatat, "newfstatat"},
    {__NR_accept4, "accept4"},
    {__NR_connect, "connect"},
    {__NR_sendmsg, "sendmsg"},
    {__NR_recvmsg, "recvmsg"},
    {__NR_sendto, "sendto"},
    {__NR_recvfrom, "recvfrom"},
    {__NR_shutdown, "shutdown"},
    {__NR_getsockopt, "getsockopt"},
    {__NR_fcntl, "fcntl"},
    {__NR_restart_syscall, "restart_syscall"},
    {__NR_unlinkat, "unlinkat"},
#ifdef __NR_unlink
    {__NR_unlink, "unlink"},
#endif
    {__NR_openat, "openat"},
#ifdef __NR_open
    {__NR_open, "open"},
#endif
    {__NR_execve, "execve"},
    {__NR_execveat, "execveat"},
    {__NR_mkdirat, "mkdirat"},
    {__NR_ptrace, "ptrace"},
    {__NR_kill, "kill"},
    {__NR_setuid, "setuid"},
    {__NR_setgid, "setgid"},
    {__NR_chroot, "chroot"},
    {__NR_mount, "mount"},
    {__NR_bind, "bind"},
    {__NR_listen, "listen"},
#ifdef __NR_fork
    {__NR_fork, "fork"},
#endif
#ifdef __NR_vfork
    {__NR_vfork, "vfork"},
#endif
    {__NR_kexec_load, "kexec_load"},
    {__NR_init_module, "init_module"},
    {__NR_finit_module, "finit_module"},
    {__NR_bpf, "bpf"},
    {__NR_process_vm_writev, "process_vm_writev"},
    {__NR_process_vm_readv, "process_vm_readv"},
    {__NR_getppid, "getppid"},
};

const struct vmm_seccomp_table *vmm_seccomp_native_table(void)
{
    return &native_table;
}

const char *vmm_seccomp_syscall_name(int nr)
{
    for (size_t i = 0; i < sizeof(native_names) / sizeof(native_names[0]); i++)
        if (native_names[i].nr == nr)
            return native_names[i].name;
    return "?";
}
