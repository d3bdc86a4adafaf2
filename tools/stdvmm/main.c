/* SPDX-License-Identifier: BSD-2-Clause */
/* The stdvmm program: parse the command line, log to stderr, dispatch. */
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "config.h"
#include "run.h"
#include "stdvmm/log.h"
#include "stdvmm/posix_console.h"

#ifndef STDVMM_VERSION
#define STDVMM_VERSION "unknown"
#endif

static const char main_help[] =
    "Usage: stdvmm run --kernel IMAGE [options]   boot a Linux arm64 guest on KVM\n"
    "       stdvmm run --help                     the run options\n"
    "       stdvmm --help | --version\n"
    "\n"
    "stdvmm is a small virtual machine monitor: one process runs one VM on this\n"
    "arm64 host's KVM (/dev/kvm), with an in-kernel GICv3, PSCI, a PL011 serial\n"
    "port and virtio-mmio devices.\n"
    "\n"
    "Exit status: 0 the guest powered off (or asked for a reset, or Ctrl-A x);\n"
    "1 runtime error (file, kernel image, /dev/kvm, KVM) or guest crash;\n"
    "2 usage error; 130/143/129 stopped by SIGINT/SIGTERM/SIGHUP.\n";

static const char run_help[] =
    "Usage: stdvmm run --kernel IMAGE [options]\n"
    "\n"
    "Boot an uncompressed arm64 Linux Image in a KVM virtual machine.\n"
    "\n"
    "  --kernel FILE      arm64 Linux Image (required)\n"
    "  --initrd FILE      initial ramdisk (a cpio archive, compressed or not)\n"
    "  --cmdline STRING   kernel command line; default \"console=ttyAMA0\",\n"
    "                     or \"console=hvc0\" with --console virtio\n"
    "  --cpus N           number of vCPUs, 1..8 (default 1)\n"
    "  --mem SIZE         guest RAM with a K, M, G or T suffix (no suffix: MiB),\n"
    "                     32M..512G, a multiple of 2M (default 256M); at 0x40000000\n"
    "  --console KIND     serial (default): stdin/stdout on the PL011, ttyAMA0;\n"
    "                     virtio: also add a virtio-console (hvc0) and send stdin\n"
    "                     there. The PL011 is always present (earlycon) and its\n"
    "                     output always goes to stdout.\n"
    "  --console-filter MODE\n"
    "                     sanitize: guest control bytes other than newline,\n"
    "                     return and tab, escape sequences and malformed UTF-8\n"
    "                     reach stdout as \\xNN, and a guest line starting with\n"
    "                     \"stdvmm\" as \"\\x73tdvmm\", so it cannot pass for one\n"
    "                     of stdvmm's own lines; raw: every byte as the guest\n"
    "                     wrote it; auto (default): sanitize unless stdout is a\n"
    "                     terminal\n"
    "  --disk PATH[,ro]   a virtio-blk disk on a raw image file or block device\n"
    "                     (size a multiple of 512 bytes; locked while in use);\n"
    "                     ,ro makes it read-only for the guest. Repeatable, up to\n"
    "                     8; Linux names them vda, vdb, ... in this order.\n"
    "                     Example: --disk root.img --disk data.img,ro\n"
    "  --net tap=NAME[,mac=XX:XX:XX:XX:XX:XX]\n"
    "                     a virtio-net NIC on the host tap interface NAME, which\n"
    "                     is created if it does not exist (needs CAP_NET_ADMIN)\n"
    "                     and removed at exit unless it was made persistent; the\n"
    "                     host configures it (ip addr add ... dev NAME; ip link\n"
    "                     set NAME up). The guest MAC defaults to one derived\n"
    "                     from NAME (02:53:..). Example: --net tap=tap0\n"
    "  --rng              a virtio-rng entropy device (/dev/hwrng in the guest)\n"
    "                     fed from the host's getrandom(2). Example: --rng\n"
    "  --vsock cid=N,uds=PATH\n"
    "                     a virtio-vsock device; the guest's CID is N (3 or more)\n"
    "                     and the host side is UNIX sockets (Firecracker's\n"
    "                     convention): a guest connection to host port P goes to\n"
    "                     the socket PATH_P, which a host program listens on; a\n"
    "                     host program connects to PATH and writes \"CONNECT P\\n\"\n"
    "                     to reach guest port P, and reads \"OK <host port>\\n\"\n"
    "                     once the guest accepted.\n"
    "                     Example: --vsock cid=3,uds=/tmp/v.sock\n"
    "  --dump-dtb FILE    write the generated device tree to FILE and exit 0\n"
    "                     without running the guest (does not need /dev/kvm;\n"
    "                     disks are opened, no tap or socket is created)\n"
    "  --log-level LEVEL  error, warn (default), info or debug; on stderr\n"
    "\n"
    "Isolation, once the files, /dev/kvm and the devices are open (docs/SECURITY.md):\n"
    "  --chroot DIR       chroot to DIR (absolute); vsock connections to host\n"
    "                     sockets then resolve inside DIR\n"
    "  --gid N, --uid N   drop supplementary groups, then switch to gid / uid N\n"
    "  --no-seccomp       run without the syscall allow-list (default: on; a\n"
    "                     blocked syscall stops stdvmm with exit status 159 and\n"
    "                     \"stdvmm: seccomp: blocked syscall N (name)\")\n"
    "  -h, --help         this text\n"
    "\n"
    "Console: the guest console is stdin/stdout. If stdin is a terminal it is put\n"
    "in raw mode and restored at exit; Ctrl-C then goes to the guest, and Ctrl-A\n"
    "starts a command: Ctrl-A x quits stdvmm, Ctrl-A a sends Ctrl-A, Ctrl-A h\n"
    "lists the commands. If stdin is not a terminal (a pipe, /dev/null) there are\n"
    "no commands, and the end of stdin only ends input: the guest keeps running.\n"
    "Guest output never stops the VM: if stdout is not read (a stalled pipe, a\n"
    "terminal on hold), up to 64 KiB are queued and the rest is dropped; how many\n"
    "bytes were dropped is reported at exit.\n"
    "\n"
    "Devices get virtio-mmio windows from 0x0a000000 (0x200 apart) and SPIs from\n"
    "16 on, in this order: virtio-console, disks, net, rng, vsock.\n"
    "Example: stdvmm run --kernel Image --initrd initrd.gz --cpus 2 --mem 512M \\\n"
    "           --disk root.img --net tap=tap0 --rng --vsock cid=3,uds=/tmp/v.sock \\\n"
    "           --cmdline \"console=ttyAMA0 root=/dev/vda rw\"\n"
    "\n"
    "Stopping: the run ends when the guest powers off (exit 0). A guest reset is\n"
    "not emulated yet: stdvmm prints a message and exits 0. A guest crash report\n"
    "exits 1. SIGINT, SIGTERM and SIGHUP stop every vCPU, restore the terminal and\n"
    "exit 130, 143 and 129. Ctrl-A x exits 0.\n"
    "\n"
    "Exit status: 0 success, 1 runtime error (missing file, unsupported kernel\n"
    "image, no /dev/kvm, KVM failure, guest crash), 2 usage error.\n";

/* Where log lines go. For a run, stderr reopened so that a stalled reader
 * (a terminal on hold, a full pipe) drops log lines instead of blocking the
 * vCPU thread that logs them (posix_console.h). */
static struct vmm_console_wfd main_log_w = {STDERR_FILENO, VMM_CONSOLE_W_FILE};

/* One write per message so lines from several threads do not interleave. */
static void main_log_sink(enum vmm_log_level level, const char *fmt, va_list ap)
{
    static const char *const prefix[] = {"", "warning: ", "", "debug: "};
    char msg[1024];
    int n = snprintf(msg, sizeof(msg), "stdvmm: %s", prefix[level <= VMM_LOG_DEBUG ? level : 0]);

    if (n < 0)
        return;
    vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
    n = (int)strlen(msg);
    if ((size_t)n < sizeof(msg) - 1)
        msg[n++] = '\n';
    else
        msg[sizeof(msg) - 2] = '\n';
    if (main_log_w.mode == VMM_CONSOLE_W_BLOCKING) {
        struct pollfd pfd = {.fd = main_log_w.fd, .events = POLLOUT};
        if (poll(&pfd, 1, 0) != 1)
            return;
    }
    if (vmm_console_wfd_write(&main_log_w, msg, (size_t)n) < 0)
        return;
}

int main(int argc, char **argv)
{
    struct stdvmm_config cfg;
    char err[256];

    vmm_log_set_sink(main_log_sink, VMM_LOG_WARN);
    if (stdvmm_config_parse(&cfg, argc, argv, err, sizeof(err)) < 0) {
        fprintf(stderr, "stdvmm: %s\n", err);
        return STDVMM_EXIT_USAGE;
    }
    switch (cfg.command) {
    case STDVMM_CMD_HELP:
        fputs(main_help, stdout);
        return STDVMM_EXIT_OK;
    case STDVMM_CMD_RUN_HELP:
        fputs(run_help, stdout);
        return STDVMM_EXIT_OK;
    case STDVMM_CMD_VERSION:
        printf("stdvmm %s\n", STDVMM_VERSION);
        return STDVMM_EXIT_OK;
    case STDVMM_CMD_RUN:
        break;
    }
    vmm_log_set_sink(main_log_sink, cfg.log_level);
    /* A closed stdout must not kill the VMM with the terminal still raw:
     * writes then fail with EPIPE and the console backend drops output. */
    signal(SIGPIPE, SIG_IGN);
    vmm_console_wfd_open(&main_log_w, STDERR_FILENO);
    return stdvmm_run(&cfg);
}
