#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : enable
// Winograd F(F x F, 3x3), the weight gradient's last step: the ALPHA^2
// GEMMs left m[xi][co][ci] (row-major, Cin columns, sc floats per xi), the
// sums over tiles of Z times V (wino_transform.comp modes 2 and 1); each
// filter's gradient is G^T m G (3x3), the transpose of the forward's
// G g G^T. An invocation makes 4 filters (co * Cin + ci = 4q .. 4q + 3,
// one per vec4 component): it reads them as vec4s where sc holds whole
// ones, and stores their 36 taps as 9 whole vec4s: lavapipe pays per load
// and store, and a vec4 costs little more than one float.
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(constant_id = 3) const uint F = 2;
#include "winograd.glsl"
layout(push_constant) uniform Push { uint Cin, Cout, sc; } pc;
ALVK_IN4(0, m);
layout(std430, binding = 1) writeonly buffer DW { vec4 dw[]; };

void main() {
    uint q = alvk_flat_index(), n = pc.Cin * pc.Cout;  // filter i = co * Cin + ci
    if (4u * q >= n) return;
    vec4 h[ALPHA][3];  // h = m G, filter 4q + l in component l
    [[unroll]] for (uint a = 0u; a < ALPHA; a++) {
        vec4 row[ALPHA];
        [[unroll]] for (uint b = 0u; b < ALPHA; b++) {
            uint at = (ALPHA * a + b) * pc.sc;
            if (n % 4u == 0u) {
                row[b] = LOAD4(m, at / 4u + q);
            } else {
                [[unroll]] for (uint l = 0u; l < 4u; l++) row[b][l] = LOAD4_1(m, at + min(4u * q + l, n - 1u));
            }
        }
        [[unroll]] for (uint s = 0u; s < 3u; s++) {
            vec4 sum = vec4(0.0);
            [[unroll]] for (uint b = 0u; b < ALPHA; b++) sum += row[b] * G(b, s);
            h[a][s] = sum;
        }
    }
    float t[36];  // the 4 filters' taps in memory order
    [[unroll]] for (uint r = 0u; r < 3u; r++)
        [[unroll]] for (uint s = 0u; s < 3u; s++) {
            vec4 sum = vec4(0.0);
            [[unroll]] for (uint a = 0u; a < ALPHA; a++) sum += G(a, r) * h[a][s];
            [[unroll]] for (uint l = 0u; l < 4u; l++) t[9u * l + 3u * r + s] = sum[l];
        }
    if (4u * q + 3u < n) {
        [[unroll]] for (uint k = 0u; k < 9u; k++)
            dw[9u * q + k] = vec4(t[4u * k], t[4u * k + 1u], t[4u * k + 2u], t[4u * k + 3u]);
        return;
    }
    for (uint j = 0u; j < 9u * (n - 4u * q); j++) dw[9u * q + j / 4u][j % 4u] = t[j];  // the last filters
}
