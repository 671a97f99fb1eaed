// Shared by every alvk shader. The local size comes from specialisation
// constants 0, 1, 2 so the host picks it per device; a shader's own
// constants start at id 3.
#if ALVK_SUBGROUP
#extension GL_KHR_shader_subgroup_arithmetic : require
#endif
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;

// A flat index over a grid that may be 2-D because one dimension of
// workgroups is capped (65,535 on many devices).
uint alvk_flat_index() {
    return gl_GlobalInvocationID.x +
           gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
}
