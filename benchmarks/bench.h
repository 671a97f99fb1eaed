/* alvk-bench: shared types of the driver (main.c), the device ceilings
 * (peaks.c) and the case table (cases.c). */
#ifndef ALVK_BENCH_H
#define ALVK_BENCH_H

#include "ops/ops.h"
#include "vk/context.h"
#include "vk/transfer.h"

#define BENCH_MAX_OPERANDS 8

/* What the device can do at best, measured by alvk-bench's own kernels. */
typedef struct bench_peaks {
    double fma_gflops;      /* straight-line FMA chains */
    double fma_loop_gflops; /* the same inside a loop with carried accumulators */
    double ssbo_read_gbps, texel_read_gbps, read_gbps; /* read_gbps: the better path */
    double copy_gbps;       /* vkCmdCopyBuffer */
} bench_peaks;

alvk_status bench_measure_peaks(alvk_context *ctx, bench_peaks *out);

/* Median GPU milliseconds of a recording (the sum of its timed commands),
 * over `repeats` runs after one warm-up; with parts != NULL also that run's
 * time per timed command (at most BENCH_MAX_PARTS, as many as a case times). */
#define BENCH_MAX_PARTS 64
alvk_status bench_time(alvk_cmd *cmd, int repeats, double *ms, double *parts);

typedef struct bench_case bench_case;

/* One kind of case: how big its operands are, how to record it, how to
 * check its result against the references in tests/ref/. */
typedef struct bench_kind {
    const char *op, *direction;
    /* Operand sizes in floats (or 32-bit words), and how many of them are
     * inputs (filled by bench_fill, in [0.25, 1.25)) rather than outputs. */
    int (*operands)(const bench_case *c, size_t sizes[BENCH_MAX_OPERANDS], int *ninputs);
    alvk_status (*record)(alvk_cmd *cmd, const bench_case *c, const alvk_buffer *ops);
    /* The worst error of the outputs over their tolerance (<= 1 passes),
     * from host copies of all operands. */
    double (*check)(const bench_case *c, float *const *ops);
    /* Run once before timing, for inputs that must come from another op
     * (NULL: none); what it writes counts as input. */
    alvk_status (*prepare)(alvk_cmd *cmd, const bench_case *c, const alvk_buffer *ops);
    /* Rewrites inputs after the random fill, for integer operands such as
     * labels and indices (NULL: none). */
    void (*init)(const bench_case *c, float *const *ops);
} bench_kind;

/* The fill of input operand i of n values: deterministic, in [0.25, 1.25). */
void bench_fill(float *v, size_t n, int i);

struct bench_case {
    const char *group;
    const bench_kind *kind;
    char shape[64];
    double flops;   /* nominal: 2 per multiply-add of the op's definition */
    double bytes;   /* the operands' size: what the op must read and write once */
    int count;      /* times it occurs in its group's total */
    int quick;      /* part of --quick */
    uint32_t p[10];
};

/* Fills cases (at most max) and returns how many. */
int bench_cases(bench_case *cases, int max);

#endif
