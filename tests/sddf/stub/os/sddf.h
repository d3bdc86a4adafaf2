/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Host stand-in for sDDF's <os/sddf.h> (which needs Microkit's headers):
 * sDDF's network headers include it for the channel type only. Used by
 * the host test of the sDDF net backend (tests/sddf/test_sddf_net.c).
 */
#ifndef STDVMM_TEST_OS_SDDF_H
#define STDVMM_TEST_OS_SDDF_H

typedef unsigned int sddf_channel;

#endif
