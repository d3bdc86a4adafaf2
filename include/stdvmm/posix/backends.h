/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Hosted (POSIX/Linux) backends. For now: the stdio stream backend, which
 * connects a console device (PL011, virtio-console) to the process's
 * stdin/stdout.
 *
 * Output: the device's writes are queued for a writer thread that writes
 * @out_fd (posix/console.h): a vCPU never waits for the reader; when the
 * 64 KiB queue is full bytes are dropped, counted, and reported by
 * vmm_stdio_stop(), which first gives queued output half a second.
 * Input: a source of the posix event loop (posix/loop.h) reads @in_fd and
 * pushes bytes into the device's rx function under the caller's device
 * lock; bytes the guest had no room for are kept and offered again when
 * the device calls rx_ready (or after 100 ms at the latest). If @in_fd is a terminal it is put in
 * raw mode (output processing kept) and restored by vmm_stdio_stop() and at exit; then Ctrl-A
 * starts a command: Ctrl-A x quits, Ctrl-A a (or Ctrl-A Ctrl-A) sends one Ctrl-A, Ctrl-A h prints
 * the commands. Without a terminal there are no commands, and end of input just stops input: the
 * guest keeps running.
 */
#ifndef STDVMM_POSIX_BACKENDS_H
#define STDVMM_POSIX_BACKENDS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "stdvmm/backend.h"
#include "stdvmm/posix/console.h"
#include "stdvmm/posix/loop.h"

/* A console device's input function (e.g. a wrapper of vmm_pl011_rx()): offer
 * @len bytes, return how many the guest took. Called with the lock held. */
typedef size_t (*vmm_stdio_rx_fn)(void *dev, const uint8_t *buf, size_t len);

#define VMM_STDIO_CTRL_A 0x01
#define VMM_STDIO_PENDING 256

/* Ctrl-A command decoder state (terminal mode only). */
struct vmm_stdio_escape {
    bool armed; /* the previous byte was Ctrl-A */
};

struct vmm_stdio {
    struct vmm_stream_backend backend; /* give &stdio->backend to the device */
    int in_fd, out_fd;
    bool tty; /* in_fd is a terminal in raw mode */

    vmm_stdio_rx_fn rx; /* input target; NULL: input is not read */
    void *rx_dev;
    pthread_mutex_t *lock;   /* the VM's device lock */
    void (*quit)(void *ctx); /* Ctrl-A x */
    void *quit_ctx;

    struct vmm_loop_source src; /* input, on the event loop */
    bool serving;
    bool eof;
    struct vmm_stdio_escape esc;
    uint8_t pending[VMM_STDIO_PENDING]; /* bytes read but not yet taken */
    size_t pending_off, pending_len;
    struct vmm_console_out *out; /* NULL: no output (out_fd < 0) */
    unsigned long out_dropped;   /* set by vmm_stdio_stop() */
};

/* Prepare @s for @in_fd/@out_fd (usually 0 and 1) and fill s->backend.
 * Nothing is read and the terminal is untouched until vmm_stdio_start(). */
int vmm_stdio_init(struct vmm_stdio *s, int in_fd, int out_fd);

/* Sanitise guest output (posix/console.h); call before vmm_stdio_start(). */
void vmm_stdio_set_sanitize(struct vmm_stdio *s, bool on);

/* Wait up to @timeout_ms until queued output is written; true if it was. */
bool vmm_stdio_flush(struct vmm_stdio *s, int timeout_ms);

/* Send input to @rx(@dev, ...) called under @lock (which may be NULL). */
void vmm_stdio_set_input(struct vmm_stdio *s, vmm_stdio_rx_fn rx, void *dev, pthread_mutex_t *lock);

/* Call @quit(@ctx) when the user types Ctrl-A x (terminal mode only). */
void vmm_stdio_set_quit(struct vmm_stdio *s, void (*quit)(void *ctx), void *ctx);

/* Start the output thread, put a terminal in raw mode and serve input from
 * @loop (if an input target was set and @loop is not NULL). Returns 0 or
 * a negative VMM_E* code. Not with the device lock held. */
int vmm_stdio_start(struct vmm_stdio *s, struct vmm_loop *loop);

/* Take input out of the loop, restore the terminal, write queued output
 * (for up to 0.5 s) and report dropped output. Not with the device lock held. */
void vmm_stdio_stop(struct vmm_stdio *s);

/* Restore a terminal vmm_stdio_start() changed; idempotent, for exit paths. */
void vmm_stdio_restore_terminal(void);

/*
 * Decode Ctrl-A commands in @in (terminal mode): bytes for the guest go to
 * @out (room for 2 * @len bytes), *@quit is set on Ctrl-A x, *@help on
 * Ctrl-A h. Returns the number of bytes written to @out. Exposed for tests.
 */
size_t vmm_stdio_filter(struct vmm_stdio_escape *esc, const uint8_t *in, size_t len, uint8_t *out,
                        bool *quit, bool *help);

#endif
