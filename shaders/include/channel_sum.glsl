// Per-channel sums for batch normalisation: one workgroup per channel c of
// an NCHW tensor walks its N*HW values (lane l takes every LOCAL-th one, in
// a fixed order), then a tree in shared memory adds the lanes. TERM(i) is
// the value summed for flat index i; the result is the same on every lane.
// Needs: push constants N, C, HW; uint c; shared float lane_sum[].
#define CHANNEL_SUM(result, TERM)                                              \
    {                                                                          \
        float s_ = 0.0;                                                        \
        uint count_ = pc.N * pc.HW;                                            \
        for (uint e_ = gl_LocalInvocationID.x; e_ < count_; e_ += gl_WorkGroupSize.x) { \
            uint i_ = ((e_ / pc.HW) * pc.C + c) * pc.HW + e_ % pc.HW;         \
            s_ += TERM(i_);                                                    \
        }                                                                      \
        lane_sum[gl_LocalInvocationID.x] = s_;                                 \
        barrier();                                                             \
        for (uint w_ = gl_WorkGroupSize.x / 2u; w_ > 0u; w_ >>= 1u) {          \
            if (gl_LocalInvocationID.x < w_)                                   \
                lane_sum[gl_LocalInvocationID.x] += lane_sum[gl_LocalInvocationID.x + w_]; \
            barrier();                                                         \
        }                                                                      \
        result = lane_sum[0];                                                  \
        barrier();                                                             \
    }
