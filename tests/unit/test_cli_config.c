/* SPDX-License-Identifier: BSD-2-Clause */
/* The stdvmm command line, parsed into struct stdvmm_config (tools/stdvmm/config.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "../../tools/stdvmm/config.h"
#include "stdvmm/err.h"
#include "stdvmm/vm.h"

#define ARGV(...) ((char *const[]){"stdvmm", __VA_ARGS__})
#define ARGC(...) ((int)(sizeof((char *const[]){"stdvmm", __VA_ARGS__}) / sizeof(char *)))
#define PARSE(cfg, err, ...)                                                                       \
    stdvmm_config_parse((cfg), ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), (err), sizeof(err))

/* Parse a line that must fail and check the message names @needle. */
static void expect_error(int argc, char *const argv[], const char *needle)
{
    struct stdvmm_config cfg;
    char err[256];

    assert_int_equal(stdvmm_config_parse(&cfg, argc, argv, err, sizeof(err)), -VMM_EINVAL);
    if (strstr(err, needle) == NULL)
        fail_msg("error \"%s\" does not mention \"%s\"", err, needle);
}
#define EXPECT_ERROR(needle, ...) expect_error(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), (needle))

static void config_defaults_with_only_a_kernel(void **state)
{
    struct stdvmm_config cfg;
    char err[256];
    (void)state;

    assert_int_equal(PARSE(&cfg, err, "run", "--kernel", "Image"), 0);
    assert_int_equal(cfg.command, STDVMM_CMD_RUN);
    assert_string_equal(cfg.kernel, "Image");
    assert_null(cfg.initrd);
    assert_null(cfg.dump_dtb);
    assert_null(cfg.cmdline);
    assert_int_equal(cfg.cpus, 1);
    assert_int_equal(cfg.mem, 256 * STDVMM_MIB);
    assert_int_equal(cfg.console, STDVMM_CONSOLE_SERIAL);
    assert_int_equal(cfg.log_level, VMM_LOG_WARN);
    assert_string_equal(stdvmm_config_cmdline(&cfg), "console=ttyAMA0");
    assert_int_equal(cfg.nr_devices, 0);
    assert_false(cfg.no_reboot);
}

static void config_parses_every_run_option_in_both_spellings(void **state)
{
    struct stdvmm_config cfg;
    char err[256];
    (void)state;

    assert_int_equal(PARSE(&cfg, err, "run", "--kernel=K", "--initrd", "I", "--cmdline=a b=c",
                           "--cpus", "4", "--mem=1G", "--console", "virtio", "--dump-dtb=out.dtb",
                           "--log-level", "debug"),
                     0);
    assert_string_equal(cfg.kernel, "K");
    assert_string_equal(cfg.initrd, "I");
    assert_string_equal(cfg.cmdline, "a b=c");
    assert_string_equal(stdvmm_config_cmdline(&cfg), "a b=c");
    assert_int_equal(cfg.cpus, 4);
    assert_int_equal(cfg.mem, STDVMM_GIB);
    assert_int_equal(cfg.console, STDVMM_CONSOLE_VIRTIO);
    assert_string_equal(cfg.dump_dtb, "out.dtb");
    assert_int_equal(cfg.log_level, VMM_LOG_DEBUG);
}

static void config_virtio_console_defaults_to_hvc0(void **state)
{
    struct stdvmm_config cfg;
    char err[256];
    (void)state;

    assert_int_equal(PARSE(&cfg, err, "run", "--console", "virtio", "--kernel", "K"), 0);
    assert_string_equal(stdvmm_config_cmdline(&cfg), "console=hvc0");
    assert_int_equal(PARSE(&cfg, err, "run", "--console=serial", "--kernel", "K"), 0);
    assert_int_equal(cfg.console, STDVMM_CONSOLE_SERIAL);
}

static void config_later_option_wins(void **state)
{
    struct stdvmm_config cfg;
    char err[256];
    (void)state;

    assert_int_equal(
        PARSE(&cfg, err, "run", "--kernel", "A", "--cpus", "2", "--kernel", "B", "--cpus=3"), 0);
    assert_string_equal(cfg.kernel, "B");
    assert_int_equal(cfg.cpus, 3);
}

static void config_accepts_cpus_at_both_bounds(void **state)
{
    struct stdvmm_config cfg;
    char err[256], max[8];
    (void)state;

    assert_int_equal(PARSE(&cfg, err, "run", "--kernel", "K", "--cpus", "1"), 0);
    assert_int_equal(cfg.cpus, 1);
    snprintf(max, sizeof(max), "%u", (unsigned)VMM_MAX_VCPUS);
    assert_int_equal(PARSE(&cfg, err, "run", "--kernel", "K", "--cpus", max), 0);
    assert_int_equal(cfg.cpus, VMM_MAX_VCPUS);
}

static void config_rejects_cpus_out_of_range_or_not_numbers(void **state)
{
    (void)state;
    EXPECT_ERROR("--cpus 0: must be between 1 and", "run", "--kernel", "K", "--cpus", "0");
    EXPECT_ERROR("--cpus 9: must be between 1 and", "run", "--kernel", "K", "--cpus", "9");
    EXPECT_ERROR("must be between", "run", "--kernel", "K", "--cpus", "99999999999999999999999");
    EXPECT_ERROR("--cpus two: not a number", "run", "--kernel", "K", "--cpus", "two");
    EXPECT_ERROR("not a number", "run", "--kernel", "K", "--cpus", "4x");
    EXPECT_ERROR("not a number", "run", "--kernel", "K", "--cpus", "-1");
    EXPECT_ERROR("not a number", "run", "--kernel", "K", "--cpus=");
}

static void parse_size_understands_binary_suffixes(void **state)
{
    uint64_t v = 0;
    (void)state;

    assert_int_equal(stdvmm_parse_size("4096K", &v), 0);
    assert_int_equal(v, 4096ull << 10);
    assert_int_equal(stdvmm_parse_size("256M", &v), 0);
    assert_int_equal(v, 256ull << 20);
    assert_int_equal(stdvmm_parse_size("3g", &v), 0);
    assert_int_equal(v, 3ull << 30);
    assert_int_equal(stdvmm_parse_size("1T", &v), 0);
    assert_int_equal(v, 1ull << 40);
    assert_int_equal(stdvmm_parse_size("512", &v), 0); /* no suffix: MiB */
    assert_int_equal(v, 512ull << 20);
}

static void parse_size_rejects_malformed_and_overflowing_sizes(void **state)
{
    uint64_t v = 7;
    (void)state;

    assert_int_equal(stdvmm_parse_size("", &v), -VMM_EINVAL);
    assert_int_equal(stdvmm_parse_size("M", &v), -VMM_EINVAL);
    assert_int_equal(stdvmm_parse_size("-1M", &v), -VMM_EINVAL);
    assert_int_equal(stdvmm_parse_size("12MB", &v), -VMM_EINVAL);
    assert_int_equal(stdvmm_parse_size("1.5G", &v), -VMM_EINVAL);
    assert_int_equal(stdvmm_parse_size(" 1G", &v), -VMM_EINVAL);
    assert_int_equal(stdvmm_parse_size("17179869184G", &v), -VMM_ERANGE); /* 2^34 GiB = 2^64 */
    assert_int_equal(stdvmm_parse_size("99999999999999999999", &v), -VMM_ERANGE);
    assert_int_equal(v, 7); /* untouched on error */
}

static void config_mem_is_bounded_and_2m_aligned(void **state)
{
    struct stdvmm_config cfg;
    char err[256];
    (void)state;

    assert_int_equal(PARSE(&cfg, err, "run", "--kernel", "K", "--mem", "32M"), 0);
    assert_int_equal(cfg.mem, STDVMM_MEM_MIN);
    assert_int_equal(PARSE(&cfg, err, "run", "--kernel", "K", "--mem", "512G"), 0);
    assert_int_equal(cfg.mem, STDVMM_MEM_MAX);
    assert_int_equal(PARSE(&cfg, err, "run", "--kernel", "K", "--mem", "2048K"), -VMM_EINVAL);
    EXPECT_ERROR("--mem 30M: must be between 32M and 512G", "run", "--kernel", "K", "--mem", "30M");
    EXPECT_ERROR("must be between", "run", "--kernel", "K", "--mem", "513G");
    EXPECT_ERROR("must be between", "run", "--kernel", "K", "--mem", "99999999999999999999G");
    EXPECT_ERROR("--mem 33M: must be a multiple of 2M", "run", "--kernel", "K", "--mem", "33M");
    EXPECT_ERROR("--mem 3X: not a size", "run", "--kernel", "K", "--mem", "3X");
}

static void config_rejects_bad_console_and_log_level(void **state)
{
    (void)state;
    EXPECT_ERROR("--console pty: must be serial or virtio", "run", "--kernel", "K", "--console",
                 "pty");
    EXPECT_ERROR("--log-level loud: must be error, warn, info or debug", "run", "--kernel", "K",
                 "--log-level=loud");
    EXPECT_ERROR("--console-filter off: must be auto, raw or sanitize", "run", "--kernel", "K",
                 "--console-filter", "off");
}

static void config_console_filter_defaults_to_auto(void **state)
{
    struct stdvmm_config cfg;
    char err[256];
    (void)state;

    assert_int_equal(PARSE(&cfg, err, "run", "--kernel", "K"), 0);
    assert_int_equal(cfg.console_filter, STDVMM_CONSOLE_FILTER_AUTO);
    assert_int_equal(PARSE(&cfg, err, "run", "--kernel", "K", "--console-filter", "raw"), 0);
    assert_int_equal(cfg.console_filter, STDVMM_CONSOLE_FILTER_RAW);
    assert_int_equal(PARSE(&cfg, err, "run", "--console-filter=sanitize", "--kernel", "K"), 0);
    assert_int_equal(cfg.console_filter, STDVMM_CONSOLE_FILTER_SANITIZE);
}

static void config_requires_a_kernel(void **state)
{
    (void)state;
    EXPECT_ERROR("--kernel is required", "run");
    EXPECT_ERROR("--kernel is required", "run", "--cpus", "2");
    EXPECT_ERROR("--kernel: empty file name", "run", "--kernel", "");
}

static void config_reports_an_option_without_value(void **state)
{
    (void)state;
    EXPECT_ERROR("--kernel needs a value", "run", "--kernel");
    EXPECT_ERROR("--mem needs a value", "run", "--kernel", "K", "--mem");
}

static void config_rejects_unknown_options_commands_and_arguments(void **state)
{
    (void)state;
    EXPECT_ERROR("unknown option '--drive'", "run", "--kernel", "K", "--drive", "d.img");
    EXPECT_ERROR("unknown option '--memory'", "run", "--memory=1G", "--kernel", "K");
    EXPECT_ERROR("unexpected argument 'Image'", "run", "Image");
    EXPECT_ERROR("unknown command 'start'", "start");
    EXPECT_ERROR("unknown option '--kernel'", "--kernel", "K");
    expect_error(1, (char *const[]){"stdvmm", NULL}, "no command given");
}

static void config_recognises_help_and_version(void **state)
{
    struct stdvmm_config cfg;
    char err[256];
    (void)state;

    assert_int_equal(PARSE(&cfg, err, "--help"), 0);
    assert_int_equal(cfg.command, STDVMM_CMD_HELP);
    assert_int_equal(PARSE(&cfg, err, "-h"), 0);
    assert_int_equal(cfg.command, STDVMM_CMD_HELP);
    assert_int_equal(PARSE(&cfg, err, "--version"), 0);
    assert_int_equal(cfg.command, STDVMM_CMD_VERSION);
    assert_int_equal(PARSE(&cfg, err, "run", "--help"), 0);
    assert_int_equal(cfg.command, STDVMM_CMD_RUN_HELP);
    /* run --help wins over a broken line, so a user can always get help */
    assert_int_equal(PARSE(&cfg, err, "run", "--cpus", "0", "--bogus", "--help"), 0);
    assert_int_equal(cfg.command, STDVMM_CMD_RUN_HELP);
}

/* The options of the @n-th device of class @cls, or NULL. */
static const char *dev_opts(const struct stdvmm_config *cfg, const char *cls, unsigned n)
{
    for (unsigned i = 0; i < cfg->nr_devices; i++)
        if (strcmp(cfg->devices[i].cls, cls) == 0 && n-- == 0)
            return cfg->devices[i].options;
    return NULL;
}

static void config_collects_disks_in_order_with_their_ro_flag(void **state)
{
    struct stdvmm_config cfg;
    char err[256];
    (void)state;

    assert_int_equal(PARSE(&cfg, err, "run", "--kernel", "K", "--disk", "a.img", "--disk=b.img,ro",
                           "--disk", "c,d.img,rw", "--disk", "/dev/sdb,ro"),
                     0);
    assert_int_equal(stdvmm_config_count(&cfg, "disk"), 4);
    assert_string_equal(dev_opts(&cfg, "disk", 0), "a.img");
    assert_string_equal(dev_opts(&cfg, "disk", 1), "b.img,ro");
    assert_string_equal(dev_opts(&cfg, "disk", 2), "c,d.img,rw");
    assert_string_equal(dev_opts(&cfg, "disk", 3), "/dev/sdb,ro");
}

static void config_keeps_device_options_in_command_line_order(void **state)
{
    struct stdvmm_config cfg;
    char err[256];
    (void)state;

    assert_int_equal(PARSE(&cfg, err, "run", "--kernel", "K", "--rng", "--disk", "a.img",
                           "--net=tap=t0", "--boot-timer", "--no-reboot"),
                     0);
    assert_int_equal(cfg.nr_devices, 4);
    assert_string_equal(cfg.devices[0].cls, "rng");
    assert_null(cfg.devices[0].options);
    assert_string_equal(cfg.devices[1].cls, "disk");
    assert_string_equal(cfg.devices[2].cls, "net");
    assert_string_equal(cfg.devices[2].options, "tap=t0");
    assert_string_equal(cfg.devices[3].cls, "boot-timer");
    assert_true(cfg.no_reboot);
    EXPECT_ERROR("--no-reboot takes no value", "run", "--kernel", "K", "--no-reboot=1");
    EXPECT_ERROR("--boot-timer takes no value", "run", "--kernel", "K", "--boot-timer=1");
}

static void config_rejects_empty_disks_and_more_than_the_maximum(void **state)
{
    char *argv[3 + 2 * (8 + 1)];
    int argc = 0;
    (void)state;

    EXPECT_ERROR("--disk : empty file name", "run", "--kernel", "K", "--disk", "");
    EXPECT_ERROR("--disk ,ro: empty file name", "run", "--kernel", "K", "--disk", ",ro");
    EXPECT_ERROR("--disk needs a value", "run", "--kernel", "K", "--disk");
    argv[argc++] = "stdvmm";
    argv[argc++] = "run";
    argv[argc++] = "--kernel=K";
    for (unsigned i = 0; i < 8 + 1; i++) {
        argv[argc++] = "--disk";
        argv[argc++] = "d.img";
    }
    expect_error(argc, argv, "--disk d.img: at most 8 --disk devices");
    /* exactly the maximum is fine */
    {
        struct stdvmm_config cfg;
        char err[256];

        assert_int_equal(stdvmm_config_parse(&cfg, argc - 2, argv, err, sizeof(err)), 0);
        assert_int_equal(stdvmm_config_count(&cfg, "disk"), 8);
    }
}

static void config_takes_net_tap_with_or_without_mac(void **state)
{
    struct stdvmm_config cfg;
    char err[256];
    (void)state;

    assert_int_equal(PARSE(&cfg, err, "run", "--kernel", "K", "--net", "tap=tap0"), 0);
    assert_string_equal(dev_opts(&cfg, "net", 0), "tap=tap0");
    assert_int_equal(
        PARSE(&cfg, err, "run", "--kernel", "K", "--net=tap=vm1,mac=52:54:00:12:34:AB"), 0);
    assert_string_equal(dev_opts(&cfg, "net", 0), "tap=vm1,mac=52:54:00:12:34:AB");
}

static void config_rejects_bad_net_values_and_a_second_net(void **state)
{
    (void)state;
    EXPECT_ERROR("--net user: expected tap=NAME", "run", "--kernel", "K", "--net", "user");
    EXPECT_ERROR("interface name", "run", "--kernel", "K", "--net", "tap=");
    EXPECT_ERROR("interface name", "run", "--kernel", "K", "--net", "tap=a-very-long-interface");
    EXPECT_ERROR("unknown option 'mac=01:02'", "run", "--kernel", "K", "--net", "tap=t0,mac=01:02");
    EXPECT_ERROR("unicast", "run", "--kernel", "K", "--net", "tap=t0,mac=01:00:00:00:00:01");
    EXPECT_ERROR("unknown option 'queues=2'", "run", "--kernel", "K", "--net", "tap=t0,queues=2");
    EXPECT_ERROR("--net tap=t1: only one --net", "run", "--kernel", "K", "--net", "tap=t0", "--net",
                 "tap=t1");
}

static void config_rng_is_a_flag_without_value(void **state)
{
    struct stdvmm_config cfg;
    char err[256];
    (void)state;

    assert_int_equal(PARSE(&cfg, err, "run", "--rng", "--kernel", "K"), 0);
    assert_int_equal(stdvmm_config_count(&cfg, "rng"), 1);
    assert_string_equal(cfg.kernel, "K"); /* --rng did not eat the next word */
    EXPECT_ERROR("--rng takes no value", "run", "--kernel", "K", "--rng=1");
}

static void config_parses_vsock_cid_and_socket_path(void **state)
{
    struct stdvmm_config cfg;
    char err[256];
    (void)state;

    assert_int_equal(PARSE(&cfg, err, "run", "--kernel", "K", "--vsock", "cid=3,uds=/tmp/v.sock"),
                     0);
    assert_string_equal(dev_opts(&cfg, "vsock", 0), "cid=3,uds=/tmp/v.sock");
    assert_int_equal(PARSE(&cfg, err, "run", "--kernel", "K", "--vsock=uds=v,cid=4294967294"), 0);
    assert_string_equal(dev_opts(&cfg, "vsock", 0), "uds=v,cid=4294967294");
}

static void config_rejects_bad_vsock_values_and_a_second_vsock(void **state)
{
    (void)state;
    EXPECT_ERROR("cid must be", "run", "--kernel", "K", "--vsock", "cid=2,uds=v");
    EXPECT_ERROR("cid must be", "run", "--kernel", "K", "--vsock", "cid=4294967295,uds=v");
    EXPECT_ERROR("cid must be", "run", "--kernel", "K", "--vsock", "cid=x,uds=v");
    EXPECT_ERROR("both cid=N and uds=PATH", "run", "--kernel", "K", "--vsock", "cid=3");
    EXPECT_ERROR("both cid=N and uds=PATH", "run", "--kernel", "K", "--vsock", "uds=v");
    EXPECT_ERROR("unknown option 'port=1'", "run", "--kernel", "K", "--vsock",
                 "cid=3,uds=v,port=1");
    EXPECT_ERROR("only one --vsock", "run", "--kernel", "K", "--vsock", "cid=3,uds=a", "--vsock",
                 "cid=4,uds=b");
}

static void help_lists_every_device_class_and_no_reboot(void **state)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    (void)state;

    assert_non_null(out);
    stdvmm_print_run_help(out);
    fclose(out);
    for (unsigned i = 0; i < vmm_nr_device_classes; i++) {
        char opt[64];
        snprintf(opt, sizeof(opt), "  --%s%s%s", vmm_device_classes[i].name,
                 vmm_device_classes[i].arg ? " " : "",
                 vmm_device_classes[i].arg ? vmm_device_classes[i].arg : "");
        if (strstr(text, opt) == NULL)
            fail_msg("--help lacks \"%s\"", opt);
    }
    assert_non_null(strstr(text, "  --no-reboot"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(config_defaults_with_only_a_kernel),
        cmocka_unit_test(config_parses_every_run_option_in_both_spellings),
        cmocka_unit_test(config_virtio_console_defaults_to_hvc0),
        cmocka_unit_test(config_later_option_wins),
        cmocka_unit_test(config_accepts_cpus_at_both_bounds),
        cmocka_unit_test(config_rejects_cpus_out_of_range_or_not_numbers),
        cmocka_unit_test(parse_size_understands_binary_suffixes),
        cmocka_unit_test(parse_size_rejects_malformed_and_overflowing_sizes),
        cmocka_unit_test(config_mem_is_bounded_and_2m_aligned),
        cmocka_unit_test(config_rejects_bad_console_and_log_level),
        cmocka_unit_test(config_console_filter_defaults_to_auto),
        cmocka_unit_test(config_requires_a_kernel),
        cmocka_unit_test(config_reports_an_option_without_value),
        cmocka_unit_test(config_rejects_unknown_options_commands_and_arguments),
        cmocka_unit_test(config_recognises_help_and_version),
        cmocka_unit_test(config_collects_disks_in_order_with_their_ro_flag),
        cmocka_unit_test(config_rejects_empty_disks_and_more_than_the_maximum),
        cmocka_unit_test(config_keeps_device_options_in_command_line_order),
        cmocka_unit_test(config_takes_net_tap_with_or_without_mac),
        cmocka_unit_test(config_rejects_bad_net_values_and_a_second_net),
        cmocka_unit_test(config_rng_is_a_flag_without_value),
        cmocka_unit_test(config_parses_vsock_cid_and_socket_path),
        cmocka_unit_test(config_rejects_bad_vsock_values_and_a_second_vsock),
        cmocka_unit_test(help_lists_every_device_class_and_no_reboot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
