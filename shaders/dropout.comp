#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : enable
// Dropout: y[k] = x[k] * scale where element k is kept, x[k] * 0 where it
// is dropped (a NaN stays NaN, as PyTorch's multiply keeps it). Element k
// of the graph's run r is kept when the high word of
// alvk_random(seed, r, k) is at least `threshold` (floor(p 2^32)), so the
// host reproduces every mask (tests/ref) and a gradient, dropout of dy with
// the same seed in the same run, multiplies by the same mask. r comes from
// the graph's run counter on the device, which the graph advances after
// its last dropout of a run (count.comp). Four elements per invocation.
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"
#include "random.glsl"

layout(push_constant) uniform Push { uint n, seed_lo, seed_hi, threshold; float scale; } pc;
layout(std430, binding = 0) readonly buffer Runs { uint run; };
ALVK_IN4(1, x);
layout(std430, binding = 2) writeonly buffer Y { vec4 y[]; };

void main() {
    // Before any branch: lavapipe loads a uniform address once for all
    // lanes only outside control flow.
    uvec2 stream = alvk_random_stream(uvec2(pc.seed_lo, pc.seed_hi), uvec2(run, 0u));
    uint q = alvk_flat_index(), i = 4u * q;
    if (i >= pc.n) return;
    vec4 keep;
    [[unroll]] for (uint c = 0u; c < 4u; c++)
        keep[c] = alvk_random_at(stream, uvec2(i + c, 0u)).y >= pc.threshold ? pc.scale : 0.0;
    vec4 r = LOAD4(x, q) * keep;
    if (i + 3u < pc.n) {
        y[q] = r;  // a whole vec4: one store
        return;
    }
    for (uint c = 0u; c < 4u && i + c < pc.n; c++) y[q][c] = r[c];
}
