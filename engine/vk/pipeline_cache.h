/* Files of one device in the cache directory, behind a header that names
 * the device and driver they belong to: the VkPipelineCache ("pipelines")
 * and the kernel variants measured fastest ("choices", ops/choices.c). Any
 * mismatch or damage is a miss. */
#ifndef ALVK_PIPELINE_CACHE_H
#define ALVK_PIPELINE_CACHE_H

#include "alvk/alvk.h"
#include <stddef.h>

/* The cache file of the context's device: DIR/KIND-VENDOR-DEVICE-UUID.bin. */
void alvk_disk_cache_path(const alvk_context *ctx, const char *kind, char *path, size_t n);

/* Returns the Vulkan cache blob (free() it) and its size, or NULL on any miss
 * (no file, wrong device or driver, truncated, corrupt), with a warning for
 * all but the missing file. */
void *alvk_disk_cache_load(alvk_context *ctx, const char *kind, size_t *size);

/* Writes the blob atomically (temporary file, then rename); failures are
 * warnings, never errors. Returns 1 when written. */
int alvk_disk_cache_save(alvk_context *ctx, const char *kind, const void *data, size_t size);

#endif
