#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : enable
// Winograd F(2x2, 3x3), 1 of 3: the input transform (see engine/ops/conv.c).
// Tile t = (n, th, tw) of the output covers its pixels 2th..2th+1 x
// 2tw..2tw+1 and reads the 4x4 input patch d from (2th - pad, 2tw - pad),
// zeros outside the image. Writes V = B^T d B as 16 K-major GEMM operands:
// v[xi][c][t] (xi = 4 row + column of V) with row stride ldt, [Kp][ldt]
// each, zero past C and T. An invocation transforms 4 consecutive tiles of
// one channel and stores whole vec4s; every lane loads (index 0 where there
// is nothing) and selects, as conv_pack.comp does.
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(push_constant) uniform Push { uint C, H, W, pad, TH, TW, T, ldt, Kp; } pc;
ALVK_IN1(0, x);
layout(std430, binding = 1) writeonly buffer Vbuf { vec4 v[]; };

// B^T along one axis of the patch.
vec4 bt(vec4 d) { return vec4(d.x - d.z, d.y + d.z, d.z - d.y, d.y - d.w); }

void main() {
    uint t = gl_GlobalInvocationID.x * 4u, c = gl_GlobalInvocationID.y;
    if (t >= pc.ldt || c >= pc.Kp) return;
    uint tw = t % pc.TW, th = (t / pc.TW) % pc.TH, n = t / (pc.TW * pc.TH);
    float o[16][4];
    [[unroll]] for (uint r = 0u; r < 4u; r++) {
        bool live = t + r < pc.T && c < pc.C;
        int ih0 = int(2u * th) - int(pc.pad), iw0 = int(2u * tw) - int(pc.pad);
        uint base = (n * pc.C + c) * pc.H * pc.W;
        vec4 rows[4];  // rows[i] = (d B)[i]
        [[unroll]] for (uint i = 0u; i < 4u; i++) {
            vec4 d;
            [[unroll]] for (uint j = 0u; j < 4u; j++) {
                int ih = ih0 + int(i), iw = iw0 + int(j);
                bool ok = live && uint(ih) < pc.H && uint(iw) < pc.W;
                float val = LOAD1(x, ok ? base + uint(ih) * pc.W + uint(iw) : 0u);
                d[j] = ok ? val : 0.0;
            }
            rows[i] = bt(d);
        }
        [[unroll]] for (uint b = 0u; b < 4u; b++) {
            vec4 col = bt(vec4(rows[0][b], rows[1][b], rows[2][b], rows[3][b]));
            [[unroll]] for (uint a = 0u; a < 4u; a++) o[4u * a + b][r] = col[a];
        }
        if (++tw == pc.TW) {
            tw = 0u;
            if (++th == pc.TH) th = 0u, n++;
        }
    }
    uint q = (c * pc.ldt + t) / 4u, layer = pc.Kp * pc.ldt / 4u;
    [[unroll]] for (uint xi = 0u; xi < 16u; xi++)
        v[xi * layer + q] = vec4(o[xi][0], o[xi][1], o[xi][2], o[xi][3]);
}
