#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : enable
// Winograd F(2x2, 3x3), 2 of 3: the weight transform U = G g G^T of each
// 3x3 filter g, as 16 K-major GEMM operands u[xi][k][n] (row stride ldn,
// [Kp][ldn] each, zero past K and Nn). Forward: k = ci, n = co, g =
// w[co][ci]. With FLIP (the data gradient, a convolution of dy with the
// weights turned 180 degrees and Cin and Cout swapped): k = co, n = ci.
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(constant_id = 3) const uint FLIP = 0;
layout(push_constant) uniform Push { uint K, Nn, Kp, ldn, Cin; } pc;
ALVK_IN1(0, w);
layout(std430, binding = 1) writeonly buffer Ubuf { float u[]; };

// G along one axis of the filter.
vec4 gv(float g0, float g1, float g2) {
    return vec4(g0, 0.5 * (g0 + g1 + g2), 0.5 * (g0 - g1 + g2), g2);
}

void main() {
    uint i = alvk_flat_index();
    if (i >= pc.Kp * pc.ldn) return;
    uint n = i % pc.ldn, k = i / pc.ldn;
    bool live = k < pc.K && n < pc.Nn;
    uint co = FLIP != 0u ? k : n, ci = FLIP != 0u ? n : k;
    uint base = live ? (co * pc.Cin + ci) * 9u : 0u;
    float g[3][3];
    [[unroll]] for (uint r = 0u; r < 3u; r++)
        [[unroll]] for (uint s = 0u; s < 3u; s++) {
            float val = LOAD1(w, base + (FLIP != 0u ? 8u - 3u * r - s : 3u * r + s));
            g[r][s] = live ? val : 0.0;
        }
    vec4 rows[3];  // rows[r] = (g G^T)[r]
    [[unroll]] for (uint r = 0u; r < 3u; r++) rows[r] = gv(g[r][0], g[r][1], g[r][2]);
    uint layer = pc.Kp * pc.ldn;
    [[unroll]] for (uint b = 0u; b < 4u; b++) {
        vec4 col = gv(rows[0][b], rows[1][b], rows[2][b]);
        [[unroll]] for (uint a = 0u; a < 4u; a++) u[(4u * a + b) * layer + i] = col[a];
    }
}
