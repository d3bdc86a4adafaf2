/* SPDX-License-Identifier: BSD-2-Clause */
/* The POSIX backend provider of `stdvmm run` (backends.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "backends.h"
#include "stdvmm/err.h"
#include "stdvmm/log.h"
#include "stdvmm/posix/blk.h"
#include "stdvmm/posix/entropy.h"
#include "stdvmm/posix/net.h"
#include "stdvmm/virtio_net.h"
#include "stdvmm/virtio_vsock.h"

/* One POSIX backend: what a device class of its kind gets on this host. */
struct posix_backend {
    enum vmm_backend_kind kind;
    int (*check)(const char *value, char *err, size_t errlen); /* optional */
    int (*open)(struct stdvmm_backends *b, struct vmm_machine_dev *d);
    int (*start)(struct stdvmm_backends *b, struct vmm_machine_dev *d); /* optional */
    void (*stop)(struct stdvmm_backends *b, struct vmm_machine_dev *d); /* optional */
    void (*close)(struct stdvmm_backends *b, struct vmm_machine_dev *d);
    /* What it asks of the seccomp filter (posix/syscalls.h); may be NULL. */
    const struct vmm_posix_syscalls *syscalls;
};

/* ---------------------------------------------------------------- blk_file */
static int blk_open(struct stdvmm_backends *b, struct vmm_machine_dev *d)
{
    char err[BLK_FILE_PATH_MAX + 128];
    struct blk_file *f = calloc(1, sizeof(*f));
    int ret;

    (void)b;
    if (f == NULL)
        return -VMM_ENOMEM;
    f->fd = -1;
    ret = vmm_blk_file_open(f, d->desc->options, err, sizeof(err));
    if (ret < 0) {
        vmm_err("--disk %s", err);
        free(f);
        return ret;
    }
    d->backend = &f->backend;
    d->backend_state = f;
    vmm_info("--disk %s: %llu sectors%s", d->desc->options,
             (unsigned long long)f->backend.nr_sectors, f->backend.read_only ? ", read-only" : "");
    return 0;
}

static int blk_start(struct stdvmm_backends *b, struct vmm_machine_dev *d)
{
    struct blk_file *f = d->backend_state;
    int ret = vmm_blk_file_start(f, b->lock);

    if (ret < 0)
        vmm_err("--disk %s: cannot start its I/O thread: %s", f->path, vmm_strerror(ret));
    return ret;
}

static void blk_stop(struct stdvmm_backends *b, struct vmm_machine_dev *d)
{
    (void)b;
    vmm_blk_file_stop(d->backend_state);
}

static void blk_close(struct stdvmm_backends *b, struct vmm_machine_dev *d)
{
    struct blk_file *f = d->backend_state;

    (void)b;
    vmm_log(f->errors ? VMM_LOG_WARN : VMM_LOG_INFO,
            "%s: %lu reads, %lu writes, %lu flushes, %lu I/O errors", d->name, f->reads, f->writes,
            f->flushes, f->errors);
    vmm_blk_file_close(f);
    free(f);
}

/* ------------------------------------------------------------------- tap */
static int tap_check(const char *value, char *err, size_t errlen)
{
    struct vmm_tap_opts o;

    return vmm_tap_parse(value, &o, err, errlen);
}

static int placeholder_net_tx(void *ctx, const struct vmm_iov *iov, unsigned nr_iov)
{
    (void)ctx;
    (void)iov;
    (void)nr_iov;
    return -VMM_EIO;
}

static const struct vmm_net_backend placeholder_net = {.tx = placeholder_net_tx};

static int tap_open(struct stdvmm_backends *b, struct vmm_machine_dev *d)
{
    struct vmm_tap_opts o;
    struct vmm_tap *t;
    char err[200];
    int ret;

    if (b->describe_only) {
        d->backend = &placeholder_net;
        return 0;
    }
    if (vmm_tap_parse(d->desc->options, &o, err, sizeof(err)) < 0) {
        vmm_err("%s", err);
        return -VMM_EINVAL;
    }
    t = calloc(1, sizeof(*t));
    if (t == NULL)
        return -VMM_ENOMEM;
    ret = vmm_tap_open(t, &o, err, sizeof(err));
    if (ret < 0) {
        vmm_err("%s", err);
        free(t);
        return ret;
    }
    {
        struct vmm_net_sink sink = vmm_virtio_net_sink(d->state);

        vmm_tap_attach(t, &sink, NULL); /* the lock comes with start */
    }
    d->backend = &t->backend;
    d->backend_state = t;
    return 0;
}

static int tap_start(struct stdvmm_backends *b, struct vmm_machine_dev *d)
{
    struct vmm_tap *t = d->backend_state;
    struct vmm_net_sink sink = vmm_virtio_net_sink(d->state);
    int ret;

    vmm_tap_attach(t, &sink, b->lock);
    ret = vmm_tap_start(t, b->loop);
    if (ret < 0)
        vmm_err("--net: cannot serve the tap: %s", vmm_strerror(ret));
    return ret;
}

static void tap_stop(struct stdvmm_backends *b, struct vmm_machine_dev *d)
{
    (void)b;
    vmm_tap_stop(d->backend_state);
}

static void tap_close(struct stdvmm_backends *b, struct vmm_machine_dev *d)
{
    struct vmm_tap *t = d->backend_state;
    struct vmm_virtio_net_stats s = vmm_virtio_net_stats(d->state);
    /* Host frames dropped before the guest's driver is up are normal (the
     * device warned about the first); lost guest frames are not. */
    bool lost = s.tx_dropped || t->tx_errors || t->read_errors;

    (void)b;
    vmm_log(lost ? VMM_LOG_WARN : VMM_LOG_INFO,
            "%s: tx %lu frames (%lu dropped, %lu retried), rx %lu frames (%lu "
            "dropped, %lu waits for buffers), tap write errors %lu, read errors %lu",
            d->name, s.tx_frames, s.tx_dropped, s.tx_retries, s.rx_frames, s.rx_dropped,
            s.rx_no_room, t->tx_errors, t->read_errors);
    /* Where transmit time goes (docs/PERFORMANCE.md). */
    vmm_info("%s: tx %lu kicks, %lu passes (at most %lu frames), %lu tap writes "
             "taking %llu us (longest %llu us), %lu copied out by the tap thread",
             d->name, s.tx_kicks, s.tx_passes, s.tx_burst_max, t->tx_writes,
             (unsigned long long)(t->tx_write_ns / 1000),
             (unsigned long long)(t->tx_write_max_ns / 1000), t->tx_queued);
    vmm_tap_close(t);
    free(t);
}

/* ------------------------------------------------------------- vsock_uds */
static int uds_check(const char *value, char *err, size_t errlen)
{
    struct vmm_vsock_uds_opts o;

    return vmm_vsock_uds_parse(value, &o, err, errlen);
}

static int placeholder_vsock_connect(void *ctx, unsigned conn, uint32_t port)
{
    (void)ctx;
    (void)conn;
    (void)port;
    return -VMM_EIO;
}

static void placeholder_vsock_conn(void *ctx, unsigned conn)
{
    (void)ctx;
    (void)conn;
}

static long placeholder_vsock_send(void *ctx, unsigned conn, const struct vmm_iov *iov,
                                   unsigned nr_iov)
{
    (void)ctx;
    (void)conn;
    (void)iov;
    (void)nr_iov;
    return -VMM_EIO;
}

static void placeholder_vsock_shutdown(void *ctx, unsigned conn, unsigned flags)
{
    (void)ctx;
    (void)conn;
    (void)flags;
}

static const struct vmm_vsock_backend placeholder_vsock = {
    .buf_alloc = VMM_VSOCK_UDS_BUF,
    .connect = placeholder_vsock_connect,
    .connected = placeholder_vsock_conn,
    .send = placeholder_vsock_send,
    .shutdown = placeholder_vsock_shutdown,
    .closed = placeholder_vsock_conn,
};

static int uds_open(struct stdvmm_backends *b, struct vmm_machine_dev *d)
{
    struct vmm_vsock_uds_opts o;
    struct vmm_vsock_uds *u;
    char err[200];
    int ret;

    if (b->describe_only) {
        d->backend = &placeholder_vsock;
        return 0;
    }
    if (vmm_vsock_uds_parse(d->desc->options, &o, err, sizeof(err)) < 0) {
        vmm_err("%s", err);
        return -VMM_EINVAL;
    }
    u = calloc(1, sizeof(*u));
    if (u == NULL)
        return -VMM_ENOMEM;
    ret = vmm_vsock_uds_open(u, &o, err, sizeof(err));
    if (ret < 0) {
        vmm_err("%s", err);
        free(u);
        return ret;
    }
    {
        struct vmm_vsock_host host = vmm_virtio_vsock_host(d->state);

        vmm_vsock_uds_attach(u, &host, NULL); /* the lock comes with start */
    }
    d->backend = &u->backend;
    d->backend_state = u;
    vmm_info("--vsock: guest CID %llu, host socket %s", (unsigned long long)o.cid, o.path);
    return 0;
}

static int uds_start(struct stdvmm_backends *b, struct vmm_machine_dev *d)
{
    struct vmm_vsock_uds *u = d->backend_state;
    struct vmm_vsock_host host = vmm_virtio_vsock_host(d->state);
    int ret;

    vmm_vsock_uds_attach(u, &host, b->lock);
    ret = vmm_vsock_uds_start(u, b->loop);
    if (ret < 0)
        vmm_err("--vsock: cannot serve the sockets: %s", vmm_strerror(ret));
    return ret;
}

static void uds_stop(struct stdvmm_backends *b, struct vmm_machine_dev *d)
{
    (void)b;
    vmm_vsock_uds_stop(d->backend_state);
}

static void uds_close(struct stdvmm_backends *b, struct vmm_machine_dev *d)
{
    struct vmm_vsock_uds *u = d->backend_state;
    struct vmm_virtio_vsock_stats s = vmm_virtio_vsock_stats(d->state);
    bool lost = s.rst_lost || u->lost_bytes;

    (void)b;
    vmm_log(lost ? VMM_LOG_WARN : VMM_LOG_INFO,
            "%s: %lu/%lu packets to/from the guest, %lu/%lu payload bytes, %lu bad, "
            "%lu resets sent (%lu lost), %lu refused (table full), %lu bytes lost on host sockets",
            d->name, s.rx_pkts, s.tx_pkts, s.rx_bytes, s.tx_bytes, s.bad_pkts, s.rst_sent,
            s.rst_lost, s.table_full, u->lost_bytes);
    vmm_vsock_uds_close(u);
    free(u);
}

/* -------------------------------------------------------- entropy, event */
static int entropy_open(struct stdvmm_backends *b, struct vmm_machine_dev *d)
{
    vmm_posix_entropy_init(&b->entropy);
    d->backend = &b->entropy;
    return 0;
}

/* The guest wrote the boot timer (bench/: at the start of its /init). */
static void boot_timer_signalled(void *ctx)
{
    const struct stdvmm_backends *b = ctx;
    struct timespec now;
    double ms;

    clock_gettime(CLOCK_REALTIME, &now);
    ms = (double)(now.tv_sec - b->started.tv_sec) * 1e3 +
         (double)(now.tv_nsec - b->started.tv_nsec) / 1e6;
    vmm_info("boot-timer: guest signalled at realtime %lld.%06ld, %.3f ms after stdvmm started",
             (long long)now.tv_sec, now.tv_nsec / 1000, ms);
}

static int event_open(struct stdvmm_backends *b, struct vmm_machine_dev *d)
{
    b->boot_timer = (struct vmm_event_backend){.signal = boot_timer_signalled, .ctx = b};
    d->backend = &b->boot_timer;
    return 0;
}

static const struct posix_backend posix_backends[] = {
    {VMM_BACKEND_BLK, NULL, blk_open, blk_start, blk_stop, blk_close, &vmm_blk_file_syscalls},
    {VMM_BACKEND_NET, tap_check, tap_open, tap_start, tap_stop, tap_close, &vmm_tap_syscalls},
    {VMM_BACKEND_VSOCK, uds_check, uds_open, uds_start, uds_stop, uds_close,
     &vmm_vsock_uds_syscalls},
    {VMM_BACKEND_ENTROPY, NULL, entropy_open, NULL, NULL, NULL, &vmm_posix_entropy_syscalls},
    {VMM_BACKEND_EVENT, NULL, event_open, NULL, NULL, NULL, NULL},
};

static const struct posix_backend *posix_backend(enum vmm_backend_kind kind)
{
    for (size_t i = 0; i < sizeof(posix_backends) / sizeof(posix_backends[0]); i++)
        if (posix_backends[i].kind == kind)
            return &posix_backends[i];
    return NULL;
}

/* ---------------------------------------------------------------- provider */
static int provider_open(void *ctx, struct vmm_machine *m, struct vmm_machine_dev *d)
{
    const struct posix_backend *pb = posix_backend(d->cls->backend);

    (void)m;
    if (pb == NULL) {
        vmm_err("--%s: no backend for this device on this host", d->cls->name);
        return -VMM_ENOTSUP;
    }
    return pb->open(ctx, d);
}

static int provider_start(void *ctx, struct vmm_machine_dev *d)
{
    const struct posix_backend *pb = posix_backend(d->cls->backend);

    if (pb == NULL || pb->start == NULL || d->backend_state == NULL)
        return 0;
    return pb->start(ctx, d);
}

static void provider_stop(void *ctx, struct vmm_machine_dev *d)
{
    const struct posix_backend *pb = posix_backend(d->cls->backend);

    if (pb != NULL && pb->stop != NULL && d->backend_state != NULL)
        pb->stop(ctx, d);
}

static void provider_close(void *ctx, struct vmm_machine_dev *d)
{
    const struct posix_backend *pb = posix_backend(d->cls->backend);

    if (pb != NULL && pb->close != NULL && d->backend_state != NULL)
        pb->close(ctx, d);
}

void stdvmm_backends_init(struct stdvmm_backends *b, const struct vmm_stream_backend *console,
                          bool describe_only)
{
    memset(b, 0, sizeof(*b));
    b->describe_only = describe_only;
    clock_gettime(CLOCK_REALTIME, &b->started);
    b->provider = (struct vmm_backend_provider){
        .open = provider_open,
        .start = provider_start,
        .stop = provider_stop,
        .close = provider_close,
        .console = console,
        .ctx = b,
    };
}

size_t stdvmm_backends_syscalls(const struct vmm_machine *m, const struct vmm_posix_syscalls **out,
                                size_t max)
{
    size_t n = 0;

    for (unsigned i = 0; i < m->nr_devs && n < max; i++) {
        const struct posix_backend *pb = posix_backend(m->devs[i].cls->backend);
        if (pb != NULL && pb->syscalls != NULL && m->devs[i].backend != NULL)
            out[n++] = pb->syscalls;
    }
    return n;
}

int stdvmm_backend_check(const struct vmm_device_class *cls, const char *value, char *err,
                         size_t errlen)
{
    const struct posix_backend *pb = posix_backend(cls->backend);

    if (pb == NULL || pb->check == NULL)
        return 0;
    return pb->check(value, err, errlen) < 0 ? -VMM_EINVAL : 0;
}
