/* Test helpers shared by all suites. Each Criterion test runs in its own
 * process, so the message counter below belongs to one test. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int validation_messages;

/* Prints what the library logs and counts validation messages, including
 * those raised while the context is destroyed (leaked objects). */
static void test_log(void *user, alvk_log_level level, const char *msg) {
    (void)user;
    fprintf(stderr, "[alvk %d] %s\n", (int)level, msg);
    if (strncmp(msg, "validation:", 11) == 0) validation_messages++;
}

alvk_context *test_open(const alvk_context_desc *desc) {
    alvk_context_desc d = desc ? *desc : (alvk_context_desc){0};
    if (!d.log_fn) {
        d.log_fn = test_log;
        if (!d.log_level) d.log_level = ALVK_LOG_WARN;
    }
    alvk_context *ctx = NULL;
    TEST_OK(alvk_context_create(&d, &ctx));
    return ctx;
}

void test_force_subgroup_sums(void) {
    alvk_context *ctx = test_open(NULL);
    alvk_device_info info;
    TEST_OK(alvk_context_device_info(ctx, alvk_context_device_index(ctx), &info));
    test_close(ctx);
    if (!info.subgroup_arithmetic) cr_skip_test("%s has no subgroup arithmetic", info.name);
    setenv("ALVK_SUBGROUP_SUMS", "1", 1);
}

void test_close(alvk_context *ctx) {
    int before = validation_messages;
    alvk_context_destroy(ctx);
    cr_expect(validation_messages == 0, "%d validation message(s), %d of them at destruction",
              validation_messages, validation_messages - before);
}
