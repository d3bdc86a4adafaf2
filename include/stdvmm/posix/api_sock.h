/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The control API's transport on POSIX hosts (docs/API.md): a UNIX stream
 * socket, created mode 0600, served as one source of the event loop
 * (loop.h). Each client sends request lines; each complete line is parsed
 * (stdvmm/api.h) and handed to the host's handler on the loop thread, and
 * its one-line reply is written back without ever blocking the loop.
 *
 * Limits, so no client can disturb the VM or the loop: at most
 * VMM_API_SOCK_MAX_CLIENTS at once (the next one gets a "busy" reply and is
 * closed); a request line over VMM_API_MAX_REQUEST bytes gets "too-long"
 * and the connection is closed; a client that has not sent a whole
 * request, or not read its reply, VMM_API_SOCK_IDLE_MS after it connected
 * or got its last reply is closed (idle or slow); at most
 * VMM_API_SOCK_BATCH requests per client per loop round.
 */
#ifndef STDVMM_POSIX_API_SOCK_H
#define STDVMM_POSIX_API_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "stdvmm/api.h"
#include "stdvmm/log.h"
#include "stdvmm/posix/loop.h"
#include "stdvmm/posix/syscalls.h"

#define VMM_API_SOCK_MAX_CLIENTS 4
#define VMM_API_SOCK_IDLE_MS 5000
#define VMM_API_SOCK_BATCH 8
#define VMM_API_SOCK_REPLY_MAX 8192 /* bytes of one reply line */
#define VMM_API_SOCK_PATH_MAX 108   /* sizeof(sun_path) */

/* The host's handling of one request: write the reply object into @out
 * (vmm_json_*). Loop thread, loop mutex held, no device lock held; it may
 * take the device lock briefly. */
typedef void (*vmm_api_handler)(void *ctx, const struct vmm_api_request *req, struct vmm_json *out);

/* Optional: called every loop round (and at least every returned ms when
 * >= 0) for the host's own deadlines (the shutdown timeout). */
typedef int (*vmm_api_tick)(void *ctx);

struct vmm_api_client {
    int fd; /* -1: free */
    char in[VMM_API_MAX_REQUEST + 1];
    size_t in_len;
    char out[VMM_API_SOCK_REPLY_MAX];
    size_t out_len, out_off;
    uint64_t since_ns; /* when it connected or its last reply was written */
    bool close_after;  /* close once the reply is written */
};

struct vmm_api_sock {
    int listen_fd;
    char path[VMM_API_SOCK_PATH_MAX];
    vmm_api_handler handler;
    vmm_api_tick tick;
    void *ctx;
    struct vmm_api_client clients[VMM_API_SOCK_MAX_CLIENTS];
    struct vmm_loop_source src;
    bool started;
    unsigned idle_ms; /* VMM_API_SOCK_IDLE_MS; tests may shorten it */
    unsigned long requests, bad_requests, refused, timed_out;
    struct vmm_ratelimit rl_bad;
};

/*
 * Create the socket at @path (mode 0600) and listen. An existing @path is
 * refused (-VMM_EEXIST) unless it is a socket nobody listens on (a stale
 * one from an earlier run), which is replaced. Errors are logged naming
 * --api-sock.
 */
int vmm_api_sock_open(struct vmm_api_sock *s, const char *path, vmm_api_handler handler,
                      vmm_api_tick tick, void *ctx);

/* Serve it from @loop (0 or a negative VMM_E* code). */
int vmm_api_sock_start(struct vmm_api_sock *s, struct vmm_loop *loop);

/* Leave the loop (idempotent); not from the handler. */
void vmm_api_sock_stop(struct vmm_api_sock *s);

/* Close every client and the listening socket. The socket file stays
 * (the seccomp filter refuses unlink; the next open replaces it). */
void vmm_api_sock_close(struct vmm_api_sock *s);

/* System calls it makes once set-up is over (accept4). */
extern const struct vmm_posix_syscalls vmm_api_sock_syscalls;

#endif
