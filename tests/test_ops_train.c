/* Op table: the training-step kernels around the model (softmax
 * cross-entropy and its gradient, softmax, correct count, Adam, SGD, batch
 * gathering), and their argument checks. */
#include "ops_harness.h"
#include "ref/train.h"

#include <stdio.h>
#include <string.h>

/* ---- rows over logits[B, C]: u[0] B, u[1] C ----------------------------- */
static alvk_status gpu_ce(alvk_cmd *cmd, const op_case *c, const alvk_buffer *in,
                          const alvk_buffer *out) {
    return alvk_op_softmax_ce(cmd, c->u[0], c->u[1], &in[0], &in[1], &out[0], &out[1]);
}
static void ref_ce(const op_case *c, const double *const *in, double *const *out) {
    ref_softmax_ce(c->u[0], c->u[1], in[0], in[1], out[0], out[1]);
}
/* The forward with one output, the loss, for the gradient check. */
static void ref_ce_loss(const op_case *c, const double *const *in, double *const *out) {
    ref_softmax_ce(c->u[0], c->u[1], in[0], in[1], out[0], NULL);
}
/* The backward takes probs: run the forward first, as a training step does. */
static alvk_status gpu_ce_bwd(alvk_cmd *cmd, const op_case *c, const alvk_buffer *in,
                              const alvk_buffer *out) {
    uint32_t B = c->u[0], C = c->u[1];
    alvk_buffer loss, probs;
    alvk_status s = alvk_cmd_scratch(cmd, 4, &loss);
    if (s == ALVK_OK) s = alvk_cmd_scratch(cmd, 4ull * B * C, &probs);
    if (s == ALVK_OK) s = alvk_op_softmax_ce(cmd, B, C, &in[0], &in[1], &loss, &probs);
    if (s != ALVK_OK) return s;
    return alvk_op_softmax_ce_backward(cmd, B, C, &probs, &in[1], &in[2], &out[0]);
}
static void ref_ce_bwd(const op_case *c, const double *const *in, double *const *out) {
    ref_softmax_ce_backward(c->u[0], c->u[1], in[0], in[1], in[2], out[0]);
}
/* The loss and its gradient for dloss 1 in one pass. */
static alvk_status gpu_ce_grad(alvk_cmd *cmd, const op_case *c, const alvk_buffer *in,
                               const alvk_buffer *out) {
    return alvk_op_softmax_ce_grad(cmd, c->u[0], c->u[1], &in[0], &in[1], &out[0], &out[1]);
}
static void ref_ce_grad(const op_case *c, const double *const *in, double *const *out) {
    const double one = 1;
    ref_softmax_ce(c->u[0], c->u[1], in[0], in[1], out[0], NULL);
    ref_softmax_ce_backward(c->u[0], c->u[1], in[0], in[1], &one, out[1]);
}

static alvk_status gpu_softmax(alvk_cmd *cmd, const op_case *c, const alvk_buffer *in,
                               const alvk_buffer *out) {
    return alvk_op_softmax(cmd, c->u[0], c->u[1], &in[0], &out[0]);
}
static void ref_softmax_fwd(const op_case *c, const double *const *in, double *const *out) {
    ref_softmax(c->u[0], c->u[1], in[0], out[0]);
}
static alvk_status gpu_count(alvk_cmd *cmd, const op_case *c, const alvk_buffer *in,
                             const alvk_buffer *out) {
    return alvk_op_correct_count(cmd, c->u[0], c->u[1], &in[0], &in[1], &out[0]);
}
static void ref_count(const op_case *c, const double *const *in, double *const *out) {
    ref_correct_count(c->u[0], c->u[1], in[0], in[1], out[0]);
}

enum { CE, CE_BWD, SOFTMAX, COUNT, CE_GRAD };
static const char *const row_names[] = {"softmax_ce", "softmax_ce_backward", "softmax",
                                        "correct_count", "softmax_ce_grad"};

/* Logits uniform in [-5, 5]; `ties` makes them integers in [2^23, 2^23 + 4]
 * instead (floats there are whole numbers), so rows hold equal maxima with a
 * gap of 1 to the next value, and exp without the row max would overflow.
 * Labels in [0, labels_hi). */
static op_case rows_case(int op, uint32_t B, uint32_t C, int ties, uint32_t labels_hi) {
    size_t n = (size_t)B * C;
    op_case c = {.nin = 1, .nout = 1, .in_len = {n, B}, .out_len = {B}, .lo = {-5, 0},
                 .hi = {5, labels_hi}, .integer = {0, 1}, .tol = 1e-5, .u = {B, C}};
    if (ties) c.lo[0] = 0x1p23, c.hi[0] = 0x1p23 + 4;
    switch (op) {
    case CE:
        c.nin = 2, c.nout = 2, c.out_len[0] = 1, c.out_len[1] = n;
        c.gpu = gpu_ce, c.ref = ref_ce;
        break;
    case CE_BWD: /* inputs logits, labels, dloss; gradient w.r.t. the logits */
        c.nin = 3, c.in_len[2] = 1, c.lo[2] = -2, c.hi[2] = 2, c.out_len[0] = n;
        c.gpu = gpu_ce_bwd, c.ref = ref_ce_bwd, c.fwd = ref_ce_loss, c.fwd_nin = 2;
        c.grad_of[0] = 0;
        break;
    case CE_GRAD: /* outputs the loss and dlogits */
        c.nin = 2, c.nout = 2, c.out_len[0] = 1, c.out_len[1] = n;
        c.gpu = gpu_ce_grad, c.ref = ref_ce_grad;
        break;
    case SOFTMAX:
        c.out_len[0] = n, c.gpu = gpu_softmax, c.ref = ref_softmax_fwd;
        break;
    default:
        c.nin = 2, c.out_len[0] = 1, c.out_integer[0] = 1, c.tol = 0;
        c.gpu = gpu_count, c.ref = ref_count;
        break;
    }
    snprintf(c.name, sizeof c.name, "%s B=%u C=%u logits=%s%s", row_names[op], B, C,
             ties ? "[2^23, 2^23+4] (integers: ties)" : "[-5, 5]",
             c.nin > 1 && labels_hi > C ? " labels up to C+1 (out of range)" : "");
    return c;
}

/* A hyperparameter slot and a step count in scratch, filled as a graph's
 * buffers hold them during a step (the count is the step's number). */
static alvk_status optim_buffers(alvk_cmd *cmd, const void *slot, uint32_t step, alvk_buffer *hyper,
                                 alvk_buffer *steps) {
    uint32_t words[ALVK_OPTIM_SLOT_BYTES / 4];
    memcpy(words, slot, sizeof words);
    alvk_status s = alvk_cmd_scratch(cmd, sizeof words, hyper);
    if (s == ALVK_OK) s = alvk_cmd_scratch(cmd, 4, steps);
    if (s != ALVK_OK) return s;
    for (uint32_t k = 0; k < ALVK_OPTIM_SLOT_BYTES / 4; k++) {
        alvk_buffer w = alvk_buffer_view(hyper, 4 * k, 4);
        alvk_cmd_fill(cmd, &w, 4, words[k]);
    }
    alvk_cmd_fill(cmd, steps, 4, step);
    return ALVK_OK;
}

/* ---- adam: u[0] n, u[1] step (1 + steps taken); f lr, beta1, beta2, eps ---
 * Inputs params, grads, m, v; outputs params, m, v after the step. */
static alvk_status gpu_adam(alvk_cmd *cmd, const op_case *c, const alvk_buffer *in,
                            const alvk_buffer *out) {
    uint32_t n = c->u[0];
    alvk_adam_hyper h;
    alvk_adam_hyper_set(&h, c->f[0], c->f[1], c->f[2], c->f[3], 0);
    alvk_buffer hyper, steps;
    alvk_status s = optim_buffers(cmd, &h, c->u[1], &hyper, &steps); /* the step's number */
    /* The op works in place: start the outputs as copies of the inputs. */
    if (s == ALVK_OK) s = alvk_op_unary(cmd, ALVK_UNARY_SCALE, 1.0f, &in[0], &out[0], n);
    if (s == ALVK_OK) s = alvk_op_unary(cmd, ALVK_UNARY_SCALE, 1.0f, &in[2], &out[1], n);
    if (s == ALVK_OK) s = alvk_op_unary(cmd, ALVK_UNARY_SCALE, 1.0f, &in[3], &out[2], n);
    return s == ALVK_OK ? alvk_op_adam(cmd, n, &out[0], &in[1], &out[1], &out[2], &hyper, 0, &steps, 0) : s;
}
static void ref_adam_fwd(const op_case *c, const double *const *in, double *const *out) {
    ref_adam(c->u[0], c->f[0], c->f[1], c->f[2], c->f[3], c->u[1], in[0], in[1], in[2], in[3],
             out[0], out[1], out[2]);
}

static op_case adam_case(uint32_t n, uint32_t step) {
    op_case c = {.nin = 4, .nout = 3, .in_len = {n, n, n, n}, .out_len = {n, n, n},
                 .lo = {-1, -1, -0.1, 0}, .hi = {1, 1, 0.1, 1}, .gpu = gpu_adam,
                 .ref = ref_adam_fwd, .tol = 1e-6, .u = {n, step}, .f = {1e-3, 0.9, 0.999, 1e-8}};
    snprintf(c.name, sizeof c.name, "adam n=%u step=%u lr=%g betas=(%g, %g) eps=%g", n, step,
             c.f[0], c.f[1], c.f[2], c.f[3]);
    return c;
}

/* ---- sgd: u[0] n, u[1] steps taken, u[2] nesterov; f lr, momentum,
 * dampening, weight decay ---------------------------------------------------
 * Inputs params, grads, momentum buffer; outputs params and momentum buffer
 * after the step. The hyperparameter slot and the step count are filled
 * into scratch, as a graph's buffers would hold them. */
static alvk_status gpu_sgd(alvk_cmd *cmd, const op_case *c, const alvk_buffer *in,
                           const alvk_buffer *out) {
    uint32_t n = c->u[0];
    alvk_sgd_hyper h;
    alvk_sgd_hyper_set(&h, c->f[0], c->f[1], c->f[2], c->f[3], (int)c->u[2]);
    alvk_buffer hyper, steps;
    alvk_status s = optim_buffers(cmd, &h, c->u[1] + 1, &hyper, &steps); /* the step's number */
    if (s != ALVK_OK) return s;
    s = alvk_op_unary(cmd, ALVK_UNARY_SCALE, 1.0f, &in[0], &out[0], n);
    if (s == ALVK_OK) s = alvk_op_unary(cmd, ALVK_UNARY_SCALE, 1.0f, &in[2], &out[1], n);
    return s == ALVK_OK ? alvk_op_sgd(cmd, n, &out[0], &in[1], &out[1], &hyper, 0, &steps, 0) : s;
}
static void ref_sgd_fwd(const op_case *c, const double *const *in, double *const *out) {
    size_t n = c->u[0];
    for (size_t i = 0; i < n; i++) out[0][i] = in[0][i], out[1][i] = in[2][i];
    ref_sgd(n, c->f[0], c->f[1], c->f[2], c->f[3], (int)c->u[2], c->u[1] == 0, out[0], in[1], out[1]);
}

static op_case sgd_case(uint32_t n, uint32_t steps, double momentum, double dampening, double weight_decay,
                        uint32_t nesterov) {
    op_case c = {.nin = 3, .nout = 2, .in_len = {n, n, n}, .out_len = {n, n}, .lo = {-1, -1, -0.1},
                 .hi = {1, 1, 0.1}, .gpu = gpu_sgd, .ref = ref_sgd_fwd, .tol = 1e-6,
                 .u = {n, steps, nesterov}, .f = {0.05, momentum, dampening, weight_decay}};
    snprintf(c.name, sizeof c.name, "sgd n=%u steps taken=%u lr=%g momentum=%g dampening=%g "
             "weight_decay=%g nesterov=%u", n, steps, c.f[0], momentum, dampening, weight_decay, nesterov);
    return c;
}

/* ---- gather: u[0] image_bytes, u[1] images, u[2] B ------------------------
 * Inputs pool (u8), labels_pool (u8), indices; outputs batch, batch_labels. */
static alvk_status gpu_gather(alvk_cmd *cmd, const op_case *c, const alvk_buffer *in,
                              const alvk_buffer *out) {
    return alvk_op_gather(cmd, &in[0], c->u[0], &in[1], &in[2], c->u[2], &out[0], &out[1]);
}
static void ref_gather_fwd(const op_case *c, const double *const *in, double *const *out) {
    ref_gather(in[0], c->u[0], c->u[1], in[1], in[2], c->u[2], out[0], out[1]);
}

/* indices_hi > images: some indices are past the pool, to check the clamp. */
static op_case gather_case(uint32_t image_bytes, uint32_t images, uint32_t B,
                           uint32_t indices_hi) {
    op_case c = {.nin = 3, .nout = 2, .in_len = {(size_t)images * image_bytes, images, B},
                 .out_len = {(size_t)B * image_bytes, B}, .lo = {0, 0, 0},
                 .hi = {256, 10, indices_hi}, .integer = {1, 1, 1}, .bytes = {1, 1},
                 .out_integer = {0, 1}, .gpu = gpu_gather, .ref = ref_gather_fwd, .tol = 2e-7,
                 .u = {image_bytes, images, B}};
    snprintf(c.name, sizeof c.name, "gather image_bytes=%u images=%u B=%u indices in [0, %u)",
             image_bytes, images, B, indices_hi);
    return c;
}

#define MAX_CASES 96
static op_case table[MAX_CASES];

static size_t build_table(void) {
    size_t n = 0;
    static const uint32_t ce_sizes[] = {1, 3, 128, 130}, sizes[] = {1, 3, 130};
    for (int i = 0; i < 4; i++) table[n++] = rows_case(CE, ce_sizes[i], 10, 0, 10);
    table[n++] = rows_case(CE, 130, 10, 0, 12);
    for (int op = CE_BWD; op <= COUNT; op++)
        for (int i = 0; i < 3; i++) table[n++] = rows_case(op, sizes[i], 10, 0, 10);
    table[n++] = rows_case(CE_BWD, 130, 10, 0, 12);
    table[n++] = rows_case(CE, 130, 10, 1, 10);
    for (int i = 0; i < 4; i++) table[n++] = rows_case(CE_GRAD, ce_sizes[i], 10, 0, 10);
    table[n++] = rows_case(CE_GRAD, 130, 10, 0, 12);
    table[n++] = rows_case(CE_GRAD, 130, 10, 1, 10);
    table[n++] = rows_case(SOFTMAX, 130, 10, 1, 10);
    table[n++] = rows_case(COUNT, 130, 10, 1, 10);
    table[n++] = rows_case(COUNT, 130, 10, 0, 12);
    table[n++] = rows_case(COUNT, 64, 2, 0, 2); /* two classes */
    static const uint32_t adam_sizes[] = {1, 7, 1000, 100003};
    for (int i = 0; i < 4; i++) {
        table[n++] = adam_case(adam_sizes[i], 1);
        table[n++] = adam_case(adam_sizes[i], 10);
    }
    for (int i = 0; i < 4; i++) {
        table[n++] = sgd_case(adam_sizes[i], 3, 0, 0, 0.01, 0);   /* plain, weight decay */
        table[n++] = sgd_case(adam_sizes[i], 0, 0.9, 0.1, 0, 0);  /* momentum: the first step */
        table[n++] = sgd_case(adam_sizes[i], 3, 0.9, 0.1, 0, 0);  /* and a later one */
        table[n++] = sgd_case(adam_sizes[i], 3, 0.9, 0, 0.01, 1); /* Nesterov, weight decay */
    }
    static const uint32_t batches[] = {1, 7, 128};
    for (int i = 0; i < 3; i++) table[n++] = gather_case(784, 50, batches[i], 50);
    for (int i = 0; i < 3; i++) table[n++] = gather_case(5, 50, batches[i], 50);
    table[n++] = gather_case(5, 50, 64, 60);
    cr_assert(n <= MAX_CASES);
    return n;
}

OP_TABLE_TEST(ops_train, build_table, table, MAX_CASES)

/* The count of correct rows with its workgroup sum by subgroups (argmax_sg). */
Test(ops_train, correct_count_by_subgroups) {
    test_force_subgroup_sums();
    op_case rows[] = {rows_case(COUNT, 130, 10, 1, 10), rows_case(COUNT, 130, 10, 0, 12)};
    for (size_t i = 0; i < 2; i++) op_case_run(&rows[i]);
}

/* Bad shapes, short or overlapping buffers and bad hyperparameters fail
 * with INVALID_ARGUMENT, say which operand is wrong, and record nothing. */

Test(ops_train, invalid_arguments) {
    alvk_context *ctx = test_open(NULL);
    alvk_buffer buf[5];
    TEST_OK(alvk_buffer_alloc(ctx, 16, &buf[0]));
    for (int i = 1; i < 5; i++) TEST_OK(alvk_buffer_alloc(ctx, 4096, &buf[i]));
    const alvk_buffer *s = &buf[0], *b = &buf[1], *g = &buf[2], *m = &buf[3], *v = &buf[4];
    alvk_cmd *cmd;
    TEST_OK(alvk_cmd_create(ctx, 0, &cmd));
    TEST_OK(alvk_cmd_begin(cmd));
    TEST_REFUSED(alvk_op_softmax_ce(cmd, 0, 10, b, b, b, NULL), "B=0");
    TEST_REFUSED(alvk_op_softmax_ce(cmd, 2, 10, s, b, b, NULL), "logits");
    TEST_REFUSED(alvk_op_softmax_ce(cmd, 8, 10, b, s, b, NULL), "labels");
    TEST_REFUSED(alvk_op_softmax_ce(cmd, 2, 10, b, b, b, s), "probs");
    TEST_REFUSED(alvk_op_softmax_ce(cmd, 2, 10, b, b, NULL, NULL), "no loss");
    TEST_REFUSED(alvk_op_softmax_ce_backward(cmd, 2, 10, b, b, b, s), "dlogits");
    TEST_REFUSED(alvk_op_softmax_ce_grad(cmd, 2, 10, b, b, b, s), "dlogits");
    TEST_REFUSED(alvk_op_softmax_ce_grad(cmd, 2, 10, b, b, b, NULL), "no dlogits");
    TEST_REFUSED(alvk_op_softmax(cmd, 2, 0, b, b), "C=0");
    TEST_REFUSED(alvk_op_correct_count(cmd, 2, 10, b, NULL, b), "no labels");
    TEST_REFUSED(alvk_op_adam(cmd, 0, b, g, m, v, v, 0, s, 0), "n = 0");
    TEST_REFUSED(alvk_op_adam(cmd, 100, b, g, m, s, v, 0, s, 0), "v holds 16 bytes");
    TEST_REFUSED(alvk_op_adam(cmd, 100, b, g, b, v, v, 0, s, 0), "params and m overlap");
    TEST_REFUSED(alvk_op_adam(cmd, 1, b, g, m, v, v, 0, NULL, 0), "no step counter");
    TEST_REFUSED(alvk_op_sgd(cmd, 0, b, g, m, v, 0, s, 0), "n = 0");
    TEST_REFUSED(alvk_op_sgd(cmd, 100, b, g, s, v, 0, s, 0), "momentum holds 16 bytes");
    TEST_REFUSED(alvk_op_sgd(cmd, 100, b, g, g, v, 0, s, 0), "grads and momentum overlap");
    TEST_REFUSED(alvk_op_sgd(cmd, 100, b, g, m, v, 200, s, 0), "no hyperparameter slot 200");
    TEST_REFUSED(alvk_op_adam(cmd, 100, b, g, m, v, s, 0, s, 0), "no hyperparameter slot 0");
    TEST_REFUSED(alvk_op_gather(cmd, b, 0, b, b, 1, g, m), "image_bytes=0");
    TEST_REFUSED(alvk_op_gather(cmd, b, 4, s, b, 1, g, m), "labels_pool holds 16");
    TEST_REFUSED(alvk_op_gather(cmd, b, 784, b, b, 2, s, m), "batch holds 16");
    TEST_OK(alvk_cmd_end(cmd));
    TEST_OK(alvk_cmd_run(cmd));
    alvk_cmd_destroy(cmd);
    for (int i = 0; i < 5; i++) alvk_buffer_free(ctx, &buf[i]);
    test_close(ctx);
}
