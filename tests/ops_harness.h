/* The table-driven op harness (ggml's test-backend-ops is the model). Each
 * row is an op at one shape: the harness makes seeded random inputs, runs
 * the GPU kernel under every read path and the double-precision reference
 * from tests/ref/, and compares with the row's tolerance. A backward row
 * also checks its reference against central finite differences of the
 * forward reference, in double precision. Failures print the op and all of
 * its parameters. */
#ifndef ALVK_OPS_HARNESS_H
#define ALVK_OPS_HARNESS_H

#include "harness.h"
#include "ops/ops.h"

#include <criterion/parameterized.h>

#define OP_MAX_IN 6
#define OP_MAX_OUT 6

typedef struct op_case op_case;

/* Records the op on the GPU: in[] and out[] are device buffers of the row's
 * lengths (integer inputs hold uint32 values, byte inputs one byte each). */
typedef alvk_status (*op_gpu_fn)(alvk_cmd *cmd, const op_case *c, const alvk_buffer *in,
                                 const alvk_buffer *out);
/* The reference on doubles. */
typedef void (*op_ref_fn)(const op_case *c, const double *const *in, double *const *out);

struct op_case {
    char name[160];                /* op and every parameter, for messages */
    uint32_t nin, nout;
    size_t in_len[OP_MAX_IN], out_len[OP_MAX_OUT];
    double lo[OP_MAX_IN], hi[OP_MAX_IN]; /* uniform input ranges */
    int integer[OP_MAX_IN];        /* input holds integers in [lo, hi) as uint32 */
    int bytes[OP_MAX_IN];          /* ... as uint8 instead (an integer input of bytes) */
    int out_integer[OP_MAX_OUT];   /* output holds uint32 values */
    op_gpu_fn gpu;
    op_ref_fn ref;
    double tol;                    /* |gpu - ref| <= tol * (1 + |ref|) */
    /* Backward rows: ref computes gradients from (forward inputs..., dy);
     * fwd is the forward reference with fwd_nin inputs and one output, and
     * grad_of[k] names the forward input that output k is the gradient of. */
    op_ref_fn fwd;
    uint32_t fwd_nin;
    int grad_of[OP_MAX_OUT];
    /* Op parameters, free for each family to use. */
    uint32_t u[12];
    double f[4];
};

/* Runs one row: GPU vs reference (both read paths), and for backward rows
 * the finite-difference check of the reference. */
void op_case_run(const op_case *c);

/* Registers the rows of `table` (filled by `build`, which returns the row
 * count and must be deterministic) as a Criterion parameterized test named
 * suite/table. Criterion runs each parameter in a fresh process of the same
 * binary, where function addresses differ (PIE), so rows travel as numbers
 * and the table is rebuilt on the other side. */
#define OP_TABLE_TEST(suite, build, table, max_rows)                           \
    static size_t suite##_rows[max_rows];                                      \
    ParameterizedTestParameters(suite, table) {                                \
        size_t n_ = build();                                                   \
        for (size_t i_ = 0; i_ < n_; i_++) suite##_rows[i_] = i_;              \
        return cr_make_param_array(size_t, suite##_rows, n_);                  \
    }                                                                          \
    ParameterizedTest(size_t *row, suite, table) {                             \
        build();                                                               \
        op_case_run(&table[*row]);                                             \
    }

#endif
