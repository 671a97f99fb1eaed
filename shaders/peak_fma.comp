#version 450
#extension GL_GOOGLE_include_directive : require
// Peak FMA throughput, for alvk-bench: each invocation runs 8 independent
// FMA chains (8 live floats, the most lavapipe keeps in registers without
// spilling), 64 steps each: straight-line code, or with LOOP a loop of
// `iters` such blocks (a run-time count, so it stays a loop with
// loop-carried accumulators, which some drivers run far slower).
#include "alvk.glsl"

layout(constant_id = 3) const uint LOOP = 0;
layout(push_constant) uniform Push { float a, b; uint iters; } pc;
layout(std430, binding = 0) writeonly buffer Y { float y[]; };

#define STEP x0 = fma(x0, pc.a, pc.b); x1 = fma(x1, pc.a, pc.b); x2 = fma(x2, pc.a, pc.b); \
             x3 = fma(x3, pc.a, pc.b); x4 = fma(x4, pc.a, pc.b); x5 = fma(x5, pc.a, pc.b); \
             x6 = fma(x6, pc.a, pc.b); x7 = fma(x7, pc.a, pc.b);
#define STEP8 STEP STEP STEP STEP STEP STEP STEP STEP

void main() {
    uint g = gl_GlobalInvocationID.x;
    float x0 = float(g), x1 = x0 + 1.0, x2 = x0 + 2.0, x3 = x0 + 3.0;
    float x4 = x0 + 4.0, x5 = x0 + 5.0, x6 = x0 + 6.0, x7 = x0 + 7.0;
    if (LOOP == 0u) {
        STEP8 STEP8 STEP8 STEP8 STEP8 STEP8 STEP8 STEP8
    } else {
        for (uint i = 0u; i < pc.iters; i++) {
            STEP8 STEP8 STEP8 STEP8 STEP8 STEP8 STEP8 STEP8
        }
    }
    y[g] = x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7;
}
