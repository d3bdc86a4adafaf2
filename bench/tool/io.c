/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Block throughput inside the guest: sequential 1 MiB writes and reads and
 * 4 KiB random reads, all O_DIRECT on the raw device so the guest's page
 * cache is out of the picture and every request reaches the VMM.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/fs.h>
#include <unistd.h>
#include "benchtool.h"

#define SEQ_CHUNK (1u << 20)
#define RAND_CHUNK 4096u

static int blk_open(const char *dev, int flags, uint64_t *size)
{
    int fd = open(dev, flags | O_DIRECT);

    if (fd < 0) {
        fprintf(stderr, "benchtool: %s: %s\n", dev, strerror(errno));
        return -1;
    }
    if (ioctl(fd, BLKGETSIZE64, size) < 0) {
        fprintf(stderr, "benchtool: %s: BLKGETSIZE64: %s\n", dev, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static int blk_seq(const char *dev, long long mib, int write_it)
{
    uint64_t size;
    void *buf;
    double t0, t;
    int fd = blk_open(dev, write_it ? O_WRONLY : O_RDONLY, &size);

    if (fd < 0)
        return 1;
    if ((uint64_t)mib * SEQ_CHUNK > size)
        mib = (long long)(size / SEQ_CHUNK);
    if (mib <= 0 || posix_memalign(&buf, 4096, SEQ_CHUNK) != 0) {
        fprintf(stderr, "benchtool: %s: too small or out of memory\n", dev);
        return 1;
    }
    memset(buf, 0xa5, SEQ_CHUNK);
    t0 = bt_now();
    for (long long i = 0; i < mib; i++) {
        ssize_t n = write_it ? pwrite(fd, buf, SEQ_CHUNK, (off_t)i * SEQ_CHUNK)
                             : pread(fd, buf, SEQ_CHUNK, (off_t)i * SEQ_CHUNK);
        if (n != (ssize_t)SEQ_CHUNK) {
            fprintf(stderr, "benchtool: %s: %s at %lld MiB: %s\n", dev, write_it ? "write" : "read",
                    i, n < 0 ? strerror(errno) : "short");
            return 1;
        }
    }
    if (write_it && fsync(fd) < 0)
        fprintf(stderr, "benchtool: %s: fsync: %s\n", dev, strerror(errno));
    t = bt_now() - t0;
    printf("BENCH-RESULT blk_seq_%s_mbs=%.2f\n", write_it ? "write" : "read",
           (double)mib * SEQ_CHUNK / 1e6 / t);
    close(fd);
    free(buf);
    return 0;
}

/* xorshift64: a fixed, cheap sequence of offsets, the same on every VMM. */
static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static int blk_randread(const char *dev, double secs)
{
    uint64_t size, blocks, seed = 0x9e3779b97f4a7c15ull, done = 0;
    void *buf;
    double t0, t;
    int fd = blk_open(dev, O_RDONLY, &size);

    if (fd < 0)
        return 1;
    blocks = size / RAND_CHUNK;
    if (blocks == 0 || posix_memalign(&buf, 4096, RAND_CHUNK) != 0)
        return 1;
    t0 = bt_now();
    do {
        /* Check the clock every 64 requests. */
        for (int i = 0; i < 64; i++, done++) {
            off_t off = (off_t)(next_rand(&seed) % blocks) * RAND_CHUNK;
            if (pread(fd, buf, RAND_CHUNK, off) != (ssize_t)RAND_CHUNK) {
                fprintf(stderr, "benchtool: %s: random read: %s\n", dev, strerror(errno));
                return 1;
            }
        }
        t = bt_now() - t0;
    } while (t < secs);
    printf("BENCH-RESULT blk_randread_iops=%.0f\n", (double)done / t);
    close(fd);
    free(buf);
    return 0;
}

int bt_blk(const char *what, int argc, char **argv)
{
    long long n = argc == 2 ? bt_parse_size(argv[1]) : -1;

    if (n <= 0) {
        fprintf(stderr, "benchtool: %s DEV N\n", what);
        return 2;
    }
    if (strcmp(what, "blk-write") == 0)
        return blk_seq(argv[0], n, 1);
    if (strcmp(what, "blk-read") == 0)
        return blk_seq(argv[0], n, 0);
    if (strcmp(what, "blk-randread") == 0)
        return blk_randread(argv[0], (double)n);
    fprintf(stderr, "benchtool: unknown command %s\n", what);
    return 2;
}
