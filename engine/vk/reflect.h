/* Reads the descriptor bindings a SPIR-V compute shader declares, so that a
 * new shader needs no hand-written layout table. */
#ifndef ALVK_REFLECT_H
#define ALVK_REFLECT_H

#include "alvk/alvk.h"
#include "vk_fns.h"

#define ALVK_REFLECT_MAX 16

/* Fills types[b] for each binding b of descriptor set 0, *count with one
 * past the highest binding, and bit b of *writes when the shader may write
 * binding b (a storage buffer not declared readonly, a storage texel
 * buffer): what the engine's hazard check trusts, not the ops' word. Bindings must be dense (0..count-1), in set 0,
 * and one of: storage buffer, uniform buffer, uniform or storage texel
 * buffer. */
alvk_status alvk_reflect_bindings(const uint32_t *code, size_t bytes, const char *name,
                                  VkDescriptorType types[ALVK_REFLECT_MAX], uint32_t *count,
                                  uint32_t *writes);

#endif
