/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * benchtool: the measuring half of bench/, one static arm64 program used
 * both in the emulated machine (launching VMMs, the TCP peer, the tap) and
 * inside the benchmark guests (block and TCP throughput). Every result is a
 * line "BENCH-RESULT key=value" on stdout.
 */
#ifndef BENCHTOOL_H
#define BENCHTOOL_H

#include <stdint.h>

/* Seconds on CLOCK_MONOTONIC. */
double bt_now(void);

/* Parse a non-negative decimal (with optional K/M/G suffix); -1 if bad. */
long long bt_parse_size(const char *s);

/* launch [options] -- CMD...: run a VMM and time what it prints (launch.c). */
int bt_launch(int argc, char **argv);

/* blk-write / blk-read DEV MIB, blk-randread DEV SECS (io.c). */
int bt_blk(const char *what, int argc, char **argv);

/* tcp-serve SINK_PORT SOURCE_PORT, tcp-send HOST PORT SECS,
 * tcp-recv HOST PORT SECS, mktap NAME (net.c). */
int bt_net(const char *what, int argc, char **argv);

#endif
