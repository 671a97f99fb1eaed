#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : enable
// The forward convolution's A operand, as conv_pack.comp's mode 0 lays it
// out (dst[k][i], k = (ci, kh, kw), i = (n, oh, ow), zero rows up to Kp),
// for maps whose input rows and output planes are whole vec4s (the stem:
// 28x28 -> 14x14 through 7x7 taps). An invocation makes the KW rows k =
// (ci, kh, 0 .. KW - 1) of image n: it loads the OH input rows they read
// once, by vec4s, and takes every tap from registers, the geometry
// constant so that every index is known at compile time. On lavapipe the
// fetches are the cost: the stem fetches 98 vec4s per (image, kh) instead
// of 1,372 values. engine/ops/conv.c says when (pack_rows).
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(constant_id = 3) const uint H = 1;
layout(constant_id = 4) const uint W = 4;
layout(constant_id = 5) const uint OH = 1;
layout(constant_id = 6) const uint OW = 4;
layout(constant_id = 7) const uint KH = 1;
layout(constant_id = 8) const uint KW = 1;
layout(constant_id = 9) const uint S = 1;
layout(constant_id = 10) const uint P = 0;
#define OH_MAX 16u  // conv.c keeps OH and W within these
#define W_MAX 32u
layout(push_constant) uniform Push { uint N, Cin, Kp, ldd, groups; } pc;
ALVK_IN4(0, x);
layout(std430, binding = 1) writeonly buffer Dst { vec4 dst[]; };

void main() {
    uint v = alvk_flat_index(), n = v / pc.groups, g = v % pc.groups;  // g = ci KH + kh
    if (n >= pc.N) return;
    uint ci = g / KH, kh = g % KH;
    bool live = ci < pc.Cin;  // else rows past K: zeros
    float img[OH_MAX][W_MAX];  // input row oh S + kh - P for each output row oh
    [[unroll]] for (uint oh = 0u; oh < OH; oh++) {
        int ih = int(oh * S + kh) - int(P);
        bool in_map = live && uint(ih) < H;
        uint base = in_map ? ((n * pc.Cin + ci) * H + uint(ih)) * (W / 4u) : 0u;
        [[unroll]] for (uint q = 0u; q < W / 4u; q++) {
            vec4 r = LOAD4(x, base + q);
            [[unroll]] for (uint c = 0u; c < 4u; c++) img[oh][4u * q + c] = in_map ? r[c] : 0.0;
        }
    }
    [[unroll]] for (uint kw = 0u; kw < KW; kw++) {
        uint k = g * KW + kw;
        if (k >= pc.Kp) break;
        float row[OH_MAX * W_MAX];  // the OH x OW values of row k for image n
        [[unroll]] for (uint oh = 0u; oh < OH; oh++)
            [[unroll]] for (uint ow = 0u; ow < OW; ow++) {
                int iw = int(ow * S + kw) - int(P);
                bool in_map = uint(iw) < W;
                row[oh * OW + ow] = in_map ? img[oh][in_map ? iw : 0] : 0.0;
            }
        uint at = (k * pc.ldd + n * OH * OW) / 4u;
        [[unroll]] for (uint q = 0u; q < OH * OW / 4u; q++)
            dst[at + q] = vec4(row[4u * q], row[4u * q + 1u], row[4u * q + 2u], row[4u * q + 3u]);
    }
}
