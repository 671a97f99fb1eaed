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

// Batch norm's elementwise walk 4 (bn_apply.comp): the vec4 j of a run of 4
// planes of HW values each (HW not a multiple of 4) holds values 4j..4j+3
// of the run, value e of plane e / HW; per[k] is plane k's number, and the
// result gives each component its plane's.
vec4 alvk_spread4(vec4 per, uint j, uint HW) {
    uvec4 e = uvec4(4u * j) + uvec4(0u, 1u, 2u, 3u);
    vec4 r = mix(vec4(per.w), vec4(per.z), lessThan(e, uvec4(3u * HW)));
    r = mix(r, vec4(per.y), lessThan(e, uvec4(2u * HW)));
    return mix(r, vec4(per.x), lessThan(e, uvec4(HW)));
}
