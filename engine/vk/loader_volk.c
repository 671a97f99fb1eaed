/* volk, compiled into alvk (VOLK_IMPLEMENTATION) with every global name it
 * defines renamed alvk_volk_NAME (generated/volk_names.h, from volk.h): a
 * host linking the static library keeps its own Vulkan functions, or its own
 * volk. Only loader.c calls in here, through alvk_volk_open. Built only with
 * volk (ALVK_HAVE_VOLK); the file is empty otherwise. */
#if defined(ALVK_HAVE_VOLK)
#include "loader.h" /* first: alvk's table keeps its names */

#include "volk_names.h"
#define VOLK_IMPLEMENTATION
#include <volk.h>

#include <stdatomic.h>

/* volkInitialize is process-global: it opens the loader and writes volk's
 * global pointers (vkGetInstanceProcAddr and the four global functions) for
 * every thread of the process, and each call opens the loader once more
 * (volk 1.3.239 has no volkFinalize). Two threads creating their first
 * contexts at once would race on those writes, so it runs once per process:
 * the first caller runs it, a caller on another thread meanwhile waits for
 * it (the few milliseconds of dlopen), and each context then copies
 * vkGetInstanceProcAddr into its own table and never reads volk's globals
 * again. The loader stays open until the process exits. */
enum { VOLK_UNTRIED, VOLK_OPENING, VOLK_READY, VOLK_MISSING };
static atomic_int volk_state = VOLK_UNTRIED;

PFN_vkGetInstanceProcAddr alvk_volk_open(void) {
    int untried = VOLK_UNTRIED;
    if (atomic_compare_exchange_strong(&volk_state, &untried, VOLK_OPENING))
        atomic_store(&volk_state, volkInitialize() == VK_SUCCESS ? VOLK_READY : VOLK_MISSING);
    while (atomic_load(&volk_state) == VOLK_OPENING) {
    }
    return atomic_load(&volk_state) == VOLK_READY ? vkGetInstanceProcAddr : NULL;
}
#endif
