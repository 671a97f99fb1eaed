/* Reading IDX files, raw or gzip-compressed (zlib reads both), with every
 * check the format allows: a wrong or damaged file is an error that says
 * which file and what, never a crash or a silently short dataset. */
#include "idx.h"
#include "core/error.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define MAX_FILE ((size_t)1 << 32) /* 4 GiB: far beyond any IDX dataset */

/* The whole (decompressed) file, malloc'd. */
static alvk_status slurp(const char *path, uint8_t **out, size_t *size) {
    *out = NULL;
    *size = 0;
    gzFile f = gzopen(path, "rb");
    if (!f) return alvk_error(ALVK_ERROR_IO, "cannot open %s", path);
    size_t cap = 1 << 20, n = 0;
    uint8_t *buf = malloc(cap);
    alvk_status s = buf ? ALVK_OK : alvk_error(ALVK_ERROR_OUT_OF_HOST_MEMORY, "reading %s", path);
    while (s == ALVK_OK) {
        if (n == cap) {
            uint8_t *grown = cap < MAX_FILE ? realloc(buf, cap * 2) : NULL;
            if (!grown) {
                s = alvk_error(ALVK_ERROR_FORMAT, "%s is larger than %zu bytes", path, MAX_FILE);
                break;
            }
            buf = grown, cap *= 2;
        }
        int got = gzread(f, buf + n, (unsigned)(cap - n < (1u << 30) ? cap - n : (1u << 30)));
        if (got < 0) {
            int err;
            const char *msg = gzerror(f, &err);
            s = alvk_error(ALVK_ERROR_FORMAT, "%s: %s", path, msg);
        } else if (got == 0) {
            break;
        } else {
            n += (size_t)got;
        }
    }
    /* A gzip stream cut short reads as a clean end; zlib says so here. */
    if (s == ALVK_OK && gzclose(f) != Z_OK)
        s = alvk_error(ALVK_ERROR_FORMAT, "%s: the compressed stream is damaged or truncated", path);
    else if (s != ALVK_OK)
        gzclose(f);
    if (s != ALVK_OK) {
        free(buf);
        return s;
    }
    *out = buf;
    *size = n;
    return ALVK_OK;
}

static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

alvk_status alvk_idx_read(const char *path, uint32_t ndims, alvk_idx *out) {
    memset(out, 0, sizeof *out);
    uint8_t *buf;
    size_t size;
    alvk_status s = slurp(path, &buf, &size);
    if (s != ALVK_OK) return s;
    size_t header = 4 + 4 * (size_t)ndims;
    uint64_t elements = 1;
    if (size < 4 || buf[0] != 0 || buf[1] != 0)
        s = alvk_error(ALVK_ERROR_FORMAT, "%s is not an IDX file (bad magic number)", path);
    else if (buf[2] != 0x08)
        s = alvk_error(ALVK_ERROR_FORMAT, "%s: element type 0x%02x, expected 0x08 (unsigned byte)",
                       path, buf[2]);
    else if (buf[3] != ndims)
        s = alvk_error(ALVK_ERROR_FORMAT, "%s has %u dimensions, expected %u", path, buf[3], ndims);
    else if (size < header)
        s = alvk_error(ALVK_ERROR_FORMAT, "%s: truncated inside its header", path);
    for (uint32_t d = 0; s == ALVK_OK && d < ndims; d++) {
        out->dims[d] = be32(buf + 4 + 4 * d);
        if (out->dims[d] == 0)
            s = alvk_error(ALVK_ERROR_FORMAT, "%s: dimension %u is 0", path, d);
        else if (elements > MAX_FILE / out->dims[d])
            s = alvk_error(ALVK_ERROR_FORMAT, "%s: dimensions describe more than %zu bytes", path, MAX_FILE);
        else
            elements *= out->dims[d];
    }
    if (s == ALVK_OK && size - header != elements)
        s = alvk_error(ALVK_ERROR_FORMAT, "%s: the header describes %llu bytes of data, the file "
                       "holds %llu (%s)", path, (unsigned long long)elements,
                       (unsigned long long)(size - header),
                       size - header < elements ? "truncated" : "trailing bytes");
    if (s != ALVK_OK) {
        free(buf);
        return s;
    }
    memmove(buf, buf + header, elements);
    out->ndims = ndims;
    out->count = out->dims[0];
    out->data = buf;
    out->bytes = elements;
    return ALVK_OK;
}

void alvk_idx_free(alvk_idx *idx) {
    free(idx->data);
    memset(idx, 0, sizeof *idx);
}
