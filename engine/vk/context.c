/* Context creation and destruction: the loader, the instance (with the
 * validation layer when asked), the device and its compute queue, then the
 * memory, pipeline and command state that hang off it. */
#include "context.h"
#include "command.h"
#include "loader.h"
#include "pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VALIDATION_LAYER "VK_LAYER_KHRONOS_validation"

static VKAPI_ATTR VkBool32 VKAPI_CALL on_validation_message(
    VkDebugUtilsMessageSeverityFlagBitsEXT severity, VkDebugUtilsMessageTypeFlagsEXT types,
    const VkDebugUtilsMessengerCallbackDataEXT *data, void *user) {
    (void)types;
    alvk_context *ctx = user;
    if (severity < VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT) return VK_FALSE;
    if (ctx->validation_count++ == ctx->validation_checked)
        snprintf(ctx->validation_msg, sizeof ctx->validation_msg, "%s", data->pMessage);
    alvk_log(&ctx->log,
             severity >= VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT ? ALVK_LOG_ERROR
                                                                       : ALVK_LOG_WARN,
             "validation: %s", data->pMessage);
    return VK_FALSE;
}

alvk_status alvk_check_validation(alvk_context *ctx) {
    if (ctx->validation_count == ctx->validation_checked) return ALVK_OK;
    uint32_t n = ctx->validation_count - ctx->validation_checked;
    ctx->validation_checked = ctx->validation_count;
    return alvk_error(ALVK_ERROR_VALIDATION, "the validation layer reported %u message(s); first: %s",
                      n, ctx->validation_msg);
}

static int has_layer(alvk_vk *vk, const char *name) {
    uint32_t n = 0;
    vk->vkEnumerateInstanceLayerProperties(&n, NULL);
    VkLayerProperties *layers = calloc(n ? n : 1, sizeof *layers);
    if (!layers) return 0;
    vk->vkEnumerateInstanceLayerProperties(&n, layers);
    int found = 0;
    for (uint32_t i = 0; i < n; i++) found |= strcmp(layers[i].layerName, name) == 0;
    free(layers);
    return found;
}

static int has_instance_extension(alvk_vk *vk, const char *layer, const char *name) {
    uint32_t n = 0;
    vk->vkEnumerateInstanceExtensionProperties(layer, &n, NULL);
    VkExtensionProperties *exts = calloc(n ? n : 1, sizeof *exts);
    if (!exts) return 0;
    vk->vkEnumerateInstanceExtensionProperties(layer, &n, exts);
    int found = 0;
    for (uint32_t i = 0; i < n; i++) found |= strcmp(exts[i].extensionName, name) == 0;
    free(exts);
    return found;
}

static alvk_status create_instance(alvk_context *ctx) {
    alvk_vk *vk = &ctx->vk;
    uint32_t version = VK_API_VERSION_1_0;
    if (vk->vkEnumerateInstanceVersion) vk->vkEnumerateInstanceVersion(&version);
    if (version < VK_API_VERSION_1_1)
        return alvk_error(ALVK_ERROR_UNSUPPORTED,
                          "the Vulkan loader supports only Vulkan 1.0; alvk needs 1.1");
    ctx->api_version = version < VK_API_VERSION_1_3 ? version : VK_API_VERSION_1_3;

    const char *exts[4];
    uint32_t next = 0;
    const char *layers[1];
    uint32_t nlayers = 0;
    VkInstanceCreateFlags flags = 0;
    if (has_instance_extension(vk, NULL, VK_KHR_PORTABILITY_ENUMERATION_EXTENSION_NAME)) {
        exts[next++] = VK_KHR_PORTABILITY_ENUMERATION_EXTENSION_NAME;
        flags |= VK_INSTANCE_CREATE_ENUMERATE_PORTABILITY_BIT_KHR;
    }

    VkDebugUtilsMessengerCreateInfoEXT messenger = {
        .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
        .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                           VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
        .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT,
        .pfnUserCallback = on_validation_message,
        .pUserData = ctx};
    VkValidationFeatureEnableEXT enables[] = {
        VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT};
    VkValidationFeaturesEXT features = {.sType = VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT,
                                        .pNext = &messenger,
                                        .enabledValidationFeatureCount = 1,
                                        .pEnabledValidationFeatures = enables};
    const void *chain = NULL;
    if (ctx->validation) {
        if (!has_layer(vk, VALIDATION_LAYER))
            return alvk_error(ALVK_ERROR_UNSUPPORTED,
                              "validation was asked for (ALVK_VALIDATION) but the layer %s is "
                              "not installed; on Debian: apt-get install vulkan-validationlayers",
                              VALIDATION_LAYER);
        layers[nlayers++] = VALIDATION_LAYER;
        exts[next++] = VK_EXT_DEBUG_UTILS_EXTENSION_NAME;
        chain = &messenger;
        if (has_instance_extension(vk, VALIDATION_LAYER, VK_EXT_VALIDATION_FEATURES_EXTENSION_NAME)) {
            exts[next++] = VK_EXT_VALIDATION_FEATURES_EXTENSION_NAME;
            chain = &features;
        } else {
            alvk_log(&ctx->log, ALVK_LOG_WARN,
                     "the validation layer lacks %s: synchronisation validation is off",
                     VK_EXT_VALIDATION_FEATURES_EXTENSION_NAME);
        }
    }

    VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                             .pApplicationName = "alvk",
                             .pEngineName = "alvk",
                             .engineVersion = VK_MAKE_API_VERSION(0, ALVK_VERSION_MAJOR,
                                                                  ALVK_VERSION_MINOR,
                                                                  ALVK_VERSION_PATCH),
                             .apiVersion = ctx->api_version};
    VkInstanceCreateInfo info = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                                 .pNext = chain,
                                 .flags = flags,
                                 .pApplicationInfo = &app,
                                 .enabledLayerCount = nlayers,
                                 .ppEnabledLayerNames = layers,
                                 .enabledExtensionCount = next,
                                 .ppEnabledExtensionNames = exts};
    VkResult r = vk->vkCreateInstance(&info, ctx->allocator, &ctx->instance);
    if (r == VK_ERROR_INCOMPATIBLE_DRIVER)
        return alvk_error(ALVK_ERROR_NO_DEVICE,
                          "no Vulkan driver is installed (vkCreateInstance: "
                          "VK_ERROR_INCOMPATIBLE_DRIVER); on Debian, mesa-vulkan-drivers gives "
                          "the lavapipe CPU device");
    if (r != VK_SUCCESS) return alvk_vk_error(r, "vkCreateInstance");
    alvk_vk_load_instance(vk, ctx->instance);

    if (ctx->validation) {
        if (!vk->vkCreateDebugUtilsMessengerEXT)
            return alvk_error(ALVK_ERROR_UNSUPPORTED, "validation: no vkCreateDebugUtilsMessengerEXT");
        r = vk->vkCreateDebugUtilsMessengerEXT(ctx->instance, &messenger, ctx->allocator, &ctx->messenger);
        if (r != VK_SUCCESS) return alvk_vk_error(r, "vkCreateDebugUtilsMessengerEXT");
    }
    return alvk_check_validation(ctx);
}

/* A compute queue family that can time dispatches; a compute-only family
 * (async compute on GPUs) wins over a graphics one. */
static alvk_status choose_queue(alvk_context *ctx) {
    uint32_t n = 0;
    ctx->vk.vkGetPhysicalDeviceQueueFamilyProperties(ctx->gpu, &n, NULL);
    VkQueueFamilyProperties *fam = calloc(n ? n : 1, sizeof *fam);
    if (!fam) return alvk_error(ALVK_ERROR_OUT_OF_HOST_MEMORY, "listing queue families");
    ctx->vk.vkGetPhysicalDeviceQueueFamilyProperties(ctx->gpu, &n, fam);
    int best = -1, best_score = -1;
    for (uint32_t i = 0; i < n; i++) {
        if (!(fam[i].queueFlags & VK_QUEUE_COMPUTE_BIT) || fam[i].queueCount == 0) continue;
        int score = (fam[i].timestampValidBits > 0) * 2 +
                    !(fam[i].queueFlags & VK_QUEUE_GRAPHICS_BIT);
        if (score > best_score) best = (int)i, best_score = score;
    }
    if (best >= 0) {
        ctx->queue_family = (uint32_t)best;
        ctx->timestamp_bits = fam[best].timestampValidBits;
    }
    free(fam);
    if (best < 0)
        return alvk_error(ALVK_ERROR_NO_DEVICE, "device %s has no compute queue",
                          ctx->infos[ctx->device_index].name);
    return ALVK_OK;
}

static alvk_status finish_device(alvk_context *ctx);

static alvk_status create_device(alvk_context *ctx) {
    alvk_vk *vk = &ctx->vk;
    ctx->gpu = ctx->physical[ctx->device_index];
    VkPhysicalDeviceProperties props;
    vk->vkGetPhysicalDeviceProperties(ctx->gpu, &props);
    ctx->limits = props.limits;
    vk->vkGetPhysicalDeviceMemoryProperties(ctx->gpu, &ctx->memprops);
    alvk_status s = choose_queue(ctx);
    if (s != ALVK_OK) return s;

    float priority = 1.0f;
    VkDeviceQueueCreateInfo queue = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                     .queueFamilyIndex = ctx->queue_family,
                                     .queueCount = 1,
                                     .pQueuePriorities = &priority};
    /* MoltenVK and other portability drivers require their subset extension
     * to be enabled whenever they offer it. */
    const char *exts[1];
    uint32_t next = 0;
    uint32_t n = 0;
    vk->vkEnumerateDeviceExtensionProperties(ctx->gpu, NULL, &n, NULL);
    VkExtensionProperties *avail = calloc(n ? n : 1, sizeof *avail);
    if (!avail) return alvk_error(ALVK_ERROR_OUT_OF_HOST_MEMORY, "listing device extensions");
    vk->vkEnumerateDeviceExtensionProperties(ctx->gpu, NULL, &n, avail);
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(avail[i].extensionName, "VK_KHR_portability_subset") == 0)
            exts[next++] = "VK_KHR_portability_subset";
    free(avail);

    VkDeviceCreateInfo info = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                               .queueCreateInfoCount = 1,
                               .pQueueCreateInfos = &queue,
                               .enabledExtensionCount = next,
                               .ppEnabledExtensionNames = exts};
    VkResult r = vk->vkCreateDevice(ctx->gpu, &info, ctx->allocator, &ctx->device);
    if (r != VK_SUCCESS) return alvk_vk_error(r, "vkCreateDevice");
    return finish_device(ctx);
}

/* What follows having a device, alvk's own or a host's: the function
 * table, the queue, a command pool. */
static alvk_status finish_device(alvk_context *ctx) {
    alvk_vk *vk = &ctx->vk;
    const char *missing = alvk_vk_load_device(vk, ctx->device);
    if (missing)
        return alvk_error(ALVK_ERROR_UNSUPPORTED, "the driver of %s lacks %s",
                          ctx->infos[ctx->device_index].name, missing);
    vk->vkGetDeviceQueue(ctx->device, ctx->queue_family, 0, &ctx->queue);
    VkCommandPoolCreateInfo pool = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                    .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
                                    .queueFamilyIndex = ctx->queue_family};
    VkResult r = vk->vkCreateCommandPool(ctx->device, &pool, ctx->allocator, &ctx->command_pool);
    if (r != VK_SUCCESS) return alvk_vk_error(r, "vkCreateCommandPool");
    return alvk_check_validation(ctx);
}

static void resolve_cache_dir(alvk_context *ctx, const alvk_context_desc *desc) {
    snprintf(ctx->cache_dir, sizeof ctx->cache_dir, "%s",
             desc->cache_dir && *desc->cache_dir ? desc->cache_dir : ctx->env.cache_dir);
    ctx->pipeline_cache =
        desc->pipeline_cache ? desc->pipeline_cache > 0 : ctx->env.pipeline_cache != 0;
    if (!ctx->cache_dir[0]) ctx->pipeline_cache = 0;
}

/* Runs on a host's instance and device instead of creating them. */
static alvk_status adopt(alvk_context *ctx, const alvk_context_desc *desc) {
    if (!desc->vk_instance || !desc->vk_physical_device || !desc->vk_device)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "adopting a host device needs its instance, "
                          "physical device and device");
    alvk_vk *vk = &ctx->vk;
    alvk_status s = ALVK_OK;
    if (desc->vk_get_instance_proc_addr) {
        memset(vk, 0, sizeof *vk);
        union { void *p; PFN_vkGetInstanceProcAddr f; } gipa = {desc->vk_get_instance_proc_addr};
        vk->vkGetInstanceProcAddr = gipa.f;
    } else if ((s = alvk_vk_load(vk)) != ALVK_OK) {
        return s;
    }
    ctx->adopted = 1;
    ctx->validation = 0; /* the host's layers and messenger, if any, report */
    ctx->instance = (VkInstance)desc->vk_instance;
    ctx->api_version = desc->vk_api_version ? desc->vk_api_version : VK_API_VERSION_1_1;
    alvk_vk_load_instance(vk, ctx->instance);
    if ((s = alvk_devices_enumerate(ctx)) != ALVK_OK) return s;
    ctx->device_index = -1;
    for (int i = 0; i < ctx->device_count; i++)
        if (ctx->physical[i] == (VkPhysicalDevice)desc->vk_physical_device) ctx->device_index = i;
    if (ctx->device_index < 0)
        return alvk_error(ALVK_ERROR_DEVICE_NOT_FOUND, "the host's physical device is not one of "
                          "its instance's");
    ctx->gpu = (VkPhysicalDevice)desc->vk_physical_device;
    VkPhysicalDeviceProperties props;
    vk->vkGetPhysicalDeviceProperties(ctx->gpu, &props);
    ctx->limits = props.limits;
    vk->vkGetPhysicalDeviceMemoryProperties(ctx->gpu, &ctx->memprops);
    uint32_t n = 0;
    vk->vkGetPhysicalDeviceQueueFamilyProperties(ctx->gpu, &n, NULL);
    VkQueueFamilyProperties fam[64];
    if (n > 64) n = 64;
    vk->vkGetPhysicalDeviceQueueFamilyProperties(ctx->gpu, &n, fam);
    if (desc->vk_queue_family >= n || !(fam[desc->vk_queue_family].queueFlags & VK_QUEUE_COMPUTE_BIT))
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "queue family %u of the host's device has "
                          "no compute queue", desc->vk_queue_family);
    ctx->queue_family = desc->vk_queue_family;
    ctx->timestamp_bits = fam[ctx->queue_family].timestampValidBits;
    ctx->device = (VkDevice)desc->vk_device;
    return finish_device(ctx);
}

static alvk_status open_context(alvk_context *ctx, const alvk_context_desc *desc) {
    alvk_status s = ALVK_OK;
    if (desc->vk_device || desc->vk_instance) {
        s = adopt(ctx, desc);
    } else {
        s = alvk_vk_load(&ctx->vk);
        if (s == ALVK_OK) s = create_instance(ctx);
        if (s == ALVK_OK) s = alvk_devices_enumerate(ctx);
        if (s == ALVK_OK) s = alvk_devices_choose(ctx, desc->device);
        if (s == ALVK_OK) s = create_device(ctx);
    }
    if (s == ALVK_OK) s = alvk_memory_init(ctx);
    if (s == ALVK_OK) s = alvk_pipelines_init(ctx);
    if (s == ALVK_OK) s = alvk_cmd_create(ctx, 0, &ctx->transfer);
    if (s == ALVK_OK) {
        const alvk_device_info *d = &ctx->infos[ctx->device_index];
        alvk_log(&ctx->log, ALVK_LOG_INFO, "device %d: %s (%s %s)%s", ctx->device_index, d->name,
                 d->driver_name, d->driver_info, ctx->validation ? ", validation on" : "");
    }
    return s;
}

alvk_status alvk_context_create(const alvk_context_desc *desc, alvk_context **out) {
    if (!out) return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_context_create: out is NULL");
    *out = NULL;
    alvk_context_desc defaults = {0};
    if (!desc) desc = &defaults;
    alvk_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return alvk_error(ALVK_ERROR_OUT_OF_HOST_MEMORY, "allocating the context");
    handle_init(&ctx->h, HANDLE_CONTEXT, NULL, NULL);
    alvk_env_read(&ctx->env);
    alvk_logger_init(&ctx->log, desc->log_level ? desc->log_level : ctx->env.log, desc->log_fn,
                     desc->log_user);
    alvk_env_warn(&ctx->env, &ctx->log);
    ctx->validation = desc->validation ? desc->validation > 0 : ctx->env.validation == 1;
    ctx->force_staging = desc->force_staging;
    ctx->allocator = desc->vk_allocator;
    ctx->read_path = -1;
    ctx->read_ms[0] = ctx->read_ms[1] = -1;
    resolve_cache_dir(ctx, desc);
    alvk_status s = open_context(ctx, desc);
    if (s == ALVK_OK && desc->choices) s = alvk_choices_take(ctx, desc->choices);
    if (s != ALVK_OK) {
        /* Keep the message: destruction may make Vulkan calls of its own. */
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", alvk_last_error());
        alvk_context_destroy(ctx);
        return alvk_error(s, "%s", msg);
    }
    *out = ctx;
    return ALVK_OK;
}

void alvk_context_destroy(alvk_context *ctx) {
    if (!ctx || !handle_alive(ctx, HANDLE_CONTEXT, "alvk_context_destroy")) return;
    handle_orphan_users(&ctx->h); /* their device memory goes while the device exists */
    alvk_vk *vk = &ctx->vk;
    if (ctx->device) {
        vk->vkDeviceWaitIdle(ctx->device);
        alvk_cmd_destroy(ctx->transfer);
        alvk_pipelines_destroy(ctx);
        alvk_memory_destroy(ctx);
        if (ctx->command_pool) vk->vkDestroyCommandPool(ctx->device, ctx->command_pool, ctx->allocator);
        if (!ctx->adopted) vk->vkDestroyDevice(ctx->device, ctx->allocator);
    }
    if (ctx->messenger) vk->vkDestroyDebugUtilsMessengerEXT(ctx->instance, ctx->messenger, ctx->allocator);
    if (ctx->instance && !ctx->adopted) vk->vkDestroyInstance(ctx->instance, ctx->allocator);
    alvk_vk_unload(vk);
    free(ctx->physical);
    free(ctx->infos);
    handle_retire(&ctx->h);
}

int alvk_context_device_count(const alvk_context *ctx) {
    return handle_check(ctx, HANDLE_CONTEXT, "alvk_context_device_count") == ALVK_OK ? ctx->device_count : 0;
}

int alvk_context_device_index(const alvk_context *ctx) {
    return handle_check(ctx, HANDLE_CONTEXT, "alvk_context_device_index") == ALVK_OK ? ctx->device_index : -1;
}

alvk_status alvk_context_device_info(const alvk_context *ctx, int index, alvk_device_info *out) {
    alvk_status s = handle_check(ctx, HANDLE_CONTEXT, "alvk_context_device_info");
    if (s != ALVK_OK) return s;
    if (!out || index < 0 || index >= ctx->device_count)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_context_device_info: no device %d",
                          index);
    *out = ctx->infos[index];
    return ALVK_OK;
}
