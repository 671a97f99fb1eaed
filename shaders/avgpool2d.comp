#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : enable
// Average pooling, PyTorch's AvgPool2d with count_include_pad=True: the sum
// of each K x K window at stride S, padding P counting as zeros, over K^2.
// As in maxpool.comp the window is a specialisation constant, so its loops
// unroll, and every tap loads (index 0 in the padding) and selects,
// branch-free. alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(constant_id = 3) const uint K = 3;
layout(push_constant) uniform Push { uint planes, H, W, OH, OW, K, S, P; } pc;
ALVK_IN1(0, x);
layout(std430, binding = 1) writeonly buffer Y { float y[]; };

void main() {
    uint o = alvk_flat_index();
    uint ohw = pc.OH * pc.OW;
    if (o >= pc.planes * ohw) return;
    uint plane = o / ohw, oh = (o % ohw) / pc.OW, ow = o % pc.OW;
    int h0 = int(oh * pc.S) - int(pc.P), w0 = int(ow * pc.S) - int(pc.P);
    float sum = 0.0;
    [[unroll]] for (uint kh = 0u; kh < K; kh++) {
        int ih = h0 + int(kh);
        [[unroll]] for (uint kw = 0u; kw < K; kw++) {
            int iw = w0 + int(kw);
            bool inside = uint(ih) < pc.H && uint(iw) < pc.W;
            float v = LOAD1(x, inside ? plane * pc.H * pc.W + uint(ih) * pc.W + uint(iw) : 0u);
            sum += inside ? v : 0.0;
        }
    }
    y[o] = sum / float(K * K);
}
