/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio-vsock's side of its backend: the struct vmm_vsock_host a backend
 * calls to open, feed, credit, shut down and reset connections. */
#include "stdvmm/virtio_vsock.h"

_Static_assert(VIRTQ_MAX_CHAIN <= VMM_IOV_MAX, "a packet's payload fits a backend call");

static int host_connect(void *dev, uint32_t guest_port, uint32_t *host_port)
{
    return vmm_virtio_vsock_host_connect(dev, guest_port, host_port);
}

static long host_send(void *dev, unsigned conn, const void *buf, size_t len)
{
    return vmm_virtio_vsock_host_send(dev, conn, buf, len);
}

static void host_consumed(void *dev, unsigned conn, uint32_t bytes)
{
    vmm_virtio_vsock_host_consumed(dev, conn, bytes);
}

static void host_shutdown(void *dev, unsigned conn, unsigned flags)
{
    vmm_virtio_vsock_host_shutdown(dev, conn, flags);
}

static void host_reset(void *dev, unsigned conn)
{
    vmm_virtio_vsock_host_reset(dev, conn);
}

struct vmm_vsock_host vmm_virtio_vsock_host(struct virtio_vsock *vs)
{
    return (struct vmm_vsock_host){
        .connect = host_connect,
        .send = host_send,
        .consumed = host_consumed,
        .shutdown = host_shutdown,
        .reset = host_reset,
        .dev = vs,
    };
}
