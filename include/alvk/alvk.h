/* alvk: a portable GPU compute engine on Vulkan compute.
 *
 * This is the only header a program embedding alvk includes. Calls that can
 * fail return an alvk_status (ALVK_OK is 0), graph builders a node (-1 on
 * failure), queries a value (0 or -1 on failure, as each says); on failure
 * alvk_last_error() gives a readable message for the calling thread. The
 * library never prints unless logging is asked for, and never exits or
 * aborts.
 *
 * Minimal example: open the default device, build a two-layer MLP, train
 * one step (loss, backward, Adam), read the loss, clean up. docs/api.md
 * walks through the concepts with it.
 *
 *     #include <alvk/alvk.h>
 *     #include <stdio.h>
 *
 *     int main(void) {
 *         alvk_context *ctx;
 *         alvk_params *params;
 *         alvk_graph *g;
 *         if (alvk_context_create(NULL, &ctx) != ALVK_OK) goto fail;
 *         alvk_params_create(ctx, &params);
 *         alvk_model_mlp(params, "mlp", 4, (uint32_t[]){8}, 1, 3);
 *         if (alvk_params_commit(params) != ALVK_OK) goto fail;
 *         alvk_params_initialize(params, 42);
 *         alvk_graph_create(ctx, params, 2, ALVK_GRAPH_TRAIN, &g);
 *         alvk_node x = alvk_graph_input(g, (uint32_t[]){4}, 1), y = alvk_graph_labels(g);
 *         alvk_node loss = alvk_graph_softmax_ce(g, alvk_graph_mlp(g, x, "mlp", 2), y);
 *         alvk_graph_backward(g, loss);
 *         alvk_graph_adam(g, 1e-3, 0.9, 0.999, 1e-8);
 *         alvk_graph_output(g, loss);
 *         if (alvk_graph_compile(g) != ALVK_OK) goto fail;  // reports builder errors
 *         float xs[8] = {0.1f, 0.2f, 0.3f, 0.4f, 1, 0, -1, 0}, l;
 *         uint32_t ys[2] = {2, 0};
 *         alvk_graph_set(g, x, xs, sizeof xs, 2);
 *         alvk_graph_set(g, y, ys, sizeof ys, 2);
 *         if (alvk_graph_run(g, 2) != ALVK_OK || alvk_graph_read(g, loss, &l, sizeof l) != ALVK_OK)
 *             goto fail;
 *         printf("loss %.4f\n", l);
 *         alvk_graph_destroy(g);
 *         alvk_params_destroy(params);
 *         alvk_context_destroy(ctx);
 *         return 0;
 *     fail:
 *         fprintf(stderr, "alvk: %s\n", alvk_last_error());
 *         return 1;
 *     }
 *
 * Objects and their lifetimes. A context owns a device; parameter stores,
 * pools and graphs are made on one and use it; a graph also uses its store
 * and the pools it gathers from. Destroy in any order: destroying an object
 * others use first frees their device memory and leaves them *orphaned*,
 * so every later call on them fails ("its context was destroyed") until
 * they are destroyed in turn, which is always safe. A destroyed handle, or
 * one of another kind, passed to any call is an error, not a crash: the
 * library keeps the last 256 destroyed objects' headers to recognise them
 * (further back, a stale pointer can no longer be told from new memory).
 * Destroying NULL or an already destroyed object does nothing. Node ids
 * carry their graph: another graph's node is an error. Data the host
 * passes (set, write, file names) is copied before the call returns.
 *
 * Threads. Objects of one context may be used by one thread at a time
 * (the context's queue and memory are not locked); distinct contexts may
 * be used from distinct threads at once, each thread with its own
 * alvk_last_error(). A dataset (host memory only) may be read by several
 * threads at once. Creating and destroying objects is safe from any
 * thread under the same rule.
 *
 * Environment variables. A context reads them once, when it is created
 * (a later change reaches only later contexts); a desc field, when set,
 * wins. Unset and empty are the same. A value not listed is ignored, with
 * one warning in the context's log (ALVK_LOG=warn shows it).
 * NAME=values (default): effect.
 *   ALVK_DEVICE=N|name (the best kind: discrete > integrated > virtual >
 *       CPU): the device by index, or the first whose name contains name,
 *       ignoring case; one that matches nothing fails alvk_context_create
 *   ALVK_LOG=debug|info|warn|error|off (off): log at this level and
 *       above, to stderr (or the desc's log_fn); another value logs warnings
 *   ALVK_VALIDATION=0|1 (0): 1 runs the Khronos validation layer with
 *       synchronisation validation; any message it gives fails the call
 *   ALVK_PIPELINE_CACHE=0|1 (1): 0 neither reads nor writes the on-disk
 *       pipeline cache and kernel choices
 *   XDG_CACHE_HOME, HOME: the cache lives in $XDG_CACHE_HOME/alvk, else
 *       $HOME/.cache/alvk (neither set: no cache)
 *   ALVK_PROFILE=0|1 (0): 1 prints a per-op GPU-time table for each graph
 *       on stderr when it is destroyed (each recording's first run left
 *       out: a driver may compile there)
 *   ALVK_READ_PATH=ssbo|texel (measured once per context): how kernels
 *       read their inputs, storage buffers or uniform texel buffers
 *   ALVK_GEMM_TILE=16x16|16x16h|8x8|4x8|8x4|4x4|smem (raced once per
 *       device, cached): the GEMM kernel, a register tile of RxC floats
 *       (16x16h: its 4x4 blocks run in halves of two columns) or the
 *       shared-memory blocks of GPUs
 *   ALVK_GEMM_SPLIT=0|1 (raced once per device): 1 splits the K of long-K
 *       GEMMs with few tiles (weight gradients) over a batched dispatch and
 *       a reduce
 *   ALVK_SERIAL_SUMS=0|1 (raced once per device): sums of at most 4,096
 *       values (small batch-norm channels, bias gradients) one invocation
 *       each (1) or a workgroup each (0)
 *   ALVK_SUBGROUP_SUMS=0|1 (raced once per device): workgroup sums by
 *       subgroup operations (1; devices with subgroup arithmetic) or a tree
 *       in shared memory (0)
 *   ALVK_WINOGRAD=0|2|4 (the tile with fewer multiplies): stride-1 3x3
 *       convolutions as im2col GEMMs (0) or Winograd F(2x2) / F(4x4) forced
 *   ALVK_PAIRED=0|1 (raced once per device): a convolution's two packs or
 *       Winograd transforms in one dispatch (1) or two (0); the numbers are
 *       the same bit for bit
 *   ALVK_FUSE=0|1 (1): 0 keeps ReLU, residual adds and ReLU gradients as
 *       their own dispatches instead of fusing them into the batch norm or
 *       convolution before them (the numbers are the same bit for bit)
 *   ALVK_FOLD_BN=0|1 (1): 0 keeps evaluation graphs' batch norm as its own
 *       dispatch instead of folding it into the convolution before it
 */
#ifndef ALVK_ALVK_H
#define ALVK_ALVK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && defined(ALVK_SHARED)
#  ifdef ALVK_BUILDING
#    define ALVK_API __declspec(dllexport)
#  else
#    define ALVK_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__)
#  define ALVK_API __attribute__((visibility("default")))
#else
#  define ALVK_API
#endif

#define ALVK_VERSION_MAJOR 0
#define ALVK_VERSION_MINOR 1
#define ALVK_VERSION_PATCH 0

/* "MAJOR.MINOR.PATCH" of the library actually linked. */
ALVK_API const char *alvk_version(void);

/* ---- status codes ------------------------------------------------------ */

/* One list of codes and their short messages; the enum and alvk_status_str()
 * are both generated from it. */
#define ALVK_STATUS_LIST(X)                                                    \
    X(ALVK_OK, "ok")                                                           \
    X(ALVK_ERROR_INVALID_ARGUMENT, "invalid argument")                         \
    X(ALVK_ERROR_NO_VULKAN, "no Vulkan loader on this system")                 \
    X(ALVK_ERROR_NO_DEVICE, "no usable Vulkan device")                         \
    X(ALVK_ERROR_DEVICE_NOT_FOUND, "no device matches the request")            \
    X(ALVK_ERROR_OUT_OF_DEVICE_MEMORY, "out of device memory")                 \
    X(ALVK_ERROR_OUT_OF_HOST_MEMORY, "out of host memory")                     \
    X(ALVK_ERROR_DEVICE_LOST, "device lost")                                   \
    X(ALVK_ERROR_VALIDATION, "the validation layer reported a problem")        \
    X(ALVK_ERROR_UNSUPPORTED, "not supported by this device or build")         \
    X(ALVK_ERROR_VULKAN, "a Vulkan call failed")                               \
    X(ALVK_ERROR_IO, "file input/output failed")                               \
    X(ALVK_ERROR_FORMAT, "malformed input")

typedef enum alvk_status {
#define ALVK_STATUS_ENUM(code, msg) code,
    ALVK_STATUS_LIST(ALVK_STATUS_ENUM)
#undef ALVK_STATUS_ENUM
    ALVK_STATUS_COUNT
} alvk_status;

/* The short fixed message of a status code ("out of device memory"). */
ALVK_API const char *alvk_status_str(alvk_status status);

/* The detailed message of the last failure on the calling thread, e.g.
 * "asked for 3.00 GiB of device memory, 2.00 GiB left in heap 0". The string
 * stays valid until the next alvk call on this thread. */
ALVK_API const char *alvk_last_error(void);

/* ---- logging ----------------------------------------------------------- */

typedef enum alvk_log_level {
    ALVK_LOG_DEFAULT = 0, /* in a desc: take ALVK_LOG, else log nothing */
    ALVK_LOG_DEBUG,
    ALVK_LOG_INFO,
    ALVK_LOG_WARN,
    ALVK_LOG_ERROR,
    ALVK_LOG_OFF
} alvk_log_level;

/* Receives each log line (no trailing newline) at or above the level asked. */
typedef void (*alvk_log_fn)(void *user, alvk_log_level level, const char *message);

/* ---- context and devices ----------------------------------------------- */

/* A context owns one Vulkan instance, one device and everything created on
 * it. Contexts are independent: a program may hold several, and threads may
 * create theirs at the same time. */
typedef struct alvk_context alvk_context;

/* Options for alvk_context_create; every zero field means "the default". */
typedef struct alvk_context_desc {
    const char *device;     /* index ("1") or name substring ("llvmpipe");
                               NULL: ALVK_DEVICE, else discrete > integrated >
                               virtual > CPU */
    int validation;         /* 0: ALVK_VALIDATION; 1: on; -1: off */
    alvk_log_level log_level; /* 0: ALVK_LOG */
    alvk_log_fn log_fn;     /* NULL: lines go to stderr */
    void *log_user;
    int pipeline_cache;     /* 0: ALVK_PIPELINE_CACHE (default on); 1: on; -1: off */
    const char *cache_dir;  /* NULL: $XDG_CACHE_HOME/alvk or ~/.cache/alvk */
    const void *vk_allocator; /* const VkAllocationCallbacks *: host memory for
                               every Vulkan object alvk creates and destroys
                               (their pAllocator); kept, not copied, until
                               alvk_context_destroy returns. NULL: the driver's */
    int force_staging;      /* 1: move data through staging buffers even when
                               device memory is host-visible (tests the path
                               that discrete GPUs take) */
    const char *choices;    /* another context's alvk_context_choices text:
                               its kernel variants, taken where it names this
                               device and driver (else measured as usual) */
    /* A host's own Vulkan objects to run on (all of instance, physical
     * device and device, or none). alvk then creates and destroys no
     * instance or device, uses queue 0 of vk_queue_family, and loads its own
     * function table from them, so the host's function pointers are never
     * touched. The host keeps the objects alive until alvk_context_destroy
     * returns and reports validation through its own messenger. */
    void *vk_instance;              /* VkInstance */
    void *vk_physical_device;       /* VkPhysicalDevice */
    void *vk_device;                /* VkDevice */
    uint32_t vk_queue_family;       /* a family with compute */
    uint32_t vk_api_version;        /* the instance's API version; 0: 1.1 */
    void *vk_get_instance_proc_addr; /* PFN_vkGetInstanceProcAddr; NULL: alvk
                                        opens the system loader for it */
} alvk_context_desc;

typedef enum alvk_device_type {
    ALVK_DEVICE_OTHER = 0,
    ALVK_DEVICE_INTEGRATED,
    ALVK_DEVICE_DISCRETE,
    ALVK_DEVICE_VIRTUAL,
    ALVK_DEVICE_CPU
} alvk_device_type;

#define ALVK_MAX_HEAPS 16

/* What alvk knows about one physical device: identity and the limits that
 * kernels honour. */
typedef struct alvk_device_info {
    char name[256];
    char driver_name[256];
    char driver_info[256];
    alvk_device_type type;
    uint32_t vendor_id, device_id, driver_version;
    uint32_t api_version;                 /* VK_MAKE_API_VERSION packing */
    uint64_t max_storage_buffer_range;
    uint32_t max_compute_shared_memory;
    uint32_t max_workgroup_invocations;
    uint32_t max_workgroup_size[3];
    uint32_t max_workgroup_count[3];
    uint32_t subgroup_size;
    int subgroup_arithmetic;              /* compute shaders have subgroupAdd and the like */
    uint32_t max_push_constants;
    float timestamp_period_ns;            /* 0: no compute timestamps */
    uint64_t max_memory_allocation;
    int shader_float16;
    int push_descriptors;
    int host_visible_device_memory;       /* device-local memory can be mapped */
    uint32_t heap_count;
    uint64_t heap_size[ALVK_MAX_HEAPS];
    int heap_device_local[ALVK_MAX_HEAPS];
} alvk_device_info;

/* Opens the instance and the device the desc asks for. On failure *out is
 * NULL; a device request that matches nothing fails with
 * ALVK_ERROR_DEVICE_NOT_FOUND and a message listing the devices. Destroy
 * with alvk_context_destroy. */
ALVK_API alvk_status alvk_context_create(const alvk_context_desc *desc, alvk_context **out);

/* Waits for the device to go idle, saves the pipeline cache and frees
 * everything the context owns. NULL is a no-op. */
ALVK_API void alvk_context_destroy(alvk_context *ctx);

/* Number of Vulkan devices on the system, the one the context uses, and the
 * description of any of them. */
ALVK_API int alvk_context_device_count(const alvk_context *ctx);
ALVK_API int alvk_context_device_index(const alvk_context *ctx);
ALVK_API alvk_status alvk_context_device_info(const alvk_context *ctx, int index,
                                              alvk_device_info *out);

/* The kernel variants this context has chosen so far (how kernels read
 * inputs, the GEMM tile, split K, serial and subgroup sums: each measured at
 * first use or read from the cache), with the device they were measured on,
 * as one line of text. Variants round differently, so processes that must
 * compute the same bits (the ranks of one run, on several hosts) give rank
 * 0's text to alvk_context_desc.choices. Fails when size is too small. */
ALVK_API alvk_status alvk_context_choices(alvk_context *ctx, char *text, size_t size);

/* "discrete", "integrated", "virtual", "cpu" or "other". */
ALVK_API const char *alvk_device_type_str(alvk_device_type type);

/* ---- randomness -------------------------------------------------------------
 * Value number `counter` of stream `stream` under `seed`: the counter-based
 * generator behind every random choice alvk makes (initial weights, data
 * order), so a seed reproduces a run exactly. */
ALVK_API uint64_t alvk_random(uint64_t seed, uint64_t stream, uint64_t counter);

/* ---- parameter store ------------------------------------------------------
 * A model's tensors on the device, outside any graph, so the training, the
 * evaluation and the adversarial graphs of one model share weights,
 * gradients and optimiser state. Trainable tensors are laid out first and
 * contiguously (one Adam dispatch covers them); state tensors (batch-norm
 * running statistics) follow and get no gradient. Checkpoints are
 * safetensors files with the tensors' names, so they move to and from
 * PyTorch (torchvision names: conv1.weight, bn1.running_mean, ...). */
typedef struct alvk_params alvk_params;

typedef enum alvk_param_kind {
    ALVK_PARAM_TRAINABLE = 0, /* has a gradient and optimiser state */
    ALVK_PARAM_STATE          /* updated by the forward pass, saved, never trained */
} alvk_param_kind;

#define ALVK_MAX_DIMS 4

/* Creates an empty store on ctx; the context must outlive it. */
ALVK_API alvk_status alvk_params_create(alvk_context *ctx, alvk_params **out);
ALVK_API void alvk_params_destroy(alvk_params *params);
/* Declares a tensor (f32, 1 to ALVK_MAX_DIMS dimensions, a unique name)
 * before alvk_params_commit; *index (may be NULL) is its number. */
ALVK_API alvk_status alvk_params_add(alvk_params *params, const char *name, const uint32_t *shape,
                                     uint32_t ndims, alvk_param_kind kind, int *index);
/* Allocates device memory for every tensor (zeroed), their gradients and
 * optimiser state. Fails with ALVK_ERROR_OUT_OF_DEVICE_MEMORY when the model
 * does not fit; no tensor can be added afterwards. */
ALVK_API alvk_status alvk_params_commit(alvk_params *params);
ALVK_API int alvk_params_count(const alvk_params *params);
/* Index of the tensor called name, or -1. */
ALVK_API int alvk_params_find(const alvk_params *params, const char *name);
/* Number of floats in tensor i, or in all tensors of a kind (index -1). */
ALVK_API uint64_t alvk_params_numel(const alvk_params *params, int index, alvk_param_kind kind);
/* Copies tensor i between host floats and the device (after commit), at
 * once: data may be reused when the call returns. `bytes` is the room at
 * data, at least 4 x alvk_params_numel(params, index, 0) (less is an
 * error, never a short copy). */
ALVK_API alvk_status alvk_params_write(alvk_params *params, int index, const float *data, size_t bytes);
ALVK_API alvk_status alvk_params_read(alvk_params *params, int index, float *data, size_t bytes);
/* Copies the gradient of trainable tensor i (as the last run of a graph
 * with alvk_graph_backward left it) to host floats, and back. Index -1:
 * every trainable tensor's gradient packed one after another in store
 * order, alvk_params_numel(params, -1, ALVK_PARAM_TRAINABLE) floats, in one
 * transfer. How data-parallel training works: each process runs a
 * backward-only graph on its share of the batch, the processes sum the
 * packed gradients, write them back, and run a graph holding only
 * alvk_graph_adam. State tensors have no gradient (an error). `bytes`: the
 * room at data, as for alvk_params_read. */
ALVK_API alvk_status alvk_params_read_grad(alvk_params *params, int index, float *data, size_t bytes);
ALVK_API alvk_status alvk_params_write_grad(alvk_params *params, int index, const float *data, size_t bytes);
/* Copies all tensors to a snapshot on the device, and back: how a run
 * returns to its initial weights without a host round trip. restore fails
 * with ALVK_ERROR_INVALID_ARGUMENT before any snapshot. */
ALVK_API alvk_status alvk_params_snapshot(alvk_params *params);
ALVK_API alvk_status alvk_params_restore(alvk_params *params);
/* Zeroes the optimiser state (Adam's moments, SGD's momentum buffer, the
 * step count), as a fresh torch.optim optimiser: with alvk_params_restore,
 * how an active-learning round starts over. */
ALVK_API alvk_status alvk_params_reset_optimizer(alvk_params *params);
/* Writes every tensor to a safetensors file (written whole to PATH.tmp, then
 * renamed: an interrupted save never leaves a broken checkpoint). */
ALVK_API alvk_status alvk_params_save(alvk_params *params, const char *path);
/* Reads a safetensors file into the store: every tensor must be present
 * with dtype F32 and the same shape; PyTorch's *.num_batches_tracked are
 * ignored; any other tensor in the file is an error. Fails with
 * ALVK_ERROR_FORMAT (and the reason) without changing the store. */
ALVK_API alvk_status alvk_params_load(alvk_params *params, const char *path);

/* Declares ResNet18 in the store with torchvision's names (conv1, bn1,
 * layer1.0.conv1, ..., layer2.0.downsample.0, ..., fc) and deeplay's
 * layout: biases on the block and shortcut convs, none on the stem conv,
 * global average pooling to 512 features; 11,174,976 backbone parameters
 * for one input channel. classes > 0 adds the head fc (512 -> classes).
 * Initialisation (alvk_params_initialize), as deeplay's: conv weights
 * ALVK_INIT_KAIMING_NORMAL with mode ALVK_FAN_OUT and ALVK_GAIN_RELU,
 * conv biases 0; batch norm weight 1, bias 0, running mean 0, running
 * variance 1; the head fc ALVK_INIT_TORCH_DEFAULT (fan 512, weight and
 * bias), as PyTorch's Linear. */
ALVK_API alvk_status alvk_model_resnet18(alvk_params *params, uint32_t in_channels, uint32_t classes);
/* Declares an MLP: Linear layers in -> hidden[0] -> ... -> out named
 * PREFIX.0.weight [hidden[0], in], PREFIX.0.bias [hidden[0]],
 * PREFIX.1.weight, ...; weights ALVK_INIT_KAIMING_NORMAL (ALVK_FAN_OUT,
 * ALVK_GAIN_RELU) and zero biases, as the notebook's discriminator. */
ALVK_API alvk_status alvk_model_mlp(alvk_params *params, const char *prefix, uint32_t in,
                                    const uint32_t *hidden, uint32_t nhidden, uint32_t out);
/* Switches the layers of alvk_model_mlp's PREFIX to PyTorch's default
 * Linear initialisation, ALVK_INIT_TORCH_DEFAULT: U(-1/sqrt(fan_in),
 * 1/sqrt(fan_in)) for weights and biases (call before
 * alvk_params_initialize). With the Kaiming default a
 * 512 -> 1 output layer's pre-activations have a standard deviation in the
 * tens, which saturates a sigmoid after it. */
ALVK_API alvk_status alvk_model_mlp_default_init(alvk_params *params, const char *prefix);
/* ---- a model of one's own: layouts and names -------------------------------
 * What the graph ops expect of the tensors a program declares itself
 * (alvk_params_add, then alvk_graph_param), laid out as PyTorch lays them
 * out, so checkpoints move both ways:
 *   alvk_graph_linear     y = x W^T + b: x [B, in] (alvk_graph_reshape a
 *                         feature map first), weight [out, in], bias [out]
 *   alvk_graph_conv2d     x [N, Cin, H, W] (NCHW), weight [Cout, Cin, k, k]
 *                         (square), bias [Cout]; a cross-correlation as
 *                         torch.nn.Conv2d's, one stride and one zero
 *                         padding for both directions
 *   bias -1               no bias (linear, conv2d). -1 is also what a failed
 *                         builder returns, but that failure sticks to the
 *                         graph, so alvk_graph_compile still reports it
 *   alvk_graph_batchnorm  PREFIX.weight and PREFIX.bias (trainable),
 *                         PREFIX.running_mean and PREFIX.running_var
 *                         (state), each [C], as torch.nn.BatchNorm2d's
 *                         (eps 1e-5, momentum 0.1: alvk_graph_set_bn_momentum)
 * alvk_params_initialize starts tensors declared by hand after these names
 * (below): a batch norm at weight 1, bias 0, running mean 0 and running
 * variance 1. alvk_graph_set copies the host's data before it returns: the
 * buffer may be reused at once, and each run uses the values set last. */

/* ---- initialisers --------------------------------------------------------
 * How a tensor's first values are drawn: torch.nn.init's recipes, for
 * tensors a program declares itself (alvk_params_add). Fans follow
 * PyTorch's: a tensor [out, in, k...] (a linear weight [out, in], a
 * convolution's [out, in, kh, kw]) has fan_in = in * kh * kw and fan_out =
 * out * kh * kw; a 1-dimensional tensor has none (a bias: give `fan`). */
typedef enum alvk_init_kind {
    ALVK_INIT_CONSTANT = 0,    /* every value `value` (0 by default) */
    ALVK_INIT_NORMAL,          /* N(mean, std^2) */
    ALVK_INIT_UNIFORM,         /* U(low, high) */
    ALVK_INIT_KAIMING_NORMAL,  /* N(0, std^2), std = gain / sqrt(fan) */
    ALVK_INIT_KAIMING_UNIFORM, /* U(-b, b), b = gain sqrt(3 / fan) */
    ALVK_INIT_XAVIER_NORMAL,   /* N(0, std^2), std = gain sqrt(2 / (fan_in + fan_out)) */
    ALVK_INIT_XAVIER_UNIFORM,  /* U(-b, b), b = gain sqrt(6 / (fan_in + fan_out)) */
    ALVK_INIT_TORCH_DEFAULT    /* U(-b, b), b = 1 / sqrt(fan_in): PyTorch's default for
                                  Linear and Conv2d weights, and their biases (with
                                  fan = the weight's fan_in) */
} alvk_init_kind;

typedef enum alvk_init_fan {
    ALVK_FAN_IN = 0, /* keeps the forward pass's variance (PyTorch's default) */
    ALVK_FAN_OUT     /* keeps the backward pass's */
} alvk_init_fan;

/* The gain of torch.nn.init.calculate_gain for the nonlinearity that
 * follows the layer. */
typedef enum alvk_init_gain {
    ALVK_GAIN_DEFAULT = 0, /* Kaiming: ReLU's; Xavier: 1 (PyTorch's defaults) */
    ALVK_GAIN_LINEAR,      /* 1: no nonlinearity, convolution, sigmoid */
    ALVK_GAIN_RELU,        /* sqrt(2) */
    ALVK_GAIN_LEAKY_RELU,  /* sqrt(2 / (1 + slope^2)) */
    ALVK_GAIN_TANH         /* 5/3 */
} alvk_init_gain;

/* A recipe; every zero field means the default, so (alvk_init){0} is zeros
 * and (alvk_init){.kind = ALVK_INIT_KAIMING_NORMAL} is PyTorch's
 * kaiming_normal_ (fan_in, ReLU gain). Fields other kinds use are ignored. */
typedef struct alvk_init {
    alvk_init_kind kind;
    double value;               /* CONSTANT */
    double mean, std;           /* NORMAL; std 0 means 1 */
    double low, high;           /* UNIFORM, low <= high; both 0 mean U(0, 1) */
    alvk_init_fan mode;         /* KAIMING_*: which fan */
    alvk_init_gain nonlinearity; /* KAIMING_*, XAVIER_* */
    double slope;               /* ALVK_GAIN_LEAKY_RELU's negative slope (PyTorch
                                   Kaiming's `a`; 0 gives ReLU's gain) */
    double gain;                /* > 0: this gain, whatever nonlinearity says */
    uint32_t fan;               /* KAIMING_*, TORCH_DEFAULT: nonzero: this fan instead
                                   of the tensor's own (a bias takes its layer's) */
} alvk_init;

/* Fills tensor `index` of a committed store now, from `seed`: the values
 * alvk_params_initialize(params, seed) gives it under the same recipe
 * (every tensor draws from its own stream of alvk_random, keyed by its
 * name). Fails with ALVK_ERROR_INVALID_ARGUMENT, changing nothing, on a
 * bad index, an uncommitted store, a NULL desc, a field out of range (a
 * negative std, low > high, an unknown kind, mode or gain, a value that is
 * not finite) or a fan-based recipe on a 1-dimensional tensor without
 * desc->fan. */
ALVK_API alvk_status alvk_params_init(alvk_params *params, int index, const alvk_init *desc,
                                     uint64_t seed);
/* Makes desc (copied) the recipe alvk_params_initialize applies to tensor
 * `index`, before or after commit: how a program's own layers get their
 * initialisation at every alvk_params_initialize, as the built-in models'
 * do. Checked as alvk_params_init checks it. */
ALVK_API alvk_status alvk_params_set_init(alvk_params *params, int index, const alvk_init *desc);
/* Sets every tensor of a committed store to its initial values, all drawn
 * from one counter-based generator: the same seed gives the same values,
 * whatever the order of declaration. Each tensor takes its recipe (the
 * model that declared it, or alvk_params_set_init); a tensor without one
 * takes PyTorch's default for its name and shape, which a module of that
 * kind would give it:
 *   PREFIX.running_var (state)                    1
 *   any other state tensor (PREFIX.running_mean)  0
 *   PREFIX.weight, PREFIX.bias of a batch norm    1 and 0 (the store holds
 *                                                 PREFIX.running_var)
 *   a trainable tensor of 2 or more dimensions    ALVK_INIT_TORCH_DEFAULT
 *   PREFIX.bias beside such a PREFIX.weight       ALVK_INIT_TORCH_DEFAULT with
 *                                                 the weight's fan_in
 *   any other trainable tensor                    0 */
ALVK_API alvk_status alvk_params_initialize(alvk_params *params, uint64_t seed);

/* ---- pools ----------------------------------------------------------------
 * A dataset's images (as bytes) and labels uploaded to the device once;
 * graphs gather their batches from it. The dataset comes from IDX files
 * (alvk_dataset_load) or the caller's memory (alvk_dataset_create), below;
 * the pool keeps its own copy, so the dataset may be destroyed after. */
typedef struct alvk_dataset alvk_dataset;
typedef struct alvk_pool alvk_pool;
ALVK_API alvk_status alvk_pool_create(alvk_context *ctx, const alvk_dataset *ds, alvk_pool **out);
ALVK_API void alvk_pool_destroy(alvk_pool *pool);

/* ---- graphs -------------------------------------------------------------
 * A static compute graph over the tensors of a parameter store: built once
 * through the functions below, differentiated, memory-planned, compiled to
 * a recorded command buffer, then run step after step (one queue
 * submission each). Shapes are static except the batch (the first
 * dimension of inputs), which may be anything up to the graph's maximum at
 * each run: a recording is kept per batch size seen, so a short last batch
 * rebuilds nothing.
 *
 * Builder functions return a node (>= 0), or -1 after an error, which the
 * graph keeps: alvk_graph_compile then fails with the first error's
 * message, so a model can be built without checking every call. The calls
 * that return a status (backward, the optimisers, set_bn_momentum) keep
 * their failures the same way, and fail at once after an earlier one. */
typedef struct alvk_graph alvk_graph;
typedef int32_t alvk_node;

typedef enum alvk_graph_mode {
    ALVK_GRAPH_TRAIN = 0, /* batch norm uses and updates batch statistics */
    ALVK_GRAPH_EVAL       /* batch norm uses the running statistics */
} alvk_graph_mode;

/* params may be NULL for a graph without parameters. */
ALVK_API alvk_status alvk_graph_create(alvk_context *ctx, alvk_params *params, uint32_t max_batch,
                                       alvk_graph_mode mode, alvk_graph **out);
ALVK_API void alvk_graph_destroy(alvk_graph *g);

/* Leaves. An input's shape excludes the batch: {1, 28, 28} for images.
 * Labels are uint32, one per row. A parameter is a store tensor by name. */
ALVK_API alvk_node alvk_graph_input(alvk_graph *g, const uint32_t *shape, uint32_t ndims);
ALVK_API alvk_node alvk_graph_labels(alvk_graph *g);
ALVK_API alvk_node alvk_graph_param(alvk_graph *g, const char *name);

/* Ops. Batched tensors are [batch, ...]. */
ALVK_API alvk_node alvk_graph_linear(alvk_graph *g, alvk_node x, alvk_node w, alvk_node b);
ALVK_API alvk_node alvk_graph_conv2d(alvk_graph *g, alvk_node x, alvk_node w, alvk_node b,
                                     uint32_t stride, uint32_t pad);
/* Batch norm with the store's PREFIX.weight, .bias, .running_mean, .running_var. */
ALVK_API alvk_node alvk_graph_batchnorm(alvk_graph *g, alvk_node x, const char *prefix);
ALVK_API alvk_node alvk_graph_maxpool2d(alvk_graph *g, alvk_node x, uint32_t k, uint32_t stride,
                                        uint32_t pad);
/* Average pooling over k x k windows at this stride and padding, as
 * PyTorch's AvgPool2d(k, stride, pad) with count_include_pad=True: every
 * window's sum over k^2, padding counting as zeros. Same window rules as
 * maxpool2d (k and stride above 0, pad at most k / 2, the window fitting
 * the padded input). Differentiable to any order. */
ALVK_API alvk_node alvk_graph_avgpool2d(alvk_graph *g, alvk_node x, uint32_t k, uint32_t stride,
                                        uint32_t pad);
/* The same values with another shape (excluding the batch, which stays):
 * {784} turns [B, 1, 28, 28] into [B, 784]. No copy. */
ALVK_API alvk_node alvk_graph_reshape(alvk_graph *g, alvk_node x, const uint32_t *shape, uint32_t ndims);
/* a and b side by side along dimension 1: [N, Ca, H, W] and [N, Cb, H, W]
 * give [N, Ca + Cb, H, W] (torch.cat(dim=1)); [B, Fa] and [B, Fb] give
 * [B, Fa + Fb]. Every other dimension must match. One copy kernel; the
 * gradient splits by two more. Differentiable to any order. */
ALVK_API alvk_node alvk_graph_concat(alvk_graph *g, alvk_node a, alvk_node b);
/* [N, C, H, W] -> [N, C] */
ALVK_API alvk_node alvk_graph_avgpool_global(alvk_graph *g, alvk_node x);
/* max(x, 0), NaN kept (as PyTorch's), so a diverging model shows it. */
ALVK_API alvk_node alvk_graph_relu(alvk_graph *g, alvk_node x);
ALVK_API alvk_node alvk_graph_sigmoid(alvk_graph *g, alvk_node x);
ALVK_API alvk_node alvk_graph_square(alvk_graph *g, alvk_node x);
ALVK_API alvk_node alvk_graph_sqrt(alvk_graph *g, alvk_node x);
/* tanh(x), e^x, ln x (x > 0), and x where x > 0 else slope x (PyTorch's
 * LeakyReLU; its default slope is 0.01), elementwise; each differentiable
 * twice. */
ALVK_API alvk_node alvk_graph_tanh(alvk_graph *g, alvk_node x);
ALVK_API alvk_node alvk_graph_exp(alvk_graph *g, alvk_node x);
ALVK_API alvk_node alvk_graph_log(alvk_graph *g, alvk_node x);
ALVK_API alvk_node alvk_graph_leaky_relu(alvk_graph *g, alvk_node x, float slope);
/* GELU in its exact form, x Phi(x) with Phi the standard normal CDF
 * (PyTorch's default nn.GELU, not its tanh approximation); the kernels
 * compute Phi from a rational erfc fit, relative error below 1.2e-7.
 * Differentiable to any order. */
ALVK_API alvk_node alvk_graph_gelu(alvk_graph *g, alvk_node x);
/* Dropout (PyTorch's nn.Dropout(p) in training): each element dropped
 * with probability p in [0, 1), the rest scaled by 1 / (1 - p); the
 * identity, returning x itself, in ALVK_GRAPH_EVAL graphs and for p = 0.
 * Seeded and deterministic: in the graph's r-th run (r = 0 first, counted
 * over every batch size, up to 2^32 runs), element k of the batch's tensor
 * (its flat index) is kept when the high 32 bits of alvk_random(seed, r, k)
 * are at least floor(p 2^32), so a run repeats exactly and the host can
 * recompute any mask. The graph counts its runs on the device (no host
 * work per run). Its gradient multiplies by the same mask. Two dropouts
 * with one seed in one graph draw the same mask for elements of the same
 * index: give each its own seed. */
ALVK_API alvk_node alvk_graph_dropout(alvk_graph *g, alvk_node x, float p, uint64_t seed);
ALVK_API alvk_node alvk_graph_scale(alvk_graph *g, alvk_node x, float alpha);
/* alpha x + beta, elementwise. */
ALVK_API alvk_node alvk_graph_affine(alvk_graph *g, alvk_node x, float alpha, float beta);
/* Elementwise, same shapes. */
ALVK_API alvk_node alvk_graph_add(alvk_graph *g, alvk_node a, alvk_node b);
ALVK_API alvk_node alvk_graph_sub(alvk_graph *g, alvk_node a, alvk_node b);
ALVK_API alvk_node alvk_graph_mul(alvk_graph *g, alvk_node a, alvk_node b);
/* x [B, F] times one value per row s [B]. */
ALVK_API alvk_node alvk_graph_mul_rows(alvk_graph *g, alvk_node x, alvk_node s);
/* [B, F] -> [B]: the sum of each row. */
ALVK_API alvk_node alvk_graph_sum_rows(alvk_graph *g, alvk_node x);
/* [B, F] -> [B]: the L2 norm of each row, sqrt(sum(x^2) + 1e-30): the
 * tiny term (below float resolution for any norm above 1e-23) gives a zero
 * row the gradient 0, as torch's norm does, where a bare sqrt would give
 * 0/0. The gradient-penalty's norm. */
ALVK_API alvk_node alvk_graph_norm_rows(alvk_graph *g, alvk_node x);
/* The mean of all values of x: a scalar. */
ALVK_API alvk_node alvk_graph_mean(alvk_graph *g, alvk_node x);
/* Mean softmax cross-entropy of logits [B, C] against labels: a scalar. */
ALVK_API alvk_node alvk_graph_softmax_ce(alvk_graph *g, alvk_node logits, alvk_node labels);
/* The softmax of each row of x [B, C]: probabilities as an output (computed
 * stably, the row's maximum subtracted); differentiable twice. */
ALVK_API alvk_node alvk_graph_softmax(alvk_graph *g, alvk_node x);

/* ResNet18's forward pass on x [N, C, H, W] with the tensors that
 * alvk_model_resnet18 declared: returns the pooled features [N, 512]. */
ALVK_API alvk_node alvk_graph_resnet18(alvk_graph *g, alvk_node x);
/* An MLP's forward pass (alvk_model_mlp's PREFIX.i tensors, ReLU between
 * layers, nothing after the last). */
ALVK_API alvk_node alvk_graph_mlp(alvk_graph *g, alvk_node x, const char *prefix, uint32_t layers);

/* A uint32 input per row (indices of the images of a batch). */
ALVK_API alvk_node alvk_graph_indices(alvk_graph *g);
/* The images of a pool at the rows given by `indices`, gathered on the
 * device and scaled to [0, 1]: [B, 1, rows, cols]. Per step the host sends
 * only the indices. */
ALVK_API alvk_node alvk_graph_gather(alvk_graph *g, alvk_pool *pool, alvk_node indices);
/* The labels of the rows a gather node fetched (uint32 [B]). */
ALVK_API alvk_node alvk_graph_gathered_labels(alvk_graph *g, alvk_node gather);
/* How many rows of logits [B, C] have their largest value at the label: a
 * uint32 scalar (read it as 32 bits, not as a float). */
ALVK_API alvk_node alvk_graph_correct(alvk_graph *g, alvk_node logits, alvk_node labels);

/* Adds the gradient of the scalar `loss` to the graph and writes the
 * gradients of all trainable parameters it depends on into the store. */
ALVK_API alvk_status alvk_graph_backward(alvk_graph *g, alvk_node loss);
/* The same for the trainable tensors among store indices first..first+
 * count-1 only; every other tensor is a constant (as torch's detach). How
 * one graph trains two parts of a model on two losses (a backbone on one,
 * a discriminator on another): each part's gradients come from its own
 * loss. A part must be applied to the loss's inputs only once per loss,
 * except models with batch norm, whose repeated use is summed. The store's
 * gradients of tensors outside the range are left as they are. */
ALVK_API alvk_status alvk_graph_backward_params(alvk_graph *g, alvk_node loss, int first, int count);
/* The gradient of sum(y) with respect to x, as a node of x's shape, built
 * from differentiable ops: differentiating it again (a gradient penalty)
 * works for linear layers, activations, elementwise ops and sums. The
 * store's gradients are left as they are. */
ALVK_API alvk_node alvk_graph_grad(alvk_graph *g, alvk_node y, alvk_node x);

/* ---- optimisers --------------------------------------------------------
 * An optimiser step appended to a graph runs after the gradients: every run
 * of the graph is then a whole training step in one submission. Steps are
 * numbered 0, 1, ... in the order they are added; their hyperparameters
 * live in a small device buffer the kernels read at each run, so
 * alvk_graph_set_lr and alvk_graph_set_optimizer change them between runs
 * (a schedule) with no recompiling or re-recording. The step count lives
 * in the store: all steps of one graph share it, advanced once per run
 * (alvk_params_reset_optimizer zeroes it with the moments). Each takes
 * torch.optim's ranges: lr, eps, weight_decay, momentum >= 0, betas in
 * [0, 1); out of range is ALVK_ERROR_INVALID_ARGUMENT. */

/* One Adam step (torch.optim.Adam: no weight decay) over all trainable
 * parameters of the store. */
ALVK_API alvk_status alvk_graph_adam(alvk_graph *g, double lr, double beta1, double beta2, double eps);
/* One Adam step over the trainable tensors among store indices first..
 * first+count-1 only: a separate optimiser per part of a model (Adam is
 * per element, so two groups stepped together equal two torch.optim.Adam). */
ALVK_API alvk_status alvk_graph_adam_params(alvk_graph *g, int first, int count, double lr,
                                           double beta1, double beta2, double eps);
/* AdamW (torch.optim.AdamW): Adam with decoupled weight decay, each
 * parameter multiplied by 1 - lr weight_decay before the Adam step.
 * weight_decay 0 is alvk_graph_adam bit for bit. */
ALVK_API alvk_status alvk_graph_adamw(alvk_graph *g, double lr, double beta1, double beta2,
                                      double eps, double weight_decay);
ALVK_API alvk_status alvk_graph_adamw_params(alvk_graph *g, int first, int count, double lr,
                                             double beta1, double beta2, double eps,
                                             double weight_decay);
/* SGD (torch.optim.SGD): g = grad + weight_decay p (L2, in the gradient);
 * with momentum, b = momentum b + (1 - dampening) g, b = g at the store's
 * first step (step count 0), then g = b, or g + momentum b with nesterov
 * (which needs momentum > 0 and dampening 0); p -= lr g. b is the store's
 * first-moment buffer, the one Adam's m uses: one optimiser per tensor
 * (momentum turned on after the first step starts from b = 0). */
ALVK_API alvk_status alvk_graph_sgd(alvk_graph *g, double lr, double momentum, double dampening,
                                    double weight_decay, int nesterov);
ALVK_API alvk_status alvk_graph_sgd_params(alvk_graph *g, int first, int count, double lr,
                                           double momentum, double dampening,
                                           double weight_decay, int nesterov);

typedef enum alvk_optimizer_kind {
    ALVK_OPTIMIZER_ADAM = 0, /* alvk_graph_adam, alvk_graph_adamw */
    ALVK_OPTIMIZER_SGD
} alvk_optimizer_kind;

/* One optimiser step's hyperparameters, as its builder took them. */
typedef struct alvk_optimizer {
    alvk_optimizer_kind kind;
    int first, count;            /* the store tensors it updates */
    double lr;
    double beta1, beta2, eps;    /* Adam */
    double weight_decay;         /* Adam: decoupled (AdamW); SGD: added to the gradient */
    double momentum, dampening;  /* SGD */
    int nesterov;                /* SGD */
} alvk_optimizer;

/* The number of optimiser steps in g. */
ALVK_API int alvk_graph_optimizer_count(const alvk_graph *g);
/* Step `index`'s hyperparameters now. */
ALVK_API alvk_status alvk_graph_get_optimizer(const alvk_graph *g, int index, alvk_optimizer *out);
/* Sets step `index`'s hyperparameters for the runs that follow, before or
 * after compile (a copy at once, as alvk_graph_set). kind, first and count
 * must be the step's own: read them with alvk_graph_get_optimizer, change
 * what changes. A refused call changes nothing. */
ALVK_API alvk_status alvk_graph_set_optimizer(alvk_graph *g, int index, const alvk_optimizer *opt);
/* Sets the learning rate of step `index`, or of every step (index -1),
 * for the runs that follow: a learning-rate schedule. AdamW's decay
 * (1 - lr weight_decay) follows the new rate, as torch's. */
ALVK_API alvk_status alvk_graph_set_lr(alvk_graph *g, int index, double lr);
/* Batch norm's momentum for the running statistics in a training graph
 * (default 0.1, as PyTorch). 1 makes them the statistics of the last batch
 * (running variance unbiased): how alvk recalibrates a model's statistics.
 * Call before alvk_graph_compile. */
ALVK_API alvk_status alvk_graph_set_bn_momentum(alvk_graph *g, float momentum);

/* Marks a node whose value is read after a run (so its memory is not
 * reused). Before alvk_graph_compile only: after it, an error. */
ALVK_API alvk_status alvk_graph_output(alvk_graph *g, alvk_node x);
/* Fuses what can be fused (batch norm folded into the convolution before
 * it in evaluation graphs; ReLU and residual adds into the batch norm or
 * convolution before them; a ReLU's gradient into batch norm's backward:
 * the same numbers, fewer kernels; ALVK_FUSE=0 and ALVK_FOLD_BN=0 turn them
 * off) and plans memory (one arena for activations, gradients and the ops'
 * scratch, reused where lifetimes do not meet and the reuse would not make
 * independent work wait; a pass over the nodes at the maximum batch
 * measures the scratch, and also creates the pipelines and
 * runs the device's first-use kernel races); fails before anything runs
 * when the plan does not fit the device. The commands are recorded at the
 * first run of each batch size: in dependency levels, one barrier between
 * levels. */
ALVK_API alvk_status alvk_graph_compile(alvk_graph *g);
/* Bytes of device memory the compiled plan uses: activations, gradients
 * and the ops' scratch (parameters excluded). */
ALVK_API uint64_t alvk_graph_peak_bytes(const alvk_graph *g);
/* What compile and the recordings made of a graph (zero before compile).
 * The command counts are those of the most recent run's recording (zero
 * before the first run). */
typedef struct alvk_graph_stats {
    uint32_t nodes;          /* after differentiation */
    uint32_t kernels;        /* nodes that record work: not views, not fused into another */
    uint32_t commands;       /* dispatches, copies and fills of one run */
    uint32_t barriers;       /* between them */
    uint64_t arena_bytes;    /* alvk_graph_peak_bytes */
    uint64_t scratch_bytes;  /* scratch past the plan, held by the graph's recordings (an op
                                that takes more at a smaller batch than at the largest) */
} alvk_graph_stats;
ALVK_API alvk_status alvk_graph_stats_get(const alvk_graph *g, alvk_graph_stats *out);
/* What a node holds: its element type and shape, and what the host may do
 * with it. Any node of the graph, before or after compile. */
typedef enum alvk_dtype {
    ALVK_FLOAT32 = 0,
    ALVK_UINT32 /* labels, indices, gathered labels, correct counts */
} alvk_dtype;
typedef struct alvk_node_info {
    alvk_dtype dtype;
    uint32_t ndims;
    uint32_t shape[ALVK_MAX_DIMS]; /* shape[0] is the maximum batch when batched */
    int batched;    /* dimension 0 is each run's batch */
    uint64_t bytes; /* at the maximum batch; a batch of b rows takes bytes / shape[0] * b */
    int settable;   /* an input or labels node: alvk_graph_set takes it */
    int readable;   /* alvk_graph_read takes it after a run (decided by alvk_graph_output,
                       so final only once compiled) */
} alvk_node_info;
ALVK_API alvk_status alvk_graph_node_info(const alvk_graph *g, alvk_node x, alvk_node_info *out);

/* Sets an input or labels node for the next runs: batch rows copied from
 * data at once (data may be reused when the call returns); `bytes` is the
 * room at data, at least what batch rows take (alvk_node_info), or an
 * error. A labels or indices node's values are checked against its uses
 * (a class below the logits' width, an index below the pool's count): an
 * error rather than a loss or a gather computed from out-of-range values. */
ALVK_API alvk_status alvk_graph_set(alvk_graph *g, alvk_node x, const void *data, size_t bytes,
                                    uint32_t batch);
/* Runs the graph on `batch` rows (1..max batch): one submission. */
ALVK_API alvk_status alvk_graph_run(alvk_graph *g, uint32_t batch);
/* Reads an output node of the last run (batch rows for batched nodes):
 * outputs, store tensors and their gradients, gathered labels, and
 * reshapes of these; any other node's memory is reused (an error). */
ALVK_API alvk_status alvk_graph_read(alvk_graph *g, alvk_node x, void *data, size_t bytes);

/* ---- datasets -----------------------------------------------------------
 * Images and labels in the IDX format, as MNIST, Fashion-MNIST, KMNIST and
 * EMNIST distribute them, or from the caller's memory. The dataset
 * (alvk_dataset, declared with the pools above) owns host copies of both. */

/* Loads DIR/SPLIT-images-idx3-ubyte and DIR/SPLIT-labels-idx1-ubyte (SPLIT
 * is "train" or "t10k"), each raw or gzip-compressed (the name with ".gz").
 * Checks strictly, failing with ALVK_ERROR_FORMAT and the file and reason:
 * the magic number, the element type (unsigned byte), the dimensions, the
 * file's length against its header, equal image and label counts, and every
 * label below `classes` (0 means 10). A missing file is ALVK_ERROR_IO.
 * Destroy with alvk_dataset_destroy. */
ALVK_API alvk_status alvk_dataset_load(const char *dir, const char *split, uint32_t classes,
                                       alvk_dataset **out);
/* A dataset from the caller's memory: `count` images of rows x cols pixels
 * (row-major bytes 0..255, image after image: count * rows * cols of them)
 * and `count` labels, each below `classes` (0 means 10). Both are copied;
 * the caller keeps its buffers. Fails with ALVK_ERROR_INVALID_ARGUMENT,
 * saying what is wrong, for a NULL pointer, a count, rows or cols of 0,
 * more than 2^32 - 1 pixels in all (what a pool addresses), or a label out
 * of range (naming the image). alvk_pool_create uploads it like a loaded
 * one. Destroy with alvk_dataset_destroy. */
ALVK_API alvk_status alvk_dataset_create(const uint8_t *images, const uint8_t *labels, uint32_t count,
                                         uint32_t rows, uint32_t cols, uint32_t classes,
                                         alvk_dataset **out);
ALVK_API void alvk_dataset_destroy(alvk_dataset *ds);
/* Number of images; their height and width. */
ALVK_API uint32_t alvk_dataset_count(const alvk_dataset *ds);
/* The largest label + 1 (what a head needs to classify every image). */
ALVK_API uint32_t alvk_dataset_classes(const alvk_dataset *ds);
ALVK_API void alvk_dataset_shape(const alvk_dataset *ds, uint32_t *rows, uint32_t *cols);
/* count * rows * cols pixels (row-major, 0..255) and count labels; owned by
 * the dataset. */
ALVK_API const uint8_t *alvk_dataset_images(const alvk_dataset *ds);
ALVK_API const uint8_t *alvk_dataset_labels(const alvk_dataset *ds);

#ifdef __cplusplus
}
#endif
#endif
