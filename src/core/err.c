/* SPDX-License-Identifier: BSD-2-Clause */
#include "stdvmm/err.h"

const char *vmm_strerror(int err)
{
    if (err < 0)
        err = -err;
    switch (err) {
    case 0:
        return "success";
    case VMM_EPERM:
        return "operation not permitted";
    case VMM_ENOENT:
        return "not found";
    case VMM_EIO:
        return "I/O error";
    case VMM_E2BIG:
        return "too big";
    case VMM_ENOEXEC:
        return "not a valid image";
    case VMM_EAGAIN:
        return "try again";
    case VMM_ENOMEM:
        return "out of memory";
    case VMM_EACCES:
        return "permission denied";
    case VMM_EFAULT:
        return "address outside guest RAM";
    case VMM_EBUSY:
        return "busy";
    case VMM_EEXIST:
        return "overlaps an existing entry";
    case VMM_ENODEV:
        return "no such device";
    case VMM_EINVAL:
        return "invalid argument";
    case VMM_ENOSPC:
        return "table full";
    case VMM_EPIPE:
        return "peer gone";
    case VMM_ERANGE:
        return "out of range";
    case VMM_ENOSYS:
        return "not implemented";
    case VMM_ENOTSUP:
        return "not supported";
    case VMM_EPROTO:
        return "protocol violation";
    case VMM_ETIMEDOUT:
        return "timed out";
    case VMM_ECANCELED:
        return "cancelled";
    default:
        return "unknown error";
    }
}
