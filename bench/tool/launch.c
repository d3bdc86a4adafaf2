/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `benchtool launch`: start a VMM with its console on a pipe and time what
 * it prints, the same way for every VMM. Times are from just before fork():
 *   console_init_ms  the guest's /init marker line reached the pipe
 *   first_run_ms     stdvmm's "first KVM_RUN at realtime S.U" log line, or
 *                    QEMU's kvm_vcpu_ioctl trace of KVM_RUN (0xae80), both
 *                    stamped by the VMM itself with CLOCK_REALTIME
 *   boot_timer_ms    stdvmm's boot-timer line (the guest's MMIO write)
 *   exits, exits_mmio  stdvmm's exits to user space, summed over its
 *                    "vCPU N: X exits, Y of them MMIO" lines at exit
 * --stop-on TEXT ends the VMM at the first line holding TEXT with SIGKILL,
 * or with --stop-signal TERM with SIGTERM (SIGKILL 10 s later), so that
 * stdvmm stops cleanly and logs its exit counters.
 * stdin is /dev/null (end of input at once), or with --stdin idle the read
 * end of a pipe that stays open and empty, like a terminal nobody types on:
 * kvmtool's console thread polls stdin and spins on end of input.
 * On the footprint marker it reads /proc/PID/smaps: total resident memory,
 * the resident part of the largest mapping (guest RAM) and the rest.
 * Guest lines "BENCH-RESULT k=v" are re-printed as "BENCH <tag> k=v".
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "benchtool.h"

struct launch {
    const char *tag, *log, *init_marker, *fp_marker, *stop_on;
    double timeout;
    int stop_signal, stdin_idle;
    unsigned long long exits, exits_mmio;
    int seen_exits;
    double t0_mono, t0_real;
    pid_t pid;
    FILE *logf;
    int seen_init, seen_run, seen_timer, seen_fp, stop;
    char line[4096];
    size_t len;
};

static double real_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One mapping of /proc/PID/smaps. */
struct mapping {
    char name[64];
    long size_kb, rss_kb;
};

static void keep_top(struct mapping *top, int n, const struct mapping *m)
{
    for (int i = 0; i < n; i++) {
        if (m->rss_kb > top[i].rss_kb) {
            memmove(&top[i + 1], &top[i], sizeof(*top) * (size_t)(n - 1 - i));
            top[i] = *m;
            return;
        }
    }
}

static void footprint(struct launch *l)
{
    char path[64], buf[512];
    struct mapping cur, ram, top[4];
    long total = 0;
    int have = 0;
    FILE *f;

    memset(&cur, 0, sizeof(cur));
    memset(&ram, 0, sizeof(ram));
    memset(top, 0, sizeof(top));

    snprintf(path, sizeof(path), "/proc/%d/smaps", (int)l->pid);
    f = fopen(path, "r");
    if (f == NULL) {
        printf("BENCH-NOTE %s footprint: %s: %s\n", l->tag, path, strerror(errno));
        return;
    }
    while (fgets(buf, sizeof(buf), f) != NULL) {
        unsigned long lo, hi;
        long kb;
        int off = 0;

        if (sscanf(buf, "%lx-%lx %*s %*s %*s %*s %n", &lo, &hi, &off) == 2 && off > 0) {
            if (have && cur.size_kb > ram.size_kb)
                ram = cur;
            if (have)
                keep_top(top, 4, &cur);
            memset(&cur, 0, sizeof(cur));
            cur.size_kb = (long)((hi - lo) / 1024);
            snprintf(cur.name, sizeof(cur.name), "%s", buf[off] ? buf + off : "[anon]");
            cur.name[strcspn(cur.name, "\n")] = '\0';
            if (cur.name[0] == '\0')
                snprintf(cur.name, sizeof(cur.name), "[anon]");
            have = 1;
        } else if (sscanf(buf, "Rss: %ld kB", &kb) == 1) {
            cur.rss_kb = kb;
            total += kb;
        }
    }
    fclose(f);
    if (have && cur.size_kb > ram.size_kb)
        ram = cur;
    if (have)
        keep_top(top, 4, &cur);
    printf("BENCH %s footprint_rss_kb=%ld\n", l->tag, total);
    printf("BENCH %s footprint_ram_rss_kb=%ld\n", l->tag, ram.rss_kb);
    printf("BENCH %s footprint_beyond_ram_kb=%ld\n", l->tag, total - ram.rss_kb);
    printf("BENCH-NOTE %s footprint: guest RAM mapping %ld kB (%ld kB resident); largest:", l->tag,
           ram.size_kb, ram.rss_kb);
    for (int i = 0; i < 4; i++)
        if (top[i].rss_kb > 0)
            printf(" %s %ld kB;", top[i].name, top[i].rss_kb);
    printf("\n");
}

/* "...<key>S.U..." -> ms from the launch, or -1. */
static double stamp_after(const struct launch *l, const char *line, const char *key)
{
    const char *p = strstr(line, key);

    if (p == NULL)
        return -1;
    return (strtod(p + strlen(key), NULL) - l->t0_real) * 1e3;
}

static void on_line(struct launch *l, char *line)
{
    double ms;
    char *p;

    fprintf(l->logf, "%s\n", line);
    if (l->init_marker && !l->seen_init && strstr(line, l->init_marker)) {
        l->seen_init = 1;
        printf("BENCH %s console_init_ms=%.1f\n", l->tag, (bt_now() - l->t0_mono) * 1e3);
    }
    if (!l->seen_run && (ms = stamp_after(l, line, "first KVM_RUN at realtime ")) >= 0) {
        l->seen_run = 1;
        printf("BENCH %s first_run_ms=%.1f\n", l->tag, ms);
    }
    /* QEMU's log trace backend: "PID@SEC.USEC:kvm_vcpu_ioctl ..." */
    if (!l->seen_run && strstr(line, ":kvm_vcpu_ioctl cpu_index 0, type 0xae80") &&
        (p = strchr(line, '@')) != NULL) {
        l->seen_run = 1;
        printf("BENCH %s first_run_ms=%.1f\n", l->tag, (strtod(p + 1, NULL) - l->t0_real) * 1e3);
    }
    if (!l->seen_timer &&
        (ms = stamp_after(l, line, "boot-timer: guest signalled at realtime ")) >= 0) {
        l->seen_timer = 1;
        printf("BENCH %s boot_timer_ms=%.1f\n", l->tag, ms);
    }
    if ((p = strstr(line, "vCPU ")) != NULL) {
        unsigned cpu;
        unsigned long long n, mmio;

        if (sscanf(p, "vCPU %u: %llu exits, %llu of them MMIO", &cpu, &n, &mmio) == 3) {
            l->seen_exits = 1;
            l->exits += n;
            l->exits_mmio += mmio;
        }
    }
    if ((p = strstr(line, "BENCH-RESULT ")) != NULL)
        printf("BENCH %s %s\n", l->tag, p + strlen("BENCH-RESULT "));
    if (l->fp_marker && !l->seen_fp && strstr(line, l->fp_marker)) {
        l->seen_fp = 1;
        footprint(l);
    }
    if (l->stop_on && strstr(line, l->stop_on))
        l->stop = 1;
}

static void on_bytes(struct launch *l, const char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = buf[i];

        if (c == '\r' || c == '\0')
            continue;
        if (c == '\n' || l->len == sizeof(l->line) - 1) {
            l->line[l->len] = '\0';
            on_line(l, l->line);
            l->len = 0;
            if (c == '\n')
                continue;
        }
        l->line[l->len++] = c;
    }
}

static int parse_args(struct launch *l, int argc, char **argv, int *cmd)
{
    for (int i = 0; i < argc; i++) {
        const char *o = argv[i];

        if (strcmp(o, "--") == 0) {
            *cmd = i + 1;
            return i + 1 < argc ? 0 : -1;
        }
        if (i + 1 >= argc)
            return -1;
        if (strcmp(o, "--tag") == 0)
            l->tag = argv[++i];
        else if (strcmp(o, "--log") == 0)
            l->log = argv[++i];
        else if (strcmp(o, "--timeout") == 0)
            l->timeout = atof(argv[++i]);
        else if (strcmp(o, "--init-marker") == 0)
            l->init_marker = argv[++i];
        else if (strcmp(o, "--footprint-marker") == 0)
            l->fp_marker = argv[++i];
        else if (strcmp(o, "--stop-on") == 0)
            l->stop_on = argv[++i];
        else if (strcmp(o, "--stop-signal") == 0 && strcmp(argv[++i], "TERM") == 0)
            l->stop_signal = SIGTERM;
        else if (strcmp(o, "--stdin") == 0 && strcmp(argv[++i], "idle") == 0)
            l->stdin_idle = 1;
        else
            return -1;
    }
    return -1;
}

int bt_launch(int argc, char **argv)
{
    struct launch l = {.tag = "vmm", .log = "/dev/null", .timeout = 120, .stop_signal = SIGKILL};
    int cmd = 0, p[2], in[2] = {-1, -1}, status = 0, killed = 0;
    double stopped_at = 0;
    char buf[4096];

    if (parse_args(&l, argc, argv, &cmd) < 0) {
        fprintf(stderr, "benchtool launch: bad arguments\n");
        return 2;
    }
    l.logf = fopen(l.log, "w");
    if (l.logf == NULL || pipe(p) < 0 || (l.stdin_idle && pipe(in) < 0)) {
        fprintf(stderr, "benchtool launch: %s: %s\n", l.log, strerror(errno));
        return 1;
    }
    l.t0_real = real_now();
    l.t0_mono = bt_now();
    l.pid = fork();
    if (l.pid == 0) {
        int null = l.stdin_idle ? in[0] : open("/dev/null", O_RDONLY);
        dup2(null, 0);
        if (l.stdin_idle)
            close(in[1]);
        dup2(p[1], 1);
        dup2(p[1], 2);
        close(p[0]);
        close(p[1]);
        execvp(argv[cmd], argv + cmd);
        fprintf(stderr, "benchtool launch: %s: %s\n", argv[cmd], strerror(errno));
        _exit(127);
    }
    close(p[1]);
    if (l.stdin_idle)
        close(in[0]); /* in[1] stays open, unwritten, until we return */
    for (;;) {
        struct pollfd pfd = {.fd = p[0], .events = POLLIN};
        ssize_t n;

        if (!killed && (l.stop || bt_now() - l.t0_mono > l.timeout)) {
            if (!l.stop)
                printf("BENCH-NOTE %s timeout after %.0f s\n", l.tag, l.timeout);
            kill(l.pid, l.stop ? l.stop_signal : SIGKILL);
            killed = 1;
            stopped_at = bt_now();
        }
        if (killed == 1 && l.stop_signal != SIGKILL && bt_now() - stopped_at > 10) {
            printf("BENCH-NOTE %s still running 10 s after SIGTERM: SIGKILL\n", l.tag);
            kill(l.pid, SIGKILL);
            killed = 2;
        }
        if (poll(&pfd, 1, 100) <= 0)
            continue;
        n = read(p[0], buf, sizeof(buf));
        if (n <= 0)
            break;
        on_bytes(&l, buf, (size_t)n);
    }
    if (l.len > 0) {
        l.line[l.len] = '\0';
        on_line(&l, l.line);
    }
    waitpid(l.pid, &status, 0);
    printf("BENCH %s wall_ms=%.1f\n", l.tag, (bt_now() - l.t0_mono) * 1e3);
    if (l.seen_exits) {
        printf("BENCH %s exits=%llu\n", l.tag, l.exits);
        printf("BENCH %s exits_mmio=%llu\n", l.tag, l.exits_mmio);
    }
    printf("BENCH-NOTE %s exit %s %d\n", l.tag, WIFEXITED(status) ? "status" : "signal",
           WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    fclose(l.logf);
    if (l.stdin_idle)
        close(in[1]);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : (killed && l.stop ? 0 : 1);
}
