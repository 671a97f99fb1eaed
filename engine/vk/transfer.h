/* Copies between host memory and device buffers: directly where the memory
 * is mapped, else through a staging buffer and a copy command. This sits
 * above memory and commands, which know nothing of it. */
#ifndef ALVK_TRANSFER_H
#define ALVK_TRANSFER_H

#include "alvk/alvk.h"
#include "memory.h"

/* Copies between host memory and buf at any offset and size: directly when
 * the memory is mapped, through the staging buffer otherwise. These wait for
 * the device; call them outside recorded work. */
alvk_status alvk_buffer_write(alvk_context *ctx, const alvk_buffer *buf, VkDeviceSize offset,
                              const void *data, size_t size);
alvk_status alvk_buffer_read(alvk_context *ctx, const alvk_buffer *buf, VkDeviceSize offset,
                             void *data, size_t size);

#endif
