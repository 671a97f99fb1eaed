/* Loads Vulkan at run time: open the system loader (through volk, or alvk's
 * own dlopen where volk is not packaged), then fill a per-context table of
 * instance and device functions. */
#ifndef ALVK_LOADER_H
#define ALVK_LOADER_H

#include "vk_fns.h"

/* Opens the loader and loads the global functions. Safe to call from several
 * threads at once (with volk the loader is opened once per process). Fails with
 * ALVK_ERROR_NO_VULKAN (and a message naming what was tried) when the system
 * has no Vulkan loader. */
int alvk_vk_load(alvk_vk *vk);
/* Loads the instance-level functions; the debug-utils pair may stay NULL. */
void alvk_vk_load_instance(alvk_vk *vk, VkInstance instance);
/* Loads the device-level functions; returns the name of the first missing
 * one, or NULL when all were found. */
const char *alvk_vk_load_device(alvk_vk *vk, VkDevice device);
/* Closes the loader opened by alvk_vk_load. */
void alvk_vk_unload(alvk_vk *vk);

#if defined(ALVK_HAVE_VOLK)
/* volkInitialize, once per process (loader_volk.c): the loader's
 * vkGetInstanceProcAddr, or NULL when there is no loader. */
PFN_vkGetInstanceProcAddr alvk_volk_open(void);
#endif

#endif
