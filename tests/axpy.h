/* The axpy kernel set up for tests: y = a*x + y over n floats. */
#ifndef ALVK_TEST_AXPY_H
#define ALVK_TEST_AXPY_H

#include "harness.h"

typedef struct axpy_run {
    alvk_buffer x, y;
    alvk_pipeline *pipe;
    alvk_bindset *set;
    alvk_cmd *cmd;
    uint32_t n;
} axpy_run;

/* Uploads x and y, gets the pipeline and records one dispatch (timed). */
void axpy_setup(alvk_context *ctx, axpy_run *run, const float *x, const float *y, uint32_t n,
                float a);
void axpy_teardown(alvk_context *ctx, axpy_run *run);

#endif
