#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : enable
// Average pooling backward as a gather, so no two invocations write one
// place and no atomics are needed: each input pixel takes the sum of dy
// over the windows that cover it, over K^2 (count_include_pad=True: every
// window divides by K^2). As in maxpool_backward.comp an invocation owns an
// S x S block of input pixels (S the stride), which at most
// SPAN = ceil((K + S - 1) / S) windows per axis reach: it loads those
// windows' dy once and hands each to the pixels it covers, instead of every
// pixel loading every window over it (3x3 windows at stride 2: 4 loads
// per 4 pixels rather than 16). The loops unroll; every candidate loads (index 0
// where there is no window) and selects; a pixel adds its windows in a
// fixed order, so runs repeat bit for bit.
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(constant_id = 3) const uint S = 2;     // the stride: the block's side
layout(constant_id = 4) const uint SPAN = 2;  // windows per axis that reach a block
layout(push_constant) uniform Push { uint planes, H, W, OH, OW, K, S, P; } pc;
ALVK_IN1(0, dy);
layout(std430, binding = 1) writeonly buffer DX { float dx[]; };

void main() {
    uint BH = (pc.H + S - 1u) / S, BW = (pc.W + S - 1u) / S;
    uint v = alvk_flat_index();  // block (plane, bh, bw)
    if (v >= pc.planes * BH * BW) return;
    uint plane = v / (BH * BW), bh = (v / BW) % BH, bw = v % BW;
    // The last window that starts at or before the block's last row
    // (column); candidates run back from it.
    uint last_h = (bh * S + S - 1u + pc.P) / S, last_w = (bw * S + S - 1u + pc.P) / S;
    int top[SPAN], left[SPAN];  // where each candidate window starts
    float d[SPAN][SPAN];
    [[unroll]] for (uint a = 0u; a < SPAN; a++) {
        top[a] = int((last_h - a) * S) - int(pc.P);
        left[a] = int((last_w - a) * S) - int(pc.P);
    }
    [[unroll]] for (uint a = 0u; a < SPAN; a++)
        [[unroll]] for (uint b = 0u; b < SPAN; b++) {
            uint oh = last_h - a, ow = last_w - b;  // wraps below 0: out of range
            bool real = oh < pc.OH && ow < pc.OW;
            float g = LOAD1(dy, real ? (plane * pc.OH + oh) * pc.OW + ow : 0u);
            d[a][b] = real ? g : 0.0;
        }
    [[unroll]] for (uint i = 0u; i < S; i++)
        [[unroll]] for (uint j = 0u; j < S; j++) {
            uint ih = bh * S + i, iw = bw * S + j;
            float g = 0.0;
            [[unroll]] for (uint a = 0u; a < SPAN; a++)
                [[unroll]] for (uint b = 0u; b < SPAN; b++) {
                    bool covers = uint(int(ih) - top[a]) < pc.K && uint(int(iw) - left[b]) < pc.K;
                    g += covers ? d[a][b] : 0.0;
                }
            if (ih < pc.H && iw < pc.W) dx[(plane * pc.H + ih) * pc.W + iw] = g / float(pc.K * pc.K);
        }
}
