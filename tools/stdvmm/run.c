/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `stdvmm run`: read the kernel and initrd, build the platform (PL011,
 * optional virtio-console, the virtio devices of devices.c, RAM, device
 * tree) and run it on KVM, or with --dump-dtb write the device tree and stop
 * before touching /dev/kvm.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "devices.h"
#include "isolate.h"
#include "run.h"
#include "stdvmm/arm64.h"
#include "stdvmm/boot_timer.h"
#include "stdvmm/err.h"
#include "stdvmm/kvm.h"
#include "stdvmm/log.h"
#include "stdvmm/pl011.h"
#include "stdvmm/posix_backends.h"
#include "stdvmm/virtio_console.h"

struct run_file {
    void *data;
    size_t size;
};

/* Everything one VM needs; heap allocated, it is large. */
struct run_machine {
    struct vmm_vm vm;
    struct vmm_arm64_layout layout;
    struct pl011 uart;
    struct virtio_console vcon;
    struct vmm_stdio stdio;
    struct stdvmm_devices devs;
    struct vmm_loop loop; /* the backends' I/O thread */
    bool loop_open;
    struct vmm_kvm kvm;
    bool kvm_open;
    struct run_file kernel, initrd;
    char stdout_path[64];
    struct vmm_arm64_boot_info info;
    struct boot_timer boot_timer;
    struct timespec started; /* CLOCK_REALTIME when stdvmm_run() began */
};

/* Read a whole regular file; errors name the option and the file. */
static int run_read_file(const char *opt, const char *path, struct run_file *f)
{
    struct stat st;
    size_t done = 0;
    int fd, err;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        err = errno;
        vmm_err("%s %s: %s", opt, path, strerror(err));
        return -err;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        err = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
        vmm_err("%s %s: %s", opt, path, err == EISDIR ? strerror(err) : "not a regular file");
        close(fd);
        return -err;
    }
    if ((uint64_t)st.st_size > STDVMM_MEM_MAX) {
        vmm_err("%s %s: too large (%lld bytes)", opt, path, (long long)st.st_size);
        close(fd);
        return -VMM_E2BIG;
    }
    f->size = (size_t)st.st_size;
    f->data = malloc(f->size ? f->size : 1);
    if (f->data == NULL) {
        vmm_err("%s %s: out of memory", opt, path);
        close(fd);
        return -VMM_ENOMEM;
    }
    while (done < f->size) {
        ssize_t n = read(fd, (uint8_t *)f->data + done, f->size - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            vmm_err("%s %s: %s", opt, path, n < 0 ? strerror(errno) : "file shrank while read");
            close(fd);
            return n < 0 ? -errno : -VMM_EIO;
        }
        done += (size_t)n;
    }
    close(fd);
    return 0;
}

static int run_write_file(const char *opt, const char *path, const void *data, size_t size)
{
    size_t done = 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

    if (fd < 0) {
        vmm_err("%s %s: %s", opt, path, strerror(errno));
        return -VMM_EIO;
    }
    while (done < size) {
        ssize_t n = write(fd, (const uint8_t *)data + done, size - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            vmm_err("%s %s: %s", opt, path, n < 0 ? strerror(errno) : "short write");
            close(fd);
            return -VMM_EIO;
        }
        done += (size_t)n;
    }
    if (close(fd) < 0) {
        vmm_err("%s %s: %s", opt, path, strerror(errno));
        return -VMM_EIO;
    }
    return 0;
}

/* Load the files and reject a kernel that is not an arm64 Image early. */
static int run_load(struct run_machine *m, const struct stdvmm_config *cfg)
{
    struct vmm_arm64_image img;
    const uint8_t *k;
    int ret;

    ret = run_read_file("--kernel", cfg->kernel, &m->kernel);
    if (ret < 0)
        return ret;
    if (cfg->initrd != NULL) {
        ret = run_read_file("--initrd", cfg->initrd, &m->initrd);
        if (ret < 0)
            return ret;
    }
    if (vmm_arm64_parse_image(m->kernel.data, m->kernel.size, &img) == 0)
        return 0;
    k = m->kernel.data;
    if (m->kernel.size >= 2 && k[0] == 0x1f && k[1] == 0x8b)
        vmm_err("--kernel %s: gzip-compressed; stdvmm needs an uncompressed arm64 Image "
                "(zcat it first)",
                cfg->kernel);
    else if (m->kernel.size >= 8 && k[0] == 'M' && k[1] == 'Z' && memcmp(k + 4, "zimg", 4) == 0)
        vmm_err("--kernel %s: an EFI zboot image; stdvmm needs an uncompressed arm64 Image",
                cfg->kernel);
    else
        vmm_err("--kernel %s: not an arm64 Linux Image (no valid \"ARM\\x64\" header)",
                cfg->kernel);
    return -VMM_ENOEXEC;
}

static size_t run_pl011_rx(void *dev, const uint8_t *buf, size_t len)
{
    return pl011_rx(dev, buf, len);
}

static size_t run_virtio_console_rx(void *dev, const uint8_t *buf, size_t len)
{
    return virtio_console_rx(dev, buf, len);
}

/* The guest wrote the boot timer (bench/: at the start of its /init). */
static void run_boot_timer_signalled(void *ctx)
{
    const struct run_machine *m = ctx;
    struct timespec now;
    double ms;

    clock_gettime(CLOCK_REALTIME, &now);
    ms = (double)(now.tv_sec - m->started.tv_sec) * 1e3 +
         (double)(now.tv_nsec - m->started.tv_nsec) / 1e6;
    vmm_info("boot-timer: guest signalled at realtime %lld.%06ld, %.3f ms after stdvmm started",
             (long long)now.tv_sec, now.tv_nsec / 1000, ms);
}

/* The devices: a PL011 always (earlycon, ttyAMA0), virtio-console on request
 * (virtio slot 0), then disks, network, rng and vsock in the next slots. */
static int run_add_devices(struct run_machine *m, const struct stdvmm_config *cfg)
{
    unsigned next_slot = 0;
    int ret;

    pl011_init(&m->uart, &m->vm, "pl011", m->layout.uart_base, m->layout.uart_irq,
               &m->stdio.backend);
    ret = vmm_vm_add_device(&m->vm, &m->uart.dev);
    if (ret < 0) {
        vmm_err("pl011: %s", vmm_strerror(ret));
        return ret;
    }
    ret = vmm_arm64_device_path(&m->uart.dev, m->stdout_path, sizeof(m->stdout_path));
    if (ret < 0)
        return ret;
    /* Always there, at a fixed address outside the virtio slots (bench/). */
    boot_timer_init(&m->boot_timer, "boot-timer", BOOT_TIMER_DEFAULT_BASE, run_boot_timer_signalled,
                    m);
    ret = vmm_vm_add_device(&m->vm, &m->boot_timer.dev);
    if (ret < 0) {
        vmm_err("boot-timer: %s", vmm_strerror(ret));
        return ret;
    }
    if (cfg->console == STDVMM_CONSOLE_VIRTIO) {
        uint64_t base;
        unsigned irq;

        ret = vmm_arm64_virtio_slot(&m->layout, next_slot++, &base, &irq);
        if (ret == 0)
            ret = virtio_console_init(&m->vcon, &m->vm, "virtio-console0", base, irq,
                                      &m->stdio.backend);
        if (ret == 0)
            ret = vmm_vm_add_device(&m->vm, virtio_console_device(&m->vcon));
        if (ret < 0) {
            vmm_err("virtio-console: %s", vmm_strerror(ret));
            return ret;
        }
    }
    return stdvmm_devices_add(&m->devs, &m->vm, &m->layout, next_slot, cfg, cfg->dump_dtb != NULL);
}

/* Guest RAM without KVM, for --dump-dtb. */
static int run_add_plain_ram(struct run_machine *m, uint64_t size)
{
    void *hva = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

    if (hva == MAP_FAILED) {
        vmm_err("guest RAM: mmap of %llu bytes: %s", (unsigned long long)size, strerror(errno));
        return -VMM_ENOMEM;
    }
    return vmm_vm_add_ram(&m->vm, m->layout.ram_base, size, hva);
}

static int run_place_boot(struct run_machine *m, const struct stdvmm_config *cfg)
{
    struct vmm_arm64_boot boot = {
        .kernel = m->kernel.data,
        .kernel_size = m->kernel.size,
        .initrd = m->initrd.data,
        .initrd_size = m->initrd.size,
        .cmdline = stdvmm_config_cmdline(cfg),
        .stdout_path = m->stdout_path,
    };
    int ret = vmm_arm64_boot_prepare(&m->vm, &m->layout, &boot, &m->info);

    if (ret == -VMM_E2BIG)
        vmm_err("kernel, initrd and device tree do not fit in %lluM of RAM (try a larger --mem)",
                (unsigned long long)(cfg->mem / STDVMM_MIB));
    else if (ret < 0)
        vmm_err("cannot prepare the guest: %s", vmm_strerror(ret));
    return ret;
}

static int run_dump_dtb(struct run_machine *m, const struct stdvmm_config *cfg)
{
    const void *dtb = vmm_gpa_to_hva(&m->vm.mem, m->info.dtb_gpa, m->info.dtb_size);

    if (dtb == NULL)
        return -VMM_EFAULT;
    if (run_write_file("--dump-dtb", cfg->dump_dtb, dtb, m->info.dtb_size) < 0)
        return -VMM_EIO;
    vmm_info("device tree (%u bytes) written to %s", m->info.dtb_size, cfg->dump_dtb);
    return 0;
}

static void run_quit(void *ctx)
{
    vmm_kvm_request_stop(ctx, VMM_KVM_STOP_QUIT);
}

/* Process exit status for each way a run can end (see `stdvmm run --help`). */
static int run_exit_status(enum vmm_kvm_stop why)
{
    switch (why) {
    case VMM_KVM_STOP_SHUTDOWN:
        vmm_info("the guest powered off");
        return STDVMM_EXIT_OK;
    case VMM_KVM_STOP_RESET:
        vmm_warn("the guest asked for a reset; stdvmm does not emulate reset yet and exits");
        return STDVMM_EXIT_OK;
    case VMM_KVM_STOP_QUIT:
        vmm_info("quit (Ctrl-A x)");
        return STDVMM_EXIT_OK;
    case VMM_KVM_STOP_SIGINT:
        vmm_info("stopped by SIGINT");
        return 128 + SIGINT;
    case VMM_KVM_STOP_SIGTERM:
        vmm_info("stopped by SIGTERM");
        return 128 + SIGTERM;
    case VMM_KVM_STOP_SIGHUP:
        vmm_info("stopped by SIGHUP");
        return 128 + SIGHUP;
    case VMM_KVM_STOP_CRASH:
    case VMM_KVM_STOP_ERROR:
    case VMM_KVM_STOP_NONE:
        break;
    }
    vmm_err("the VM stopped: %s", vmm_kvm_stop_name(why));
    return STDVMM_EXIT_RUNTIME;
}

static int run_on_kvm(struct run_machine *m, const struct stdvmm_config *cfg)
{
    enum vmm_kvm_stop why;
    int ret;

    ret = vmm_kvm_create_vcpus(&m->kvm, m->layout.gicd_base, m->layout.gicr_base);
    if (ret == 0)
        ret = m->vm.port_ops->vcpu_start(m->vm.port, 0, m->info.entry, m->info.dtb_gpa);
    if (ret < 0)
        return STDVMM_EXIT_RUNTIME;
    if (cfg->console == STDVMM_CONSOLE_VIRTIO)
        vmm_stdio_set_input(&m->stdio, run_virtio_console_rx, &m->vcon, &m->kvm.lock);
    else
        vmm_stdio_set_input(&m->stdio, run_pl011_rx, &m->uart, &m->kvm.lock);
    vmm_stdio_set_quit(&m->stdio, run_quit, &m->kvm);
    ret = vmm_loop_init(&m->loop);
    if (ret < 0) {
        vmm_err("event loop: %s", vmm_strerror(ret));
        return STDVMM_EXIT_RUNTIME;
    }
    m->loop_open = true;
    if (stdvmm_devices_start(&m->devs, &m->loop, &m->kvm.lock) < 0)
        return STDVMM_EXIT_RUNTIME;
    ret = vmm_stdio_start(&m->stdio, &m->loop);
    if (ret < 0) {
        vmm_err("console: %s", vmm_strerror(ret));
        return STDVMM_EXIT_RUNTIME;
    }
    ret = vmm_loop_start(&m->loop);
    if (ret < 0) {
        vmm_err("event loop: cannot start its thread: %s", vmm_strerror(ret));
        return STDVMM_EXIT_RUNTIME;
    }
    vmm_info("booting %s: %u vCPU(s), %lluM RAM, entry 0x%llx, DTB 0x%llx, cmdline \"%s\"",
             cfg->kernel, cfg->cpus, (unsigned long long)(cfg->mem / STDVMM_MIB),
             (unsigned long long)m->info.entry, (unsigned long long)m->info.dtb_gpa,
             stdvmm_config_cmdline(cfg));
    /* Everything is open: from here on only the run loop's syscalls. */
    if (stdvmm_isolate(cfg) < 0)
        return STDVMM_EXIT_RUNTIME;
    why = vmm_kvm_run(&m->kvm);
    /* vCPUs are joined: no device calls rx_ready any more */
    vmm_stdio_stop(&m->stdio);
    vmm_loop_stop(&m->loop);
    stdvmm_devices_stop(&m->devs);
    return run_exit_status(why);
}

static int run_machine(struct run_machine *m, const struct stdvmm_config *cfg)
{
    int ret;

    if (run_load(m, cfg) < 0)
        return STDVMM_EXIT_RUNTIME;
    ret = vmm_vm_init(&m->vm, "stdvmm", cfg->cpus);
    if (ret < 0)
        return STDVMM_EXIT_USAGE;
    vmm_arm64_default_layout(&m->layout);
    ret = vmm_stdio_init(&m->stdio, STDIN_FILENO, STDOUT_FILENO);
    if (ret < 0) {
        vmm_err("console: %s", strerror(-ret));
        return STDVMM_EXIT_RUNTIME;
    }
    vmm_stdio_set_sanitize(&m->stdio, cfg->console_filter == STDVMM_CONSOLE_FILTER_SANITIZE ||
                                          (cfg->console_filter == STDVMM_CONSOLE_FILTER_AUTO &&
                                           !isatty(STDOUT_FILENO)));
    if (run_add_devices(m, cfg) < 0)
        return STDVMM_EXIT_RUNTIME;
    if (cfg->dump_dtb != NULL) {
        ret = run_add_plain_ram(m, cfg->mem);
    } else {
        ret = vmm_kvm_open(&m->kvm, &m->vm);
        m->kvm_open = true;
        if (ret == 0)
            ret = vmm_kvm_add_ram(&m->kvm, m->layout.ram_base, cfg->mem);
    }
    if (ret < 0 || run_place_boot(m, cfg) < 0)
        return STDVMM_EXIT_RUNTIME;
    /* The guest has its own copy now: return the file buffers (about the
     * kernel's size of resident memory, see docs/PERFORMANCE.md). */
    free(m->kernel.data);
    free(m->initrd.data);
    m->kernel.data = m->initrd.data = NULL;
    if (cfg->dump_dtb != NULL)
        return run_dump_dtb(m, cfg) < 0 ? STDVMM_EXIT_RUNTIME : STDVMM_EXIT_OK;
    return run_on_kvm(m, cfg);
}

int stdvmm_run(const struct stdvmm_config *cfg)
{
    struct run_machine *m = calloc(1, sizeof(*m));
    int status;

    if (m == NULL) {
        vmm_err("out of memory");
        return STDVMM_EXIT_RUNTIME;
    }
    clock_gettime(CLOCK_REALTIME, &m->started);
    status = run_machine(m, cfg);
    vmm_stdio_stop(&m->stdio);
    if (m->loop_open)
        vmm_loop_stop(&m->loop);
    stdvmm_devices_close(&m->devs);
    if (m->loop_open)
        vmm_loop_close(&m->loop);
    if (m->kvm_open)
        vmm_kvm_close(&m->kvm);
    free(m->kernel.data);
    free(m->initrd.data);
    free(m);
    return status;
}
