/* SPDX-License-Identifier: BSD-2-Clause */
/* Helpers shared by the files of src/machine (freestanding: no snprintf). */
#ifndef STDVMM_MACHINE_INTERNAL_H
#define STDVMM_MACHINE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* Write @a @b @c into @err (truncated); returns -VMM_EINVAL. */
int vmm_machine_error(char *err, size_t errlen, const char *a, const char *b, const char *c);

/* Append @s to the NUL-terminated @buf of @size bytes (truncating). */
void vmm_machine_append(char *buf, size_t size, const char *s);

/* Append @v in decimal. */
void vmm_machine_append_u64(char *buf, size_t size, uint64_t v);

/* The value of @key in a "k1=v1,k2=v2" option list as a decimal number:
 * 0, -VMM_ENOENT when absent, -VMM_EINVAL when not a number. */
int vmm_machine_opt_u64(const char *options, const char *key, uint64_t *out);

/* The value of @key in a "k1=v1,k2=v2" option list: *@value points into
 * @options, *@len bytes long. 0, or -VMM_ENOENT when absent. */
int vmm_machine_opt_str(const char *options, const char *key, const char **value, size_t *len);

/* The vhost-user classes' hooks (classes_vhost.c). */
struct vmm_machine;
struct vmm_machine_dev;
int vmm_machine_vhost_blk_init(struct vmm_machine *m, struct vmm_machine_dev *d);
int vmm_machine_fs_parse(const char *value, char *err, size_t errlen);
int vmm_machine_fs_init(struct vmm_machine *m, struct vmm_machine_dev *d);

/* The guest MAC for a net device: mac=XX:..:XX from @options, else one
 * derived from the tap= name (or @name): 02:53 and an FNV-1a hash, as
 * the tap backend derives it. -VMM_EINVAL for a malformed mac=. */
int vmm_machine_net_mac(const char *options, const char *name, uint8_t mac[6]);

#endif
