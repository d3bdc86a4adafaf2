/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The control API's commands (api.h, docs/API.md). Runs on the event
 * loop's thread: info and counters copy what they report under the device
 * lock and format it after dropping it; pause waits (bounded) for the
 * vCPUs to park without holding it; reboot, shutdown's timeout and stop go
 * through vmm_kvm_request_stop() like a guest's own request.
 */
#include <string.h>
#include <time.h>
#include "api.h"
#include "stdvmm/err.h"
#include "stdvmm/log.h"
#include "stdvmm/pl061.h"

#ifndef STDVMM_VERSION
#define STDVMM_VERSION "unknown"
#endif

static uint64_t api_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static const char *api_state(struct stdvmm_api *a)
{
    if (atomic_load(&a->kvm->stopping) && atomic_load(&a->kvm->stop_reason) != VMM_KVM_STOP_RESET)
        return "stopping";
    if (atomic_load(&a->kvm->stopping))
        return "rebooting";
    if (vmm_kvm_paused(a->kvm))
        return "paused";
    if (a->shutdown_deadline_ns != 0)
        return "shutting-down";
    return "running";
}

static void api_ok(struct vmm_json *j, const struct vmm_api_request *req)
{
    vmm_json_open(j, NULL, '{');
    vmm_json_bool(j, "ok", true);
    if (req->has_id)
        vmm_json_u64(j, "id", req->id);
}

static void api_info(struct stdvmm_api *a, const struct vmm_api_request *req, struct vmm_json *j)
{
    struct vmm_machine *m = a->machine;

    api_ok(j, req);
    vmm_json_str(j, "state", api_state(a));
    vmm_json_str(j, "version", STDVMM_VERSION);
    vmm_json_u64(j, "uptime_ms", (api_now_ns() - a->start_ns) / 1000000u);
    vmm_json_u64(j, "boots", m->boots);
    vmm_json_u64(j, "vcpus", m->vm.nr_vcpus);
    vmm_json_u64(j, "vcpus_parked", vmm_kvm_parked(a->kvm));
    vmm_json_u64(j, "ram_bytes", m->desc->ram_size);
    vmm_json_u64(j, "ram_base", m->desc->ram_base);
    vmm_json_str(j, "kernel", a->cfg->kernel);
    vmm_json_str(j, "cmdline", m->desc->cmdline);
    vmm_json_str(j, "console", m->desc->console == VMM_CONSOLE_VIRTIO ? "virtio" : "serial");
    vmm_json_open(j, "devices", '[');
    for (unsigned i = 0; i < m->nr_devs; i++) { /* fixed once built */
        const struct vmm_machine_dev *d = &m->devs[i];

        vmm_json_open(j, NULL, '{');
        vmm_json_str(j, "name", d->name);
        vmm_json_str(j, "class", d->cls->name);
        vmm_json_str(j, "options", d->desc->options);
        vmm_json_u64(j, "mmio_base", d->base);
        if (d->irq != VMM_IRQ_NONE)
            vmm_json_u64(j, "spi", d->irq);
        vmm_json_close(j, '}');
    }
    vmm_json_close(j, ']');
    vmm_json_close(j, '}');
}

/* Every device the VM has (the PL011, the virtio-console, the classes'). */
static void api_counters(struct stdvmm_api *a, const struct vmm_api_request *req,
                         struct vmm_json *j)
{
    struct vmm_vm *vm = &a->machine->vm;
    struct vmm_device_counters c[VMM_MAX_DEVICES];
    const char *names[VMM_MAX_DEVICES];
    unsigned n;

    pthread_mutex_lock(&a->kvm->lock); /* a copy, then no lock while formatting */
    n = vm->nr_devices;
    for (unsigned i = 0; i < n; i++) {
        c[i] = vm->devices[i]->counters;
        names[i] = vm->devices[i]->name;
    }
    pthread_mutex_unlock(&a->kvm->lock);
    api_ok(j, req);
    vmm_json_open(j, "devices", '[');
    for (unsigned i = 0; i < n; i++) {
        vmm_json_open(j, NULL, '{');
        vmm_json_str(j, "name", names[i]);
        vmm_json_u64(j, "requests", c[i].requests);
        vmm_json_u64(j, "bytes", c[i].bytes);
        vmm_json_u64(j, "errors", c[i].errors);
        vmm_json_u64(j, "notifications", c[i].notifications);
        vmm_json_u64(j, "interrupts", c[i].interrupts);
        vmm_json_close(j, '}');
    }
    vmm_json_close(j, ']');
    vmm_json_open(j, "vcpus", '[');
    for (unsigned i = 0; i < a->kvm->nr_vcpus; i++) {
        const struct vmm_kvm_vcpu *v = &a->kvm->vcpus[i];
        uint64_t total = 0;

        vmm_json_open(j, NULL, '{');
        vmm_json_u64(j, "index", i);
        vmm_json_open(j, "exits", '{');
        for (unsigned k = 0; k < VMM_KVM_NR_EXIT_KINDS; k++) {
            uint64_t e = atomic_load_explicit(&v->exits[k], memory_order_relaxed);

            total += e;
            vmm_json_u64(j, vmm_kvm_exit_kind_name((enum vmm_kvm_exit_kind)k), e);
        }
        vmm_json_u64(j, "total", total);
        vmm_json_close(j, '}');
        vmm_json_close(j, '}');
    }
    vmm_json_close(j, ']');
    vmm_json_close(j, '}');
}

static struct pl061 *api_power_button(struct stdvmm_api *a)
{
    for (unsigned i = 0; i < a->machine->nr_devs; i++)
        if (strcmp(a->machine->devs[i].cls->name, "power-button") == 0)
            return a->machine->devs[i].state;
    return NULL;
}

static void api_shutdown(struct stdvmm_api *a, const struct vmm_api_request *req,
                         struct vmm_json *j)
{
    struct pl061 *button = api_power_button(a);
    uint32_t ms = req->has_timeout ? req->timeout_ms : STDVMM_API_SHUTDOWN_MS;

    if (button == NULL) {
        vmm_api_error_reply(j, req, VMM_API_ERR_STATE, "the VM has no power button");
        return;
    }
    vmm_kvm_resume(a->kvm); /* a paused guest cannot act on it */
    pthread_mutex_lock(&a->kvm->lock);
    vmm_pl061_press_power(button);
    pthread_mutex_unlock(&a->kvm->lock);
    a->shutdown_deadline_ns = api_now_ns() + (uint64_t)ms * 1000000u;
    vmm_info("api: power button pressed; the guest has %u ms to power off", ms);
    api_ok(j, req);
    vmm_json_u64(j, "timeout_ms", ms);
    vmm_json_close(j, '}');
}

static void api_handle(void *ctx, const struct vmm_api_request *req, struct vmm_json *j)
{
    struct stdvmm_api *a = ctx;
    int ret;

    /* A debugger (--gdb) stops and starts the vCPUs itself. */
    if (atomic_load(&a->kvm->debugging) && req->cmd != VMM_API_INFO &&
        req->cmd != VMM_API_COUNTERS && req->cmd != VMM_API_STOP) {
        vmm_api_error_reply(j, req, VMM_API_ERR_STATE, "a debugger is attached (--gdb)");
        return;
    }
    switch (req->cmd) {
    case VMM_API_INFO:
        api_info(a, req, j);
        return;
    case VMM_API_COUNTERS:
        api_counters(a, req, j);
        return;
    case VMM_API_PAUSE:
        ret = vmm_kvm_pause(a->kvm, STDVMM_API_PAUSE_WAIT_MS);
        if (ret < 0) {
            vmm_api_error_reply(j, req, VMM_API_ERR_FAILED,
                                "a vCPU did not stop within 1 s (it will when it can)");
            return;
        }
        vmm_info("api: paused");
        break;
    case VMM_API_RESUME:
        vmm_kvm_resume(a->kvm);
        vmm_info("api: resumed");
        break;
    case VMM_API_REBOOT:
        atomic_store(&a->reboot, true);
        vmm_kvm_resume(a->kvm);
        vmm_info("api: reboot");
        vmm_kvm_request_stop(a->kvm, VMM_KVM_STOP_RESET);
        break;
    case VMM_API_SHUTDOWN:
        api_shutdown(a, req, j);
        return;
    case VMM_API_STOP:
        vmm_info("api: stop");
        vmm_kvm_request_stop(a->kvm, VMM_KVM_STOP_API);
        break;
    default:
        vmm_api_error_reply(j, req, VMM_API_ERR_UNKNOWN_CMD, "unknown command");
        return;
    }
    api_ok(j, req);
    vmm_json_str(j, "state", api_state(a));
    vmm_json_close(j, '}');
}

/* The shutdown's deadline: ms until it, or -1 when none is pending. */
static int api_tick(void *ctx)
{
    struct stdvmm_api *a = ctx;
    uint64_t now;

    if (a->shutdown_deadline_ns == 0)
        return -1;
    now = api_now_ns();
    if (now >= a->shutdown_deadline_ns) {
        a->shutdown_deadline_ns = 0;
        vmm_warn("api: the guest did not power off in time after the power button: stopping it");
        vmm_kvm_request_stop(a->kvm, VMM_KVM_STOP_API);
        return -1;
    }
    return (int)((a->shutdown_deadline_ns - now) / 1000000u) + 1;
}

int stdvmm_api_open(struct stdvmm_api *a, const struct stdvmm_config *cfg, struct vmm_kvm *kvm,
                    struct vmm_machine *m)
{
    int ret;

    memset(a, 0, sizeof(*a));
    a->cfg = cfg;
    a->kvm = kvm;
    a->machine = m;
    a->start_ns = api_now_ns();
    atomic_init(&a->reboot, false);
    if (cfg->api_sock == NULL)
        return 0;
    ret = vmm_api_sock_open(&a->sock, cfg->api_sock, api_handle, api_tick, a);
    a->open = ret == 0;
    return ret;
}

int stdvmm_api_start(struct stdvmm_api *a, struct vmm_loop *loop)
{
    return a->open ? vmm_api_sock_start(&a->sock, loop) : 0;
}

void stdvmm_api_close(struct stdvmm_api *a)
{
    if (a->open)
        vmm_api_sock_close(&a->sock);
    a->open = false;
}

bool stdvmm_api_take_reboot(struct stdvmm_api *a)
{
    return atomic_exchange(&a->reboot, false);
}
