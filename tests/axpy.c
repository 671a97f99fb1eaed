/* Test fixture for the axpy kernel. */
#include "axpy.h"

void axpy_setup(alvk_context *ctx, axpy_run *run, const float *x, const float *y, uint32_t n,
                float a) {
    run->n = n;
    TEST_OK(alvk_buffer_alloc(ctx, 4ull * n, &run->x));
    TEST_OK(alvk_buffer_alloc(ctx, 4ull * n, &run->y));
    TEST_OK(alvk_buffer_write(ctx, &run->x, 0, x, 4ull * n));
    TEST_OK(alvk_buffer_write(ctx, &run->y, 0, y, 4ull * n));
    alvk_kernel k = {.shader = ALVK_SHADER_axpy, .local = {256}};
    TEST_OK(alvk_pipeline_get(ctx, &k, &run->pipe));
    alvk_binding b[2] = {{.buffer = run->x}, {.buffer = run->y, .writes = 1}};
    TEST_OK(alvk_bindset_create(ctx, run->pipe, b, 2, &run->set));
    TEST_OK(alvk_cmd_create(ctx, 4, &run->cmd));
    struct { uint32_t n; float a; } push = {n, a};
    uint32_t groups = (n + 255) / 256;
    cr_assert(groups <= ctx->limits.maxComputeWorkGroupCount[0]);
    TEST_OK(alvk_cmd_begin(run->cmd));
    alvk_cmd_dispatch(run->cmd, run->pipe, run->set, &push, sizeof push, groups, 1, 1);
    TEST_OK(alvk_cmd_end(run->cmd));
}

void axpy_teardown(alvk_context *ctx, axpy_run *run) {
    alvk_cmd_destroy(run->cmd);
    alvk_bindset_destroy(ctx, run->set);
    alvk_buffer_free(ctx, &run->x);
    alvk_buffer_free(ctx, &run->y);
}
