#version 450
#extension GL_GOOGLE_include_directive : require
// Batch norm's forward, y = (x - mean[c]) invstd[c] gamma[c] + beta[c], as
// y = x a + b with a and b computed once per channel.
//   training (EVAL 0): one dispatch does it all. A workgroup owns a block
//     of channels, computes their batch mean and biased variance (two
//     passes: mean first, then squared deviations, so no cancellation;
//     channel_sum.glsl, by the workgroup or, SERIAL, a lane per channel),
//     saves mean and 1/sqrt(var + eps) for the backward, updates the running
//     statistics in place as PyTorch does (momentum, unbiased variance),
//     then walks the block's values: no barrier between the statistics and
//     their use (the graph compiler's aim; issue 12).
//   EVAL: the running mean and variance (invstd from the variance here),
//     an invocation per item of the walk.
// Fused epilogue (the graph compiler's, engine/graph/fuse.c): RESIDUAL adds
// skip, RELU then clamps, y = relu(bn(x) + skip), as the separate add and
// relu kernels would, bit for bit.
// An item is a segment of SEG values of one channel, so the channel's
// numbers load once and every lane's loop has the same length (on lavapipe
// per-value gathers of the per-channel numbers cost more than the value
// itself). WALK says how (engine/ops/batchnorm.c picks it):
//   0  a segment of one plane (n, c), value by value;
//   1  the same by vec4s (HW a multiple of 4, SEG too): a quarter of the
//      loads and stores, which is what lavapipe pays for per value;
//   2  HW = 1 (a 1x1 map): vec4s of 4 channels along n, segments of SEG
//      samples (C a multiple of 4);
//   3  small planes of whole vec4s (HW = 4, 16): channel c along n, whole
//      planes of segments of SEG samples, so the channel's numbers load
//      once per SEG planes rather than per plane;
//   4  planes not of whole vec4s (HW = 49: ResNet18's 7x7 maps), C a
//      multiple of 4: runs of 4 planes (n, c .. c + 3), which are HW whole
//      vec4s, by vec4s in segments of SEG; each component takes its own
//      plane's numbers (alvk_spread4). 128x64x7x7 on lavapipe: 0.70 -> 0.51 ms
//      (bn_backward_apply.comp: 1.34 -> 0.69).
// Walks 2 and 4 need blocks of whole fours of channels (BLOCK 4, or SERIAL's
// blocks of the workgroup's size).
// alvk-variant: texel, subgroup
#include "alvk.glsl"
#include "alvk_read.glsl"
#include "channel_sum.glsl"

layout(constant_id = 3) const uint EVAL = 0;
layout(constant_id = 4) const uint WALK = 0;
layout(constant_id = 5) const uint RESIDUAL = 0;
layout(constant_id = 6) const uint RELU = 0;
layout(constant_id = 7) const uint SERIAL = 0;  // see channel_sum.glsl
layout(constant_id = 8) const uint BLOCK = 1;   // channels per workgroup unless SERIAL
// N, C, HW, SEGS, SEG: the statistics' sweep (channel_sum.glsl); ASEGS, ASEG
// the walk's segments.
layout(push_constant) uniform Push { uint N, C, HW, SEGS, SEG, ASEGS, ASEG; float eps, momentum; } pc;
ALVK_IN4(0, x);
ALVK_IN4(1, mean);   // EVAL: the running mean
ALVK_IN4(2, scale);  // EVAL: the running variance
ALVK_IN4(3, gamma);
ALVK_IN4(4, beta);
layout(std430, binding = 5) writeonly buffer Y { vec4 y[]; };
ALVK_IN4(6, skip);  // RESIDUAL's operand (any buffer when off)
ALVK_IN1(7, x1);    // training: x read by scalars (the serial sums)
layout(std430, binding = 8) writeonly buffer Mean { float batch_mean[]; };
layout(std430, binding = 9) writeonly buffer Invstd { float batch_invstd[]; };
layout(std430, binding = 10) buffer RunMean { float running_mean[]; };
layout(std430, binding = 11) buffer RunVar { float running_var[]; };

shared vec2 lane_sum[gl_WorkGroupSize.x];
shared float block_a[gl_WorkGroupSize.x], block_b[gl_WorkGroupSize.x];
uint c0;  // training: the block's first channel
#include "bn_walk.glsl"

// Channel c's a and b: from the block's statistics, or the buffers.
vec2 coef(uint c) {
    if (EVAL == 0u) return vec2(block_a[c - c0], block_b[c - c0]);
    float a = 1.0 / sqrt(LOAD4_1(scale, c) + pc.eps) * LOAD4_1(gamma, c);
    return vec2(a, LOAD4_1(beta, c) - LOAD4_1(mean, c) * a);
}

// The same for channels 4g .. 4g + 3.
void coef4(uint g, out vec4 a, out vec4 b) {
    if (EVAL == 0u) {
        uint k = 4u * g - c0;
        a = vec4(block_a[k], block_a[k + 1u], block_a[k + 2u], block_a[k + 3u]);
        b = vec4(block_b[k], block_b[k + 1u], block_b[k + 2u], block_b[k + 3u]);
        return;
    }
    a = 1.0 / sqrt(LOAD4(scale, g) + pc.eps) * LOAD4(gamma, g), b = LOAD4(beta, g) - LOAD4(mean, g) * a;
}

vec4 epilogue(vec4 v, uint q) {
    if (RESIDUAL != 0u) v += LOAD4(skip, q);
    return RELU != 0u ? mix(v, vec4(0.0), lessThan(v, vec4(0.0))) : v;  // as unary.comp's relu
}

float epilogue1(float v, uint i) {
    if (RESIDUAL != 0u) v += LOAD4_1(skip, i);
    return RELU != 0u && v < 0.0 ? 0.0 : v;
}

// Item v of the walk (engine/ops/batchnorm.c counts them).
void item(uint v) {
    uint N = pc.N;
    if (WALK == 2u) {  // v = (segment of samples, group of 4 channels)
        uint groups = pc.C / 4u, g = v % groups, n0 = (v / groups) * pc.ASEG;
        vec4 a, b;
        coef4(g, a, b);
        for (uint k = 0u; k < pc.ASEG; k++) {
            uint q = (n0 + k) * groups + g;
            if (n0 + k < N) y[q] = epilogue(LOAD4(x, q) * a + b, q);
        }
    } else if (WALK == 3u) {  // v = (segment of samples, channel)
        uint c = v % pc.C, n0 = (v / pc.C) * pc.ASEG, q4 = pc.HW / 4u;
        vec2 ab = coef(c);
        for (uint k = 0u; k < pc.ASEG; k++)
            for (uint j = 0u; j < q4; j++) {
                uint q = (n0 + k) * pc.C * q4 + c * q4 + j;
                if (n0 + k < N) y[q] = epilogue(LOAD4(x, q) * ab.x + ab.y, q);
            }
    } else if (WALK == 4u) {  // v = (run of 4 planes, segment of its HW vec4s)
        uint run = v / pc.ASEGS, j0 = (v - run * pc.ASEGS) * pc.ASEG, g = run % (pc.C / 4u);
        vec4 a, b;
        coef4(g, a, b);
        for (uint k = 0u; k < pc.ASEG; k++) {
            uint j = j0 + k, q = run * pc.HW + j;
            if (j < pc.HW)
                y[q] = epilogue(LOAD4(x, q) * alvk_spread4(a, j, pc.HW) + alvk_spread4(b, j, pc.HW), q);
        }
    } else {  // v = (plane, segment)
        uint plane = v / pc.ASEGS, c = plane % pc.C;
        uint p0 = (v - plane * pc.ASEGS) * pc.ASEG, base = plane * pc.HW;
        vec2 ab = coef(c);
        if (WALK == 1u) {
            for (uint k = 0u; k < pc.ASEG; k += 4u) {
                uint q = (base + p0 + k) >> 2;
                if (p0 + k < pc.HW) y[q] = epilogue(LOAD4(x, q) * ab.x + ab.y, q);
            }
        } else {
            for (uint k = 0u; k < pc.ASEG; k++) {
                uint i = base + p0 + k;
                if (p0 + k < pc.HW) y[i >> 2][i & 3u] = epilogue1(LOAD4_1(x, i) * ab.x + ab.y, i);
            }
        }
    }
}

float mu;
#define VALUE(i) LOAD1(x1, i)
#define DEVIATION2(i) ((LOAD1(x1, i) - mu) * (LOAD1(x1, i) - mu))
#define VALUE4(q) LOAD4(x, q)
#define DEVIATION2_4(q) ((LOAD4(x, q) - mu) * (LOAD4(x, q) - mu))

// Channel c's statistics, saved, and its a and b into the block's slot k
// (by every lane of the workgroup, or by the lane alone when SERIAL).
void statistics(uint c, uint k) {
    float n = float(pc.N * pc.HW), sum, dev2;
    CHANNEL_SUM(sum, VALUE, VALUE4)
    mu = sum / n;
    CHANNEL_SUM(dev2, DEVIATION2, DEVIATION2_4)
    if (SERIAL == 0u && gl_LocalInvocationID.x != 0u) return;
    float var = dev2 / n, is = 1.0 / sqrt(var + pc.eps);
    batch_mean[c] = mu;
    batch_invstd[c] = is;
    float unbiased = n > 1.0 ? dev2 / (n - 1.0) : var;
    running_mean[c] = (1.0 - pc.momentum) * running_mean[c] + pc.momentum * mu;
    running_var[c] = (1.0 - pc.momentum) * running_var[c] + pc.momentum * unbiased;
    float a = is * LOAD4_1(gamma, c);
    block_a[k] = a, block_b[k] = LOAD4_1(beta, c) - mu * a;
}

void main() {
    if (EVAL != 0u) {
        uint v = alvk_flat_index();
        if (v < items(pc.C)) item(v);
        return;
    }
    uint B = block_begin();
    EACH_CHANNEL(statistics, B)
    barrier();
    uint n = items(B);
    for (uint u = gl_LocalInvocationID.x; u < n; u += gl_WorkGroupSize.x) item(item_of_block(u, B));
}
