/* SPDX-License-Identifier: BSD-2-Clause */
/* The stdvmm program: parse the command line, log to stderr, dispatch. */
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "config.h"
#include "ctl.h"
#include "run.h"
#include "stdvmm/log.h"
#include "stdvmm/posix/console.h"

#ifndef STDVMM_VERSION
#define STDVMM_VERSION "unknown"
#endif

static const char main_help[] =
    "Usage: stdvmm run --kernel IMAGE [options]   boot a Linux arm64 guest on KVM\n"
    "       stdvmm run --help                     the run options\n"
    "       stdvmm ctl PATH COMMAND [--json]      control a VM run with --api-sock PATH\n"
    "       stdvmm --help | --version\n"
    "\n"
    "stdvmm is a small virtual machine monitor: one process runs one VM on this\n"
    "arm64 host's KVM (/dev/kvm), with an in-kernel GICv3, PSCI, a PL011 serial\n"
    "port and virtio-mmio devices.\n"
    "\n"
    "Exit status: 0 the guest powered off (or reset with --no-reboot, or Ctrl-A x);\n"
    "1 runtime error (file, kernel image, /dev/kvm, KVM) or guest crash;\n"
    "2 usage error; 130/143/129 stopped by SIGINT/SIGTERM/SIGHUP.\n";

/* Where log lines go. For a run, stderr reopened so that a stalled reader
 * (a terminal on hold, a full pipe) drops log lines instead of blocking the
 * vCPU thread that logs them (posix/console.h). */
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
        stdvmm_print_run_help(stdout);
        return STDVMM_EXIT_OK;
    case STDVMM_CMD_VERSION:
        printf("stdvmm %s\n", STDVMM_VERSION);
        return STDVMM_EXIT_OK;
    case STDVMM_CMD_CTL:
        signal(SIGPIPE, SIG_IGN);
        return stdvmm_ctl(argc, argv);
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
