/* Command buffers: record once, submit many times, wait on a fence, and time
 * every dispatch on the GPU with timestamp queries. Dispatches, copies and
 * fills are ordered by the buffer ranges they touch, not by a barrier after
 * each: alvk_cmd_end writes them in dependency levels with one barrier
 * between levels (command.c). */
#ifndef ALVK_COMMAND_H
#define ALVK_COMMAND_H

#include "alvk/alvk.h"
#include "memory.h"
#include "pipeline.h"

typedef struct alvk_cmd alvk_cmd;

/* max_timed: how many dispatches of one recording get GPU timestamps (0: no
 * timing). Timing needs a queue with timestamp support; without it the
 * dispatches still run and alvk_cmd_dispatch_ms reports -1. */
alvk_status alvk_cmd_create(alvk_context *ctx, uint32_t max_timed, alvk_cmd **out);
void alvk_cmd_destroy(alvk_cmd *cmd);

/* Starts a new recording (the previous one is discarded, with the binding
 * sets and scratch buffers it owned). */
alvk_status alvk_cmd_begin(alvk_cmd *cmd);

/* A binding set or a scratch buffer owned by the current recording: ops use
 * these while recording and never free them themselves. */
alvk_status alvk_cmd_bindset(alvk_cmd *cmd, const alvk_pipeline *pipe,
                             const alvk_binding *bindings, uint32_t n, alvk_bindset **out);
alvk_status alvk_cmd_scratch(alvk_cmd *cmd, VkDeviceSize size, alvk_buffer *out);
/* Scratch for what kernels compute from parameters alone (folded, packed
 * or transformed weights): a graph plans it apart from the other scratch,
 * so that those kernels need not wait for the activations' chain. */
alvk_status alvk_cmd_scratch_weights(alvk_cmd *cmd, VkDeviceSize size, alvk_buffer *out);
alvk_context *alvk_cmd_context(const alvk_cmd *cmd);
/* Declares the scratch buffers handed out so far dead for what is recorded
 * next (their reuse is a conflict like any other, so it is ordered), so a
 * recording of many ops needs only the largest op's scratch, not the sum. */
void alvk_cmd_scratch_reuse(alvk_cmd *cmd);
/* Bytes of scratch the current recording holds in buffers of its own. */
uint64_t alvk_cmd_scratch_bytes(const alvk_cmd *cmd);
/* Serves the scratch of one kind (weights: alvk_cmd_scratch_weights's, else
 * alvk_cmd_scratch's) asked for until the next alvk_cmd_scratch_reuse from
 * region (memory the caller planned for it), as far as it reaches; the
 * rest from the recording's own buffers. */
void alvk_cmd_scratch_region(alvk_cmd *cmd, int weights, const alvk_buffer *region);
/* Scratch bytes of one kind asked for since the last reuse point, each
 * request rounded up to the binding alignment: what a region must hold. */
VkDeviceSize alvk_cmd_scratch_taken(const alvk_cmd *cmd, int weights);
/* Measuring (how a graph plans its ops' scratch): while on, commands and
 * binding sets are not made and scratch is not allocated (alvk_cmd_scratch
 * gives a buffer of the right size and no memory), only counted. */
void alvk_cmd_set_measuring(alvk_cmd *cmd, int on);
/* Records one dispatch of pipe with its bindings and push constants. It
 * runs after every earlier command whose ranges it conflicts with (it reads
 * what one wrote, or writes what one read or wrote: by the bindings'
 * `writes`), with a barrier between; commands it does not conflict with may
 * share its level. A failure to keep it (host memory) fails alvk_cmd_end. */
void alvk_cmd_dispatch(alvk_cmd *cmd, const alvk_pipeline *pipe, const alvk_bindset *set,
                       const void *push, uint32_t push_size, uint32_t gx, uint32_t gy,
                       uint32_t gz);
/* Records a buffer copy, ordered like a dispatch; timed like one. */
void alvk_cmd_copy(alvk_cmd *cmd, const alvk_buffer *src, VkDeviceSize src_offset,
                   const alvk_buffer *dst, VkDeviceSize dst_offset, VkDeviceSize size);
/* Records filling size bytes of buf (from its start) with a 32-bit
 * pattern, ordered like a dispatch. */
void alvk_cmd_fill(alvk_cmd *cmd, const alvk_buffer *buf, VkDeviceSize size, uint32_t value);
/* Writes the recorded commands in levels and ends the recording. With
 * validation on, first checks every pair of commands that touch the same
 * memory, one writing it by its shader's SPIR-V, for a barrier between them
 * (ALVK_ERROR_VALIDATION names the two). */
alvk_status alvk_cmd_end(alvk_cmd *cmd);
/* After alvk_cmd_end: the commands recorded (dispatches, copies, fills) and
 * the barriers written between them. */
uint32_t alvk_cmd_commands(const alvk_cmd *cmd);
uint32_t alvk_cmd_barriers(const alvk_cmd *cmd);

/* Submits the recording and waits for it, without a time limit (the
 * recording stays and can be submitted again). A validation message during
 * the run or a lost device fails with the matching status. */
alvk_status alvk_cmd_run(alvk_cmd *cmd);

/* After alvk_cmd_run: number of timed commands (dispatches and copies) and
 * the GPU milliseconds of command i, or -1 when it was not timed. */
uint32_t alvk_cmd_timed_count(const alvk_cmd *cmd);
double alvk_cmd_dispatch_ms(const alvk_cmd *cmd, uint32_t i);
/* What timed command i of the recording ran: its shader's name (with the
 * read path's suffix, e.g. "conv_pack_texel") or "copy"; NULL past the end. */
const char *alvk_cmd_timed_label(const alvk_cmd *cmd, uint32_t i);

/* While recording: how many commands have been given timestamps so far
 * (for mapping timings back to what recorded them). */
uint32_t alvk_cmd_timed_recorded(const alvk_cmd *cmd);

/* The raw command buffer, for tests that must record what the API forbids
 * and for a lone command: what goes in through it lands at once, before the
 * ordered commands alvk_cmd_end writes. */
VkCommandBuffer alvk_cmd_handle(const alvk_cmd *cmd);

#endif
