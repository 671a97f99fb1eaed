/* A minimal SPIR-V reader: walks the instruction stream once, remembers the
 * few type and decoration facts that decide a binding's descriptor type and
 * whether the shader may write it, then classifies each variable with a
 * Binding decoration. */
#include "reflect.h"
#include "core/error.h"

#include <stdlib.h>
#include <string.h>

enum {
    OP_TYPE_IMAGE = 25, OP_TYPE_SAMPLED_IMAGE = 27, OP_TYPE_STRUCT = 30, OP_TYPE_POINTER = 32,
    OP_VARIABLE = 59, OP_DECORATE = 71, OP_MEMBER_DECORATE = 72,
    DEC_BLOCK = 2, DEC_BUFFER_BLOCK = 3, DEC_NON_WRITABLE = 24, DEC_BINDING = 33, DEC_SET = 34,
    SC_UNIFORM_CONSTANT = 0, SC_UNIFORM = 2, SC_STORAGE_BUFFER = 12,
    DIM_BUFFER = 5,
};

typedef struct id_info {
    uint16_t op;
    uint32_t a, b;      /* pointer: storage class, pointee; image: dim, sampled;
                           sampled image: image; variable: pointer type, class */
    int32_t binding, set;
    uint8_t block, buffer_block, non_writable;
    uint16_t members, read_only_members; /* struct: all members NonWritable = a readonly block */
} id_info;

static alvk_status bad(const char *name, const char *what) {
    return alvk_error(ALVK_ERROR_FORMAT, "shader %s: %s", name, what);
}

static alvk_status classify(const id_info *ids, uint32_t bound, const id_info *var,
                            const char *name, VkDescriptorType *type, int *writes) {
    uint32_t ptr = var->a;
    if (ptr >= bound || ids[ptr].op != OP_TYPE_POINTER) return bad(name, "variable without pointer type");
    uint32_t t = ids[ptr].b;
    if (t >= bound) return bad(name, "bad pointee id");
    int read_only = var->non_writable ||
                    (ids[t].op == OP_TYPE_STRUCT && ids[t].members && ids[t].read_only_members == ids[t].members);
    if (var->b == SC_STORAGE_BUFFER) {
        *type = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
        *writes = !read_only;
    } else if (var->b == SC_UNIFORM) {
        *type = ids[t].buffer_block ? VK_DESCRIPTOR_TYPE_STORAGE_BUFFER
                                    : VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER;
        *writes = ids[t].buffer_block && !read_only;
    } else if (var->b == SC_UNIFORM_CONSTANT) {
        if (ids[t].op == OP_TYPE_SAMPLED_IMAGE) t = ids[t].a;
        if (t >= bound || ids[t].op != OP_TYPE_IMAGE || ids[t].a != DIM_BUFFER)
            return bad(name, "only buffer-dimension images (texel buffers) are supported");
        *type = ids[t].b == 2 ? VK_DESCRIPTOR_TYPE_STORAGE_TEXEL_BUFFER
                              : VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER;
        *writes = ids[t].b == 2 && !var->non_writable;
    } else {
        return bad(name, "unsupported storage class for a binding");
    }
    return ALVK_OK;
}

alvk_status alvk_reflect_bindings(const uint32_t *code, size_t bytes, const char *name,
                                  VkDescriptorType types[ALVK_REFLECT_MAX], uint32_t *count,
                                  uint32_t *writes) {
    *count = *writes = 0;
    if (bytes < 20 || bytes % 4 || code[0] != 0x07230203) return bad(name, "not SPIR-V");
    size_t nwords = bytes / 4;
    uint32_t bound = code[3];
    id_info *ids = calloc(bound ? bound : 1, sizeof *ids);
    if (!ids) return alvk_error(ALVK_ERROR_OUT_OF_HOST_MEMORY, "reflecting shader %s", name);
    for (uint32_t i = 0; i < bound; i++) ids[i].binding = ids[i].set = -1;

    alvk_status s = ALVK_OK;
    for (size_t w = 5; w < nwords && s == ALVK_OK;) {
        uint32_t op = code[w] & 0xffff, len = code[w] >> 16;
        if (len == 0 || w + len > nwords) { s = bad(name, "truncated instruction"); break; }
        const uint32_t *in = code + w;
        uint32_t id = len > 1 ? in[1] : 0;
        if (op == OP_DECORATE && len >= 3 && id < bound) {
            if (in[2] == DEC_BINDING && len >= 4) ids[id].binding = (int32_t)in[3];
            if (in[2] == DEC_SET && len >= 4) ids[id].set = (int32_t)in[3];
            if (in[2] == DEC_BLOCK) ids[id].block = 1;
            if (in[2] == DEC_BUFFER_BLOCK) ids[id].buffer_block = 1;
            if (in[2] == DEC_NON_WRITABLE) ids[id].non_writable = 1;
        } else if (op == OP_MEMBER_DECORATE && len >= 4 && id < bound) {
            if (in[3] == DEC_NON_WRITABLE) ids[id].read_only_members++;
        } else if ((op == OP_TYPE_POINTER || op == OP_VARIABLE) && len >= 4 &&
                   (op == OP_TYPE_POINTER ? in[1] : in[2]) < bound) {
            /* pointer: result in[1]; variable: result type in[1], result in[2] */
            uint32_t res = op == OP_TYPE_POINTER ? in[1] : in[2];
            ids[res].op = (uint16_t)op;
            ids[res].a = op == OP_TYPE_POINTER ? in[2] : in[1];
            ids[res].b = in[3];
        } else if (op == OP_TYPE_IMAGE && len >= 9 && id < bound) {
            ids[id].op = (uint16_t)op;
            ids[id].a = in[3]; /* dim */
            ids[id].b = in[7]; /* sampled: 1 = with sampler, 2 = storage */
        } else if (op == OP_TYPE_SAMPLED_IMAGE && len >= 3 && id < bound) {
            ids[id].op = (uint16_t)op;
            ids[id].a = in[2];
        } else if (op == OP_TYPE_STRUCT && id < bound) {
            ids[id].op = (uint16_t)op;
            ids[id].members = (uint16_t)(len - 2);
        }
        w += len;
    }
    uint32_t seen = 0;
    for (uint32_t i = 0; i < bound && s == ALVK_OK; i++) {
        if (ids[i].op != OP_VARIABLE || ids[i].binding < 0) continue;
        if (ids[i].set > 0) { s = bad(name, "bindings must be in descriptor set 0"); break; }
        if (ids[i].binding >= ALVK_REFLECT_MAX) { s = bad(name, "binding number too high"); break; }
        uint32_t b = (uint32_t)ids[i].binding;
        int w = 0;
        s = classify(ids, bound, &ids[i], name, &types[b], &w);
        seen |= 1u << b;
        if (w) *writes |= 1u << b;
        if (b + 1 > *count) *count = b + 1;
    }
    if (s == ALVK_OK && seen != (*count ? (1u << *count) - 1 : 0))
        s = bad(name, "bindings must be numbered 0, 1, 2, ... without gaps");
    free(ids);
    return s;
}
