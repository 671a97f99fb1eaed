/* IDX datasets: raw and gzip files load; every kind of damage is a clear
 * ALVK_ERROR_FORMAT naming the file; and, when MNIST has been fetched
 * (ALVK_DATA), the real files load with their known counts. */
#include <alvk/alvk.h>
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

static char dir[512];

static void make_dir(void) {
    const char *base = getenv("XDG_CACHE_HOME");
    snprintf(dir, sizeof dir, "%s/alvk-data-test-XXXXXX", base && *base ? base : "/tmp");
    cr_assert(mkdtemp(dir), "mkdtemp %s", dir);
}

/* Writes an IDX file: magic (type, ndims), dims, then `extra` more or fewer
 * data bytes than the dims describe; gzip-compressed when gz. */
static void write_idx(const char *name, int gz, uint8_t type, uint32_t ndims,
                      const uint32_t *dims, long extra, uint8_t fill) {
    char path[700];
    snprintf(path, sizeof path, "%s/%s%s", dir, name, gz ? ".gz" : "");
    size_t n = 1;
    for (uint32_t d = 0; d < ndims; d++) n *= dims[d];
    n = (size_t)((long)n + extra);
    uint8_t *buf = malloc(4 + 4 * ndims + n);
    cr_assert(buf);
    buf[0] = 0, buf[1] = 0, buf[2] = type, buf[3] = (uint8_t)ndims;
    for (uint32_t d = 0; d < ndims; d++)
        for (int b = 0; b < 4; b++) buf[4 + 4 * d + b] = (uint8_t)(dims[d] >> (24 - 8 * b));
    for (size_t i = 0; i < n; i++) buf[4 + 4 * ndims + i] = (uint8_t)(fill ? fill : i * 7);
    size_t total = 4 + 4 * ndims + n;
    if (gz) {
        gzFile f = gzopen(path, "wb");
        cr_assert(f && gzwrite(f, buf, (unsigned)total) == (int)total);
        gzclose(f);
    } else {
        FILE *f = fopen(path, "wb");
        cr_assert(f && fwrite(buf, 1, total, f) == total);
        fclose(f);
    }
    free(buf);
}

/* A good pair: 5 images of 3x4 (pixel i is 7i mod 256), labels all 3. */
static void write_pair(int gz) {
    uint32_t idims[3] = {5, 3, 4}, ldims[1] = {5};
    write_idx("train-images-idx3-ubyte", gz, 0x08, 3, idims, 0, 0);
    write_idx("train-labels-idx1-ubyte", gz, 0x08, 1, ldims, 0, 3);
}

static void expect_format_error(const char *phrase) {
    alvk_dataset *ds = (alvk_dataset *)1;
    alvk_status s = alvk_dataset_load(dir, "train", 10, &ds);
    cr_expect_eq(s, ALVK_ERROR_FORMAT, "got %s: %s", alvk_status_str(s), alvk_last_error());
    cr_expect_null(ds);
    cr_expect(strstr(alvk_last_error(), phrase), "message lacks \"%s\": %s", phrase, alvk_last_error());
    cr_expect(strstr(alvk_last_error(), dir), "message does not name the file: %s", alvk_last_error());
}

static void loads(int gz) {
    make_dir();
    write_pair(gz);
    alvk_dataset *ds;
    cr_assert_eq(alvk_dataset_load(dir, "train", 0, &ds), ALVK_OK, "%s", alvk_last_error());
    uint32_t rows, cols;
    alvk_dataset_shape(ds, &rows, &cols);
    cr_expect_eq(alvk_dataset_count(ds), 5);
    cr_expect(rows == 3 && cols == 4);
    const uint8_t *img = alvk_dataset_images(ds), *lab = alvk_dataset_labels(ds);
    cr_expect_eq(img[59], (uint8_t)(59 * 7));
    cr_expect(lab[0] == 3 && lab[4] == 3);
    cr_expect_eq(alvk_dataset_classes(ds), 4, "every label is 3: classes 0..3");
    alvk_dataset_destroy(ds);
}

Test(data, loads_raw_files) { loads(0); }
Test(data, loads_gzip_files) { loads(1); }

Test(data, rejects_a_bad_magic_number) {
    make_dir();
    write_pair(0);
    FILE *f = fopen(strcat(strcpy((char[700]){0}, dir), "/train-images-idx3-ubyte"), "r+b");
    cr_assert(f);
    fputc(0x42, f);
    fclose(f);
    expect_format_error("magic");
}

Test(data, rejects_another_element_type) {
    make_dir();
    write_pair(0);
    uint32_t idims[3] = {5, 3, 4};
    write_idx("train-images-idx3-ubyte", 0, 0x0D, 3, idims, 0, 0);
    expect_format_error("element type");
}

Test(data, rejects_wrong_dimensions) {
    make_dir();
    write_pair(0);
    uint32_t dims[2] = {5, 12};
    write_idx("train-images-idx3-ubyte", 0, 0x08, 2, dims, 0, 0);
    expect_format_error("dimensions");
}

Test(data, rejects_a_truncated_file) {
    make_dir();
    write_pair(0);
    uint32_t idims[3] = {5, 3, 4};
    write_idx("train-images-idx3-ubyte", 0, 0x08, 3, idims, -1, 0);
    expect_format_error("truncated");
}

Test(data, rejects_trailing_bytes) {
    make_dir();
    write_pair(1);
    uint32_t ldims[1] = {5};
    write_idx("train-labels-idx1-ubyte", 1, 0x08, 1, ldims, 3, 0);
    expect_format_error("trailing");
}

Test(data, rejects_a_damaged_gzip_stream) {
    make_dir();
    write_pair(1);
    char path[700];
    snprintf(path, sizeof path, "%s/train-images-idx3-ubyte.gz", dir);
    FILE *f = fopen(path, "rb");
    cr_assert(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    cr_assert_eq(truncate(path, size - 12), 0); /* cut the CRC and some data */
    alvk_dataset *ds;
    alvk_status s = alvk_dataset_load(dir, "train", 10, &ds);
    cr_expect_eq(s, ALVK_ERROR_FORMAT, "got %s: %s", alvk_status_str(s), alvk_last_error());
}

Test(data, rejects_unequal_counts) {
    make_dir();
    write_pair(0);
    uint32_t ldims[1] = {4};
    write_idx("train-labels-idx1-ubyte", 0, 0x08, 1, ldims, 0, 0);
    expect_format_error("labels");
}

Test(data, rejects_labels_out_of_range) {
    make_dir();
    write_pair(0);
    uint32_t ldims[1] = {5};
    write_idx("train-labels-idx1-ubyte", 0, 0x08, 1, ldims, 0, 10);
    expect_format_error("not below 10");
}

Test(data, a_missing_file_is_an_io_error) {
    make_dir();
    alvk_dataset *ds;
    cr_expect_eq(alvk_dataset_load(dir, "train", 10, &ds), ALVK_ERROR_IO);
    cr_expect(strstr(alvk_last_error(), "train-images-idx3-ubyte"), "%s", alvk_last_error());
}

/* The real thing, when scripts/fetch-mnist.sh has run. */
Test(data, loads_mnist) {
    const char *mnist = getenv("ALVK_DATA");
    char probe[700];
    snprintf(probe, sizeof probe, "%s/train-labels-idx1-ubyte", mnist ? mnist : "");
    if (!mnist || access(probe, R_OK) != 0) cr_skip_test("MNIST not fetched (ALVK_DATA unset or empty)");
    alvk_dataset *train, *test;
    cr_assert_eq(alvk_dataset_load(mnist, "train", 10, &train), ALVK_OK, "%s", alvk_last_error());
    cr_assert_eq(alvk_dataset_load(mnist, "t10k", 10, &test), ALVK_OK, "%s", alvk_last_error());
    uint32_t rows, cols, ones = 0;
    alvk_dataset_shape(train, &rows, &cols);
    cr_expect_eq(alvk_dataset_count(train), 60000);
    cr_expect_eq(alvk_dataset_count(test), 10000);
    cr_expect(alvk_dataset_classes(train) == 10 && alvk_dataset_classes(test) == 10);
    cr_expect(rows == 28 && cols == 28);
    const uint8_t *labels = alvk_dataset_labels(train);
    for (uint32_t i = 0; i < 60000; i++) ones += labels[i] == 1;
    cr_expect_eq(labels[0], 5, "the first training image is a 5");
    cr_expect_eq(ones, 6742, "MNIST's training set has 6742 ones");
    alvk_dataset_destroy(train);
    alvk_dataset_destroy(test);
}

/* ---- datasets from the caller's memory ------------------------------------ */

Test(data, creates_a_dataset_from_memory) {
    uint8_t images[4 * 2 * 3], labels[4] = {1, 0, 5, 2};
    for (int i = 0; i < 24; i++) images[i] = (uint8_t)(i * 11);
    alvk_dataset *ds;
    cr_assert_eq(alvk_dataset_create(images, labels, 4, 2, 3, 6, &ds), ALVK_OK, "%s", alvk_last_error());
    images[0] = 99, labels[0] = 4; /* the dataset holds copies */
    uint32_t rows, cols;
    alvk_dataset_shape(ds, &rows, &cols);
    cr_expect(alvk_dataset_count(ds) == 4 && rows == 2 && cols == 3);
    cr_expect_eq(alvk_dataset_classes(ds), 6, "the largest label + 1");
    const uint8_t *img = alvk_dataset_images(ds), *lab = alvk_dataset_labels(ds);
    cr_expect(img[0] == 0 && img[23] == (uint8_t)(23 * 11) && lab[0] == 1 && lab[2] == 5);
    alvk_dataset_destroy(ds);
    cr_assert_eq(alvk_dataset_create(images, labels, 4, 2, 3, 0, &ds), ALVK_OK, "classes 0 means 10");
    alvk_dataset_destroy(ds);
}

/* Each bad argument: ALVK_ERROR_INVALID_ARGUMENT, *out NULL, and a message
 * that says what is wrong. */
static void expect_refused(const uint8_t *images, const uint8_t *labels, uint32_t count, uint32_t rows,
                           uint32_t cols, uint32_t classes, const char *phrase) {
    alvk_dataset *ds = (alvk_dataset *)1;
    alvk_status s = alvk_dataset_create(images, labels, count, rows, cols, classes, &ds);
    cr_expect_eq(s, ALVK_ERROR_INVALID_ARGUMENT, "got %s: %s", alvk_status_str(s), alvk_last_error());
    cr_expect_null(ds);
    cr_expect(strstr(alvk_last_error(), phrase), "message lacks \"%s\": %s", phrase, alvk_last_error());
}

Test(data, a_dataset_from_memory_refuses_bad_arguments) {
    static uint8_t images[64], labels[8] = {0, 1, 2, 3, 9, 3, 2, 1};
    expect_refused(NULL, labels, 8, 2, 4, 10, "images is NULL");
    expect_refused(images, NULL, 8, 2, 4, 10, "labels is NULL");
    expect_refused(images, labels, 0, 2, 4, 10, "0 images of 2x4");
    expect_refused(images, labels, 8, 0, 4, 10, "none of the three may be 0");
    expect_refused(images, labels, 8, 2, 0, 10, "none of the three may be 0");
    expect_refused(images, labels, 8, 2, 4, 5, "label 9 of image 4 is not below 5 classes");
    static const uint8_t ten[2] = {3, 10};
    expect_refused(images, ten, 2, 2, 4, 0, "label 10 of image 1 is not below 10 classes"); /* 0: 10 */
    expect_refused(images, labels, 70000, 256, 256, 10, "more than a pool holds"); /* checked before any label is read */
    cr_expect_eq(alvk_dataset_create(images, labels, 8, 2, 4, 10, NULL), ALVK_ERROR_INVALID_ARGUMENT,
                 "no out: no crash");
}
