/* The on-disk pipeline cache (and the GEMM choice cached beside it): written
 * at close, reloaded at open, and any damaged or foreign file is a miss with
 * a warning, never an error. */
#include "axpy.h"
#include "ops/ops.h"
#include "vk/pipeline_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int warnings;

static void count_warnings(void *user, alvk_log_level level, const char *msg) {
    (void)user;
    fprintf(stderr, "[alvk %d] %s\n", (int)level, msg);
    if (level == ALVK_LOG_WARN && strstr(msg, "ignoring pipelines cache")) warnings++;
}

/* A fresh directory per test, so parallel runs never share a file. */
static void fresh_dir(char *dir, size_t n) {
    const char *base = getenv("XDG_CACHE_HOME");
    snprintf(dir, n, "%s/alvk-cache-test-XXXXXX", base && *base ? base : "/tmp");
    mkdir(base && *base ? base : "/tmp", 0755);
    cr_assert(mkdtemp(dir), "mkdtemp %s", dir);
}

/* Opens a context on dir, runs axpy once, closes; returns bytes loaded. */
static long long run_once(const char *dir, char *path, size_t n) {
    alvk_context *ctx = test_open(&(alvk_context_desc){.cache_dir = dir, .pipeline_cache = 1,
                                                       .log_fn = count_warnings,
                                                       .log_level = ALVK_LOG_WARN});
    long long loaded = alvk_pipeline_cache_loaded(ctx);
    if (path) alvk_disk_cache_path(ctx, "pipelines", path, n);
    float x[5] = {1, 2, 3, 4, 5}, y[5] = {0}, got[5];
    axpy_run run;
    axpy_setup(ctx, &run, x, y, 5, 2.0f);
    TEST_OK(alvk_cmd_run(run.cmd));
    TEST_OK(alvk_buffer_read(ctx, &run.y, 0, got, sizeof got));
    cr_expect_eq(got[4], 10.0f);
    axpy_teardown(ctx, &run);
    alvk_context_destroy(ctx);
    return loaded;
}

static long file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

Test(pipeline_cache, is_written_at_close_and_reloaded_at_open) {
    char dir[512], path[1200];
    fresh_dir(dir, sizeof dir);
    cr_expect_eq(run_once(dir, path, sizeof path), -1, "a new directory has no cache");
    long size = file_size(path);
    cr_assert(size >= 56, "no cache file at %s (size %ld)", path, size);
    cr_expect_geq(run_once(dir, NULL, 0), 0, "the saved cache was not used");
    cr_expect_eq(warnings, 0);
}

static void damage_and_reopen(void (*damage)(const char *path)) {
    char dir[512], path[1200];
    fresh_dir(dir, sizeof dir);
    run_once(dir, path, sizeof path);
    cr_assert_geq(file_size(path), 56);
    damage(path);
    cr_expect_eq(run_once(dir, NULL, 0), -1, "a damaged cache must not be used");
    cr_expect_eq(warnings, 1, "a damaged cache must be reported once");
    /* The next close replaced it with a good one. */
    warnings = 0;
    cr_expect_geq(run_once(dir, NULL, 0), 0);
    cr_expect_eq(warnings, 0);
}

static void truncate_half(const char *path) {
    long size = file_size(path);
    cr_assert_eq(truncate(path, size / 2), 0);
}

static void truncate_to_header(const char *path) { cr_assert_eq(truncate(path, 20), 0); }

/* Another device's cache: the pipelineCacheUUID in the header differs. */
static void make_foreign(const char *path) {
    FILE *f = fopen(path, "r+b");
    cr_assert(f);
    fseek(f, 8 + 4 * 4, SEEK_SET);
    unsigned char uuid_byte = 0;
    cr_assert_eq(fread(&uuid_byte, 1, 1, f), 1);
    uuid_byte ^= 0xff;
    fseek(f, 8 + 4 * 4, SEEK_SET);
    fwrite(&uuid_byte, 1, 1, f);
    fclose(f);
}

/* Same length, one byte of the driver's data flipped. */
static void corrupt_data(const char *path) {
    long size = file_size(path);
    FILE *f = fopen(path, "r+b");
    cr_assert(f);
    if (size <= 56) { /* an empty blob: damage the recorded length instead */
        fseek(f, 48, SEEK_SET);
        fputc(0x7f, f);
    } else {
        fseek(f, size - 1, SEEK_SET);
        int c = fgetc(f);
        fseek(f, size - 1, SEEK_SET);
        fputc(c ^ 0x5a, f);
    }
    fclose(f);
}

Test(pipeline_cache, tolerates_a_truncated_file) { damage_and_reopen(truncate_half); }
Test(pipeline_cache, tolerates_a_file_cut_inside_its_header) { damage_and_reopen(truncate_to_header); }
Test(pipeline_cache, tolerates_another_devices_file) { damage_and_reopen(make_foreign); }
Test(pipeline_cache, tolerates_a_corrupted_file) { damage_and_reopen(corrupt_data); }

Test(pipeline_cache, can_be_turned_off) {
    char dir[512], path[1200];
    fresh_dir(dir, sizeof dir);
    setenv("ALVK_PIPELINE_CACHE", "0", 1);
    alvk_context *ctx = test_open(&(alvk_context_desc){.cache_dir = dir});
    alvk_disk_cache_path(ctx, "pipelines", path, sizeof path);
    alvk_pipeline *p;
    TEST_OK(alvk_pipeline_get(ctx, &(alvk_kernel){.shader = ALVK_SHADER_axpy, .local = {64}}, &p));
    cr_expect_eq(alvk_pipeline_cache_loaded(ctx), -1);
    test_close(ctx);
    cr_expect_eq(file_size(path), -1, "ALVK_PIPELINE_CACHE=0 still wrote %s", path);
}

/* ---- the choices cache (ops/choices.c) ---------------------------------- */

static int cached_hits, choice_warnings;

static void count_choices(void *user, alvk_log_level level, const char *msg) {
    (void)user;
    cr_expect(strncmp(msg, "validation:", 11) != 0, "%s", msg);
    if (strstr(msg, "cached choice")) cached_hits++;
    if (level == ALVK_LOG_WARN && strstr(msg, "choices cache")) choice_warnings++;
}

/* One 256x256 GEMM by the identity on a fresh context over dir: C must
 * equal B. (Large enough to run packed: a GEMM of at most 2^23
 * multiply-adds runs unpacked, which races nothing.) */
#define GEMM_N 256
static void gemm_once(const char *dir, char *path, size_t n) {
    alvk_context *ctx = test_open(&(alvk_context_desc){.cache_dir = dir, .pipeline_cache = 1,
                                                       .log_fn = count_choices,
                                                       .log_level = ALVK_LOG_INFO});
    if (path) alvk_disk_cache_path(ctx, "choices", path, n);
    static float a[GEMM_N * GEMM_N], b[GEMM_N * GEMM_N], c[GEMM_N * GEMM_N];
    for (int i = 0; i < GEMM_N * GEMM_N; i++)
        b[i] = (float)(i % 1000), a[i] = i % (GEMM_N + 1) == 0;
    alvk_buffer ba, bb, bc;
    TEST_OK(alvk_buffer_alloc(ctx, sizeof a, &ba));
    TEST_OK(alvk_buffer_alloc(ctx, sizeof b, &bb));
    TEST_OK(alvk_buffer_alloc(ctx, sizeof c, &bc));
    TEST_OK(alvk_buffer_write(ctx, &ba, 0, a, sizeof a));
    TEST_OK(alvk_buffer_write(ctx, &bb, 0, b, sizeof b));
    alvk_cmd *cmd;
    TEST_OK(alvk_cmd_create(ctx, 0, &cmd));
    TEST_OK(alvk_cmd_begin(cmd));
    alvk_gemm g = {GEMM_N, GEMM_N, GEMM_N, .alpha = 1};
    TEST_OK(alvk_op_gemm(cmd, &g, &ba, &bb, &bc, NULL));
    TEST_OK(alvk_cmd_end(cmd));
    TEST_OK(alvk_cmd_run(cmd));
    TEST_OK(alvk_buffer_read(ctx, &bc, 0, c, sizeof c));
    for (int i = 0; i < GEMM_N * GEMM_N; i++)
        cr_assert_eq(c[i], b[i], "C[%d] = %g, want %g", i, c[i], b[i]);
    alvk_cmd_destroy(cmd);
    alvk_buffer_free(ctx, &ba), alvk_buffer_free(ctx, &bb), alvk_buffer_free(ctx, &bc);
    alvk_context_destroy(ctx);
}

Test(pipeline_cache, gemm_choice_is_cached_and_a_damaged_file_is_a_miss) {
    unsetenv("ALVK_GEMM_TILE");
    char dir[512], path[1200];
    fresh_dir(dir, sizeof dir);
    gemm_once(dir, path, sizeof path); /* races and writes the choice */
    struct stat st;
    cr_assert_eq(stat(path, &st), 0, "no choices file at %s", path);
    cr_expect_eq(cached_hits, 0);
    gemm_once(dir, NULL, 0);
    cr_expect_eq(cached_hits, 1, "the second context did not use the cached choice");
    FILE *f = fopen(path, "r+b");
    cr_assert(f);
    fseek(f, -4, SEEK_END);
    fputs("junk", f); /* past the header: the checksum no longer matches */
    fclose(f);
    gemm_once(dir, NULL, 0);
    cr_expect_eq(cached_hits, 1, "a damaged choice was used");
    cr_expect_geq(choice_warnings, 1, "no warning about the damaged file");
    gemm_once(dir, NULL, 0); /* the race rewrote it */
    cr_expect_eq(cached_hits, 2);
}
