/* The Vulkan functions alvk calls, as X-macro lists: one place to add a
 * function, and the loader, the tables and their types all follow. */
#ifndef ALVK_VK_FNS_H
#define ALVK_VK_FNS_H

#ifndef VK_NO_PROTOTYPES
#define VK_NO_PROTOTYPES
#endif
#include <vulkan/vulkan.h>

/* Loaded with vkGetInstanceProcAddr(NULL, ...). */
#define ALVK_VK_GLOBAL_FNS(X)                                                  \
    X(vkCreateInstance)                                                        \
    X(vkEnumerateInstanceExtensionProperties)                                  \
    X(vkEnumerateInstanceLayerProperties)                                      \
    X(vkEnumerateInstanceVersion)

/* Loaded with vkGetInstanceProcAddr(instance, ...). */
#define ALVK_VK_INSTANCE_FNS(X)                                                \
    X(vkDestroyInstance)                                                       \
    X(vkEnumeratePhysicalDevices)                                              \
    X(vkGetPhysicalDeviceProperties)                                           \
    X(vkGetPhysicalDeviceProperties2)                                          \
    X(vkGetPhysicalDeviceFeatures2)                                            \
    X(vkGetPhysicalDeviceMemoryProperties)                                     \
    X(vkGetPhysicalDeviceQueueFamilyProperties)                                \
    X(vkEnumerateDeviceExtensionProperties)                                    \
    X(vkCreateDevice)                                                          \
    X(vkGetDeviceProcAddr)                                                     \
    X(vkCreateDebugUtilsMessengerEXT)                                          \
    X(vkDestroyDebugUtilsMessengerEXT)

/* Loaded with vkGetDeviceProcAddr(device, ...) into a per-device table, so
 * calls skip the loader's trampoline and never touch a host's pointers. */
#define ALVK_VK_DEVICE_FNS(X)                                                  \
    X(vkDestroyDevice)                                                         \
    X(vkGetDeviceQueue)                                                        \
    X(vkDeviceWaitIdle)                                                        \
    X(vkQueueSubmit)                                                           \
    X(vkAllocateMemory)                                                        \
    X(vkFreeMemory)                                                            \
    X(vkMapMemory)                                                             \
    X(vkUnmapMemory)                                                           \
    X(vkCreateBuffer)                                                          \
    X(vkDestroyBuffer)                                                         \
    X(vkGetBufferMemoryRequirements)                                           \
    X(vkBindBufferMemory)                                                      \
    X(vkCreateBufferView)                                                      \
    X(vkDestroyBufferView)                                                     \
    X(vkCreateShaderModule)                                                    \
    X(vkDestroyShaderModule)                                                   \
    X(vkCreatePipelineCache)                                                   \
    X(vkDestroyPipelineCache)                                                  \
    X(vkGetPipelineCacheData)                                                  \
    X(vkCreateComputePipelines)                                                \
    X(vkDestroyPipeline)                                                       \
    X(vkCreatePipelineLayout)                                                  \
    X(vkDestroyPipelineLayout)                                                 \
    X(vkCreateDescriptorSetLayout)                                             \
    X(vkDestroyDescriptorSetLayout)                                            \
    X(vkCreateDescriptorPool)                                                  \
    X(vkDestroyDescriptorPool)                                                 \
    X(vkAllocateDescriptorSets)                                                \
    X(vkFreeDescriptorSets)                                                    \
    X(vkUpdateDescriptorSets)                                                  \
    X(vkCreateCommandPool)                                                     \
    X(vkDestroyCommandPool)                                                    \
    X(vkAllocateCommandBuffers)                                                \
    X(vkFreeCommandBuffers)                                                    \
    X(vkBeginCommandBuffer)                                                    \
    X(vkEndCommandBuffer)                                                      \
    X(vkCreateFence)                                                           \
    X(vkDestroyFence)                                                          \
    X(vkResetFences)                                                           \
    X(vkWaitForFences)                                                         \
    X(vkCreateQueryPool)                                                       \
    X(vkDestroyQueryPool)                                                      \
    X(vkGetQueryPoolResults)                                                   \
    X(vkCmdBindPipeline)                                                       \
    X(vkCmdBindDescriptorSets)                                                 \
    X(vkCmdPushConstants)                                                      \
    X(vkCmdDispatch)                                                           \
    X(vkCmdPipelineBarrier)                                                    \
    X(vkCmdCopyBuffer)                                                         \
    X(vkCmdFillBuffer)                                                         \
    X(vkCmdResetQueryPool)                                                     \
    X(vkCmdWriteTimestamp)

#define ALVK_VK_DECLARE(name) PFN_##name name;

/* The function tables of one context. */
typedef struct alvk_vk {
    void *library; /* the system loader (alvk's own dlopen handle), or NULL with volk */
    PFN_vkGetInstanceProcAddr vkGetInstanceProcAddr;
    ALVK_VK_GLOBAL_FNS(ALVK_VK_DECLARE)
    ALVK_VK_INSTANCE_FNS(ALVK_VK_DECLARE)
    ALVK_VK_DEVICE_FNS(ALVK_VK_DECLARE)
} alvk_vk;

#endif
