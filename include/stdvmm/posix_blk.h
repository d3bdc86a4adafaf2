/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Raw disk image file as a block backend (hosted: POSIX/Linux).
 *
 * Synchronous: every request completes inside submit(). READ/WRITE use
 * preadv/pwritev, resuming after short transfers and EINTR; FLUSH is
 * fdatasync(); DISCARD punches a hole (FALLOC_FL_PUNCH_HOLE, size kept),
 * falling back to writing zeroes; WRITE_ZEROES uses FALLOC_FL_ZERO_RANGE
 * (or PUNCH_HOLE when unmap is allowed), falling back to the other one and
 * then to writing zeroes. Nothing outside [0, capacity) is ever touched.
 *
 * The image is a regular file or a block device whose size is a multiple of
 * 512 bytes (anything else is refused: rounding down would silently hide
 * data). It is locked with flock() (shared for ,ro, else exclusive) so two
 * stdvmm instances cannot write one image.
 */
#ifndef STDVMM_POSIX_BLK_H
#define STDVMM_POSIX_BLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "stdvmm/backend.h"

#define BLK_FILE_PATH_MAX 4096

struct blk_file {
    struct vmm_blk_backend backend; /* give &file->backend to the device */
    int fd;                         /* -1 when closed */
    char path[BLK_FILE_PATH_MAX];
    bool no_punch_hole; /* fallocate mode found unsupported */
    bool no_zero_range;
    unsigned long reads, writes, flushes, discards, write_zeroes; /* completed ops */
    unsigned long errors;
};

/*
 * Open the image named by @spec, "PATH" or "PATH,ro" (",rw" is accepted
 * too; a comma followed by anything else is part of PATH), and fill
 * file->backend. On failure returns a negative VMM_E* code and writes
 * "PATH: reason" (e.g. "foo.img: No such file or directory") to @err, for
 * the caller to prefix with its option ("stdvmm: --disk ...").
 */
int blk_file_open(struct blk_file *file, const char *spec, char *err, size_t errlen);

/* Close the image (idempotent). Outstanding data was flushed by the guest or not at all. */
void blk_file_close(struct blk_file *file);

#endif
