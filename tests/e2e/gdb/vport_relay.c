/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A byte relay for the e2e gdb-multiarch check, run in the emulated machine:
 * between a virtio-serial port (whose other end is a UNIX socket on the
 * build host, where Debian's gdb-multiarch connects) and the UNIX socket of
 * `stdvmm run --gdb PATH`. Waits up to SECS for the host to connect and send
 * (a host-side port that is not connected polls as POLLHUP), then connects
 * to PATH and copies both ways until either side closes or SECS pass.
 * (virtio_console: a port whose host end is not connected polls as
 * POLLIN | POLLHUP and reads return 0.)
 * Usage: vport-relay PORT_DEV PATH SECS. Exit status 0 if bytes went both
 * ways and one side closed (not the time limit, not an error).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Write all of buf to fd (blocking); 0 or -1. */
static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

static int connect_to(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int s = socket(AF_UNIX, SOCK_STREAM, 0);

    if (strlen(path) >= sizeof(sa.sun_path))
        return -1;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        printf("RELAY: connect %s: %s\n", path, strerror(errno));
        return -1;
    }
    return s;
}

int main(int argc, char **argv)
{
    static char buf[4096];
    long deadline, to_stub = 0, to_host = 0;
    int port, stub = -1, closed = 0; /* 1 the host, 2 the stub */

    if (argc != 4) {
        fprintf(stderr, "usage: vport-relay PORT_DEV PATH SECS\n");
        return 2;
    }
    deadline = now_ms() + atol(argv[3]) * 1000;
    port = open(argv[1], O_RDWR | O_CLOEXEC);
    if (port < 0) {
        printf("RELAY: open %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    /* The host end: wait until it is connected and has sent something. */
    for (;;) {
        struct pollfd p = {.fd = port, .events = POLLIN};

        if (now_ms() > deadline) {
            printf("RELAY: the host did not connect in %s s\n", argv[3]);
            return 1;
        }
        /* Not connected: POLLHUP (with POLLIN, as a read returns 0). */
        if (poll(&p, 1, 100) > 0 && (p.revents & POLLIN) && !(p.revents & POLLHUP))
            break;
        if (p.revents & POLLHUP)
            usleep(100 * 1000);
    }
    stub = connect_to(argv[2]);
    if (stub < 0)
        return 1;
    printf("RELAY: host connected, relaying to %s\n", argv[2]);
    fflush(stdout);
    while (now_ms() < deadline) {
        struct pollfd p[2] = {{.fd = port, .events = POLLIN}, {.fd = stub, .events = POLLIN}};
        ssize_t n;

        if (poll(p, 2, 200) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            n = read(port, buf, sizeof(buf));
            if (n <= 0) {
                closed = 1;
                break;
            }
            if (write_all(stub, buf, (size_t)n) < 0)
                break;
            to_stub += n;
        }
        if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            n = read(stub, buf, sizeof(buf));
            if (n <= 0) {
                closed = 2; /* the stub closes after a detach */
                break;
            }
            if (write_all(port, buf, (size_t)n) < 0)
                break;
            to_host += n;
        }
    }
    printf("RELAY: %ld bytes to the stub, %ld to the host, %s\n", to_stub, to_host,
           closed == 1   ? "the host closed"
           : closed == 2 ? "the stub closed"
                         : "stopped before either side closed");
    close(stub);
    close(port);
    return closed != 0 && to_stub > 0 && to_host > 0 ? 0 : 1;
}
