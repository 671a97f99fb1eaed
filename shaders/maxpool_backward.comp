#version 450
#extension GL_GOOGLE_include_directive : require
// Max pooling backward as a gather, so no two invocations write one place
// and no atomics are needed: each input pixel sums dy over the windows that
// cover it and chose it. An invocation owns one input row (divisions once
// per row, not per pixel).
#include "alvk.glsl"

layout(push_constant) uniform Push { uint planes, H, W, OH, OW, K, S, P; } pc;
layout(std430, binding = 0) readonly buffer Arg { uint argmax[]; };
layout(std430, binding = 1) readonly buffer DY { float dy[]; };
layout(std430, binding = 2) writeonly buffer DX { float dx[]; };

void main() {
    uint r = alvk_flat_index();  // row (plane, ih)
    if (r >= pc.planes * pc.H) return;
    uint plane = r / pc.H, ih = r % pc.H;
    // Outputs whose window [o*S - P, o*S - P + K) holds ih: o*S <= ih + P < o*S + K.
    int lo_h = (int(ih + pc.P) - int(pc.K) + int(pc.S)) / int(pc.S);
    uint hi_h = min((ih + pc.P) / pc.S, pc.OH - 1u);
    for (uint iw = 0u; iw < pc.W; iw++) {
        uint p = ih * pc.W + iw;
        int lo_w = (int(iw + pc.P) - int(pc.K) + int(pc.S)) / int(pc.S);
        uint hi_w = min((iw + pc.P) / pc.S, pc.OW - 1u);
        float g = 0.0;
        for (uint oh = uint(max(lo_h, 0)); oh <= hi_h; oh++)
            for (uint ow = uint(max(lo_w, 0)); ow <= hi_w; ow++) {
                uint o = (plane * pc.OH + oh) * pc.OW + ow;
                if (argmax[o] == p) g += dy[o];
            }
        dx[r * pc.W + iw] = g;
    }
}
