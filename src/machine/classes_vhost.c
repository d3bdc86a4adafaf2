/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The device classes served outside the VMM (vhost_dev.h): vhost-user-blk
 * and virtio-fs. The backend (a vhost-user socket on KVM) was opened by
 * the host's provider before init, so its features and configuration
 * space are known here.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "machine_internal.h"
#include "stdvmm/bytes.h"
#include "stdvmm/err.h"
#include "stdvmm/machine.h"
#include "stdvmm/vhost_dev.h"

/* virtio-blk feature bits (5.2.3) the guest may see: everything the
 * device model passes through unchanged. Not MQ (one queue here), not
 * CONFIG_WCE (configuration writes are not forwarded). */
#define BLK_F_SIZE_MAX 1
#define BLK_F_SEG_MAX 2
#define BLK_F_GEOMETRY 4
#define BLK_F_RO 5
#define BLK_F_BLK_SIZE 6
#define BLK_F_FLUSH 9
#define BLK_F_TOPOLOGY 10
#define BLK_F_DISCARD 13
#define BLK_F_WRITE_ZEROES 14
#define BLK_MASK                                                                                   \
    ((1ull << BLK_F_SIZE_MAX) | (1ull << BLK_F_SEG_MAX) | (1ull << BLK_F_GEOMETRY) |               \
     (1ull << BLK_F_RO) | (1ull << BLK_F_BLK_SIZE) | (1ull << BLK_F_FLUSH) |                       \
     (1ull << BLK_F_TOPOLOGY) | (1ull << BLK_F_DISCARD) | (1ull << BLK_F_WRITE_ZEROES))

int vmm_machine_vhost_blk_init(struct vmm_machine *m, struct vmm_machine_dev *d)
{
    struct vhost_dev *vd = d->state;
    const struct vhost_dev_params p = {
        .device_id = VIRTIO_ID_BLOCK,
        .nr_queues = 1,
        .device_mask = BLK_MASK,
    };
    int ret = vmm_vhost_dev_init(vd, &m->vm, d->name, d->base, d->irq, d->backend, &p);

    d->dev = vmm_vhost_dev_device(vd);
    return ret;
}

/* virtio-fs (5.11): tag[36] (not NUL-terminated when 36 long) and
 * num_request_queues; queue 0 is the high-priority queue. */
#define FS_TAG_MAX 36u
#define FS_CONFIG_SIZE 40u

int vmm_machine_fs_parse(const char *value, char *err, size_t errlen)
{
    const char *tag;
    size_t len = 0;

    if (vmm_machine_opt_str(value, "tag", &tag, &len) < 0 || len == 0)
        return vmm_machine_error(err, errlen, "--fs ", value, ": needs tag=TAG");
    if (len > FS_TAG_MAX)
        return vmm_machine_error(err, errlen, "--fs ", value, ": tag longer than 36 bytes");
    return 0;
}

int vmm_machine_fs_init(struct vmm_machine *m, struct vmm_machine_dev *d)
{
    struct vhost_dev *vd = d->state;
    uint8_t config[FS_CONFIG_SIZE];
    const char *tag = NULL;
    size_t len = 0;
    int ret;
    struct vhost_dev_params p = {
        .device_id = VIRTIO_ID_FS,
        .nr_queues = 2,
        .device_mask = 0,
        .config = config,
        .config_size = FS_CONFIG_SIZE,
    };

    memset(config, 0, sizeof(config));
    if (vmm_machine_opt_str(d->desc->options, "tag", &tag, &len) < 0 || len == 0 ||
        len > FS_TAG_MAX)
        return -VMM_EINVAL; /* the parser said why */
    memcpy(config, tag, len);
    vmm_put_le32(config + FS_TAG_MAX, 1); /* one request queue */
    ret = vmm_vhost_dev_init(vd, &m->vm, d->name, d->base, d->irq, d->backend, &p);
    d->dev = vmm_vhost_dev_device(vd);
    return ret;
}
