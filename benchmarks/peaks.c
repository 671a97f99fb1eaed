/* The device's ceilings, measured with alvk-bench's own kernels: FMA
 * throughput straight-line and in a loop, read bandwidth through storage
 * buffers and texel buffers, and copy bandwidth. Each kernel's result is
 * later reported as a share of the ceiling that bounds it. */
#include "bench.h"

#define FMA_THREADS (1u << 22) /* straight-line: enough work to hide the launch */
#define FMA_LOOP_THREADS (1u << 16)
#define FMA_LOOP_ITERS 64
#define FMA_PER_THREAD (8 * 64)
#define READ_BYTES (64u << 20)
#define READ_THREADS 8192u

alvk_status bench_time(alvk_cmd *cmd, int repeats, double *ms, double *parts) {
    double t[64], part[64][BENCH_MAX_PARTS];
    int order[64];
    if (repeats > 64) repeats = 64;
    for (int r = -1; r < repeats; r++) {
        alvk_status s = alvk_cmd_run(cmd);
        if (s != ALVK_OK) return s;
        if (r < 0) continue;
        t[r] = 0, order[r] = r;
        for (uint32_t i = 0; i < alvk_cmd_timed_count(cmd); i++) {
            double d = alvk_cmd_dispatch_ms(cmd, i);
            t[r] += d;
            if (i < BENCH_MAX_PARTS) part[r][i] = d;
        }
    }
    for (int i = 1; i < repeats; i++) /* insertion sort: a handful of values */
        for (int j = i; j > 0 && t[order[j]] < t[order[j - 1]]; j--) {
            int x = order[j];
            order[j] = order[j - 1];
            order[j - 1] = x;
        }
    int median = order[repeats / 2];
    *ms = t[median];
    for (uint32_t i = 0; parts && i < alvk_cmd_timed_count(cmd) && i < BENCH_MAX_PARTS; i++)
        parts[i] = part[median][i];
    return ALVK_OK;
}

static alvk_status time_one(alvk_context *ctx, alvk_kernel k, const alvk_binding *b, uint32_t nb,
                            const void *push, uint32_t push_size, uint32_t groups, double *ms) {
    alvk_cmd *cmd;
    alvk_pipeline *pipe;
    alvk_bindset *set;
    alvk_status s = alvk_cmd_create(ctx, 1, &cmd);
    if (s != ALVK_OK) return s;
    if ((s = alvk_cmd_begin(cmd)) == ALVK_OK && (s = alvk_pipeline_get(ctx, &k, &pipe)) == ALVK_OK &&
        (s = alvk_cmd_bindset(cmd, pipe, b, nb, &set)) == ALVK_OK) {
        alvk_cmd_dispatch(cmd, pipe, set, push, push_size, groups, 1, 1);
        if ((s = alvk_cmd_end(cmd)) == ALVK_OK) s = bench_time(cmd, 5, ms, NULL);
    }
    alvk_cmd_destroy(cmd);
    return s;
}

static alvk_status fma_peak(alvk_context *ctx, uint32_t iters, double *gflops) {
    alvk_buffer y;
    uint32_t threads = iters > 1 ? FMA_LOOP_THREADS : FMA_THREADS;
    alvk_status s = alvk_buffer_alloc(ctx, 4ull * threads, &y);
    if (s != ALVK_OK) return s;
    alvk_kernel k = {.shader = ALVK_SHADER_peak_fma, .local = {256}, .nspec = 1, .spec = {iters > 1}};
    alvk_binding b = alvk_out(&y);
    struct { float a, b; uint32_t iters; } push = {0.999f, 0.001f, iters};
    double ms = 0;
    s = time_one(ctx, k, &b, 1, &push, sizeof push, threads / 256, &ms);
    *gflops = 2.0 * FMA_PER_THREAD * iters * threads / (ms * 1e6);
    alvk_buffer_free(ctx, &y);
    return s;
}

static alvk_status read_peak(alvk_context *ctx, alvk_shader_id shader, const alvk_buffer *x,
                             const alvk_buffer *y, double *gbps) {
    alvk_kernel k = {.shader = shader, .local = {64}};
    alvk_binding b[2] = {alvk_in4(x), alvk_out(y)};
    struct { uint32_t n4, stride; } push = {READ_BYTES / 16, READ_THREADS};
    double ms = 0;
    alvk_status s = time_one(ctx, k, b, 2, &push, sizeof push, READ_THREADS / 64, &ms);
    *gbps = READ_BYTES / (ms * 1e6);
    return s;
}

static alvk_status copy_peak(alvk_context *ctx, const alvk_buffer *x, const alvk_buffer *y,
                             double *gbps) {
    alvk_cmd *cmd;
    double ms = 0;
    alvk_status s = alvk_cmd_create(ctx, 1, &cmd);
    if (s != ALVK_OK) return s;
    if ((s = alvk_cmd_begin(cmd)) == ALVK_OK) {
        alvk_cmd_copy(cmd, x, 0, y, 0, READ_BYTES);
        if ((s = alvk_cmd_end(cmd)) == ALVK_OK) s = bench_time(cmd, 5, &ms, NULL);
    }
    alvk_cmd_destroy(cmd);
    *gbps = 2.0 * READ_BYTES / (ms * 1e6); /* read + write */
    return s;
}

alvk_status bench_measure_peaks(alvk_context *ctx, bench_peaks *p) {
    alvk_buffer x, y, z;
    alvk_status s = fma_peak(ctx, 1, &p->fma_gflops);
    if (s == ALVK_OK) s = fma_peak(ctx, FMA_LOOP_ITERS, &p->fma_loop_gflops);
    if (s != ALVK_OK) return s;
    if ((s = alvk_buffer_alloc(ctx, READ_BYTES, &x)) != ALVK_OK) return s;
    if ((s = alvk_buffer_alloc(ctx, READ_BYTES, &z)) != ALVK_OK) return s;
    if ((s = alvk_buffer_alloc(ctx, 4 * READ_THREADS, &y)) != ALVK_OK) return s;
    s = read_peak(ctx, ALVK_SHADER_readprobe, &x, &y, &p->ssbo_read_gbps);
    if (s == ALVK_OK) s = read_peak(ctx, ALVK_SHADER_readprobe_texel, &x, &y, &p->texel_read_gbps);
    if (s == ALVK_OK) s = copy_peak(ctx, &x, &z, &p->copy_gbps);
    p->read_gbps = p->ssbo_read_gbps > p->texel_read_gbps ? p->ssbo_read_gbps : p->texel_read_gbps;
    alvk_buffer_free(ctx, &x);
    alvk_buffer_free(ctx, &y);
    alvk_buffer_free(ctx, &z);
    return s;
}
