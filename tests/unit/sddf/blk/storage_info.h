/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * For host unit tests only: the layout of sDDF's blk storage information
 * (sDDF include/sddf/blk/storage_info.h at 5febd61c); see queue.h here.
 */
#ifndef STDVMM_TEST_SDDF_BLK_STORAGE_INFO_H
#define STDVMM_TEST_SDDF_BLK_STORAGE_INFO_H

#include <stdbool.h>
#include <stdint.h>

#define BLK_STORAGE_INFO_REGION_SIZE 0x1000
#define BLK_MAX_SERIAL_NUMBER 63

typedef struct blk_storage_info {
    char serial_number[BLK_MAX_SERIAL_NUMBER + 1];
    bool read_only;
    bool ready;
    uint16_t sector_size;
    uint16_t block_size;
    uint16_t queue_depth;
    uint16_t cylinders, heads, blocks;
    uint64_t capacity;
} blk_storage_info_t;

#endif
