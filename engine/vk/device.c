/* Physical devices: what each one offers (the limits kernels honour) and
 * which one a context uses. */
#include "context.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int has_extension(const VkExtensionProperties *exts, uint32_t n, const char *name) {
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(exts[i].extensionName, name) == 0) return 1;
    return 0;
}

static alvk_device_type device_type(VkPhysicalDeviceType t) {
    switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return ALVK_DEVICE_INTEGRATED;
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return ALVK_DEVICE_DISCRETE;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return ALVK_DEVICE_VIRTUAL;
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return ALVK_DEVICE_CPU;
    default: return ALVK_DEVICE_OTHER;
    }
}

const char *alvk_device_type_str(alvk_device_type type) {
    static const char *const names[] = {"other", "integrated", "discrete", "virtual", "cpu"};
    return (unsigned)type < 5 ? names[type] : "other";
}

static alvk_status describe(alvk_context *ctx, VkPhysicalDevice pd, alvk_device_info *info) {
    alvk_vk *vk = &ctx->vk;
    memset(info, 0, sizeof *info);

    uint32_t next = 0;
    vk->vkEnumerateDeviceExtensionProperties(pd, NULL, &next, NULL);
    VkExtensionProperties *exts = calloc(next ? next : 1, sizeof *exts);
    if (!exts) return alvk_error(ALVK_ERROR_OUT_OF_HOST_MEMORY, "listing device extensions");
    vk->vkEnumerateDeviceExtensionProperties(pd, NULL, &next, exts);

    VkPhysicalDeviceProperties base;
    vk->vkGetPhysicalDeviceProperties(pd, &base);
    uint32_t api = base.apiVersion < ctx->api_version ? base.apiVersion : ctx->api_version;
    int driver_props = api >= VK_API_VERSION_1_2 ||
                       has_extension(exts, next, VK_KHR_DRIVER_PROPERTIES_EXTENSION_NAME);
    int fp16_query = api >= VK_API_VERSION_1_2 ||
                     has_extension(exts, next, VK_KHR_SHADER_FLOAT16_INT8_EXTENSION_NAME);

    VkPhysicalDeviceDriverProperties driver = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
    VkPhysicalDeviceSubgroupProperties subgroup = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES,
        .pNext = driver_props ? &driver : NULL};
    /* maxMemoryAllocationSize is core in 1.1, in the maintenance-3 struct. */
    VkPhysicalDeviceMaintenance3Properties m3 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES, .pNext = &subgroup};
    VkPhysicalDeviceProperties2 props = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
                                         .pNext = &m3};
    vk->vkGetPhysicalDeviceProperties2(pd, &props);

    VkPhysicalDeviceShaderFloat16Int8Features fp16 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES};
    VkPhysicalDeviceFeatures2 features = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
                                          .pNext = fp16_query ? &fp16 : NULL};
    vk->vkGetPhysicalDeviceFeatures2(pd, &features);

    VkPhysicalDeviceMemoryProperties mem;
    vk->vkGetPhysicalDeviceMemoryProperties(pd, &mem);

    const VkPhysicalDeviceLimits *lim = &props.properties.limits;
    snprintf(info->name, sizeof info->name, "%s", props.properties.deviceName);
    snprintf(info->driver_name, sizeof info->driver_name, "%s",
             driver_props ? driver.driverName : "unknown");
    snprintf(info->driver_info, sizeof info->driver_info, "%s",
             driver_props ? driver.driverInfo : "");
    info->type = device_type(props.properties.deviceType);
    info->vendor_id = props.properties.vendorID;
    info->device_id = props.properties.deviceID;
    info->driver_version = props.properties.driverVersion;
    info->api_version = props.properties.apiVersion;
    info->max_storage_buffer_range = lim->maxStorageBufferRange;
    info->max_compute_shared_memory = lim->maxComputeSharedMemorySize;
    info->max_workgroup_invocations = lim->maxComputeWorkGroupInvocations;
    for (int i = 0; i < 3; i++) {
        info->max_workgroup_size[i] = lim->maxComputeWorkGroupSize[i];
        info->max_workgroup_count[i] = lim->maxComputeWorkGroupCount[i];
    }
    info->subgroup_size = subgroup.subgroupSize;
    info->subgroup_arithmetic = (subgroup.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) &&
                                (subgroup.supportedOperations & VK_SUBGROUP_FEATURE_ARITHMETIC_BIT);
    info->max_push_constants = lim->maxPushConstantsSize;
    info->timestamp_period_ns = lim->timestampComputeAndGraphics ? lim->timestampPeriod : 0.0f;
    info->max_memory_allocation = m3.maxMemoryAllocationSize;
    info->shader_float16 = fp16_query && fp16.shaderFloat16;
    info->push_descriptors = has_extension(exts, next, VK_KHR_PUSH_DESCRIPTOR_EXTENSION_NAME);
    info->host_visible_device_memory = alvk_direct_memory_type(&mem) != UINT32_MAX;
    info->heap_count = mem.memoryHeapCount < ALVK_MAX_HEAPS ? mem.memoryHeapCount : ALVK_MAX_HEAPS;
    for (uint32_t h = 0; h < info->heap_count; h++) {
        info->heap_size[h] = mem.memoryHeaps[h].size;
        info->heap_device_local[h] = !!(mem.memoryHeaps[h].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT);
    }
    free(exts);
    return ALVK_OK;
}

alvk_status alvk_devices_enumerate(alvk_context *ctx) {
    uint32_t n = 0;
    VkResult r = ctx->vk.vkEnumeratePhysicalDevices(ctx->instance, &n, NULL);
    if (r != VK_SUCCESS) return alvk_vk_error(r, "vkEnumeratePhysicalDevices");
    if (n == 0)
        return alvk_error(ALVK_ERROR_NO_DEVICE,
                          "the Vulkan loader found no device; install a driver (on Debian, "
                          "mesa-vulkan-drivers gives the lavapipe CPU device)");
    ctx->physical = calloc(n, sizeof *ctx->physical);
    ctx->infos = calloc(n, sizeof *ctx->infos);
    if (!ctx->physical || !ctx->infos)
        return alvk_error(ALVK_ERROR_OUT_OF_HOST_MEMORY, "listing devices");
    r = ctx->vk.vkEnumeratePhysicalDevices(ctx->instance, &n, ctx->physical);
    if (r != VK_SUCCESS && r != VK_INCOMPLETE) return alvk_vk_error(r, "vkEnumeratePhysicalDevices");
    ctx->device_count = (int)n;
    for (uint32_t i = 0; i < n; i++) {
        alvk_status s = describe(ctx, ctx->physical[i], &ctx->infos[i]);
        if (s != ALVK_OK) return s;
    }
    return ALVK_OK;
}

/* Lower is better: discrete > integrated > virtual > CPU > other. */
static int type_rank(alvk_device_type t) {
    switch (t) {
    case ALVK_DEVICE_DISCRETE: return 0;
    case ALVK_DEVICE_INTEGRATED: return 1;
    case ALVK_DEVICE_VIRTUAL: return 2;
    case ALVK_DEVICE_CPU: return 3;
    default: return 4;
    }
}

static int contains_nocase(const char *hay, const char *needle) {
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] && tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n) return 1;
    }
    return n == 0;
}

static alvk_status not_found(const alvk_context *ctx, const char *why) {
    char list[768] = "";
    size_t len = 0;
    for (int i = 0; i < ctx->device_count && len < sizeof list; i++)
        len += (size_t)snprintf(list + len, sizeof list - len, "\n  %d: %s (%s)", i,
                                ctx->infos[i].name, alvk_device_type_str(ctx->infos[i].type));
    return alvk_error(ALVK_ERROR_DEVICE_NOT_FOUND, "%s; the devices are:%s", why, list);
}

alvk_status alvk_devices_choose(alvk_context *ctx, const char *request) {
    if (!request || !*request) request = ctx->env.device;
    if (!request || !*request) {
        int best = 0;
        for (int i = 1; i < ctx->device_count; i++)
            if (type_rank(ctx->infos[i].type) < type_rank(ctx->infos[best].type)) best = i;
        ctx->device_index = best;
        return ALVK_OK;
    }
    char why[400];
    char *end;
    long index = strtol(request, &end, 10);
    if (*end == '\0') {
        if (index < 0 || index >= ctx->device_count) {
            snprintf(why, sizeof why, "device index %s is out of range (0..%d)", request,
                     ctx->device_count - 1);
            return not_found(ctx, why);
        }
        ctx->device_index = (int)index;
        return ALVK_OK;
    }
    for (int i = 0; i < ctx->device_count; i++)
        if (contains_nocase(ctx->infos[i].name, request)) {
            ctx->device_index = i;
            return ALVK_OK;
        }
    snprintf(why, sizeof why, "no device name contains \"%.300s\"", request);
    return not_found(ctx, why);
}
