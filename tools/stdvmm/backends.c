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
#include "stdvmm/posix/vhost_user.h"
#include "stdvmm/vhost_dev.h"
#include "stdvmm/virtio.h"
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
            "%s: %lu reads (%lu from the page cache on the vCPU), %lu writes, %lu flushes, %lu I/O "
            "errors, I/O thread woken %lu times",
            d->name, f->reads, f->inline_reads, f->writes, f->flushes, f->errors,
            f->worker_wakeups);
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

/* ------------------------------------------------------------ vhost-user */
static int vhost_check(const char *value, char *err, size_t errlen)
{
    struct vmm_vhost_user_opts o;

    return vmm_vhost_user_parse(value, strstr(value, "tag=") != NULL, &o, err, errlen);
}

static int placeholder_vhost_start(void *ctx, uint64_t features, const struct vmm_vhost_ring *r,
                                   const bool *ready, unsigned nr)
{
    (void)ctx;
    (void)features;
    (void)r;
    (void)ready;
    (void)nr;
    return -VMM_EIO;
}

static void placeholder_vhost_ctx(void *ctx)
{
    (void)ctx;
}

static void placeholder_vhost_kick(void *ctx, unsigned q)
{
    (void)ctx;
    (void)q;
}

/* --dump-dtb: the device tree needs no backend. */
static const struct vmm_vhost_backend placeholder_vhost = {
    .features = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX) |
                VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC),
    .max_queues = VHOST_USER_MAX_QUEUES,
    .start = placeholder_vhost_start,
    .stop = placeholder_vhost_ctx,
    .kick = placeholder_vhost_kick,
};

/* virtio-blk's configuration space up to the write-zeroes fields (5.2.4). */
#define VHOST_BLK_CONFIG_SIZE 60u

static int vhost_mem(const struct stdvmm_backends *b, struct vmm_vhost_mem *mem)
{
    memset(mem, 0, sizeof(*mem));
    for (unsigned i = 0; b->kvm != NULL && i < b->kvm->nr_ram && i < VHOST_USER_MAX_REGIONS; i++) {
        const struct vmm_kvm_ram *r = &b->kvm->ram[i];

        if (r->fd < 0)
            return -VMM_EINVAL;
        mem->region[mem->nr] = (struct vmm_vhost_region){
            .gpa = r->gpa, .size = r->size, .uaddr = (uint64_t)(uintptr_t)r->hva};
        mem->fd[mem->nr++] = r->fd;
    }
    return mem->nr > 0 ? 0 : -VMM_EINVAL;
}

static int vhost_open(struct stdvmm_backends *b, struct vmm_machine_dev *d)
{
    bool fs = strcmp(d->cls->name, "fs") == 0;
    struct vmm_vhost_user_opts o;
    struct vmm_vhost_mem mem;
    struct vmm_vhost_user *u;
    char err[300];
    int ret;

    if (vmm_vhost_user_parse(d->desc->options, fs, &o, err, sizeof(err)) < 0) {
        vmm_err("--%s %s", d->cls->name, err);
        return -VMM_EINVAL;
    }
    if (b->describe_only) {
        d->backend = &placeholder_vhost;
        return 0;
    }
    if (vhost_mem(b, &mem) < 0) {
        vmm_err("--%s: guest RAM is not shareable (no memfd)", d->cls->name);
        return -VMM_EINVAL;
    }
    u = calloc(1, sizeof(*u));
    if (u == NULL)
        return -VMM_ENOMEM;
    ret = vmm_vhost_user_open(u, d->name, &o, fs ? 2 : 1, fs ? 0 : VHOST_BLK_CONFIG_SIZE, err,
                              sizeof(err));
    if (ret < 0) {
        vmm_err("--%s %s", d->cls->name, err);
        vmm_vhost_user_close(u);
        free(u);
        return ret;
    }
    vmm_vhost_user_set_mem(u, &mem);
    {
        struct vmm_vhost_sink sink = vmm_vhost_dev_sink(d->state);

        vmm_vhost_user_attach(u, &sink, NULL); /* the lock comes with start */
    }
    d->backend = &u->backend;
    d->backend_state = u;
    vmm_info("--%s: vhost-user backend %s: features 0x%llx, protocol features 0x%llx", d->cls->name,
             o.path, (unsigned long long)u->backend.features,
             (unsigned long long)u->protocol_features);
    return 0;
}

static int vhost_start(struct stdvmm_backends *b, struct vmm_machine_dev *d)
{
    struct vmm_vhost_user *u = d->backend_state;
    struct vmm_vhost_sink sink = vmm_vhost_dev_sink(d->state);
    int ret;

    vmm_vhost_user_attach(u, &sink, b->lock);
    ret = vmm_vhost_user_wire(u, &b->wiring, d->base + VIRTIO_MMIO_QUEUE_NOTIFY, d->irq);
    if (ret == 0)
        ret = vmm_vhost_user_start(u, b->loop);
    if (ret < 0)
        vmm_err("--%s: cannot serve the vhost-user backend: %s", d->cls->name, vmm_strerror(ret));
    return ret;
}

static void vhost_stop(struct stdvmm_backends *b, struct vmm_machine_dev *d)
{
    (void)b;
    vmm_vhost_user_stop(d->backend_state);
}

static void vhost_close(struct stdvmm_backends *b, struct vmm_machine_dev *d)
{
    struct vmm_vhost_user *u = d->backend_state;
    const struct vhost_dev *vd = d->state;

    (void)b;
    vmm_log(u->dead ? VMM_LOG_WARN : VMM_LOG_INFO,
            "%s: vhost-user %s: %lu messages, %lu starts, %lu kicks through stdvmm, %lu device "
            "failures%s",
            d->name, u->path, u->messages, u->starts, u->trapped_kicks, vd->failures,
            u->dead ? ", backend gone" : "");
    vmm_vhost_user_close(u);
    free(u);
}

static const struct posix_backend posix_backends[] = {
    {VMM_BACKEND_BLK, NULL, blk_open, blk_start, blk_stop, blk_close, &vmm_blk_file_syscalls},
    {VMM_BACKEND_NET, tap_check, tap_open, tap_start, tap_stop, tap_close, &vmm_tap_syscalls},
    {VMM_BACKEND_VSOCK, uds_check, uds_open, uds_start, uds_stop, uds_close,
     &vmm_vsock_uds_syscalls},
    {VMM_BACKEND_ENTROPY, NULL, entropy_open, NULL, NULL, NULL, &vmm_posix_entropy_syscalls},
    {VMM_BACKEND_EVENT, NULL, event_open, NULL, NULL, NULL, NULL},
    {VMM_BACKEND_VHOST, vhost_check, vhost_open, vhost_start, vhost_stop, vhost_close,
     &vmm_vhost_user_syscalls},
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

bool stdvmm_backends_need_shared_ram(const struct vmm_machine_desc *desc)
{
    for (unsigned i = 0; i < desc->nr_devices; i++) {
        const struct vmm_device_class *cls = vmm_device_class_find(desc->devices[i].cls);

        if (cls != NULL && cls->backend == VMM_BACKEND_VHOST)
            return true;
    }
    return false;
}

int stdvmm_backend_check(const struct vmm_device_class *cls, const char *value, char *err,
                         size_t errlen)
{
    const struct posix_backend *pb = posix_backend(cls->backend);

    if (pb == NULL || pb->check == NULL)
        return 0;
    return pb->check(value, err, errlen) < 0 ? -VMM_EINVAL : 0;
}
