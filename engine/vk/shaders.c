/* The table of embedded shaders, built from the generated list. */
#include "shaders.h"

#define ALVK_SHADER(name)                                                      \
    extern const uint32_t alvk_spv_##name[];                                   \
    extern const size_t alvk_spv_##name##_size;
#include "alvk_shader_list.h"
#undef ALVK_SHADER

alvk_spirv alvk_shader_spirv(alvk_shader_id id) {
    static const char *const names[] = {
#define ALVK_SHADER(name) #name,
#include "alvk_shader_list.h"
#undef ALVK_SHADER
    };
    static const uint32_t *const codes[] = {
#define ALVK_SHADER(name) alvk_spv_##name,
#include "alvk_shader_list.h"
#undef ALVK_SHADER
    };
    /* Sizes live in the other files, so they are read through pointers. */
    static const size_t *const sizes[] = {
#define ALVK_SHADER(name) &alvk_spv_##name##_size,
#include "alvk_shader_list.h"
#undef ALVK_SHADER
    };
    return (alvk_spirv){names[id], codes[id], *sizes[id]};
}
