/* Plain-C references, in double precision, for the training-step kernels:
 * losses and scores over logits[B, C], Adam, batch gathering. Integer
 * arguments (labels, indices, bytes) are passed as doubles holding integers,
 * as the op harness makes them. */
#ifndef ALVK_REF_TRAIN_H
#define ALVK_REF_TRAIN_H

#include <stddef.h>

/* probs = row softmax of x */
void ref_softmax(size_t B, size_t C, const double *x, double *probs);
/* loss[0] = mean over rows of -log softmax(x)[label] (a label >= C read as
 * C - 1, as the kernels do); probs may be NULL. */
void ref_softmax_ce(size_t B, size_t C, const double *x, const double *labels, double *loss,
                    double *probs);
/* dx = dloss[0] * (softmax(x) - onehot(label)) / B */
void ref_softmax_ce_backward(size_t B, size_t C, const double *x, const double *labels,
                             const double *dloss, double *dx);
/* count[0] = rows whose argmax equals their label */
void ref_correct_count(size_t B, size_t C, const double *x, const double *labels,
                       double *count);

/* One step of torch.optim.Adam (no weight decay, no amsgrad) at step t >= 1,
 * from (p, g, m, v) to (p_out, m_out, v_out). */
void ref_adam(size_t n, double lr, double beta1, double beta2, double eps, unsigned t,
              const double *p, const double *g, const double *m, const double *v, double *p_out,
              double *m_out, double *v_out);

/* One step of torch.optim.AdamW at step t >= 1, in place: p *= 1 - lr
 * weight_decay, then Adam's step. */
void ref_adamw(size_t n, double lr, double beta1, double beta2, double eps, double weight_decay,
               unsigned t, double *p, const double *g, double *m, double *v);
/* One step of torch.optim.SGD in place; b is the momentum buffer, set to
 * the gradient on the `first` step. */
void ref_sgd(size_t n, double lr, double momentum, double dampening, double weight_decay,
             int nesterov, int first, double *p, const double *g, double *b);

/* batch[b][i] = pool[idx][i] / 255, batch_labels[b] = labels_pool[idx], with
 * idx = min(indices[b], images - 1). */
void ref_gather(const double *pool, size_t image_bytes, size_t images,
                const double *labels_pool, const double *indices, size_t B, double *batch,
                double *batch_labels);

#endif
