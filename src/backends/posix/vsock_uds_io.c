/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The vsock UNIX-socket backend's event-loop source: host sockets to and
 * from the device (see include/stdvmm/posix/net.h). Prepare and dispatch
 * run with the VM lock held; the loop's poll() without it.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "stdvmm/err.h"
#include "stdvmm/log.h"
#include "stdvmm/posix/net.h"
#include "vsock_uds_internal.h"

/* Write what the ring holds; false if the socket failed. */
static bool slot_flush(struct vmm_vsock_uds *u, struct vmm_vsock_uds_slot *s)
{
    while (s->out_len > 0) {
        size_t chunk = VMM_VSOCK_UDS_OUT - s->out_head;
        ssize_t n = send(s->fd, s->out + s->out_head, chunk < s->out_len ? chunk : s->out_len,
                         MSG_NOSIGNAL);
        size_t counted;

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0)
            return false;
        s->out_head = (s->out_head + (size_t)n) % VMM_VSOCK_UDS_OUT;
        s->out_len -= (size_t)n;
        counted = (size_t)n > s->out_uncounted ? (size_t)n - s->out_uncounted : 0;
        s->out_uncounted -= (size_t)n - counted;
        if (counted > 0 && s->conn >= 0)
            u->host.consumed(u->host.dev, (unsigned)s->conn, (uint32_t)counted);
    }
    if (s->out_len == 0 && s->guest_shut_send && s->state == VMM_VSOCK_UDS_OPEN)
        shutdown(s->fd, SHUT_WR);
    return true;
}

/* A host socket failed or ended for good: reset the guest side, close. */
static void slot_abort(struct vmm_vsock_uds *u, struct vmm_vsock_uds_slot *s)
{
    if (s->conn >= 0)
        u->host.reset(u->host.dev, (unsigned)s->conn);
    vmm_vsock_uds_slot_free(u, s);
}

/* "CONNECT <port>\n" from a host program. */
static void slot_read_command(struct vmm_vsock_uds *u, struct vmm_vsock_uds_slot *s)
{
    ssize_t n = read(s->fd, s->line + s->line_len, sizeof(s->line) - 1 - s->line_len);
    char *nl, *stop;
    unsigned long port;
    int conn;

    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0)
        goto fail;
    s->line_len += (size_t)n;
    s->line[s->line_len] = '\0';
    nl = strchr(s->line, '\n');
    if (nl == NULL) {
        if (s->line_len == sizeof(s->line) - 1)
            goto fail;
        return;
    }
    *nl = '\0';
    errno = 0;
    if (strncmp(s->line, "CONNECT ", 8) != 0 || s->line[8] < '0' || s->line[8] > '9')
        goto fail;
    port = strtoul(s->line + 8, &stop, 10);
    if (errno || (*stop != '\0' && *stop != '\r') || port > UINT32_MAX)
        goto fail;
    conn = u->host.connect(u->host.dev, (uint32_t)port, &s->host_port);
    if (conn < 0)
        goto fail;
    vmm_vsock_uds_slot_bind(u, s, conn);
    s->state = VMM_VSOCK_UDS_WAIT;
    /* Bytes after the line are already stream data for the guest. */
    s->in_len = s->line_len - (size_t)(nl + 1 - s->line);
    memcpy(s->in, nl + 1, s->in_len);
    return;
fail:
    vmm_vsock_uds_slot_free(u, s);
}

/* Move host data towards the guest; false if the slot went away. */
static bool slot_pump_in(struct vmm_vsock_uds *u, struct vmm_vsock_uds_slot *s, bool readable)
{
    unsigned conn = (unsigned)s->conn;

    if (readable && s->in_len == 0 && !s->host_eof) {
        ssize_t n = read(s->fd, s->in, VMM_VSOCK_UDS_IN);

        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
            s->host_eof = true;
        else if (n > 0)
            s->in_off = 0, s->in_len = (size_t)n;
    }
    while (s->in_len > 0) {
        long took = u->host.send(u->host.dev, conn, s->in + s->in_off, s->in_len);

        if (took == -VMM_EAGAIN)
            return true; /* rx_ready wakes us */
        if (took <= 0) { /* the guest stopped receiving: nobody will read it */
            s->in_len = 0;
            break;
        }
        s->in_off += (size_t)took;
        s->in_len -= (size_t)took;
    }
    if (s->host_eof && !s->shut_sent) {
        s->shut_sent = true;
        u->host.shutdown(u->host.dev, conn, VMM_VSOCK_SHUTDOWN_SEND);
    }
    return true;
}

static void slot_event(struct vmm_vsock_uds *u, struct vmm_vsock_uds_slot *s, short rev)
{
    bool readable = rev & (POLLIN | POLLHUP | POLLERR);

    switch (s->state) {
    case VMM_VSOCK_UDS_CMD:
        if (readable)
            slot_read_command(u, s);
        break;
    case VMM_VSOCK_UDS_WAIT:
        if (rev & (POLLHUP | POLLERR)) /* the host program gave up */
            slot_abort(u, s);
        break;
    case VMM_VSOCK_UDS_OPEN:
        if (!slot_flush(u, s)) {
            slot_abort(u, s);
            break;
        }
        if (!s->guest_shut_rcv)
            slot_pump_in(u, s, readable);
        break;
    case VMM_VSOCK_UDS_DRAINING:
        if (!slot_flush(u, s) || s->out_len == 0)
            vmm_vsock_uds_slot_free(u, s);
        break;
    default:
        break;
    }
}

static void uds_accept(struct vmm_vsock_uds *u)
{
    int fd = accept4(u->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

    if (fd < 0)
        return;
    if (vmm_vsock_uds_slot_alloc(u, fd, VMM_VSOCK_UDS_CMD) == NULL) {
        vmm_warn("vsock: %s: too many connections, one refused", u->path);
        close(fd);
    }
}

static short slot_events(const struct vmm_vsock_uds_slot *s)
{
    short ev = 0;

    if (s->state == VMM_VSOCK_UDS_CMD)
        ev = POLLIN;
    if (s->state == VMM_VSOCK_UDS_OPEN && s->in_len == 0 && !s->host_eof && !s->guest_shut_rcv)
        ev |= POLLIN;
    if (s->out_len > 0)
        ev |= POLLOUT;
    return ev;
}

/* A connected socket we want nothing from is left out of poll(): a hung-up
 * fd would report POLLHUP forever while data still waits for the guest.
 * The wake fd (rx_ready, new guest data) brings it back. */
static int slot_fd_to_poll(const struct vmm_vsock_uds_slot *s)
{
    if (s->state == VMM_VSOCK_UDS_OPEN && slot_events(s) == 0)
        return -1;
    return s->fd;
}

static unsigned uds_prepare(struct vmm_loop_source *src, struct pollfd *pfd, unsigned max,
                            int *timeout_ms)
{
    struct vmm_vsock_uds *u = src->ctx;
    unsigned n = 0;

    (void)timeout_ms;
    if (max == 0)
        return 0;
    vmm_vsock_uds_lock(u);
    pfd[n++] = (struct pollfd){.fd = u->listen_fd, .events = POLLIN};
    u->nr_poll = 0;
    for (unsigned i = 0; i < VMM_VSOCK_UDS_SLOTS && n < max; i++) {
        if (u->slots[i].state == VMM_VSOCK_UDS_FREE)
            continue;
        u->poll_gen[u->nr_poll] = u->slots[i].gen;
        u->poll_slot[u->nr_poll++] = (int)i;
        pfd[n++] = (struct pollfd){.fd = slot_fd_to_poll(&u->slots[i]),
                                   .events = slot_events(&u->slots[i])};
    }
    vmm_vsock_uds_unlock(u);
    return n;
}

/* Every live slot gets a turn: a wake may mean the guest has room again. */
static void uds_dispatch(struct vmm_loop_source *src, const struct pollfd *pfd, unsigned n,
                         bool woken)
{
    struct vmm_vsock_uds *u = src->ctx;
    short rev[VMM_VSOCK_UDS_SLOTS] = {0};

    (void)woken;
    vmm_vsock_uds_lock(u);
    /* A slot freed and reused since prepare must not get the old socket's
     * events: the new socket usually has the same fd number, so compare
     * the slot's use, not its fd. */
    for (unsigned i = 0; i + 1 < n && i < u->nr_poll; i++) {
        const struct vmm_vsock_uds_slot *s = &u->slots[u->poll_slot[i]];

        if (s->state != VMM_VSOCK_UDS_FREE && s->gen == u->poll_gen[i])
            rev[u->poll_slot[i]] = pfd[1 + i].revents;
    }
    if (n > 0 && (pfd[0].revents & POLLIN))
        uds_accept(u);
    for (unsigned i = 0; i < VMM_VSOCK_UDS_SLOTS; i++) {
        if (u->slots[i].state != VMM_VSOCK_UDS_FREE)
            slot_event(u, &u->slots[i], rev[i]);
    }
    vmm_vsock_uds_unlock(u);
}

const struct vmm_loop_source_ops vmm_vsock_uds_source_ops = {
    .prepare = uds_prepare,
    .dispatch = uds_dispatch,
};
