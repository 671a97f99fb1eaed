/* The kernels of a training step around the model: losses, the count of
 * correct predictions, the Adam optimiser and the gathering of batches from
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
/* probs = softmax of each row. */
alvk_status alvk_op_softmax(alvk_cmd *cmd, uint32_t B, uint32_t C, const alvk_buffer *logits,
                            const alvk_buffer *probs);
/* count[0] = number of rows whose argmax (the first index on ties) equals
 * their label (uint32). */
alvk_status alvk_op_correct_count(alvk_cmd *cmd, uint32_t B, uint32_t C,
                                  const alvk_buffer *logits, const alvk_buffer *labels,
                                  const alvk_buffer *count);

/* ---- Adam -------------------------------------------------------------------
 * torch.optim.Adam without weight decay or amsgrad. */
typedef struct alvk_adam {
    double lr, beta1, beta2, eps; /* as torch.optim.Adam takes them */
} alvk_adam;
/* One step over n parameters in one dispatch, updating params, m (first
 * moment) and v (second moment) in place from grads. A model keeps all its
 * parameters in one flat buffer, so this is one dispatch per model; the
 * four buffers must not overlap. The step count is kept on the device in
 * `steps` (one uint32: steps taken so far), which the recording advances
 * when `advance` is set (several optimisers of one training step share the
 * count: only the last advances it), so a recorded training step replays
 * with no host work; the bias corrections are computed in float from it. */
alvk_status alvk_op_adam(alvk_cmd *cmd, uint32_t n, const alvk_buffer *params,
                         const alvk_buffer *grads, const alvk_buffer *m, const alvk_buffer *v,
                         const alvk_adam *a, const alvk_buffer *steps, int advance);

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

#endif
