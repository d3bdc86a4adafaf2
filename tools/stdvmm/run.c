/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `stdvmm run`: map the kernel and initrd, fill a machine description from
 * the command line, let the machine builder (src/machine) build it on KVM
 * and run it; on a guest reset, reset the machine and run it again. With
 * --dump-dtb the machine is built on a RAM-only port instead and only its
 * device tree is written, before /dev/kvm is touched.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "api.h"
#include "backends.h"
#include "gdb.h"
#include "isolate.h"
#include "run.h"
#include "stdvmm/arm64.h"
#include "stdvmm/err.h"
#include "stdvmm/kvm/port.h"
#include "stdvmm/log.h"
#include "stdvmm/machine.h"
#include "stdvmm/posix/backends.h"

/* A boot image, mapped from its file: the builder copies it into guest RAM
 * at every boot; between boots its pages are given back (MADV_DONTNEED)
 * and come from the page cache again on a reset. */
struct run_file {
    const char *opt, *path;
    int fd;
    void *data;
    size_t size;
};

/* Everything one VM needs; heap allocated, it is large. */
struct run_machine {
    struct vmm_machine machine;
    struct vmm_machine_desc desc;
    struct stdvmm_backends backends;
    struct vmm_stdio stdio;
    struct vmm_loop loop; /* the backends' I/O thread */
    bool loop_open;
    struct vmm_kvm kvm;
    bool kvm_open;
    struct stdvmm_api api; /* --api-sock */
    struct stdvmm_gdb gdb; /* --gdb */
    struct run_file kernel, initrd;
    void *storage;
};

static int run_map_file(struct run_file *f, const char *opt, const char *path)
{
    struct stat st;
    int err;

    f->opt = opt;
    f->path = path;
    f->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (f->fd < 0) {
        err = errno;
        vmm_err("%s %s: %s", opt, path, strerror(err));
        return err == ENOENT ? -VMM_ENOENT : err == EACCES ? -VMM_EACCES : -VMM_EIO;
    }
    if (fstat(f->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        vmm_err("%s %s: %s", opt, path,
                S_ISDIR(st.st_mode) ? strerror(EISDIR) : "not a regular file");
        return -VMM_EINVAL;
    }
    if ((uint64_t)st.st_size > STDVMM_MEM_MAX) {
        vmm_err("%s %s: too large (%lld bytes)", opt, path, (long long)st.st_size);
        return -VMM_E2BIG;
    }
    f->size = (size_t)st.st_size;
    if (f->size == 0)
        return 0;
    f->data = mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, f->fd, 0);
    if (f->data == MAP_FAILED) {
        f->data = NULL;
        vmm_err("%s %s: mmap: %s", opt, path, strerror(errno));
        return -VMM_ENOMEM;
    }
    return 0;
}

/* The guest has its copy: give the pages back (resident memory stays
 * small, docs/PERFORMANCE.md); a reset reads them again. */
static void run_release_file(struct run_file *f)
{
    if (f->data != NULL)
        madvise(f->data, f->size, MADV_DONTNEED);
}

/* Before a reboot: the file must still be as large as when it was mapped
 * (a shorter one would fault on the missing pages). */
static int run_check_file(const struct run_file *f)
{
    struct stat st;

    if (f->fd < 0)
        return 0;
    if (fstat(f->fd, &st) < 0 || (uint64_t)st.st_size != f->size) {
        vmm_err("%s %s changed size since stdvmm started: cannot reboot the guest", f->opt,
                f->path);
        return -VMM_EIO;
    }
    return 0;
}

static void run_unmap_file(struct run_file *f)
{
    if (f->data != NULL)
        munmap(f->data, f->size);
    if (f->fd >= 0)
        close(f->fd);
    f->data = NULL;
    f->fd = -1;
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

/* Map the files and reject a kernel that is not an arm64 Image early. */
static int run_load(struct run_machine *m, const struct stdvmm_config *cfg)
{
    struct vmm_arm64_image img;
    const uint8_t *k;
    int ret;

    ret = run_map_file(&m->kernel, "--kernel", cfg->kernel);
    if (ret == 0 && cfg->initrd != NULL)
        ret = run_map_file(&m->initrd, "--initrd", cfg->initrd);
    if (ret < 0)
        return ret;
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

/* The machine description `stdvmm run` asks for. */
static void run_describe(struct run_machine *m, const struct stdvmm_config *cfg)
{
    struct vmm_machine_desc *d = &m->desc;

    *d = (struct vmm_machine_desc){
        .name = "stdvmm",
        .gic_version = 3,
        .ram_base = VMM_ARM64_RAM_BASE,
        .ram_size = cfg->mem,
        .nr_vcpus = cfg->cpus,
        .console = cfg->console == STDVMM_CONSOLE_VIRTIO ? VMM_CONSOLE_VIRTIO : VMM_CONSOLE_SERIAL,
        .kernel = m->kernel.data,
        .kernel_size = m->kernel.size,
        .initrd = m->initrd.data,
        .initrd_size = m->initrd.size,
        .cmdline = stdvmm_config_cmdline(cfg),
        .nr_devices = cfg->nr_devices,
    };
    for (unsigned i = 0; i < VMM_MAX_VCPUS; i++)
        d->vcpus[i].core = -1; /* Linux schedules the vCPU threads */
    memcpy(d->devices, cfg->devices, sizeof(d->devices));
}

/* --dump-dtb: a port with RAM and nothing else (no /dev/kvm). */
static int plain_irq_set(void *port, unsigned line, bool level)
{
    (void)port;
    (void)line;
    (void)level;
    return 0;
}

static int plain_map_ram(void *port, uint64_t gpa, uint64_t size, void **hva)
{
    struct run_machine *m = port;
    void *p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

    if (p == MAP_FAILED)
        return -VMM_ENOMEM;
    *hva = p;
    return vmm_vm_add_ram(&m->machine.vm, gpa, size, p);
}

static int plain_vcpu_start(void *port, unsigned vcpu, uint64_t pc, uint64_t x0)
{
    (void)port;
    (void)vcpu;
    (void)pc;
    (void)x0;
    return 0;
}

static const struct vmm_port_ops plain_port_ops = {
    .irq_set = plain_irq_set,
    .map_ram = plain_map_ram,
    .vcpu_start = plain_vcpu_start,
};

/* vhost-user: kicks and interrupts wired straight into KVM. */
static int run_ioeventfd(void *ctx, uint64_t addr, uint32_t len, uint64_t datamatch, int fd)
{
    return vmm_kvm_ioeventfd(ctx, addr, len, datamatch, fd);
}

static int run_irqfd(void *ctx, unsigned line, int fd)
{
    return vmm_kvm_irqfd(ctx, line, fd);
}

static int run_dump_dtb(struct run_machine *m, const struct stdvmm_config *cfg)
{
    const struct vmm_arm64_boot_info *info = &m->machine.info;
    const void *dtb = vmm_gpa_to_hva(&m->machine.vm.mem, info->dtb_gpa, info->dtb_size);

    if (dtb == NULL)
        return -VMM_EFAULT;
    if (run_write_file("--dump-dtb", cfg->dump_dtb, dtb, info->dtb_size) < 0)
        return -VMM_EIO;
    vmm_info("device tree (%u bytes) written to %s", info->dtb_size, cfg->dump_dtb);
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
        vmm_info("the guest asked for a reset; --no-reboot: exiting");
        return STDVMM_EXIT_REBOOT;
    case VMM_KVM_STOP_QUIT:
        vmm_info("quit (Ctrl-A x)");
        return STDVMM_EXIT_OK;
    case VMM_KVM_STOP_API:
        vmm_info("stopped through the API");
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

/* PSCI SYSTEM_RESET: every vCPU thread is joined. The backends stop
 * (queued disk requests complete first, the tap and sockets leave the
 * event loop) so nothing writes guest memory while the images are placed
 * again; the console input still runs and takes the lock, so the devices
 * are reset under it. Then the backends start again. */
static int run_reboot(struct run_machine *m)
{
    int ret = run_check_file(&m->kernel);

    if (ret == 0)
        ret = run_check_file(&m->initrd);
    if (ret < 0)
        return ret;
    vmm_machine_stop(&m->machine);
    pthread_mutex_lock(&m->kvm.lock);
    ret = vmm_machine_reset(&m->machine);
    pthread_mutex_unlock(&m->kvm.lock);
    run_release_file(&m->kernel);
    run_release_file(&m->initrd);
    if (ret == 0)
        ret = vmm_machine_start(&m->machine);
    if (ret == 0)
        vmm_info("the guest rebooted (boot %u)", m->machine.boots);
    return ret;
}

static int run_on_kvm(struct run_machine *m, const struct stdvmm_config *cfg)
{
    enum vmm_kvm_stop why;
    int ret;

    vmm_stdio_set_input(&m->stdio, vmm_machine_console_rx, &m->machine, &m->kvm.lock);
    vmm_stdio_set_quit(&m->stdio, run_quit, &m->kvm);
    ret = vmm_loop_init(&m->loop);
    if (ret < 0) {
        vmm_err("event loop: %s", vmm_strerror(ret));
        return STDVMM_EXIT_RUNTIME;
    }
    m->loop_open = true;
    m->backends.lock = &m->kvm.lock;
    m->backends.loop = &m->loop;
    if (vmm_machine_start(&m->machine) < 0)
        return STDVMM_EXIT_RUNTIME;
    ret = vmm_stdio_start(&m->stdio, &m->loop);
    if (ret < 0) {
        vmm_err("console: %s", vmm_strerror(ret));
        return STDVMM_EXIT_RUNTIME;
    }
    if (stdvmm_api_open(&m->api, cfg, &m->kvm, &m->machine) < 0)
        return STDVMM_EXIT_RUNTIME;
    ret = stdvmm_api_start(&m->api, &m->loop);
    if (ret < 0) {
        vmm_err("--api-sock: %s", vmm_strerror(ret));
        return STDVMM_EXIT_RUNTIME;
    }
    if (stdvmm_gdb_open(&m->gdb, cfg, &m->kvm) < 0)
        return STDVMM_EXIT_RUNTIME;
    ret = vmm_loop_start(&m->loop);
    if (ret < 0) {
        vmm_err("event loop: cannot start its thread: %s", vmm_strerror(ret));
        return STDVMM_EXIT_RUNTIME;
    }
    vmm_info("booting %s: %u vCPU(s), %lluM RAM, entry 0x%llx, DTB 0x%llx, cmdline \"%s\"",
             cfg->kernel, cfg->cpus, (unsigned long long)(cfg->mem / STDVMM_MIB),
             (unsigned long long)m->machine.info.entry, (unsigned long long)m->machine.info.dtb_gpa,
             stdvmm_config_cmdline(cfg));
    /* Everything is open: from here on only the run loop's syscalls. */
    {
        const struct vmm_posix_syscalls *extra[VMM_MACHINE_MAX_DEVICES + 2];
        size_t n = stdvmm_backends_syscalls(&m->machine, extra, VMM_MACHINE_MAX_DEVICES);

        if (m->api.open)
            extra[n++] = &vmm_api_sock_syscalls;
        if (m->gdb.open)
            extra[n++] = &stdvmm_gdb_syscalls;

        if (stdvmm_isolate(cfg, extra, n) < 0)
            return STDVMM_EXIT_RUNTIME;
    }
    ret = stdvmm_gdb_start(&m->gdb);
    if (ret < 0) {
        vmm_err("--gdb: cannot start its thread: %s", strerror(-ret));
        return STDVMM_EXIT_RUNTIME;
    }
    for (;;) {
        why = vmm_kvm_run(&m->kvm);
        /* --no-reboot is about the guest's reboot; the API's always boots again */
        if (why != VMM_KVM_STOP_RESET || (cfg->no_reboot && !stdvmm_api_take_reboot(&m->api)))
            break;
        if (run_reboot(m) < 0) {
            why = VMM_KVM_STOP_ERROR;
            break;
        }
    }
    /* vCPUs are joined: no device calls rx_ready any more */
    stdvmm_gdb_close(&m->gdb);
    stdvmm_api_close(&m->api);
    vmm_stdio_stop(&m->stdio);
    vmm_machine_stop(&m->machine);
    vmm_loop_stop(&m->loop);
    return run_exit_status(why);
}

static int run_machine(struct run_machine *m, const struct stdvmm_config *cfg)
{
    size_t storage_size;
    int ret;

    if (run_load(m, cfg) < 0)
        return STDVMM_EXIT_RUNTIME;
    run_describe(m, cfg);
    ret = vmm_stdio_init(&m->stdio, STDIN_FILENO, STDOUT_FILENO);
    if (ret < 0) {
        vmm_err("console: %s", strerror(-ret));
        return STDVMM_EXIT_RUNTIME;
    }
    vmm_stdio_set_sanitize(&m->stdio, cfg->console_filter == STDVMM_CONSOLE_FILTER_SANITIZE ||
                                          (cfg->console_filter == STDVMM_CONSOLE_FILTER_AUTO &&
                                           !isatty(STDOUT_FILENO)));
    stdvmm_backends_init(&m->backends, &m->stdio.backend, cfg->dump_dtb != NULL);
    storage_size = vmm_machine_storage_size(&m->desc);
    m->storage = calloc(1, storage_size ? storage_size : 1);
    if (m->storage == NULL) {
        vmm_err("out of memory");
        return STDVMM_EXIT_RUNTIME;
    }
    if (vmm_machine_init(&m->machine, &m->desc, &m->backends.provider, m->storage, storage_size) <
        0)
        return STDVMM_EXIT_USAGE;
    if (cfg->dump_dtb != NULL) {
        vmm_vm_set_port(&m->machine.vm, &plain_port_ops, m);
    } else {
        ret = vmm_kvm_open(&m->kvm, &m->machine.vm);
        m->kvm_open = true;
        m->kvm.shared_ram = stdvmm_backends_need_shared_ram(&m->desc);
        m->backends.kvm = &m->kvm;
        m->backends.wiring = (struct vmm_vhost_wiring){run_ioeventfd, run_irqfd, &m->kvm};
        if (ret == 0)
            ret = vmm_kvm_create_vcpus(&m->kvm, m->machine.layout.gicd_base,
                                       m->machine.layout.gicr_base);
        if (ret < 0)
            return STDVMM_EXIT_RUNTIME;
    }
    if (vmm_machine_build(&m->machine) < 0)
        return STDVMM_EXIT_RUNTIME;
    run_release_file(&m->kernel);
    run_release_file(&m->initrd);
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
    m->kernel.fd = m->initrd.fd = -1;
    status = run_machine(m, cfg);
    stdvmm_gdb_close(&m->gdb);
    stdvmm_api_close(&m->api);
    vmm_stdio_stop(&m->stdio);
    if (m->loop_open)
        vmm_loop_stop(&m->loop);
    if (m->machine.desc != NULL)
        vmm_machine_close(&m->machine);
    if (m->loop_open)
        vmm_loop_close(&m->loop);
    if (m->kvm_open)
        vmm_kvm_close(&m->kvm);
    run_unmap_file(&m->kernel);
    run_unmap_file(&m->initrd);
    free(m->storage);
    free(m);
    return status;
}
