/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The console path on seL4 without sDDF: the guest's PL011 and
 * virtio-console output go to the kernel's debug console (seL4_DebugPutChar,
 * via the runtime's sel4_rt_puts; debug kernels only), a line at a time, prefixed
 * "<vm>| ". The same path carries the VMM's own log lines ("stdvmm[<vm>]:
 * ..."). The debug console is output-only. With an sDDF serial client
 * (ports/sel4/sddf) the console's hooks take over both output and the log.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include "sel4_rt.h"
#include "sel4_fmt.h"
#include "sel4_priv.h"
#include "stdvmm/log.h"

static const char *log_name = "vmm";
static struct sel4_console *log_con;

static void console_flush(struct sel4_console *con)
{
    con->line[con->len] = '\0';
    sel4_rt_puts(con->prefix);
    sel4_rt_puts("| ");
    sel4_rt_puts(con->line);
    sel4_rt_puts("\n");
    con->len = 0;
}

static long console_write(void *ctx, const uint8_t *buf, size_t len)
{
    struct sel4_console *con = ctx;

    for (size_t i = 0; i < len; i++) {
        char c = (char)buf[i];

        if (c == '\r')
            continue;
        if (c == '\n') {
            console_flush(con);
            continue;
        }
        con->line[con->len++] = c;
        if (con->len == sizeof(con->line) - 1)
            console_flush(con);
    }
    return (long)len;
}

void sel4_console_init(struct sel4_console *con, const char *prefix)
{
    *con = (struct sel4_console){0};
    con->backend = (struct vmm_stream_backend){.write = console_write, .ctx = con};
    con->prefix = prefix;
}

static void log_sink(enum vmm_log_level level, const char *fmt, va_list ap)
{
    static const char *const tags[] = {"error: ", "warning: ", "", "debug: "};
    char msg[256];
    size_t n;

    n = sel4_snprintf(msg, sizeof(msg), "stdvmm[%s]: %s", log_name,
                      (unsigned)level < 4 ? tags[level] : "");
    n += sel4_vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
    if (n >= sizeof(msg))
        n = sizeof(msg) - 1;
    if (log_con != NULL && log_con->log_line != NULL) {
        log_con->log_line(log_con, msg, n);
        log_con->flush(log_con);
        return;
    }
    sel4_rt_puts(msg);
    sel4_rt_puts("\n");
}

void sel4_log_set_console(struct sel4_console *con)
{
    log_con = con;
}

void sel4_log_init(const char *name)
{
    log_name = name;
    vmm_log_set_sink(log_sink, VMM_LOG_INFO);
}
