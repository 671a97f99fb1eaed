/* The graph's internal form: a list of nodes in creation order (which is a
 * topological order, since a node can only use nodes made before it), each
 * an op of the table ALVK_GRAPH_OPS below with its static shape. */
#ifndef ALVK_GRAPH_H
#define ALVK_GRAPH_H

#include "alvk/alvk.h"
#include "nn/params.h"
#include "ops/ops.h"
#include "vk/command.h"
#include "core/handle.h"

#define GRAPH_MAX_IN 5
#define GRAPH_MAX_DIMS 4

/* Node ids. Those the API hands out carry their graph's tag in bits 20-30
 * above the index, so a node of another graph is an error rather than
 * whichever node has its index here. Inside the graph (in[], the nodes'
 * fields, loops, an autodiff sweep's VJPs) ids are plain indices; graph_at
 * and graph_node_of take either. */
#define GRAPH_INDEX_BITS 20
#define GRAPH_MAX_NODES (1 << GRAPH_INDEX_BITS)
#define GRAPH_MAX_TAG 2047 /* keeps tagged ids positive int32 */

/* The graph's ops, each described once (graph_op_desc below) in its
 * family's file: ops_data.c (leaves, views, gather, concatenation),
 * ops_optim.c (Adam, SGD), ops_linear.c, ops_conv.c, ops_norm.c,
 * ops_pool.c, ops_elementwise.c (with dropout), ops_loss.c. The VJPs of
 * linear, activation, elementwise, sum, average-pooling, concatenation and
 * dropout ops are made of differentiable graph ops, so gradients can be
 * differentiated again; the fused gradient kernels of convolution, batch
 * norm, max and global average pooling and the loss cannot. */
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
    X(ONE, one) X(TO_GRAD, to_grad) X(ADAM, adam) X(SGD, sgd)                  \
    X(GATHER, gather) X(GATHERED_LABELS, gathered_labels) X(CORRECT, correct)  \
    X(RESHAPE, reshape) X(TANH, tanh) X(EXP, exp) X(LOG, log) X(LEAKY_RELU, leaky_relu)   \
    X(SOFTMAX, softmax) X(GELU, gelu) X(GELU_GRAD, gelu_grad)                   \
    X(AVGPOOL2D, avgpool2d) X(AVGPOOL2D_BWD, avgpool2d_bwd)                    \
    X(CONCAT, concat) X(CHANNELS, channels) X(DROPOUT, dropout)

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
    alvk_optimizer optim; /* ADAM, SGD: hyperparameters (attr[0]: its slot of g->optim) */
    alvk_pool *pool;    /* GATHER */
    uint32_t limit;     /* LABELS: every value the host sets must be below it (0: none) */
    int param;          /* PARAM and TO_GRAD: the store tensor; ADAM, SGD: the first */
    int nparams;        /* ADAM, SGD: how many store tensors it updates */
    int grad_of;        /* >= 0: this node's output is that store tensor's gradient */
    /* Memory: the output and up to two auxiliary buffers (batch statistics,
     * argmax, probabilities), as offsets in the graph's arena, or views of
     * the store for PARAM and TO_GRAD. */
    uint64_t bytes, aux_bytes[2];
    uint64_t offset, aux_offset[2];
    /* The scratch its ops ask for while it records (measured at compile,
     * at the maximum batch), planned in the arena like an output that
     * lives during this node alone: [0] alvk_cmd_scratch's, [1] the
     * weights' (alvk_cmd_scratch_weights). */
    uint64_t scratch_bytes[2], scratch_offset[2];
    int first, last;    /* the range of nodes during which it is live */
    int pinned;         /* written by the host or read after the run */
    /* Fusion at compile (fuse.c; 0: none, node 0 is never an op with
     * inputs). A node `fused_into` another is computed by that node's
     * kernel, in its memory, and records nothing itself: a BATCHNORM folded
     * into a CONV2D (evaluation), a RELU and a residual ADD into the
     * BATCHNORM or CONV2D before them, a RELU_GRAD (with the ADD it took) into
 * the CONV_BWD_DATA that computes its gradient, a BIAS_ADD into the MATMUL
 * before it. An `elided` node is computed by its one reader
     * (a RELU_GRAD by the BATCHNORM_BWD that reads it: in[4] is then the
     * ReLU's mask, in[1] the gradient it masked; an ADD by the RELU_GRAD
     * that reads it: in[2] is then the ADD's second operand) or by its
     * input's kernel (a CHANNEL_SUM by the BATCHNORM_BWD whose dx it sums,
     * into the store's gradient: dx_sums; a SOFTMAX_CE_BWD by its
     * SOFTMAX_CE: ce_grad). */
    int fused_into;
    int elided;
    int bn_folded;      /* CONV2D: the BATCHNORM folded into it */
    int dx_sums;        /* BATCHNORM_BWD: the CHANNEL_SUM of its dx it also computes (elided) */
    int ce_grad;        /* SOFTMAX_CE: the SOFTMAX_CE_BWD whose dlogits it also writes (elided) */
    int residual;       /* BATCHNORM, CONV2D, CONV_BWD_DATA: the node its epilogue adds, or -1 */
    int relu;           /* BATCHNORM, CONV2D: its epilogue clamps at 0 */
    int mask;           /* CONV_BWD_DATA: its epilogue is a ReLU's gradient by this mask, or -1 */
    int bias;           /* MATMUL: the bias row its store adds (a BIAS_ADD fused in), or -1 */
} node;

typedef struct recording {
    uint32_t batch;
    alvk_cmd *cmd;
    uint32_t *first_timed; /* with ALVK_PROFILE: node i's timed commands start here */
    uint32_t runs;         /* submitted so far */
} recording;

#define GRAPH_MAX_RECORDINGS 4

struct alvk_graph {
    alvk_handle h;       /* first: a user of its context, store and pools */
    uint32_t tag;        /* in the ids it hands out, 1..GRAPH_MAX_TAG */
    int internal;        /* > 0 during an autodiff sweep: builders take and return plain indices */
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
    /* The optimiser steps' hyperparameters, one slot each (ops_optim.c):
     * outside the recordings, so the host changes them between runs. */
    alvk_buffer optim;
    recording recordings[GRAPH_MAX_RECORDINGS];
    int nrecordings;
    uint32_t last_batch;
    /* Dropout's run counter (uint32, zero at the first run): made by the
     * first dropout builder, read by every dropout kernel, advanced on the
     * device after the last of each run (ops_elementwise.c). */
    alvk_buffer runs;
    /* ALVK_PROFILE=1: GPU milliseconds and runs per op, printed at destroy. */
    int profile;
    double profile_ms[OP_COUNT];
    uint64_t profile_calls[OP_COUNT];
    uint32_t profile_runs;
};

/* Adds the last run's per-op GPU times (ALVK_PROFILE) / prints the table. */
void graph_profile_add(alvk_graph *g, recording *r);
void graph_profile_print(const alvk_graph *g);

/* OK when g is a live graph that can still be used; else an error naming
 * fn (not sticky: a destroyed graph keeps nothing). */
alvk_status graph_usable(const alvk_graph *g, const char *fn);
/* Node x (a plain index or an id this graph handed out), unchecked. */
#define graph_at(g, x) (&(g)->nodes[(x) & (GRAPH_MAX_NODES - 1)])
/* The id of node index i as builders return it: tagged, except inside a
 * sweep. */
alvk_node graph_id(const alvk_graph *g, int i);
/* The index of a node id the caller passed to fn, or -1 with an error
 * (not sticky) when it is not a node of g. */
int graph_index(const alvk_graph *g, alvk_node x, const char *fn);

/* Adds a node (inputs already checked, plain or tagged); returns its id
 * (graph_id) or -1. */
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

/* Compile's fusion passes (fuse.c, its table): batch norm folded into
 * convolutions in evaluation graphs, ReLU and residual adds into the batch
 * norm or convolution before them, ReLU gradients and gradient adds into
 * batch-norm backward or a convolution's data gradient, bias rows into
 * the GEMM. ALVK_FUSE=0 turns them off, ALVK_FOLD_BN=0 the folding alone. */
void graph_fuse(alvk_graph *g);

/* ---- one descriptor per op ----------------------------------------------
 * What the rest of the graph layer knows of an op. An entry lives beside
 * its builder (the shape rule) in the family's file, named graph_op_NAME;
 * graph_ops[] (record.c) gathers them by the X-macro. */

/* An autodiff sweep (autodiff.c), as the VJPs see it. */
typedef struct graph_walk {
    alvk_graph *g;
    alvk_node *grads;  /* each node's accumulated gradient, or -1 */
    const char *need;  /* which nodes lie between the inputs of interest and the root */
    int first_new;     /* the first node this sweep added */
} graph_walk;

/* What input k of a node reads of the node it names (fuse.c): its values,
 * their sign alone (a ReLU gradient's mask), or nothing of its output (its
 * shape, or the auxiliary buffers its own backward keeps). */
typedef enum graph_read { READ_VALUES, READ_SIGN, READ_NOTHING } graph_read;

/* Whose memory a view's output is. */
enum { VIEW_NONE, VIEW_INPUT, VIEW_INPUT_AUX };

typedef struct graph_op_desc {
    /* Records node i at this run's batch (dim 0 of batched tensors); NULL
     * for nodes without work of their own (leaves, views). */
    alvk_status (*record)(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch);
    /* Adds the gradients of node i's inputs (graph_accumulate) given its
     * output's gradient gy; NULL: not differentiable, unless a leaf. */
    alvk_status (*vjp)(graph_walk *w, int i, alvk_node gy);
    graph_read reads[GRAPH_MAX_IN]; /* by input; zero: READ_VALUES */
    int leaf;     /* written by the host or the store: nothing to differentiate */
    int view;     /* VIEW_INPUT: its output is in[0]'s; VIEW_INPUT_AUX: in[0]'s aux 0 */
    int epilogue; /* its kernel can end in relu(y + residual) (fuse.c) */
} graph_op_desc;

#define GRAPH_OP_DECLARE(id, name) extern const graph_op_desc graph_op_##name;
ALVK_GRAPH_OPS(GRAPH_OP_DECLARE)
#undef GRAPH_OP_DECLARE

/* The descriptor and the name of op. */
const graph_op_desc *graph_desc(graph_op op);
const char *graph_op_name(graph_op op);

/* Whether node i records work of its own: not fused into another or
 * elided, and its op records something. */
int graph_records(const node *n);
/* Records node i (nothing unless graph_records). */
alvk_status graph_record(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch);
/* The recordings of the sums and broadcasts: node i's input 0 summed as r
 * says into its output, or broadcast by alvk_op_binary's EXPAND (scaled by
 * alpha, one value per nb, runs of inner). */
alvk_status graph_record_reduce(alvk_graph *g, alvk_cmd *cmd, int i, const alvk_reduce *r);
alvk_status graph_record_expand(alvk_graph *g, alvk_cmd *cmd, int i, uint32_t batch, float alpha,
                                uint32_t nb, uint32_t inner);

/* ---- helpers the descriptors share ---------------------------------------- */
/* Dimension d of node i at this batch, and its number of floats. */
uint32_t graph_dim(const alvk_graph *g, int i, uint32_t d, uint32_t batch);
uint32_t graph_count(const alvk_graph *g, int i, uint32_t batch);
/* The node, or NULL with a sticky error naming op when i is not one; arg
 * also refuses uint32 labels and indices (float operands). */
node *graph_node_of(alvk_graph *g, alvk_node i, const char *op);
node *graph_arg(alvk_graph *g, alvk_node i, const char *op);
int graph_same_shape(const node *a, const node *b);
/* Whether n holds uint32 rows (labels, indices, gathered labels). */
int graph_u32_rows(const node *n);
/* Whether n holds uint32 values: those rows, or a correct count. */
int graph_u32(const node *n);
/* Labels Y for C classes: a LABELS node's values the host sets are checked
 * when set; a pool's labels are known now. 0 (a sticky error) when they
 * cannot fit (ops_data.c). */
int graph_labels_fit(alvk_graph *g, node *Y, uint32_t C, const char *op);
/* A node of op on one or two inputs, shaped like `like` (VJPs). */
alvk_node graph_like1(alvk_graph *g, graph_op op, alvk_node a, const node *like);
alvk_node graph_like2(alvk_graph *g, graph_op op, alvk_node a, alvk_node b, const node *like);
/* Whether a sweep differentiates through x; grads[x] += contribution. */
int graph_needs(const graph_walk *w, alvk_node x);
void graph_accumulate(graph_walk *w, alvk_node x, alvk_node contribution);
/* The VJP of an op whose gradient is one node of `op` on (gy, the input)
 * shaped like node i's input 0 (a sum's broadcast, a pool's backward). */
alvk_status graph_vjp_like_input(graph_walk *w, int i, graph_op op, alvk_node gy);
/* Builders the VJPs use beyond the public ones. */
alvk_node graph_matmul(alvk_graph *g, alvk_node a, alvk_node b, int ta, int tb, const node *like);
/* Whether CONV_BWD_DATA node i may take an epilogue, and MATMUL node i a
 * bias, and keep their bits (ops_conv.c, ops_linear.c). */
int graph_conv_bwd_data_fuses(const alvk_graph *g, int i);
int graph_matmul_fuses(const alvk_graph *g, int i);
/* A BATCHNORM node's weights and statistics, as store views (ops_norm.c). */
#define GRAPH_BN_EPS 1e-5f /* PyTorch's default, as deeplay uses it */
alvk_bn_params graph_bn_params(const alvk_graph *g, const node *bn);

/* The device range of a node's output or auxiliary buffer k. */
alvk_buffer graph_buffer(const alvk_graph *g, int i);
alvk_buffer graph_aux(const alvk_graph *g, int i, int k);

#endif
