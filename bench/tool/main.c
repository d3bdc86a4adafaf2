/* SPDX-License-Identifier: BSD-2-Clause */
/* benchtool's command dispatch and small shared helpers (see benchtool.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "benchtool.h"

double bt_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

long long bt_parse_size(const char *s)
{
    char *end;
    long long v;

    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    v = strtoll(s, &end, 10);
    if (*end == 'K' || *end == 'k')
        v <<= 10, end++;
    else if (*end == 'M' || *end == 'm')
        v <<= 20, end++;
    else if (*end == 'G' || *end == 'g')
        v <<= 30, end++;
    return *end == '\0' ? v : -1;
}

static int usage(void)
{
    fprintf(stderr, "usage: benchtool launch --tag TAG --log FILE --timeout S [--init-marker S]\n"
                    "                        [--footprint-marker S] [--stop-on S] -- CMD...\n"
                    "       benchtool blk-write|blk-read DEV MIB | blk-randread DEV SECS\n"
                    "       benchtool tcp-serve SINK_PORT SOURCE_PORT\n"
                    "       benchtool tcp-send|tcp-recv HOST PORT SECS | mktap NAME\n");
    return 2;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2)
        return usage();
    if (strcmp(argv[1], "launch") == 0)
        return bt_launch(argc - 2, argv + 2);
    if (strncmp(argv[1], "blk-", 4) == 0)
        return bt_blk(argv[1], argc - 2, argv + 2);
    if (strncmp(argv[1], "tcp-", 4) == 0 || strcmp(argv[1], "mktap") == 0)
        return bt_net(argv[1], argc - 2, argv + 2);
    return usage();
}
