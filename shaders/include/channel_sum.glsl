// Per-channel sums for batch normalisation over an NCHW tensor, where
// channel c is N planes of HW contiguous values. One workgroup per channel:
// each plane is cut into SEGS segments of SEG values (push constants; the
// host picks SEGS so that N * SEGS covers the lanes), lane l sums segments
// l, l + LOCAL, ... in a loop of SEG steps, the same on every lane, then
// GROUP_SUM (group_sum.glsl) adds the lanes, in a fixed order. Lavapipe runs a
// workgroup's lanes in lockstep, so a loop whose steps or branches differ
// between lanes costs them all; this one only loads (index base where a
// segment runs past HW) and selects.
// With SERIAL (a spec constant the shader declares) each invocation owns a
// channel and adds its values alone, in order: no barriers, which is what
// costs most on lavapipe when a channel has few values.
//
// The workgroup form reads the values as whole vec4s (a second, ALVK_IN4
// binding of the tensor): a quarter of the fetches of scalar reads, which
// is what lavapipe pays for (the statistics of 128x64x7x7: 3x faster). A
// run of values [lo, hi) of the flat index is covered by the vec4s that
// hold it, the components outside it masked off. The serial form, over few
// values per channel, keeps scalar reads, which ran faster there.
//
// CHANNEL_SUM2(r1, T1, V1, r2, T2, V2) sums terms 1 and 2 over the values of
// channel c in one sweep, so the two sums share their loads; the result is
// the same on every lane. T(i) is the term of flat index i, V(q) the 4
// terms of floats 4q..4q+3.
// Needs: push constants N, C, HW, SEGS, SEG; uint c; shared vec2 lane_sum[].
#include "group_sum.glsl"

// Adds the terms of the values [lo, hi) to s (a vec2), in NV vec4 steps
// (enough for any alignment of hi - lo values: (hi - lo + 6) / 4, the same
// count on every lane); steps past hi read the first vec4 again, masked off.
#define RANGE_SUM2(s, lo, hi, NV, V1, V2)                                      \
    for (uint k_ = 0u; k_ < NV; k_++) {                                        \
        uint q_ = (lo >> 2) + k_;                                              \
        uvec4 i_ = uvec4(4u * q_) + uvec4(0u, 1u, 2u, 3u);                     \
        bvec4 in_ = bvec4(uvec4(greaterThanEqual(i_, uvec4(lo))) *             \
                          uvec4(lessThan(i_, uvec4(hi))));                     \
        uint at_ = 4u * q_ < hi ? q_ : lo >> 2;                                \
        vec4 a_ = mix(vec4(0.0), V1(at_), in_), b_ = mix(vec4(0.0), V2(at_), in_); \
        s += vec2(dot(a_, vec4(1.0)), dot(b_, vec4(1.0)));                     \
    }

#define CHANNEL_SUM2(r1, T1, V1, r2, T2, V2)                                   \
    if (SERIAL != 0u) {                                                        \
        vec2 s_ = vec2(0.0);                                                   \
        for (uint n_ = 0u; n_ < pc.N; n_++)                                    \
            for (uint p_ = 0u; p_ < pc.HW; p_++) {                             \
                uint i_ = (n_ * pc.C + c) * pc.HW + p_;                        \
                s_ += vec2(T1(i_), T2(i_));                                    \
            }                                                                  \
        r1 = s_.x, r2 = s_.y;                                                  \
    } else {                                                                   \
        vec2 s_ = vec2(0.0);                                                   \
        uint l_ = gl_LocalInvocationID.x;                                      \
        for (uint v_ = l_; v_ < pc.N * pc.SEGS; v_ += gl_WorkGroupSize.x) {    \
            uint n_ = v_ / pc.SEGS, p0_ = (v_ - n_ * pc.SEGS) * pc.SEG;        \
            uint lo_ = (n_ * pc.C + c) * pc.HW + p0_;                          \
            uint hi_ = lo_ + (p0_ < pc.HW ? min(pc.SEG, pc.HW - p0_) : 0u);  \
            RANGE_SUM2(s_, lo_, hi_, (pc.SEG + 6u) / 4u, V1, V2)               \
        }                                                                      \
        vec2 t_;                                                               \
        GROUP_SUM(t_, s_, lane_sum)                                            \
        r1 = t_.x, r2 = t_.y;                                                  \
    }
#define NO_TERM(i) 0.0
#define NO_TERM4(q) vec4(0.0)
#define CHANNEL_SUM(r, T, V) { float unused_; CHANNEL_SUM2(r, T, V, unused_, NO_TERM, NO_TERM4) }
