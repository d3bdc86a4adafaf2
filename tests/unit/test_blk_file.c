/* SPDX-License-Identifier: BSD-2-Clause */
/* The raw image file block backend against real temporary files. */
#include <stdarg.h>
#include <stddef.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "stdvmm/err.h"
#include "stdvmm/posix/blk.h"

#define SECTORS 16u
#define BYTES (SECTORS * 512u)

struct fx {
    char path[64];
    struct blk_file file, other;
    uint8_t before[BYTES];
    unsigned completions;
    int last_status;
    char err[256];
};

static void make_image(char *path, size_t size, const uint8_t *content)
{
    int fd;

    strcpy(path, "/tmp/stdvmm-img-XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, content, size), (ssize_t)size);
    close(fd);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    for (size_t i = 0; i < BYTES; i++)
        f->before[i] = (uint8_t)(i * 13 + 5);
    make_image(f->path, BYTES, f->before);
    f->file.fd = f->other.fd = -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    vmm_blk_file_close(&f->file);
    vmm_blk_file_close(&f->other);
    unlink(f->path);
    free(f);
    return 0;
}

static void record(struct vmm_blk_req *req, int status)
{
    struct fx *f = req->cookie;

    f->completions++;
    f->last_status = status;
}

static void open_ok(struct fx *f, const char *suffix)
{
    char spec[96];

    snprintf(spec, sizeof(spec), "%s%s", f->path, suffix);
    assert_int_equal(vmm_blk_file_open(&f->file, spec, f->err, sizeof(f->err)), 0);
}

static void contents(struct fx *f, uint8_t *buf)
{
    int fd = open(f->path, O_RDONLY);

    assert_true(fd >= 0);
    assert_int_equal(pread(fd, buf, BYTES, 0), BYTES);
    close(fd);
}

static void assert_unchanged(struct fx *f)
{
    uint8_t now[BYTES];

    contents(f, now);
    assert_memory_equal(now, f->before, BYTES);
}

/* Submit one request; returns submit()'s result. */
static int submit(struct fx *f, enum vmm_blk_op op, uint64_t sector, uint64_t nr,
                  const struct vmm_iov *iov, unsigned nr_iov, bool unmap)
{
    struct vmm_blk_req req = {.op = op,
                              .sector = sector,
                              .nr_sectors = nr,
                              .iov = iov,
                              .nr_iov = nr_iov,
                              .unmap = unmap,
                              .complete = record,
                              .cookie = f};

    return f->file.backend.submit(f->file.backend.ctx, &req);
}

static void blk_file_opens_rw_with_capacity(void **state)
{
    struct fx *f = *state;

    open_ok(f, "");
    assert_int_equal(f->file.backend.nr_sectors, SECTORS);
    assert_false(f->file.backend.read_only);
    assert_true(f->file.backend.can_discard);
    vmm_blk_file_close(&f->file);
    open_ok(f, ",rw");
    assert_false(f->file.backend.read_only);
}

static void blk_file_ro_refuses_writes(void **state)
{
    struct fx *f = *state;
    uint8_t buf[512] = {0};
    struct vmm_iov iov = {buf, sizeof(buf)};

    open_ok(f, ",ro");
    assert_true(f->file.backend.read_only);
    assert_false(f->file.backend.can_discard);
    assert_int_equal(submit(f, VMM_BLK_WRITE, 0, 1, &iov, 1, false), -VMM_EINVAL);
    assert_int_equal(submit(f, VMM_BLK_WRITE_ZEROES, 0, 1, NULL, 0, false), -VMM_EINVAL);
    assert_int_equal(f->completions, 0);
    assert_int_equal(submit(f, VMM_BLK_READ, 0, 1, &iov, 1, false), 0);
    assert_int_equal(f->completions, 1);
    assert_int_equal(f->last_status, 0);
    assert_memory_equal(buf, f->before, 512);
    assert_int_equal(submit(f, VMM_BLK_FLUSH, 0, 0, NULL, 0, false), 0);
    assert_int_equal(f->last_status, 0);
    assert_int_equal(f->file.flushes, 1);
    assert_unchanged(f);
}

static void blk_file_reports_missing_file_clearly(void **state)
{
    struct fx *f = *state;

    assert_int_equal(
        vmm_blk_file_open(&f->file, "/nonexistent-stdvmm/foo.img,ro", f->err, sizeof(f->err)),
        -VMM_ENOENT);
    assert_string_equal(f->err, "/nonexistent-stdvmm/foo.img: No such file or directory");
    assert_int_equal(f->file.fd, -1);
}

static void blk_file_refuses_bad_images(void **state)
{
    struct fx *f = *state;
    char odd[64];

    make_image(odd, 1000, f->before);
    assert_int_equal(vmm_blk_file_open(&f->file, odd, f->err, sizeof(f->err)), -VMM_EINVAL);
    assert_non_null(strstr(f->err, "size 1000 bytes is not a multiple of 512"));
    assert_int_equal(f->file.fd, -1);
    unlink(odd);
    assert_int_equal(vmm_blk_file_open(&f->file, "/tmp,ro", f->err, sizeof(f->err)), -VMM_EINVAL);
    assert_string_equal(f->err, "/tmp: not a regular file or block device");
    assert_true(vmm_blk_file_open(&f->file, "/tmp", f->err, sizeof(f->err)) < 0);
    assert_int_equal(vmm_blk_file_open(&f->file, ",ro", f->err, sizeof(f->err)), -VMM_EINVAL);
    assert_non_null(strstr(f->err, "empty file name"));
    assert_int_equal(vmm_blk_file_open(&f->file, "", f->err, sizeof(f->err)), -VMM_EINVAL);
}

static void blk_file_keeps_other_commas_in_the_path(void **state)
{
    struct fx *f = *state;
    char spec[96];

    /* "PATH,xyz" names a file called "PATH,xyz". */
    snprintf(spec, sizeof(spec), "%s,xyz", f->path);
    assert_int_equal(vmm_blk_file_open(&f->file, spec, f->err, sizeof(f->err)), -VMM_ENOENT);
    assert_string_equal(f->err + strlen(spec), ": No such file or directory");
}

static void blk_file_locks_out_a_second_writer(void **state)
{
    struct fx *f = *state;

    open_ok(f, "");
    assert_int_equal(vmm_blk_file_open(&f->other, f->path, f->err, sizeof(f->err)), -VMM_EBUSY);
    assert_non_null(strstr(f->err, "in use"));
    vmm_blk_file_close(&f->file);
    open_ok(f, ",ro");
    snprintf(f->err, sizeof(f->err), "%s,ro", f->path);
    assert_int_equal(vmm_blk_file_open(&f->other, f->err, NULL, 0), 0);
}

/* 100 pieces (more than one preadv batch), some empty, some splitting sectors. */
static void blk_file_transfers_scattered_buffers(void **state)
{
    struct fx *f = *state;
    static uint8_t out[BYTES], in[BYTES], now[BYTES];
    struct vmm_iov iov[100];
    size_t pos = 0;

    open_ok(f, "");
    for (size_t i = 0; i < sizeof(out); i++)
        out[i] = (uint8_t)(i * 31 + 7);
    for (unsigned i = 0; i < 100; i++) {
        size_t len = i % 5 == 0 ? 0 : (i % 2 ? 40 : 10);

        iov[i] = (struct vmm_iov){out + pos, len};
        pos += len;
    }
    pos -= iov[99].len;
    iov[99].len = 3072 - pos; /* 3 KiB in all */
    assert_int_equal(submit(f, VMM_BLK_WRITE, 4, 6, iov, 100, false), 0);
    assert_int_equal(f->last_status, 0);
    contents(f, now);
    memcpy(f->before + 4 * 512, out, 3072);
    assert_memory_equal(now, f->before, BYTES);
    for (unsigned i = 0; i < 100; i++)
        iov[i].base = in + ((uint8_t *)iov[i].base - out);
    assert_int_equal(submit(f, VMM_BLK_READ, 4, 6, iov, 100, false), 0);
    assert_memory_equal(in, out, 3072);
    assert_int_equal(f->file.reads, 1);
    assert_int_equal(f->file.writes, 1);
}

static void blk_file_refuses_requests_outside_the_image(void **state)
{
    struct fx *f = *state;
    uint8_t buf[1024] = {0};
    struct vmm_iov iov = {buf, sizeof(buf)}, odd = {buf, 100};

    open_ok(f, "");
    assert_int_equal(submit(f, VMM_BLK_WRITE, SECTORS - 1, 2, &iov, 1, false), -VMM_EINVAL);
    assert_int_equal(submit(f, VMM_BLK_WRITE, UINT64_MAX, 2, &iov, 1, false), -VMM_EINVAL);
    assert_int_equal(submit(f, VMM_BLK_WRITE, 0, 0, &odd, 1, false), -VMM_EINVAL);
    assert_int_equal(submit(f, VMM_BLK_DISCARD, SECTORS, 1, NULL, 0, false), -VMM_EINVAL);
    assert_int_equal(submit(f, VMM_BLK_WRITE_ZEROES, UINT64_MAX, 2, NULL, 0, false), -VMM_EINVAL);
    assert_int_equal(submit(f, (enum vmm_blk_op)99, 0, 0, NULL, 0, false), -VMM_EINVAL);
    assert_int_equal(f->completions, 0);
    assert_unchanged(f);
    assert_int_equal(submit(f, VMM_BLK_READ, SECTORS - 2, 2, &iov, 1, false), 0);
    assert_int_equal(f->last_status, 0);
}

static void blk_file_discard_and_write_zeroes_keep_the_size(void **state)
{
    struct fx *f = *state;
    uint8_t now[BYTES];
    struct stat st;

    open_ok(f, "");
    assert_int_equal(submit(f, VMM_BLK_DISCARD, 0, 8, NULL, 0, false), 0);
    assert_int_equal(submit(f, VMM_BLK_WRITE_ZEROES, 9, 2, NULL, 0, false), 0);
    assert_int_equal(submit(f, VMM_BLK_WRITE_ZEROES, SECTORS - 1, 1, NULL, 0, true), 0);
    assert_int_equal(f->last_status, 0);
    memset(f->before, 0, 8 * 512);
    memset(f->before + 9 * 512, 0, 2 * 512);
    memset(f->before + (SECTORS - 1) * 512, 0, 512);
    contents(f, now);
    assert_memory_equal(now, f->before, BYTES);
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_size, BYTES);
}

/* A child "VMM" writes, flushes and is killed; the data is in the file. */
static void blk_file_flushed_data_survives_a_killed_vmm(void **state)
{
    struct fx *f = *state;
    pid_t pid;
    int wstatus;
    uint8_t now[BYTES];

    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        uint8_t buf[512];
        struct vmm_iov iov = {buf, sizeof(buf)};

        memset(buf, 0xee, sizeof(buf));
        if (vmm_blk_file_open(&f->file, f->path, NULL, 0) < 0 ||
            submit(f, VMM_BLK_WRITE, 2, 1, &iov, 1, false) < 0 ||
            submit(f, VMM_BLK_FLUSH, 0, 0, NULL, 0, false) < 0 || f->last_status != 0 ||
            f->file.flushes != 1)
            _exit(1);
        kill(getpid(), SIGKILL);
        _exit(2);
    }
    assert_int_equal(waitpid(pid, &wstatus, 0), pid);
    assert_true(WIFSIGNALED(wstatus));
    assert_int_equal(WTERMSIG(wstatus), SIGKILL);
    contents(f, now);
    memset(f->before + 2 * 512, 0xee, 512);
    assert_memory_equal(now, f->before, BYTES);
}

int main(void)
{
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(blk_file_opens_rw_with_capacity),
        T(blk_file_ro_refuses_writes),
        T(blk_file_reports_missing_file_clearly),
        T(blk_file_refuses_bad_images),
        T(blk_file_keeps_other_commas_in_the_path),
        T(blk_file_locks_out_a_second_writer),
        T(blk_file_transfers_scattered_buffers),
        T(blk_file_refuses_requests_outside_the_image),
        T(blk_file_discard_and_write_zeroes_keep_the_size),
        T(blk_file_flushed_data_survives_a_killed_vmm),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
