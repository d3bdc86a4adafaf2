/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * For host unit tests only: the layout of sDDF's blk queues (sDDF
 * include/sddf/blk/queue.h at 5febd61c) as src/backends/sddf/blk.c uses
 * it, so tests/unit/test_sddf_blk.c builds without an sDDF checkout. With
 * SDDF set, tools/sel4gen/test_sel4gen.py builds the same test against the
 * real header, and the test checks the sizes and offsets it relies on.
 */
#ifndef STDVMM_TEST_SDDF_BLK_QUEUE_H
#define STDVMM_TEST_SDDF_BLK_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

#define BLK_TRANSFER_SIZE 4096

typedef enum blk_req_code {
    BLK_REQ_READ,
    BLK_REQ_WRITE,
    BLK_REQ_FLUSH,
    BLK_REQ_BARRIER,
} blk_req_code_t;

typedef enum blk_resp_status {
    BLK_RESP_OK,
    BLK_RESP_ERR_UNSPEC,
    BLK_RESP_ERR_INVALID_PARAM,
    BLK_RESP_ERR_IO,
    BLK_RESP_ERR_NO_DEVICE,
} blk_resp_status_t;

typedef struct blk_req {
    blk_req_code_t code;
    uint64_t io_or_offset;
    uint64_t block_number;
    uint16_t count;
    uint32_t id;
} blk_req_t;

typedef struct blk_resp {
    blk_resp_status_t status;
    uint16_t success_count;
    uint32_t id;
} blk_resp_t;

typedef struct blk_req_queue {
    uint32_t head;
    uint32_t tail;
    bool plugged;
    blk_req_t buffers[];
} blk_req_queue_t;

typedef struct blk_resp_queue {
    uint32_t head;
    uint32_t tail;
    blk_resp_t buffers[];
} blk_resp_queue_t;

#endif
