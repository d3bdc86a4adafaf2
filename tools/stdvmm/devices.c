/* SPDX-License-Identifier: BSD-2-Clause */
/* The virtio devices of `stdvmm run`: disks, network, entropy, vsock (see devices.h). */
#include <stdio.h>
#include <string.h>
#include "devices.h"
#include "stdvmm/err.h"
#include "stdvmm/log.h"
#include "stdvmm/posix_entropy.h"

/* Take the next virtio slot for @name: its window and line. */
static int devices_slot(const struct vmm_arm64_layout *layout, unsigned *slot, const char *name,
                        uint64_t *base, unsigned *irq)
{
    int ret = vmm_arm64_virtio_slot(layout, (*slot)++, base, irq);

    if (ret < 0)
        vmm_err("%s: no virtio-mmio slot left (%s)", name, vmm_strerror(ret));
    return ret;
}

static int devices_add_one(struct vmm_vm *vm, struct vmm_device *dev, const char *opt, int ret)
{
    if (ret == 0)
        ret = vmm_vm_add_device(vm, dev);
    if (ret < 0)
        vmm_err("%s: cannot add the device: %s", opt, vmm_strerror(ret));
    return ret;
}

static int devices_add_disks(struct stdvmm_devices *d, struct vmm_vm *vm,
                             const struct vmm_arm64_layout *layout, unsigned *slot,
                             const struct stdvmm_config *cfg)
{
    char err[BLK_FILE_PATH_MAX + 128];

    for (unsigned i = 0; i < cfg->nr_disks; i++) {
        struct blk_file *f = &d->disk_files[i];
        uint64_t base;
        unsigned irq;
        int ret;

        ret = blk_file_open(f, cfg->disks[i].spec, err, sizeof(err));
        if (ret < 0) {
            vmm_err("--disk %s", err);
            return ret;
        }
        d->nr_disks = i + 1;
        snprintf(d->blk_names[i], sizeof(d->blk_names[i]), "virtio-blk%u", i);
        ret = devices_slot(layout, slot, d->blk_names[i], &base, &irq);
        if (ret < 0)
            return ret;
        ret = virtio_blk_init(&d->blk[i], vm, d->blk_names[i], base, irq, &f->backend, NULL);
        ret = devices_add_one(vm, virtio_blk_device(&d->blk[i]), "--disk", ret);
        if (ret < 0)
            return ret;
        vmm_info("--disk %s: %llu sectors%s, %s at 0x%llx, SPI %u", cfg->disks[i].spec,
                 (unsigned long long)f->backend.nr_sectors,
                 f->backend.read_only ? ", read-only" : "", d->blk_names[i],
                 (unsigned long long)base, irq);
    }
    return 0;
}

static int placeholder_net_tx(void *ctx, const struct vmm_iov *iov, unsigned nr_iov)
{
    (void)ctx;
    (void)iov;
    (void)nr_iov;
    return -VMM_EIO;
}

static int devices_add_net(struct stdvmm_devices *d, struct vmm_vm *vm,
                           const struct vmm_arm64_layout *layout, unsigned *slot,
                           const struct stdvmm_config *cfg, bool describe_only)
{
    const struct vmm_net_backend *be = &d->net_placeholder;
    const uint8_t *mac = cfg->net_opts.mac;
    char err[160];
    uint64_t base;
    unsigned irq;
    int ret;

    d->net_placeholder = (struct vmm_net_backend){.tx = placeholder_net_tx};
    if (!describe_only) {
        ret = vmm_tap_open(&d->tap, &cfg->net_opts, err, sizeof(err));
        if (ret < 0) {
            vmm_err("%s", err);
            return ret;
        }
        d->tap_open = true;
        be = &d->tap.backend;
        mac = d->tap.mac;
    }
    ret = devices_slot(layout, slot, "virtio-net0", &base, &irq);
    if (ret < 0)
        return ret;
    ret = virtio_net_init(&d->net, vm, "virtio-net0", base, irq, mac, 0, be);
    ret = devices_add_one(vm, virtio_net_device(&d->net), "--net", ret);
    if (ret < 0)
        return ret;
    if (d->tap_open) {
        struct vmm_net_sink sink = virtio_net_sink(&d->net);

        vmm_tap_attach(&d->tap, &sink, NULL); /* the lock comes with start */
    }
    vmm_info(
        "--net: tap %s, guest MAC %02x:%02x:%02x:%02x:%02x:%02x, virtio-net0 at 0x%llx, SPI %u",
        cfg->net_opts.ifname, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
        (unsigned long long)base, irq);
    return 0;
}

static int devices_add_rng(struct stdvmm_devices *d, struct vmm_vm *vm,
                           const struct vmm_arm64_layout *layout, unsigned *slot)
{
    uint64_t base;
    unsigned irq;
    int ret;

    posix_entropy_init(&d->entropy);
    ret = devices_slot(layout, slot, "virtio-rng0", &base, &irq);
    if (ret < 0)
        return ret;
    ret = virtio_rng_init(&d->rng, vm, "virtio-rng0", base, irq, &d->entropy);
    ret = devices_add_one(vm, virtio_rng_device(&d->rng), "--rng", ret);
    if (ret == 0)
        vmm_info("--rng: getrandom(2), virtio-rng0 at 0x%llx, SPI %u", (unsigned long long)base,
                 irq);
    return ret;
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

static int devices_add_vsock(struct stdvmm_devices *d, struct vmm_vm *vm,
                             const struct vmm_arm64_layout *layout, unsigned *slot,
                             const struct stdvmm_config *cfg, bool describe_only)
{
    const struct vmm_vsock_backend *be = &d->vsock_placeholder;
    char err[200];
    uint64_t base;
    unsigned irq;
    int ret;

    d->vsock_placeholder = (struct vmm_vsock_backend){
        .buf_alloc = VMM_VSOCK_UDS_BUF,
        .connect = placeholder_vsock_connect,
        .connected = placeholder_vsock_conn,
        .send = placeholder_vsock_send,
        .shutdown = placeholder_vsock_shutdown,
        .closed = placeholder_vsock_conn,
    };
    if (!describe_only) {
        ret = vmm_vsock_uds_open(&d->uds, &cfg->vsock_opts, err, sizeof(err));
        if (ret < 0) {
            vmm_err("%s", err);
            return ret;
        }
        d->uds_open = true;
        be = &d->uds.backend;
    }
    ret = devices_slot(layout, slot, "virtio-vsock0", &base, &irq);
    if (ret < 0)
        return ret;
    ret = virtio_vsock_init(&d->vsock, vm, "virtio-vsock0", base, irq, cfg->vsock_opts.cid, be);
    ret = devices_add_one(vm, virtio_vsock_device(&d->vsock), "--vsock", ret);
    if (ret < 0)
        return ret;
    if (d->uds_open) {
        struct vmm_vsock_host host = virtio_vsock_host(&d->vsock);

        vmm_vsock_uds_attach(&d->uds, &host, NULL); /* the lock comes with start */
    }
    vmm_info("--vsock: guest CID %llu, host socket %s, virtio-vsock0 at 0x%llx, SPI %u",
             (unsigned long long)cfg->vsock_opts.cid, cfg->vsock_opts.path,
             (unsigned long long)base, irq);
    return 0;
}

int stdvmm_devices_add(struct stdvmm_devices *d, struct vmm_vm *vm,
                       const struct vmm_arm64_layout *layout, unsigned first_slot,
                       const struct stdvmm_config *cfg, bool describe_only)
{
    unsigned slot = first_slot;
    int ret = devices_add_disks(d, vm, layout, &slot, cfg);

    if (ret == 0 && cfg->net)
        ret = devices_add_net(d, vm, layout, &slot, cfg, describe_only);
    if (ret == 0 && cfg->rng)
        ret = devices_add_rng(d, vm, layout, &slot);
    if (ret == 0 && cfg->vsock)
        ret = devices_add_vsock(d, vm, layout, &slot, cfg, describe_only);
    return ret;
}

int stdvmm_devices_start(struct stdvmm_devices *d, struct vmm_loop *loop, pthread_mutex_t *lock)
{
    int ret;

    for (unsigned i = 0; i < d->nr_disks; i++) {
        ret = blk_file_start(&d->disk_files[i], lock);
        if (ret < 0) {
            vmm_err("--disk %s: cannot start its I/O thread: %s", d->disk_files[i].path,
                    vmm_strerror(ret));
            return ret;
        }
    }
    if (d->tap_open) {
        struct vmm_net_sink sink = virtio_net_sink(&d->net);

        vmm_tap_attach(&d->tap, &sink, lock);
        ret = vmm_tap_start(&d->tap, loop);
        if (ret < 0) {
            vmm_err("--net: cannot serve the tap: %s", vmm_strerror(ret));
            return ret;
        }
    }
    if (d->uds_open) {
        struct vmm_vsock_host host = virtio_vsock_host(&d->vsock);

        vmm_vsock_uds_attach(&d->uds, &host, lock);
        ret = vmm_vsock_uds_start(&d->uds, loop);
        if (ret < 0) {
            vmm_err("--vsock: cannot serve the sockets: %s", vmm_strerror(ret));
            return ret;
        }
    }
    return 0;
}

void stdvmm_devices_stop(struct stdvmm_devices *d)
{
    for (unsigned i = 0; i < d->nr_disks; i++)
        blk_file_stop(&d->disk_files[i]);
    if (d->tap_open)
        vmm_tap_stop(&d->tap);
    if (d->uds_open)
        vmm_vsock_uds_stop(&d->uds);
}

/* Say what each device did; anything lost is a warning. */
static void devices_report(const struct stdvmm_devices *d)
{
    for (unsigned i = 0; i < d->nr_disks; i++) {
        const struct blk_file *f = &d->disk_files[i];
        vmm_log(f->errors ? VMM_LOG_WARN : VMM_LOG_INFO,
                "%s: %lu reads, %lu writes, %lu flushes, %lu I/O errors", d->blk_names[i], f->reads,
                f->writes, f->flushes, f->errors);
    }
    if (d->tap_open) {
        struct virtio_net_stats s = virtio_net_stats(&d->net);
        /* Host frames dropped before the guest's driver is up are normal
         * (the device warned about the first); lost guest frames are not. */
        bool lost = s.tx_dropped || d->tap.tx_errors || d->tap.read_errors;

        vmm_log(lost ? VMM_LOG_WARN : VMM_LOG_INFO,
                "virtio-net0: tx %lu frames (%lu dropped, %lu retried), rx %lu frames (%lu "
                "dropped, %lu waits for buffers), tap write errors %lu, read errors %lu",
                s.tx_frames, s.tx_dropped, s.tx_retries, s.rx_frames, s.rx_dropped, s.rx_no_room,
                d->tap.tx_errors, d->tap.read_errors);
        /* Where transmit time goes (docs/PERFORMANCE.md). */
        vmm_info("virtio-net0: tx %lu kicks, %lu passes (at most %lu frames), %lu tap writes "
                 "taking %llu us (longest %llu us), %lu copied out by the tap thread",
                 s.tx_kicks, s.tx_passes, s.tx_burst_max, d->tap.tx_writes,
                 (unsigned long long)(d->tap.tx_write_ns / 1000),
                 (unsigned long long)(d->tap.tx_write_max_ns / 1000), d->tap.tx_queued);
    }
    if (d->uds_open) {
        struct virtio_vsock_stats s = virtio_vsock_stats(&d->vsock);
        bool lost = s.rst_lost || d->uds.lost_bytes;

        vmm_log(
            lost ? VMM_LOG_WARN : VMM_LOG_INFO,
            "virtio-vsock0: %lu/%lu packets to/from the guest, %lu/%lu payload bytes, %lu bad, "
            "%lu resets sent (%lu lost), %lu refused (table full), %lu bytes lost on host sockets",
            s.rx_pkts, s.tx_pkts, s.rx_bytes, s.tx_bytes, s.bad_pkts, s.rst_sent, s.rst_lost,
            s.table_full, d->uds.lost_bytes);
    }
}

void stdvmm_devices_close(struct stdvmm_devices *d)
{
    stdvmm_devices_stop(d);
    devices_report(d);
    for (unsigned i = 0; i < d->nr_disks; i++)
        blk_file_close(&d->disk_files[i]);
    d->nr_disks = 0;
    if (d->tap_open)
        vmm_tap_close(&d->tap);
    d->tap_open = false;
    if (d->uds_open)
        vmm_vsock_uds_close(&d->uds);
    d->uds_open = false;
}
