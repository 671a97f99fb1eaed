/* The IDX file format (LeCun's MNIST format): a 4-byte magic number
 * (0, 0, element type, number of dimensions), big-endian 32-bit dimensions,
 * then the elements. Read raw or gzip-compressed. */
#ifndef ALVK_IDX_H
#define ALVK_IDX_H

#include "alvk/alvk.h"

#define ALVK_IDX_MAX_DIMS 4

typedef struct alvk_idx {
    uint32_t ndims;
    uint32_t dims[ALVK_IDX_MAX_DIMS];
    uint64_t count;  /* dims[0] */
    uint8_t *data;   /* the unsigned-byte elements, malloc'd */
    size_t bytes;
} alvk_idx;

/* Reads an unsigned-byte IDX file of `ndims` dimensions. Any deviation from
 * the format is ALVK_ERROR_FORMAT with the path and what was wrong; a file
 * that cannot be opened or read is ALVK_ERROR_IO. */
alvk_status alvk_idx_read(const char *path, uint32_t ndims, alvk_idx *out);
void alvk_idx_free(alvk_idx *idx);

#endif
