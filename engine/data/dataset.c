/* Datasets of images and labels from IDX file pairs (MNIST and its
 * relatives) or from the caller's memory, held on the host; the engine
 * uploads them to the device once and gathers batches there. */
#include "idx.h"
#include "core/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct alvk_dataset {
    alvk_idx images, labels;
    uint32_t classes; /* the largest label + 1 */
};

/* DIR/NAME if it exists, else DIR/NAME.gz if that does, else DIR/NAME. */
static void find(const char *dir, const char *name, char *path, size_t n) {
    snprintf(path, n, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (f) {
        fclose(f);
        return;
    }
    snprintf(path, n, "%s/%s.gz", dir, name);
    if ((f = fopen(path, "rb"))) {
        fclose(f);
        return;
    }
    snprintf(path, n, "%s/%s", dir, name);
}

alvk_status alvk_dataset_load(const char *dir, const char *split, uint32_t classes,
                              alvk_dataset **out) {
    if (!out) return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_dataset_load: out is NULL");
    *out = NULL;
    if (!dir || !split || !*split)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_dataset_load: no directory or split");
    if (!classes) classes = 10;
    alvk_dataset *ds = calloc(1, sizeof *ds);
    if (!ds) return alvk_error(ALVK_ERROR_OUT_OF_HOST_MEMORY, "allocating a dataset");
    char name[256], images[1400], labels[1400];
    snprintf(name, sizeof name, "%s-images-idx3-ubyte", split);
    find(dir, name, images, sizeof images);
    snprintf(name, sizeof name, "%s-labels-idx1-ubyte", split);
    find(dir, name, labels, sizeof labels);
    alvk_status s = alvk_idx_read(images, 3, &ds->images);
    if (s == ALVK_OK) s = alvk_idx_read(labels, 1, &ds->labels);
    if (s == ALVK_OK && ds->images.count != ds->labels.count)
        s = alvk_error(ALVK_ERROR_FORMAT, "%s holds %llu images but %s holds %llu labels", images,
                       (unsigned long long)ds->images.count, labels,
                       (unsigned long long)ds->labels.count);
    for (uint64_t i = 0; s == ALVK_OK && i < ds->labels.count; i++) {
        if (ds->labels.data[i] >= classes)
            s = alvk_error(ALVK_ERROR_FORMAT, "%s: label %u of image %llu is not below %u", labels,
                           ds->labels.data[i], (unsigned long long)i, classes);
        else if (ds->labels.data[i] >= ds->classes)
            ds->classes = ds->labels.data[i] + 1u;
    }
    if (s != ALVK_OK) {
        alvk_dataset_destroy(ds);
        return s;
    }
    *out = ds;
    return ALVK_OK;
}

/* A copy of n bytes in an IDX record of the given dimensions. */
static alvk_status copy_idx(const uint8_t *data, uint32_t ndims, const uint32_t *dims, size_t n,
                            alvk_idx *out) {
    *out = (alvk_idx){.ndims = ndims, .count = dims[0], .bytes = n};
    memcpy(out->dims, dims, ndims * sizeof *dims);
    if (!(out->data = malloc(n))) return alvk_error(ALVK_ERROR_OUT_OF_HOST_MEMORY, "copying %zu bytes of a dataset", n);
    memcpy(out->data, data, n);
    return ALVK_OK;
}

alvk_status alvk_dataset_create(const uint8_t *images, const uint8_t *labels, uint32_t count,
                                uint32_t rows, uint32_t cols, uint32_t classes, alvk_dataset **out) {
    if (!out) return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_dataset_create: out is NULL");
    *out = NULL;
    if (!images || !labels)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_dataset_create: %s is NULL", images ? "labels" : "images");
    if (!count || !rows || !cols)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_dataset_create: %u images of %ux%u pixels: "
                          "none of the three may be 0", count, rows, cols);
    /* The gather kernel addresses the pool's bytes with 32 bits. */
    uint64_t pixels = (uint64_t)count * rows * cols;
    if (pixels > UINT32_MAX)
        return alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_dataset_create: %u images of %ux%u are %llu "
                          "pixels, more than a pool holds (%u)", count, rows, cols,
                          (unsigned long long)pixels, UINT32_MAX);
    if (!classes) classes = 10;
    alvk_dataset *ds = calloc(1, sizeof *ds);
    if (!ds) return alvk_error(ALVK_ERROR_OUT_OF_HOST_MEMORY, "allocating a dataset");
    alvk_status s = ALVK_OK;
    for (uint32_t i = 0; s == ALVK_OK && i < count; i++) {
        if (labels[i] >= classes)
            s = alvk_error(ALVK_ERROR_INVALID_ARGUMENT, "alvk_dataset_create: label %u of image %u is not "
                           "below %u classes", labels[i], i, classes);
        else if (labels[i] >= ds->classes)
            ds->classes = labels[i] + 1u;
    }
    if (s == ALVK_OK) s = copy_idx(images, 3, (uint32_t[]){count, rows, cols}, (size_t)pixels, &ds->images);
    if (s == ALVK_OK) s = copy_idx(labels, 1, (uint32_t[]){count}, count, &ds->labels);
    if (s != ALVK_OK) {
        alvk_dataset_destroy(ds);
        return s;
    }
    *out = ds;
    return ALVK_OK;
}

void alvk_dataset_destroy(alvk_dataset *ds) {
    if (!ds) return;
    alvk_idx_free(&ds->images);
    alvk_idx_free(&ds->labels);
    free(ds);
}

uint32_t alvk_dataset_count(const alvk_dataset *ds) { return ds ? (uint32_t)ds->images.count : 0; }
uint32_t alvk_dataset_classes(const alvk_dataset *ds) { return ds ? ds->classes : 0; }

void alvk_dataset_shape(const alvk_dataset *ds, uint32_t *rows, uint32_t *cols) {
    if (rows) *rows = ds ? ds->images.dims[1] : 0;
    if (cols) *cols = ds ? ds->images.dims[2] : 0;
}

const uint8_t *alvk_dataset_images(const alvk_dataset *ds) { return ds ? ds->images.data : NULL; }
const uint8_t *alvk_dataset_labels(const alvk_dataset *ds) { return ds ? ds->labels.data : NULL; }
