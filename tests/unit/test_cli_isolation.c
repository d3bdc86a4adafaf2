/* SPDX-License-Identifier: BSD-2-Clause */
/* The isolation options of `stdvmm run` (tools/stdvmm/isolate.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "../../tools/stdvmm/config.h"
#include "stdvmm/err.h"

static int parse(struct stdvmm_config *cfg, char *err, size_t errlen, int argc, char **argv)
{
    return stdvmm_config_parse(cfg, argc, argv, err, errlen);
}

static void isolation_defaults_keep_seccomp_on_and_privileges(void **state)
{
    char *argv[] = {"stdvmm", "run", "--kernel", "Image"};
    struct stdvmm_config cfg;
    char err[256];

    (void)state;
    assert_int_equal(parse(&cfg, err, sizeof(err), 4, argv), 0);
    assert_false(cfg.no_seccomp);
    assert_null(cfg.chroot_dir);
    assert_false(cfg.set_uid);
    assert_false(cfg.set_gid);
}

static void isolation_options_are_parsed(void **state)
{
    char *argv[] = {"stdvmm",     "run",         "--kernel", "Image", "--chroot",
                    "/var/empty", "--uid=65534", "--gid",    "100",   "--no-seccomp"};
    struct stdvmm_config cfg;
    char err[256];

    (void)state;
    assert_int_equal(parse(&cfg, err, sizeof(err), 10, argv), 0);
    assert_string_equal(cfg.chroot_dir, "/var/empty");
    assert_true(cfg.set_uid);
    assert_int_equal(cfg.uid, 65534);
    assert_true(cfg.set_gid);
    assert_int_equal(cfg.gid, 100);
    assert_true(cfg.no_seccomp);
}

static void expect_error(const char *opt, const char *value, const char *needle)
{
    char *argv[] = {"stdvmm", "run", "--kernel", "Image", (char *)opt, (char *)value};
    struct stdvmm_config cfg;
    char err[256];

    assert_int_equal(parse(&cfg, err, sizeof(err), value ? 6 : 5, argv), -VMM_EINVAL);
    assert_non_null(strstr(err, needle));
}

static void isolation_rejects_bad_values(void **state)
{
    (void)state;
    expect_error("--uid", "nobody", "--uid nobody: not a numeric id");
    expect_error("--uid", "-1", "--uid -1: not a numeric id");
    expect_error("--uid", "4294967295", "--uid 4294967295: out of range");
    expect_error("--gid", "", "--gid : not a numeric id");
    expect_error("--chroot", "jail", "--chroot jail: must be an absolute directory");
    expect_error("--chroot", NULL, "--chroot needs a value");
    expect_error("--no-seccomp=yes", NULL, "--no-seccomp takes no value");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(isolation_defaults_keep_seccomp_on_and_privileges),
        cmocka_unit_test(isolation_options_are_parsed),
        cmocka_unit_test(isolation_rejects_bad_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
