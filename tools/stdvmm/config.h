/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The stdvmm command line as a plain struct: stdvmm_config_parse() turns
 * argv into a struct stdvmm_config (or a one-line error), and the run code
 * only consumes the struct. Hosted, no KVM: unit-tested on the build host.
 */
#ifndef STDVMM_TOOL_CONFIG_H
#define STDVMM_TOOL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "stdvmm/log.h"
#include "stdvmm/machine.h"

#define STDVMM_MIB (1024ull * 1024)
#define STDVMM_GIB (1024ull * STDVMM_MIB)
#define STDVMM_MEM_DEFAULT (256 * STDVMM_MIB)
#define STDVMM_MEM_MIN (32 * STDVMM_MIB)
#define STDVMM_MEM_MAX (512 * STDVMM_GIB) /* stays below the 40-bit default IPA space */
#define STDVMM_MEM_ALIGN (2 * STDVMM_MIB)

/* Exit codes of the program (also printed by --help). */
#define STDVMM_EXIT_OK 0
#define STDVMM_EXIT_RUNTIME 1 /* KVM, file, image or guest-crash errors */
#define STDVMM_EXIT_USAGE 2   /* bad command line */
/* --console-filter: how guest console output reaches stdout. */
enum stdvmm_console_filter {
    STDVMM_CONSOLE_FILTER_AUTO,     /* sanitize unless stdout is a terminal */
    STDVMM_CONSOLE_FILTER_RAW,      /* every byte as the guest wrote it */
    STDVMM_CONSOLE_FILTER_SANITIZE, /* control bytes escaped (posix/console.h) */
};

/* The guest asked for a reset and --no-reboot was given: stdvmm exits with
 * this status instead of booting the guest again. */
#define STDVMM_EXIT_REBOOT 0

enum stdvmm_command {
    STDVMM_CMD_RUN,
    STDVMM_CMD_HELP,     /* stdvmm --help */
    STDVMM_CMD_RUN_HELP, /* stdvmm run --help */
    STDVMM_CMD_VERSION,  /* stdvmm --version */
    STDVMM_CMD_CTL,      /* stdvmm ctl ...: the API client (ctl.c parses the rest) */
};

enum stdvmm_console {
    STDVMM_CONSOLE_SERIAL, /* PL011, ttyAMA0 */
    STDVMM_CONSOLE_VIRTIO, /* virtio-console, hvc0 (the PL011 stays for earlycon) */
};

struct stdvmm_config {
    enum stdvmm_command command;
    const char *kernel;   /* required for run */
    const char *initrd;   /* NULL: none */
    const char *cmdline;  /* NULL: stdvmm_default_cmdline(console) */
    const char *dump_dtb; /* NULL: run the guest */
    unsigned cpus;
    uint64_t mem; /* bytes */
    enum stdvmm_console console;
    enum stdvmm_console_filter console_filter;
    enum vmm_log_level log_level;
    bool no_reboot;       /* --no-reboot: exit when the guest resets */
    const char *gdb;      /* --gdb PORT|PATH: the GDB stub; NULL: none */
    const char *api_sock; /* --api-sock PATH: the control API (docs/API.md); NULL: none */
    /* Device options (--disk, --net, ... from the device class table), in
     * command-line order: {class, name, backend, options} of the machine
     * description. */
    struct vmm_machine_device_desc devices[VMM_MACHINE_MAX_DEVICES];
    unsigned nr_devices;
    /* Isolation after set-up (isolate.h, docs/SECURITY.md). */
    bool no_seccomp;        /* --no-seccomp: run without the syscall filter */
    const char *chroot_dir; /* --chroot DIR; NULL: none */
    bool set_uid, set_gid;  /* --uid N / --gid N given */
    uint32_t uid, gid;
};

/* Defaults: 1 CPU, 256 MiB, serial console, log level warn. */
void stdvmm_config_defaults(struct stdvmm_config *cfg);

/*
 * Parse argv (argv[0] is the program). Returns 0 with @cfg filled, or
 * -VMM_EINVAL with a one-line reason (no "stdvmm: " prefix) in @err.
 */
int stdvmm_config_parse(struct stdvmm_config *cfg, int argc, char *const argv[], char *err,
                        size_t errlen);

/* Parse a size "<n>[K|M|G|T]" (binary units, case-insensitive; no suffix
 * means MiB, as QEMU's -m). -VMM_EINVAL if malformed, -VMM_ERANGE if it
 * overflows 64 bits. */
int stdvmm_parse_size(const char *s, uint64_t *out);

/* Kernel command line used when --cmdline is not given. */
const char *stdvmm_default_cmdline(enum stdvmm_console console);

/* The cmdline the guest gets for @cfg. */
const char *stdvmm_config_cmdline(const struct stdvmm_config *cfg);

/* How many devices of class @cls the command line asks for. */
unsigned stdvmm_config_count(const struct stdvmm_config *cfg, const char *cls);

/* `stdvmm run --help`: the fixed options, then one entry per device class
 * of the table, generated (help.c). */
void stdvmm_print_run_help(FILE *out);

#endif
