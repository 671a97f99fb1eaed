/* Device memory: a few large VkDeviceMemory blocks, each with one VkBuffer
 * over all of it, sub-allocated into (buffer, offset, size) ranges. Copies
 * to and from the host are transfer.h's. */
#ifndef ALVK_MEMORY_H
#define ALVK_MEMORY_H

#include "alvk/alvk.h"
#include "vk_fns.h"

typedef struct alvk_block alvk_block;

/* A range of device memory: what tensors and kernel bindings are made of. */
typedef struct alvk_buffer {
    VkBuffer buffer;      /* the block's buffer */
    VkDeviceSize offset;  /* aligned start inside it */
    VkDeviceSize size;    /* bytes asked for */
    uint8_t *mapped;      /* host pointer to offset, or NULL if not mapped */
    alvk_block *block;
} alvk_buffer;

/* One memory type's blocks. */
typedef struct alvk_mem_pool {
    uint32_t type;        /* memory type index, UINT32_MAX if none */
    uint32_t heap;
    int mapped;           /* blocks are persistently mapped */
    alvk_block *blocks;
} alvk_mem_pool;

typedef struct alvk_memory {
    alvk_mem_pool device;     /* tensors: device-local, mapped when that is free */
    alvk_mem_pool host;       /* staging: host-visible, coherent */
    VkDeviceSize alignment;
    VkDeviceSize block_size;
    uint64_t heap_used[VK_MAX_MEMORY_HEAPS];
} alvk_memory;

/* The memory type alvk maps directly: device-local, host-visible, coherent,
 * and on the largest device-local heap (so UMA, lavapipe and resizable BAR
 * qualify, a discrete GPU's small 256 MiB BAR window does not).
 * UINT32_MAX when there is none. */
uint32_t alvk_direct_memory_type(const VkPhysicalDeviceMemoryProperties *mem);

/* Chooses memory types and alignment for the context's device. */
alvk_status alvk_memory_init(alvk_context *ctx);
/* Frees every block. */
void alvk_memory_destroy(alvk_context *ctx);

/* Allocates size bytes of device memory (size > 0). Asking for more than the
 * heap has left fails with ALVK_ERROR_OUT_OF_DEVICE_MEMORY, saying what was
 * asked and what is left; the context stays usable. */
alvk_status alvk_buffer_alloc(alvk_context *ctx, VkDeviceSize size, alvk_buffer *out);
/* A view of bytes [offset, offset + size) of buf, for binding part of it.
 * Never free a view; free the buffer it came from. */
alvk_buffer alvk_buffer_view(const alvk_buffer *buf, VkDeviceSize offset, VkDeviceSize size);

/* Bytes of device memory handed out in ranges now (alignment included):
 * what a graph's reported peak is checked against. */
uint64_t alvk_memory_in_use(const alvk_context *ctx);

/* Allocates size bytes of host-visible, coherent, mapped memory: staging
 * for device memory the host cannot map (transfer.c). Freed as any buffer. */
alvk_status alvk_host_buffer_alloc(alvk_context *ctx, VkDeviceSize size, alvk_buffer *out);

/* Returns the range to its block; a zeroed buffer is a no-op. */
void alvk_buffer_free(alvk_context *ctx, alvk_buffer *buf);

#endif
