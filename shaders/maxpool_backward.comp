#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : enable
// Max pooling backward as a gather, so no two invocations write one place
// and no atomics are needed: each input pixel sums dy over the windows that
// cover it and chose it. An invocation owns one input row (divisions once
// per row, not per pixel). At most SPAN = ceil(K / S) windows cover a pixel
// along each axis, so the window loops unroll; every candidate loads (index
// 0 where there is none) and selects, which lavapipe runs far faster than
// data-dependent loops.
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(constant_id = 3) const uint SPAN = 2;
layout(push_constant) uniform Push { uint planes, H, W, OH, OW, K, S, P; } pc;
ALVK_IN1U(0, argmax);
ALVK_IN1(1, dy);
layout(std430, binding = 2) writeonly buffer DX { float dx[]; };

// Window o - a along one axis covers position i (its last candidate o is
// the last window starting at or before i): o*S - P <= i < o*S - P + K.
bool covers(uint i, uint a, uint n_out, out uint o) {
    uint last = (i + pc.P) / pc.S;
    o = last - a;  // wraps when a > last, which the range test catches
    return a <= last && o < n_out && o * pc.S + pc.K > i + pc.P;
}

void main() {
    uint r = alvk_flat_index();  // row (plane, ih)
    if (r >= pc.planes * pc.H) return;
    uint plane = r / pc.H, ih = r % pc.H;
    for (uint iw = 0u; iw < pc.W; iw++) {
        uint p = ih * pc.W + iw;
        float g = 0.0;
        [[unroll]] for (uint a = 0u; a < SPAN; a++) {
            uint oh, ow;
            bool in_h = covers(ih, a, pc.OH, oh);
            [[unroll]] for (uint b = 0u; b < SPAN; b++) {
                bool hit = in_h && covers(iw, b, pc.OW, ow);
                uint o = hit ? (plane * pc.OH + oh) * pc.OW + ow : 0u;
                uint from = LOAD1U(argmax, o);
                float d = LOAD1(dy, o);
                g += hit && from == p ? d : 0.0;
            }
        }
        dx[r * pc.W + iw] = g;
    }
}
