/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * TCP throughput over the tap link. The emulated machine runs `tcp-serve`
 * (a sink that reads until EOF and a source that writes until the peer
 * closes); the guest always connects, so no side waits for the other to
 * listen: `tcp-send` measures guest -> host, `tcp-recv` host -> guest, both
 * timed in the guest. `mktap` makes the persistent tap both VMMs attach to.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "benchtool.h"

#define NET_CHUNK (128u * 1024)

static char net_buf[NET_CHUNK];

static int net_listen(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 4) < 0) {
        fprintf(stderr, "benchtool: listen on %d: %s\n", port, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static void net_sink(int c)
{
    while (read(c, net_buf, sizeof(net_buf)) > 0)
        ;
}

static void net_source(int c)
{
    while (send(c, net_buf, sizeof(net_buf), MSG_NOSIGNAL) > 0)
        ;
}

/* Serve one connection at a time, forever (the outer script kills it). */
static int net_serve(int sink_port, int source_port)
{
    struct pollfd p[2];

    p[0].fd = net_listen(sink_port);
    p[1].fd = net_listen(source_port);
    if (p[0].fd < 0 || p[1].fd < 0)
        return 1;
    p[0].events = p[1].events = POLLIN;
    memset(net_buf, 0x5a, sizeof(net_buf));
    for (;;) {
        if (poll(p, 2, -1) < 0 && errno != EINTR)
            return 1;
        for (int i = 0; i < 2; i++) {
            int c;

            if (!(p[i].revents & POLLIN))
                continue;
            c = accept(p[i].fd, NULL, NULL);
            if (c < 0)
                continue;
            if (i == 0)
                net_sink(c);
            else
                net_source(c);
            close(c);
        }
    }
}

static int net_connect(const char *host, int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0 || inet_pton(AF_INET, host, &a.sin_addr) != 1 ||
        connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        fprintf(stderr, "benchtool: connect %s:%d: %s\n", host, port, strerror(errno));
        return -1;
    }
    return fd;
}

/* Guest -> host: write for @secs, then wait until the sink has read all. */
static int net_send(const char *host, int port, double secs)
{
    long long bytes = 0;
    double t0, t;
    int fd = net_connect(host, port);

    if (fd < 0)
        return 1;
    t0 = bt_now();
    do {
        ssize_t n = send(fd, net_buf, sizeof(net_buf), MSG_NOSIGNAL);
        if (n <= 0) {
            fprintf(stderr, "benchtool: send: %s\n", strerror(errno));
            return 1;
        }
        bytes += n;
    } while (bt_now() - t0 < secs);
    shutdown(fd, SHUT_WR);
    while (read(fd, net_buf, sizeof(net_buf)) > 0)
        ;
    t = bt_now() - t0;
    printf("BENCH-RESULT net_tx_mbs=%.2f\n", (double)bytes / 1e6 / t);
    close(fd);
    return 0;
}

/* Host -> guest: read for @secs. */
static int net_recv(const char *host, int port, double secs)
{
    long long bytes = 0;
    double t0, t;
    int fd = net_connect(host, port);

    if (fd < 0)
        return 1;
    t0 = bt_now();
    do {
        ssize_t n = read(fd, net_buf, sizeof(net_buf));
        if (n <= 0) {
            fprintf(stderr, "benchtool: read: %s\n", n < 0 ? strerror(errno) : "EOF");
            return 1;
        }
        bytes += n;
        t = bt_now() - t0;
    } while (t < secs);
    printf("BENCH-RESULT net_rx_mbs=%.2f\n", (double)bytes / 1e6 / t);
    close(fd);
    return 0;
}

static int net_mktap(const char *name)
{
    struct ifreq ifr;
    int fd = open("/dev/net/tun", O_RDWR);

    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
    if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETPERSIST, 1) < 0) {
        fprintf(stderr, "benchtool: mktap %s: %s\n", name, strerror(errno));
        return 1;
    }
    close(fd);
    return 0;
}

int bt_net(const char *what, int argc, char **argv)
{
    if (strcmp(what, "mktap") == 0 && argc == 1)
        return net_mktap(argv[0]);
    if (strcmp(what, "tcp-serve") == 0 && argc == 2)
        return net_serve(atoi(argv[0]), atoi(argv[1]));
    if (strcmp(what, "tcp-send") == 0 && argc == 3)
        return net_send(argv[0], atoi(argv[1]), atof(argv[2]));
    if (strcmp(what, "tcp-recv") == 0 && argc == 3)
        return net_recv(argv[0], atoi(argv[1]), atof(argv[2]));
    fprintf(stderr, "benchtool: bad arguments for %s\n", what);
    return 2;
}
