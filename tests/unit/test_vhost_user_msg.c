/* SPDX-License-Identifier: BSD-2-Clause */
/* The vhost-user message layer: requests as the spec lays them out, and a
 * strict parser for what a (possibly hostile) backend replies. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "stdvmm/bytes.h"
#include "stdvmm/err.h"
#include "stdvmm/vhost_user.h"

/* A reply as a backend would send it. */
static size_t reply(uint8_t *buf, uint32_t req, uint32_t flags, const void *payload, uint32_t size)
{
    vmm_put_le32(buf, req);
    vmm_put_le32(buf + 4, flags);
    vmm_put_le32(buf + 8, size);
    memcpy(buf + VHOST_USER_HDR_SIZE, payload, size);
    return VHOST_USER_HDR_SIZE + size;
}

static const uint32_t REPLY = VHOST_USER_VERSION | VHOST_USER_FLAG_REPLY;

static void requests_have_the_spec_layout(void **state)
{
    struct vmm_vhost_msg m;
    struct vmm_vhost_region r[2] = {{0x40000000, 0x10000000, 0x7f0000000000, 0},
                                    {0x80000000, 0x200000, 0x7f1000000000, 0}};

    (void)state;
    vmm_vhost_msg_u64(&m, VHOST_USER_SET_FEATURES, 0x140000000ull, true);
    assert_int_equal(m.len, 20);
    assert_int_equal(vmm_get_le32(m.buf), VHOST_USER_SET_FEATURES);
    assert_int_equal(vmm_get_le32(m.buf + 4), VHOST_USER_VERSION | VHOST_USER_FLAG_NEED_REPLY);
    assert_int_equal(vmm_get_le32(m.buf + 8), 8);
    assert_true(vmm_get_le64(m.buf + 12) == 0x140000000ull);

    vmm_vhost_msg_addr(&m, 1, 0x1000, 0x3000, 0x2000, false);
    assert_int_equal(m.len, 12 + 40);
    assert_int_equal(vmm_get_le32(m.buf + 12), 1);
    assert_int_equal(vmm_get_le32(m.buf + 16), 0);   /* no logging */
    assert_true(vmm_get_le64(m.buf + 20) == 0x1000); /* descriptors */
    assert_true(vmm_get_le64(m.buf + 28) == 0x3000); /* used */
    assert_true(vmm_get_le64(m.buf + 36) == 0x2000); /* available */

    assert_int_equal(vmm_vhost_msg_mem_table(&m, r, 2, false), 0);
    assert_int_equal(m.len, 12 + 8 + 64);
    assert_int_equal(vmm_get_le32(m.buf + 12), 2);
    assert_true(vmm_get_le64(m.buf + 20 + 32 + 16) == 0x7f1000000000ull);
    assert_int_equal(vmm_vhost_msg_mem_table(&m, r, 0, false), -VMM_EINVAL);
    assert_int_equal(vmm_vhost_msg_mem_table(&m, r, VHOST_USER_MAX_REGIONS + 1, false),
                     -VMM_EINVAL);

    assert_int_equal(vmm_vhost_msg_get_config(&m, 0, 60), 0);
    assert_int_equal(m.len, 12 + 12 + 60);
    assert_int_equal(vmm_vhost_msg_get_config(&m, 0, 257), -VMM_EINVAL);
    assert_int_equal(vmm_vhost_msg_get_config(&m, 200, 60), -VMM_EINVAL);
    assert_true(vmm_vhost_req_has_reply(VHOST_USER_GET_VRING_BASE));
    assert_false(vmm_vhost_req_has_reply(VHOST_USER_SET_VRING_KICK));
}

static void good_replies_parse(void **state)
{
    uint8_t buf[512], pl[300];
    struct vmm_vhost_reply r;
    size_t n;

    (void)state;
    vmm_put_le64(pl, 0x1234ull);
    n = reply(buf, VHOST_USER_GET_FEATURES, REPLY, pl, 8);
    assert_int_equal(vmm_vhost_parse_reply(buf, n, VHOST_USER_GET_FEATURES, 0, &r), 0);
    assert_true(r.u64 == 0x1234);

    vmm_put_le32(pl, 1);
    vmm_put_le32(pl + 4, 77);
    n = reply(buf, VHOST_USER_GET_VRING_BASE, REPLY, pl, 8);
    assert_int_equal(vmm_vhost_parse_reply(buf, n, VHOST_USER_GET_VRING_BASE, 0, &r), 0);
    assert_int_equal(r.index, 1);
    assert_int_equal(r.num, 77);

    memset(pl, 0xab, sizeof(pl));
    vmm_put_le32(pl, 0);
    vmm_put_le32(pl + 4, 60);
    vmm_put_le32(pl + 8, 0);
    n = reply(buf, VHOST_USER_GET_CONFIG, REPLY, pl, 12 + 60);
    assert_int_equal(vmm_vhost_parse_reply(buf, n, VHOST_USER_GET_CONFIG, 60, &r), 0);
    assert_int_equal(r.config_size, 60);
    assert_ptr_equal(r.config, buf + 24);
}

static void malformed_replies_are_refused(void **state)
{
    uint8_t buf[512], pl[300] = {0};
    struct vmm_vhost_reply r;
    size_t n;

    (void)state;
    /* Wrong request, missing reply flag, other version, extra flag bits. */
    n = reply(buf, VHOST_USER_GET_PROTOCOL_FEATURES, REPLY, pl, 8);
    assert_int_equal(vmm_vhost_parse_reply(buf, n, VHOST_USER_GET_FEATURES, 0, &r), -VMM_EPROTO);
    n = reply(buf, VHOST_USER_GET_FEATURES, VHOST_USER_VERSION, pl, 8);
    assert_int_equal(vmm_vhost_parse_reply(buf, n, VHOST_USER_GET_FEATURES, 0, &r), -VMM_EPROTO);
    n = reply(buf, VHOST_USER_GET_FEATURES, 0x2 | VHOST_USER_FLAG_REPLY, pl, 8);
    assert_int_equal(vmm_vhost_parse_reply(buf, n, VHOST_USER_GET_FEATURES, 0, &r), -VMM_EPROTO);
    n = reply(buf, VHOST_USER_GET_FEATURES, REPLY | VHOST_USER_FLAG_NEED_REPLY, pl, 8);
    assert_int_equal(vmm_vhost_parse_reply(buf, n, VHOST_USER_GET_FEATURES, 0, &r), -VMM_EPROTO);
    /* Payload sizes other than the request's reply has. */
    n = reply(buf, VHOST_USER_GET_FEATURES, REPLY, pl, 4);
    assert_int_equal(vmm_vhost_parse_reply(buf, n, VHOST_USER_GET_FEATURES, 0, &r), -VMM_EPROTO);
    n = reply(buf, VHOST_USER_GET_FEATURES, REPLY, pl, 16);
    assert_int_equal(vmm_vhost_parse_reply(buf, n, VHOST_USER_GET_FEATURES, 0, &r), -VMM_EPROTO);
    /* The header's size disagrees with the bytes there. */
    n = reply(buf, VHOST_USER_GET_FEATURES, REPLY, pl, 8);
    assert_int_equal(vmm_vhost_parse_reply(buf, n - 1, VHOST_USER_GET_FEATURES, 0, &r),
                     -VMM_EPROTO);
    assert_int_equal(vmm_vhost_parse_reply(buf, 11, VHOST_USER_GET_FEATURES, 0, &r), -VMM_EPROTO);
    /* A huge size in the header is refused before anything is read. */
    {
        uint32_t size;

        vmm_put_le32(buf + 8, 0xffffffffu);
        assert_int_equal(vmm_vhost_check_header(buf, 12, VHOST_USER_GET_FEATURES, &size),
                         -VMM_EPROTO);
    }
    /* GET_CONFIG answering another size, or a range past 256 bytes. */
    vmm_put_le32(pl, 0);
    vmm_put_le32(pl + 4, 40);
    n = reply(buf, VHOST_USER_GET_CONFIG, REPLY, pl, 12 + 60);
    assert_int_equal(vmm_vhost_parse_reply(buf, n, VHOST_USER_GET_CONFIG, 60, &r), -VMM_EPROTO);
    vmm_put_le32(pl, 250);
    vmm_put_le32(pl + 4, 60);
    n = reply(buf, VHOST_USER_GET_CONFIG, REPLY, pl, 12 + 60);
    assert_int_equal(vmm_vhost_parse_reply(buf, n, VHOST_USER_GET_CONFIG, 60, &r), -VMM_EPROTO);
    assert_int_equal(vmm_vhost_parse_reply(buf, n, VHOST_USER_GET_CONFIG, 0, &r), -VMM_EPROTO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(requests_have_the_spec_layout),
        cmocka_unit_test(good_replies_parse),
        cmocka_unit_test(malformed_replies_are_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
