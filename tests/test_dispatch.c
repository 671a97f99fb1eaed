/* Kernels run: axpy over 1,000,003 elements against a CPU loop, replayed
 * without re-recording, timed on the GPU; pipelines are deduplicated. */
#include "axpy.h"

#include <math.h>
#include <stdlib.h>

#define N 1000003u

static float *random_floats(uint32_t n, uint32_t seed) {
    float *v = malloc(n * sizeof *v);
    cr_assert(v);
    for (uint32_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        v[i] = (float)(seed >> 8) / (float)(1u << 24) * 2.0f - 1.0f;
    }
    return v;
}

/* |got - want| within a few ulps: the GPU may fuse the multiply-add. */
static void expect_close(const float *got, const float *want, uint32_t n) {
    uint32_t bad = 0, first = n;
    for (uint32_t i = 0; i < n; i++)
        if (!(fabsf(got[i] - want[i]) <= 1e-6f * (1.0f + fabsf(want[i])))) {
            if (first == n) first = i;
            bad++;
        }
    cr_expect_eq(bad, 0, "%u of %u differ; first at %u: got %.9g want %.9g", bad, n, first,
                 first < n ? got[first] : 0.0, first < n ? want[first] : 0.0);
}

static void axpy_matches_cpu(int force_staging) {
    alvk_context *ctx = test_open(&(alvk_context_desc){.force_staging = force_staging});
    float *x = random_floats(N, 1), *y = random_floats(N, 2), *got = malloc(N * sizeof *got);
    const float a = 0.75f;
    axpy_run run;
    axpy_setup(ctx, &run, x, y, N, a);

    /* Record once, submit twice: y + 2ax. */
    for (int k = 0; k < 2; k++) {
        TEST_OK(alvk_cmd_run(run.cmd));
        for (uint32_t i = 0; i < N; i++) y[i] = a * x[i] + y[i];
        TEST_OK(alvk_buffer_read(ctx, &run.y, 0, got, N * sizeof *got));
        expect_close(got, y, N);
    }
    if (ctx->timestamp_bits) {
        cr_expect_eq(alvk_cmd_timed_count(run.cmd), 1);
        double ms = alvk_cmd_dispatch_ms(run.cmd, 0);
        cr_expect(ms > 0.0 && ms < 60000.0, "dispatch took %g ms", ms);
        cr_expect_eq(alvk_cmd_dispatch_ms(run.cmd, 1), -1.0, "only one dispatch was timed");
    }
    axpy_teardown(ctx, &run);
    free(x);
    free(y);
    free(got);
    test_close(ctx);
}

Test(dispatch, axpy_matches_a_cpu_loop) { axpy_matches_cpu(0); }
Test(dispatch, axpy_matches_a_cpu_loop_through_staging) { axpy_matches_cpu(1); }

Test(dispatch, pipelines_are_deduplicated_by_shader_constants_and_local_size) {
    alvk_context *ctx = test_open(NULL);
    alvk_pipeline *p1, *p2, *p3, *p4;
    TEST_OK(alvk_pipeline_get(ctx, &(alvk_kernel){.shader = ALVK_SHADER_axpy, .local = {64}}, &p1));
    TEST_OK(alvk_pipeline_get(ctx, &(alvk_kernel){.shader = ALVK_SHADER_axpy, .local = {64, 1, 1}}, &p2));
    TEST_OK(alvk_pipeline_get(ctx, &(alvk_kernel){.shader = ALVK_SHADER_axpy, .local = {128}}, &p3));
    TEST_OK(alvk_pipeline_get(ctx, &(alvk_kernel){.shader = ALVK_SHADER_axpy, .local = {64}, .nspec = 1, .spec = {7}}, &p4));
    cr_expect_eq(p1, p2, "the same variant must be created once");
    cr_expect_neq(p1, p3);
    cr_expect_neq(p1, p4);
    cr_expect_eq(alvk_pipeline_count(ctx), 3);
    test_close(ctx);
}

Test(dispatch, rejects_impossible_local_sizes_and_wrong_bindings) {
    alvk_context *ctx = test_open(NULL);
    alvk_pipeline *p;
    uint32_t too_many = ctx->limits.maxComputeWorkGroupInvocations + 1;
    cr_expect_eq(alvk_pipeline_get(ctx, &(alvk_kernel){.shader = ALVK_SHADER_axpy, .local = {too_many}}, &p),
                 ALVK_ERROR_UNSUPPORTED);
    TEST_OK(alvk_pipeline_get(ctx, &(alvk_kernel){.shader = ALVK_SHADER_axpy, .local = {64}}, &p));
    alvk_buffer buf;
    TEST_OK(alvk_buffer_alloc(ctx, 64, &buf));
    alvk_bindset *set;
    alvk_binding one[1] = {{.buffer = buf}};
    cr_expect_eq(alvk_bindset_create(ctx, p, one, 1, &set), ALVK_ERROR_INVALID_ARGUMENT,
                 "axpy has two bindings");
    alvk_binding past[2] = {{.buffer = buf}, {.buffer = buf, .offset = 32, .size = 64}};
    cr_expect_eq(alvk_bindset_create(ctx, p, past, 2, &set), ALVK_ERROR_INVALID_ARGUMENT);
    alvk_buffer_free(ctx, &buf);
    test_close(ctx);
}
