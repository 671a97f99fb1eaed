#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : enable
// Winograd F(F x F, 3x3), the weight gradient's last step: the ALPHA^2
// GEMMs left m[xi][ci][co] (row-major, Cout columns, sc floats per xi), the
// sums over tiles of V times Z (wino_input.comp modes 1 and 2); each
// filter's gradient is G^T m G (3x3), the transpose of the forward's
// G g G^T. One invocation per (co, ci) writes its 9 taps.
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(constant_id = 3) const uint F = 2;
#include "winograd.glsl"
layout(push_constant) uniform Push { uint Cin, Cout, sc; } pc;
ALVK_IN1(0, m);
layout(std430, binding = 1) writeonly buffer DW { float dw[]; };

void main() {
    uint i = alvk_flat_index();  // co * Cin + ci: where the filter starts, / 9
    if (i >= pc.Cin * pc.Cout) return;
    uint ci = i % pc.Cin, co = i / pc.Cin, at = ci * pc.Cout + co;
    float h[ALPHA][3];  // h = m G
    [[unroll]] for (uint a = 0u; a < ALPHA; a++) {
        float row[ALPHA];
        [[unroll]] for (uint b = 0u; b < ALPHA; b++) row[b] = LOAD1(m, (ALPHA * a + b) * pc.sc + at);
        [[unroll]] for (uint s = 0u; s < 3u; s++) {
            float sum = 0.0;
            [[unroll]] for (uint b = 0u; b < ALPHA; b++) sum += row[b] * G(b, s);
            h[a][s] = sum;
        }
    }
    [[unroll]] for (uint r = 0u; r < 3u; r++)
        [[unroll]] for (uint s = 0u; s < 3u; s++) {
            float sum = 0.0;
            [[unroll]] for (uint a = 0u; a < ALPHA; a++) sum += G(a, r) * h[a][s];
            dw[i * 9u + 3u * r + s] = sum;
        }
}
