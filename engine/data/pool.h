/* The device-resident pool of images and labels, as the graph sees it. */
#ifndef ALVK_POOL_H
#define ALVK_POOL_H

#include "alvk/alvk.h"
#include "core/handle.h"
#include "vk/memory.h"

struct alvk_pool {
    alvk_handle h; /* first: its context's user; its gathers' dependency */
    alvk_context *ctx;
    uint32_t count, rows, cols;
    uint32_t classes;           /* the largest label + 1 */
    alvk_buffer images, labels; /* bytes */
};

#endif
