/* Compute pipelines from the embedded SPIR-V: layouts reflected from the
 * shader, specialisation constants, deduplication, lazy creation, and the
 * descriptor sets that bind buffers to them. */
#ifndef ALVK_PIPELINE_H
#define ALVK_PIPELINE_H

#include "alvk/alvk.h"
#include "memory.h"
#include "shaders.h"

/* Every shader takes its local size from specialisation constants 0, 1, 2
 * (layout(local_size_x_id = 0, ...)); its own constants start at id 3. */
#define ALVK_SPEC_FIRST 3
#define ALVK_MAX_SPEC 16
#define ALVK_MAX_BINDINGS 16
#define ALVK_PUSH_BYTES 128

typedef struct alvk_pipeline alvk_pipeline;
typedef struct alvk_bindset alvk_bindset;

/* Which variant of a shader to run. */
typedef struct alvk_kernel {
    alvk_shader_id shader;
    uint32_t local[3];            /* 0 means 1 */
    uint32_t nspec;
    uint32_t spec[ALVK_MAX_SPEC]; /* values of constant ids 3, 4, ... */
    int as_named;                 /* ops: run `shader` itself, not its read path's twin */
} alvk_kernel;

/* Returns the pipeline of this variant, creating it on first use (through the
 * pipeline cache). The context owns it. */
alvk_status alvk_pipeline_get(alvk_context *ctx, const alvk_kernel *kernel, alvk_pipeline **out);

/* Number of pipelines compiled so far and their total creation time (ms). */
uint32_t alvk_pipeline_count(const alvk_context *ctx);
double alvk_pipeline_compile_ms(const alvk_context *ctx);
/* Bytes of pipeline cache read from disk when the context opened, or -1 when
 * there was none to use (off, missing, or rejected). */
long long alvk_pipeline_cache_loaded(const alvk_context *ctx);

/* One buffer bound to one binding of the shader. Texel-buffer bindings read
 * through a view of the given format (0: VK_FORMAT_R32G32B32A32_SFLOAT).
 * `writes`: the op writes this binding (or reads and writes it); the
 * command recorder orders dispatches by it (ops/dispatch.c: alvk_out). */
typedef struct alvk_binding {
    alvk_buffer buffer;
    VkDeviceSize offset; /* inside buffer */
    VkDeviceSize size;   /* 0: to the end of buffer */
    VkFormat format;
    int writes;
} alvk_binding;

/* A byte range [lo, hi) of a VkBuffer that a command reads or writes.
 * `writes` is what the op declared; `shader_writes` what the shader's
 * SPIR-V allows (not readonly): the engine's hazard check trusts only the
 * second, so an op that declares a written binding an input is caught. */
typedef struct alvk_access {
    VkBuffer buffer;
    VkDeviceSize lo, hi;
    uint8_t writes, shader_writes;
} alvk_access;

/* Binds buffers to bindings 0..n-1 of pipe's shader; n must match the
 * shader. Each range must fit the device's binding limits. */
alvk_status alvk_bindset_create(alvk_context *ctx, const alvk_pipeline *pipe,
                                const alvk_binding *bindings, uint32_t n, alvk_bindset **out);
void alvk_bindset_destroy(alvk_context *ctx, alvk_bindset *set);

/* For the command recorder. */
VkPipeline alvk_pipeline_handle(const alvk_pipeline *pipe);
alvk_shader_id alvk_pipeline_shader(const alvk_pipeline *pipe);
VkPipelineLayout alvk_pipeline_layout(const alvk_pipeline *pipe);
VkDescriptorSet alvk_bindset_handle(const alvk_bindset *set);
/* The buffer ranges a binding set gives its dispatch, one per binding. */
const alvk_access *alvk_bindset_access(const alvk_bindset *set, uint32_t *n);

/* Pipeline state of a context: created at context creation, saved and freed
 * at its destruction. */
typedef struct alvk_pipelines alvk_pipelines;
alvk_status alvk_pipelines_init(alvk_context *ctx);
void alvk_pipelines_destroy(alvk_context *ctx);

#endif
