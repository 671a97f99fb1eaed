#version 450
#extension GL_GOOGLE_include_directive : require
// The gather half of a convolution's data gradient: col[(n,oh,ow)][(ci,kh,kw)]
// (row stride ldc) holds dy times the weights for every tap; each input
// pixel sums the taps that reached it. One writer per dx element, no
// atomics, fixed order. An invocation owns one input row (n, ci, ih) and
// walks it, so the divisions happen once per row, not per pixel; STRIDE1
// drops the divisibility tests that stride 1 never fails.
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(constant_id = 3) const uint STRIDE1 = 0;
layout(push_constant) uniform Push { uint N, Cin, H, W, KH, KW, stride, pad, OH, OW, ldc; } pc;
ALVK_IN1(0, col);
layout(std430, binding = 1) writeonly buffer DX { float dx[]; };

void main() {
    uint r = alvk_flat_index();  // row (n, ci, ih)
    if (r >= pc.N * pc.Cin * pc.H) return;
    uint ih = r % pc.H, ci = (r / pc.H) % pc.Cin, n = r / (pc.H * pc.Cin);
    uint s = STRIDE1 != 0u ? 1u : pc.stride;
    for (uint iw = 0u; iw < pc.W; iw++) {
        float sum = 0.0;
        for (uint kh = 0u; kh < pc.KH; kh++) {
            int th = int(ih + pc.pad) - int(kh);
            if (th < 0 || (STRIDE1 == 0u && th % int(s) != 0)) continue;
            uint oh = uint(th) / s;
            if (oh >= pc.OH) continue;
            uint base = (n * pc.OH + oh) * pc.OW;
            uint tap = (ci * pc.KH + kh) * pc.KW;
            for (uint kw = 0u; kw < pc.KW; kw++) {
                int tw = int(iw + pc.pad) - int(kw);
                if (tw < 0 || (STRIDE1 == 0u && tw % int(s) != 0)) continue;
                uint ow = uint(tw) / s;
                if (ow >= pc.OW) continue;
                sum += LOAD1(col, (base + ow) * pc.ldc + tap + kw);
            }
        }
        dx[r * pc.W + iw] = sum;
    }
}
