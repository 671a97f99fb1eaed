#version 450
#extension GL_GOOGLE_include_directive : require
// Batch-norm backward in one dispatch, PyTorch's formula with m = N*H*W
// values per channel:
//   dbeta = sum(dy), dgamma = sum(dy xhat), xhat = (x - mean) invstd,
//   dx = gamma invstd / m (m dy - dbeta - xhat dgamma)
// A workgroup owns a block of channels (as bn_apply.comp's training form): it sums
// each channel's dbeta and dgamma (channel_sum.glsl: by the workgroup, or
// SERIAL a lane per channel), writes them, then walks the block's values
// with dx = a dy + b (x - mean) + d, a, b and d computed once per channel.
// WALK and the items are bn_apply.comp's. MASK: dy is a ReLU's output
// gradient, taken as dy (mask > 0) here (the ReLU's backward fused in, as
// unary_backward.comp computes it). DX_SUMS: then each channel's sum of
// dx, its terms computed again in a third sweep as the walk computed them
// (the gradient of a convolution bias before the batch norm; the graph
// compiler's fusion of its channel sum).
// alvk-variant: texel, subgroup
#include "alvk.glsl"
#include "alvk_read.glsl"
#include "channel_sum.glsl"

layout(constant_id = 3) const uint WALK = 0;
layout(constant_id = 4) const uint MASK = 0;
layout(constant_id = 5) const uint SERIAL = 0;  // see channel_sum.glsl
layout(constant_id = 6) const uint BLOCK = 1;   // channels per workgroup unless SERIAL
layout(constant_id = 7) const uint DX_SUMS = 0;
layout(push_constant) uniform Push { uint N, C, HW, SEGS, SEG, ASEGS, ASEG; } pc;
ALVK_IN4(0, x);
ALVK_IN4(1, dy);
ALVK_IN4(2, mean);
ALVK_IN4(3, invstd);
ALVK_IN4(4, gamma);
layout(std430, binding = 5) writeonly buffer DGamma { float dgamma[]; };
layout(std430, binding = 6) writeonly buffer DBeta { float dbeta[]; };
layout(std430, binding = 7) writeonly buffer DX { vec4 dx[]; };
ALVK_IN4(8, mask);  // MASK's operand (any buffer when off)
ALVK_IN1(9, x1);    // x, dy and mask again, read by scalars (the serial sums)
ALVK_IN1(10, dy1);
ALVK_IN1(11, mask1);
layout(std430, binding = 12) writeonly buffer DXSums { float dx_sums[]; };  // DX_SUMS (any buffer when off)

shared vec2 lane_sum[gl_WorkGroupSize.x];
shared vec4 block_coef[gl_WorkGroupSize.x];  // per channel: a, b, d, mean
uint c0;  // the block's first channel
#include "bn_walk.glsl"

vec4 DY4(uint q) {
    vec4 g = LOAD4(dy, q);
    return MASK != 0u ? g * vec4(greaterThan(LOAD4(mask, q), vec4(0.0))) : g;
}

float DY1(uint i) {
    float g = LOAD4_1(dy, i);
    return MASK != 0u ? g * (LOAD4_1(mask, i) > 0.0 ? 1.0 : 0.0) : g;
}

// Channels 4g .. 4g + 3's a, b, d and mean.
void coef4(uint g, out vec4 a, out vec4 b, out vec4 d, out vec4 mu) {
    uint k = 4u * g - c0;
    vec4 p = block_coef[k], q = block_coef[k + 1u], r = block_coef[k + 2u], s = block_coef[k + 3u];
    a = vec4(p.x, q.x, r.x, s.x), b = vec4(p.y, q.y, r.y, s.y);
    d = vec4(p.z, q.z, r.z, s.z), mu = vec4(p.w, q.w, r.w, s.w);
}

// Item v of the walk (bn_apply.comp's numbering).
void item(uint v) {
    uint N = pc.N;
    if (WALK == 2u) {  // v = (segment of samples, group of 4 channels)
        uint groups = pc.C / 4u, g = v % groups, n0 = (v / groups) * pc.ASEG;
        vec4 a, b, d, mu;
        coef4(g, a, b, d, mu);
        for (uint k = 0u; k < pc.ASEG; k++) {
            uint q = (n0 + k) * groups + g;
            if (n0 + k < N) dx[q] = a * DY4(q) + b * (LOAD4(x, q) - mu) + d;
        }
    } else if (WALK == 3u) {  // v = (segment of samples, channel)
        uint c = v % pc.C, n0 = (v / pc.C) * pc.ASEG, q4 = pc.HW / 4u;
        vec4 f = block_coef[c - c0];
        for (uint k = 0u; k < pc.ASEG; k++)
            for (uint j = 0u; j < q4; j++) {
                uint q = (n0 + k) * pc.C * q4 + c * q4 + j;
                if (n0 + k < N) dx[q] = f.x * DY4(q) + f.y * (LOAD4(x, q) - f.w) + f.z;
            }
    } else if (WALK == 4u) {  // v = (run of 4 planes, segment of its HW vec4s)
        uint run = v / pc.ASEGS, j0 = (v - run * pc.ASEGS) * pc.ASEG, g = run % (pc.C / 4u);
        vec4 a, b, d, mu;
        coef4(g, a, b, d, mu);
        for (uint k = 0u; k < pc.ASEG; k++) {
            uint j = j0 + k, q = run * pc.HW + j;
            if (j < pc.HW)
                dx[q] = alvk_spread4(a, j, pc.HW) * DY4(q) +
                        alvk_spread4(b, j, pc.HW) * (LOAD4(x, q) - alvk_spread4(mu, j, pc.HW)) +
                        alvk_spread4(d, j, pc.HW);
        }
    } else {  // v = (plane, segment)
        uint plane = v / pc.ASEGS, c = plane % pc.C;
        uint p0 = (v - plane * pc.ASEGS) * pc.ASEG, base = plane * pc.HW;
        vec4 f = block_coef[c - c0];
        if (WALK == 1u) {
            for (uint k = 0u; k < pc.ASEG; k += 4u) {
                uint q = (base + p0 + k) >> 2;
                if (p0 + k < pc.HW) dx[q] = f.x * DY4(q) + f.y * (LOAD4(x, q) - f.w) + f.z;
            }
        } else {
            for (uint k = 0u; k < pc.ASEG; k++) {
                uint i = base + p0 + k;
                if (p0 + k < pc.HW) dx[i >> 2][i & 3u] = f.x * DY1(i) + f.y * (LOAD4_1(x, i) - f.w) + f.z;
            }
        }
    }
}

float mu, is;
#define DY(i) (MASK != 0u ? LOAD1(dy1, i) * (LOAD1(mask1, i) > 0.0 ? 1.0 : 0.0) : LOAD1(dy1, i))
#define DY_XHAT(i) (DY(i) * (LOAD1(x1, i) - mu) * is)  // dy's load is shared
#define DY_XHAT4(q) (DY4(q) * (LOAD4(x, q) - mu) * is)

// Channel c's sums, written, and its coefficients into the block's slot k
// (by every lane of the workgroup, or by the lane alone when SERIAL).
void sums(uint c, uint k) {
    mu = LOAD4_1(mean, c);
    is = LOAD4_1(invstd, c);
    float sum_dy, sum_dy_xhat, m = float(pc.N * pc.HW);
    CHANNEL_SUM2(sum_dy, DY, DY4, sum_dy_xhat, DY_XHAT, DY_XHAT4)
    if (SERIAL == 0u && gl_LocalInvocationID.x != 0u) return;
    dbeta[c] = sum_dy;
    dgamma[c] = sum_dy_xhat;
    float a = LOAD4_1(gamma, c) * is;
    block_coef[k] = vec4(a, -a * is * sum_dy_xhat / m, -a * sum_dy / m, mu);
}

vec4 f;  // the channel's coefficients (block_coef) while its dx is summed
#define DX(i) (f.x * DY(i) + f.y * (LOAD1(x1, i) - f.w) + f.z)
#define DX4(q) (f.x * DY4(q) + f.y * (LOAD4(x, q) - f.w) + f.z)

// Channel c's sum of dx (block slot k), as sums() sums.
void dx_sum(uint c, uint k) {
    f = block_coef[k];
    float s;
    CHANNEL_SUM(s, DX, DX4)
    if (SERIAL == 0u && gl_LocalInvocationID.x != 0u) return;
    dx_sums[c] = s;
}

void main() {
    uint B = block_begin();
    EACH_CHANNEL(sums, B)
    barrier();
    uint n = items(B);
    for (uint u = gl_LocalInvocationID.x; u < n; u += gl_WorkGroupSize.x) item(item_of_block(u, B));
    if (DX_SUMS != 0u) EACH_CHANNEL(dx_sum, B)
}
