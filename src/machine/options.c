/* SPDX-License-Identifier: BSD-2-Clause */
/* Option strings of device classes ("k=v,k=v") and messages, freestanding. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "machine_internal.h"
#include "stdvmm/err.h"
#include "stdvmm/mac.h"

void vmm_machine_append(char *buf, size_t size, const char *s)
{
    size_t len = strlen(buf);

    while (s != NULL && *s != '\0' && len + 1 < size)
        buf[len++] = *s++;
    buf[len] = '\0';
}

void vmm_machine_append_u64(char *buf, size_t size, uint64_t v)
{
    char tmp[21];
    size_t n = sizeof(tmp) - 1;

    tmp[n] = '\0';
    do {
        tmp[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    vmm_machine_append(buf, size, tmp + n);
}

int vmm_machine_error(char *err, size_t errlen, const char *a, const char *b, const char *c)
{
    if (err != NULL && errlen > 0) {
        err[0] = '\0';
        vmm_machine_append(err, errlen, a);
        vmm_machine_append(err, errlen, b);
        vmm_machine_append(err, errlen, c);
    }
    return -VMM_EINVAL;
}

/* Find "@key=" as a whole item of @options; its value and length. */
static const char *opt_find(const char *options, const char *key, size_t *len)
{
    size_t klen = strlen(key);
    const char *p = options;

    while (p != NULL && *p != '\0') {
        const char *end = strchr(p, ',');
        size_t n = end != NULL ? (size_t)(end - p) : strlen(p);

        if (n > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
            *len = n - klen - 1;
            return p + klen + 1;
        }
        p = end != NULL ? end + 1 : NULL;
    }
    return NULL;
}

int vmm_machine_opt_u64(const char *options, const char *key, uint64_t *out)
{
    size_t len = 0;
    const char *v = opt_find(options, key, &len);
    uint64_t n = 0;

    if (v == NULL)
        return -VMM_ENOENT;
    if (len == 0 || len > 19)
        return -VMM_EINVAL;
    for (size_t i = 0; i < len; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -VMM_EINVAL;
        n = n * 10 + (uint64_t)(v[i] - '0');
    }
    *out = n;
    return 0;
}

int vmm_machine_opt_str(const char *options, const char *key, const char **value, size_t *len)
{
    const char *v = opt_find(options, key, len);

    if (v == NULL)
        return -VMM_ENOENT;
    *value = v;
    return 0;
}

int vmm_machine_net_mac(const char *options, const char *name, uint8_t mac[6])
{
    size_t len = 0;
    const char *v = opt_find(options, "mac", &len);

    if (v != NULL)
        return vmm_mac_parse(v, len, mac) ? 0 : -VMM_EINVAL;
    v = opt_find(options, "tap", &len);
    if (v == NULL) {
        v = name;
        len = strlen(name);
    }
    vmm_mac_default(v, len, mac);
    return 0;
}
