/* Compute pipelines and their descriptor sets. Each shader gets one module
 * and one layout (reflected from its SPIR-V) on first use; each variant
 * (shader, local size, specialisation constants) one pipeline, created on
 * first use through the context's VkPipelineCache and kept for the life of
 * the context. */
#include "pipeline.h"
#include "context.h"
#include "pipeline_cache.h"
#include "reflect.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define POOL_SETS 256

typedef struct shader_layout {
    VkShaderModule module;
    VkDescriptorSetLayout set_layout;
    VkPipelineLayout layout;
    uint32_t nbind;
    VkDescriptorType types[ALVK_MAX_BINDINGS];
    uint32_t writes; /* bit b: the shader may write binding b (reflection) */
} shader_layout;

struct alvk_pipeline {
    alvk_kernel key;
    VkPipeline pipeline;
    const shader_layout *shader;
    alvk_pipeline *next;
};

struct alvk_bindset {
    VkDescriptorSet set;
    VkDescriptorPool pool;
    uint32_t nviews;
    VkBufferView views[ALVK_MAX_BINDINGS];
    uint32_t naccess;
    alvk_access access[ALVK_MAX_BINDINGS]; /* what the recorder orders dispatches by */
};

struct alvk_pipelines {
    shader_layout shaders[ALVK_SHADER_COUNT];
    alvk_pipeline *list;
    uint32_t count;
    double compile_ms;
    long long cache_loaded;
    VkPipelineCache cache;
    VkDescriptorPool *pools;
    uint32_t npools;
};

static double now_ms(void) {
    struct timespec ts;
    timespec_get(&ts, TIME_UTC);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

alvk_status alvk_pipelines_init(alvk_context *ctx) {
    alvk_pipelines *p = calloc(1, sizeof *p);
    if (!p) return alvk_error(ALVK_ERROR_OUT_OF_HOST_MEMORY, "allocating pipeline state");
    ctx->pipelines = p;
    size_t size = 0;
    void *data = ctx->pipeline_cache ? alvk_disk_cache_load(ctx, "pipelines", &size) : NULL;
    VkPipelineCacheCreateInfo info = {.sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO,
                                      .initialDataSize = size,
                                      .pInitialData = data};
    VkResult r = ctx->vk.vkCreatePipelineCache(ctx->device, &info, ctx->allocator, &p->cache);
    if (r != VK_SUCCESS && data) {
        /* The driver refused the blob: start empty rather than fail. */
        alvk_log(&ctx->log, ALVK_LOG_WARN, "the driver rejected the saved pipeline cache");
        info.initialDataSize = 0;
        info.pInitialData = NULL;
        r = ctx->vk.vkCreatePipelineCache(ctx->device, &info, ctx->allocator, &p->cache);
    }
    p->cache_loaded = data && info.pInitialData ? (long long)size : -1;
    free(data);
    if (r != VK_SUCCESS) return alvk_vk_error(r, "vkCreatePipelineCache");
    if (p->cache_loaded >= 0)
        alvk_log(&ctx->log, ALVK_LOG_DEBUG, "loaded %zu bytes of pipeline cache", size);
    return alvk_check_validation(ctx);
}

static void save_cache(alvk_context *ctx) {
    alvk_pipelines *p = ctx->pipelines;
    if (!ctx->pipeline_cache || !p->cache || p->count == 0) return;
    size_t size = 0;
    if (ctx->vk.vkGetPipelineCacheData(ctx->device, p->cache, &size, NULL) != VK_SUCCESS) return;
    void *data = malloc(size ? size : 1);
    if (data && ctx->vk.vkGetPipelineCacheData(ctx->device, p->cache, &size, data) == VK_SUCCESS)
        alvk_disk_cache_save(ctx, "pipelines", data, size);
    free(data);
}

void alvk_pipelines_destroy(alvk_context *ctx) {
    alvk_pipelines *p = ctx->pipelines;
    if (!p) return;
    alvk_vk *vk = &ctx->vk;
    save_cache(ctx);
    while (p->list) {
        alvk_pipeline *pipe = p->list;
        p->list = pipe->next;
        vk->vkDestroyPipeline(ctx->device, pipe->pipeline, ctx->allocator);
        free(pipe);
    }
    for (int i = 0; i < ALVK_SHADER_COUNT; i++) {
        shader_layout *s = &p->shaders[i];
        if (s->layout) vk->vkDestroyPipelineLayout(ctx->device, s->layout, ctx->allocator);
        if (s->set_layout) vk->vkDestroyDescriptorSetLayout(ctx->device, s->set_layout, ctx->allocator);
        if (s->module) vk->vkDestroyShaderModule(ctx->device, s->module, ctx->allocator);
    }
    for (uint32_t i = 0; i < p->npools; i++)
        vk->vkDestroyDescriptorPool(ctx->device, p->pools[i], ctx->allocator);
    if (p->cache) vk->vkDestroyPipelineCache(ctx->device, p->cache, ctx->allocator);
    free(p->pools);
    free(p);
    ctx->pipelines = NULL;
}

/* Module and layouts of one shader, made on its first use. */
static alvk_status shader_get(alvk_context *ctx, alvk_shader_id id, const shader_layout **out) {
    shader_layout *s = &ctx->pipelines->shaders[id];
    *out = s;
    if (s->layout) return ALVK_OK;
    alvk_vk *vk = &ctx->vk;
    alvk_spirv spv = alvk_shader_spirv(id);
    alvk_status st = alvk_reflect_bindings(spv.code, spv.size, spv.name, s->types, &s->nbind, &s->writes);
    if (st != ALVK_OK) return st;

    VkShaderModuleCreateInfo minfo = {.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                      .codeSize = spv.size,
                                      .pCode = spv.code};
    VkResult r = vk->vkCreateShaderModule(ctx->device, &minfo, ctx->allocator, &s->module);
    if (r != VK_SUCCESS) return alvk_vk_error(r, "vkCreateShaderModule");

    VkDescriptorSetLayoutBinding b[ALVK_MAX_BINDINGS];
    for (uint32_t i = 0; i < s->nbind; i++)
        b[i] = (VkDescriptorSetLayoutBinding){.binding = i,
                                              .descriptorType = s->types[i],
                                              .descriptorCount = 1,
                                              .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT};
    VkDescriptorSetLayoutCreateInfo sinfo = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
        .bindingCount = s->nbind,
        .pBindings = b};
    r = vk->vkCreateDescriptorSetLayout(ctx->device, &sinfo, ctx->allocator, &s->set_layout);
    if (r != VK_SUCCESS) return alvk_vk_error(r, "vkCreateDescriptorSetLayout");

    uint32_t push = ctx->limits.maxPushConstantsSize < ALVK_PUSH_BYTES
                        ? ctx->limits.maxPushConstantsSize
                        : ALVK_PUSH_BYTES;
    VkPushConstantRange range = {VK_SHADER_STAGE_COMPUTE_BIT, 0, push};
    VkPipelineLayoutCreateInfo linfo = {.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                                        .setLayoutCount = 1,
                                        .pSetLayouts = &s->set_layout,
                                        .pushConstantRangeCount = 1,
                                        .pPushConstantRanges = &range};
    r = vk->vkCreatePipelineLayout(ctx->device, &linfo, ctx->allocator, &s->layout);
    if (r != VK_SUCCESS) return alvk_vk_error(r, "vkCreatePipelineLayout");
    return ALVK_OK;
}

/* The variant's identity with defaults filled in, so equal requests compare
 * equal byte for byte. */
static alvk_status normalise(const alvk_context *ctx, const alvk_kernel *in, alvk_kernel *key) {
    memset(key, 0, sizeof *key);
    if ((unsigned)in->shader >= ALVK_SHADER_COUNT || in->nspec > ALVK_MAX_SPEC)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "no shader %d, or %u constants (max %d)",
                          (int)in->shader, in->nspec, ALVK_MAX_SPEC);
    key->shader = in->shader;
    uint64_t invocations = 1;
    for (int i = 0; i < 3; i++) {
        key->local[i] = in->local[i] ? in->local[i] : 1;
        invocations *= key->local[i];
        if (key->local[i] > ctx->limits.maxComputeWorkGroupSize[i])
            return alvk_error(ALVK_ERROR_UNSUPPORTED, "local size %u in dimension %d exceeds the "
                              "device's %u", key->local[i], i, ctx->limits.maxComputeWorkGroupSize[i]);
    }
    if (invocations > ctx->limits.maxComputeWorkGroupInvocations)
        return alvk_error(ALVK_ERROR_UNSUPPORTED, "%llu invocations per workgroup exceed the "
                          "device's %u", (unsigned long long)invocations,
                          ctx->limits.maxComputeWorkGroupInvocations);
    key->nspec = in->nspec;
    memcpy(key->spec, in->spec, in->nspec * sizeof in->spec[0]);
    return ALVK_OK;
}

static alvk_status create_pipeline(alvk_context *ctx, const alvk_kernel *key,
                                   const shader_layout *s, VkPipeline *out) {
    uint32_t values[3 + ALVK_MAX_SPEC];
    VkSpecializationMapEntry entries[3 + ALVK_MAX_SPEC];
    uint32_t n = 3 + key->nspec;
    for (uint32_t i = 0; i < n; i++) {
        values[i] = i < 3 ? key->local[i] : key->spec[i - 3];
        entries[i] = (VkSpecializationMapEntry){i, i * 4, 4};
    }
    VkSpecializationInfo spec = {n, entries, n * 4, values};
    VkComputePipelineCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
        .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                  .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                  .module = s->module,
                  .pName = "main",
                  .pSpecializationInfo = &spec},
        .layout = s->layout};
    VkResult r = ctx->vk.vkCreateComputePipelines(ctx->device, ctx->pipelines->cache, 1, &info,
                                                  ctx->allocator, out);
    if (r != VK_SUCCESS) return alvk_vk_error(r, "vkCreateComputePipelines");
    return ALVK_OK;
}

alvk_status alvk_pipeline_get(alvk_context *ctx, const alvk_kernel *kernel, alvk_pipeline **out) {
    *out = NULL;
    alvk_kernel key;
    alvk_status s = normalise(ctx, kernel, &key);
    if (s != ALVK_OK) return s;
    alvk_pipelines *p = ctx->pipelines;
    for (alvk_pipeline *pipe = p->list; pipe; pipe = pipe->next)
        if (memcmp(&pipe->key, &key, sizeof key) == 0) {
            *out = pipe;
            return ALVK_OK;
        }
    const shader_layout *sl;
    if ((s = shader_get(ctx, key.shader, &sl)) != ALVK_OK) return s;
    alvk_pipeline *pipe = calloc(1, sizeof *pipe);
    if (!pipe) return alvk_error(ALVK_ERROR_OUT_OF_HOST_MEMORY, "allocating a pipeline");
    double t0 = now_ms();
    s = create_pipeline(ctx, &key, sl, &pipe->pipeline);
    double ms = now_ms() - t0;
    if (s == ALVK_OK) s = alvk_check_validation(ctx);
    if (s != ALVK_OK) {
        if (pipe->pipeline) ctx->vk.vkDestroyPipeline(ctx->device, pipe->pipeline, ctx->allocator);
        free(pipe);
        return s;
    }
    pipe->key = key;
    pipe->shader = sl;
    pipe->next = p->list;
    p->list = pipe;
    p->count++;
    p->compile_ms += ms;
    alvk_log(&ctx->log, ALVK_LOG_DEBUG, "pipeline %s [%u,%u,%u] +%u constants: %.2f ms",
             alvk_shader_spirv(key.shader).name, key.local[0], key.local[1], key.local[2],
             key.nspec, ms);
    *out = pipe;
    return ALVK_OK;
}

uint32_t alvk_pipeline_count(const alvk_context *ctx) { return ctx->pipelines->count; }
double alvk_pipeline_compile_ms(const alvk_context *ctx) { return ctx->pipelines->compile_ms; }
long long alvk_pipeline_cache_loaded(const alvk_context *ctx) { return ctx->pipelines->cache_loaded; }
VkPipeline alvk_pipeline_handle(const alvk_pipeline *pipe) { return pipe->pipeline; }
alvk_shader_id alvk_pipeline_shader(const alvk_pipeline *pipe) { return pipe->key.shader; }
VkPipelineLayout alvk_pipeline_layout(const alvk_pipeline *pipe) { return pipe->shader->layout; }
VkDescriptorSet alvk_bindset_handle(const alvk_bindset *set) { return set->set; }

const alvk_access *alvk_bindset_access(const alvk_bindset *set, uint32_t *n) {
    *n = set->naccess;
    return set->access;
}

static alvk_status add_pool(alvk_context *ctx) {
    alvk_pipelines *p = ctx->pipelines;
    VkDescriptorPool *grown = realloc(p->pools, (p->npools + 1) * sizeof *grown);
    if (!grown) return alvk_error(ALVK_ERROR_OUT_OF_HOST_MEMORY, "growing descriptor pools");
    p->pools = grown;
    VkDescriptorPoolSize sizes[] = {
        {VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, POOL_SETS * 8},
        {VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, POOL_SETS},
        {VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER, POOL_SETS * 4},
        {VK_DESCRIPTOR_TYPE_STORAGE_TEXEL_BUFFER, POOL_SETS},
    };
    VkDescriptorPoolCreateInfo info = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
                                       .flags = VK_DESCRIPTOR_POOL_CREATE_FREE_DESCRIPTOR_SET_BIT,
                                       .maxSets = POOL_SETS,
                                       .poolSizeCount = 4,
                                       .pPoolSizes = sizes};
    VkResult r = ctx->vk.vkCreateDescriptorPool(ctx->device, &info, ctx->allocator, &p->pools[p->npools]);
    if (r != VK_SUCCESS) return alvk_vk_error(r, "vkCreateDescriptorPool");
    p->npools++;
    return ALVK_OK;
}

/* A set from the newest pool; a fresh pool when the others are full. */
static alvk_status allocate_set(alvk_context *ctx, VkDescriptorSetLayout layout,
                                alvk_bindset *set) {
    alvk_pipelines *p = ctx->pipelines;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (p->npools > 0) {
            VkDescriptorSetAllocateInfo info = {
                .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
                .descriptorPool = p->pools[p->npools - 1],
                .descriptorSetCount = 1,
                .pSetLayouts = &layout};
            VkResult r = ctx->vk.vkAllocateDescriptorSets(ctx->device, &info, &set->set);
            if (r == VK_SUCCESS) {
                set->pool = info.descriptorPool;
                return ALVK_OK;
            }
            if (r != VK_ERROR_OUT_OF_POOL_MEMORY && r != VK_ERROR_FRAGMENTED_POOL)
                return alvk_vk_error(r, "vkAllocateDescriptorSets");
        }
        alvk_status s = add_pool(ctx);
        if (s != ALVK_OK) return s;
    }
    return alvk_error(ALVK_ERROR_VULKAN, "a fresh descriptor pool could not hold one set");
}

static alvk_status check_binding(const alvk_context *ctx, const alvk_binding *b, uint32_t i,
                                 VkDescriptorType type, VkDeviceSize *range) {
    if (!b->buffer.block || b->offset > b->buffer.size)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "binding %u: no buffer or offset past it", i);
    *range = b->size ? b->size : b->buffer.size - b->offset;
    if (b->offset + *range > b->buffer.size)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "binding %u: range runs past the buffer", i);
    /* Shaders read whole vec4s (alvk_read.glsl): round the range up to 16
     * bytes when the allocation's padding holds them. */
    VkDeviceSize padded = (b->buffer.size + ctx->memory.alignment - 1) / ctx->memory.alignment *
                          ctx->memory.alignment;
    VkDeviceSize range16 = (*range + 15) / 16 * 16;
    if (b->offset + range16 <= padded) *range = range16;
    if ((b->buffer.offset + b->offset) % ctx->memory.alignment)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "binding %u: offset %llu is not aligned to "
                          "%llu bytes", i, (unsigned long long)b->offset,
                          (unsigned long long)ctx->memory.alignment);
    uint64_t limit = type == VK_DESCRIPTOR_TYPE_STORAGE_BUFFER ? ctx->limits.maxStorageBufferRange
                     : type == VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER ? ctx->limits.maxUniformBufferRange
                     : (uint64_t)ctx->limits.maxTexelBufferElements * 16;
    if (*range > limit)
        return alvk_error(ALVK_ERROR_UNSUPPORTED, "binding %u: %llu bytes exceed the device's "
                          "limit of %llu for this binding type; split the work",
                          i, (unsigned long long)*range, (unsigned long long)limit);
    return ALVK_OK;
}

alvk_status alvk_bindset_create(alvk_context *ctx, const alvk_pipeline *pipe,
                                const alvk_binding *bindings, uint32_t n, alvk_bindset **out) {
    *out = NULL;
    const shader_layout *sl = pipe->shader;
    if (n != sl->nbind)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "shader %s has %u bindings, %u given",
                          alvk_shader_spirv(pipe->key.shader).name, sl->nbind, n);
    alvk_bindset *set = calloc(1, sizeof *set);
    if (!set) return alvk_error(ALVK_ERROR_OUT_OF_HOST_MEMORY, "allocating a binding set");
    VkDescriptorBufferInfo infos[ALVK_MAX_BINDINGS];
    VkWriteDescriptorSet writes[ALVK_MAX_BINDINGS];
    alvk_status s = ALVK_OK;
    for (uint32_t i = 0; i < n && s == ALVK_OK; i++) {
        VkDeviceSize range = 0;
        const alvk_binding *b = &bindings[i];
        if ((s = check_binding(ctx, b, i, sl->types[i], &range)) != ALVK_OK) break;
        writes[i] = (VkWriteDescriptorSet){.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                                           .dstBinding = i,
                                           .descriptorCount = 1,
                                           .descriptorType = sl->types[i]};
        VkDeviceSize offset = b->buffer.offset + b->offset;
        set->access[set->naccess++] = (alvk_access){b->buffer.buffer, offset, offset + range, (uint8_t)b->writes,
                                                    (uint8_t)(sl->writes >> i & 1)};
        if (sl->types[i] == VK_DESCRIPTOR_TYPE_STORAGE_BUFFER ||
            sl->types[i] == VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER) {
            infos[i] = (VkDescriptorBufferInfo){b->buffer.buffer, offset, range};
            writes[i].pBufferInfo = &infos[i];
            continue;
        }
        VkBufferViewCreateInfo vinfo = {
            .sType = VK_STRUCTURE_TYPE_BUFFER_VIEW_CREATE_INFO,
            .buffer = b->buffer.buffer,
            .format = b->format ? b->format : VK_FORMAT_R32G32B32A32_SFLOAT,
            .offset = offset,
            .range = range};
        VkResult r = ctx->vk.vkCreateBufferView(ctx->device, &vinfo, ctx->allocator, &set->views[set->nviews]);
        if (r != VK_SUCCESS) {
            s = alvk_vk_error(r, "vkCreateBufferView");
            break;
        }
        writes[i].pTexelBufferView = &set->views[set->nviews++];
    }
    if (s == ALVK_OK) s = allocate_set(ctx, sl->set_layout, set);
    if (s == ALVK_OK) {
        for (uint32_t i = 0; i < n; i++) writes[i].dstSet = set->set;
        ctx->vk.vkUpdateDescriptorSets(ctx->device, n, writes, 0, NULL);
        s = alvk_check_validation(ctx);
    }
    if (s != ALVK_OK) {
        alvk_bindset_destroy(ctx, set);
        return s;
    }
    *out = set;
    return ALVK_OK;
}

void alvk_bindset_destroy(alvk_context *ctx, alvk_bindset *set) {
    if (!set) return;
    for (uint32_t i = 0; i < set->nviews; i++)
        ctx->vk.vkDestroyBufferView(ctx->device, set->views[i], ctx->allocator);
    if (set->set) ctx->vk.vkFreeDescriptorSets(ctx->device, set->pool, 1, &set->set);
    free(set);
}
