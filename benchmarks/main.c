/* alvk-bench: measures the device's ceilings, then times every kernel case
 * (median GPU time of repeated runs after a warm-up, from timestamp
 * queries), checks each result against the plain-C references, and sums
 * the cases of a ResNet18 training step into what it implies in images/s.
 * --json prints one object that scripts read: keep its names stable. */
#include "bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CASES 256
#define TRAIN_GROUP "resnet18-28x28-train-b128"

typedef struct options {
    int json, check, quick, repeats, dispatches, e2e;
    const char *op, *shape;
} options;

typedef struct result {
    double ms, gflops, gbps;
    int checked, ok;
    uint32_t nparts;                  /* the dispatches (and copies) of the case */
    double part_ms[BENCH_MAX_PARTS];  /* each one's time in the median run */
    const char *part[BENCH_MAX_PARTS];
} result;

static const char usage[] =
    "usage: alvk-bench [--json] [--quick] [--no-check] [--dispatches] [--op NAME] [--shape TEXT]\n"
    "                  [--repeats N] [--e2e]\n"
    "\n"
    "Times alvk's kernels on the device alvk chooses (ALVK_DEVICE=N|name picks another).\n"
    "First measures the device's ceilings (FMA straight-line and in a loop, read\n"
    "bandwidth through storage and texel buffers, copy bandwidth), then per case:\n"
    "median GPU time over repeated runs after a warm-up, GFLOP/s (nominal: every\n"
    "multiply-add of the op's definition), GB/s (operand bytes), and both as a\n"
    "percentage of the ceilings. Cases: ResNet18 on 28x28 at batch 128 (every layer\n"
    "shape, forward and backward, with its count in one training step), ResNet18\n"
    "forward on 224x224x3 at batch 1 and 8, square GEMMs 256-2048, two\n"
    "ResNet-shaped ones, and ops other models use at batch 128 (group ops-b128:\n"
    "GELU, tanh, exp, log, leaky ReLU, softmax, dropout, windowed average\n"
    "pooling, concatenation).\n"
    "\n"
    "  --json        one JSON object: device, peaks, cases, totals (and end_to_end)\n"
    "  --quick       a representative subset, in seconds (for CI)\n"
    "  --no-check    skip checking results against the references\n"
    "  --dispatches  also each case's dispatches, by shader, with their times in the\n"
    "                median run (where a convolution's time goes: packing, GEMM, ...)\n"
    "  --op NAME     only cases of this op (conv2d, gemm, batchnorm, ...)\n"
    "  --shape TEXT  only cases whose shape contains TEXT (e.g. 128x64x7x7)\n"
    "  --repeats N   timed runs per case (default 5)\n"
    "  --e2e         also the app's real graphs end to end: runs alvk-e2e (beside this\n"
    "                program; MNIST from ALVK_DATA or data/mnist) after the cases, for\n"
    "                the training step, evaluation and adversarial step in images/s\n"
    "\n"
    "Exit status: 0, 1 when a check failed or the device failed, 2 on usage errors.\n";

static int parse(int argc, char **argv, options *o) {
    *o = (options){.check = 1, .repeats = 5};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0) o->json = 1;
        else if (strcmp(a, "--quick") == 0) o->quick = 1;
        else if (strcmp(a, "--check") == 0) o->check = 1;
        else if (strcmp(a, "--no-check") == 0) o->check = 0;
        else if (strcmp(a, "--dispatches") == 0) o->dispatches = 1;
        else if (strcmp(a, "--e2e") == 0) o->e2e = 1;
        else if (strcmp(a, "--op") == 0 && i + 1 < argc) o->op = argv[++i];
        else if (strcmp(a, "--shape") == 0 && i + 1 < argc) o->shape = argv[++i];
        else if (strcmp(a, "--repeats") == 0 && i + 1 < argc) {
            char *end;
            long n = strtol(argv[++i], &end, 10);
            if (*end || n < 1 || n > 64) {
                fprintf(stderr, "alvk-bench: --repeats takes 1..64, not '%s'\n", argv[i]);
                return 2;
            }
            o->repeats = (int)n;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage, stdout);
            return -1;
        } else {
            fprintf(stderr, "alvk-bench: unknown or incomplete option '%s'\n%s", a, usage);
            return 2;
        }
    }
    return 0;
}

void bench_fill(float *v, size_t n, int operand) {
    uint32_t seed = 7u + (uint32_t)operand;
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        /* [0.25, 1.25): positive, so variances and the like stay valid */
        v[i] = 0.25f + (float)(seed >> 8) / (float)(1u << 24);
    }
}

static alvk_status run_case(alvk_context *ctx, const bench_case *c, const options *o, result *r) {
    size_t sizes[BENCH_MAX_OPERANDS];
    int nin, n = c->kind->operands(c, sizes, &nin);
    alvk_buffer ops[BENCH_MAX_OPERANDS] = {0};
    float *host[BENCH_MAX_OPERANDS] = {0};
    alvk_cmd *cmd = NULL;
    alvk_status s = ALVK_OK;
    memset(r, 0, sizeof *r);
    for (int i = 0; i < n && s == ALVK_OK; i++) {
        s = alvk_buffer_alloc(ctx, 4 * sizes[i], &ops[i]);
        if (s == ALVK_OK && !(host[i] = calloc(sizes[i], sizeof(float))))
            s = alvk_error(ALVK_ERROR_OUT_OF_HOST_MEMORY, "host copy of an operand");
        if (s == ALVK_OK && i < nin) bench_fill(host[i], sizes[i], i);
    }
    if (s == ALVK_OK && c->kind->init) c->kind->init(c, host);
    for (int i = 0; i < nin && s == ALVK_OK; i++)
        s = alvk_buffer_write(ctx, &ops[i], 0, host[i], 4 * sizes[i]);
    if (s == ALVK_OK && c->kind->prepare) {
        if ((s = alvk_cmd_create(ctx, 0, &cmd)) == ALVK_OK && (s = alvk_cmd_begin(cmd)) == ALVK_OK &&
            (s = c->kind->prepare(cmd, c, ops)) == ALVK_OK && (s = alvk_cmd_end(cmd)) == ALVK_OK)
            s = alvk_cmd_run(cmd);
        for (int i = nin; i < n && s == ALVK_OK; i++) /* what prepare made is an input now */
            s = alvk_buffer_read(ctx, &ops[i], 0, host[i], 4 * sizes[i]);
        alvk_cmd_destroy(cmd);
        cmd = NULL;
    }
    if (s == ALVK_OK) s = alvk_cmd_create(ctx, 64, &cmd);
    if (s == ALVK_OK) s = alvk_cmd_begin(cmd);
    if (s == ALVK_OK) s = c->kind->record(cmd, c, ops);
    if (s == ALVK_OK) s = alvk_cmd_end(cmd);
    if (s == ALVK_OK && o->check) {
        s = alvk_cmd_run(cmd);
        for (int i = 0; i < n && s == ALVK_OK; i++)
            s = alvk_buffer_read(ctx, &ops[i], 0, host[i], 4 * sizes[i]);
        if (s == ALVK_OK) {
            double e = c->kind->check(c, host);
            r->checked = 1;
            r->ok = e <= 1.0;
        }
    }
    if (s == ALVK_OK) s = bench_time(cmd, o->repeats, &r->ms, r->part_ms);
    if (s == ALVK_OK) {
        uint32_t timed = alvk_cmd_timed_count(cmd);
        r->nparts = timed < BENCH_MAX_PARTS ? timed : BENCH_MAX_PARTS;
        for (uint32_t i = 0; i < r->nparts; i++) r->part[i] = alvk_cmd_timed_label(cmd, i);
    }
    r->gflops = c->flops / (r->ms * 1e6);
    r->gbps = c->bytes / (r->ms * 1e6);
    alvk_cmd_destroy(cmd);
    for (int i = 0; i < n; i++) {
        alvk_buffer_free(ctx, &ops[i]);
        free(host[i]);
    }
    return s;
}

static int selected(const bench_case *c, const options *o) {
    if (o->quick && !c->quick) return 0;
    if (o->op && strcmp(o->op, c->kind->op) != 0) return 0;
    if (o->shape && !strstr(c->shape, o->shape)) return 0;
    return 1;
}

static void json_string(const char *s) {
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') putchar('\\');
        if ((unsigned char)*s >= 0x20) putchar(*s);
    }
    putchar('"');
}

/* Runs alvk-e2e from this program's folder (json: --json) and copies what
 * it prints to stdout; 0 when it succeeded. */
static int end_to_end(const char *argv0, int json) {
    const char *slash = strrchr(argv0, '/');
    char cmd[4096];
    int dir = slash ? (int)(slash - argv0) : 0;
    if (strchr(argv0, '\'') || dir > 4000) return 1;
    snprintf(cmd, sizeof cmd, "'%.*s%salvk-e2e'%s", dir, argv0, slash ? "/" : "",
             json ? " --json" : "");
    fflush(stdout);
    FILE *f = popen(cmd, "r");
    if (!f) return 1;
    char buf[4096];
    size_t n, total = 0;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        if (json && total + n > 0 && buf[n - 1] == '\n') n--; /* one line, inside ours */
        fwrite(buf, 1, n, stdout);
        total += n;
    }
    return pclose(f) != 0 || total == 0;
}

int main(int argc, char **argv) {
    options o;
    int rc = parse(argc, argv, &o);
    if (rc) return rc < 0 ? 0 : rc;
    alvk_context *ctx;
    if (alvk_context_create(NULL, &ctx) != ALVK_OK) {
        fprintf(stderr, "alvk-bench: %s\n", alvk_last_error());
        return 1;
    }
    alvk_device_info d;
    alvk_context_device_info(ctx, alvk_context_device_index(ctx), &d);
    bench_peaks pk;
    if (bench_measure_peaks(ctx, &pk) != ALVK_OK) {
        fprintf(stderr, "alvk-bench: measuring the device: %s\n", alvk_last_error());
        alvk_context_destroy(ctx);
        return 1;
    }
    const char *path = alvk_ops_read_path(ctx) == ALVK_READ_TEXEL ? "texel" : "ssbo";
    if (o.json) {
        printf("{\"device\": {\"name\": ");
        json_string(d.name);
        printf(", \"driver\": ");
        json_string(d.driver_info[0] ? d.driver_info : d.driver_name);
        printf(", \"read_path\": \"%s\"},\n \"peaks\": {\"fma_gflops\": %.2f, \"fma_loop_gflops\": %.2f, "
               "\"read_gbps\": %.2f, \"ssbo_read_gbps\": %.2f, \"texel_read_gbps\": %.2f, "
               "\"copy_gbps\": %.2f},\n \"cases\": [",
               path, pk.fma_gflops, pk.fma_loop_gflops, pk.read_gbps, pk.ssbo_read_gbps,
               pk.texel_read_gbps, pk.copy_gbps);
    } else {
        printf("device  %s (%s %s), kernels read through %s buffers\n", d.name, d.driver_name,
               d.driver_info, path);
        printf("peaks   FMA %.1f GFLOP/s straight-line, %.1f in a loop; read %.2f GB/s (storage "
               "buffer) %.2f (texel buffer); copy %.2f GB/s\n\n",
               pk.fma_gflops, pk.fma_loop_gflops, pk.ssbo_read_gbps, pk.texel_read_gbps, pk.copy_gbps);
        printf("%-16s %-16s %-28s %5s %10s %9s %8s %6s %6s %s\n", "op", "direction", "shape",
               "count", "ms", "GFLOP/s", "GB/s", "%fma", "%read", "check");
    }

    static bench_case cases[MAX_CASES];
    int ncases = bench_cases(cases, MAX_CASES), first = 1, failed = 0;
    const char *group = "";
    double group_ms = 0, train_ms = 0, conv_flops = 0, conv_ms = 0;
    double fwd224_b1 = 0, fwd224_b8 = 0;
    int train_cases = 0, train_all = 1;
    for (int i = 0; i < ncases; i++) {
        const bench_case *c = &cases[i];
        int is_train = strcmp(c->group, TRAIN_GROUP) == 0;
        if (!selected(c, &o)) {
            if (is_train) train_all = 0;
            continue;
        }
        if (!o.json && strcmp(group, c->group) != 0) {
            if (*group) printf("%-16s total %.2f ms (kernel time x count)\n\n", group, group_ms);
            printf("[%s]\n", c->group);
            group = c->group, group_ms = 0;
        }
        result r;
        if (run_case(ctx, c, &o, &r) != ALVK_OK) {
            fprintf(stderr, "alvk-bench: %s %s %s: %s\n", c->kind->op, c->kind->direction,
                    c->shape, alvk_last_error());
            alvk_context_destroy(ctx);
            return 1;
        }
        failed += r.checked && !r.ok;
        group_ms += r.ms * c->count;
        if (is_train) {
            train_ms += r.ms * c->count, train_cases++;
            if (strcmp(c->kind->op, "conv2d") == 0)
                conv_flops += c->flops * c->count, conv_ms += r.ms * c->count;
        }
        if (strcmp(c->group, "resnet18-224x224-forward-b1") == 0) fwd224_b1 += r.ms * c->count;
        if (strcmp(c->group, "resnet18-224x224-forward-b8") == 0) fwd224_b8 += r.ms * c->count;
        /* The FMA ceiling is the better of the two ways of measuring it: on
         * lavapipe the loop form is the fast one, against expectations. */
        double fma_peak = pk.fma_gflops > pk.fma_loop_gflops ? pk.fma_gflops : pk.fma_loop_gflops;
        double pct_fma = 100 * r.gflops / fma_peak, pct_copy = 100 * r.gbps / pk.copy_gbps;
        double pct_read = 100 * r.gbps / pk.read_gbps;
        const char *check = !r.checked ? "-" : r.ok ? "ok" : "FAIL";
        if (o.json) {
            printf("%s\n  {\"group\": \"%s\", \"op\": \"%s\", \"direction\": \"%s\", \"shape\": \"%s\", "
                   "\"count\": %d, \"ms\": %.4f, \"gflops\": %.3f, \"gbps\": %.3f, \"pct_fma\": %.2f, "
                   "\"pct_copy\": %.2f, \"pct_read\": %.2f, \"check\": \"%s\"",
                   first ? "" : ",", c->group, c->kind->op, c->kind->direction, c->shape, c->count,
                   r.ms, r.gflops, r.gbps, pct_fma, pct_copy, pct_read, check);
            if (o.dispatches) {
                printf(", \"dispatches\": [");
                for (uint32_t k = 0; k < r.nparts; k++)
                    printf("%s{\"shader\": \"%s\", \"ms\": %.4f}", k ? ", " : "", r.part[k], r.part_ms[k]);
                printf("]");
            }
            printf("}");
        } else {
            printf("%-16s %-16s %-28s %5d %10.3f %9.2f %8.2f %6.1f %6.1f %s\n", c->kind->op,
                   c->kind->direction, c->shape, c->count, r.ms, r.gflops, r.gbps, pct_fma,
                   pct_read, check);
            for (uint32_t k = 0; o.dispatches && k < r.nparts; k++)
                printf("%-16s   %-41s %10.3f\n", "", r.part[k], r.part_ms[k]);
        }
        fflush(stdout);
        first = 0;
    }
    /* The step total means something only when every case of it ran. */
    int have_step = train_all && train_cases > 0;
    double ips = have_step ? 128.0 / (train_ms * 1e-3) : 0;
    if (o.json) {
        printf("\n ],\n \"totals\": {\"resnet18_train_step_ms\": %.3f, \"implied_images_per_s\": %.2f, "
               "\"conv_train_step_gflops\": %.3f, \"resnet18_224_b1_forward_ms\": %.3f, "
               "\"resnet18_224_b8_forward_ms\": %.3f, \"checks_failed\": %d}",
               have_step ? train_ms : 0, ips, conv_ms > 0 ? conv_flops / (conv_ms * 1e6) : 0,
               fwd224_b1, fwd224_b8, failed);
    } else {
        if (*group) printf("%-16s total %.2f ms (kernel time x count)\n\n", group, group_ms);
        if (have_step)
            printf("one ResNet18 training step at batch 128 (28x28): %.1f ms of kernels -> %.1f "
                   "images/s; its convolutions: %.2f GFLOP/s\n", train_ms, ips,
                   conv_flops / (conv_ms * 1e6));
        if (fwd224_b1 > 0) printf("ResNet18 forward 224x224x3, batch 1: %.1f ms\n", fwd224_b1);
        if (fwd224_b8 > 0) printf("ResNet18 forward 224x224x3, batch 8: %.1f ms\n", fwd224_b8);
        if (failed) printf("%d check(s) FAILED\n", failed);
    }
    alvk_context_destroy(ctx); /* alvk-e2e opens its own */
    int e2e_failed = 0;
    if (o.e2e) {
        printf(o.json ? ",\n \"end_to_end\": " : "\nend to end (alvk-e2e, wall clock):\n");
        e2e_failed = end_to_end(argv[0], o.json);
        if (e2e_failed) {
            if (o.json) printf("null");
            fprintf(stderr, "alvk-bench: the end-to-end cases failed (alvk-e2e beside alvk-bench; "
                            "MNIST from ALVK_DATA or data/mnist)\n");
        }
    }
    if (o.json) printf("}\n");
    return failed || e2e_failed ? 1 : 0;
}
