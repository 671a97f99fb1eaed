#version 450
#extension GL_GOOGLE_include_directive : require
// Turns an index list into a batch: batch[b][i] = pool[indices[b]][i] / 255
// and batch_labels[b] = labels_pool[indices[b]], four batch elements (and
// up to four labels) per invocation. The pool and its labels are u8, read
// as little-endian 32-bit words; the binding covers the last, partial word
// (bindings are rounded up to 16 bytes inside the allocation's padding).
// Indices come from the device: an index past the last image reads the last.
#include "alvk.glsl"

layout(push_constant) uniform Push { uint B, image_bytes, images; } pc;
layout(std430, binding = 0) readonly buffer Pool { uint pool[]; };
layout(std430, binding = 1) readonly buffer LabelsPool { uint labels_pool[]; };
layout(std430, binding = 2) readonly buffer Indices { uint indices[]; };
layout(std430, binding = 3) writeonly buffer Batch { float batch[]; };
layout(std430, binding = 4) writeonly buffer BatchLabels { uint batch_labels[]; };

#define BYTE(words, a) ((words[(a) >> 2] >> (8u * ((a) & 3u))) & 0xffu)

uint image(uint b) { return min(indices[b], pc.images - 1u); }

void main() {
    uint q = alvk_flat_index(), n = pc.B * pc.image_bytes;
    // n >= B, so the invocations that cover the batch also cover the labels.
    for (uint e = 4u * q; e < 4u * q + 4u && e < n; e++) {
        uint b = e / pc.image_bytes, a = image(b) * pc.image_bytes + (e - b * pc.image_bytes);
        batch[e] = float(BYTE(pool, a)) / 255.0;
        if (e < pc.B) batch_labels[e] = BYTE(labels_pool, image(e));
    }
}
