/* The parameter store as the engine sees it: where each tensor, its
 * gradient and the optimiser state live on the device. */
#ifndef ALVK_PARAMS_H
#define ALVK_PARAMS_H

#include "alvk/alvk.h"
#include "vk/memory.h"

/* Views of tensor i's values and (trainable tensors only) gradient. */
alvk_buffer alvk_params_value(const alvk_params *p, int i);
alvk_buffer alvk_params_grad(const alvk_params *p, int i);

/* The trainable region as one range each of values, gradients, first and
 * second moments, n floats long (padding between tensors included, its
 * gradients kept zero): what one Adam dispatch updates. */
void alvk_params_trainable(const alvk_params *p, alvk_buffer *values, alvk_buffer *grads,
                           alvk_buffer *m, alvk_buffer *v, uint32_t *n);

/* Tensor i's name, shape and kind. */
const char *alvk_params_name(const alvk_params *p, int i);
uint32_t alvk_params_shape(const alvk_params *p, int i, uint32_t shape[ALVK_MAX_DIMS]);
alvk_param_kind alvk_params_kind(const alvk_params *p, int i);

#endif
