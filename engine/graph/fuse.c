/* The compiler's fusion passes, run once at compile on the differentiated
 * graph, before memory planning. Each rewrites nodes so that one kernel
 * does the work of several and the others record nothing:
 *
 *   evaluation   conv -> batch norm          the convolution's weights and
 *                                            bias scaled (bn_fold.comp)
 *   forward      batch norm -> relu          bn_apply's epilogue
 *                batch norm + x -> add -> relu   the same, adding x
 *   backward     relu_grad -> batch-norm backward   its kernels mask dy
 *
 * A fused node's output is its producer's buffer (node.fused_into), so its
 * readers need no change: a ReLU's gradient reads the sign of the ReLU's
 * input, and relu(v) > 0 exactly when v > 0. The results are the unfused
 * kernels' bit for bit (the epilogues compute the same expressions). */
#include "graph.h"

/* What node j's input k reads of that node: its values, only their sign
 * (a ReLU gradient's mask), or nothing of its output (its shape, or the
 * auxiliary buffers its own backward keeps). */
typedef enum { READ_VALUES, READ_SIGN, READ_NOTHING } read_kind;

static read_kind read_of(const node *j, int k) {
    switch (j->op) {
    case OP_RELU_GRAD: return k == 1 ? READ_SIGN : READ_VALUES;
    case OP_BATCHNORM_BWD: return k == 3 ? READ_NOTHING : k == 4 ? READ_SIGN : READ_VALUES;
    case OP_CONV_BWD_DATA: return k == 2 ? READ_NOTHING : READ_VALUES;
    case OP_MAXPOOL_BWD: return k >= 1 ? READ_NOTHING : READ_VALUES;
    case OP_SOFTMAX_CE_BWD: return k == 0 ? READ_NOTHING : READ_VALUES;
    case OP_AVGPOOL_BWD: case OP_EXPAND_ROWS: case OP_EXPAND_COLS: case OP_EXPAND_MEAN:
        return k == 1 ? READ_NOTHING : READ_VALUES;
    default: return READ_VALUES;
    }
}

/* How many inputs of nodes other than `except` read x's values, and (signs)
 * their sign alone. */
static void readers(const alvk_graph *g, int x, int except, int *values, int *signs) {
    *values = *signs = 0;
    for (int j = x + 1; j < g->count; j++)
        for (int k = 0; j != except && k < g->nodes[j].nin; k++) {
            if (g->nodes[j].in[k] != x) continue;
            read_kind r = read_of(&g->nodes[j], k);
            *values += r == READ_VALUES;
            *signs += r == READ_SIGN;
        }
}

/* Whether node x computes into its own arena memory and may take an
 * epilogue: not a view, not host-visible, not a store gradient. */
static int plain(const node *n) {
    return !n->fused_into && !n->elided && !n->pinned && n->grad_of < 0;
}

/* A batch norm whose output may be replaced: plain, no epilogue yet, and
 * read by `by` alone (sign readers too when signs_ok). */
static int free_batchnorm(const alvk_graph *g, int bn, int by, int signs_ok) {
    const node *n = &g->nodes[bn];
    int values, signs;
    if (n->op != OP_BATCHNORM || !plain(n) || n->relu || n->residual) return 0;
    readers(g, bn, by, &values, &signs);
    return values == 0 && (signs_ok || signs == 0);
}

/* Evaluation: conv -> batch norm with running statistics, when nothing
 * else reads the convolution's output. */
static void fold_batchnorm(alvk_graph *g) {
    for (int i = 0; i < g->count; i++) {
        node *bn = &g->nodes[i];
        if (bn->op != OP_BATCHNORM || !bn->attr[0] || bn->fused_into) continue;
        int conv = bn->in[0], values, signs;
        if (g->nodes[conv].op != OP_CONV2D || !plain(&g->nodes[conv]) || g->nodes[conv].bn_folded) continue;
        readers(g, conv, i, &values, &signs);
        if (values || signs) continue;
        g->nodes[conv].bn_folded = i;
        bn->fused_into = conv;
        bn->bytes = bn->aux_bytes[0] = bn->aux_bytes[1] = 0;
    }
}

/* relu(batchnorm + x): the add's other operand must be computed before the
 * batch norm records (a downsampling block's shortcut batch norm comes
 * after its main branch: the later of two batch norms takes the epilogue). */
static void fuse_residual_relu(alvk_graph *g, int r) {
    int add = g->nodes[r].in[0], values, signs;
    const node *A = &g->nodes[add];
    if (A->op != OP_ADD || !plain(A) || A->in[0] == A->in[1]) return;
    readers(g, add, r, &values, &signs);
    if (values) return;
    int bn = -1, other = -1;
    for (int k = 0; k < 2; k++) {
        int cand = A->in[k], rest = A->in[1 - k];
        if (free_batchnorm(g, cand, add, 0) && rest < cand && cand > bn) bn = cand, other = rest;
    }
    if (bn < 0) return;
    g->nodes[bn].residual = other;
    g->nodes[bn].relu = 1;
    g->nodes[add].fused_into = g->nodes[r].fused_into = bn;
    g->nodes[add].bytes = g->nodes[r].bytes = 0;
}

static void fuse_relu(alvk_graph *g, int r) {
    int bn = g->nodes[r].in[0];
    if (!free_batchnorm(g, bn, r, 1)) return;
    g->nodes[bn].relu = 1;
    g->nodes[r].fused_into = bn;
    g->nodes[r].bytes = 0;
}

/* relu_grad(gy, mask) read only by a batch-norm backward as its dy. */
static void fuse_relu_grad(alvk_graph *g, int i) {
    node *bb = &g->nodes[i];
    int rg = bb->in[1], values, signs;
    node *R = &g->nodes[rg];
    if (bb->nin != 4 || R->op != OP_RELU_GRAD || !plain(R)) return;
    readers(g, rg, i, &values, &signs);
    if (values || signs) return;
    bb->in[1] = R->in[0];
    bb->in[4] = R->in[1];
    bb->nin = 5;
    R->elided = 1;
    R->bytes = 0;
}

void graph_fuse(alvk_graph *g) {
    if (alvk_env_flag(g->ctx, "ALVK_FOLD_BN") != 0) fold_batchnorm(g);
    if (alvk_env_flag(g->ctx, "ALVK_FUSE") == 0) return;
    for (int i = 0; i < g->count; i++) /* the residual form first: it takes the add too */
        if (g->nodes[i].op == OP_RELU && !g->nodes[i].fused_into && g->nodes[i].grad_of < 0)
            fuse_residual_relu(g, i);
    for (int i = 0; i < g->count; i++)
        if (g->nodes[i].op == OP_RELU && !g->nodes[i].fused_into && g->nodes[i].grad_of < 0)
            fuse_relu(g, i);
    for (int i = 0; i < g->count; i++)
        if (g->nodes[i].op == OP_BATCHNORM_BWD) fuse_relu_grad(g, i);
}
