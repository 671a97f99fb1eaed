#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : enable
// Winograd F(F x F, 3x3): the transforms before the GEMMs (see
// engine/ops/conv.c and include/winograd.glsl), two independent ones per
// dispatch, so a convolution pays one dispatch for both of its operands.
//
// Job 0 transforms an activation x. Tile t = (n, th, tw) covers output
// pixels F th .. F th + F - 1 (and likewise along w). MODE says what
// becomes of it:
//   0  V = B^T d B of the ALPHA x ALPHA input patch d at (F th - pad,
//      F tw - pad), zeros outside the image, written v[xi][c][t] (forward
//      and data gradient: the GEMMs' A, K = channels);
//   1  the same V written v[xi][t][c] (weight gradient: A, K = tiles);
//   2  Z = A dy A^T of the F x F tile of dy itself (pad 0), written
//      v[xi][t][c] (weight gradient: B).
// xi = ALPHA row + column of the result; each xi is a [rows][ld] block,
// zero past C and T. An invocation makes 4 results along a row of that
// block (4 tiles in mode 0, 4 channels otherwise) and stores whole vec4s;
// every lane loads (index 0 where there is nothing) and selects, as
// conv_pack.comp does.
//
// Job 1 (SECOND): 1, a second activation transform (x1 into v1, with its
// own constants: the weight gradient's modes 1 and 2); 2, the weight
// transform U = G g G^T of each 3x3 filter g of w (binding 2) as ALPHA^2
// K-major GEMM operands u[xi][k][n] (binding 3; row stride ldn, [Kp][ldn]
// each, zero past K and Nn): forward k = ci, n = co, g = w[co][ci]; with
// FLIP (the data gradient, a convolution of dy with the weights turned 180
// degrees and Cin and Cout swapped) k = co, n = ci. An invocation
// transforms 4 filters, n = 4q .. 4q + 3 (ldn is a multiple of 8), and
// stores whole vec4s: lavapipe pays per store, and a vec4 costs little
// more than one float.
//
// Where the device runs both sides of a workgroup-uniform branch (Mesa 22's
// lavapipe masks every branch), each workgroup would pay for both jobs, so
// the two run as two dispatches there (engine/ops/conv.c, paired): FIRST
// and SECOND leave a job out at compile time.
// Workgroups are numbered job 0's first; an activation job's go along its
// blocks' rows first (16 x 4 invocations: 64 channels of a tile may be all
// there is along a row).
// alvk-variant: texel
#include "alvk.glsl"
#include "alvk_read.glsl"

layout(constant_id = 3) const uint MODE = 0;
layout(constant_id = 4) const uint F = 2;
// The map's geometry, constant so that where a tile's taps fall is known at
// compile time wherever its position is: mode 0 on maps of 1, 2 or 4 tiles
// (an invocation's 4 tiles then sit at fixed positions: ResNet18's 7x7,
// 4x4 and 2x2 maps), modes 1 and 2 on maps of one tile. There the
// bounds checks fold and taps in the padding load nothing (the transform
// of 128x128x4x4: 2.2 -> 1.8 ms on lavapipe, of 128x256x2x2 1.5 -> 1.0).
layout(constant_id = 5) const uint H = 1;
layout(constant_id = 6) const uint W = 1;
layout(constant_id = 7) const uint PAD = 0;
layout(constant_id = 8) const uint TH = 1;  // tiles along h and w
layout(constant_id = 9) const uint TW = 1;
layout(constant_id = 10) const uint SECOND = 0;  // job 1: none, an activation, the weights
layout(constant_id = 11) const uint MODE_1 = 0;  // job 1's, as above; FLIP for the weights
layout(constant_id = 12) const uint H_1 = 1;
layout(constant_id = 13) const uint W_1 = 1;
layout(constant_id = 14) const uint PAD_1 = 0;
layout(constant_id = 15) const uint TH_1 = 1;
layout(constant_id = 16) const uint TW_1 = 1;
layout(constant_id = 17) const uint FIRST = 1;   // 0: job 0 is left out (the weights alone)
#include "winograd.glsl"
layout(push_constant) uniform Push {
    uvec4 job[2];    // an activation's C, T, ld, rows; the weights' K, Nn, Kp, ldn
    uint Cin;        // the weights': w is [.][Cin][3][3]
    uint across[2];  // an activation job's workgroups along a row
    uint groups0;    // job 0's workgroups
} pc;
ALVK_IN1(0, x0);
layout(std430, binding = 1) writeonly buffer V0 { vec4 v0[]; };
ALVK_IN1(2, x1);
layout(std430, binding = 3) writeonly buffer V1 { vec4 v1[]; };

float load(uint j, uint i) { return j == 0u ? LOAD1(x0, i) : LOAD1(x1, i); }

void store(uint j, uint i, vec4 v) {
    if (j == 0u) v0[i] = v;
    else v1[i] = v;
}

// The transform's matrix: B^T (ALPHA x ALPHA), or A (ALPHA x F) in mode 2.
float L(uint mode, uint a, uint i) { return mode == 2u ? AT(i, a) : BT(a, i); }

// Activation job j, called with constants only, so that each call inlines
// into code specialised for its geometry.
void activation(uint j, uint mode, uint H, uint W, uint PAD, uint TH, uint TW, uint group) {
    uint C = pc.job[j].x, T = pc.job[j].y, ld = pc.job[j].z, rows = pc.job[j].w;
    uint col = ((group % pc.across[j]) * 16u + gl_LocalInvocationID.x) * 4u;
    uint row = (group / pc.across[j]) * 4u + gl_LocalInvocationID.y;
    if (col >= ld || row >= rows) return;
    uint P = mode == 2u ? F : ALPHA;  // the patch read per tile
    bool by_tile = mode == 0u;
    uint t = by_tile ? col : row, c = by_tile ? row : col;
    uint tw = t % TW, th = (t / TW) % TH, n = t / (TW * TH);
    // PLANE: the 4 tiles are one whole plane (maps of 2 x 2 tiles, t a
    // multiple of 4), whose tiles overlap by ALPHA - F rows and columns:
    // the plane is loaded once, each value once, and tile r's patch is a
    // window of it at a position known at compile time (ResNet18's 7x7
    // maps: 49 loads instead of 100; 128x64x7x7 on lavapipe 10-25 % faster
    // forward and for the data gradient, in paired runs).
    bool PLANE = mode + uint(TH * TW != 4u) + uint(max(H, W) > 10u) == 0u;
    float img[10][10];  // H, W <= 2 F + 2 (pad <= 2) for F <= 4
    if (PLANE) {
        bool live = t < T && c < C;
        uint base = (n * C + c) * H * W;
        [[unroll]] for (uint i = 0u; i < H; i++)
            [[unroll]] for (uint k = 0u; k < W; k++) {
                float val = load(j, live ? base + i * W + k : 0u);
                img[i][k] = live ? val : 0.0;
            }
    }
    float o[ALPHA * ALPHA][4];
    [[unroll]] for (uint r = 0u; r < 4u; r++) {
        bool live = t < T && c < C;
        if (PLANE) th = r / TW, tw = r % TW;
        int ih0 = int(F * th) - int(PAD), iw0 = int(F * tw) - int(PAD);
        uint base = (n * C + c) * H * W;
        float d[ALPHA][ALPHA];  // P x P used
        [[unroll]] for (uint i = 0u; i < P; i++)
            [[unroll]] for (uint k = 0u; k < P; k++) {
                int ih = ih0 + int(i), iw = iw0 + int(k);
                bool in_map = uint(ih) < H && uint(iw) < W;
                if (PLANE) {
                    d[i][k] = in_map ? img[in_map ? ih : 0][in_map ? iw : 0] : 0.0;
                } else {
                    bool ok = live && in_map;
                    float val = load(j, ok ? base + uint(ih) * W + uint(iw) : 0u);
                    d[i][k] = ok ? val : 0.0;
                }
            }
        float h[ALPHA][ALPHA];  // h = d L^T, P x ALPHA used
        [[unroll]] for (uint i = 0u; i < P; i++)
            [[unroll]] for (uint b = 0u; b < ALPHA; b++) {
                float s = 0.0;
                [[unroll]] for (uint k = 0u; k < P; k++) s += d[i][k] * L(mode, b, k);
                h[i][b] = s;
            }
        [[unroll]] for (uint a = 0u; a < ALPHA; a++)
            [[unroll]] for (uint b = 0u; b < ALPHA; b++) {
                float s = 0.0;
                [[unroll]] for (uint i = 0u; i < P; i++) s += L(mode, a, i) * h[i][b];
                o[ALPHA * a + b][r] = s;
            }
        if (!by_tile) {
            c++;
        } else {
            t++;
            if (++tw == TW) {
                tw = 0u;
                if (++th == TH) th = 0u, n++;
            }
        }
    }
    uint q = (row * ld + col) / 4u, block = rows * ld / 4u;
    [[unroll]] for (uint xi = 0u; xi < ALPHA * ALPHA; xi++)
        store(j, xi * block + q, vec4(o[xi][0], o[xi][1], o[xi][2], o[xi][3]));
}

// The weights (job 1, FLIP as above).
void weights(uint FLIP, uint group) {
    uint K = pc.job[1].x, Nn = pc.job[1].y, Kp = pc.job[1].z, ldn = pc.job[1].w;
    uint q = group * 64u + gl_LocalInvocationID.y * 16u + gl_LocalInvocationID.x, i = 4u * q;
    if (i >= Kp * ldn) return;
    uint n0 = i % ldn, k = i / ldn;
    vec4 g[3][3];  // filter n0 + l in component l
    [[unroll]] for (uint l = 0u; l < 4u; l++) {
        uint n = n0 + l;
        bool live = k < K && n < Nn;
        uint co = FLIP != 0u ? k : n, ci = FLIP != 0u ? n : k;
        uint base = live ? (co * pc.Cin + ci) * 9u : 0u;
        [[unroll]] for (uint r = 0u; r < 3u; r++)
            [[unroll]] for (uint s = 0u; s < 3u; s++) {
                float val = LOAD1(x1, base + (FLIP != 0u ? 8u - 3u * r - s : 3u * r + s));
                g[r][s][l] = live ? val : 0.0;
            }
    }
    vec4 h[3][ALPHA];  // h = g G^T
    [[unroll]] for (uint r = 0u; r < 3u; r++)
        [[unroll]] for (uint b = 0u; b < ALPHA; b++)
            h[r][b] = g[r][0] * G(b, 0u) + g[r][1] * G(b, 1u) + g[r][2] * G(b, 2u);
    uint layer = Kp * ldn / 4u;
    [[unroll]] for (uint a = 0u; a < ALPHA; a++)
        [[unroll]] for (uint b = 0u; b < ALPHA; b++)
            v1[(ALPHA * a + b) * layer + q] = G(a, 0u) * h[0][b] + G(a, 1u) * h[1][b] + G(a, 2u) * h[2][b];
}

void main() {
    uint group = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
    if (FIRST != 0u && group < pc.groups0) activation(0u, MODE, H, W, PAD, TH, TW, group);
    else if (SECOND == 1u) activation(1u, MODE_1, H_1, W_1, PAD_1, TH_1, TW_1, group - pc.groups0);
    else if (SECOND == 2u) weights(MODE_1, group - pc.groups0);
}
