/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Guest side of the e2e vsock check (static, runs in the stdvmm guest):
 *   vsock-guest connect CID PORT BYTES   connect to CID:PORT, exchange BYTES
 *   vsock-guest listen PORT BYTES        accept one connection, exchange BYTES
 * Prints one result line (xfer_print) and exits 0 if the exchange ran.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/vm_sockets.h>
#include "xfer.h"

#define TIMEOUT_MS 30000

static int usage(void)
{
    fprintf(stderr, "usage: vsock-guest connect CID PORT BYTES | listen PORT BYTES\n");
    return 2;
}

static struct sockaddr_vm vm_addr(unsigned cid, unsigned port)
{
    struct sockaddr_vm a;

    memset(&a, 0, sizeof(a));
    a.svm_family = AF_VSOCK;
    a.svm_cid = cid;
    a.svm_port = port;
    return a;
}

int main(int argc, char **argv)
{
    struct xfer_result r;
    struct sockaddr_vm a;
    int fd;

    alarm(150); /* a hung peer must not hang the guest */
    fd = socket(AF_VSOCK, SOCK_STREAM, 0);
    if (fd < 0) {
        perror("socket(AF_VSOCK)");
        return 1;
    }
    if (argc == 5 && strcmp(argv[1], "connect") == 0) {
        a = vm_addr((unsigned)xfer_parse_u64(argv[2], "cid"),
                    (unsigned)xfer_parse_u64(argv[3], "port"));
        if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
            perror("connect");
            return 1;
        }
        if (xfer_run(fd, XFER_SEED_CONNECTOR, XFER_SEED_ACCEPTOR, xfer_parse_u64(argv[4], "bytes"),
                     TIMEOUT_MS, &r) < 0)
            return 1;
        xfer_print("vsock-guest-connect", &r);
    } else if (argc == 4 && strcmp(argv[1], "listen") == 0) {
        a = vm_addr(VMADDR_CID_ANY, (unsigned)xfer_parse_u64(argv[2], "port"));
        if (xfer_accept_one(fd, (struct sockaddr *)&a, sizeof(a), xfer_parse_u64(argv[3], "bytes"),
                            TIMEOUT_MS, "vsock-guest-accept") < 0)
            return 1;
    } else {
        return usage();
    }
    close(fd);
    return 0;
}
