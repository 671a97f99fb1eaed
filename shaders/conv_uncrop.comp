#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : enable
// A convolution's weight gradient over its full KH x KW window from the one
// over a cropped window (engine/ops/conv.c, crop): taps inside the crop
// copy, taps outside it are 0 (they only ever met padding).
//   dw[co][ci][kh][kw] = dwc[co][ci][kh - LO][kw - LO]
// An invocation spreads 4 filters (f = co * Cin + ci = 4q .. 4q + 3): it
// reads their KC^2 taps each as KC^2 vec4s (4 filters' crops are contiguous)
// and writes their KH KW taps each as KH KW vec4s, all indices constants;
// lavapipe pays per load and store, and a vec4 costs little more than one
// float (one value per invocation made this pass cost as much as the GEMM
// before it).
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(constant_id = 3) const uint KH = 3;
layout(constant_id = 4) const uint KW = 3;
layout(constant_id = 5) const uint KC = 1;  // the crop's side
layout(constant_id = 6) const uint LO = 1;  // its first tap along each axis
layout(push_constant) uniform Push { uint filters; } pc;
ALVK_IN4(0, dwc);
layout(std430, binding = 1) writeonly buffer DW { vec4 dw[]; };

const uint TAPS = KH * KW, CROP = KC * KC;

void main() {
    uint q = alvk_flat_index();
    if (4u * q >= pc.filters) return;
    bool whole = 4u * q + 3u < pc.filters;
    float c[4u * CROP];  // the 4 filters' cropped taps, in memory order
    [[unroll]] for (uint k = 0u; k < CROP; k++) {
        vec4 v = whole ? LOAD4(dwc, CROP * q + k) : vec4(0.0);
        [[unroll]] for (uint j = 0u; j < 4u; j++) {
            uint at = 4u * (CROP * q + k) + j;  // a partial last group reads in range only
            c[4u * k + j] = whole ? v[j] : (at < CROP * pc.filters ? LOAD4_1(dwc, at) : 0.0);
        }
    }
    [[unroll]] for (uint k = 0u; k < TAPS; k++) {
        vec4 out4;
        [[unroll]] for (uint j = 0u; j < 4u; j++) {
            uint e = 4u * k + j, l = e / TAPS, t = e % TAPS;  // filter 4q + l, tap t
            uint kh = t / KW - LO, kw = t % KW - LO;           // wrap below LO: outside
            out4[j] = kh < KC && kw < KC ? c[CROP * l + kh * KC + kw] : 0.0;
        }
        if (whole) {
            dw[TAPS * q + k] = out4;
        } else {
            [[unroll]] for (uint j = 0u; j < 4u; j++)
                if (4u * q + (4u * k + j) / TAPS < pc.filters) dw[TAPS * q + k][j] = out4[j];
        }
    }
}
