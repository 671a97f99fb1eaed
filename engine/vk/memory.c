/* Device memory: large VkDeviceMemory blocks, each with one VkBuffer over
 * all of it, handed out as aligned (buffer, offset, size) ranges from a
 * first-fit free list. Memory that is device-local and host-visible is
 * mapped once (the host writes it directly); host-visible memory for
 * staging the rest comes from a pool of its own (transfer.c copies). */
#include "memory.h"
#include "context.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_SIZE ((VkDeviceSize)128 << 20)

typedef struct alvk_range {
    VkDeviceSize offset, size;
    struct alvk_range *next;
} alvk_range;

struct alvk_block {
    VkDeviceMemory memory;
    VkBuffer buffer;
    VkDeviceSize size;     /* bytes usable through buffer */
    VkDeviceSize reserved; /* bytes counted against the heap */
    VkDeviceSize used;
    uint8_t *mapped;
    alvk_mem_pool *pool;
    alvk_range *free;      /* sorted by offset, coalesced */
    alvk_block *next;
};

static VkDeviceSize align_up(VkDeviceSize x, VkDeviceSize a) { return (x + a - 1) / a * a; }

static uint32_t largest_device_heap(const VkPhysicalDeviceMemoryProperties *mem) {
    uint32_t best = UINT32_MAX;
    for (uint32_t h = 0; h < mem->memoryHeapCount; h++)
        if ((mem->memoryHeaps[h].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) &&
            (best == UINT32_MAX || mem->memoryHeaps[h].size > mem->memoryHeaps[best].size))
            best = h;
    return best;
}

/* First memory type with all of `want` (and, if prefer, all of that too),
 * optionally only on `heap`. */
static uint32_t find_type(const VkPhysicalDeviceMemoryProperties *mem, VkMemoryPropertyFlags want,
                          VkMemoryPropertyFlags prefer, uint32_t heap) {
    for (int pass = 0; pass < 2; pass++) {
        VkMemoryPropertyFlags need = pass == 0 ? want | prefer : want;
        for (uint32_t t = 0; t < mem->memoryTypeCount; t++) {
            const VkMemoryType *type = &mem->memoryTypes[t];
            if ((type->propertyFlags & need) == need &&
                (heap == UINT32_MAX || type->heapIndex == heap))
                return t;
        }
    }
    return UINT32_MAX;
}

uint32_t alvk_direct_memory_type(const VkPhysicalDeviceMemoryProperties *mem) {
    uint32_t heap = largest_device_heap(mem);
    if (heap == UINT32_MAX) return UINT32_MAX;
    return find_type(mem,
                     VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT | VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                         VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
                     0, heap);
}

static void set_pool(alvk_mem_pool *pool, const VkPhysicalDeviceMemoryProperties *mem, uint32_t type,
                     int mapped) {
    pool->type = type;
    pool->heap = mem->memoryTypes[type].heapIndex;
    pool->mapped = mapped;
}

alvk_status alvk_memory_init(alvk_context *ctx) {
    const VkPhysicalDeviceMemoryProperties *mem = &ctx->memprops;
    alvk_memory *m = &ctx->memory;
    uint32_t direct = alvk_direct_memory_type(mem);
    if (direct != UINT32_MAX && !ctx->force_staging) {
        set_pool(&m->device, mem, direct, 1);
    } else {
        uint32_t t = find_type(mem, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, 0, largest_device_heap(mem));
        if (t == UINT32_MAX) t = 0; /* no device-local type at all: take any */
        set_pool(&m->device, mem, t, 0);
    }
    uint32_t host = find_type(mem, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
                              VK_MEMORY_PROPERTY_HOST_CACHED_BIT, UINT32_MAX);
    if (host == UINT32_MAX)
        return alvk_error(ALVK_ERROR_UNSUPPORTED, "the device has no host-visible coherent memory");
    set_pool(&m->host, mem, host, 1);

    const VkPhysicalDeviceLimits *lim = &ctx->limits;
    VkDeviceSize a = 16;
    VkDeviceSize needs[] = {lim->minStorageBufferOffsetAlignment, lim->minTexelBufferOffsetAlignment,
                            lim->minUniformBufferOffsetAlignment, lim->nonCoherentAtomSize};
    for (size_t i = 0; i < sizeof needs / sizeof needs[0]; i++)
        if (needs[i] > a) a = needs[i];
    m->alignment = a;
    m->block_size = BLOCK_SIZE;
    return ALVK_OK;
}

static void destroy_block(alvk_context *ctx, alvk_block *b) {
    alvk_vk *vk = &ctx->vk;
    if (b->buffer) vk->vkDestroyBuffer(ctx->device, b->buffer, ctx->allocator);
    if (b->memory) {
        if (b->mapped) vk->vkUnmapMemory(ctx->device, b->memory);
        vk->vkFreeMemory(ctx->device, b->memory, ctx->allocator);
        ctx->memory.heap_used[b->pool->heap] -= b->reserved;
    }
    while (b->free) {
        alvk_range *r = b->free;
        b->free = r->next;
        free(r);
    }
    free(b);
}

static alvk_status out_of_memory(alvk_context *ctx, const alvk_mem_pool *pool, VkDeviceSize asked,
                                 const char *why) {
    char a[32], l[32], t[32];
    VkDeviceSize heap = ctx->memprops.memoryHeaps[pool->heap].size;
    VkDeviceSize used = ctx->memory.heap_used[pool->heap];
    return alvk_error(ALVK_ERROR_OUT_OF_DEVICE_MEMORY,
                      "asked for %s of device memory, %s left in heap %u (%s in all)%s",
                      alvk_format_bytes(a, asked), alvk_format_bytes(l, heap - used), pool->heap,
                      alvk_format_bytes(t, heap), why);
}

static alvk_status create_block(alvk_context *ctx, alvk_mem_pool *pool, VkDeviceSize need,
                                alvk_block **out) {
    alvk_vk *vk = &ctx->vk;
    alvk_memory *m = &ctx->memory;
    VkDeviceSize heap = ctx->memprops.memoryHeaps[pool->heap].size;
    VkDeviceSize left = heap - m->heap_used[pool->heap];
    VkDeviceSize max_alloc = ctx->infos[ctx->device_index].max_memory_allocation;
    if (max_alloc == 0) max_alloc = heap;
    if (need > left) return out_of_memory(ctx, pool, need, "");
    if (need > max_alloc) {
        char b[40];
        alvk_format_bytes(b, max_alloc);
        char why[96];
        snprintf(why, sizeof why, "; one allocation is at most %s on this device", b);
        return out_of_memory(ctx, pool, need, why);
    }
    /* A full block when it fits, else exactly what was asked. */
    VkDeviceSize size = m->block_size;
    if (size < need || size > left || size > max_alloc) size = need;

    alvk_block *b = calloc(1, sizeof *b);
    if (!b) return alvk_error(ALVK_ERROR_OUT_OF_HOST_MEMORY, "allocating a memory block record");
    b->pool = pool;
    b->size = size;
    VkBufferCreateInfo binfo = {
        .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
        .size = size,
        .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_UNIFORM_TEXEL_BUFFER_BIT |
                 VK_BUFFER_USAGE_STORAGE_TEXEL_BUFFER_BIT | VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT |
                 VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
        .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    VkResult r = vk->vkCreateBuffer(ctx->device, &binfo, ctx->allocator, &b->buffer);
    alvk_status s = ALVK_OK;
    if (r != VK_SUCCESS) s = alvk_vk_error(r, "vkCreateBuffer");
    VkMemoryRequirements req = {0};
    if (s == ALVK_OK) {
        vk->vkGetBufferMemoryRequirements(ctx->device, b->buffer, &req);
        if (!(req.memoryTypeBits & (1u << pool->type)))
            s = alvk_error(ALVK_ERROR_UNSUPPORTED, "memory type %u cannot hold storage buffers",
                           pool->type);
        else if (req.size > left)
            s = out_of_memory(ctx, pool, req.size, "");
    }
    if (s == ALVK_OK) {
        VkMemoryAllocateInfo ainfo = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                                      .allocationSize = req.size,
                                      .memoryTypeIndex = pool->type};
        r = vk->vkAllocateMemory(ctx->device, &ainfo, ctx->allocator, &b->memory);
        if (r == VK_ERROR_OUT_OF_DEVICE_MEMORY || r == VK_ERROR_OUT_OF_HOST_MEMORY)
            s = out_of_memory(ctx, pool, req.size, " (the driver refused)");
        else if (r != VK_SUCCESS)
            s = alvk_vk_error(r, "vkAllocateMemory");
        else {
            b->reserved = req.size;
            m->heap_used[pool->heap] += req.size;
        }
    }
    if (s == ALVK_OK && (r = vk->vkBindBufferMemory(ctx->device, b->buffer, b->memory, 0)) != VK_SUCCESS)
        s = alvk_vk_error(r, "vkBindBufferMemory");
    if (s == ALVK_OK && pool->mapped) {
        void *p = NULL;
        r = vk->vkMapMemory(ctx->device, b->memory, 0, VK_WHOLE_SIZE, 0, &p);
        if (r != VK_SUCCESS) s = alvk_vk_error(r, "vkMapMemory");
        b->mapped = p;
    }
    if (s == ALVK_OK && !(b->free = calloc(1, sizeof *b->free)))
        s = alvk_error(ALVK_ERROR_OUT_OF_HOST_MEMORY, "allocating a free-list entry");
    if (s == ALVK_OK) s = alvk_check_validation(ctx);
    if (s != ALVK_OK) {
        destroy_block(ctx, b);
        return s;
    }
    b->free->size = size;
    b->next = pool->blocks;
    pool->blocks = b;
    *out = b;
    return ALVK_OK;
}

/* Takes asize bytes from the first free range that holds them. */
static int take_range(alvk_block *b, VkDeviceSize asize, VkDeviceSize *offset) {
    for (alvk_range **p = &b->free; *p; p = &(*p)->next) {
        alvk_range *r = *p;
        if (r->size < asize) continue;
        *offset = r->offset;
        r->offset += asize;
        r->size -= asize;
        if (r->size == 0) {
            *p = r->next;
            free(r);
        }
        b->used += asize;
        return 1;
    }
    return 0;
}

static alvk_status pool_alloc(alvk_context *ctx, alvk_mem_pool *pool, VkDeviceSize size,
                              alvk_buffer *out) {
    memset(out, 0, sizeof *out);
    if (size == 0) return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "a buffer of 0 bytes");
    if (size > UINT64_MAX / 2) return out_of_memory(ctx, pool, size, "");
    VkDeviceSize asize = align_up(size, ctx->memory.alignment);
    VkDeviceSize offset = 0;
    alvk_block *b = pool->blocks;
    while (b && !take_range(b, asize, &offset)) b = b->next;
    if (!b) {
        alvk_status s = create_block(ctx, pool, asize, &b);
        if (s != ALVK_OK) return s;
        take_range(b, asize, &offset);
    }
    out->buffer = b->buffer;
    out->offset = offset;
    out->size = size;
    out->mapped = b->mapped ? b->mapped + offset : NULL;
    out->block = b;
    return ALVK_OK;
}

alvk_status alvk_buffer_alloc(alvk_context *ctx, VkDeviceSize size, alvk_buffer *out) {
    return pool_alloc(ctx, &ctx->memory.device, size, out);
}

alvk_status alvk_host_buffer_alloc(alvk_context *ctx, VkDeviceSize size, alvk_buffer *out) {
    return pool_alloc(ctx, &ctx->memory.host, size, out);
}

/* Puts [offset, offset+size) back into the sorted free list, merging with
 * its neighbours. */
static void give_range(alvk_block *b, VkDeviceSize offset, VkDeviceSize size) {
    b->used -= size;
    alvk_range *prev = NULL, *next = b->free;
    while (next && next->offset < offset) prev = next, next = next->next;
    if (prev && prev->offset + prev->size == offset) {
        prev->size += size;
        if (next && prev->offset + prev->size == next->offset) {
            prev->size += next->size;
            prev->next = next->next;
            free(next);
        }
        return;
    }
    if (next && offset + size == next->offset) {
        next->offset = offset;
        next->size += size;
        return;
    }
    alvk_range *r = malloc(sizeof *r);
    if (!r) return; /* the range stays lost until its block is freed; nothing breaks */
    *r = (alvk_range){offset, size, next};
    if (prev) prev->next = r;
    else b->free = r;
}

alvk_buffer alvk_buffer_view(const alvk_buffer *buf, VkDeviceSize offset, VkDeviceSize size) {
    alvk_buffer v = *buf;
    v.offset += offset;
    v.size = size;
    v.mapped = buf->mapped ? buf->mapped + offset : NULL;
    return v;
}

uint64_t alvk_memory_in_use(const alvk_context *ctx) {
    uint64_t sum = 0;
    for (const alvk_block *b = ctx->memory.device.blocks; b; b = b->next) sum += b->used;
    return sum;
}

void alvk_buffer_free(alvk_context *ctx, alvk_buffer *buf) {
    alvk_block *b = buf->block;
    if (!b) return;
    give_range(b, buf->offset, align_up(buf->size, ctx->memory.alignment));
    if (b->used == 0) {
        alvk_block **p = &b->pool->blocks;
        while (*p != b) p = &(*p)->next;
        *p = b->next;
        destroy_block(ctx, b);
    }
    memset(buf, 0, sizeof *buf);
}

static void destroy_pool(alvk_context *ctx, alvk_mem_pool *pool) {
    while (pool->blocks) {
        alvk_block *b = pool->blocks;
        pool->blocks = b->next;
        destroy_block(ctx, b);
    }
}

void alvk_memory_destroy(alvk_context *ctx) {
    destroy_pool(ctx, &ctx->memory.device);
    destroy_pool(ctx, &ctx->memory.host);
}
