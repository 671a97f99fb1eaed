/* Loads Vulkan at run time, volk-style: open the system loader, then fill a
 * per-context table of instance and device functions. */
#ifndef ALVK_LOADER_H
#define ALVK_LOADER_H

#include "vk_fns.h"

/* Opens the loader and loads the global functions. Fails with
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

#endif
