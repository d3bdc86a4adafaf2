/* SPDX-License-Identifier: BSD-2-Clause */
/* The e2e vsock exchange (see xfer.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "xfer.h"

#define XFER_CHUNK 16384
#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

/* xorshift64*: one byte at a time is slow enough to not matter here. */
struct xfer_gen {
    uint64_t state;
    uint64_t word;
    unsigned left; /* bytes of word not yet used */
};

static void gen_init(struct xfer_gen *g, uint64_t seed)
{
    g->state = seed ? seed : 1;
    g->left = 0;
}

static uint8_t gen_byte(struct xfer_gen *g)
{
    uint8_t b;

    if (g->left == 0) {
        g->state ^= g->state >> 12;
        g->state ^= g->state << 25;
        g->state ^= g->state >> 27;
        g->word = g->state * 0x2545f4914f6cdd1dull;
        g->left = 8;
    }
    b = (uint8_t)g->word;
    g->word >>= 8;
    g->left--;
    return b;
}

static uint64_t fnv(uint64_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * FNV_PRIME;
    return h;
}

int xfer_run(int fd, uint64_t tx_seed, uint64_t rx_seed, uint64_t bytes, int timeout_ms,
             struct xfer_result *r)
{
    static uint8_t txbuf[XFER_CHUNK], rxbuf[XFER_CHUNK];
    struct xfer_gen tx, rx;
    size_t tx_off = 0, tx_len = 0;
    int shut = 0, eof = 0;

    memset(r, 0, sizeof(*r));
    r->tx_sum = r->rx_sum = FNV_OFFSET;
    r->rx_ok = 1;
    gen_init(&tx, tx_seed);
    gen_init(&rx, rx_seed);
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
        perror("fcntl");
        return -1;
    }
    while (!shut || !eof) {
        struct pollfd p = {.fd = fd, .events = (short)((shut ? 0 : POLLOUT) | (eof ? 0 : POLLIN))};
        int n = poll(&p, 1, timeout_ms);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fprintf(stderr, "xfer: %s after %" PRIu64 " bytes sent, %" PRIu64 " received\n",
                    n == 0 ? "timeout" : strerror(errno), r->tx_bytes, r->rx_bytes);
            return -1;
        }
        if (!eof && (p.revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t got = read(fd, rxbuf, sizeof(rxbuf));

            if (got < 0 && errno != EAGAIN && errno != EINTR) {
                perror("xfer: read");
                return -1;
            }
            if (got == 0)
                eof = 1;
            for (ssize_t i = 0; i < got; i++)
                if (rxbuf[i] != gen_byte(&rx))
                    r->rx_ok = 0;
            if (got > 0) {
                r->rx_sum = fnv(r->rx_sum, rxbuf, (size_t)got);
                r->rx_bytes += (uint64_t)got;
            }
        }
        if (!shut && (p.revents & (POLLOUT | POLLERR))) {
            if (tx_off == tx_len) {
                uint64_t left = bytes - r->tx_bytes;
                tx_len = left < XFER_CHUNK ? (size_t)left : XFER_CHUNK;
                for (size_t i = 0; i < tx_len; i++)
                    txbuf[i] = gen_byte(&tx);
                tx_off = 0;
            }
            if (tx_len > 0) {
                ssize_t put = send(fd, txbuf + tx_off, tx_len - tx_off, MSG_NOSIGNAL);

                if (put < 0 && errno != EAGAIN && errno != EINTR) {
                    perror("xfer: send");
                    return -1;
                }
                if (put > 0) {
                    r->tx_sum = fnv(r->tx_sum, txbuf + tx_off, (size_t)put);
                    r->tx_bytes += (uint64_t)put;
                    tx_off += (size_t)put;
                }
            }
            if (r->tx_bytes == bytes && tx_off == tx_len) {
                if (shutdown(fd, SHUT_WR) < 0) {
                    perror("xfer: shutdown");
                    return -1;
                }
                shut = 1;
            }
        }
    }
    if (r->rx_bytes != bytes)
        r->rx_ok = 0;
    return 0;
}

void xfer_print(const char *who, const struct xfer_result *r)
{
    printf("%s: tx_bytes=%" PRIu64 " tx_sum=%016" PRIx64 " rx_bytes=%" PRIu64 " rx_sum=%016" PRIx64
           " rx_ok=%d\n",
           who, r->tx_bytes, r->tx_sum, r->rx_bytes, r->rx_sum, r->rx_ok);
    fflush(stdout);
}

uint64_t xfer_parse_u64(const char *s, const char *what)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || *s == '\0' || *end != '\0' || *s == '-') {
        fprintf(stderr, "bad %s '%s'\n", what, s);
        exit(2);
    }
    return v;
}

int xfer_accept_one(int fd, const struct sockaddr *addr, socklen_t addr_len, uint64_t bytes,
                    int timeout_ms, const char *who)
{
    struct xfer_result r;
    int conn, ret;

    if (bind(fd, addr, addr_len) < 0 || listen(fd, 1) < 0) {
        perror("bind/listen");
        return -1;
    }
    conn = accept(fd, NULL, NULL);
    if (conn < 0) {
        perror("accept");
        return -1;
    }
    ret = xfer_run(conn, XFER_SEED_ACCEPTOR, XFER_SEED_CONNECTOR, bytes, timeout_ms, &r);
    if (ret == 0)
        xfer_print(who, &r);
    close(conn);
    return ret;
}
