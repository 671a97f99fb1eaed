/* Checkpoints in the safetensors format: an 8-byte little-endian header
 * length, a JSON header naming each tensor's dtype, shape and byte range,
 * then the raw little-endian data. The reader parses only what that header
 * can hold (objects, arrays, strings, integers) and checks every range
 * against the file before anything reaches the store. */
#include "params.h"
#include "core/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HEADER (64u << 20)

/* ---- writing ------------------------------------------------------------ */

static alvk_status write_file(alvk_params *p, FILE *f, const char *path) {
    int n = alvk_params_count(p);
    size_t cap = 256 + (size_t)n * 256, len = 0;
    char *json = malloc(cap);
    if (!json) return alvk_error(ALVK_ERROR_OUT_OF_HOST_MEMORY, "checkpoint header");
    len += (size_t)snprintf(json + len, cap - len, "{\"__metadata__\":{\"format\":\"pt\",\"producer\":\"alvk %s\"}", alvk_version());
    uint64_t at = 0, largest = 0;
    for (int i = 0; i < n; i++) {
        uint32_t shape[ALVK_MAX_DIMS], nd = alvk_params_shape(p, i, shape);
        uint64_t bytes = 4 * alvk_params_numel(p, i, ALVK_PARAM_TRAINABLE);
        len += (size_t)snprintf(json + len, cap - len, ",\"%s\":{\"dtype\":\"F32\",\"shape\":[",
                                alvk_params_name(p, i));
        for (uint32_t d = 0; d < nd; d++)
            len += (size_t)snprintf(json + len, cap - len, "%s%u", d ? "," : "", shape[d]);
        len += (size_t)snprintf(json + len, cap - len, "],\"data_offsets\":[%llu,%llu]}",
                                (unsigned long long)at, (unsigned long long)(at + bytes));
        at += bytes;
        if (bytes > largest) largest = bytes;
    }
    len += (size_t)snprintf(json + len, cap - len, "}");
    while (len % 8) json[len++] = ' '; /* the data starts 8-byte aligned */
    uint8_t size_le[8];
    for (int b = 0; b < 8; b++) size_le[b] = (uint8_t)((uint64_t)len >> (8 * b));
    alvk_status s = ALVK_OK;
    if (fwrite(size_le, 1, 8, f) != 8 || fwrite(json, 1, len, f) != len)
        s = alvk_error(ALVK_ERROR_IO, "writing %s", path);
    free(json);
    float *data = s == ALVK_OK ? malloc(largest ? largest : 4) : NULL;
    if (s == ALVK_OK && !data) s = alvk_error(ALVK_ERROR_OUT_OF_HOST_MEMORY, "checkpoint data");
    for (int i = 0; i < n && s == ALVK_OK; i++) {
        size_t bytes = 4 * alvk_params_numel(p, i, ALVK_PARAM_TRAINABLE);
        s = alvk_params_read(p, i, data, bytes);
        if (s == ALVK_OK && fwrite(data, 1, bytes, f) != bytes)
            s = alvk_error(ALVK_ERROR_IO, "writing %s", path);
    }
    free(data);
    return s;
}

alvk_status alvk_params_save(alvk_params *p, const char *path) {
    if (alvk_params_usable(p, "alvk_params_save") != ALVK_OK) return ALVK_ERROR_INVALID_ARGUMENT;
    if (!path || alvk_params_count(p) == 0)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_params_save: no path, or an empty store");
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) return alvk_error(ALVK_ERROR_IO, "cannot create %s", tmp);
    alvk_status s = write_file(p, f, path);
    if (fclose(f) != 0 && s == ALVK_OK) s = alvk_error(ALVK_ERROR_IO, "writing %s", tmp);
    if (s == ALVK_OK && rename(tmp, path) != 0) s = alvk_error(ALVK_ERROR_IO, "cannot rename %s", tmp);
    if (s != ALVK_OK) remove(tmp);
    return s;
}

/* ---- reading: a small JSON parser for the header -------------------------- */

typedef struct parser {
    const char *start, *s, *end, *path;
    alvk_status status;
} parser;

typedef struct entry {
    char name[128], dtype[16];
    uint64_t shape[8], begin, end;
    uint32_t ndims;
    int has_offsets;
} entry;

static int fail(parser *ps, const char *what) {
    if (ps->status == ALVK_OK)
        ps->status = alvk_error(ALVK_ERROR_FORMAT, "%s: bad safetensors header (%s at byte %ld of the header)",
                                ps->path, what, (long)(ps->s - ps->start));
    return 0;
}

static void skip_space(parser *ps) {
    while (ps->s < ps->end && (*ps->s == ' ' || *ps->s == '\n' || *ps->s == '\r' || *ps->s == '\t'))
        ps->s++;
}

static int expect(parser *ps, char c) {
    skip_space(ps);
    if (ps->s >= ps->end || *ps->s != c) return fail(ps, "unexpected character");
    ps->s++;
    return 1;
}

/* A string into out (n bytes); escapes other than \" and \\ are refused:
 * tensor names and dtypes never need them. */
static int string(parser *ps, char *out, size_t n) {
    if (!expect(ps, '"')) return 0;
    size_t len = 0;
    while (ps->s < ps->end && *ps->s != '"') {
        char c = *ps->s++;
        if (c == '\\') {
            if (ps->s >= ps->end || (*ps->s != '"' && *ps->s != '\\')) return fail(ps, "escape");
            c = *ps->s++;
        }
        if (len + 1 >= n) return fail(ps, "string too long");
        out[len++] = c;
    }
    out[len] = '\0';
    return ps->s < ps->end ? (ps->s++, 1) : fail(ps, "unterminated string");
}

static int integer(parser *ps, uint64_t *out) {
    skip_space(ps);
    if (ps->s >= ps->end || *ps->s < '0' || *ps->s > '9') return fail(ps, "expected a number");
    uint64_t v = 0;
    while (ps->s < ps->end && *ps->s >= '0' && *ps->s <= '9') {
        if (v > (UINT64_MAX - 9) / 10) return fail(ps, "number too large");
        v = v * 10 + (uint64_t)(*ps->s++ - '0');
    }
    *out = v;
    return 1;
}

static int peek(parser *ps, char c) {
    skip_space(ps);
    return ps->s < ps->end && *ps->s == c;
}

static int int_array(parser *ps, uint64_t *out, uint32_t max, uint32_t *n) {
    if (!expect(ps, '[')) return 0;
    *n = 0;
    if (peek(ps, ']')) return expect(ps, ']');
    do {
        if (*n >= max) return fail(ps, "array too long");
        if (!integer(ps, &out[(*n)++])) return 0;
    } while (peek(ps, ',') && expect(ps, ','));
    return expect(ps, ']');
}

/* The metadata object: string keys, string values. */
static int metadata(parser *ps) {
    char skip[1024];
    if (!expect(ps, '{')) return 0;
    if (peek(ps, '}')) return expect(ps, '}');
    do {
        if (!string(ps, skip, sizeof skip) || !expect(ps, ':') || !string(ps, skip, sizeof skip))
            return 0;
    } while (peek(ps, ',') && expect(ps, ','));
    return expect(ps, '}');
}

static int tensor_entry(parser *ps, entry *e) {
    char key[32];
    uint64_t offsets[2];
    uint32_t n;
    if (!expect(ps, '{')) return 0;
    do {
        if (!string(ps, key, sizeof key) || !expect(ps, ':')) return 0;
        if (strcmp(key, "dtype") == 0) {
            if (!string(ps, e->dtype, sizeof e->dtype)) return 0;
        } else if (strcmp(key, "shape") == 0) {
            if (!int_array(ps, e->shape, 8, &e->ndims)) return 0;
        } else if (strcmp(key, "data_offsets") == 0) {
            if (!int_array(ps, offsets, 2, &n)) return 0;
            if (n != 2) return fail(ps, "data_offsets needs two numbers");
            e->begin = offsets[0], e->end = offsets[1], e->has_offsets = 1;
        } else {
            return fail(ps, "unknown key in a tensor entry");
        }
    } while (peek(ps, ',') && expect(ps, ','));
    return expect(ps, '}');
}

/* The header's tensor entries (malloc'd array). */
static alvk_status parse_header(const char *json, size_t len, const char *path, entry **out,
                                int *count) {
    parser ps = {json, json, json + len, path, ALVK_OK};
    int cap = 16, n = 0;
    entry *list = malloc((size_t)cap * sizeof *list);
    if (!list) return alvk_error(ALVK_ERROR_OUT_OF_HOST_MEMORY, "reading %s", path);
    if (expect(&ps, '{') && !peek(&ps, '}')) {
        do {
            char name[128];
            if (!string(&ps, name, sizeof name) || !expect(&ps, ':')) break;
            if (strcmp(name, "__metadata__") == 0) {
                if (!metadata(&ps)) break;
                continue;
            }
            if (n == cap) {
                entry *grown = realloc(list, (size_t)(cap *= 2) * sizeof *list);
                if (!grown) {
                    ps.status = alvk_error(ALVK_ERROR_OUT_OF_HOST_MEMORY, "reading %s", path);
                    break;
                }
                list = grown;
            }
            memset(&list[n], 0, sizeof list[n]);
            strcpy(list[n].name, name);
            if (!tensor_entry(&ps, &list[n])) break;
            if (!list[n].has_offsets || !list[n].dtype[0]) {
                fail(&ps, "a tensor entry lacks dtype or data_offsets");
                break;
            }
            n++;
        } while (peek(&ps, ',') && expect(&ps, ','));
    }
    if (ps.status == ALVK_OK) expect(&ps, '}');
    if (ps.status != ALVK_OK) {
        free(list);
        return ps.status;
    }
    *out = list;
    *count = n;
    return ALVK_OK;
}

static int ignored(const char *name) {
    const char *suffix = ".num_batches_tracked";
    size_t n = strlen(name), k = strlen(suffix);
    return n >= k && strcmp(name + n - k, suffix) == 0;
}

/* "[64, 1, 7, 7]" */
static void shape_text(const uint64_t *shape, uint32_t nd, char *out, size_t size) {
    size_t len = (size_t)snprintf(out, size, "[");
    for (uint32_t d = 0; d < nd && len < size; d++)
        len += (size_t)snprintf(out + len, size - len, "%s%llu", d ? ", " : "", (unsigned long long)shape[d]);
    if (len < size) snprintf(out + len, size - len, "]");
}

static int by_begin(const void *a, const void *b) {
    const entry *x = *(const entry *const *)a, *y = *(const entry *const *)b;
    return x->begin < y->begin ? -1 : x->begin > y->begin;
}

static int by_name(const void *a, const void *b) {
    return strcmp((*(const entry *const *)a)->name, (*(const entry *const *)b)->name);
}

/* No name twice and no two tensors on the same bytes: either would load one
 * tensor's values into another without a word. */
static alvk_status distinct(const entry *list, int n, const char *path) {
    const entry **sorted = malloc((size_t)(n ? n : 1) * sizeof *sorted);
    if (!sorted) return alvk_error(ALVK_ERROR_OUT_OF_HOST_MEMORY, "reading %s", path);
    for (int k = 0; k < n; k++) sorted[k] = &list[k];
    alvk_status s = ALVK_OK;
    qsort(sorted, (size_t)n, sizeof *sorted, by_name);
    for (int k = 1; s == ALVK_OK && k < n; k++)
        if (strcmp(sorted[k - 1]->name, sorted[k]->name) == 0)
            s = alvk_error(ALVK_ERROR_FORMAT, "%s holds %s twice", path, sorted[k]->name);
    qsort(sorted, (size_t)n, sizeof *sorted, by_begin);
    for (int k = 1; s == ALVK_OK && k < n; k++)
        if (sorted[k]->begin < sorted[k - 1]->end)
            s = alvk_error(ALVK_ERROR_FORMAT, "%s: tensors %s and %s share bytes (%llu..%llu and %llu..%llu)",
                           path, sorted[k - 1]->name, sorted[k]->name,
                           (unsigned long long)sorted[k - 1]->begin, (unsigned long long)sorted[k - 1]->end,
                           (unsigned long long)sorted[k]->begin, (unsigned long long)sorted[k]->end);
    free(sorted);
    return s;
}

/* A checkpoint with NaN or Inf in it is damaged: a model would load and
 * evaluate to a number while computing nothing. */
static alvk_status finite(const uint8_t *bytes, uint64_t count, const char *path, const char *name) {
    for (uint64_t i = 0; i < count; i++) {
        float v;
        memcpy(&v, bytes + 4 * i, sizeof v);
        if (!isfinite(v))
            return alvk_error(ALVK_ERROR_FORMAT, "%s: %s holds %s at element %llu", path, name,
                              isnan(v) ? "NaN" : "an infinity", (unsigned long long)i);
    }
    return ALVK_OK;
}

/* Matches every store tensor with an entry of the same dtype and shape, and
 * every entry with a store tensor (bar ignored ones). */
static alvk_status match(alvk_params *p, const entry *list, int n, uint64_t data_bytes,
                         const char *path, int *which) {
    for (int k = 0; k < n; k++) {
        const entry *e = &list[k];
        if (e->begin > e->end || e->end > data_bytes)
            return alvk_error(ALVK_ERROR_FORMAT, "%s: tensor %s lies outside the file (bytes "
                              "%llu..%llu of %llu)", path, e->name, (unsigned long long)e->begin,
                              (unsigned long long)e->end, (unsigned long long)data_bytes);
        if (alvk_params_find(p, e->name) < 0 && !ignored(e->name))
            return alvk_error(ALVK_ERROR_FORMAT, "%s holds %s, which this model does not have",
                              path, e->name);
    }
    for (int i = 0; i < alvk_params_count(p); i++) {
        const char *name = alvk_params_name(p, i);
        int k = 0;
        while (k < n && strcmp(list[k].name, name) != 0) k++;
        if (k == n) return alvk_error(ALVK_ERROR_FORMAT, "%s lacks %s", path, name);
        uint32_t shape[ALVK_MAX_DIMS], nd = alvk_params_shape(p, i, shape);
        int same = strcmp(list[k].dtype, "F32") == 0 && list[k].ndims == nd &&
                   list[k].end - list[k].begin == 4 * alvk_params_numel(p, i, 0);
        for (uint32_t d = 0; same && d < nd; d++) same = list[k].shape[d] == shape[d];
        if (!same) {
            char have[160], want[160];
            shape_text(list[k].shape, list[k].ndims, have, sizeof have);
            uint64_t wanted[ALVK_MAX_DIMS];
            for (uint32_t d = 0; d < nd; d++) wanted[d] = shape[d];
            shape_text(wanted, nd, want, sizeof want);
            return alvk_error(ALVK_ERROR_FORMAT, "%s: %s is %s %s (%llu bytes); this model wants F32 %s",
                              path, name, list[k].dtype, have,
                              (unsigned long long)(list[k].end - list[k].begin), want);
        }
        which[i] = k;
    }
    return distinct(list, n, path);
}



static alvk_status read_all(FILE *f, const char *path, uint64_t size, uint8_t **out) {
    *out = malloc(size ? size : 1);
    if (!*out) return alvk_error(ALVK_ERROR_OUT_OF_HOST_MEMORY, "reading %s", path);
    if (fread(*out, 1, size, f) != size) {
        free(*out);
        *out = NULL;
        return alvk_error(ALVK_ERROR_FORMAT, "%s is truncated", path);
    }
    return ALVK_OK;
}

alvk_status alvk_params_load(alvk_params *p, const char *path) {
    if (alvk_params_usable(p, "alvk_params_load") != ALVK_OK) return ALVK_ERROR_INVALID_ARGUMENT;
    if (!path) return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_params_load: path is NULL");
    FILE *f = fopen(path, "rb");
    if (!f) return alvk_error(ALVK_ERROR_IO, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long file_size = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t size_le[8];
    uint64_t header = 0;
    alvk_status s = ALVK_OK;
    if (file_size < 8 || fread(size_le, 1, 8, f) != 8)
        s = alvk_error(ALVK_ERROR_FORMAT, "%s is too short for a safetensors file", path);
    for (int b = 0; s == ALVK_OK && b < 8; b++) header |= (uint64_t)size_le[b] << (8 * b);
    if (s == ALVK_OK && (header > MAX_HEADER || header > (uint64_t)file_size - 8))
        s = alvk_error(ALVK_ERROR_FORMAT, "%s: header length %llu does not fit the file (%ld bytes)",
                       path, (unsigned long long)header, file_size);
    uint8_t *json = NULL, *data = NULL;
    entry *list = NULL;
    int n = 0, *which = calloc((size_t)alvk_params_count(p) + 1, sizeof *which);
    uint64_t data_bytes = s == ALVK_OK ? (uint64_t)file_size - 8 - header : 0;
    if (s == ALVK_OK) s = read_all(f, path, header, &json);
    if (s == ALVK_OK) s = parse_header((const char *)json, header, path, &list, &n);
    if (s == ALVK_OK) s = match(p, list, n, data_bytes, path, which);
    if (s == ALVK_OK) s = read_all(f, path, data_bytes, &data);
    /* Everything checked and in memory: only now does the store change. */
    for (int i = 0; s == ALVK_OK && i < alvk_params_count(p); i++)
        s = finite(data + list[which[i]].begin, alvk_params_numel(p, i, 0), path, alvk_params_name(p, i));
    for (int i = 0; s == ALVK_OK && i < alvk_params_count(p); i++)
        s = alvk_params_write(p, i, (const float *)(data + list[which[i]].begin), 4 * alvk_params_numel(p, i, 0));
    fclose(f);
    free(json);
    free(data);
    free(list);
    free(which);
    return s;
}
