/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The exchange both e2e vsock programs run over a connected stream socket:
 * each side sends @bytes of a pseudo-random stream from its own seed, shuts
 * down writing, and reads the peer's stream until end of file, checking
 * every byte against the peer's seed. Both directions run at once (poll),
 * so neither side can block the other on full buffers.
 */
#ifndef E2E_VSOCK_XFER_H
#define E2E_VSOCK_XFER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define XFER_SEED_CONNECTOR 0x636f6e6e6563746full /* the side that connected */
#define XFER_SEED_ACCEPTOR 0x6163636570746f72ull  /* the side that accepted */

struct xfer_result {
    uint64_t tx_bytes, rx_bytes;
    uint64_t tx_sum, rx_sum; /* FNV-1a 64 of the bytes sent / received */
    int rx_ok;               /* every received byte was the expected one, and @bytes of them */
};

/* Run the exchange on @fd (made non-blocking); each poll waits at most
 * @timeout_ms. Returns 0, or -1 with a message on stderr. */
int xfer_run(int fd, uint64_t tx_seed, uint64_t rx_seed, uint64_t bytes, int timeout_ms,
             struct xfer_result *r);

/* Bind @fd to @addr, listen, accept one connection and run the exchange
 * as the accepting side, printing the result as @who. Returns 0, or -1 with
 * a message on stderr. */
int xfer_accept_one(int fd, const struct sockaddr *addr, socklen_t addr_len, uint64_t bytes,
                    int timeout_ms, const char *who);

/* One line: "tx_bytes=N tx_sum=H rx_bytes=N rx_sum=H rx_ok=0|1". */
void xfer_print(const char *who, const struct xfer_result *r);

/* Parse a decimal byte count; exits with a message if malformed. */
uint64_t xfer_parse_u64(const char *s, const char *what);

#endif
