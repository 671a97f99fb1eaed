/* The compiler's fusion passes, run once at compile on the differentiated
 * graph, before memory planning. Each rewrites nodes so that one kernel
 * does the work of several and the others record nothing:
 *
 *   evaluation   conv -> batch norm          the convolution's weights and
 *                                            bias scaled (bn_fold.comp)
 *   forward      batch norm -> relu          bn_apply's epilogue
 *                batch norm + x -> add -> relu   the same, adding x
 *   evaluation   conv -> relu, conv + x -> add -> relu   the convolution's
 *                                            store (wino_output, the GEMM's)
 *   backward     relu_grad -> batch-norm backward   its kernel masks dy
 *                g1 + g2 -> add -> relu_grad   the relu_grad's kernel adds
 *                                            (a residual block's two branch
 *                                            gradients)
 *                conv data gradient (+ g2) -> relu_grad, or + g2 -> add
 *                                            the convolution's output
 *                                            kernel adds and masks
 *                batch-norm backward -> channel_sum   its kernel sums dx
 *                                            (a convolution bias's gradient)
 *                softmax_ce -> its backward from the seed   the loss's kernel
 *   both         matmul -> bias_add          the GEMM's store
 *                global average pooling of 1 x 1 maps, and its gradient:
 *                                            their input, in its memory
 *
 * A fused node's output is its producer's buffer (node.fused_into), so its
 * readers need no change: a ReLU's gradient reads the sign of the ReLU's
 * input, and relu(v) > 0 exactly when v > 0. The results are the unfused
 * kernels' bit for bit (the epilogues compute the same expressions). */
#include "graph.h"
#include "vk/context.h"

/* How many inputs of nodes other than `except` read x's values, and (signs)
 * their sign alone. An elided node reads nothing: its reader took its
 * inputs, or its input's kernel its work. */
static void readers(const alvk_graph *g, int x, int except, int *values, int *signs) {
    *values = *signs = 0;
    for (int j = x + 1; j < g->count; j++)
        for (int k = 0; j != except && !g->nodes[j].elided && k < g->nodes[j].nin; k++) {
            if (g->nodes[j].in[k] != x) continue;
            graph_read r = graph_desc(g->nodes[j].op)->reads[k];
            *values += r == READ_VALUES;
            *signs += r == READ_SIGN;
        }
}

/* Whether no node but `by` reads x (its values or its sign). */
static int read_only_by(const alvk_graph *g, int x, int by) {
    int values, signs;
    readers(g, x, by, &values, &signs);
    return !values && !signs;
}

/* Whether node x computes into its own arena memory: not a view, not
 * host-visible, not a store gradient. */
static int plain(const node *n) {
    return !n->fused_into && !n->elided && !n->pinned && n->grad_of < 0;
}

/* The node whose kernel computes x: x, or the node it was fused into. */
static int producer(const alvk_graph *g, int x) {
    while (g->nodes[x].fused_into) x = g->nodes[x].fused_into;
    return x;
}

/* Whether v's values may become relu(v + residual?): a batch norm or a
 * convolution computes them (v itself, or a batch norm folded into it)
 * with no epilogue yet, and nothing but `by` reads v (its sign may be read
 * too when signs_ok), nor the convolution under a folded v. */
static int takes_epilogue(const alvk_graph *g, int v, int by, int signs_ok) {
    int h = producer(g, v), values, signs;
    const node *H = &g->nodes[h];
    if (!graph_desc(H->op)->epilogue || !plain(H) || H->relu || H->residual >= 0 || g->nodes[v].pinned)
        return 0;
    /* A convolution without a bias may run as a split GEMM plus a sum, which
     * an epilogue rules out: fused, its rounding would differ. */
    if (H->op == OP_CONV2D && H->nin < 3 && !H->bn_folded) return 0;
    readers(g, v, by, &values, &signs);
    if (values || (signs && !signs_ok)) return 0;
    return v == h || read_only_by(g, h, v);
}

/* Evaluation: conv -> batch norm with running statistics, when nothing
 * else reads the convolution's output. */
static void fold_batchnorm(alvk_graph *g) {
    for (int i = 0; i < g->count; i++) {
        node *bn = &g->nodes[i];
        if (bn->op != OP_BATCHNORM || !bn->attr[0] || bn->fused_into) continue;
        int conv = bn->in[0];
        if (g->nodes[conv].op != OP_CONV2D || !plain(&g->nodes[conv]) || g->nodes[conv].bn_folded ||
            !read_only_by(g, conv, i))
            continue;
        g->nodes[conv].bn_folded = i;
        bn->fused_into = conv;
        bn->bytes = bn->aux_bytes[0] = bn->aux_bytes[1] = 0;
    }
}

/* relu(v + x), v a batch norm's or a convolution's output: x must be
 * computed before v's producer records (a downsampling block's shortcut
 * comes after its main branch: the later of two producers takes the
 * epilogue). */
static void fuse_residual_relu(alvk_graph *g, int r) {
    int add = g->nodes[r].in[0], values, signs;
    const node *A = &g->nodes[add];
    if (A->op != OP_ADD || !plain(A) || A->in[0] == A->in[1]) return;
    readers(g, add, r, &values, &signs);
    if (values) return;
    int host = -1, other = -1;
    for (int k = 0; k < 2; k++) {
        int h = producer(g, A->in[k]), rest = A->in[1 - k];
        if (takes_epilogue(g, A->in[k], add, 0) && producer(g, rest) < h && h > host) host = h, other = rest;
    }
    if (host < 0) return;
    g->nodes[host].residual = other;
    g->nodes[host].relu = 1;
    g->nodes[add].fused_into = g->nodes[r].fused_into = host;
    g->nodes[add].bytes = g->nodes[r].bytes = 0;
}

static void fuse_relu(alvk_graph *g, int r) {
    int v = g->nodes[r].in[0];
    if (!takes_epilogue(g, v, r, 1)) return;
    int host = producer(g, v);
    g->nodes[host].relu = 1;
    g->nodes[r].fused_into = host;
    g->nodes[r].bytes = 0;
}

/* relu_grad(gy, mask) read only by a batch-norm backward as its dy. */
static void fuse_relu_grad(alvk_graph *g, int i) {
    node *bb = &g->nodes[i];
    int rg = bb->in[1];
    node *R = &g->nodes[rg];
    if (bb->nin != 4 || R->op != OP_RELU_GRAD || R->nin != 2 || !plain(R) || !read_only_by(g, rg, i)) return;
    bb->in[1] = R->in[0];
    bb->in[4] = R->in[1];
    bb->nin = 5;
    R->elided = 1;
    R->bytes = 0;
}

/* relu_grad(add(g1, g2), mask) where only the relu_grad reads the add, and
 * the add does not broadcast. */
static void fuse_add_relu_grad(alvk_graph *g, int i) {
    node *R = &g->nodes[i];
    int add = R->in[0];
    node *A = &g->nodes[add];
    if (R->nin != 2 || !plain(R) || A->op != OP_ADD || !plain(A) || !read_only_by(g, add, i)) return;
    if (!graph_same_shape(A, &g->nodes[A->in[0]]) || !graph_same_shape(A, &g->nodes[A->in[1]])) return;
    R->in[0] = A->in[0];
    R->in[2] = A->in[1];
    R->nin = 3;
    A->elided = 1;
    A->bytes = 0;
}

/* relu_grad(dx (+ g2), mask), or dx + g2, where dx is a convolution's data
 * gradient that nothing else reads and g2 is computed before it: the
 * convolution's output kernel adds g2 and masks (wino_output, col2im or
 * the GEMM's store). Of two such gradients, the later takes it. */
static void fuse_into_conv_data(alvk_graph *g, int i) {
    node *R = &g->nodes[i];
    int add = R->op == OP_ADD, step = add ? 1 : 2; /* where the operands are */
    if (!plain(R) || R->nin < 2 || (add && (R->in[0] == R->in[1] || !graph_same_shape(R, &g->nodes[R->in[0]]) ||
                                            !graph_same_shape(R, &g->nodes[R->in[1]]))))
        return;
    int host = -1, other = -1;
    for (int k = 0; k < R->nin; k += step) {
        int h = R->in[k], rest = add ? R->in[1 - k] : R->nin > 2 ? R->in[2 - k] : -1;
        const node *H = &g->nodes[h];
        if (H->op != OP_CONV_BWD_DATA || !plain(H) || H->residual >= 0 || H->mask >= 0 || !read_only_by(g, h, i) ||
            (rest >= 0 && producer(g, rest) >= h) || h <= host || !graph_conv_bwd_data_fuses(g, h))
            continue;
        host = h, other = rest;
    }
    if (host < 0) return;
    g->nodes[host].residual = other;
    g->nodes[host].mask = add ? -1 : R->in[1];
    R->fused_into = host;
    R->bytes = 0;
}

/* matmul -> bias_add, when nothing else reads the product: the GEMM's
 * store adds the bias (a linear layer; its output may be one the host
 * reads: it is then the product's memory). */
static void fuse_bias_add(alvk_graph *g, int i) {
    node *n = &g->nodes[i];
    int m = n->in[0];
    node *M = &g->nodes[m];
    if (n->fused_into || n->elided || n->grad_of >= 0 || M->op != OP_MATMUL || !plain(M) || M->bias >= 0 || !read_only_by(g, m, i) ||
        !graph_matmul_fuses(g, m))
        return;
    M->bias = n->in[1];
    n->fused_into = m;
    n->bytes = 0;
}

/* channel_sum(dx) of a batch-norm backward's dx: that kernel writes the sum
 * (into the store's gradient, or into the node's memory, which the plan
 * then has live from that kernel on: a bias used twice, whose two sums an
 * add takes). The two kernels add a channel's values in the same order
 * (alvk_op_channel_sum follows the backward's sums), so the fused sum has
 * the unfused one's bits: it matters, as this gradient is zero but for
 * rounding (batch norm removes a per-channel constant), which Adam would
 * scale up to whole steps. */
static void fuse_dx_sums(alvk_graph *g, int i) {
    node *S = &g->nodes[i];
    node *B = &g->nodes[S->in[0]];
    if (S->fused_into || S->elided || S->pinned) return;
    if (B->op != OP_BATCHNORM_BWD || !plain(B) || B->dx_sums) return;
    B->dx_sums = i;
    S->elided = 1;
}

/* softmax_ce_bwd(ce, labels, dloss) where dloss is a node of ones (the
 * backward's seed) and this is the loss's only backward: the loss's kernel
 * writes the gradient too (the same expression, alvk_op_softmax_ce_grad),
 * so the backward starts a level earlier, and no probabilities are kept. */
static void fuse_ce_grad(alvk_graph *g, int i) {
    node *bw = &g->nodes[i], *ce = &g->nodes[bw->in[0]];
    if (!plain(bw) || g->nodes[bw->in[2]].op != OP_ONE) return;
    if (ce->fused_into || ce->elided || ce->ce_grad) return;
    for (int j = bw->in[0] + 1; j < g->count; j++)
        if (j != i && g->nodes[j].op == OP_SOFTMAX_CE_BWD && g->nodes[j].in[0] == bw->in[0]) return;
    ce->ce_grad = i;
    ce->aux_bytes[0] = 0;
    bw->elided = 1;
}

/* Global average pooling over 1 x 1 maps, and its gradient, copy their
 * input (times 1: the same bits): their output is their input's memory
 * (ResNet18's layer4 on 28 x 28 images). Last, so that the passes above
 * see the pool as it is. */
static void alias_unit_pool(alvk_graph *g, int i) {
    node *n = &g->nodes[i];
    const node *S = &g->nodes[n->in[0]], *map = n->op == OP_AVGPOOL ? S : n;
    int in_store = S->op == OP_PARAM || S->op == OP_TO_GRAD || S->grad_of >= 0;
    if (map->shape[2] * map->shape[3] != 1 || !plain(n) || S->elided || in_store) return;
    n->fused_into = n->in[0];
    n->bytes = 0;
}

void graph_fuse(alvk_graph *g) {
    if (g->ctx->env.fold_bn != 0) fold_batchnorm(g);
    if (g->ctx->env.fuse == 0) return;
    for (int i = 0; i < g->count; i++) /* the residual form first: it takes the add too */
        if (g->nodes[i].op == OP_RELU && !g->nodes[i].fused_into && g->nodes[i].grad_of < 0)
            fuse_residual_relu(g, i);
    for (int i = 0; i < g->count; i++)
        if (g->nodes[i].op == OP_RELU && !g->nodes[i].fused_into && g->nodes[i].grad_of < 0)
            fuse_relu(g, i);
    for (int i = 0; i < g->count; i++)
        if (g->nodes[i].op == OP_BATCHNORM_BWD) fuse_relu_grad(g, i);
    for (int i = 0; i < g->count; i++) /* after: a batch-norm backward's mask needs the sum itself */
        if (g->nodes[i].op == OP_RELU_GRAD) fuse_add_relu_grad(g, i);
    for (int i = 0; i < g->count; i++)
        if (g->nodes[i].op == OP_RELU_GRAD || g->nodes[i].op == OP_ADD) fuse_into_conv_data(g, i);
    for (int i = 0; i < g->count; i++)
        if (g->nodes[i].op == OP_CHANNEL_SUM) fuse_dx_sums(g, i);
        else if (g->nodes[i].op == OP_BIAS_ADD) fuse_bias_add(g, i);
        else if (g->nodes[i].op == OP_SOFTMAX_CE_BWD) fuse_ce_grad(g, i);
    for (int i = 0; i < g->count; i++)
        if (g->nodes[i].op == OP_AVGPOOL || g->nodes[i].op == OP_AVGPOOL_BWD) alias_unit_pool(g, i);
}
