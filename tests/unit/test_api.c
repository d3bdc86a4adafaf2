/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The control API: the request parser and the JSON writer (stdvmm/api.h),
 * and the UNIX socket server (posix/api_sock.h) driven through its event
 * loop: replies, bad requests, oversized lines, too many clients, slow
 * clients, and a client that never reads.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>
#include "stdvmm/api.h"
#include "stdvmm/err.h"
#include "stdvmm/posix/api_sock.h"

/* ------------------------------------------------------------ parser */

static int parse(const char *s, struct vmm_api_request *r, enum vmm_api_error *e)
{
    const char *why;
    int ret = vmm_api_parse(s, strlen(s), r, e, &why);

    assert_true(ret == 0 ? why == NULL : why != NULL);
    return ret;
}

static void api_parses_every_command(void **state)
{
    static const char *const names[] = {"info",     "pause", "resume",  "reboot",
                                        "shutdown", "stop",  "counters"};
    struct vmm_api_request r;
    enum vmm_api_error e;
    char line[64];

    (void)state;
    for (unsigned i = 0; i < 7; i++) {
        snprintf(line, sizeof(line), " { \"cmd\" : \"%s\" } ", names[i]);
        assert_int_equal(parse(line, &r, &e), 0);
        assert_int_equal(r.cmd, i);
        assert_string_equal(vmm_api_cmd_name(r.cmd), names[i]);
        assert_false(r.has_id);
    }
    assert_int_equal(parse("{\"id\":4294967295,\"cmd\":\"shutdown\",\"timeout_ms\":1500}", &r, &e),
                     0);
    assert_true(r.has_id && r.id == 4294967295u);
    assert_true(r.has_timeout && r.timeout_ms == 1500);
    assert_int_equal(parse("{\"cmd\":\"p\\u0061use\"}", &r, &e), -VMM_EINVAL); /* no \u */
    assert_int_equal(parse("{\"cmd\":\"in\\/fo\"}", &r, &e), -VMM_EINVAL);     /* "in/fo" */
    assert_int_equal(e, VMM_API_ERR_UNKNOWN_CMD);
}

static void api_rejects_malformed_requests(void **state)
{
    static const struct {
        const char *line;
        enum vmm_api_error err;
    } bad[] = {
        {"", VMM_API_ERR_MALFORMED},
        {"pause", VMM_API_ERR_MALFORMED},
        {"{", VMM_API_ERR_MALFORMED},
        {"{}", VMM_API_ERR_BAD_ARG},
        {"{\"cmd\":\"pause\"", VMM_API_ERR_MALFORMED},
        {"{\"cmd\":\"pause\"}}", VMM_API_ERR_MALFORMED},
        {"{\"cmd\":\"pause\"} x", VMM_API_ERR_MALFORMED},
        {"{\"cmd\":\"pause\",}", VMM_API_ERR_MALFORMED},
        {"{\"cmd\" \"pause\"}", VMM_API_ERR_MALFORMED},
        {"{\"cmd\":pause}", VMM_API_ERR_MALFORMED},
        {"{\"cmd\":\"pause}", VMM_API_ERR_MALFORMED},
        {"{\"cmd\":\"pa\nuse\"}", VMM_API_ERR_MALFORMED},
        {"{\"cmd\":\"pa\xc3\xa9\"}", VMM_API_ERR_MALFORMED},
        {"{\"cmd\":[\"pause\"]}", VMM_API_ERR_MALFORMED},
        {"{\"cmd\":\"pause\",\"cmd\":\"stop\"}", VMM_API_ERR_BAD_ARG},
        {"{\"cmd\":\"fly\"}", VMM_API_ERR_UNKNOWN_CMD},
        {"{\"cmd\":\"pause\",\"x\":1}", VMM_API_ERR_BAD_ARG},
        {"{\"cmd\":\"pause\",\"id\":-1}", VMM_API_ERR_MALFORMED},
        {"{\"cmd\":\"pause\",\"id\":01}", VMM_API_ERR_MALFORMED},
        {"{\"cmd\":\"pause\",\"id\":1.5}", VMM_API_ERR_BAD_ARG},
        {"{\"cmd\":\"pause\",\"id\":1e3}", VMM_API_ERR_BAD_ARG},
        {"{\"cmd\":\"pause\",\"id\":4294967296}", VMM_API_ERR_BAD_ARG},
        {"{\"cmd\":\"pause\",\"id\":99999999999999999999999}", VMM_API_ERR_BAD_ARG},
        {"{\"cmd\":\"pause\",\"timeout_ms\":5}", VMM_API_ERR_BAD_ARG},
        {"{\"cmd\":\"shutdown\",\"timeout_ms\":0}", VMM_API_ERR_BAD_ARG},
        {"{\"cmd\":\"shutdown\",\"timeout_ms\":600001}", VMM_API_ERR_BAD_ARG},
        {"{\"cmd\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}", VMM_API_ERR_BAD_ARG},
        {"[\"pause\"]", VMM_API_ERR_MALFORMED},
        {"{\"cmd\":\"pause\\x\"}", VMM_API_ERR_MALFORMED},
        {"{\"cmd\":\"pause\\", VMM_API_ERR_MALFORMED},
    };
    struct vmm_api_request r;
    enum vmm_api_error e;

    (void)state;
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(parse(bad[i].line, &r, &e), -VMM_EINVAL);
        if (e != bad[i].err)
            fail_msg("'%s': error %s, want %s", bad[i].line, vmm_api_error_name(e),
                     vmm_api_error_name(bad[i].err));
    }
}

static void api_error_reply_keeps_the_id(void **state)
{
    struct vmm_api_request r;
    enum vmm_api_error e;
    const char *why;
    char buf[256];
    struct vmm_json j;

    (void)state;
    assert_int_equal(vmm_api_parse("{\"id\":7,\"cmd\":\"x\"}", 18, &r, &e, &why), -VMM_EINVAL);
    vmm_json_init(&j, buf, sizeof(buf));
    vmm_api_error_reply(&j, &r, e, why);
    assert_true(vmm_json_finish(&j) > 0);
    assert_string_equal(buf, "{\"ok\":false,\"id\":7,\"error\":\"unknown-command\","
                             "\"detail\":\"unknown command\"}\n");
}

static void api_refuses_a_line_over_the_limit(void **state)
{
    char *line = malloc(VMM_API_MAX_REQUEST + 2);
    struct vmm_api_request r;
    enum vmm_api_error e;
    const char *why;

    (void)state;
    memset(line, ' ', VMM_API_MAX_REQUEST + 1);
    memcpy(line, "{\"cmd\":\"info\"}", 14);
    assert_int_equal(vmm_api_parse(line, VMM_API_MAX_REQUEST, &r, &e, &why), 0);
    assert_int_equal(vmm_api_parse(line, VMM_API_MAX_REQUEST + 1, &r, &e, &why), -VMM_EINVAL);
    assert_int_equal(e, VMM_API_ERR_TOO_LONG);
    free(line);
}

/* ------------------------------------------------------------ JSON writer */

static void json_writes_nested_members_with_commas_and_escapes(void **state)
{
    char buf[256];
    struct vmm_json j;
    long n;

    (void)state;
    vmm_json_init(&j, buf, sizeof(buf));
    vmm_json_open(&j, NULL, '{');
    vmm_json_bool(&j, "ok", true);
    vmm_json_str(&j, "s", "a\"b\\c\n\x01\x7f");
    vmm_json_open(&j, "l", '[');
    vmm_json_u64(&j, NULL, 0);
    vmm_json_u64(&j, NULL, UINT64_MAX);
    vmm_json_open(&j, NULL, '{');
    vmm_json_close(&j, '}');
    vmm_json_close(&j, ']');
    vmm_json_close(&j, '}');
    n = vmm_json_finish(&j);
    assert_int_equal(n, (long)strlen(buf));
    assert_string_equal(buf, "{\"ok\":true,\"s\":\"a\\\"b\\\\c\\u000a\\u0001\\u007f\","
                             "\"l\":[0,18446744073709551615,{}]}\n");
}

static void json_refuses_a_reply_that_does_not_fit(void **state)
{
    char buf[16];
    struct vmm_json j;

    (void)state;
    vmm_json_init(&j, buf, sizeof(buf));
    vmm_json_open(&j, NULL, '{');
    vmm_json_str(&j, "key", "a value too long for it");
    vmm_json_close(&j, '}');
    assert_int_equal(vmm_json_finish(&j), -VMM_ENOSPC);
    vmm_json_init(&j, buf, sizeof(buf));
    vmm_json_open(&j, NULL, '{'); /* left open */
    assert_int_equal(vmm_json_finish(&j), -VMM_ENOSPC);
    vmm_json_init(&j, buf, sizeof(buf));
    for (unsigned i = 0; i < VMM_JSON_MAX_DEPTH + 2; i++)
        vmm_json_open(&j, NULL, '[');
    assert_true(j.overflow);
}

/* ------------------------------------------------------------ socket server */

struct srv {
    struct vmm_api_sock s;
    struct vmm_loop loop;
    char path[64];
    unsigned handled;
};

static void srv_handler(void *ctx, const struct vmm_api_request *req, struct vmm_json *out)
{
    struct srv *x = ctx;

    x->handled++;
    vmm_json_open(out, NULL, '{');
    vmm_json_bool(out, "ok", true);
    vmm_json_str(out, "cmd", vmm_api_cmd_name(req->cmd));
    vmm_json_close(out, '}');
}

static int srv_setup(void **state)
{
    struct srv *x = calloc(1, sizeof(*x));

    snprintf(x->path, sizeof(x->path), "/tmp/stdvmm-api-test.%d", (int)getpid());
    unlink(x->path);
    assert_int_equal(vmm_api_sock_open(&x->s, x->path, srv_handler, NULL, x), 0);
    assert_int_equal(vmm_loop_init(&x->loop), 0);
    assert_int_equal(vmm_api_sock_start(&x->s, &x->loop), 0);
    *state = x;
    return 0;
}

static int srv_teardown(void **state)
{
    struct srv *x = *state;

    vmm_api_sock_close(&x->s);
    vmm_loop_close(&x->loop);
    unlink(x->path);
    free(x);
    return 0;
}

static int srv_connect(struct srv *x)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    strcpy(sa.sun_path, x->path);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    return fd;
}

static void srv_rounds(struct srv *x, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        vmm_loop_run_once(&x->loop, 10);
}

/* What the client has received so far (non-blocking), NUL-terminated. */
static size_t srv_recv(int fd, char *buf, size_t cap)
{
    ssize_t n = recv(fd, buf, cap - 1, MSG_DONTWAIT);

    buf[n > 0 ? n : 0] = '\0';
    return n > 0 ? (size_t)n : 0;
}

/* The server closed it: EOF, or a reset when it closed with our bytes unread. */
static bool srv_closed(int fd)
{
    char c;
    ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT);

    return n == 0 || (n < 0 && errno == ECONNRESET);
}

static void sock_is_0600_and_answers_requests_in_order(void **state)
{
    struct srv *x = *state;
    struct stat st;
    char buf[512];
    int fd;

    assert_int_equal(stat(x->path, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0600);
    fd = srv_connect(x);
    assert_int_equal(write(fd, "{\"cmd\":\"info\"}\n{\"cmd\":\"pa", 25), 25);
    srv_rounds(x, 3);
    assert_int_equal(write(fd, "use\"}\nnonsense\n", 15), 15);
    srv_rounds(x, 3);
    srv_recv(fd, buf, sizeof(buf));
    assert_string_equal(buf, "{\"ok\":true,\"cmd\":\"info\"}\n{\"ok\":true,\"cmd\":\"pause\"}\n"
                             "{\"ok\":false,\"error\":\"malformed\",\"detail\":\"a request is a "
                             "JSON object\"}\n");
    assert_int_equal(x->handled, 2);
    assert_int_equal(x->s.bad_requests, 1);
    assert_false(srv_closed(fd)); /* a bad request does not end the connection */
    close(fd);
}

static void sock_closes_a_client_after_an_oversized_line(void **state)
{
    struct srv *x = *state;
    char big[3000], buf[512];
    int fd = srv_connect(x);

    memset(big, 'x', sizeof(big));
    assert_int_equal(write(fd, big, sizeof(big)), (ssize_t)sizeof(big));
    srv_rounds(x, 4);
    srv_recv(fd, buf, sizeof(buf));
    assert_non_null(strstr(buf, "\"error\":\"too-long\""));
    assert_true(srv_closed(fd));
    assert_int_equal(x->handled, 0);
    close(fd);
}

static void sock_refuses_clients_over_the_limit(void **state)
{
    struct srv *x = *state;
    int fd[VMM_API_SOCK_MAX_CLIENTS + 1];
    char buf[256];

    for (unsigned i = 0; i <= VMM_API_SOCK_MAX_CLIENTS; i++) {
        fd[i] = srv_connect(x);
        srv_rounds(x, 2);
    }
    srv_recv(fd[VMM_API_SOCK_MAX_CLIENTS], buf, sizeof(buf));
    assert_non_null(strstr(buf, "\"error\":\"busy\""));
    assert_true(srv_closed(fd[VMM_API_SOCK_MAX_CLIENTS]));
    assert_int_equal(x->s.refused, 1);
    /* the others are still served */
    assert_int_equal(write(fd[0], "{\"cmd\":\"stop\"}\n", 15), 15);
    srv_rounds(x, 2);
    srv_recv(fd[0], buf, sizeof(buf));
    assert_string_equal(buf, "{\"ok\":true,\"cmd\":\"stop\"}\n");
    for (unsigned i = 0; i <= VMM_API_SOCK_MAX_CLIENTS; i++)
        close(fd[i]);
}

static void sock_closes_slow_and_idle_clients(void **state)
{
    struct srv *x = *state;
    int idle, slow;

    x->s.idle_ms = 100;
    idle = srv_connect(x);
    slow = srv_connect(x);
    srv_rounds(x, 2);
    assert_int_equal(write(slow, "{\"cmd\"", 6), 6);
    for (unsigned i = 0; i < 30 && x->s.timed_out < 2; i++)
        srv_rounds(x, 1);
    assert_int_equal(x->s.timed_out, 2);
    assert_true(srv_closed(idle));
    assert_true(srv_closed(slow));
    close(idle);
    close(slow);
}

/* A client that sends many requests and never reads: the server never
 * blocks; it stops reading that client and closes it when it stays slow. */
static void sock_never_blocks_on_a_client_that_does_not_read(void **state)
{
    struct srv *x = *state;
    static const char req[] = "{\"cmd\":\"counters\"}\n";
    int fd = srv_connect(x), rcv = 1024;
    unsigned sent = 0;

    x->s.idle_ms = 300;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
    fcntl(fd, F_SETFL, O_NONBLOCK);
    for (unsigned round = 0; round < 200; round++) {
        while (write(fd, req, sizeof(req) - 1) > 0)
            sent++;
        srv_rounds(x, 1); /* returns: never blocks */
    }
    assert_true(sent > 0);
    assert_true(x->handled < sent); /* it stopped reading */
    for (unsigned i = 0; i < 50 && x->s.timed_out == 0; i++)
        srv_rounds(x, 1);
    assert_int_equal(x->s.timed_out, 1);
    close(fd);
}

static void sock_refuses_an_existing_path_unless_a_stale_socket(void **state)
{
    struct vmm_api_sock s2;
    struct srv *x = *state;
    char path[64];
    int fd;

    /* the live one */
    assert_int_equal(vmm_api_sock_open(&s2, x->path, srv_handler, NULL, x), -VMM_EEXIST);
    /* a regular file */
    snprintf(path, sizeof(path), "/tmp/stdvmm-api-file.%d", (int)getpid());
    fd = open(path, O_CREAT | O_WRONLY, 0600);
    close(fd);
    assert_int_equal(vmm_api_sock_open(&s2, path, srv_handler, NULL, x), -VMM_EEXIST);
    unlink(path);
    /* a stale socket (nobody listens): replaced */
    vmm_api_sock_close(&x->s);
    assert_int_equal(vmm_api_sock_open(&s2, x->path, srv_handler, NULL, x), 0);
    vmm_api_sock_close(&s2);
    assert_int_equal(vmm_api_sock_open(&x->s, x->path, srv_handler, NULL, x), 0);
    assert_int_equal(vmm_api_sock_start(&x->s, &x->loop), 0);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN); /* the test's clients write to closed connections */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(api_parses_every_command),
        cmocka_unit_test(api_rejects_malformed_requests),
        cmocka_unit_test(api_error_reply_keeps_the_id),
        cmocka_unit_test(api_refuses_a_line_over_the_limit),
        cmocka_unit_test(json_writes_nested_members_with_commas_and_escapes),
        cmocka_unit_test(json_refuses_a_reply_that_does_not_fit),
        cmocka_unit_test_setup_teardown(sock_is_0600_and_answers_requests_in_order, srv_setup,
                                        srv_teardown),
        cmocka_unit_test_setup_teardown(sock_closes_a_client_after_an_oversized_line, srv_setup,
                                        srv_teardown),
        cmocka_unit_test_setup_teardown(sock_refuses_clients_over_the_limit, srv_setup,
                                        srv_teardown),
        cmocka_unit_test_setup_teardown(sock_closes_slow_and_idle_clients, srv_setup, srv_teardown),
        cmocka_unit_test_setup_teardown(sock_never_blocks_on_a_client_that_does_not_read, srv_setup,
                                        srv_teardown),
        cmocka_unit_test_setup_teardown(sock_refuses_an_existing_path_unless_a_stale_socket,
                                        srv_setup, srv_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
