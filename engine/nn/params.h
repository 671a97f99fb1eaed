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

/* The same for the trainable tensors among first..first+count-1 only
 * (declaration order; state tensors in the range are skipped): one group
 * of a model trained by several optimisers. n is 0 when there are none. */
void alvk_params_trainable_range(const alvk_params *p, int first, int count, alvk_buffer *values,
                                 alvk_buffer *grads, alvk_buffer *m, alvk_buffer *v, uint32_t *n);

/* Adam's step counter (one uint32 on the device). */
alvk_buffer alvk_params_steps(const alvk_params *p);

/* Tensor i's name, shape and kind. */
const char *alvk_params_name(const alvk_params *p, int i);
uint32_t alvk_params_shape(const alvk_params *p, int i, uint32_t shape[ALVK_MAX_DIMS]);
alvk_param_kind alvk_params_kind(const alvk_params *p, int i);

/* How alvk_params_initialize fills a tensor. */
typedef enum alvk_init {
    ALVK_INIT_ZEROS = 0,
    ALVK_INIT_ONES,
    ALVK_INIT_KAIMING_NORMAL_FAN_OUT, /* N(0, 2 / fan_out), fan_out = dim0 * receptive field */
    ALVK_INIT_UNIFORM_FAN_IN,         /* U(-1/sqrt(fan_in), 1/sqrt(fan_in)): PyTorch's Linear */
} alvk_init;

/* Sets how tensor i is initialised; fan_in is what ALVK_INIT_UNIFORM_FAN_IN
 * divides by (a Linear bias takes its layer's fan-in). */
void alvk_params_set_init(alvk_params *p, int i, alvk_init init, uint32_t fan_in);
void alvk_params_get_init(const alvk_params *p, int i, alvk_init *init, uint32_t *fan_in);

#endif
