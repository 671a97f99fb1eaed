#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : enable
// Max pooling, PyTorch semantics: windows K x K at stride S, padding P whose
// positions never win; the first maximum in row-major window order wins
// ties. Also records where each maximum came from (index in the input
// plane), which is all the backward pass needs. The window is a
// specialisation constant, so its loops unroll; every tap loads (index 0 in
// the padding) and selects, branch-free. alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(constant_id = 3) const uint K = 3;
layout(push_constant) uniform Push { uint planes, H, W, OH, OW, K, S, P; } pc;
ALVK_IN1(0, x);
layout(std430, binding = 1) writeonly buffer Y { float y[]; };
layout(std430, binding = 2) writeonly buffer Arg { uint argmax[]; };

void main() {
    uint o = alvk_flat_index();
    uint ohw = pc.OH * pc.OW;
    if (o >= pc.planes * ohw) return;
    uint plane = o / ohw, oh = (o % ohw) / pc.OW, ow = o % pc.OW;
    int h0 = int(oh * pc.S) - int(pc.P), w0 = int(ow * pc.S) - int(pc.P);
    float best = uintBitsToFloat(0xff800000u);  // -inf
    uint where = 0u;
    [[unroll]] for (uint kh = 0u; kh < K; kh++) {
        int ih = h0 + int(kh);
        [[unroll]] for (uint kw = 0u; kw < K; kw++) {
            int iw = w0 + int(kw);
            bool inside = uint(ih) < pc.H && uint(iw) < pc.W;
            uint i = uint(ih) * pc.W + uint(iw);
            float v = LOAD1(x, inside ? plane * pc.H * pc.W + i : 0u);
            bool wins = inside && v > best;
            best = wins ? v : best;
            where = wins ? i : where;
        }
    }
    y[o] = best;
    argmax[o] = where;
}
