/* `alvk eval`: the test-set accuracy of a saved model. */
#include "session.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: alvk eval --load FILE [--data DIR] [--classes N] [--device N|name]\n"
    "                 [--batch-size N] [--test-size N --seed N]\n"
    "\n"
    "Reports the test accuracy of a ResNet18 checkpoint written by\n"
    "alvk train --save (or by PyTorch, with the same tensor names). --test-size and\n"
    "--seed pick the same test subset alvk train evaluated with them. --data and\n"
    "--classes as alvk train's (default: MNIST; the largest label + 1).\n";

int cmd_eval(int argc, char **argv) {
    const char *load = NULL, *data = NULL, *device = NULL;
    uint32_t batch = 256, test_size = 0, seed = 0, classes = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage, stdout);
            return EXIT_OK;
        } else if (strcmp(a, "--load") == 0 && v) load = v, i++;
        else if (strcmp(a, "--data") == 0 && v) data = v, i++;
        else if (strcmp(a, "--device") == 0 && v) device = v, i++;
        else if (strcmp(a, "--batch-size") == 0) {
            if (!cli_uint(a, v, 1, 4096, &batch)) return EXIT_USAGE;
            i++;
        } else if (strcmp(a, "--test-size") == 0) {
            if (!cli_uint(a, v, 1, UINT32_MAX, &test_size)) return EXIT_USAGE;
            i++;
        } else if (strcmp(a, "--classes") == 0) {
            if (!cli_uint(a, v, 2, 256, &classes)) return EXIT_USAGE;
            i++;
        } else if (strcmp(a, "--seed") == 0) {
            if (!cli_uint(a, v, 0, UINT32_MAX, &seed)) return EXIT_USAGE;
            i++;
        } else return cli_usage_error("eval: unknown option or missing value '%s'", a);
    }
    if (!load) return cli_usage_error("eval: --load FILE is required");
    session s;
    int rc = session_open(&s, device, data, classes, batch, test_size, seed, DISC_NONE);
    if (rc == EXIT_OK && alvk_params_load(s.params, load) != ALVK_OK) rc = cli_fail("loading the model");
    if (rc == EXIT_OK) {
        double acc = session_test_accuracy(&s);
        if (acc < 0) rc = cli_fail("evaluating");
        else printf("test accuracy %.4f (%u images)\n", acc, s.test_size);
    }
    session_close(&s);
    return rc;
}
