/* `alvk devices`: every Vulkan device with the limits kernels honour, as a
 * table for people or JSON for scripts. The default device is marked. */
#include "cli.h"

#include <alvk/alvk.h>
#include <stdio.h>
#include <string.h>

static void print_json_string(const char *s) {
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c < 0x20) printf("\\u%04x", c);
        else putchar(c);
    }
    putchar('"');
}

static void version_str(char buf[32], uint32_t v) {
    snprintf(buf, 32, "%u.%u.%u", (v >> 22) & 0x7f, (v >> 12) & 0x3ff, v & 0xfff);
}

static void print_text(const alvk_device_info *d, int index, int chosen) {
    char api[32];
    version_str(api, d->api_version);
    printf("%s %d: %s\n", chosen ? "*" : " ", index, d->name);
    printf("    type            %s\n", alvk_device_type_str(d->type));
    printf("    driver          %s %s (version 0x%08x)\n", d->driver_name, d->driver_info,
           d->driver_version);
    printf("    vulkan          %s\n", api);
    printf("    ids             vendor 0x%04x, device 0x%04x\n", d->vendor_id, d->device_id);
    for (uint32_t h = 0; h < d->heap_count; h++)
        printf("    heap %u          %.2f GiB%s\n", h, (double)d->heap_size[h] / (1u << 30),
               d->heap_device_local[h] ? " device-local" : "");
    printf("    host-visible device memory  %s\n", d->host_visible_device_memory ? "yes" : "no");
    printf("    maxStorageBufferRange       %llu bytes\n",
           (unsigned long long)d->max_storage_buffer_range);
    printf("    maxMemoryAllocationSize     %llu bytes\n",
           (unsigned long long)d->max_memory_allocation);
    printf("    maxComputeSharedMemorySize  %u bytes\n", d->max_compute_shared_memory);
    printf("    maxComputeWorkGroupInvocations %u\n", d->max_workgroup_invocations);
    printf("    maxComputeWorkGroupSize     %u x %u x %u\n", d->max_workgroup_size[0],
           d->max_workgroup_size[1], d->max_workgroup_size[2]);
    printf("    maxComputeWorkGroupCount    %u x %u x %u\n", d->max_workgroup_count[0],
           d->max_workgroup_count[1], d->max_workgroup_count[2]);
    printf("    subgroup size               %u%s\n", d->subgroup_size,
           d->subgroup_arithmetic ? " (arithmetic in compute)" : "");
    printf("    maxPushConstantsSize        %u bytes\n", d->max_push_constants);
    printf("    timestampPeriod             %g ns%s\n", d->timestamp_period_ns,
           d->timestamp_period_ns > 0 ? "" : " (no compute timestamps)");
    printf("    shaderFloat16               %s\n", d->shader_float16 ? "yes" : "no");
    printf("    push descriptors            %s\n", d->push_descriptors ? "yes" : "no");
}

static void print_json(const alvk_device_info *d, int index, int chosen) {
    char api[32];
    version_str(api, d->api_version);
    printf("    {\"index\": %d, \"default\": %s, \"name\": ", index, chosen ? "true" : "false");
    print_json_string(d->name);
    printf(", \"type\": \"%s\", \"driver_name\": ", alvk_device_type_str(d->type));
    print_json_string(d->driver_name);
    printf(", \"driver_info\": ");
    print_json_string(d->driver_info);
    printf(",\n     \"driver_version\": %u, \"vulkan_version\": \"%s\", \"vendor_id\": %u, "
           "\"device_id\": %u,\n",
           d->driver_version, api, d->vendor_id, d->device_id);
    printf("     \"heaps\": [");
    for (uint32_t h = 0; h < d->heap_count; h++)
        printf("%s{\"bytes\": %llu, \"device_local\": %s}", h ? ", " : "",
               (unsigned long long)d->heap_size[h], d->heap_device_local[h] ? "true" : "false");
    printf("],\n     \"host_visible_device_memory\": %s, \"max_storage_buffer_range\": %llu, "
           "\"max_memory_allocation_size\": %llu,\n",
           d->host_visible_device_memory ? "true" : "false",
           (unsigned long long)d->max_storage_buffer_range,
           (unsigned long long)d->max_memory_allocation);
    printf("     \"max_compute_shared_memory_size\": %u, \"max_compute_workgroup_invocations\": %u, "
           "\"max_compute_workgroup_size\": [%u, %u, %u], \"max_compute_workgroup_count\": "
           "[%u, %u, %u],\n",
           d->max_compute_shared_memory, d->max_workgroup_invocations, d->max_workgroup_size[0],
           d->max_workgroup_size[1], d->max_workgroup_size[2], d->max_workgroup_count[0],
           d->max_workgroup_count[1], d->max_workgroup_count[2]);
    printf("     \"subgroup_size\": %u, \"subgroup_arithmetic\": %s, \"max_push_constants_size\": %u, "
           "\"timestamp_period_ns\": %g, \"shader_float16\": %s, \"push_descriptors\": %s}",
           d->subgroup_size, d->subgroup_arithmetic ? "true" : "false", d->max_push_constants,
           d->timestamp_period_ns,
           d->shader_float16 ? "true" : "false", d->push_descriptors ? "true" : "false");
}

int cmd_devices(int argc, char **argv) {
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) json = 1;
        else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            puts("usage: alvk devices [--json]\n\n"
                 "Lists every Vulkan device with its limits; '*' marks the one alvk uses\n"
                 "(ALVK_DEVICE=N|name overrides the default).");
            return EXIT_OK;
        } else return cli_usage_error("devices: unknown option '%s'", argv[i]);
    }
    alvk_context *ctx;
    if (alvk_context_create(&(alvk_context_desc){0}, &ctx) != ALVK_OK) {
        fprintf(stderr, "alvk: %s\n", alvk_last_error());
        return EXIT_FAILED;
    }
    int n = alvk_context_device_count(ctx), chosen = alvk_context_device_index(ctx);
    if (json) printf("{\"alvk_version\": \"%s\", \"default\": %d, \"devices\": [\n", alvk_version(), chosen);
    for (int i = 0; i < n; i++) {
        alvk_device_info d;
        alvk_context_device_info(ctx, i, &d);
        if (json) {
            print_json(&d, i, i == chosen);
            puts(i + 1 < n ? "," : "");
        } else {
            print_text(&d, i, i == chosen);
        }
    }
    if (json) puts("]}");
    alvk_context_destroy(ctx);
    return EXIT_OK;
}
