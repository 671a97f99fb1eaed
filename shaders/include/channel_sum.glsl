// Per-channel sums for batch normalisation: one workgroup per channel c of
// an NCHW tensor walks its N*HW values (lane l takes every LOCAL-th one, in
// a fixed order), then a tree in shared memory adds the lanes. TERM(i) is
// the value summed for flat index i; the result is the same on every lane.
// The lane's position (image n_, pixel p_) is stepped without a division
// per value (divisions dominated this loop on lavapipe).
// With SERIAL (a spec constant the shader declares) each invocation owns a
// channel and adds its values alone, in order: no barriers, which is what
// costs most on lavapipe when a channel has few values.
// Needs: push constants N, C, HW; uint c; shared float lane_sum[].
#define CHANNEL_SUM(result, TERM)                                              \
    if (SERIAL != 0u) {                                                        \
        float s_ = 0.0;                                                        \
        for (uint n_ = 0u; n_ < pc.N; n_++)                                    \
            for (uint p_ = 0u; p_ < pc.HW; p_++) s_ += TERM((n_ * pc.C + c) * pc.HW + p_); \
        result = s_;                                                           \
    } else {                                                                   \
        float s_ = 0.0;                                                        \
        uint step_n_ = gl_WorkGroupSize.x / pc.HW, step_p_ = gl_WorkGroupSize.x % pc.HW; \
        uint n_ = gl_LocalInvocationID.x / pc.HW, p_ = gl_LocalInvocationID.x % pc.HW; \
        for (; n_ < pc.N; n_ += step_n_, p_ += step_p_) {                      \
            if (p_ >= pc.HW) p_ -= pc.HW, n_++;                                \
            if (n_ >= pc.N) break;                                             \
            s_ += TERM((n_ * pc.C + c) * pc.HW + p_);                          \
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
