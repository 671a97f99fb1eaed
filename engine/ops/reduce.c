/* Deterministic sums over [outer, mid, inner] views: one pass when each
 * output's values fit one workgroup's share, else partial sums per fixed
 * chunk and a second pass over them. Chunking depends on the shape only, so
 * the order of additions, and the result, never changes between runs. */
#include "ops.h"

#define LOCAL 64
#define MAX_PARTS 1024u
#define MIN_CHUNK 2048u
#define SEG_MAX 64u
#define MAX_GRID 65535u
#define SERIAL_MAX 64u  /* sums this short run one invocation per output */

/* Groups for `parts` x `mid` outputs, mid folded into y and z. */
static void grid(uint32_t parts, uint32_t mid, uint32_t g[3]) {
    g[0] = parts;
    g[1] = mid < MAX_GRID ? mid : MAX_GRID;
    g[2] = (mid + g[1] - 1) / g[1];
}

alvk_status alvk_op_reduce(alvk_cmd *cmd, const alvk_reduce *r, const alvk_buffer *x,
                           const alvk_buffer *y) {
    uint64_t count = (uint64_t)r->outer * r->inner;
    if (!r->mid || !count || count * r->mid > UINT32_MAX)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "reduce: bad shape %ux%ux%u", r->outer,
                          r->mid, r->inner);
    if (x->size < 4 * count * r->mid || y->size < 4ull * r->mid)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "reduce: buffers too small for %ux%ux%u",
                          r->outer, r->mid, r->inner);
    /* A part holds at least a workgroup's worth of segments and MIN_CHUNK values. */
    uint32_t segs, seg;
    alvk_segments(r->inner, SEG_MAX, &segs, &seg);
    uint64_t rows = (uint64_t)r->outer * segs, chunk = (rows + MAX_PARTS - 1) / MAX_PARTS;
    if (chunk < LOCAL) chunk = LOCAL;
    if (chunk * seg < MIN_CHUNK) chunk = (MIN_CHUNK + seg - 1) / seg;
    uint32_t parts = (uint32_t)((rows + chunk - 1) / chunk), g[3];
    struct { uint32_t outer, mid, inner, chunk, parts, segs, seg; float scale; } push = {
        r->outer, r->mid, r->inner, (uint32_t)chunk, parts, segs, seg, r->scale};
    alvk_kernel k = {.shader = ALVK_SHADER_reduce, .local = {LOCAL}, .nspec = 3,
                     .spec = {r->square != 0, r->sqrt != 0, count <= SERIAL_MAX}};
    if (count <= SERIAL_MAX) {
        alvk_binding b[2] = {alvk_in1(x), alvk_out(y)};
        return alvk_op_dispatch_1d(cmd, k, b, 2, &push, sizeof push, r->mid);
    }
    if (parts == 1) {
        alvk_binding b[2] = {alvk_in1(x), alvk_out(y)};
        grid(1, r->mid, g);
        return alvk_op_dispatch(cmd, k, b, 2, &push, sizeof push, g);
    }
    alvk_buffer partial;
    alvk_status s = alvk_cmd_scratch(cmd, 4ull * parts * r->mid, &partial);
    if (s != ALVK_OK) return s;
    alvk_binding b1[2] = {alvk_in1(x), alvk_out(&partial)};
    grid(parts, r->mid, g);
    s = alvk_op_dispatch(cmd, k, b1, 2, &push, sizeof push, g);
    if (s != ALVK_OK) return s;
    /* Second pass: [1, mid, parts] -> [mid], squares already taken. */
    push.outer = 1;
    push.inner = parts;
    alvk_segments(parts, SEG_MAX, &push.segs, &push.seg);
    push.chunk = push.segs;
    push.parts = 1;
    k.spec[0] = 0;
    alvk_binding b2[2] = {alvk_in1(&partial), alvk_out(y)};
    grid(1, r->mid, g);
    return alvk_op_dispatch(cmd, k, b2, 2, &push, sizeof push, g);
}
