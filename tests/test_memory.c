/* Device memory: round trips at odd sizes and offsets, above
 * maxStorageBufferRange, through both the mapped and the staging path; the
 * sub-allocator's reuse; and running out of memory without breaking. */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

static void fill(uint8_t *p, size_t n, uint32_t seed) {
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)((i * 2654435761u + seed) >> 13);
}

/* Writes a pattern at offset, reads it back, checks it and the bytes around. */
static void round_trip(alvk_context *ctx, size_t size, size_t offset) {
    alvk_buffer buf;
    TEST_OK(alvk_buffer_alloc(ctx, size + offset + 1, &buf));
    cr_assert_eq(buf.offset % ctx->memory.alignment, 0, "offset %llu unaligned",
                 (unsigned long long)buf.offset);
    uint8_t *src = malloc(size), *dst = malloc(size + 2);
    cr_assert(src && dst);
    fill(src, size, (uint32_t)size);
    uint8_t guard[1] = {0xA5};
    if (offset) TEST_OK(alvk_buffer_write(ctx, &buf, offset - 1, guard, 1));
    TEST_OK(alvk_buffer_write(ctx, &buf, size + offset, guard, 1));
    TEST_OK(alvk_buffer_write(ctx, &buf, offset, src, size));
    TEST_OK(alvk_buffer_read(ctx, &buf, offset, dst, size));
    size_t bad = size;
    for (size_t i = 0; i < size && bad == size; i++)
        if (src[i] != dst[i]) bad = i;
    cr_expect_eq(bad, size, "size %zu offset %zu: first difference at byte %zu", size, offset, bad);
    TEST_OK(alvk_buffer_read(ctx, &buf, size + offset, dst, 1));
    cr_expect_eq(dst[0], 0xA5, "the write ran past its end");
    if (offset) {
        TEST_OK(alvk_buffer_read(ctx, &buf, offset - 1, dst, 1));
        cr_expect_eq(dst[0], 0xA5, "the write started before its offset");
    }
    alvk_buffer_free(ctx, &buf);
    free(src);
    free(dst);
}

static void odd_sizes(int force_staging) {
    alvk_context *ctx = test_open(&(alvk_context_desc){.force_staging = force_staging});
    cr_expect_eq(ctx->memory.device.mapped, !force_staging && ctx->infos[ctx->device_index].host_visible_device_memory);
    static const size_t sizes[] = {1, 3, 5, 7, 4095, 65537, 1000003};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        round_trip(ctx, sizes[i], 0);
        round_trip(ctx, sizes[i], 3);
    }
    test_close(ctx);
}

Test(memory, round_trips_odd_sizes_mapped) { odd_sizes(0); }
Test(memory, round_trips_odd_sizes_through_staging) { odd_sizes(1); }

static void beyond_binding_range(int force_staging) {
    alvk_context *ctx = test_open(&(alvk_context_desc){.force_staging = force_staging});
    size_t size = (size_t)ctx->limits.maxStorageBufferRange + 12345;
    /* NVIDIA binds 4 GiB - 1 but allocates at most 4 GiB - 2 MiB at once:
     * nothing above its binding range fits in one buffer there. */
    if (size + 8 > ctx->infos[ctx->device_index].max_memory_allocation) {
        test_close(ctx);
        cr_skip_test("one allocation is at most %llu bytes on this device, below its binding range",
                     (unsigned long long)ctx->infos[ctx->device_index].max_memory_allocation);
    }
    round_trip(ctx, size, 7);
    test_close(ctx);
}

Test(memory, round_trips_above_max_storage_buffer_range_mapped) { beyond_binding_range(0); }
Test(memory, round_trips_above_max_storage_buffer_range_through_staging) {
    beyond_binding_range(1);
}

Test(memory, reuses_freed_ranges) {
    alvk_context *ctx = test_open(NULL);
    alvk_buffer a, b, c, d;
    TEST_OK(alvk_buffer_alloc(ctx, 1000, &a));
    TEST_OK(alvk_buffer_alloc(ctx, 1000, &b));
    TEST_OK(alvk_buffer_alloc(ctx, 1000, &c));
    cr_expect(a.buffer == b.buffer && b.buffer == c.buffer, "small buffers share a block");
    cr_expect(a.offset != b.offset && b.offset != c.offset);
    VkDeviceSize b_offset = b.offset;
    alvk_buffer_free(ctx, &b);
    cr_expect_null(b.block, "free clears the handle");
    TEST_OK(alvk_buffer_alloc(ctx, 900, &d));
    cr_expect_eq(d.offset, b_offset, "first fit reuses the hole");
    alvk_buffer_free(ctx, &d);
    alvk_buffer_free(ctx, &a);
    alvk_buffer_free(ctx, &c);
    cr_expect_null(ctx->memory.device.blocks, "an empty block is returned to the driver");
    cr_expect_eq(ctx->memory.heap_used[ctx->memory.device.heap], 0);
    test_close(ctx);
}

Test(memory, rejects_bad_ranges) {
    alvk_context *ctx = test_open(NULL);
    alvk_buffer buf;
    uint8_t x[8] = {0};
    cr_expect_eq(alvk_buffer_alloc(ctx, 0, &buf), ALVK_ERROR_INVALID_ARGUMENT);
    TEST_OK(alvk_buffer_alloc(ctx, 8, &buf));
    cr_expect_eq(alvk_buffer_write(ctx, &buf, 4, x, 8), ALVK_ERROR_INVALID_ARGUMENT);
    cr_expect_eq(alvk_buffer_read(ctx, &buf, 9, x, 0), ALVK_ERROR_INVALID_ARGUMENT);
    alvk_buffer_free(ctx, &buf);
    test_close(ctx);
}

Test(memory, more_than_the_heap_fails_cleanly_and_the_context_still_works) {
    alvk_context *ctx = test_open(NULL);
    VkDeviceSize heap = ctx->memprops.memoryHeaps[ctx->memory.device.heap].size;
    alvk_buffer huge;
    alvk_status s = alvk_buffer_alloc(ctx, heap + (1ull << 30), &huge);
    cr_assert_eq(s, ALVK_ERROR_OUT_OF_DEVICE_MEMORY, "got %s", alvk_status_str(s));
    const char *msg = alvk_last_error();
    cr_expect(strstr(msg, "asked for") && strstr(msg, "left"), "message: %s", msg);
    cr_expect_null(huge.block);
    /* Nothing was lost: ordinary work goes on. */
    round_trip(ctx, 1 << 20, 0);
    test_close(ctx);
}
