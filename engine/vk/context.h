/* The context: one instance, one device, and everything created on it. This
 * is the engine's internal view; programs see only the opaque handle. */
#ifndef ALVK_CONTEXT_H
#define ALVK_CONTEXT_H

#include "alvk/alvk.h"
#include "env.h"
#include "core/error.h"
#include "core/handle.h"
#include "memory.h"
#include "vk_fns.h"

typedef struct alvk_cmd alvk_cmd;
typedef struct alvk_pipelines alvk_pipelines;

/* Choices raced per device (engine/ops/choices.c); -1 until known. */
struct alvk_choices {
    int loaded;
    int gemm_variants, gemm_variant; /* gemm.c's choices and the fastest (tile, path) */
    int gemm_logged;                 /* the cached tile was reported */
    int gemm_split;                  /* 1: long-K GEMMs with few tiles split K */
    int bn_serial;                   /* 1: small sums (batch norm, reduce) one lane each */
    int group_sum_sg;                /* 1: workgroup sums by subgroup operations */
    int paired;                      /* 1: a convolution's two packs or transforms in one dispatch */
};

/* Takes alvk_context_choices' text of another context (alvk_context_desc.
 * choices) at creation: used where it names this device and driver, else
 * ignored; text of another form is an error. In engine/ops/choices.c. */
alvk_status alvk_choices_take(alvk_context *ctx, const char *text);

struct alvk_context {
    alvk_handle h; /* first: its graphs, stores and pools are its users */
    alvk_vk vk;
    alvk_env env; /* the environment as it was at creation (env.c) */
    alvk_logger log;

    const VkAllocationCallbacks *allocator; /* the host's, for every Vulkan object; or NULL */
    VkInstance instance;
    uint32_t api_version; /* what the instance and device were created for */
    VkDebugUtilsMessengerEXT messenger;
    int validation;
    /* Validation messages seen so far; an operation fails when the count
     * grows while it runs. */
    uint32_t validation_count;
    uint32_t validation_checked;
    char validation_msg[1024];

    int device_count;
    VkPhysicalDevice *physical;
    alvk_device_info *infos;
    int device_index;

    VkPhysicalDevice gpu;
    VkPhysicalDeviceLimits limits;
    VkPhysicalDeviceMemoryProperties memprops;
    VkDevice device;
    VkQueue queue;
    uint32_t queue_family;
    uint32_t timestamp_bits;
    VkCommandPool command_pool;

    uint64_t submissions; /* queue submissions so far (tests count them) */
    alvk_memory memory;
    alvk_cmd *transfer;  /* staged copies (transfer.c) */
    alvk_buffer staging; /* their host-visible buffer, made at the first (transfer.c) */
    alvk_pipelines *pipelines;
    int adopted;       /* instance and device belong to the host */
    int force_staging;
    /* Kernel choices measured on this device at first use (engine/ops/):
     * the read path (every context) and the choices cached on disk. */
    int read_path;
    double read_ms[2]; /* the probe's ms per path (ssbo, texel); -1 unmeasured */
    struct alvk_choices choices;
    int pipeline_cache;
    char cache_dir[1024];
};

/* Fails with ALVK_ERROR_VALIDATION (and the layer's message) when the
 * validation layer reported anything since the last check. */
alvk_status alvk_check_validation(alvk_context *ctx);

/* Device enumeration and choice (device.c). */
alvk_status alvk_devices_enumerate(alvk_context *ctx);
alvk_status alvk_devices_choose(alvk_context *ctx, const char *request);

#endif
