/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The virtio devices of `stdvmm run` beyond the console: --disk (virtio-blk
 * on an image file), --net (virtio-net on a tap), --rng (virtio-rng on
 * getrandom) and --vsock (virtio-vsock on UNIX sockets). Each takes the next
 * virtio-mmio slot of the layout, in that order.
 *
 * Threads: each disk has an I/O worker thread (blk_file_start) that does
 * the disk I/O without the VM's device lock and takes it to complete a
 * request; the entropy backend is synchronous (it runs on the vCPU thread
 * that kicked the queue); the tap and the vsock sockets are sources of the
 * one event loop (posix_loop.h), whose thread takes the VM's device lock
 * before touching a device and is woken through its eventfd when the guest
 * posts buffers again.
 */
#ifndef STDVMM_TOOL_DEVICES_H
#define STDVMM_TOOL_DEVICES_H

#include <pthread.h>
#include <stdbool.h>
#include "config.h"
#include "stdvmm/arm64.h"
#include "stdvmm/posix_blk.h"
#include "stdvmm/posix_net.h"
#include "stdvmm/virtio_blk.h"
#include "stdvmm/virtio_net.h"
#include "stdvmm/virtio_rng.h"
#include "stdvmm/virtio_vsock.h"
#include "stdvmm/vm.h"

#define STDVMM_DEV_NAME 24

struct stdvmm_devices {
    struct blk_file disk_files[STDVMM_MAX_DISKS];
    struct virtio_blk blk[STDVMM_MAX_DISKS];
    char blk_names[STDVMM_MAX_DISKS][STDVMM_DEV_NAME];
    unsigned nr_disks; /* opened */

    struct vmm_tap tap;
    struct virtio_net net;
    bool tap_open;

    struct vmm_entropy_backend entropy;
    struct virtio_rng rng;

    struct vmm_vsock_uds uds;
    struct virtio_vsock vsock;
    bool uds_open;

    /* --dump-dtb: net and vsock are described, their host side not opened. */
    struct vmm_net_backend net_placeholder;
    struct vmm_vsock_backend vsock_placeholder;
};

/*
 * Open the backends @cfg asks for (only the disks when @describe_only, for
 * --dump-dtb) and add each device to @vm from virtio slot @first_slot on.
 * Errors are logged naming the option ("--disk foo.img: No such file...").
 */
int stdvmm_devices_add(struct stdvmm_devices *d, struct vmm_vm *vm,
                       const struct vmm_arm64_layout *layout, unsigned first_slot,
                       const struct stdvmm_config *cfg, bool describe_only);

/* Start the disks' I/O workers and serve the tap and vsock sockets from
 * @loop (started by the caller); all take @lock around device calls. */
int stdvmm_devices_start(struct stdvmm_devices *d, struct vmm_loop *loop, pthread_mutex_t *lock);

/* Complete the disks' queued requests and stop their workers, take the
 * backends out of the loop (call after the vCPUs are joined). */
void stdvmm_devices_stop(struct stdvmm_devices *d);

/* Log the devices' counters (info; drops and errors as warnings) and close
 * every backend. Safe on a partly set up @d. */
void stdvmm_devices_close(struct stdvmm_devices *d);

#endif
