/* The parameter store: layout (trainable tensors first and contiguous),
 * host round trips, device snapshots, and safetensors checkpoints, written
 * and read back, read from a PyTorch-style file, and rejected when wrong
 * without touching the store. */
#include "harness.h"
#include "nn/params.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[512];

static void make_dir(void) {
    const char *base = getenv("XDG_CACHE_HOME");
    snprintf(dir, sizeof dir, "%s/alvk-params-test-XXXXXX", base && *base ? base : "/tmp");
    cr_assert(mkdtemp(dir), "mkdtemp %s", dir);
}

/* a [3,5] trainable, bn.running_mean [7] state, c [2,2,3] trainable. */
static alvk_params *small_store(alvk_context *ctx, int with_c) {
    alvk_params *p;
    TEST_OK(alvk_params_create(ctx, &p));
    TEST_OK(alvk_params_add(p, "a", (uint32_t[]){3, 5}, 2, ALVK_PARAM_TRAINABLE, NULL));
    TEST_OK(alvk_params_add(p, "bn.running_mean", (uint32_t[]){7}, 1, ALVK_PARAM_STATE, NULL));
    if (with_c) TEST_OK(alvk_params_add(p, "c", (uint32_t[]){2, 2, 3}, 3, ALVK_PARAM_TRAINABLE, NULL));
    TEST_OK(alvk_params_commit(p));
    return p;
}

static void fill(alvk_params *p, float base) {
    for (int i = 0; i < alvk_params_count(p); i++) {
        size_t n = alvk_params_numel(p, i, 0);
        float v[16];
        for (size_t k = 0; k < n; k++) v[k] = base + (float)(i * 100 + (int)k);
        TEST_OK(alvk_params_write(p, i, v, sizeof v));
    }
}

static void expect_values(alvk_params *p, float base) {
    for (int i = 0; i < alvk_params_count(p); i++) {
        size_t n = alvk_params_numel(p, i, 0);
        float v[16];
        TEST_OK(alvk_params_read(p, i, v, sizeof v));
        for (size_t k = 0; k < n; k++)
            cr_expect_eq(v[k], base + (float)(i * 100 + (int)k), "tensor %d [%zu]", i, k);
    }
}

Test(params, lays_trainable_tensors_out_first) {
    alvk_context *ctx = test_open(NULL);
    alvk_params *p = small_store(ctx, 1);
    cr_expect_eq(alvk_params_count(p), 3);
    cr_expect_eq(alvk_params_numel(p, -1, ALVK_PARAM_TRAINABLE), 27);
    cr_expect_eq(alvk_params_numel(p, -1, ALVK_PARAM_STATE), 7);
    alvk_buffer values, grads, m, v;
    uint32_t n;
    alvk_params_trainable(p, &values, &grads, &m, &v, &n);
    alvk_buffer a = alvk_params_value(p, 0), c = alvk_params_value(p, 2), bn = alvk_params_value(p, 1);
    cr_expect(n >= 27 && a.offset >= values.offset && c.offset + c.size <= values.offset + 4ull * n,
              "trainable tensors must lie inside the Adam range");
    cr_expect_geq(bn.offset, values.offset + 4ull * n, "state tensors come after the trainable ones");
    cr_expect_eq((c.offset - values.offset) % ctx->memory.alignment, 0, "tensors start aligned");
    cr_expect_eq(alvk_params_find(p, "c"), 2);
    cr_expect_eq(alvk_params_find(p, "nope"), -1);
    alvk_params_destroy(p);
    test_close(ctx);
}

/* Gradients through the host: each trainable tensor's alone, or all of them
 * packed in store order with the state tensor between them skipped; a
 * backward's gradient read as it left it. */
Test(params, gradients_read_and_write_per_tensor_and_packed) {
    alvk_context *ctx = test_open(NULL);
    alvk_params *p = small_store(ctx, 1);
    float a[15], c[12], packed[27], back[27];
    for (int k = 0; k < 15; k++) a[k] = (float)k + 0.5f;
    for (int k = 0; k < 12; k++) c[k] = -(float)k;
    TEST_OK(alvk_params_write_grad(p, 0, a, sizeof a));
    TEST_OK(alvk_params_write_grad(p, 2, c, sizeof c));
    TEST_OK(alvk_params_read_grad(p, -1, packed, sizeof packed));
    cr_expect(memcmp(packed, a, sizeof a) == 0 && memcmp(packed + 15, c, sizeof c) == 0, "packed: a, then c");
    for (int k = 0; k < 27; k++) packed[k] = 0.25f * (float)k;
    TEST_OK(alvk_params_write_grad(p, -1, packed, sizeof packed));
    TEST_OK(alvk_params_read_grad(p, 2, c, sizeof c));
    TEST_OK(alvk_params_read_grad(p, 0, a, sizeof a));
    memcpy(back, a, sizeof a), memcpy(back + 15, c, sizeof c);
    cr_expect(memcmp(back, packed, sizeof back) == 0, "a packed write lands in each tensor");
    cr_expect_eq(alvk_params_read_grad(p, 1, a, sizeof a), ALVK_ERROR_INVALID_ARGUMENT, "a state tensor has no gradient");

    /* loss = mean(a^2): the gradient is 2a / 15. */
    fill(p, 0.0f);
    alvk_graph *g;
    TEST_OK(alvk_graph_create(ctx, p, 1, ALVK_GRAPH_TRAIN, &g));
    alvk_node loss = alvk_graph_mean(g, alvk_graph_square(g, alvk_graph_param(g, "a")));
    TEST_OK(alvk_graph_backward(g, loss));
    TEST_OK(alvk_graph_compile(g));
    TEST_OK(alvk_graph_run(g, 1));
    TEST_OK(alvk_params_read_grad(p, 0, a, sizeof a));
    for (int k = 0; k < 15; k++) cr_expect(fabsf(a[k] - 2.0f * (float)k / 15) < 1e-5f, "da[%d] = %g", k, a[k]);
    alvk_graph_destroy(g);
    alvk_params_destroy(p);
    test_close(ctx);
}

Test(params, rejects_bad_declarations) {
    alvk_context *ctx = test_open(NULL);
    alvk_params *p;
    TEST_OK(alvk_params_create(ctx, &p));
    TEST_OK(alvk_params_add(p, "w", (uint32_t[]){4}, 1, ALVK_PARAM_TRAINABLE, NULL));
    cr_expect_eq(alvk_params_add(p, "w", (uint32_t[]){4}, 1, ALVK_PARAM_TRAINABLE, NULL),
                 ALVK_ERROR_INVALID_ARGUMENT, "duplicate name");
    cr_expect_eq(alvk_params_add(p, "z", (uint32_t[]){4, 0}, 2, ALVK_PARAM_TRAINABLE, NULL),
                 ALVK_ERROR_INVALID_ARGUMENT, "zero dimension");
    cr_expect_eq(alvk_params_add(p, "z", (uint32_t[]){1, 1, 1, 1, 1}, 5, ALVK_PARAM_TRAINABLE, NULL),
                 ALVK_ERROR_INVALID_ARGUMENT, "too many dimensions");
    cr_expect_eq(alvk_params_restore(p), ALVK_ERROR_INVALID_ARGUMENT, "restore before snapshot");
    TEST_OK(alvk_params_commit(p));
    cr_expect_eq(alvk_params_add(p, "late", (uint32_t[]){4}, 1, ALVK_PARAM_TRAINABLE, NULL),
                 ALVK_ERROR_INVALID_ARGUMENT, "add after commit");
    alvk_params_destroy(p);
    test_close(ctx);
}

Test(params, snapshot_and_restore_on_the_device) {
    alvk_context *ctx = test_open(NULL);
    alvk_params *p = small_store(ctx, 1);
    for (int i = 0; i < alvk_params_count(p); i++) { /* committed tensors start at zero */
        float v[16] = {1};
        TEST_OK(alvk_params_read(p, i, v, sizeof v));
        for (size_t k = 0; k < alvk_params_numel(p, i, 0); k++) cr_expect_eq(v[k], 0.0f);
    }
    fill(p, 1.0f);
    TEST_OK(alvk_params_snapshot(p));
    fill(p, 50.0f);
    expect_values(p, 50.0f);
    TEST_OK(alvk_params_restore(p));
    expect_values(p, 1.0f);
    alvk_params_destroy(p);
    test_close(ctx);
}

Test(params, checkpoints_round_trip) {
    make_dir();
    char path[700];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    alvk_context *ctx = test_open(NULL);
    alvk_params *p = small_store(ctx, 1), *q = small_store(ctx, 1);
    fill(p, 0.5f);
    TEST_OK(alvk_params_save(p, path));
    cr_expect_neq(access(path, R_OK), -1);
    TEST_OK(alvk_params_load(q, path));
    expect_values(q, 0.5f);
    /* The header is what safetensors readers expect. */
    FILE *f = fopen(path, "rb");
    uint8_t le[8];
    char json[512] = {0};
    cr_assert(f && fread(le, 1, 8, f) == 8);
    size_t n = le[0] | (size_t)le[1] << 8;
    cr_assert(n < sizeof json && fread(json, 1, n, f) == n);
    fclose(f);
    cr_expect_eq(n % 8, 0, "data starts 8-byte aligned");
    cr_expect(strstr(json, "\"a\":{\"dtype\":\"F32\",\"shape\":[3,5],\"data_offsets\":[0,60]}"), "%s", json);
    alvk_params_destroy(p);
    alvk_params_destroy(q);
    test_close(ctx);
}

/* A file as PyTorch's safetensors writer makes one: metadata, tensors in
 * another order, and an I64 num_batches_tracked the store has no use for. */
static void write_torch_style(const char *path) {
    const char *json =
        "{\"__metadata__\": {\"format\": \"pt\"}, "
        "\"bn.num_batches_tracked\": {\"dtype\": \"I64\", \"shape\": [], \"data_offsets\": [88, 96]}, "
        "\"bn.running_mean\": {\"dtype\": \"F32\", \"shape\": [7], \"data_offsets\": [60, 88]}, "
        "\"a\": {\"dtype\": \"F32\", \"shape\": [3, 5], \"data_offsets\": [0, 60]}}";
    size_t n = strlen(json), padded = (n + 7) / 8 * 8;
    FILE *f = fopen(path, "wb");
    cr_assert(f);
    uint8_t le[8] = {(uint8_t)padded, (uint8_t)(padded >> 8)};
    fwrite(le, 1, 8, f);
    fwrite(json, 1, n, f);
    for (size_t i = n; i < padded; i++) fputc(' ', f);
    for (int i = 0; i < 22; i++) {
        float v = i < 15 ? 0.25f * (float)i : -1.0f * (float)i;
        fwrite(&v, 4, 1, f);
    }
    uint64_t tracked = 3;
    fwrite(&tracked, 8, 1, f);
    fclose(f);
}

Test(params, reads_a_pytorch_style_file) {
    make_dir();
    char path[700];
    snprintf(path, sizeof path, "%s/torch.safetensors", dir);
    write_torch_style(path);
    alvk_context *ctx = test_open(NULL);
    alvk_params *p = small_store(ctx, 0);
    TEST_OK(alvk_params_load(p, path));
    float a[15], bn[7];
    TEST_OK(alvk_params_read(p, 0, a, sizeof a));
    TEST_OK(alvk_params_read(p, 1, bn, sizeof bn));
    cr_expect(a[14] == 3.5f && bn[0] == -15.0f && bn[6] == -21.0f);
    alvk_params_destroy(p);
    test_close(ctx);
}

static void expect_load_error(alvk_params *p, const char *path, const char *phrase) {
    fill(p, 9.0f);
    alvk_status s = alvk_params_load(p, path);
    cr_expect_eq(s, ALVK_ERROR_FORMAT, "%s: got %s: %s", phrase, alvk_status_str(s), alvk_last_error());
    cr_expect(strstr(alvk_last_error(), phrase), "message lacks \"%s\": %s", phrase, alvk_last_error());
    expect_values(p, 9.0f); /* a failed load changes nothing */
}

Test(params, rejects_wrong_checkpoints_and_keeps_the_store) {
    make_dir();
    char good[700], bad[700];
    snprintf(good, sizeof good, "%s/good.safetensors", dir);
    snprintf(bad, sizeof bad, "%s/bad.safetensors", dir);
    alvk_context *ctx = test_open(NULL);
    alvk_params *two = small_store(ctx, 0), *three = small_store(ctx, 1);
    fill(three, 2.0f);
    TEST_OK(alvk_params_save(three, good));
    expect_load_error(two, good, "does not have");  /* the file has c, the store not */
    write_torch_style(bad);
    expect_load_error(three, bad, "lacks c");      /* the store has c, the file not */

    alvk_params *other;                              /* a as [5,3] instead of [3,5] */
    TEST_OK(alvk_params_create(ctx, &other));
    TEST_OK(alvk_params_add(other, "a", (uint32_t[]){5, 3}, 2, ALVK_PARAM_TRAINABLE, NULL));
    TEST_OK(alvk_params_add(other, "bn.running_mean", (uint32_t[]){7}, 1, ALVK_PARAM_STATE, NULL));
    TEST_OK(alvk_params_commit(other));
    write_torch_style(bad);
    /* same byte count, other shape: the shape check must catch it */
    alvk_status s = alvk_params_load(other, bad);
    cr_expect_eq(s, ALVK_ERROR_FORMAT, "transposed shape accepted");

    FILE *f = fopen(good, "rb");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    cr_assert_eq(truncate(good, size - 4), 0);
    expect_load_error(three, good, "outside the file");
    cr_assert_eq(truncate(good, 5), 0);
    expect_load_error(three, good, "too short");
    f = fopen(bad, "wb");
    fwrite((uint8_t[8]){16}, 1, 8, f);
    fputs("{\"a\": [1, 2]}   ", f);
    fclose(f);
    expect_load_error(three, bad, "bad safetensors header");
    alvk_params_destroy(two);
    alvk_params_destroy(three);
    alvk_params_destroy(other);
    test_close(ctx);
}
