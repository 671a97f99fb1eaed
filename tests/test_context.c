/* Context creation and device choice: by default, by index, by name, and
 * the errors for requests that match nothing; contexts opened on several
 * threads at once; a host's adopted device. */
#include "harness.h"
#include "ops/ops.h"
#include "vk/loader.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Test(context, opens_and_describes_the_default_device) {
    alvk_context *ctx = test_open(NULL);
    int n = alvk_context_device_count(ctx), i = alvk_context_device_index(ctx);
    cr_assert(n >= 1 && i >= 0 && i < n, "count %d, chosen %d", n, i);
    alvk_device_info d;
    TEST_OK(alvk_context_device_info(ctx, i, &d));
    cr_expect(d.name[0] != '\0');
    cr_expect(d.max_storage_buffer_range >= 1u << 27, "maxStorageBufferRange %llu",
              (unsigned long long)d.max_storage_buffer_range);
    cr_expect(d.max_workgroup_invocations >= 128);
    cr_expect(d.subgroup_size >= 1);
    cr_expect(d.max_push_constants >= 128);
    cr_expect(d.heap_count >= 1 && d.heap_size[0] > 0);
    cr_expect(d.max_memory_allocation > 0);
    cr_expect(alvk_context_device_info(ctx, n, &d) == ALVK_ERROR_INVALID_ARGUMENT);
    /* The default is the best kind of device present. */
    for (int k = 0; k < n; k++) {
        alvk_device_info other;
        alvk_context_device_info(ctx, k, &other);
        if (d.type == ALVK_DEVICE_CPU)
            cr_expect(other.type == ALVK_DEVICE_CPU || other.type == ALVK_DEVICE_OTHER,
                      "chose a CPU device over %s", other.name);
    }
    const char *env = getenv("ALVK_VALIDATION");
    if (env && strcmp(env, "1") == 0) cr_expect(ctx->validation, "ALVK_VALIDATION=1 was ignored");
    test_close(ctx);
}

Test(context, chooses_a_device_by_index) {
    alvk_context *ctx = test_open(&(alvk_context_desc){.device = "0"});
    cr_expect_eq(alvk_context_device_index(ctx), 0);
    test_close(ctx);
}

Test(context, chooses_a_device_by_name_ignoring_case) {
    alvk_context *probe = test_open(NULL);
    alvk_device_info d;
    alvk_context_device_info(probe, 0, &d);
    test_close(probe);
    /* A piece from the middle of the name, in the opposite case. */
    char part[8] = {0};
    size_t len = strlen(d.name), from = len > 6 ? 1 : 0;
    for (size_t i = 0; i < 5 && from + i < len; i++) {
        char c = d.name[from + i];
        part[i] = (char)(c >= 'a' && c <= 'z' ? c - 32 : c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    alvk_context *ctx = test_open(&(alvk_context_desc){.device = part});
    /* Device 0's name holds the piece, so the first match is device 0. */
    cr_expect_eq(alvk_context_device_index(ctx), 0, "\"%s\" (from \"%s\")", part, d.name);
    test_close(ctx);
}

static void expect_not_found(const char *request, const char *phrase) {
    alvk_context *ctx = (alvk_context *)1;
    alvk_status s = alvk_context_create(&(alvk_context_desc){.device = request}, &ctx);
    cr_assert_eq(s, ALVK_ERROR_DEVICE_NOT_FOUND, "\"%s\": %s", request, alvk_status_str(s));
    cr_expect_null(ctx, "a failed create must leave *out NULL");
    const char *msg = alvk_last_error();
    cr_expect(strstr(msg, phrase), "message lacks \"%s\": %s", phrase, msg);
    cr_expect(strstr(msg, "0: "), "message does not list the devices: %s", msg);
}

Test(context, rejects_a_bad_index_and_lists_the_devices) {
    expect_not_found("99", "out of range");
}

Test(context, rejects_an_unknown_name_and_lists_the_devices) {
    expect_not_found("nosuchgpu", "nosuchgpu");
}

Test(context, honours_ALVK_DEVICE) {
    setenv("ALVK_DEVICE", "nosuchgpu", 1);
    alvk_context *ctx;
    cr_expect_eq(alvk_context_create(NULL, &ctx), ALVK_ERROR_DEVICE_NOT_FOUND);
    /* A desc field wins over the environment. */
    ctx = test_open(&(alvk_context_desc){.device = "0"});
    test_close(ctx);
    unsetenv("ALVK_DEVICE");
}

Test(context, reports_a_machine_without_a_driver) {
    /* Point the loader at a driver manifest that does not exist. */
    setenv("VK_ICD_FILENAMES", "/nonexistent/alvk_no_driver.json", 1);
    setenv("VK_DRIVER_FILES", "/nonexistent/alvk_no_driver.json", 1);
    alvk_context *ctx;
    alvk_status s = alvk_context_create(NULL, &ctx);
    cr_expect(s == ALVK_ERROR_NO_DEVICE, "got %s: %s", alvk_status_str(s), alvk_last_error());
    cr_expect(strstr(alvk_last_error(), "driver"), "unclear message: %s", alvk_last_error());
}

Test(context, status_strings_cover_every_code) {
    for (int s = 0; s < ALVK_STATUS_COUNT; s++)
        cr_expect(strcmp(alvk_status_str((alvk_status)s), "unknown status") != 0, "code %d", s);
    cr_expect_str_eq(alvk_status_str(ALVK_STATUS_COUNT), "unknown status");
    cr_expect_str_eq(alvk_status_str(ALVK_ERROR_OUT_OF_DEVICE_MEMORY), "out of device memory");
}

/* Contexts are independent, so threads may open theirs at once: the Vulkan
 * loader is opened once per process (volk's globals, vk/loader_volk.c) or
 * once per context (alvk's own loader), and each context fills its own
 * function table. Each Criterion test runs in a fresh process, so the four
 * threads here are the first to open the loader. */
static void *open_and_close(void *status) {
    alvk_context *ctx = NULL;
    *(alvk_status *)status = alvk_context_create(&(alvk_context_desc){.pipeline_cache = -1}, &ctx);
    if (ctx && alvk_context_device_count(ctx) < 1) *(alvk_status *)status = ALVK_ERROR_NO_DEVICE;
    alvk_context_destroy(ctx);
    return NULL;
}

Test(context, opens_contexts_on_several_threads_at_once) {
    enum { THREADS = 4 };
    pthread_t t[THREADS];
    alvk_status status[THREADS];
    for (int i = 0; i < THREADS; i++) cr_assert_eq(pthread_create(&t[i], NULL, open_and_close, &status[i]), 0);
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    for (int i = 0; i < THREADS; i++) cr_expect_eq(status[i], ALVK_OK, "thread %d: %s", i, alvk_status_str(status[i]));
}

/* A host that made its own instance and device hands them to alvk: alvk
 * runs on them, creates and destroys none of its own, and the host's device
 * still works after alvk_context_destroy. */
static int host_messages;

static VkBool32 VKAPI_PTR count_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                        VkDebugUtilsMessageTypeFlagsEXT type,
                                        const VkDebugUtilsMessengerCallbackDataEXT *data, void *user) {
    (void)severity, (void)type;
    fprintf(stderr, "host validation: %s\n", data->pMessage);
    ++*(int *)user;
    return VK_FALSE;
}

Test(context, adopts_a_host_device) {
    alvk_vk host;
    TEST_OK(alvk_vk_load(&host));
    VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO, .apiVersion = VK_API_VERSION_1_1};
    VkInstanceCreateInfo ii = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO, .pApplicationInfo = &app};
    /* Under ALVK_VALIDATION=1 the host validates (synchronisation too)
     * through its own messenger, as a host program would. */
    const char *env = getenv("ALVK_VALIDATION"), *layer = "VK_LAYER_KHRONOS_validation";
    const char *ext = VK_EXT_DEBUG_UTILS_EXTENSION_NAME;
    VkValidationFeatureEnableEXT sync = VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT;
    VkValidationFeaturesEXT features = {.sType = VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT,
                                        .enabledValidationFeatureCount = 1, .pEnabledValidationFeatures = &sync};
    int validate = env && strcmp(env, "1") == 0;
    if (validate) {
        ii.enabledLayerCount = 1, ii.ppEnabledLayerNames = &layer;
        ii.enabledExtensionCount = 1, ii.ppEnabledExtensionNames = &ext;
        ii.pNext = &features;
    }
    VkInstance instance;
    cr_assert_eq(host.vkCreateInstance(&ii, NULL, &instance), VK_SUCCESS);
    alvk_vk_load_instance(&host, instance);
    VkDebugUtilsMessengerEXT messenger = VK_NULL_HANDLE;
    if (validate) {
        VkDebugUtilsMessengerCreateInfoEXT mi = {
            .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
            .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                               VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
            .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                           VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT,
            .pfnUserCallback = count_message, .pUserData = &host_messages};
        cr_assert_eq(host.vkCreateDebugUtilsMessengerEXT(instance, &mi, NULL, &messenger), VK_SUCCESS);
    }
    uint32_t n = 1;
    VkPhysicalDevice gpu;
    host.vkEnumeratePhysicalDevices(instance, &n, &gpu);
    cr_assert_eq(n, 1);
    uint32_t families = 0, family = UINT32_MAX;
    host.vkGetPhysicalDeviceQueueFamilyProperties(gpu, &families, NULL);
    VkQueueFamilyProperties props[16];
    if (families > 16) families = 16;
    host.vkGetPhysicalDeviceQueueFamilyProperties(gpu, &families, props);
    for (uint32_t f = 0; f < families && family == UINT32_MAX; f++)
        if (props[f].queueFlags & VK_QUEUE_COMPUTE_BIT) family = f;
    float priority = 1;
    VkDeviceQueueCreateInfo qi = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                  .queueFamilyIndex = family, .queueCount = 1, .pQueuePriorities = &priority};
    VkDeviceCreateInfo di = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO, .queueCreateInfoCount = 1,
                             .pQueueCreateInfos = &qi};
    VkDevice device;
    cr_assert_eq(host.vkCreateDevice(gpu, &di, NULL, &device), VK_SUCCESS);
    cr_assert_null(alvk_vk_load_device(&host, device));
    PFN_vkDeviceWaitIdle host_wait = host.vkDeviceWaitIdle;

    union { PFN_vkGetInstanceProcAddr f; void *p; } gipa = {host.vkGetInstanceProcAddr};
    alvk_context *ctx;
    alvk_context_desc desc = {.vk_instance = instance, .vk_physical_device = gpu, .vk_device = device,
                              .vk_queue_family = family, .vk_get_instance_proc_addr = gipa.p};
    TEST_OK(alvk_context_create(&desc, &ctx));
    cr_expect(ctx->adopted && ctx->device == device && ctx->instance == instance);
    /* Work runs on the host's device. */
    float x[5] = {1, 2, 3, 4, 5}, y[5];
    alvk_buffer bx, by;
    alvk_cmd *cmd;
    TEST_OK(alvk_buffer_alloc(ctx, sizeof x, &bx));
    TEST_OK(alvk_buffer_alloc(ctx, sizeof y, &by));
    TEST_OK(alvk_buffer_write(ctx, &bx, 0, x, sizeof x));
    TEST_OK(alvk_cmd_create(ctx, 0, &cmd));
    TEST_OK(alvk_cmd_begin(cmd));
    TEST_OK(alvk_op_unary(cmd, ALVK_UNARY_SQUARE, 0, &bx, &by, 5));
    TEST_OK(alvk_cmd_end(cmd));
    TEST_OK(alvk_cmd_run(cmd));
    TEST_OK(alvk_buffer_read(ctx, &by, 0, y, sizeof y));
    cr_expect(y[4] == 25.0f && y[0] == 1.0f);
    alvk_cmd_destroy(cmd);
    alvk_buffer_free(ctx, &bx);
    alvk_buffer_free(ctx, &by);
    alvk_context_destroy(ctx);
    /* The host's objects and function pointers are untouched. */
    cr_expect(host.vkDeviceWaitIdle == host_wait);
    cr_expect_eq(host.vkDeviceWaitIdle(device), VK_SUCCESS, "the host's device outlives alvk");
    host.vkDestroyDevice(device, NULL);
    if (messenger) host.vkDestroyDebugUtilsMessengerEXT(instance, messenger, NULL);
    host.vkDestroyInstance(instance, NULL);
    alvk_vk_unload(&host);
    cr_expect_eq(host_messages, 0, "the host's validation layer reported %d messages", host_messages);
}

/* Host allocation callbacks that count what is live. */
typedef struct counted {
    int calls, live;
} counted;

static void *VKAPI_PTR counted_alloc(void *user, size_t size, size_t align, VkSystemAllocationScope scope) {
    (void)scope;
    counted *c = user;
    void *p = NULL;
    if (posix_memalign(&p, align < sizeof(void *) ? sizeof(void *) : align, size ? size : 1) != 0) return NULL;
    c->calls++, c->live++;
    return p;
}

static void VKAPI_PTR counted_free(void *user, void *p) {
    counted *c = user;
    if (p) c->live--, free(p);
}

static void *VKAPI_PTR counted_realloc(void *user, void *old, size_t size, size_t align,
                                       VkSystemAllocationScope scope) {
    /* Without the old size, copy through a fresh block only when asked to grow from nothing. */
    if (!old) return counted_alloc(user, size, align, scope);
    if (!size) {
        counted_free(user, old);
        return NULL;
    }
    void *p = realloc(old, size); /* posix_memalign blocks may be realloc'd; alignment is then
                                     malloc's, enough for every driver allocation seen here */
    return p;
}

Test(context, uses_the_hosts_allocation_callbacks) {
    counted c = {0};
    VkAllocationCallbacks cb = {.pUserData = &c, .pfnAllocation = counted_alloc,
                                .pfnReallocation = counted_realloc, .pfnFree = counted_free};
    alvk_context *ctx = test_open(&(alvk_context_desc){.vk_allocator = &cb});
    alvk_buffer b;
    TEST_OK(alvk_buffer_alloc(ctx, 4096, &b));
    float x[4] = {1, 2, 3, 4};
    TEST_OK(alvk_buffer_write(ctx, &b, 0, x, sizeof x));
    alvk_buffer_free(ctx, &b);
    test_close(ctx);
    cr_expect_gt(c.calls, 0, "Vulkan allocated through the callbacks");
    cr_expect_eq(c.live, 0, "and freed all of it when the context went (%d left)", c.live);
}

/* One context's kernel choices given to another are its choices (how the
 * ranks of one run compute the same bits); another device's are ignored;
 * anything else is refused with the text. */
Test(context, takes_another_contexts_kernel_choices) {
    alvk_context *a = test_open(&(alvk_context_desc){.pipeline_cache = -1});
    char text[256], back[256];
    TEST_OK(alvk_context_choices(a, text, sizeof text));
    cr_expect(strncmp(text, "alvk-choices 1 device ", 22) == 0, "%s", text);
    cr_expect_eq(alvk_context_choices(a, back, 8), ALVK_ERROR_INVALID_ARGUMENT, "no room");
    test_close(a);

    /* A made-up set on this device: read path 1 - measured, every choice set. */
    alvk_device_info d;
    unsigned vendor, device, driver;
    int read, variants;
    cr_assert_eq(sscanf(text, "alvk-choices 1 device %x:%x:%x read %d gemm %d", &vendor, &device, &driver, &read,
                        &variants), 5, "%s", text);
    char mine[256];
    snprintf(mine, sizeof mine, "alvk-choices 1 device %x:%x:%x read %d gemm 12 %d split 1 serial 0 sg 0", vendor,
             device, driver, 1 - read, 12 - 1);
    alvk_context *b = test_open(&(alvk_context_desc){.pipeline_cache = -1, .choices = mine});
    TEST_OK(alvk_context_device_info(b, alvk_context_device_index(b), &d));
    TEST_OK(alvk_context_choices(b, back, sizeof back));
    cr_expect_str_eq(back, mine);
    test_close(b);

    snprintf(mine, sizeof mine, "alvk-choices 1 device %x:%x:%x read %d gemm 12 11 split 1 serial 0 sg 0", vendor + 1,
             device, driver, 1 - read);
    alvk_context *c = test_open(&(alvk_context_desc){.pipeline_cache = -1, .choices = mine});
    TEST_OK(alvk_context_choices(c, back, sizeof back));
    cr_expect_str_neq(back, mine, "another vendor's choices are not taken");
    test_close(c);

    static const char *const bad[] = {"", "alvk-choices 1", "alvk-choices 2 device 1:2:3 read 0 gemm 1 0 split 0 "
                                      "serial 0 sg 0", "alvk-choices 1 device 1:2:3 read 7 gemm 1 0 split 0 serial 0 sg 0"};
    for (int i = 0; i < 4; i++) {
        alvk_context *x = NULL;
        cr_expect_eq(alvk_context_create(&(alvk_context_desc){.log_level = ALVK_LOG_ERROR, .choices = bad[i]}, &x),
                     ALVK_ERROR_INVALID_ARGUMENT, "'%s'", bad[i]);
        cr_expect_null(x);
        cr_expect(strstr(alvk_last_error(), "choices"), "%s", alvk_last_error());
    }
}

/* An environment variable's value that means nothing is ignored with one
 * warning when the context is created (not silently taken as something
 * else, and not again at each recording that uses it); the environment is
 * read then, so a later change reaches only later contexts. */
static int env_warnings;
static void count_env_warnings(void *user, alvk_log_level level, const char *msg) {
    (void)user;
    fprintf(stderr, "[alvk %d] %s\n", (int)level, msg);
    if (level == ALVK_LOG_WARN && strstr(msg, "is not") && strstr(msg, "ignored")) env_warnings++;
}

Test(context, warns_once_about_environment_values_that_mean_nothing) {
    setenv("ALVK_READ_PATH", "fastest", 1);
    setenv("ALVK_GEMM_TILE", "12x12", 1);
    setenv("ALVK_PROFILE", "yes", 1);
    alvk_context *ctx = test_open(&(alvk_context_desc){.log_fn = count_env_warnings, .log_level = ALVK_LOG_WARN,
                                                      .pipeline_cache = -1});
    cr_expect_eq(env_warnings, 3, "ALVK_READ_PATH=fastest, ALVK_GEMM_TILE=12x12, ALVK_PROFILE=yes");
    cr_expect(ctx->env.read_path < 0 && !ctx->env.gemm_tile.rows && !ctx->env.gemm_tile.smem && ctx->env.profile < 0,
              "a value that means nothing was taken");
    char text[256];
    TEST_OK(alvk_context_choices(ctx, text, sizeof text)); /* measures the read path */
    alvk_params *p;
    alvk_graph *g;
    TEST_OK(alvk_params_create(ctx, &p));
    TEST_OK(alvk_model_mlp(p, "m", 4, (uint32_t[]){8}, 1, 2));
    TEST_OK(alvk_params_commit(p));
    TEST_OK(alvk_graph_create(ctx, p, 4, ALVK_GRAPH_EVAL, &g));
    alvk_node x = alvk_graph_input(g, (uint32_t[]){4}, 1), y = alvk_graph_mlp(g, x, "m", 2);
    TEST_OK(alvk_graph_output(g, y));
    TEST_OK(alvk_graph_compile(g));
    float in[16] = {1, 2, 3, 4}, out[8];
    for (int run = 0; run < 2; run++) {
        TEST_OK(alvk_graph_set(g, x, in, sizeof in, 4));
        TEST_OK(alvk_graph_run(g, 4 - run)); /* a second recording asks again */
        TEST_OK(alvk_graph_read(g, y, out, sizeof out));
    }
    cr_expect_eq(env_warnings, 3, "warned again after creation");
    alvk_graph_destroy(g);
    alvk_params_destroy(p);

    setenv("ALVK_READ_PATH", "texel", 1);
    unsetenv("ALVK_GEMM_TILE");
    unsetenv("ALVK_PROFILE");
    alvk_context *later = test_open(&(alvk_context_desc){.pipeline_cache = -1});
    cr_expect_eq(later->env.read_path, ALVK_READ_TEXEL, "a context reads the environment at its creation");
    cr_expect_eq(ctx->env.read_path, -1, "an earlier context's environment changed");
    test_close(later);
    test_close(ctx);
}
