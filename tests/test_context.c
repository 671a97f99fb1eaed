/* Context creation and device choice: by default, by index, by name, and
 * the errors for requests that match nothing. */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

Test(context, opens_and_describes_the_default_device) {
    alvk_context *ctx = test_open(NULL);
    int n = alvk_context_device_count(ctx), i = alvk_context_device_index(ctx);
    cr_assert(n >= 1 && i >= 0 && i < n, "count %d, chosen %d", n, i);
    alvk_device_info d;
    TEST_OK(alvk_context_device_info(ctx, i, &d));
    cr_expect(d.name[0] != '\0');
    cr_expect(d.max_storage_buffer_range >= 1u << 27, "maxStorageBufferRange %llu",
              (unsigned long long)d.max_storage_buffer_range);
    cr_expect(d.max_workgroup_invocations >= 128);
    cr_expect(d.subgroup_size >= 1);
    cr_expect(d.max_push_constants >= 128);
    cr_expect(d.heap_count >= 1 && d.heap_size[0] > 0);
    cr_expect(d.max_memory_allocation > 0);
    cr_expect(alvk_context_device_info(ctx, n, &d) == ALVK_ERROR_INVALID_ARGUMENT);
    /* The default is the best kind of device present. */
    for (int k = 0; k < n; k++) {
        alvk_device_info other;
        alvk_context_device_info(ctx, k, &other);
        if (d.type == ALVK_DEVICE_CPU)
            cr_expect(other.type == ALVK_DEVICE_CPU || other.type == ALVK_DEVICE_OTHER,
                      "chose a CPU device over %s", other.name);
    }
    const char *env = getenv("ALVK_VALIDATION");
    if (env && strcmp(env, "1") == 0) cr_expect(ctx->validation, "ALVK_VALIDATION=1 was ignored");
    test_close(ctx);
}

Test(context, chooses_a_device_by_index) {
    alvk_context *ctx = test_open(&(alvk_context_desc){.device = "0"});
    cr_expect_eq(alvk_context_device_index(ctx), 0);
    test_close(ctx);
}

Test(context, chooses_a_device_by_name_ignoring_case) {
    alvk_context *probe = test_open(NULL);
    alvk_device_info d;
    alvk_context_device_info(probe, 0, &d);
    test_close(probe);
    /* A piece from the middle of the name, in the opposite case. */
    char part[8] = {0};
    size_t len = strlen(d.name), from = len > 6 ? 1 : 0;
    for (size_t i = 0; i < 5 && from + i < len; i++) {
        char c = d.name[from + i];
        part[i] = (char)(c >= 'a' && c <= 'z' ? c - 32 : c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    alvk_context *ctx = test_open(&(alvk_context_desc){.device = part});
    /* Device 0's name holds the piece, so the first match is device 0. */
    cr_expect_eq(alvk_context_device_index(ctx), 0, "\"%s\" (from \"%s\")", part, d.name);
    test_close(ctx);
}

static void expect_not_found(const char *request, const char *phrase) {
    alvk_context *ctx = (alvk_context *)1;
    alvk_status s = alvk_context_create(&(alvk_context_desc){.device = request}, &ctx);
    cr_assert_eq(s, ALVK_ERROR_DEVICE_NOT_FOUND, "\"%s\": %s", request, alvk_status_str(s));
    cr_expect_null(ctx, "a failed create must leave *out NULL");
    const char *msg = alvk_last_error();
    cr_expect(strstr(msg, phrase), "message lacks \"%s\": %s", phrase, msg);
    cr_expect(strstr(msg, "0: "), "message does not list the devices: %s", msg);
}

Test(context, rejects_a_bad_index_and_lists_the_devices) {
    expect_not_found("99", "out of range");
}

Test(context, rejects_an_unknown_name_and_lists_the_devices) {
    expect_not_found("nosuchgpu", "nosuchgpu");
}

Test(context, honours_ALVK_DEVICE) {
    setenv("ALVK_DEVICE", "nosuchgpu", 1);
    alvk_context *ctx;
    cr_expect_eq(alvk_context_create(NULL, &ctx), ALVK_ERROR_DEVICE_NOT_FOUND);
    /* A desc field wins over the environment. */
    ctx = test_open(&(alvk_context_desc){.device = "0"});
    test_close(ctx);
    unsetenv("ALVK_DEVICE");
}

Test(context, reports_a_machine_without_a_driver) {
    /* Point the loader at a driver manifest that does not exist. */
    setenv("VK_ICD_FILENAMES", "/nonexistent/alvk_no_driver.json", 1);
    setenv("VK_DRIVER_FILES", "/nonexistent/alvk_no_driver.json", 1);
    alvk_context *ctx;
    alvk_status s = alvk_context_create(NULL, &ctx);
    cr_expect(s == ALVK_ERROR_NO_DEVICE, "got %s: %s", alvk_status_str(s), alvk_last_error());
    cr_expect(strstr(alvk_last_error(), "driver"), "unclear message: %s", alvk_last_error());
}

Test(context, status_strings_cover_every_code) {
    for (int s = 0; s < ALVK_STATUS_COUNT; s++)
        cr_expect(strcmp(alvk_status_str((alvk_status)s), "unknown status") != 0, "code %d", s);
    cr_expect_str_eq(alvk_status_str(ALVK_STATUS_COUNT), "unknown status");
    cr_expect_str_eq(alvk_status_str(ALVK_ERROR_OUT_OF_DEVICE_MEMORY), "out of device memory");
}
