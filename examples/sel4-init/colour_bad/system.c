/* SPDX-License-Identifier: BSD-2-Clause */
/* colour_bad: an impossible colouring (see ../colour/system.c). */
#define COLOUR_BAD 1
#include "../colour/system.c"
