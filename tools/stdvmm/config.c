/* SPDX-License-Identifier: BSD-2-Clause */
/* Command-line parsing for the stdvmm program (see config.h). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "config.h"
#include "backends.h"
#include "isolate.h"
#include "stdvmm/err.h"
#include "stdvmm/vm.h"

void stdvmm_config_defaults(struct stdvmm_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->command = STDVMM_CMD_RUN;
    cfg->cpus = 1;
    cfg->mem = STDVMM_MEM_DEFAULT;
    cfg->console = STDVMM_CONSOLE_SERIAL;
    cfg->log_level = VMM_LOG_WARN;
}

const char *stdvmm_default_cmdline(enum stdvmm_console console)
{
    return console == STDVMM_CONSOLE_VIRTIO ? "console=hvc0" : "console=ttyAMA0";
}

const char *stdvmm_config_cmdline(const struct stdvmm_config *cfg)
{
    return cfg->cmdline != NULL ? cfg->cmdline : stdvmm_default_cmdline(cfg->console);
}

int stdvmm_parse_size(const char *s, uint64_t *out)
{
    uint64_t v = 0, shift = 20;
    const char *p = s;

    if (s == NULL || *s < '0' || *s > '9')
        return -VMM_EINVAL;
    for (; *p >= '0' && *p <= '9'; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -VMM_ERANGE;
        v = v * 10 + d;
    }
    switch (*p) {
    case '\0':
        break; /* MiB */
    case 'k':
    case 'K':
        shift = 10;
        p++;
        break;
    case 'm':
    case 'M':
        shift = 20;
        p++;
        break;
    case 'g':
    case 'G':
        shift = 30;
        p++;
        break;
    case 't':
    case 'T':
        shift = 40;
        p++;
        break;
    default:
        return -VMM_EINVAL;
    }
    if (*p != '\0')
        return -VMM_EINVAL;
    if (v > (UINT64_MAX >> shift))
        return -VMM_ERANGE;
    *out = v << shift;
    return 0;
}

static int config_error(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int config_error(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err != NULL && errlen > 0) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -VMM_EINVAL;
}

static int parse_cpus(struct stdvmm_config *cfg, const char *v, char *err, size_t errlen)
{
    size_t len = strlen(v);
    unsigned n = 0;

    if (len == 0 || strspn(v, "0123456789") != len)
        return config_error(err, errlen, "--cpus %s: not a number", v);
    for (size_t i = 0; i < len && n <= VMM_MAX_VCPUS; i++)
        n = n * 10 + (unsigned)(v[i] - '0'); /* stops early: no overflow */
    if (n < 1 || n > VMM_MAX_VCPUS)
        return config_error(err, errlen, "--cpus %s: must be between 1 and %u", v,
                            (unsigned)VMM_MAX_VCPUS);
    cfg->cpus = n;
    return 0;
}

static int parse_mem(struct stdvmm_config *cfg, const char *v, char *err, size_t errlen)
{
    uint64_t bytes;
    int ret = stdvmm_parse_size(v, &bytes);

    if (ret == -VMM_EINVAL)
        return config_error(err, errlen, "--mem %s: not a size (use e.g. 256M or 2G)", v);
    if (ret < 0 || bytes < STDVMM_MEM_MIN || bytes > STDVMM_MEM_MAX)
        return config_error(err, errlen, "--mem %s: must be between %lluM and %lluG", v,
                            (unsigned long long)(STDVMM_MEM_MIN / STDVMM_MIB),
                            (unsigned long long)(STDVMM_MEM_MAX / STDVMM_GIB));
    if (bytes % STDVMM_MEM_ALIGN != 0)
        return config_error(err, errlen, "--mem %s: must be a multiple of 2M", v);
    cfg->mem = bytes;
    return 0;
}

static int parse_console(struct stdvmm_config *cfg, const char *v, char *err, size_t errlen)
{
    if (strcmp(v, "serial") == 0)
        cfg->console = STDVMM_CONSOLE_SERIAL;
    else if (strcmp(v, "virtio") == 0)
        cfg->console = STDVMM_CONSOLE_VIRTIO;
    else
        return config_error(err, errlen, "--console %s: must be serial or virtio", v);
    return 0;
}

static int parse_console_filter(struct stdvmm_config *cfg, const char *v, char *err, size_t errlen)
{
    if (strcmp(v, "auto") == 0)
        cfg->console_filter = STDVMM_CONSOLE_FILTER_AUTO;
    else if (strcmp(v, "raw") == 0)
        cfg->console_filter = STDVMM_CONSOLE_FILTER_RAW;
    else if (strcmp(v, "sanitize") == 0)
        cfg->console_filter = STDVMM_CONSOLE_FILTER_SANITIZE;
    else
        return config_error(err, errlen, "--console-filter %s: must be auto, raw or sanitize", v);
    return 0;
}

static int parse_log_level(struct stdvmm_config *cfg, const char *v, char *err, size_t errlen)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};

    for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(v, names[i]) == 0) {
            cfg->log_level = (enum vmm_log_level)i;
            return 0;
        }
    }
    return config_error(err, errlen, "--log-level %s: must be error, warn, info or debug", v);
}

static int parse_path(const char **dst, const char *opt, const char *v, char *err, size_t errlen)
{
    if (*v == '\0')
        return config_error(err, errlen, "%s: empty file name", opt);
    *dst = v;
    return 0;
}

/* A device class option (--disk, --net, ...): the class's own check, the
 * host backend's check, and one more {class, options} in the description. */
static int parse_device(struct stdvmm_config *cfg, const struct vmm_device_class *cls,
                        const char *v, char *err, size_t errlen)
{
    unsigned n = stdvmm_config_count(cfg, cls->name);

    if (n >= cls->max && cls->max == 1)
        return config_error(err, errlen, "--%s %s: only one --%s is supported", cls->name,
                            v ? v : "", cls->name);
    if (n >= cls->max)
        return config_error(err, errlen, "--%s %s: at most %u --%s devices", cls->name, v ? v : "",
                            cls->max, cls->name);
    if (cfg->nr_devices >= VMM_MACHINE_MAX_DEVICES)
        return config_error(err, errlen, "--%s %s: at most %u devices in all", cls->name,
                            v ? v : "", (unsigned)VMM_MACHINE_MAX_DEVICES);
    if (v != NULL && cls->parse != NULL && cls->parse(v, err, errlen) < 0)
        return -VMM_EINVAL;
    if (v != NULL && stdvmm_backend_check(cls, v, err, errlen) < 0)
        return -VMM_EINVAL;
    cfg->devices[cfg->nr_devices++] =
        (struct vmm_machine_device_desc){.cls = cls->name, .options = v};
    return 0;
}

unsigned stdvmm_config_count(const struct stdvmm_config *cfg, const char *cls)
{
    unsigned n = 0;

    for (unsigned i = 0; i < cfg->nr_devices; i++)
        n += strcmp(cfg->devices[i].cls, cls) == 0;
    return n;
}

/* One "run" option with its value. */
static int parse_run_option(struct stdvmm_config *cfg, const char *opt, const char *v, char *err,
                            size_t errlen)
{
    if (strcmp(opt, "--kernel") == 0)
        return parse_path(&cfg->kernel, opt, v, err, errlen);
    if (strcmp(opt, "--initrd") == 0)
        return parse_path(&cfg->initrd, opt, v, err, errlen);
    if (strcmp(opt, "--dump-dtb") == 0)
        return parse_path(&cfg->dump_dtb, opt, v, err, errlen);
    if (strcmp(opt, "--api-sock") == 0)
        return parse_path(&cfg->api_sock, opt, v, err, errlen);
    if (strcmp(opt, "--gdb") == 0)
        return parse_path(&cfg->gdb, opt, v, err, errlen);
    if (strcmp(opt, "--cmdline") == 0) {
        cfg->cmdline = v;
        return 0;
    }
    if (strcmp(opt, "--cpus") == 0)
        return parse_cpus(cfg, v, err, errlen);
    if (strcmp(opt, "--mem") == 0)
        return parse_mem(cfg, v, err, errlen);
    if (strcmp(opt, "--console") == 0)
        return parse_console(cfg, v, err, errlen);
    if (strcmp(opt, "--console-filter") == 0)
        return parse_console_filter(cfg, v, err, errlen);
    if (vmm_device_class_find(opt + 2) != NULL)
        return parse_device(cfg, vmm_device_class_find(opt + 2), v, err, errlen);
    if (stdvmm_isolation_option_known(opt))
        return stdvmm_isolation_option(cfg, opt, v, err, errlen);
    return parse_log_level(cfg, v, err, errlen);
}

static bool run_option_known(const char *opt)
{
    static const char *const opts[] = {
        "--kernel",   "--initrd",    "--cmdline",        "--cpus",     "--mem", "--console",
        "--dump-dtb", "--log-level", "--console-filter", "--api-sock", "--gdb"};

    for (unsigned i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
        if (strcmp(opt, opts[i]) == 0)
            return true;
    return stdvmm_isolation_option_known(opt) ||
           (strncmp(opt, "--", 2) == 0 && vmm_device_class_find(opt + 2) != NULL);
}

static int parse_run(struct stdvmm_config *cfg, int argc, char *const argv[], char *err,
                     size_t errlen)
{
    /* --help wins over every other problem on the line. */
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            cfg->command = STDVMM_CMD_RUN_HELP;
            return 0;
        }
    }
    for (int i = 2; i < argc; i++) {
        char opt[32];
        const char *arg = argv[i], *value, *eq;
        const struct vmm_device_class *cls;
        int ret;

        if (strncmp(arg, "--", 2) != 0)
            return config_error(err, errlen, "run: unexpected argument '%s'", arg);
        eq = strchr(arg, '=');
        if (eq != NULL) {
            size_t n = (size_t)(eq - arg);
            if (n >= sizeof(opt))
                n = sizeof(opt) - 1;
            memcpy(opt, arg, n);
            opt[n] = '\0';
        } else {
            snprintf(opt, sizeof(opt), "%s", arg);
        }
        cls = vmm_device_class_find(opt + 2);
        if (cls != NULL && cls->arg == NULL) { /* a device class without a value: --rng */
            if (eq != NULL)
                return config_error(err, errlen, "%s takes no value", opt);
            ret = parse_device(cfg, cls, NULL, err, errlen);
            if (ret < 0)
                return ret;
            continue;
        }
        if (strcmp(opt, "--no-seccomp") == 0 || strcmp(opt, "--no-reboot") == 0) {
            if (eq != NULL)
                return config_error(err, errlen, "%s takes no value", opt);
            if (strcmp(opt, "--no-seccomp") == 0)
                cfg->no_seccomp = true;
            else
                cfg->no_reboot = true;
            continue;
        }
        if (!run_option_known(opt))
            return config_error(err, errlen, "run: unknown option '%s'", opt);
        if (eq != NULL) {
            value = eq + 1;
        } else {
            if (i + 1 >= argc)
                return config_error(err, errlen, "%s needs a value", opt);
            value = argv[++i];
        }
        ret = parse_run_option(cfg, opt, value, err, errlen);
        if (ret < 0)
            return ret;
    }
    if (cfg->kernel == NULL)
        return config_error(err, errlen, "run: --kernel is required");
    /* The API's shutdown presses the power button: give the VM one. */
    if (cfg->api_sock != NULL && stdvmm_config_count(cfg, "power-button") == 0)
        return parse_device(cfg, vmm_device_class_find("power-button"), NULL, err, errlen);
    return 0;
}

int stdvmm_config_parse(struct stdvmm_config *cfg, int argc, char *const argv[], char *err,
                        size_t errlen)
{
    const char *cmd;

    stdvmm_config_defaults(cfg);
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (argc < 2)
        return config_error(err, errlen, "no command given (try 'stdvmm --help')");
    cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        cfg->command = STDVMM_CMD_HELP;
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0 || strcmp(cmd, "version") == 0) {
        cfg->command = STDVMM_CMD_VERSION;
        return 0;
    }
    if (strcmp(cmd, "ctl") == 0) {
        cfg->command = STDVMM_CMD_CTL;
        return 0;
    }
    if (strcmp(cmd, "run") == 0) {
        cfg->command = STDVMM_CMD_RUN;
        return parse_run(cfg, argc, argv, err, errlen);
    }
    if (cmd[0] == '-')
        return config_error(err, errlen, "unknown option '%s' (try 'stdvmm --help')", cmd);
    return config_error(err, errlen, "unknown command '%s' (try 'stdvmm --help')", cmd);
}
