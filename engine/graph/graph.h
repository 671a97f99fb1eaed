/* The graph's internal form: a list of nodes in creation order (which is a
 * topological order, since a node can only use nodes made before it), each
 * an op of the table ALVK_GRAPH_OPS below with its static shape. */
#ifndef ALVK_GRAPH_H
#define ALVK_GRAPH_H

#include "alvk/alvk.h"
#include "nn/params.h"
#include "ops/ops.h"
#include "vk/command.h"

#define GRAPH_MAX_IN 5
#define GRAPH_MAX_DIMS 4

/* The graph's ops. Each has a shape rule (build.c), a recording (record.c)
 * and a vector-Jacobian product (autodiff.c) made of graph ops, so that
 * gradients of linear, activation, elementwise and sum ops can themselves
 * be differentiated; the fused gradient kernels of convolution, batch norm,
 * pooling and the loss cannot. */
#define ALVK_GRAPH_OPS(X)                                                      \
    X(INPUT, input) X(LABELS, labels) X(PARAM, param)                          \
    X(MATMUL, matmul) X(BIAS_ADD, bias_add) X(SUM_COLS, sum_cols)              \
    X(EXPAND_COLS, expand_cols)                                                \
    X(CONV2D, conv2d) X(CONV_BWD_DATA, conv_bwd_data)                          \
    X(CONV_BWD_WEIGHT, conv_bwd_weight) X(CHANNEL_SUM, channel_sum)            \
    X(BATCHNORM, batchnorm) X(BATCHNORM_BWD, batchnorm_bwd)                    \
    X(MAXPOOL, maxpool) X(MAXPOOL_BWD, maxpool_bwd)                            \
    X(AVGPOOL, avgpool) X(AVGPOOL_BWD, avgpool_bwd)                            \
    X(RELU, relu) X(RELU_GRAD, relu_grad) X(SIGMOID, sigmoid)                  \
    X(SQUARE, square) X(SQRT, sqrt) X(AFFINE, affine)                          \
    X(ADD, add) X(SUB, sub) X(MUL, mul) X(DIV, div)                            \
    X(MUL_ROWS, mul_rows) X(SUM_ROWS, sum_rows) X(EXPAND_ROWS, expand_rows)    \
    X(MEAN, mean) X(EXPAND_MEAN, expand_mean)                                  \
    X(SOFTMAX_CE, softmax_ce) X(SOFTMAX_CE_BWD, softmax_ce_bwd)                \
    X(ONE, one) X(TO_GRAD, to_grad) X(ADAM, adam)                              \
    X(GATHER, gather) X(GATHERED_LABELS, gathered_labels) X(CORRECT, correct)  \
    X(RESHAPE, reshape)

typedef enum graph_op {
#define GRAPH_OP_ENUM(id, name) OP_##id,
    ALVK_GRAPH_OPS(GRAPH_OP_ENUM)
#undef GRAPH_OP_ENUM
    OP_COUNT
} graph_op;

/* BATCHNORM_BWD's attr[0] (gamma) and attr[1] (beta): where the batch-norm
 * weights' gradients go. */
enum { BN_GRAD_STORE, /* into the store's gradients */
       BN_GRAD_ADD,   /* added to them: the weights' second use in one sweep */
       BN_GRAD_SCRATCH /* nowhere: this sweep does not differentiate them */ };

typedef struct node {
    graph_op op;
    int nin;
    alvk_node in[GRAPH_MAX_IN];
    uint32_t shape[GRAPH_MAX_DIMS]; /* dim 0 is the maximum batch when batched */
    uint32_t ndims;
    int batched;
    uint32_t attr[4];   /* op-specific: stride, pad, kernel, transposes, ... */
    float alpha, beta;  /* AFFINE: alpha x + beta */
    double hyper[4];    /* ADAM: lr, beta1, beta2, eps */
    alvk_pool *pool;    /* GATHER */
    uint32_t limit;     /* LABELS: every value the host sets must be below it (0: none) */
    int param;          /* PARAM and TO_GRAD: the store tensor; ADAM: the first */
    int nparams;        /* ADAM: how many store tensors it updates */
    int grad_of;        /* >= 0: this node's output is that store tensor's gradient */
    /* Memory: the output and up to two auxiliary buffers (batch statistics,
     * argmax, probabilities), as offsets in the graph's arena, or views of
     * the store for PARAM and TO_GRAD. */
    uint64_t bytes, aux_bytes[2];
    uint64_t offset, aux_offset[2];
    /* The scratch its ops ask for while it records (measured at compile,
     * at the maximum batch), planned in the arena like an output that
     * lives during this node alone. */
    uint64_t scratch_bytes, scratch_offset;
    int first, last;    /* the range of nodes during which it is live */
    int pinned;         /* written by the host or read after the run */
    /* Fusion at compile (fuse.c; 0: none, node 0 is never an op with
     * inputs). A node `fused_into` another is computed by that node's
     * kernel, in its memory, and records nothing itself: a BATCHNORM folded
     * into a CONV2D (evaluation), a RELU and a residual ADD into the
     * BATCHNORM or CONV2D before them. An `elided` node is computed by its one reader
     * (a RELU_GRAD by the BATCHNORM_BWD that reads it: in[4] is then the
     * ReLU's mask, in[1] the gradient it masked). */
    int fused_into;
    int elided;
    int bn_folded;      /* CONV2D: the BATCHNORM folded into it */
    int residual;       /* BATCHNORM, CONV2D: the node its epilogue adds */
    int relu;           /* BATCHNORM, CONV2D: its epilogue clamps at 0 */
} node;

typedef struct recording {
    uint32_t batch;
    alvk_cmd *cmd;
    uint32_t *first_timed; /* with ALVK_PROFILE: node i's timed commands start here */
} recording;

#define GRAPH_MAX_RECORDINGS 4

struct alvk_graph {
    alvk_context *ctx;
    alvk_params *params;
    uint32_t max_batch;
    alvk_graph_mode mode;
    float bn_momentum;   /* batch norm's running-statistics momentum */
    node *nodes;
    int count, cap;
    alvk_status error;   /* the first builder error, sticky */
    char error_msg[512];
    int compiled;
    uint64_t arena_bytes;
    alvk_buffer arena;
    recording recordings[GRAPH_MAX_RECORDINGS];
    int nrecordings;
    uint32_t last_batch;
    /* ALVK_PROFILE=1: GPU milliseconds and runs per op, printed at destroy. */
    int profile;
    double profile_ms[OP_COUNT];
    uint64_t profile_calls[OP_COUNT];
    uint32_t profile_runs;
};

/* Adds the last run's per-op GPU times (ALVK_PROFILE) / prints the table. */
void graph_profile_add(alvk_graph *g, const recording *r);
void graph_profile_print(const alvk_graph *g);

/* Adds a node (inputs already checked); returns its index or -1. */
alvk_node graph_add(alvk_graph *g, graph_op op, const alvk_node *in, int nin,
                    const uint32_t *shape, uint32_t ndims, int batched);
/* Makes a failed builder call's error (alvk_last_error) the graph's sticky
 * error, before compile; returns s. */
alvk_status graph_stick(alvk_graph *g, alvk_status s);
/* Records a builder error (the first one sticks) and returns -1. */
alvk_node graph_fail(alvk_graph *g, alvk_status status, const char *fmt, ...) ALVK_PRINTF(3, 4);
/* Builders the autodiff uses beyond the public ones. */
alvk_node graph_affine(alvk_graph *g, alvk_node x, float alpha, float beta);
alvk_node graph_div(alvk_graph *g, alvk_node a, alvk_node b);
alvk_node graph_reshape(alvk_graph *g, alvk_node x, const uint32_t *shape, uint32_t ndims, int batched);

/* Checks that store tensors first..first+count-1 exist and include a
 * trainable one (a parameter group of backward or Adam). */
alvk_status graph_check_group(const alvk_graph *g, int first, int count, const char *what);

/* Number of floats of a node at a given batch. */
uint64_t graph_numel(const node *n, uint32_t batch);

/* Compile's fusion passes (fuse.c): batch norm folded into convolutions in
 * evaluation graphs, ReLU and residual adds into the batch norm or
 * convolution before them, ReLU gradients into batch-norm backward. ALVK_FUSE=0 turns them off,
 * ALVK_FOLD_BN=0 the folding alone. */
void graph_fuse(alvk_graph *g);

/* Per-op hooks, defined in record.c and autodiff.c. */
alvk_status graph_record(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch);
/* Adds the gradients of node i's inputs given the gradient `grad` of its
 * output; grads[] maps nodes to their accumulated gradient nodes. */
alvk_status graph_vjp(alvk_graph *g, int i, alvk_node grad, alvk_node *grads);

/* The device range of a node's output or auxiliary buffer k. */
alvk_buffer graph_buffer(const alvk_graph *g, int i);
alvk_buffer graph_aux(const alvk_graph *g, int i, int k);

#endif
