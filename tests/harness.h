/* Helpers every test uses: open a context with validation as the
 * environment asks, and fail the test on any validation message. */
#ifndef ALVK_TEST_HARNESS_H
#define ALVK_TEST_HARNESS_H

#include <alvk/alvk.h>
#include <criterion/criterion.h>
#include <string.h>

#include "vk/command.h"
#include "vk/context.h"
#include "vk/memory.h"
#include "vk/pipeline.h"
#include "vk/transfer.h"

/* Opens a context from desc (NULL: defaults) or fails the test with
 * alvk_last_error(). */
alvk_context *test_open(const alvk_context_desc *desc);
/* Asserts that the validation layer said nothing, then destroys ctx. */
void test_close(alvk_context *ctx);
/* Skips the test unless the default device has subgroup arithmetic in
 * compute shaders, then makes workgroup sums use it (ALVK_SUBGROUP_SUMS=1,
 * the _sg shaders) whatever the race would pick. */
void test_force_subgroup_sums(void);

/* Asserts status == ALVK_OK, printing the call and the error message. */
#define TEST_OK(call)                                                          \
    do {                                                                       \
        alvk_status test_status_ = (call);                                     \
        cr_assert(test_status_ == ALVK_OK, "%s -> %s: %s", #call,              \
                  alvk_status_str(test_status_), alvk_last_error());           \
    } while (0)

/* Expects call to fail with ALVK_ERROR_INVALID_ARGUMENT and a message
 * containing words (what was wrong, as a user would need it). */
#define TEST_REFUSED(call, words)                                                         \
    do {                                                                                 \
        alvk_status st_ = (call);                                                        \
        cr_expect_eq(st_, ALVK_ERROR_INVALID_ARGUMENT, "%s: got %s", #call,              \
                     alvk_status_str(st_));                                              \
        cr_expect(strstr(alvk_last_error(), words), "%s: message \"%s\" lacks \"%s\"",   \
                  #call, alvk_last_error(), words);                                      \
    } while (0)

#endif
