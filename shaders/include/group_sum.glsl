// A workgroup's sum of one value per lane, the same on every lane, in an
// order fixed for the device (so a run repeats bit for bit):
//   GROUP_SUM(r, s, scratch)  r = the sum of every lane's s
// scratch is a shared array of the value's type, one entry per lane. Every
// lane must reach it (it has barriers).
// ALVK_SUBGROUP=0: a tree in shared memory, log2(lanes) barriers.
// ALVK_SUBGROUP=1 (the shader's _sg twins, for devices with subgroup
// arithmetic): subgroupAdd within each subgroup, then every lane adds the
// subgroups' sums in order; one barrier. The engine races the two per
// device (engine/ops/reduce.c).
#if ALVK_SUBGROUP
#define GROUP_SUM(r, s, scratch)                                               \
    {                                                                          \
        r = subgroupAdd(s);                                                    \
        if (subgroupElect()) scratch[gl_SubgroupID] = r;                       \
        barrier();                                                             \
        r = scratch[0];                                                        \
        for (uint g_ = 1u; g_ < gl_NumSubgroups; g_++) r += scratch[g_];       \
        barrier();                                                             \
    }
#else
#define GROUP_SUM(r, s, scratch)                                               \
    {                                                                          \
        uint l_ = gl_LocalInvocationID.x;                                      \
        scratch[l_] = s;                                                       \
        barrier();                                                             \
        for (uint w_ = gl_WorkGroupSize.x / 2u; w_ > 0u; w_ >>= 1u) {          \
            if (l_ < w_) scratch[l_] += scratch[l_ + w_];                      \
            barrier();                                                         \
        }                                                                      \
        r = scratch[0];                                                        \
        barrier();                                                             \
    }
#endif
