#version 450
#extension GL_GOOGLE_include_directive : require
// y = f(x) elementwise, four elements per invocation. f is constant OP (the
// order of ALVK_UNARY_OPS in engine/ops/ops.h). alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(constant_id = 3) const uint OP = 0;
layout(push_constant) uniform Push { uint n; float alpha, beta; } pc;
ALVK_IN4(0, x);
layout(std430, binding = 1) writeonly buffer Y { vec4 y[]; };

vec4 f(vec4 v) {
    if (OP == 0) return mix(v, vec4(0.0), lessThan(v, vec4(0.0)));  // relu: NaN stays NaN (max() may drop it)
    if (OP == 1) return 1.0 / (1.0 + exp(-v));       // sigmoid
    if (OP == 2) return pc.alpha * v;                // scale
    if (OP == 3) return v * v;                       // square
    if (OP == 4) return sqrt(v);                     // sqrt
    return pc.alpha * v + pc.beta;                   // affine
}

void main() {
    uint q = alvk_flat_index(), i = 4u * q;
    if (i >= pc.n) return;
    vec4 r = f(LOAD4(x, q));
    if (i + 3u < pc.n) {
        y[q] = r;  // a whole vec4: one store
        return;
    }
    for (uint c = 0u; c < 4u && i + c < pc.n; c++) y[q][c] = r[c];
}
