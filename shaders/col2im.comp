#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : enable
// The gather half of a convolution's data gradient: col[(n,oh,ow)][(ci,kh,kw)]
// (row stride ldc) holds dy times the weights for every tap; each input
// pixel sums the taps that reached it. One writer per dx element, no
// atomics, fixed order. An invocation owns one input row (n, ci, ih) and
// walks it, so the divisions happen once per row, not per pixel. The kernel
// window is constant, so the tap loops unroll and the divisibility tests
// compile to masks; every tap loads (index 0 when it missed) and selects,
// which on lavapipe runs 2-3x faster than branching around the loads.
// A fused epilogue (ops.h: alvk_epilogue; in training, a ReLU's gradient
// after the sum of a residual block's two branch gradients):
// dx = relu?(dx + residual?) * (mask > 0)?, the same expressions as
// binary.comp's add, unary.comp's relu and unary_backward.comp's.
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(constant_id = 3) const uint KH = 3;
layout(constant_id = 4) const uint KW = 3;
layout(constant_id = 5) const uint STRIDE = 1;
layout(constant_id = 6) const uint PAD = 1;
layout(constant_id = 7) const uint RESIDUAL = 0;
layout(constant_id = 8) const uint RELU = 0;
layout(constant_id = 9) const uint MASK = 0;
layout(push_constant) uniform Push { uint N, Cin, H, W, OH, OW, ldc; } pc;
ALVK_IN1(0, col);
layout(std430, binding = 1) writeonly buffer DX { float dx[]; };
ALVK_IN1(2, residual);  // laid out as dx (any buffer when off)
ALVK_IN1(3, mask);

// The output position o that tap t of input position p came from, if any:
// p + PAD = o * STRIDE + t.
bool source(uint p, uint t, uint n_out, out uint o) {
    uint q = p + PAD - t;  // wraps when negative, which the range test catches
    o = q / STRIDE;
    return p + PAD >= t && q % STRIDE == 0u && o < n_out;
}

void main() {
    uint r = alvk_flat_index();  // row (n, ci, ih)
    if (r >= pc.N * pc.Cin * pc.H) return;
    uint ih = r % pc.H, ci = (r / pc.H) % pc.Cin, n = r / (pc.H * pc.Cin);
    for (uint iw = 0u; iw < pc.W; iw++) {
        float sum = 0.0;
        [[unroll]] for (uint kh = 0u; kh < KH; kh++) {
            uint oh, ow;
            bool hit_h = source(ih, kh, pc.OH, oh);
            uint base = (n * pc.OH + oh) * pc.OW, tap = (ci * KH + kh) * KW;
            [[unroll]] for (uint kw = 0u; kw < KW; kw++) {
                bool hit = hit_h && source(iw, kw, pc.OW, ow);
                float v = LOAD1(col, hit ? (base + ow) * pc.ldc + tap + kw : 0u);
                sum += hit ? v : 0.0;
            }
        }
        uint at = r * pc.W + iw;
        if (RESIDUAL != 0u) sum += LOAD1(residual, at);
        if (RELU != 0u && sum < 0.0) sum = 0.0;
        if (MASK != 0u) sum *= float(LOAD1(mask, at) > 0.0);
        dx[at] = sum;
    }
}
