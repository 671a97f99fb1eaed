/* The run-time Vulkan loader. Nothing links libvulkan at build time: the
 * system loader is opened here, then every function is fetched through
 * vkGetInstanceProcAddr / vkGetDeviceProcAddr into the context's own table
 * (vk_fns.h), so contexts share no function pointers and calls skip the
 * loader's trampoline.
 *
 * Opening the loader is volk's job by default (Debian 12's
 * libvulkan-volk-dev, compiled in by loader_volk.c). alvk's own few lines
 * of dlopen below stay for one reason: the library still builds where volk
 * is not packaged (-DALVK_VOLK=OFF; CI builds and tests that way as well).
 *
 * volk's device table (VolkDeviceTable, volkLoadDeviceTable) is not used:
 * volk 1.3.239 fills it through volk's global vkGetDeviceProcAddr, which only
 * volkLoadInstance sets, for one instance at a time and the whole process.
 * Contexts on other instances, or a host's device adopted with the host's
 * own vkGetInstanceProcAddr, would share that global (and race on it from
 * several threads). The context's own table is the same idea, filled
 * through the context's own pointers. */
#include "loader.h"
#include "core/error.h"

#include <string.h>

#if defined(_WIN32) && !defined(ALVK_HAVE_VOLK)
#include <windows.h>
#elif !defined(ALVK_HAVE_VOLK)
#include <dlfcn.h>
#endif

#if !defined(ALVK_HAVE_VOLK)
static const char *const loader_names[] = {
#if defined(_WIN32)
    "vulkan-1.dll",
#elif defined(__APPLE__)
    "libvulkan.1.dylib", "libvulkan.dylib", "libMoltenVK.dylib",
#else
    "libvulkan.so.1", "libvulkan.so",
#endif
};

static void *open_library(const char *name) {
#if defined(_WIN32)
    return (void *)LoadLibraryA(name);
#else
    return dlopen(name, RTLD_NOW | RTLD_LOCAL);
#endif
}

static void *library_symbol(void *lib, const char *name) {
#if defined(_WIN32)
    return (void *)GetProcAddress((HMODULE)lib, name);
#else
    return dlsym(lib, name);
#endif
}
#endif

int alvk_vk_load(alvk_vk *vk) {
    memset(vk, 0, sizeof *vk);
#if defined(ALVK_HAVE_VOLK)
    vk->vkGetInstanceProcAddr = alvk_volk_open();
    if (!vk->vkGetInstanceProcAddr)
        return alvk_error(ALVK_ERROR_NO_VULKAN,
                          "volk found no Vulkan loader; install your GPU driver's Vulkan "
                          "support (on Debian: apt-get install libvulkan1 mesa-vulkan-drivers)");
#else
    for (size_t i = 0; i < sizeof loader_names / sizeof loader_names[0] && !vk->library; i++)
        vk->library = open_library(loader_names[i]);
    if (!vk->library)
        return alvk_error(ALVK_ERROR_NO_VULKAN,
                          "cannot open the Vulkan loader (%s); install your GPU driver's "
                          "Vulkan support (on Debian: apt-get install libvulkan1 "
                          "mesa-vulkan-drivers)",
                          loader_names[0]);
    /* The cast goes through a union: ISO C has no conversion from void* to a
     * function pointer, POSIX guarantees the representation matches. */
    union { void *p; PFN_vkGetInstanceProcAddr f; } sym = {
        library_symbol(vk->library, "vkGetInstanceProcAddr")};
    vk->vkGetInstanceProcAddr = sym.f;
    if (!vk->vkGetInstanceProcAddr) {
        alvk_vk_unload(vk);
        return alvk_error(ALVK_ERROR_NO_VULKAN,
                          "the Vulkan loader %s has no vkGetInstanceProcAddr", loader_names[0]);
    }
#endif
#define LOAD_GLOBAL(name) vk->name = (PFN_##name)vk->vkGetInstanceProcAddr(NULL, #name);
    ALVK_VK_GLOBAL_FNS(LOAD_GLOBAL)
#undef LOAD_GLOBAL
    if (!vk->vkCreateInstance) {
        alvk_vk_unload(vk);
        return alvk_error(ALVK_ERROR_NO_VULKAN, "the Vulkan loader has no vkCreateInstance");
    }
    return ALVK_OK;
}

void alvk_vk_load_instance(alvk_vk *vk, VkInstance instance) {
#define LOAD_INSTANCE(name) vk->name = (PFN_##name)vk->vkGetInstanceProcAddr(instance, #name);
    ALVK_VK_INSTANCE_FNS(LOAD_INSTANCE)
#undef LOAD_INSTANCE
}

const char *alvk_vk_load_device(alvk_vk *vk, VkDevice device) {
    const char *missing = NULL;
#define LOAD_DEVICE(name)                                                      \
    vk->name = (PFN_##name)vk->vkGetDeviceProcAddr(device, #name);             \
    if (!vk->name && !missing) missing = #name;
    ALVK_VK_DEVICE_FNS(LOAD_DEVICE)
#undef LOAD_DEVICE
    return missing;
}

void alvk_vk_unload(alvk_vk *vk) {
#if !defined(ALVK_HAVE_VOLK)
    if (vk->library) {
#if defined(_WIN32)
        FreeLibrary((HMODULE)vk->library);
#else
        dlclose(vk->library);
#endif
    }
#endif
    vk->library = NULL;
}
