/* The kernels of a training step around the model: losses, the count of
 * correct predictions, the optimisers (Adam, AdamW, SGD) and the gathering of batches from
 * the image pool.
 * Included by ops.h; include that instead. */
#ifndef ALVK_OPS_TRAIN_H
#define ALVK_OPS_TRAIN_H

/* ---- losses and the correct count over logits[B, C] (row-major, f32) -------
 * labels are uint32 class indices on the device, so the host cannot check
 * them: the loss and its gradient read a label >= C as C - 1 (no kernel
 * reads out of bounds; a wrong label gives a wrong but finite loss), and
 * correct_count never counts such a row as correct. */

/* loss[0] = mean over rows of -log softmax(logits)[label], computed stably
 * (row max subtracted). probs (B*C, may be NULL) receives the softmax the
 * backward needs. The mean is a fixed-order sum: runs repeat bit for bit. */
alvk_status alvk_op_softmax_ce(alvk_cmd *cmd, uint32_t B, uint32_t C, const alvk_buffer *logits,
                               const alvk_buffer *labels, const alvk_buffer *loss,
                               const alvk_buffer *probs);
/* dlogits = dloss[0] * (probs - onehot(label)) / B; dloss is the upstream
 * gradient of the scalar loss, one float on the device. */
alvk_status alvk_op_softmax_ce_backward(alvk_cmd *cmd, uint32_t B, uint32_t C,
                                        const alvk_buffer *probs, const alvk_buffer *labels,
                                        const alvk_buffer *dloss, const alvk_buffer *dlogits);
/* The loss as alvk_op_softmax_ce computes it and, in the same pass, its
 * gradient for dloss = 1 (the loss a backward starts from): dlogits =
 * (probs - onehot(label)) / B, the bits of the two ops run in turn. */
alvk_status alvk_op_softmax_ce_grad(alvk_cmd *cmd, uint32_t B, uint32_t C,
                                    const alvk_buffer *logits, const alvk_buffer *labels,
                                    const alvk_buffer *loss, const alvk_buffer *dlogits);
/* probs = softmax of each row. */
alvk_status alvk_op_softmax(alvk_cmd *cmd, uint32_t B, uint32_t C, const alvk_buffer *logits,
                            const alvk_buffer *probs);
/* count[0] = number of rows whose argmax (the first index on ties) equals
 * their label (uint32). */
alvk_status alvk_op_correct_count(alvk_cmd *cmd, uint32_t B, uint32_t C,
                                  const alvk_buffer *logits, const alvk_buffer *labels,
                                  const alvk_buffer *count);

/* ---- batch gathering --------------------------------------------------------
 * pool holds whole images of image_bytes u8 pixels, labels_pool one u8 label
 * per image (at least as many as the pool has images). For b < B:
 * batch[b][i] = pool[indices[b]][i] / 255 (f32), batch_labels[b] =
 * labels_pool[indices[b]] (uint32). Indices live on the device, so the host
 * cannot check them: an index past the pool's last image reads the last
 * image. The pool's 32-bit words are read whole, so a pool whose size is
 * not a multiple of 4 must be an allocation of its own (whose padding the
 * binding may cover), not a range inside another tensor. */
alvk_status alvk_op_gather(alvk_cmd *cmd, const alvk_buffer *pool, uint32_t image_bytes,
                           const alvk_buffer *labels_pool, const alvk_buffer *indices,
                           uint32_t B, const alvk_buffer *batch,
                           const alvk_buffer *batch_labels);

/* ---- a graph's optimisers: hyperparameters on the device -------------------
 * A graph's optimiser steps read their hyperparameters from `hyper`, one
 * slot of ALVK_OPTIM_SLOT_BYTES per step (the shaders' AdamHyper and
 * SgdHyper, field for field), which the host rewrites between runs: a
 * learning-rate schedule without re-recording. The step count is kept on
 * the device in `steps` (one uint32: steps taken so far, between runs),
 * which the recording advances before the step when `advance` is set, and
 * which the step reads as its own number (1 at the first). Several
 * optimisers of one training step share the count: only the first
 * advances it, and it waits on nothing before it (after the step it would
 * add a level at the step's end). The caller checks the hyperparameters
 * before setting them. */
#define ALVK_OPTIM_SLOT_BYTES 32
typedef struct alvk_adam_hyper {
    float lr, beta1, beta2, eps;
    float one_minus_beta1, one_minus_beta2; /* rounded from double */
    float decay; /* 1 - lr weight_decay: AdamW's decoupled decay; 1 is none */
    float unused;
} alvk_adam_hyper;
typedef struct alvk_sgd_hyper {
    float lr, momentum, one_minus_dampening, weight_decay;
    uint32_t nesterov, unused[3];
} alvk_sgd_hyper;
void alvk_adam_hyper_set(alvk_adam_hyper *h, double lr, double beta1, double beta2, double eps,
                         double weight_decay);
void alvk_sgd_hyper_set(alvk_sgd_hyper *h, double lr, double momentum, double dampening,
                        double weight_decay, int nesterov);

/* One step of torch.optim.Adam (no amsgrad), AdamW's decoupled decay when
 * the slot asks for it, over n parameters in one dispatch: params, m (first
 * moment) and v (second moment) updated in place from grads; a model keeps
 * all its parameters in one flat buffer, so this is one dispatch per
 * parameter group, and the four buffers must not overlap. The bias
 * corrections are computed in float from the step count. */
alvk_status alvk_op_adam(alvk_cmd *cmd, uint32_t n, const alvk_buffer *params, const alvk_buffer *grads,
                         const alvk_buffer *m, const alvk_buffer *v, const alvk_buffer *hyper, uint32_t slot,
                         const alvk_buffer *steps, int advance);
/* One step of torch.optim.SGD over n parameters: g = grads + weight_decay
 * params; with momentum, b = momentum b + (1 - dampening) g (b = g when no
 * step has been taken, as torch's first step), g = b or, Nesterov,
 * g + momentum b; params -= lr g. `momentum` (the buffer b) is updated in
 * place; without momentum it is left as it is. */
alvk_status alvk_op_sgd(alvk_cmd *cmd, uint32_t n, const alvk_buffer *params, const alvk_buffer *grads,
                        const alvk_buffer *momentum, const alvk_buffer *hyper, uint32_t slot,
                        const alvk_buffer *steps, int advance);

#endif
