/* References for losses, scores, Adam and batch gathering. */
#include "train.h"

#include <math.h>

static size_t label_of(const double *labels, size_t b, size_t C) {
    size_t l = (size_t)labels[b];
    return l < C ? l : C - 1;
}

static double row_max(const double *x, size_t C) {
    double m = x[0];
    for (size_t c = 1; c < C; c++) m = x[c] > m ? x[c] : m;
    return m;
}

/* log sum exp of one row, stably */
static double row_lse(const double *x, size_t C) {
    double m = row_max(x, C), s = 0;
    for (size_t c = 0; c < C; c++) s += exp(x[c] - m);
    return m + log(s);
}

void ref_softmax(size_t B, size_t C, const double *x, double *probs) {
    for (size_t b = 0; b < B; b++) {
        double lse = row_lse(x + b * C, C);
        for (size_t c = 0; c < C; c++) probs[b * C + c] = exp(x[b * C + c] - lse);
    }
}

void ref_softmax_ce(size_t B, size_t C, const double *x, const double *labels, double *loss,
                    double *probs) {
    double sum = 0;
    for (size_t b = 0; b < B; b++)
        sum += row_lse(x + b * C, C) - x[b * C + label_of(labels, b, C)];
    loss[0] = sum / (double)B;
    if (probs) ref_softmax(B, C, x, probs);
}

void ref_softmax_ce_backward(size_t B, size_t C, const double *x, const double *labels,
                             const double *dloss, double *dx) {
    ref_softmax(B, C, x, dx);
    for (size_t b = 0; b < B; b++) {
        dx[b * C + label_of(labels, b, C)] -= 1;
        for (size_t c = 0; c < C; c++) dx[b * C + c] *= dloss[0] / (double)B;
    }
}

static size_t argmax(const double *r, size_t C) {
    size_t best = 0;
    for (size_t c = 1; c < C; c++)
        if (r[c] > r[best]) best = c;
    return best;
}

void ref_correct_count(size_t B, size_t C, const double *x, const double *labels,
                       double *count) {
    count[0] = 0;
    for (size_t b = 0; b < B; b++) count[0] += argmax(x + b * C, C) == (size_t)labels[b];
}

void ref_adam(size_t n, double lr, double beta1, double beta2, double eps, unsigned t,
              const double *p, const double *g, const double *m, const double *v, double *p_out,
              double *m_out, double *v_out) {
    double bc1 = 1 - pow(beta1, t), bc2 = 1 - pow(beta2, t);
    for (size_t i = 0; i < n; i++) {
        m_out[i] = beta1 * m[i] + (1 - beta1) * g[i];
        v_out[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
        p_out[i] = p[i] - lr * (m_out[i] / bc1) / (sqrt(v_out[i] / bc2) + eps);
    }
}

void ref_adamw(size_t n, double lr, double beta1, double beta2, double eps, double weight_decay,
               unsigned t, double *p, const double *g, double *m, double *v) {
    for (size_t i = 0; i < n; i++) p[i] *= 1 - lr * weight_decay;
    ref_adam(n, lr, beta1, beta2, eps, t, p, g, m, v, p, m, v);
}

void ref_sgd(size_t n, double lr, double momentum, double dampening, double weight_decay,
             int nesterov, int first, double *p, const double *g, double *b) {
    for (size_t i = 0; i < n; i++) {
        double d = g[i] + weight_decay * p[i];
        if (momentum != 0) {
            b[i] = first ? d : momentum * b[i] + (1 - dampening) * d;
            d = nesterov ? d + momentum * b[i] : b[i];
        }
        p[i] -= lr * d;
    }
}

void ref_gather(const double *pool, size_t image_bytes, size_t images,
                const double *labels_pool, const double *indices, size_t B, double *batch,
                double *batch_labels) {
    for (size_t b = 0; b < B; b++) {
        size_t idx = (size_t)indices[b] < images ? (size_t)indices[b] : images - 1;
        for (size_t i = 0; i < image_bytes; i++)
            batch[b * image_bytes + i] = pool[idx * image_bytes + i] / 255;
        batch_labels[b] = labels_pool[idx];
    }
}
