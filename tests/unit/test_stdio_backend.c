/* SPDX-License-Identifier: BSD-2-Clause */
/* The stdio stream backend (src/backends/posix/stdio.c) over pipes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "stdvmm/posix/backends.h"

/* A console device that takes at most `room` bytes until rx_ready. */
struct fake_dev {
    pthread_mutex_t *lock;
    uint8_t got[512];
    size_t got_len;
    size_t room;
    unsigned calls;
    int lock_held_ok; /* every call came with the lock held */
};

static size_t fake_rx(void *opaque, const uint8_t *buf, size_t len)
{
    struct fake_dev *d = opaque;
    size_t n = len < d->room ? len : d->room;

    /* trylock fails (EBUSY) only if someone, i.e. the backend, holds it */
    if (pthread_mutex_trylock(d->lock) == 0) {
        pthread_mutex_unlock(d->lock);
        d->lock_held_ok = 0;
    }
    if (n > sizeof(d->got) - d->got_len)
        n = sizeof(d->got) - d->got_len;
    memcpy(d->got + d->got_len, buf, n);
    d->got_len += n;
    d->room -= n;
    d->calls++;
    return n;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Wait (bounded) until the device holds @want bytes. */
static size_t wait_for_bytes(pthread_mutex_t *lock, struct fake_dev *d, size_t want)
{
    size_t have = 0;

    for (int i = 0; i < 200; i++) {
        pthread_mutex_lock(lock);
        have = d->got_len;
        pthread_mutex_unlock(lock);
        if (have >= want)
            break;
        sleep_ms(10);
    }
    return have;
}

static void stdio_filter_quits_on_ctrl_a_x(void **state)
{
    struct vmm_stdio_escape esc = {0};
    const uint8_t in[] = {'a', VMM_STDIO_CTRL_A, 'x', 'b'};
    uint8_t out[8];
    bool quit = false, help = false;
    (void)state;

    size_t n = vmm_stdio_filter(&esc, in, sizeof(in), out, &quit, &help);
    assert_true(quit);
    assert_false(help);
    assert_int_equal(n, 2);
    assert_memory_equal(out, "ab", 2);
}

static void stdio_filter_sends_literal_ctrl_a_and_passes_unknown_commands(void **state)
{
    struct vmm_stdio_escape esc = {0};
    const uint8_t in[] = {VMM_STDIO_CTRL_A, 'a', VMM_STDIO_CTRL_A, VMM_STDIO_CTRL_A,
                          VMM_STDIO_CTRL_A, 'z'};
    const uint8_t want[] = {VMM_STDIO_CTRL_A, VMM_STDIO_CTRL_A, VMM_STDIO_CTRL_A, 'z'};
    uint8_t out[12];
    bool quit = false, help = false;
    (void)state;

    size_t n = vmm_stdio_filter(&esc, in, sizeof(in), out, &quit, &help);
    assert_false(quit);
    assert_int_equal(n, sizeof(want));
    assert_memory_equal(out, want, sizeof(want));
}

static void stdio_filter_keeps_a_command_split_across_reads(void **state)
{
    struct vmm_stdio_escape esc = {0};
    const uint8_t first[] = {'q', VMM_STDIO_CTRL_A}, second[] = {'h'};
    uint8_t out[8];
    bool quit = false, help = false;
    (void)state;

    assert_int_equal(vmm_stdio_filter(&esc, first, sizeof(first), out, &quit, &help), 1);
    assert_true(esc.armed);
    assert_int_equal(vmm_stdio_filter(&esc, second, sizeof(second), out, &quit, &help), 0);
    assert_true(help);
    assert_false(quit);
}

static void stdio_writes_device_output_to_out_fd(void **state)
{
    struct vmm_stdio s;
    int out[2];
    char buf[32] = {0};
    (void)state;

    assert_int_equal(pipe(out), 0);
    assert_int_equal(vmm_stdio_init(&s, -1, out[1]), 0);
    /* queued before start, written once the output thread runs */
    assert_int_equal(s.backend.write(s.backend.ctx, (const uint8_t *)"hel", 3), 3);
    assert_int_equal(vmm_stdio_start(&s, NULL), 0);
    assert_int_equal(s.backend.write(s.backend.ctx, (const uint8_t *)"lo\r\n", 4), 4);
    assert_true(vmm_stdio_flush(&s, 2000));
    assert_int_equal(read(out[0], buf, sizeof(buf)), 7);
    assert_string_equal(buf, "hello\r\n");
    vmm_stdio_stop(&s);
    assert_int_equal(s.out_dropped, 0);
    close(out[0]);
    close(out[1]);
}

static void stdio_reports_an_output_error(void **state)
{
    struct vmm_stdio s;
    int out[2];
    (void)state;

    assert_int_equal(pipe(out), 0);
    close(out[0]); /* EPIPE (SIGPIPE ignored below) */
    signal(SIGPIPE, SIG_IGN);
    assert_int_equal(vmm_stdio_init(&s, -1, out[1]), 0);
    assert_int_equal(vmm_stdio_start(&s, NULL), 0);
    assert_int_equal(s.backend.write(s.backend.ctx, (const uint8_t *)"x", 1), 1);
    assert_true(vmm_stdio_flush(&s, 2000)); /* the thread met EPIPE */
    assert_true(s.backend.write(s.backend.ctx, (const uint8_t *)"y", 1) < 0);
    vmm_stdio_stop(&s);
    assert_int_equal(s.out_dropped, 2);
    close(out[1]);
}

static long elapsed_ms(const struct timespec *t0)
{
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

#define FLOOD_BYTES (1024 * 1024)

struct flood {
    struct vmm_stdio *s;
    size_t taken;
    atomic_bool done;
};

/* What a guest flooding the console does: 1 MiB, a piece at a time. */
static void *flood_thread(void *arg)
{
    struct flood *f = arg;
    uint8_t piece[1024];

    memset(piece, 'g', sizeof(piece));
    for (size_t off = 0; off < FLOOD_BYTES; off += sizeof(piece)) {
        long n = f->s->backend.write(f->s->backend.ctx, piece, sizeof(piece));
        if (n > 0)
            f->taken += (size_t)n;
    }
    atomic_store(&f->done, true);
    return NULL;
}

/* Issue 10, point 2: stdout is a pipe nobody reads. The device's write()
 * (a vCPU, under the VM lock) must return at once, whatever the pipe does;
 * what does not fit is dropped and counted, and stop ends in bounded time. */
static void stdio_output_never_blocks_on_a_stalled_reader(void **state)
{
    struct vmm_stdio s;
    struct flood f = {.s = &s};
    struct timespec t0;
    pthread_t t;
    int out[2];
    size_t in_pipe = 0;
    char buf[4096];
    ssize_t n;
    (void)state;

    assert_int_equal(pipe(out), 0);
    assert_int_equal(vmm_stdio_init(&s, -1, out[1]), 0);
    assert_int_equal(vmm_stdio_start(&s, NULL), 0);
    atomic_init(&f.done, false);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(pthread_create(&t, NULL, flood_thread, &f), 0);
    while (!atomic_load(&f.done) && elapsed_ms(&t0) < 3000)
        sleep_ms(10);
    /* With a blocking write the flood stalls once the pipe is full: fail
     * here rather than hang (the stuck thread dies with the test). */
    assert_true(atomic_load(&f.done));
    pthread_join(t, NULL);
    assert_true(f.taken < FLOOD_BYTES);
    assert_true(f.taken >= VMM_CONSOLE_RING);

    clock_gettime(CLOCK_MONOTONIC, &t0);
    vmm_stdio_stop(&s);
    assert_true(elapsed_ms(&t0) < 2000);
    /* Every byte was either written or counted as dropped. */
    fcntl(out[0], F_SETFL, O_NONBLOCK);
    while ((n = read(out[0], buf, sizeof(buf))) > 0)
        in_pipe += (size_t)n;
    assert_true(in_pipe > 0);
    assert_int_equal(in_pipe + s.out_dropped, FLOOD_BYTES);
    close(out[0]);
    close(out[1]);
}

/* The pipe reader comes back: what was queued arrives, in order. */
static void stdio_output_resumes_when_the_reader_does(void **state)
{
    struct vmm_stdio s;
    int out[2];
    uint8_t piece[256], got[256 * 64];
    size_t have = 0;
    struct timespec t0;
    (void)state;

    assert_int_equal(pipe(out), 0);
    assert_int_equal(vmm_stdio_init(&s, -1, out[1]), 0);
    assert_int_equal(vmm_stdio_start(&s, NULL), 0);
    for (unsigned i = 0; i < 64; i++) {
        memset(piece, 'A' + (int)(i % 26), sizeof(piece));
        assert_int_equal(s.backend.write(s.backend.ctx, piece, sizeof(piece)), sizeof(piece));
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (have < sizeof(got) && elapsed_ms(&t0) < 3000) {
        ssize_t n = read(out[0], got + have, sizeof(got) - have);
        if (n > 0)
            have += (size_t)n;
    }
    assert_int_equal(have, sizeof(got));
    for (unsigned i = 0; i < 64; i++)
        assert_int_equal(got[i * 256 + 255], 'A' + (int)(i % 26));
    vmm_stdio_stop(&s);
    assert_int_equal(s.out_dropped, 0);
    close(out[0]);
    close(out[1]);
}

/* Sanitising mode: escapes and fake VMM lines do not reach the reader. */
static void stdio_sanitises_output_when_asked(void **state)
{
    static const char in[] = "ok\x1b[2J\nstdvmm: fake\n";
    static const char want[] = "ok\\x1b[2J\n\\x73tdvmm: fake\n";
    struct vmm_stdio s;
    int out[2];
    char buf[64] = {0};
    (void)state;

    assert_int_equal(pipe(out), 0);
    assert_int_equal(vmm_stdio_init(&s, -1, out[1]), 0);
    vmm_stdio_set_sanitize(&s, true);
    assert_int_equal(vmm_stdio_start(&s, NULL), 0);
    assert_int_equal(s.backend.write(s.backend.ctx, (const uint8_t *)in, sizeof(in) - 1),
                     sizeof(in) - 1);
    assert_true(vmm_stdio_flush(&s, 2000));
    assert_int_equal(read(out[0], buf, sizeof(buf)), sizeof(want) - 1);
    assert_string_equal(buf, want);
    vmm_stdio_stop(&s);
    close(out[0]);
    close(out[1]);
}

/* Input the device has no room for is kept and delivered after rx_ready,
 * in order, under the lock; a pipe is not a terminal, so Ctrl-A passes. */
static void stdio_keeps_input_until_the_device_has_room(void **state)
{
    static const char msg[] = "hello, guest \x01x!";
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    struct fake_dev dev = {.lock = &lock, .room = 4, .lock_held_ok = 1};
    struct vmm_stdio s;
    struct vmm_loop loop;
    int in[2];
    (void)state;

    assert_int_equal(pipe(in), 0);
    assert_int_equal(vmm_stdio_init(&s, in[0], -1), 0);
    vmm_stdio_set_input(&s, fake_rx, &dev, &lock);
    assert_int_equal(vmm_loop_init(&loop), 0);
    assert_int_equal(vmm_stdio_start(&s, &loop), 0);
    assert_int_equal(vmm_loop_start(&loop), 0);
    assert_false(s.tty);
    assert_int_equal(write(in[1], msg, sizeof(msg) - 1), (ssize_t)sizeof(msg) - 1);

    assert_int_equal(wait_for_bytes(&lock, &dev, 4), 4);
    sleep_ms(50);
    pthread_mutex_lock(&lock);
    assert_int_equal(dev.got_len, 4); /* nothing beyond the room offered */
    dev.room = 100;
    s.backend.rx_ready(s.backend.ctx); /* as the device would, under the lock */
    pthread_mutex_unlock(&lock);

    assert_int_equal(wait_for_bytes(&lock, &dev, sizeof(msg) - 1), sizeof(msg) - 1);
    assert_memory_equal(dev.got, msg, sizeof(msg) - 1);
    assert_int_equal(dev.lock_held_ok, 1);
    vmm_stdio_stop(&s);
    vmm_loop_close(&loop);
    close(in[0]);
    close(in[1]);
}

/* A closed stdin (poll says POLLNVAL every round) ends input instead of
 * spinning the event loop. */
static void stdio_closed_stdin_ends_input(void **state)
{
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    struct fake_dev dev = {.lock = &lock, .room = 16, .lock_held_ok = 1};
    struct vmm_stdio s;
    struct vmm_loop loop;
    int closed_fd = 1000;
    bool eof = false;
    (void)state;

    assert_int_equal(vmm_loop_init(&loop), 0);
    assert_int_equal(fcntl(closed_fd, F_GETFD), -1); /* not open in this process */
    assert_int_equal(vmm_stdio_init(&s, closed_fd, -1), 0);
    vmm_stdio_set_input(&s, fake_rx, &dev, &lock);
    assert_int_equal(vmm_stdio_start(&s, &loop), 0);
    assert_int_equal(vmm_loop_start(&loop), 0);
    for (int i = 0; i < 100 && !eof; i++) {
        sleep_ms(10);
        pthread_mutex_lock(&lock);
        eof = s.eof;
        pthread_mutex_unlock(&lock);
    }
    assert_true(eof);
    vmm_stdio_stop(&s);
    vmm_loop_close(&loop);
}

/* End of input stops input only after what was read is delivered. */
static void stdio_input_ends_at_eof_after_delivering_everything(void **state)
{
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    struct fake_dev dev = {.lock = &lock, .room = 2, .lock_held_ok = 1};
    struct vmm_stdio s;
    struct vmm_loop loop;
    int in[2];
    (void)state;

    assert_int_equal(pipe(in), 0);
    assert_int_equal(vmm_stdio_init(&s, in[0], -1), 0);
    vmm_stdio_set_input(&s, fake_rx, &dev, &lock);
    assert_int_equal(write(in[1], "abcdef", 6), 6);
    close(in[1]);
    assert_int_equal(vmm_loop_init(&loop), 0);
    assert_int_equal(vmm_stdio_start(&s, &loop), 0);
    assert_int_equal(vmm_loop_start(&loop), 0);
    assert_int_equal(wait_for_bytes(&lock, &dev, 2), 2);
    pthread_mutex_lock(&lock);
    dev.room = 10; /* no rx_ready: the periodic retry must still deliver */
    pthread_mutex_unlock(&lock);
    assert_int_equal(wait_for_bytes(&lock, &dev, 6), 6);
    assert_memory_equal(dev.got, "abcdef", 6);
    vmm_stdio_stop(&s);
    vmm_loop_close(&loop);
    close(in[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stdio_filter_quits_on_ctrl_a_x),
        cmocka_unit_test(stdio_filter_sends_literal_ctrl_a_and_passes_unknown_commands),
        cmocka_unit_test(stdio_filter_keeps_a_command_split_across_reads),
        cmocka_unit_test(stdio_writes_device_output_to_out_fd),
        cmocka_unit_test(stdio_reports_an_output_error),
        cmocka_unit_test(stdio_output_never_blocks_on_a_stalled_reader),
        cmocka_unit_test(stdio_output_resumes_when_the_reader_does),
        cmocka_unit_test(stdio_sanitises_output_when_asked),
        cmocka_unit_test(stdio_keeps_input_until_the_device_has_room),
        cmocka_unit_test(stdio_input_ends_at_eof_after_delivering_everything),
        cmocka_unit_test(stdio_closed_stdin_ends_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
