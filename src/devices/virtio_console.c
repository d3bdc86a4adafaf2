/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-console, single port (virtio 1.2 section 5.3). See
 * include/stdvmm/virtio_console.h for what happens to bytes the backend
 * cannot take.
 */
#include <string.h>
#include "stdvmm/err.h"
#include "stdvmm/log.h"
#include "stdvmm/virtio_console.h"

/* struct virtio_console_config (5.3.4): cols, rows, max_nr_ports, emerg_wr. */
#define CONSOLE_CONFIG_SIZE 12u
#define CONSOLE_EMERG_WR 8u

static struct virtio_console *to_console(struct virtio_mmio *vdev)
{
    return vdev->priv;
}

/* Offer @len guest bytes to the backend; whatever it refuses is dropped. */
static void console_output(struct virtio_console *con, const uint8_t *buf, size_t len)
{
    const struct vmm_stream_backend *be = con->backend;

    while (len > 0) {
        long n = be->write(be->ctx, buf, len);

        if (n <= 0 || (size_t)n > len)
            break;
        con->tx_bytes += (size_t)n;
        buf += n;
        len -= (size_t)n;
    }
    if (len == 0)
        return;
    con->tx_dropped += len;
    if (vmm_ratelimit_first(&con->rl_drop))
        vmm_warn("%s: backend full, dropped %lu output bytes (further drops counted)",
                 con->vdev.dev.name, (unsigned long)len);
}

static int console_tx(struct virtio_console *con, struct virtq *vq)
{
    int ret = 0;

    /* Bounded: a legitimate driver has at most num chains outstanding. */
    for (unsigned n = 0; n < vq->num; n++) {
        ret = vmm_virtq_pop(vq, &con->chain);
        if (ret <= 0)
            break;
        for (unsigned i = 0; i < con->chain.nr_readable; i++)
            console_output(con, con->chain.seg[i].base, con->chain.seg[i].len);
        ret = vmm_virtq_push_used(vq, con->chain.head, 0);
        if (ret < 0)
            break;
    }
    vmm_virtio_mmio_notify_used(&con->vdev, VIRTIO_CONSOLE_TXQ);
    return ret < 0 ? ret : 0;
}

static int console_notify(struct virtio_mmio *vdev, unsigned q)
{
    struct virtio_console *con = to_console(vdev);
    struct virtq *vq = vmm_virtio_mmio_queue(vdev, q);

    if (vq == NULL)
        return 0;
    if (q == VIRTIO_CONSOLE_TXQ)
        return console_tx(con, vq);
    /* receiveq: the guest posted buffers; let the backend offer input. */
    if (con->backend->rx_ready)
        con->backend->rx_ready(con->backend->ctx);
    return 0;
}

size_t vmm_virtio_console_rx(struct virtio_console *con, const uint8_t *buf, size_t len)
{
    struct virtq *vq = vmm_virtio_mmio_queue(&con->vdev, VIRTIO_CONSOLE_RXQ);
    size_t done = 0;
    bool pushed = false;

    if (vq == NULL)
        return 0;
    for (unsigned n = 0; n < vq->num && done < len; n++) {
        int ret = vmm_virtq_pop(vq, &con->chain);
        size_t copied;

        if (ret < 0) {
            vmm_virtio_mmio_queue_error(&con->vdev, VIRTIO_CONSOLE_RXQ, ret);
            break;
        }
        if (ret == 0)
            break;
        copied = vmm_virtq_chain_scatter(&con->chain, 0, buf + done, len - done);
        if (vmm_virtq_push_used(vq, con->chain.head, (uint32_t)copied) < 0)
            break;
        pushed = true;
        done += copied;
    }
    if (pushed)
        vmm_virtio_mmio_notify_used(&con->vdev, VIRTIO_CONSOLE_RXQ);
    return done;
}

static void console_config_read(struct virtio_mmio *vdev, uint32_t offset, uint8_t *buf,
                                unsigned len)
{
    /* Without SIZE and MULTIPORT no field is valid, and emerg_wr is write-only. */
    (void)vdev;
    (void)offset;
    memset(buf, 0, len);
}

static void console_config_write(struct virtio_mmio *vdev, uint32_t offset, const uint8_t *buf,
                                 unsigned len)
{
    (void)len;
    if (offset == CONSOLE_EMERG_WR &&
        vmm_virtio_mmio_has_feature(vdev, VIRTIO_CONSOLE_F_EMERG_WRITE))
        console_output(to_console(vdev), buf, 1);
}

static const struct virtio_dev_ops console_ops = {
    .device_id = VIRTIO_ID_CONSOLE,
    .features = VIRTIO_BIT(VIRTIO_CONSOLE_F_EMERG_WRITE),
    .nr_queues = 2,
    .queue_num_max = VIRTIO_CONSOLE_QUEUE_SIZE,
    .config_size = CONSOLE_CONFIG_SIZE,
    .config_read = console_config_read,
    .config_write = console_config_write,
    .queue_notify = console_notify,
};

int vmm_virtio_console_init(struct virtio_console *con, struct vmm_vm *vm, const char *name,
                            uint64_t base, unsigned irq, const struct vmm_stream_backend *backend)
{
    if (backend == NULL || backend->write == NULL)
        return -VMM_EINVAL;
    memset(con, 0, sizeof(*con));
    con->backend = backend;
    return vmm_virtio_mmio_init(&con->vdev, &console_ops, con, vm, name, base, irq);
}
