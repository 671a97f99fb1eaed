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
// CHANNEL_SUM2(r1, T1, r2, T2) sums T1(i) and T2(i) over the flat indices i
// of channel c in one sweep, so the two sums share their loads; the result
// is the same on every lane.
// Needs: push constants N, C, HW, SEGS, SEG; uint c; shared vec2 lane_sum[].
#include "group_sum.glsl"

#define CHANNEL_SUM2(r1, T1, r2, T2)                                           \
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
            uint base_ = (n_ * pc.C + c) * pc.HW;                              \
            for (uint k_ = 0u; k_ < pc.SEG; k_++) {                            \
                bool ok_ = p0_ + k_ < pc.HW;                                   \
                uint i_ = ok_ ? base_ + p0_ + k_ : base_;                      \
                vec2 t_ = vec2(T1(i_), T2(i_));                                \
                s_ += ok_ ? t_ : vec2(0.0);                                    \
            }                                                                  \
        }                                                                      \
        vec2 t_;                                                               \
        GROUP_SUM(t_, s_, lane_sum)                                            \
        r1 = t_.x, r2 = t_.y;                                                  \
    }
#define NO_TERM(i) 0.0
#define CHANNEL_SUM(r, TERM) { float unused_; CHANNEL_SUM2(r, TERM, unused_, NO_TERM) }
