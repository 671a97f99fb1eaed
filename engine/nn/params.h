/* The parameter store as the engine sees it: where each tensor, its
 * gradient and the optimiser state live on the device. */
#ifndef ALVK_PARAMS_H
#define ALVK_PARAMS_H

#include "alvk/alvk.h"
#include "vk/memory.h"

/* OK when p is a live store that can be used; else an error naming fn
 * (NULL, destroyed, not a store, or its context destroyed). */
alvk_status alvk_params_usable(const alvk_params *p, const char *fn);

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

/* Whether alvk_params_commit has run (the tensors have device memory). */
int alvk_params_committed(const alvk_params *p);
/* The context the store was made on. */
alvk_context *alvk_params_context(const alvk_params *p);

/* Tensor i's name, shape and kind. */
const char *alvk_params_name(const alvk_params *p, int i);
uint32_t alvk_params_shape(const alvk_params *p, int i, uint32_t shape[ALVK_MAX_DIMS]);
alvk_param_kind alvk_params_kind(const alvk_params *p, int i);

/* Tensor i's recipe for alvk_params_initialize (a model's or
 * alvk_params_set_init's), or NULL when none was given; the setter stores
 * a copy of a recipe alvk_params_set_init has checked. */
const alvk_init *alvk_params_recipe(const alvk_params *p, int i);
void alvk_params_put_recipe(alvk_params *p, int i, const alvk_init *recipe);

#endif
