/* SPDX-License-Identifier: BSD-2-Clause */
/* `stdvmm run --help`: fixed options, then the device class table. */
#include <stdio.h>
#include <string.h>
#include "config.h"
#include "stdvmm/machine.h"

#define HELP_COLUMN 21 /* where descriptions start */

static const char help_head[] =
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
    "                     terminal\n";

static const char help_tail[] =
    "  --no-reboot        when the guest resets (reboot), exit with status 0\n"
    "                     instead of booting it again\n"
    "  --dump-dtb FILE    write the generated device tree to FILE and exit 0\n"
    "                     without running the guest (does not need /dev/kvm;\n"
    "                     disks are opened, no tap or socket is created)\n"
    "  --log-level LEVEL  error, warn (default), info or debug; on stderr\n"
    "  --api-sock PATH    serve the control API on the UNIX socket PATH (mode\n"
    "                     0600; docs/API.md): info, pause, resume, reboot,\n"
    "                     shutdown (the power button), stop, counters. Use\n"
    "                     'stdvmm ctl PATH COMMAND'. Adds --power-button\n"
    "  --gdb PORT|PATH    a GDB remote stub on 127.0.0.1:PORT or the UNIX\n"
    "                     socket PATH: gdb-multiarch's 'target remote'; the\n"
    "                     guest stops while a debugger is attached\n"
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
    "16 on: the virtio-console first, then the device options in command-line order.\n"
    "Example: stdvmm run --kernel Image --initrd initrd.gz --cpus 2 --mem 512M \\\n"
    "           --disk root.img --net tap=tap0 --rng --vsock cid=3,uds=/tmp/v.sock \\\n"
    "           --cmdline \"console=ttyAMA0 root=/dev/vda rw\"\n"
    "\n"
    "Stopping: the run ends when the guest powers off (exit 0). A guest reset\n"
    "(reboot) boots the guest again in the same process: devices are reset, disks,\n"
    "taps and sockets stay open, the kernel and initrd are loaded again; with\n"
    "--no-reboot stdvmm exits 0 instead. A guest crash report exits 1. SIGINT,\n"
    "SIGTERM and SIGHUP stop every vCPU, restore the terminal and exit 130, 143\n"
    "and 129. Ctrl-A x exits 0.\n"
    "\n"
    "Exit status: 0 success (guest powered off, or reset with --no-reboot),\n"
    "1 runtime error (missing file, unsupported kernel image, no /dev/kvm, KVM\n"
    "failure, guest crash), 2 usage error.\n";

/* One class: "  --NAME ARG" then its help, each line at HELP_COLUMN. */
static void help_class(FILE *out, const struct vmm_device_class *cls)
{
    const char *p = cls->help;
    int n = fprintf(out, "  --%s%s%s", cls->name, cls->arg ? " " : "", cls->arg ? cls->arg : "");

    if (n >= HELP_COLUMN - 1) {
        fputc('\n', out);
        n = 0;
    }
    while (*p != '\0') {
        const char *nl = strchr(p, '\n');
        int len = nl != NULL ? (int)(nl - p) : (int)strlen(p);

        fprintf(out, "%*s%.*s\n", HELP_COLUMN - n, "", len, p);
        n = 0;
        p += len + (nl != NULL ? 1 : 0);
    }
}

void stdvmm_print_run_help(FILE *out)
{
    fputs(help_head, out);
    for (unsigned i = 0; i < vmm_nr_device_classes; i++)
        help_class(out, &vmm_device_classes[i]);
    fputs(help_tail, out);
}
