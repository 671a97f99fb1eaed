#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : enable
// Winograd F(F x F, 3x3): the output transform (include/winograd.glsl).
// The ALPHA^2 GEMMs left m[xi][t][c] (row-major, C columns, sc floats per
// xi); output tile t = (n, th, tw) is Y = A^T m A (F x F), plus the bias,
// written NCHW where it falls inside the OH x OW map. One invocation per
// tile and 4 channels, read as vec4s (C a multiple of 4), or per tile and
// channel.
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(constant_id = 3) const uint HAS_BIAS = 0;
layout(constant_id = 4) const uint LANES = 1;  // channels per invocation: 4 or 1
layout(constant_id = 5) const uint F = 2;
// A fused epilogue (ops.h: alvk_epilogue): y = relu?(y + residual?) *
// (mask > 0)? (the mask: a ReLU's gradient, in the data gradient).
layout(constant_id = 6) const uint RESIDUAL = 0;
layout(constant_id = 7) const uint RELU = 0;
layout(constant_id = 9) const uint MASK = 0;
// WHOLE: a tile is a whole plane (OH = OW = F: ResNet18's 4x4 and 2x2 maps),
// F^2 values from a multiple of 4, stored as vec4s (a store costs lavapipe
// per lane, whatever its width).
layout(constant_id = 8) const uint WHOLE = 0;
#include "winograd.glsl"
layout(push_constant) uniform Push { uint C, OH, OW, TH, TW, T, sc; } pc;
ALVK_IN4(0, m);
layout(std430, binding = 1) writeonly buffer Ybuf { vec4 y[]; };
ALVK_IN1(2, bias);
ALVK_IN1(3, residual);  // laid out as y (any buffer when RESIDUAL is off)
ALVK_IN1(4, mask);      // likewise

// Sums xi of this invocation's channels, from where xi = 0 starts.
vec4 load(uint xi, uint at) {
    return LANES == 4u ? LOAD4(m, (xi * pc.sc + at) >> 2) : vec4(LOAD4_1(m, xi * pc.sc + at));
}

void main() {
    uint i = alvk_flat_index(), groups = pc.C / LANES;
    if (i >= pc.T * groups) return;
    uint c = (i % groups) * LANES, t = i / groups, at = t * pc.C + c;
    uint tw = t % pc.TW, th = (t / pc.TW) % pc.TH, n = t / (pc.TW * pc.TH);
    vec4 h[ALPHA][F];  // h = m A, one lane per channel
    [[unroll]] for (uint a = 0u; a < ALPHA; a++) {
        vec4 row[ALPHA];
        [[unroll]] for (uint b = 0u; b < ALPHA; b++) row[b] = load(ALPHA * a + b, at);
        [[unroll]] for (uint j = 0u; j < F; j++) {
            vec4 s = vec4(0.0);
            [[unroll]] for (uint b = 0u; b < ALPHA; b++) s += row[b] * AT(j, b);
            h[a][j] = s;
        }
    }
    [[unroll]] for (uint l = 0u; l < LANES; l++) {
        float b0 = HAS_BIAS != 0u ? LOAD1(bias, c + l) : 0.0;
        uint base = (n * pc.C + c + l) * pc.OH * pc.OW;
        float out_[F * F];
        [[unroll]] for (uint r = 0u; r < F; r++) {
            uint oh = F * th + r;
            [[unroll]] for (uint j = 0u; j < F; j++) {
                uint ow = F * tw + j;
                float s = b0;
                [[unroll]] for (uint a = 0u; a < ALPHA; a++) s += AT(r, a) * h[a][j][l];
                if (WHOLE == 0u && (oh >= pc.OH || ow >= pc.OW)) continue;
                uint at_y = base + oh * pc.OW + ow;
                if (RESIDUAL != 0u) s += LOAD1(residual, at_y);
                if (RELU != 0u && s < 0.0) s = 0.0;
                if (MASK != 0u) s *= float(LOAD1(mask, at_y) > 0.0);  // as unary_backward.comp's
                out_[F * r + j] = s;
                if (WHOLE == 0u) y[at_y >> 2][at_y & 3u] = s;
            }
        }
        if (WHOLE != 0u)
            [[unroll]] for (uint q = 0u; q < F * F / 4u; q++)
                y[(base >> 2) + q] = vec4(out_[4u * q], out_[4u * q + 1u], out_[4u * q + 2u], out_[4u * q + 3u]);
    }
}
