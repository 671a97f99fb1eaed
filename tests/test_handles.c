/* Misuse of the API's objects is an error, never a crash or another
 * object's data: handles used after destroy or as the wrong kind, objects
 * destroyed before the ones that use them, nodes of another graph, host
 * buffers shorter than the transfer, and what a node holds. */
#include "harness.h"

#include <string.h>


/* A 2 -> 4 -> 3 MLP's store. */
static alvk_params *small_store(alvk_context *ctx) {
    alvk_params *p;
    TEST_OK(alvk_params_create(ctx, &p));
    TEST_OK(alvk_model_mlp(p, "mlp", 2, (uint32_t[]){4}, 1, 3));
    TEST_OK(alvk_params_commit(p));
    TEST_OK(alvk_params_initialize(p, 5));
    return p;
}

/* An evaluation graph of that MLP with its logits as output. */
static alvk_graph *small_graph(alvk_context *ctx, alvk_params *p, alvk_node *x, alvk_node *y) {
    alvk_graph *g;
    TEST_OK(alvk_graph_create(ctx, p, 4, ALVK_GRAPH_EVAL, &g));
    *x = alvk_graph_input(g, (uint32_t[]){2}, 1);
    *y = alvk_graph_mlp(g, *x, "mlp", 2);
    TEST_OK(alvk_graph_output(g, *y));
    TEST_OK(alvk_graph_compile(g));
    return g;
}

Test(handles, use_after_destroy_and_the_wrong_kind_are_errors) {
    alvk_context *ctx = test_open(NULL);
    alvk_params *p = small_store(ctx);
    alvk_node x, y;
    alvk_graph *g = small_graph(ctx, p, &x, &y);
    alvk_graph_destroy(g);
    TEST_REFUSED(alvk_graph_run(g, 1), "destroyed");
    cr_expect_eq(alvk_graph_relu(g, x), -1);
    TEST_REFUSED(alvk_graph_compile(g), "destroyed");
    alvk_graph_destroy(g); /* twice: nothing happens */
    TEST_REFUSED(alvk_graph_run((alvk_graph *)p, 1), "not a graph (a parameter store");
    TEST_REFUSED(alvk_params_commit((alvk_params *)ctx), "not a parameter store (a context");
    alvk_params_destroy(p);
    float v[8];
    TEST_REFUSED(alvk_params_read(p, 0, v, sizeof v), "destroyed");
    cr_expect_eq(alvk_params_count(p), 0);
    alvk_params_destroy(p);
    test_close(ctx);
    TEST_REFUSED(alvk_params_create(ctx, &p), "the context was destroyed");
    cr_expect_eq(alvk_context_device_count(ctx), 0);
    alvk_context_destroy(ctx);
}

Test(handles, a_store_destroyed_before_its_graph_orphans_the_graph) {
    alvk_context *ctx = test_open(NULL);
    alvk_params *p = small_store(ctx);
    alvk_node x, y;
    alvk_graph *g = small_graph(ctx, p, &x, &y);
    float in[8] = {0};
    TEST_OK(alvk_graph_set(g, x, in, sizeof in, 4));
    TEST_OK(alvk_graph_run(g, 4));
    alvk_params_destroy(p);
    TEST_REFUSED(alvk_graph_run(g, 4), "its parameter store was destroyed");
    TEST_REFUSED(alvk_graph_set(g, x, in, sizeof in, 4), "its parameter store was destroyed");
    alvk_graph_destroy(g);
    test_close(ctx); /* the layer reports any buffer left behind */
}

Test(handles, a_context_destroyed_first_orphans_its_stores_pools_and_graphs) {
    alvk_context *ctx = test_open(NULL);
    alvk_params *p = small_store(ctx);
    alvk_node x, y;
    alvk_graph *g = small_graph(ctx, p, &x, &y);
    test_close(ctx); /* everything else still alive: no validation message, no leak */
    float v[8];
    TEST_REFUSED(alvk_params_read(p, 0, v, sizeof v), "its context was destroyed");
    TEST_REFUSED(alvk_graph_run(g, 1), "its context was destroyed");
    cr_expect_eq(alvk_graph_relu(g, y), -1);
    alvk_graph_destroy(g);
    alvk_params_destroy(p);
}

Test(handles, a_node_of_another_graph_is_an_error) {
    alvk_context *ctx = test_open(NULL);
    alvk_params *p = small_store(ctx);
    alvk_graph *a, *b;
    TEST_OK(alvk_graph_create(ctx, p, 4, ALVK_GRAPH_EVAL, &a));
    TEST_OK(alvk_graph_create(ctx, p, 4, ALVK_GRAPH_EVAL, &b));
    alvk_node xa = alvk_graph_input(a, (uint32_t[]){2}, 1), xb = alvk_graph_input(b, (uint32_t[]){2}, 1);
    cr_expect(xa >= 0 && xb >= 0 && xa != xb, "both graphs' first node, told apart: %d %d", xa, xb);
    cr_expect_eq(alvk_graph_relu(b, xa), -1, "a's node in b");
    TEST_REFUSED(alvk_graph_compile(b), "not a node of this graph");
    cr_expect_eq(alvk_graph_output(a, 0), ALVK_ERROR_INVALID_ARGUMENT, "a bare index is no node id");
    TEST_OK(alvk_graph_output(a, alvk_graph_relu(a, xa)));
    TEST_OK(alvk_graph_compile(a));
    float in[2] = {1, 2};
    TEST_REFUSED(alvk_graph_set(a, xb, in, sizeof in, 1), "not a node of this graph");
    alvk_graph_destroy(a);
    alvk_graph_destroy(b);
    alvk_params_destroy(p);
    test_close(ctx);
}

Test(handles, transfers_check_the_room_at_data) {
    alvk_context *ctx = test_open(NULL);
    alvk_params *p = small_store(ctx);
    alvk_node x, y;
    alvk_graph *g = small_graph(ctx, p, &x, &y);
    float in[8] = {1, 2, 3, 4, 5, 6, 7, 8}, out[12];
    TEST_REFUSED(alvk_graph_set(g, x, in, sizeof in - 4, 4), "28 bytes at data, node");
    TEST_OK(alvk_graph_set(g, x, in, sizeof in, 4));
    TEST_OK(alvk_graph_run(g, 4));
    TEST_REFUSED(alvk_graph_read(g, y, out, 11 * sizeof *out), "44 bytes at data");
    TEST_OK(alvk_graph_read(g, y, out, sizeof out));
    TEST_OK(alvk_graph_run(g, 1));
    TEST_OK(alvk_graph_read(g, y, out, 3 * sizeof *out)); /* one row after a run of one */
    float w[8];
    TEST_REFUSED(alvk_params_write(p, 0, w, 7 * sizeof *w), "the tensor needs 32");
    TEST_REFUSED(alvk_params_read_grad(p, -1, w, sizeof w), "bytes at data");
    alvk_graph_destroy(g);
    alvk_params_destroy(p);
    test_close(ctx);
}

Test(handles, node_info_tells_shape_type_and_use) {
    alvk_context *ctx = test_open(NULL);
    alvk_params *p = small_store(ctx);
    alvk_graph *g;
    TEST_OK(alvk_graph_create(ctx, p, 4, ALVK_GRAPH_EVAL, &g));
    alvk_node x = alvk_graph_input(g, (uint32_t[]){2}, 1), labels = alvk_graph_labels(g);
    alvk_node logits = alvk_graph_mlp(g, x, "mlp", 2), hits = alvk_graph_correct(g, logits, labels);
    TEST_OK(alvk_graph_output(g, hits));
    alvk_node_info i;
    TEST_OK(alvk_graph_node_info(g, x, &i));
    cr_expect(i.dtype == ALVK_FLOAT32 && i.ndims == 2 && i.shape[0] == 4 && i.shape[1] == 2 && i.batched &&
              i.bytes == 32 && i.settable && i.readable);
    TEST_OK(alvk_graph_node_info(g, labels, &i));
    cr_expect(i.dtype == ALVK_UINT32 && i.ndims == 1 && i.bytes == 16 && i.settable);
    TEST_OK(alvk_graph_node_info(g, hits, &i));
    cr_expect(i.dtype == ALVK_UINT32 && !i.batched && i.bytes == 4 && !i.settable && i.readable);
    TEST_OK(alvk_graph_compile(g));
    TEST_OK(alvk_graph_node_info(g, logits, &i));
    cr_expect(i.dtype == ALVK_FLOAT32 && i.shape[1] == 3 && !i.settable && !i.readable, "memory reused");
    cr_expect_eq(alvk_graph_relu(g, hits), -1, "a count is no float operand");
    TEST_REFUSED(alvk_graph_node_info(g, -1, &i), "not a node of this graph");
    alvk_graph_destroy(g);
    alvk_params_destroy(p);
    test_close(ctx);
}

Test(handles, objects_of_two_contexts_do_not_mix) {
    alvk_context *a = test_open(NULL), *b = test_open(NULL);
    alvk_params *pb = small_store(b);
    alvk_graph *g;
    TEST_REFUSED(alvk_graph_create(a, pb, 4, ALVK_GRAPH_EVAL, &g), "another context");
    uint8_t images[4 * 64] = {0}, labels[4] = {0, 1, 2, 1};
    alvk_dataset *ds;
    alvk_pool *pool;
    TEST_OK(alvk_dataset_create(images, labels, 4, 8, 8, 3, &ds));
    TEST_OK(alvk_pool_create(b, ds, &pool));
    TEST_OK(alvk_graph_create(a, NULL, 4, ALVK_GRAPH_EVAL, &g));
    cr_expect_eq(alvk_graph_gather(g, pool, alvk_graph_indices(g)), -1);
    TEST_REFUSED(alvk_graph_compile(g), "another context");
    alvk_graph_destroy(g);
    alvk_pool_destroy(pool);
    alvk_dataset_destroy(ds);
    alvk_params_destroy(pb);
    test_close(b);
    test_close(a);
}

/* A gather added when the node array grows still limits its indices to
 * the pool (the indices node is written after the array moved). */
Test(handles, a_gather_that_grows_the_graph_still_limits_its_indices) {
    alvk_context *ctx = test_open(NULL);
    uint8_t images[5 * 64] = {0}, labels[5] = {0, 1, 2, 1, 0};
    alvk_dataset *ds;
    alvk_pool *pool;
    TEST_OK(alvk_dataset_create(images, labels, 5, 8, 8, 3, &ds));
    TEST_OK(alvk_pool_create(ctx, ds, &pool));
    alvk_graph *g;
    TEST_OK(alvk_graph_create(ctx, NULL, 2, ALVK_GRAPH_EVAL, &g));
    alvk_node idx = alvk_graph_indices(g);
    for (int k = 1; k < 64; k++) alvk_graph_input(g, (uint32_t[]){1}, 1); /* 64 nodes: the array is full */
    TEST_OK(alvk_graph_output(g, alvk_graph_gather(g, pool, idx)));
    TEST_OK(alvk_graph_compile(g));
    TEST_REFUSED(alvk_graph_set(g, idx, (uint32_t[]){1, 5}, 8, 2), "below 5");
    TEST_OK(alvk_graph_set(g, idx, (uint32_t[]){1, 4}, 8, 2));
    alvk_graph_destroy(g);
    alvk_pool_destroy(pool);
    alvk_dataset_destroy(ds);
    test_close(ctx);
}

Test(handles, shapes_and_stores_are_checked_before_use) {
    alvk_context *ctx = test_open(NULL);
    alvk_graph *g;
    TEST_OK(alvk_graph_create(ctx, NULL, 2, ALVK_GRAPH_EVAL, &g));
    cr_expect_eq(alvk_graph_input(g, (uint32_t[]){2, 3, 4, 5}, UINT32_MAX), -1, "no wrap-around");
    alvk_graph_destroy(g);
    alvk_params *p;
    TEST_OK(alvk_params_create(ctx, &p));
    TEST_OK(alvk_params_add(p, "w", (uint32_t[]){2, 2}, 2, ALVK_PARAM_TRAINABLE, NULL));
    TEST_OK(alvk_graph_create(ctx, p, 2, ALVK_GRAPH_EVAL, &g));
    TEST_OK(alvk_graph_output(g, alvk_graph_linear(g, alvk_graph_input(g, (uint32_t[]){2}, 1),
                                                   alvk_graph_param(g, "w"), -1)));
    TEST_REFUSED(alvk_graph_compile(g), "not committed");
    alvk_graph_destroy(g);
    alvk_params_destroy(p);
    test_close(ctx);
}

/* A live graph's tag is its own: graphs made and destroyed around it never
 * hand out ids it would take. */
Test(handles, live_graphs_never_share_a_tag) {
    alvk_context *ctx = test_open(NULL);
    alvk_graph *keep, *g;
    TEST_OK(alvk_graph_create(ctx, NULL, 2, ALVK_GRAPH_EVAL, &keep));
    alvk_node mine = alvk_graph_input(keep, (uint32_t[]){1}, 1);
    for (int k = 0; k < 2100; k++) { /* more graphs than there are tags */
        TEST_OK(alvk_graph_create(ctx, NULL, 2, ALVK_GRAPH_EVAL, &g));
        alvk_node x = alvk_graph_input(g, (uint32_t[]){1}, 1);
        cr_assert_neq(x, mine, "graph %d handed out the live graph's id", k);
        alvk_graph_destroy(g);
    }
    TEST_OK(alvk_graph_output(keep, mine));
    alvk_graph_destroy(keep);
    test_close(ctx);
}
