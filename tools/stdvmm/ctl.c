/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `stdvmm ctl`: the control API's client (docs/API.md). Sends one request
 * line to the socket of `stdvmm run --api-sock PATH`, reads the one reply
 * line and prints it: as is with --json, else as indented "key: value"
 * lines. Exit status 0 when the reply says "ok":true, 1 when it is an error
 * reply or the socket cannot be reached, 2 on a usage error.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "config.h"
#include "ctl.h"
#include "stdvmm/api.h"

#define CTL_REPLY_MAX 65536
#define CTL_WAIT_MS 10000

static const char ctl_help[] =
    "Usage: stdvmm ctl [--json] PATH COMMAND [--timeout MS]\n"
    "       stdvmm ctl --raw PATH LINE     send LINE as it is (testing)\n"
    "\n"
    "Talk to a running 'stdvmm run --api-sock PATH' (docs/API.md). COMMAND:\n"
    "  info       state, vCPUs, RAM, devices and their options, uptime\n"
    "  pause      stop every vCPU (the guest's clocks keep counting)\n"
    "  resume     let them run again\n"
    "  reboot     reset the machine and boot the guest again\n"
    "  shutdown   press the power button; stop the VM if the guest has not\n"
    "             powered off after MS milliseconds (default 30000)\n"
    "  stop       stop the VM now (stdvmm exits 0)\n"
    "  counters   per device: requests, bytes, errors, notifications,\n"
    "             interrupts; per vCPU: exits by kind\n"
    "--json prints the reply line as received. Exit status: 0 ok, 1 an error\n"
    "reply or no connection, 2 usage error.\n";

/* ------------------------------------------------------ human output */

struct ctl_pp {
    const char *p, *end;
    FILE *out;
};

static void ctl_pp_ws(struct ctl_pp *pp)
{
    while (pp->p < pp->end && (*pp->p == ' ' || *pp->p == '\t'))
        pp->p++;
}

/* A string token, printed without quotes and with escapes resolved. */
static void ctl_pp_string(struct ctl_pp *pp)
{
    pp->p++; /* the quote */
    while (pp->p < pp->end && *pp->p != '"') {
        char c = *pp->p++;

        if (c == '\\' && pp->p < pp->end) {
            c = *pp->p++;
            if (c == 'u' && pp->end - pp->p >= 4) {
                fprintf(pp->out, "\\u%.4s", pp->p); /* our server only sends these for bytes */
                pp->p += 4;
                continue;
            }
            c = c == 'n' ? '\n' : c == 't' ? '\t' : c;
        }
        fputc(c, pp->out);
    }
    if (pp->p < pp->end)
        pp->p++;
}

static void ctl_pp_value(struct ctl_pp *pp, int indent, int depth);

static void ctl_pp_container(struct ctl_pp *pp, int indent, int depth)
{
    char close = *pp->p == '{' ? '}' : ']';
    bool object = close == '}';

    pp->p++;
    for (unsigned item = 0; pp->p < pp->end; item++) {
        ctl_pp_ws(pp);
        if (pp->p < pp->end && *pp->p == close) {
            pp->p++;
            return;
        }
        if (item > 0 && pp->p < pp->end && *pp->p == ',')
            pp->p++;
        ctl_pp_ws(pp);
        if (pp->p >= pp->end)
            return;
        fprintf(pp->out, "%*s%s", indent, "", object ? "" : "- ");
        if (object && *pp->p == '"') {
            ctl_pp_string(pp);
            ctl_pp_ws(pp);
            if (pp->p < pp->end && *pp->p == ':')
                pp->p++;
            fputs(":", pp->out);
            ctl_pp_ws(pp);
        }
        ctl_pp_value(pp, indent + 2, depth + 1);
    }
}

static void ctl_pp_value(struct ctl_pp *pp, int indent, int depth)
{
    if (pp->p >= pp->end)
        return;
    if ((*pp->p == '{' || *pp->p == '[') && depth < 16) {
        bool empty = pp->p + 1 < pp->end && (pp->p[1] == '}' || pp->p[1] == ']');

        fputs(empty ? " (none)\n" : "\n", pp->out);
        ctl_pp_container(pp, indent, depth);
        return;
    }
    fputc(' ', pp->out);
    if (*pp->p == '"') {
        ctl_pp_string(pp);
    } else {
        while (pp->p < pp->end && strchr(",}] \t", *pp->p) == NULL)
            fputc(*pp->p++, pp->out);
    }
    fputc('\n', pp->out);
}

/* ------------------------------------------------------ the exchange */

static int ctl_connect(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        fprintf(stderr, "stdvmm ctl: %s: path too long\n", path);
        return -1;
    }
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        fprintf(stderr, "stdvmm ctl: %s: %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* Send @line, read one reply line into @buf (NUL-terminated, no newline). */
static int ctl_exchange(const char *path, const char *line, char *buf, size_t cap)
{
    size_t len = strlen(line), done = 0, got = 0;
    int fd = ctl_connect(path);

    if (fd < 0)
        return -1;
    while (done < len) {
        ssize_t n = write(fd, line + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fprintf(stderr, "stdvmm ctl: %s: write: %s\n", path, strerror(errno));
            close(fd);
            return -1;
        }
        done += (size_t)n;
    }
    while (got < cap - 1) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        ssize_t n;

        if (poll(&pfd, 1, CTL_WAIT_MS) == 0) {
            fprintf(stderr, "stdvmm ctl: %s: no reply within %d s\n", path, CTL_WAIT_MS / 1000);
            break;
        }
        n = read(fd, buf + got, cap - 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
        if (memchr(buf, '\n', got) != NULL)
            break;
    }
    close(fd);
    buf[got] = '\0';
    if (strchr(buf, '\n') == NULL) {
        fprintf(stderr, "stdvmm ctl: %s: the connection ended without a whole reply%s%s\n", path,
                got ? ": " : "", buf);
        return -1;
    }
    *strchr(buf, '\n') = '\0';
    return 0;
}

int stdvmm_ctl(int argc, char *const argv[])
{
    const char *pos[2] = {NULL, NULL}, *timeout = NULL;
    bool json = false, raw = false;
    unsigned npos = 0;
    char line[VMM_API_MAX_REQUEST + 64], *reply, *req = NULL;
    int status;

    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(ctl_help, stdout);
            return STDVMM_EXIT_OK;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (strcmp(argv[i], "--raw") == 0) {
            raw = true;
        } else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
            timeout = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            fprintf(stderr, "stdvmm ctl: unknown option '%s' (try 'stdvmm ctl --help')\n", argv[i]);
            return STDVMM_EXIT_USAGE;
        } else if (npos < 2) {
            pos[npos++] = argv[i];
        } else {
            fprintf(stderr, "stdvmm ctl: unexpected argument '%s'\n", argv[i]);
            return STDVMM_EXIT_USAGE;
        }
    }
    if (npos != 2) {
        fputs("stdvmm ctl: needs PATH and COMMAND (try 'stdvmm ctl --help')\n", stderr);
        return STDVMM_EXIT_USAGE;
    }
    if (raw) { /* for tests: any line, however long (the server refuses it) */
        size_t n = strlen(pos[1]);

        req = malloc(n + 2);
        if (req == NULL)
            return STDVMM_EXIT_RUNTIME;
        memcpy(req, pos[1], n);
        memcpy(req + n, "\n", 2);
    } else {
        if (strspn(pos[1], "abcdefghijklmnopqrstuvwxyz") != strlen(pos[1]) ||
            strlen(pos[1]) > VMM_API_MAX_STRING) {
            fprintf(stderr, "stdvmm ctl: '%s' is not a command (try 'stdvmm ctl --help')\n",
                    pos[1]);
            return STDVMM_EXIT_USAGE;
        }
        if (timeout != NULL && strspn(timeout, "0123456789") != strlen(timeout)) {
            fprintf(stderr, "stdvmm ctl: --timeout %s: not a number of milliseconds\n", timeout);
            return STDVMM_EXIT_USAGE;
        }
        if (timeout != NULL)
            snprintf(line, sizeof(line), "{\"cmd\":\"%s\",\"timeout_ms\":%s}\n", pos[1], timeout);
        else
            snprintf(line, sizeof(line), "{\"cmd\":\"%s\"}\n", pos[1]);
    }
    reply = malloc(CTL_REPLY_MAX);
    if (reply == NULL || ctl_exchange(pos[0], req ? req : line, reply, CTL_REPLY_MAX) < 0) {
        free(reply);
        free(req);
        return STDVMM_EXIT_RUNTIME;
    }
    free(req);
    status = strncmp(reply, "{\"ok\":true", 10) == 0 ? STDVMM_EXIT_OK : STDVMM_EXIT_RUNTIME;
    if (json || raw) {
        puts(reply);
    } else {
        struct ctl_pp pp = {.p = reply, .end = reply + strlen(reply), .out = stdout};

        if (*pp.p == '{')
            ctl_pp_container(&pp, 0, 0);
        else
            puts(reply);
    }
    free(reply);
    return status;
}
