/* The kernels of a training step around the model: losses and scores, the
 * Adam optimiser and the gathering of batches from the image pool.
 * Included by ops.h; include that instead. */
#ifndef ALVK_OPS_TRAIN_H
#define ALVK_OPS_TRAIN_H

#endif
