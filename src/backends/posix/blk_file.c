/* SPDX-License-Identifier: BSD-2-Clause */
/* Raw image file block backend: opening the image and doing one request
 * (the I/O worker: blk_file_worker.c); see include/stdvmm/posix/blk.h. */
#include <errno.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <sys/uio.h>
#include <unistd.h>
#include "blk_file_internal.h"
#include "stdvmm/err.h"

#define SECTOR 512u
#define IOV_BATCH 64
#define ZERO_CHUNK (64u * 1024)

static const uint8_t zero_chunk[ZERO_CHUNK];

/* Write "PATH: reason" to @err; returns @code. */
static int open_error(char *err, size_t errlen, const char *path, int code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int open_error(char *err, size_t errlen, const char *path, int code, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (err == NULL || errlen == 0)
        return code;
    n = snprintf(err, errlen, "%s: ", path);
    if (n >= 0 && (size_t)n < errlen) {
        va_start(ap, fmt);
        vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return code;
}

/* [sector, sector + nr) inside the image, without overflow. */
static bool in_image(const struct blk_file *f, uint64_t sector, uint64_t nr)
{
    uint64_t cap = f->backend.nr_sectors;

    return sector <= cap && nr <= cap - sector;
}

/* preadv/pwritev the whole of req->iov at the request's sector. */
static int transfer(struct blk_file *f, const struct vmm_blk_req *req, bool write)
{
    off_t off = (off_t)(req->sector * SECTOR);
    unsigned i = 0;
    size_t skip = 0; /* bytes of req->iov[i] already done */

    for (;;) {
        struct iovec v[IOV_BATCH];
        int n = 0;
        ssize_t r;
        size_t left;

        while (i < req->nr_iov && req->iov[i].len == skip) {
            i++;
            skip = 0;
        }
        if (i == req->nr_iov)
            return 0;
        for (unsigned j = i; j < req->nr_iov && n < IOV_BATCH; j++) {
            size_t s = j == i ? skip : 0;

            if (req->iov[j].len > s)
                v[n++] = (struct iovec){(uint8_t *)req->iov[j].base + s, req->iov[j].len - s};
        }
        r = write ? pwritev(f->fd, v, n, off) : preadv(f->fd, v, n, off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            return -VMM_EIO; /* the image shrank under us, or the disk is full */
        off += r;
        for (left = (size_t)r; left > 0;) {
            size_t avail = req->iov[i].len - skip;

            if (left < avail) {
                skip += left;
                left = 0;
            } else {
                left -= avail;
                i++;
                skip = 0;
            }
        }
    }
}

static int write_zeroes_explicit(struct blk_file *f, off_t off, uint64_t len)
{
    while (len > 0) {
        size_t chunk = len < ZERO_CHUNK ? (size_t)len : ZERO_CHUNK;
        ssize_t r = pwrite(f->fd, zero_chunk, chunk, off);

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            return -VMM_EIO;
        off += r;
        len -= (uint64_t)r;
    }
    return 0;
}

/* fallocate(@mode | KEEP_SIZE); -VMM_ENOTSUP (remembered in *@unsupported)
 * when the file system cannot. */
static int try_fallocate(struct blk_file *f, int mode, off_t off, off_t len, bool *unsupported)
{
    if (*unsupported)
        return -VMM_ENOTSUP;
    for (;;) {
        if (fallocate(f->fd, mode | FALLOC_FL_KEEP_SIZE, off, len) == 0)
            return 0;
        if (errno == EINTR)
            continue;
        if (errno == EOPNOTSUPP || errno == ENOSYS) {
            *unsupported = true;
            return -VMM_ENOTSUP;
        }
        return -errno;
    }
}

/* DISCARD (@zeroes false) or WRITE_ZEROES: see the header for the order
 * tried. Zeroes written by hand go at most @step bytes per call; *@more
 * says whether some are left. */
static int zero_range(struct blk_file *f, struct blk_file_job *job, bool zeroes, uint64_t step,
                      bool *more)
{
    const struct vmm_blk_req *req = job->req;
    uint64_t start = req->sector * SECTOR, len = req->nr_sectors * SECTOR, chunk;
    int ret = -VMM_ENOTSUP;

    if (!job->by_hand) {
        if (!zeroes || req->unmap)
            ret =
                try_fallocate(f, FALLOC_FL_PUNCH_HOLE, (off_t)start, (off_t)len, &f->no_punch_hole);
        if (ret == -VMM_ENOTSUP && zeroes)
            ret =
                try_fallocate(f, FALLOC_FL_ZERO_RANGE, (off_t)start, (off_t)len, &f->no_zero_range);
        if (ret != -VMM_ENOTSUP)
            return ret;
        job->by_hand = true;
    }
    chunk = len - job->done < step ? len - job->done : step;
    ret = write_zeroes_explicit(f, (off_t)(start + job->done), chunk);
    if (ret == 0) {
        job->done += chunk;
        *more = job->done < len;
    }
    return ret;
}

static int flush(struct blk_file *f)
{
    while (fdatasync(f->fd) < 0) {
        if (errno != EINTR)
            return -errno;
    }
    return 0;
}

/* Check @req against the image; READ/WRITE also against their buffers. */
static bool request_ok(const struct blk_file *f, const struct vmm_blk_req *req)
{
    uint64_t bytes = 0;

    switch (req->op) {
    case VMM_BLK_FLUSH:
        return true;
    case VMM_BLK_READ:
    case VMM_BLK_WRITE:
        if (req->nr_iov > 0 && req->iov == NULL)
            return false;
        for (unsigned i = 0; i < req->nr_iov; i++)
            bytes += req->iov[i].len;
        if (bytes % SECTOR != 0 || (req->op == VMM_BLK_WRITE && f->backend.read_only))
            return false;
        return in_image(f, req->sector, bytes / SECTOR);
    case VMM_BLK_DISCARD:
    case VMM_BLK_WRITE_ZEROES:
        return !f->backend.read_only && in_image(f, req->sector, req->nr_sectors);
    default:
        return false;
    }
}

int vmm_blk_file_step(struct blk_file *f, struct blk_file_job *job, uint64_t zero_step, bool *more)
{
    struct vmm_blk_req *req = job->req;

    *more = false;
    if (f->step_hook != NULL)
        f->step_hook(f, req);
    switch (req->op) {
    case VMM_BLK_READ:
        return transfer(f, req, false);
    case VMM_BLK_WRITE:
        return transfer(f, req, true);
    case VMM_BLK_FLUSH:
        return flush(f);
    case VMM_BLK_DISCARD:
        return zero_range(f, job, false, zero_step, more);
    default:
        return zero_range(f, job, true, zero_step, more);
    }
}

void vmm_blk_file_account(struct blk_file *f, const struct vmm_blk_req *req, int status)
{
    unsigned long *count[] = {
        [VMM_BLK_READ] = &f->reads,
        [VMM_BLK_WRITE] = &f->writes,
        [VMM_BLK_FLUSH] = &f->flushes,
        [VMM_BLK_DISCARD] = &f->discards,
        [VMM_BLK_WRITE_ZEROES] = &f->write_zeroes,
    };

    if (status < 0)
        f->errors++;
    else
        (*count[req->op])++;
}

static int blk_file_submit(void *ctx, struct vmm_blk_req *req)
{
    struct blk_file *f = ctx;
    struct blk_file_job job = {.req = req};
    bool more;
    int ret;

    if (f->fd < 0 || !request_ok(f, req))
        return -VMM_EINVAL;
    if (f->running)
        return vmm_blk_file_try_inline(f, req) ? 0 : vmm_blk_file_queue(f, req);
    do { /* no worker: all of it now, on the caller's thread */
        ret = vmm_blk_file_step(f, &job, UINT64_MAX, &more);
    } while (ret == 0 && more);
    vmm_blk_file_account(f, req, ret);
    req->complete(req, ret < 0 ? ret : 0);
    return 0;
}

/* Split "PATH[,ro|,rw]" into f->path and *@ro. */
static int parse_spec(struct blk_file *f, const char *spec, bool *ro, char *err, size_t errlen)
{
    const char *comma = strrchr(spec, ',');
    size_t len = strlen(spec);

    *ro = false;
    if (comma != NULL && (strcmp(comma, ",ro") == 0 || strcmp(comma, ",rw") == 0)) {
        *ro = comma[2] == 'o';
        len = (size_t)(comma - spec);
    }
    if (len == 0)
        return open_error(err, errlen, spec, -VMM_EINVAL, "empty file name");
    if (len >= sizeof(f->path))
        return open_error(err, errlen, spec, -VMM_EINVAL, "file name too long");
    memcpy(f->path, spec, len);
    f->path[len] = '\0';
    return 0;
}

/* Whether the file's pages all live in memory (tmpfs, ramfs), so that a
 * read is a copy that never waits for a disk. Only for a regular file: a
 * block device's node on devtmpfs would look the same. */
static bool image_in_memory(int fd)
{
    struct statfs sfs;

    if (fstatfs(fd, &sfs) < 0)
        return false;
    return sfs.f_type == TMPFS_MAGIC || sfs.f_type == RAMFS_MAGIC;
}

/* Size and type checks on the open image; fills f->backend. */
static int check_image(struct blk_file *f, bool ro, char *err, size_t errlen)
{
    struct stat st;
    off_t size;
    int flags;

    if (fstat(f->fd, &st) < 0)
        return open_error(err, errlen, f->path, -errno, "%s", strerror(errno));
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
        return open_error(err, errlen, f->path, -VMM_EINVAL, "not a regular file or block device");
    if (flock(f->fd, (ro ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
        if (errno == EWOULDBLOCK)
            return open_error(err, errlen, f->path, -VMM_EBUSY,
                              "in use by another process (locked)");
        return open_error(err, errlen, f->path, -errno, "%s", strerror(errno));
    }
    size = lseek(f->fd, 0, SEEK_END);
    if (size < 0)
        return open_error(err, errlen, f->path, -errno, "%s", strerror(errno));
    if (size % SECTOR != 0)
        return open_error(err, errlen, f->path, -VMM_EINVAL,
                          "size %lld bytes is not a multiple of 512", (long long)size);
    flags = fcntl(f->fd, F_GETFL);
    f->no_nowait = flags < 0 || (flags & O_DIRECT) != 0; /* the fast path copies from the cache */
    f->in_memory = S_ISREG(st.st_mode) && image_in_memory(f->fd);
    f->backend = (struct vmm_blk_backend){
        .nr_sectors = (uint64_t)size / SECTOR,
        .read_only = ro,
        .can_discard = !ro,
        .submit = blk_file_submit,
        .cancel = vmm_blk_file_cancel,
        .ctx = f,
    };
    return 0;
}

int vmm_blk_file_open(struct blk_file *f, const char *spec, char *err, size_t errlen)
{
    bool ro;
    int ret;

    memset(f, 0, sizeof(*f));
    f->fd = -1;
    if (spec == NULL)
        spec = "";
    ret = parse_spec(f, spec, &ro, err, errlen);
    if (ret < 0)
        return ret;
    f->fd = open(f->path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (f->fd < 0)
        return open_error(err, errlen, f->path, -errno, "%s", strerror(errno));
    ret = check_image(f, ro, err, errlen);
    if (ret < 0)
        vmm_blk_file_close(f);
    return ret;
}

void vmm_blk_file_close(struct blk_file *f)
{
    vmm_blk_file_stop(f);
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
}

/* preadv/pwritev for READ/WRITE (glibc may use the v2 calls), pwrite for
 * zeroes written by hand, fdatasync for FLUSH, fallocate for DISCARD and
 * WRITE_ZEROES, on the I/O worker thread; preadv2(RWF_NOWAIT) for the
 * page-cache reads, on the vCPU threads (blk_file_nowait.c). */
static const int blk_file_allow[] = {
    __NR_preadv,   __NR_pwritev, __NR_preadv2,   __NR_pwritev2,
    __NR_pwrite64, __NR_pread64, __NR_fdatasync, __NR_fallocate,
};

const struct vmm_posix_syscalls vmm_blk_file_syscalls = {
    .allow = blk_file_allow,
    .nr_allow = VMM_POSIX_COUNT(blk_file_allow),
};
