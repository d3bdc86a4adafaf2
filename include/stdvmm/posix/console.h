/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Console output of the hosted port: guest bytes on their way to stdout.
 *
 * The output queue: a device's write() (a vCPU thread, under the VM lock)
 * only copies bytes into a bounded ring and returns; a dedicated thread
 * writes the ring to the output descriptor. When the reader is slow or
 * stopped (a stalled pipe, a terminal on XOFF) the ring fills and further
 * bytes are dropped and counted: output never blocks a vCPU. The thread
 * writes without blocking: sockets with MSG_DONTWAIT, pipes and terminals
 * through a private non-blocking reopening of /proc/self/fd/N (a new open
 * file description, so O_NONBLOCK does not leak to the other processes
 * sharing the original one), regular files directly.
 *
 * The sanitiser: optional, on the writer thread. Control bytes other than
 * \n, \r and \t, DEL, malformed UTF-8, and UTF-8 C1 and bidi controls become
 * a visible "\xNN" per byte, and a guest line that starts (after \n or \r)
 * with "stdvmm" gets its first byte escaped, so it cannot pass for one of
 * stdvmm's own "stdvmm: ..." log lines.
 */
#ifndef STDVMM_POSIX_CONSOLE_H
#define STDVMM_POSIX_CONSOLE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- sanitiser */

struct vmm_console_sanitizer {
    uint8_t seq[4]; /* a UTF-8 sequence being collected */
    unsigned seq_len;
    unsigned seq_need; /* its total length; 0: none */
    unsigned held;     /* bytes of "stdvmm" matched at the start of a line */
    bool line_start;   /* the next byte starts a line */
};

/* Most bytes vmm_console_sanitize() writes for @len input bytes. */
#define VMM_CONSOLE_SANITIZE_MAX(len) (4 * (size_t)(len) + 32)

/* Start a sanitiser at the beginning of a line. */
void vmm_console_sanitizer_init(struct vmm_console_sanitizer *s);

/* Sanitise @len bytes into @out (room for VMM_CONSOLE_SANITIZE_MAX(@len));
 * returns the bytes written. Sequences may continue in the next call. */
size_t vmm_console_sanitize(struct vmm_console_sanitizer *s, const uint8_t *in, size_t len,
                            uint8_t *out);

/* Emit what is held back (an unfinished UTF-8 sequence, a partial
 * "stdvmm") at the end of output; @out has room for 32 bytes. */
size_t vmm_console_sanitize_end(struct vmm_console_sanitizer *s, uint8_t *out);

/* ---- writing a descriptor shared with other processes without blocking */

enum vmm_console_wmode {
    VMM_CONSOLE_W_FILE,     /* a regular file or block device: plain write() */
    VMM_CONSOLE_W_SOCK,     /* a socket: send(MSG_DONTWAIT) */
    VMM_CONSOLE_W_REOPENED, /* a pipe, FIFO or terminal reopened O_NONBLOCK */
    VMM_CONSOLE_W_BLOCKING, /* could not reopen: poll, then PIPE_BUF pieces */
};

struct vmm_console_wfd {
    int fd; /* the descriptor to write: the original or our reopening */
    enum vmm_console_wmode mode;
};

/* Choose how to write @fd (see the top of this file); never fails. */
void vmm_console_wfd_open(struct vmm_console_wfd *w, int fd);

/* One write of up to @len bytes that does not wait (except in FILE and,
 * after poll said writable, BLOCKING mode); as write(2). */
ssize_t vmm_console_wfd_write(const struct vmm_console_wfd *w, const void *buf, size_t len);

/* Close a reopening (the original descriptor stays open). */
void vmm_console_wfd_close(struct vmm_console_wfd *w);

/* ---- output queue */

#define VMM_CONSOLE_RING (64 * 1024) /* bytes queued before output is dropped */
#define VMM_CONSOLE_CHUNK 1024       /* bytes the thread takes per write */

struct vmm_console_out {
    int fd;                   /* the caller's descriptor (not closed) */
    struct vmm_console_wfd w; /* how the thread writes it */
    bool sanitize;            /* see vmm_console_out_set_sanitize() */
    struct vmm_console_sanitizer san;
    int wake_fd; /* eventfd: data queued or stop */

    pthread_mutex_t mu;  /* protects the ring indices and the flags below */
    pthread_cond_t cv;   /* broadcast when the thread made progress or ended */
    uint64_t head, tail; /* free-running: bytes queued, bytes taken */
    bool failed;         /* a write error: everything is dropped from now on */
    bool running, stop, exited;
    int64_t stop_deadline_ns; /* CLOCK_MONOTONIC: give up writing after this */
    pthread_t thread;

    atomic_ulong dropped;  /* guest bytes refused: ring full or output failed */
    unsigned long written; /* bytes written to wfd (thread only) */
    uint8_t ring[VMM_CONSOLE_RING];
};

/* Allocate a queue for @fd (not written before vmm_console_out_start());
 * NULL if out of memory or eventfd fails. */
struct vmm_console_out *vmm_console_out_new(int fd);

/* Sanitise output (set before start). */
void vmm_console_out_set_sanitize(struct vmm_console_out *o, bool on);

/* Choose the write descriptor and start the thread. 0 or -errno. */
int vmm_console_out_start(struct vmm_console_out *o);

/* Queue @len bytes; never blocks. Returns the bytes taken (the rest is
 * dropped and counted), -VMM_EAGAIN if none fit, -VMM_EIO after a write
 * error. Bytes queued before start are written once it runs. */
long vmm_console_out_write(struct vmm_console_out *o, const uint8_t *buf, size_t len);

/* Wait up to @timeout_ms for the queue to drain; true if it did. */
bool vmm_console_out_flush(struct vmm_console_out *o, int timeout_ms);

/* Guest bytes dropped so far. */
unsigned long vmm_console_out_dropped(struct vmm_console_out *o);

/* Write what is queued for up to @timeout_ms, stop the thread and free @o
 * (NULL is fine); returns the bytes dropped in all. A thread stuck in a
 * blocking write is left behind (with @o) to die with the process. */
unsigned long vmm_console_out_free(struct vmm_console_out *o, int timeout_ms);

#endif
