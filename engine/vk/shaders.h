/* The compute shaders embedded in the library. The build compiles every
 * shaders/NAME.comp to SPIR-V, validates it and emits alvk_spv_NAME[]; the
 * generated alvk_shader_list.h holds one ALVK_SHADER(NAME) line per shader. */
#ifndef ALVK_SHADERS_H
#define ALVK_SHADERS_H

#include <stddef.h>
#include <stdint.h>

typedef enum alvk_shader_id {
#define ALVK_SHADER(name) ALVK_SHADER_##name,
#include "alvk_shader_list.h"
#undef ALVK_SHADER
    ALVK_SHADER_COUNT
} alvk_shader_id;

typedef struct alvk_spirv {
    const char *name;
    const uint32_t *code;
    size_t size; /* bytes */
} alvk_spirv;

/* The SPIR-V of a shader; id must be below ALVK_SHADER_COUNT. */
alvk_spirv alvk_shader_spirv(alvk_shader_id id);

#endif
