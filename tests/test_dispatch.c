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

/* Records axpy (y += x) over 64 floats. */
static void record_axpy(alvk_cmd *cmd, const alvk_pipeline *pipe, const alvk_buffer *x,
                        const alvk_buffer *y) {
    alvk_binding b[2] = {{.buffer = *x}, {.buffer = *y, .writes = 1}};
    alvk_bindset *set;
    TEST_OK(alvk_cmd_bindset(cmd, pipe, b, 2, &set));
    struct { uint32_t n; float a; } push = {64, 1.0f};
    alvk_cmd_dispatch(cmd, pipe, set, &push, sizeof push, 1, 1, 1);
}

/* Records and runs the axpys `steps` lists, {x, y} over buffers 0..3 of
 * ones; returns the barriers the recorder wrote, out gets the buffers. */
static uint32_t barriers_for(const int (*steps)[2], int n, float *out) {
    alvk_context *ctx = test_open(NULL);
    alvk_buffer buf[4];
    float ones[64];
    for (int i = 0; i < 64; i++) ones[i] = 1.0f;
    for (int i = 0; i < 4; i++) {
        TEST_OK(alvk_buffer_alloc(ctx, sizeof ones, &buf[i]));
        TEST_OK(alvk_buffer_write(ctx, &buf[i], 0, ones, sizeof ones));
    }
    alvk_pipeline *pipe;
    TEST_OK(alvk_pipeline_get(ctx, &(alvk_kernel){.shader = ALVK_SHADER_axpy, .local = {64}}, &pipe));
    alvk_cmd *cmd;
    TEST_OK(alvk_cmd_create(ctx, 0, &cmd));
    TEST_OK(alvk_cmd_begin(cmd));
    for (int i = 0; i < n; i++) record_axpy(cmd, pipe, &buf[steps[i][0]], &buf[steps[i][1]]);
    TEST_OK(alvk_cmd_end(cmd));
    TEST_OK(alvk_cmd_run(cmd));
    uint32_t barriers = alvk_cmd_barriers(cmd);
    cr_expect_eq(alvk_cmd_commands(cmd), (uint32_t)n);
    for (int i = 0; i < 4; i++) TEST_OK(alvk_buffer_read(ctx, &buf[i], 0, out + 64 * i, sizeof ones));
    alvk_cmd_destroy(cmd);
    for (int i = 0; i < 4; i++) alvk_buffer_free(ctx, &buf[i]);
    alvk_context_destroy(ctx);
    return barriers;
}

Test(dispatch, barriers_only_where_data_flows) {
    float out[4 * 64];
    /* Independent: y1 += y0 and y3 += y2 share a level. */
    cr_expect_eq(barriers_for((const int[][2]){{0, 1}, {2, 3}}, 2, out), 0);
    /* A chain: y1 += y0, then y2 += y1 reads it: one barrier. */
    cr_expect_eq(barriers_for((const int[][2]){{0, 1}, {1, 2}}, 2, out), 1);
    cr_expect_eq(out[64], 2.0f);
    cr_expect_eq(out[128], 3.0f);
    /* Write after read: y1 += y0, then y0 += y2 overwrites what the first
     * read; the independent y3 += y2 joins the first level. Values prove
     * the order held: y1 = 1 + 1 (the old y0), y0 = 1 + 1. */
    cr_expect_eq(barriers_for((const int[][2]){{0, 1}, {2, 0}, {2, 3}}, 3, out), 1);
    cr_expect_eq(out[64], 2.0f);
    cr_expect_eq(out[0], 2.0f);
    cr_expect_eq(out[192], 2.0f);
    /* Write after write on y1, twice: each in its own level, in order. */
    cr_expect_eq(barriers_for((const int[][2]){{0, 1}, {0, 1}, {2, 3}}, 3, out), 1);
    cr_expect_eq(out[64], 3.0f);
}
