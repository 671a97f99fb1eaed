#version 450
#extension GL_GOOGLE_include_directive : require
// y = f(x) elementwise, four elements per invocation. f is constant OP, one
// of ALVK_UNARY_OPS (engine/ops/ops.h; alvk_ops.glsl is made from it).
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_ops.glsl"
#include "alvk_read.glsl"
#include "normal.glsl"

layout(constant_id = 3) const uint OP = 0;
layout(push_constant) uniform Push { uint n; float alpha, beta; } pc;
ALVK_IN4(0, x);
layout(std430, binding = 1) writeonly buffer Y { vec4 y[]; };

vec4 f(vec4 v) {
    if (OP == UNARY_RELU) return mix(v, vec4(0.0), lessThan(v, vec4(0.0)));  // NaN stays NaN (max() may drop it)
    if (OP == UNARY_SIGMOID) return 1.0 / (1.0 + exp(-v));
    if (OP == UNARY_SCALE) return pc.alpha * v;
    if (OP == UNARY_SQUARE) return v * v;
    if (OP == UNARY_SQRT) return sqrt(v);
    if (OP == UNARY_TANH) return tanh(clamp(v, -15.0, 15.0));  // past 15 it is +-1 in f32; no inf/inf
    if (OP == UNARY_EXP) return exp(v);
    if (OP == UNARY_LOG) return log(v);
    if (OP == UNARY_LEAKY_RELU) return mix(v, pc.alpha * v, lessThan(v, vec4(0.0)));  // alpha: the slope
    if (OP == UNARY_GELU) return v * alvk_normal_cdf(v);  // exact (erf) form: normal.glsl
    return pc.alpha * v + pc.beta;  // UNARY_AFFINE
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
