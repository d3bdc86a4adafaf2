/* SPDX-License-Identifier: BSD-2-Clause */
/* The stdio stream backend: a console device on the process's stdin/stdout. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "stdvmm/err.h"
#include "stdvmm/log.h"
#include "stdvmm/posix/backends.h"

#define STDIO_FLUSH_MS 500 /* at stop: how long queued output may take */
#define STDIO_RETRY_MS 100

/* The terminal is process state, not VM state: one saved mode for the one
 * controlling terminal, restored by vmm_stdio_stop() or at exit. */
static struct termios stdio_saved_mode;
static int stdio_saved_fd = -1;
static bool stdio_atexit_done;

void vmm_stdio_restore_terminal(void)
{
    if (stdio_saved_fd >= 0) {
        tcsetattr(stdio_saved_fd, TCSANOW, &stdio_saved_mode);
        stdio_saved_fd = -1;
    }
}

static int stdio_make_raw(int fd)
{
    struct termios raw;

    if (tcgetattr(fd, &stdio_saved_mode) < 0)
        return -errno;
    raw = stdio_saved_mode;
    /* Like cfmakeraw(), but output processing stays on so the VMM's own
     * messages still start at column 0 (guest "\r\n" is unaffected). */
    raw.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    raw.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    raw.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
    raw.c_cflag |= CS8;
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    stdio_saved_fd = fd;
    if (!stdio_atexit_done) {
        atexit(vmm_stdio_restore_terminal);
        stdio_atexit_done = true;
    }
    if (tcsetattr(fd, TCSANOW, &raw) < 0) {
        int err = errno;
        stdio_saved_fd = -1;
        return -err;
    }
    return 0;
}

size_t vmm_stdio_filter(struct vmm_stdio_escape *esc, const uint8_t *in, size_t len, uint8_t *out,
                        bool *quit, bool *help)
{
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        uint8_t c = in[i];
        if (!esc->armed) {
            if (c == VMM_STDIO_CTRL_A)
                esc->armed = true;
            else
                out[n++] = c;
            continue;
        }
        esc->armed = false;
        switch (c) {
        case 'x':
        case 'X':
            *quit = true;
            break;
        case 'h':
        case 'H':
        case '?':
            *help = true;
            break;
        case 'a':
        case VMM_STDIO_CTRL_A:
            out[n++] = VMM_STDIO_CTRL_A;
            break;
        default: /* not a command: pass both bytes on */
            out[n++] = VMM_STDIO_CTRL_A;
            out[n++] = c;
            break;
        }
    }
    return n;
}

/* A vCPU thread, under the VM lock: queue and return, never wait. */
static long stdio_write(void *ctx, const uint8_t *buf, size_t len)
{
    struct vmm_stdio *s = ctx;

    if (s->out == NULL)
        return -VMM_EIO;
    return vmm_console_out_write(s->out, buf, len);
}

/* The guest has room for input again (lock held): the loop offers it. */
static void stdio_rx_ready(void *ctx)
{
    struct vmm_stdio *s = ctx;

    vmm_loop_wake(&s->src);
}

int vmm_stdio_init(struct vmm_stdio *s, int in_fd, int out_fd)
{
    memset(s, 0, sizeof(*s));
    s->in_fd = in_fd;
    s->out_fd = out_fd;
    s->backend.write = stdio_write;
    s->backend.rx_ready = stdio_rx_ready;
    s->backend.ctx = s;
    atomic_init(&s->src.loop, NULL);
    atomic_init(&s->src.woken, false);
    if (out_fd >= 0) {
        s->out = vmm_console_out_new(out_fd);
        if (s->out == NULL)
            return -VMM_ENOMEM;
    }
    return 0;
}

void vmm_stdio_set_sanitize(struct vmm_stdio *s, bool on)
{
    if (s->out != NULL)
        vmm_console_out_set_sanitize(s->out, on);
}

bool vmm_stdio_flush(struct vmm_stdio *s, int timeout_ms)
{
    return s->out == NULL || vmm_console_out_flush(s->out, timeout_ms);
}

void vmm_stdio_set_input(struct vmm_stdio *s, vmm_stdio_rx_fn rx, void *dev, pthread_mutex_t *lock)
{
    s->rx = rx;
    s->rx_dev = dev;
    s->lock = lock;
}

void vmm_stdio_set_quit(struct vmm_stdio *s, void (*quit)(void *ctx), void *ctx)
{
    s->quit = quit;
    s->quit_ctx = ctx;
}

static void stdio_print_help(void)
{
    static const char help[] = "\r\nC-a x  quit stdvmm\r\nC-a a  send C-a to the guest\r\n"
                               "C-a h  this help\r\n";
    ssize_t n = write(STDERR_FILENO, help, sizeof(help) - 1);
    (void)n;
}

/* Offer the pending bytes to the device. */
static void stdio_deliver(struct vmm_stdio *s)
{
    size_t left = s->pending_len - s->pending_off;
    size_t taken;

    if (left == 0)
        return;
    if (s->lock != NULL)
        pthread_mutex_lock(s->lock);
    taken = s->rx(s->rx_dev, s->pending + s->pending_off, left);
    if (s->lock != NULL)
        pthread_mutex_unlock(s->lock);
    if (taken > left)
        taken = left; /* a device bug must not move us past the buffer */
    s->pending_off += taken;
    if (s->pending_off == s->pending_len)
        s->pending_off = s->pending_len = 0;
}

/* Read what stdin has (only when nothing is pending) and queue it. */
static void stdio_read_input(struct vmm_stdio *s)
{
    uint8_t raw[VMM_STDIO_PENDING / 2]; /* filtering can double the bytes */
    bool quit = false, help = false;
    ssize_t n = read(s->in_fd, raw, sizeof(raw));

    if (n == 0) {
        s->eof = true;
        vmm_dbg("stdio: end of input");
        return;
    }
    if (n < 0) {
        if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
            vmm_warn("console input: %s (input stopped)", strerror(errno));
            s->eof = true;
        }
        return;
    }
    if (s->tty) {
        s->pending_len = vmm_stdio_filter(&s->esc, raw, (size_t)n, s->pending, &quit, &help);
    } else {
        memcpy(s->pending, raw, (size_t)n);
        s->pending_len = (size_t)n;
    }
    s->pending_off = 0;
    if (help)
        stdio_print_help();
    if (quit && s->quit != NULL)
        s->quit(s->quit_ctx);
}

/* Wait for stdin only while nothing read is still waiting for the guest;
 * then look again after STDIO_RETRY_MS at the latest (rx_ready normally
 * comes first). After end of input only what is pending is handed over. */
static unsigned stdio_prepare(struct vmm_loop_source *src, struct pollfd *pfd, unsigned max,
                              int *timeout_ms)
{
    struct vmm_stdio *s = src->ctx;

    if (s->pending_len > s->pending_off) {
        *timeout_ms = STDIO_RETRY_MS;
        return 0;
    }
    if (s->eof || max == 0)
        return 0;
    pfd[0] = (struct pollfd){.fd = s->in_fd, .events = POLLIN};
    return 1;
}

/* Bounded: one read of at most VMM_STDIO_PENDING / 2 bytes, one offer. */
static void stdio_dispatch(struct vmm_loop_source *src, const struct pollfd *pfd, unsigned n,
                           bool woken)
{
    struct vmm_stdio *s = src->ctx;

    (void)woken;
    if (n == 1 && (pfd[0].revents & POLLNVAL)) {
        /* stdin is not an open descriptor: poll would report it at once on
         * every round, so input ends here instead of spinning the loop */
        vmm_warn("console input: standard input is closed (input stopped)");
        s->eof = true;
    } else if (n == 1 && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))) {
        stdio_read_input(s);
    }
    stdio_deliver(s);
}

static const struct vmm_loop_source_ops stdio_source_ops = {
    .prepare = stdio_prepare,
    .dispatch = stdio_dispatch,
};

int vmm_stdio_start(struct vmm_stdio *s, struct vmm_loop *loop)
{
    int ret;

    if (s->out != NULL && !s->out->running) {
        ret = vmm_console_out_start(s->out);
        if (ret < 0)
            return ret;
    }
    if (isatty(s->in_fd)) {
        ret = stdio_make_raw(s->in_fd);
        if (ret < 0) {
            vmm_warn("stdin: cannot enter raw mode: %s", strerror(-ret));
        } else {
            s->tty = true;
        }
    }
    if (s->rx == NULL || loop == NULL)
        return 0;
    ret = vmm_loop_add(loop, &s->src, &stdio_source_ops, s);
    if (ret < 0) {
        vmm_stdio_restore_terminal();
        s->tty = false;
        return ret;
    }
    s->serving = true;
    return 0;
}

void vmm_stdio_stop(struct vmm_stdio *s)
{
    if (s->serving) {
        vmm_loop_remove(&s->src);
        s->serving = false;
    }
    if (s->tty) {
        vmm_stdio_restore_terminal();
        s->tty = false;
    }
    if (s->out != NULL) {
        /* Guest output first, then whatever stdvmm logs about the exit. */
        s->out_dropped = vmm_console_out_free(s->out, STDIO_FLUSH_MS);
        s->out = NULL;
        if (s->out_dropped > 0)
            vmm_warn("console output: %lu bytes of guest output dropped (stdout did not keep "
                     "up or failed)",
                     s->out_dropped);
    }
}
