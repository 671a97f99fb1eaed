/* alvk-bench: times what the engine can run, on the device alvk chooses
 * (ALVK_DEVICE overrides). For now: host<->device transfer bandwidth and the
 * axpy kernel's GPU time (timestamp queries, median of repeated runs after a
 * warm-up), with its effective bandwidth. */
#include <alvk/alvk.h>

#include "vk/command.h"
#include "vk/context.h"
#include "vk/memory.h"
#include "vk/pipeline.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REPEATS 15

static double now_s(void) {
    struct timespec ts;
    timespec_get(&ts, TIME_UTC);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

static int fail(const char *what) {
    fprintf(stderr, "alvk-bench: %s: %s\n", what, alvk_last_error());
    return 1;
}

/* Median wall time of buffer writes and reads of `bytes`, in GB/s. */
static int bench_transfer(alvk_context *ctx, size_t bytes, int json) {
    alvk_buffer buf;
    uint8_t *host = malloc(bytes);
    if (!host || alvk_buffer_alloc(ctx, bytes, &buf) != ALVK_OK) return fail("transfer buffer");
    memset(host, 1, bytes);
    double w[REPEATS], r[REPEATS];
    for (int i = 0; i < REPEATS; i++) {
        double t0 = now_s();
        if (alvk_buffer_write(ctx, &buf, 0, host, bytes) != ALVK_OK) return fail("write");
        double t1 = now_s();
        if (alvk_buffer_read(ctx, &buf, 0, host, bytes) != ALVK_OK) return fail("read");
        w[i] = t1 - t0;
        r[i] = now_s() - t1;
    }
    double up = bytes / median(w, REPEATS) * 1e-9, down = bytes / median(r, REPEATS) * 1e-9;
    if (json)
        printf("  {\"op\": \"upload\", \"bytes\": %zu, \"gbps\": %.3f},\n"
               "  {\"op\": \"download\", \"bytes\": %zu, \"gbps\": %.3f},\n",
               bytes, up, bytes, down);
    else
        printf("upload    %8.1f MiB  %8.2f GB/s\ndownload  %8.1f MiB  %8.2f GB/s\n",
               bytes / 1048576.0, up, bytes / 1048576.0, down);
    alvk_buffer_free(ctx, &buf);
    free(host);
    return 0;
}

/* y = a*x + y over n floats: 2 loads and 1 store of 4 bytes per element. */
static int bench_axpy(alvk_context *ctx, uint32_t n, int json) {
    alvk_buffer x, y;
    if (alvk_buffer_alloc(ctx, 4ull * n, &x) != ALVK_OK || alvk_buffer_alloc(ctx, 4ull * n, &y) != ALVK_OK)
        return fail("axpy buffers");
    float *host = calloc(n, sizeof *host);
    if (!host) return fail("host memory");
    alvk_buffer_write(ctx, &x, 0, host, 4ull * n);
    alvk_buffer_write(ctx, &y, 0, host, 4ull * n);
    alvk_kernel k = {.shader = ALVK_SHADER_axpy, .local = {256}};
    alvk_pipeline *pipe;
    alvk_bindset *set;
    alvk_cmd *cmd;
    if (alvk_pipeline_get(ctx, &k, &pipe) != ALVK_OK) return fail("axpy pipeline");
    alvk_binding b[2] = {{.buffer = x}, {.buffer = y}};
    if (alvk_bindset_create(ctx, pipe, b, 2, &set) != ALVK_OK) return fail("axpy bindings");
    if (alvk_cmd_create(ctx, 1, &cmd) != ALVK_OK) return fail("command buffer");
    struct { uint32_t n; float a; } push = {n, 0.5f};
    uint32_t groups = (n + 255) / 256;
    alvk_cmd_begin(cmd);
    alvk_cmd_dispatch(cmd, pipe, set, &push, sizeof push, groups < 65535 ? groups : 65535,
                      (groups + 65534) / 65535, 1);
    if (alvk_cmd_end(cmd) != ALVK_OK) return fail("record");
    double ms[REPEATS];
    for (int i = -2; i < REPEATS; i++) {
        if (alvk_cmd_run(cmd) != ALVK_OK) return fail("run");
        if (i >= 0) ms[i] = alvk_cmd_dispatch_ms(cmd, 0);
    }
    double t = median(ms, REPEATS);
    double gbps = t > 0 ? 12.0 * n / (t * 1e-3) * 1e-9 : NAN;
    if (json)
        printf("  {\"op\": \"axpy\", \"shape\": \"%u\", \"ms\": %.4f, \"gbps\": %.3f}\n", n, t, gbps);
    else
        printf("axpy      %8u el   %8.3f ms  %8.2f GB/s\n", n, t, gbps);
    alvk_cmd_destroy(cmd);
    alvk_bindset_destroy(ctx, set);
    alvk_buffer_free(ctx, &x);
    alvk_buffer_free(ctx, &y);
    free(host);
    return 0;
}

int main(int argc, char **argv) {
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) json = 1;
        else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            puts("usage: alvk-bench [--json]\n\nTimes host<->device transfers and the axpy "
                 "kernel (GPU timestamps,\nmedian of 15 runs after 2 warm-ups) on the device "
                 "alvk chooses;\nALVK_DEVICE=N|name picks another.");
            return 0;
        } else {
            fprintf(stderr, "alvk-bench: unknown option '%s' (try --help)\n", argv[i]);
            return 2;
        }
    }
    alvk_context *ctx;
    if (alvk_context_create(&(alvk_context_desc){0}, &ctx) != ALVK_OK) return fail("opening the device");
    alvk_device_info d;
    alvk_context_device_info(ctx, alvk_context_device_index(ctx), &d);
    if (json) {
        printf("{\"device\": {\"name\": \"%s\", \"driver\": \"%s %s\"},\n\"cases\": [\n", d.name,
               d.driver_name, d.driver_info);
    } else {
        printf("device: %s (%s %s)\n", d.name, d.driver_name, d.driver_info);
    }
    int rc = bench_transfer(ctx, 64u << 20, json);
    if (!rc) rc = bench_axpy(ctx, 16u << 20, json);
    if (json) puts("]}");
    alvk_context_destroy(ctx);
    return rc;
}
