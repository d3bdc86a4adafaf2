/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Host side of the e2e vsock check (static, runs next to stdvmm), speaking
 * the UNIX-socket convention of `stdvmm run --vsock cid=N,uds=PATH`:
 *   vsock-host listen PATH_P BYTES     accept the guest's connection to host
 *                                      port P (stdvmm connects to PATH_P)
 *   vsock-host connect PATH PORT BYTES connect to PATH, send "CONNECT PORT\n",
 *                                      expect "OK <n>\n", then exchange
 * Prints one result line (xfer_print) and exits 0 if the exchange ran.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "xfer.h"

#define TIMEOUT_MS 30000

static int usage(void)
{
    fprintf(stderr, "usage: vsock-host listen PATH BYTES | connect PATH PORT BYTES\n");
    return 2;
}

static struct sockaddr_un unix_addr(const char *path)
{
    struct sockaddr_un a;

    memset(&a, 0, sizeof(a));
    a.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(a.sun_path)) {
        fprintf(stderr, "path too long: %s\n", path);
        exit(2);
    }
    strcpy(a.sun_path, path);
    return a;
}

/* Read the answer to CONNECT, one byte at a time so no data is eaten. */
static int read_ok_line(int fd, unsigned port)
{
    char line[64];
    size_t n = 0;

    while (n < sizeof(line) - 1) {
        ssize_t got = read(fd, line + n, 1);

        if (got <= 0) {
            fprintf(stderr, "CONNECT %u: %s before the answer line\n", port,
                    got == 0 ? "end of file" : "read error");
            return -1;
        }
        if (line[n++] == '\n')
            break;
    }
    line[n] = '\0';
    if (strncmp(line, "OK ", 3) != 0 || line[n - 1] != '\n') {
        fprintf(stderr, "CONNECT %u: unexpected answer '%s'\n", port, line);
        return -1;
    }
    printf("vsock-host: CONNECT %u answered %s", port, line);
    return 0;
}

int main(int argc, char **argv)
{
    struct xfer_result r;
    struct sockaddr_un a;
    int fd;

    alarm(150);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) {
        perror("socket(AF_UNIX)");
        return 1;
    }
    if (argc == 4 && strcmp(argv[1], "listen") == 0) {
        a = unix_addr(argv[2]);
        unlink(argv[2]);
        if (xfer_accept_one(fd, (struct sockaddr *)&a, sizeof(a), xfer_parse_u64(argv[3], "bytes"),
                            TIMEOUT_MS, "vsock-host-accept") < 0)
            return 1;
        unlink(argv[2]);
    } else if (argc == 5 && strcmp(argv[1], "connect") == 0) {
        unsigned port = (unsigned)xfer_parse_u64(argv[3], "port");
        char cmd[32];
        int len = snprintf(cmd, sizeof(cmd), "CONNECT %u\n", port);

        a = unix_addr(argv[2]);
        if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
            perror("connect");
            return 1;
        }
        if (write(fd, cmd, (size_t)len) != len) {
            perror("write CONNECT");
            return 1;
        }
        if (read_ok_line(fd, port) < 0)
            return 1;
        if (xfer_run(fd, XFER_SEED_CONNECTOR, XFER_SEED_ACCEPTOR, xfer_parse_u64(argv[4], "bytes"),
                     TIMEOUT_MS, &r) < 0)
            return 1;
        xfer_print("vsock-host-connect", &r);
    } else {
        return usage();
    }
    close(fd);
    return 0;
}
