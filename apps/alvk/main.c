/* alvk: the command-line program. Dispatches to one subcommand per file. */
#include "cli.h"
#include "par.h"

#include <alvk/alvk.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: alvk <command> [options]\n"
    "\n"
    "Active learning on MNIST (or any IDX image set) with a ResNet18, on any Vulkan device.\n"
    "\n"
    "commands:\n"
    "  devices [--json]   list the Vulkan devices, their limits, and the default\n"
    "  train [options]    train ResNet18 on all the labels: the full-data baseline (see alvk train --help)\n"
    "  eval --load FILE   test accuracy of a saved model\n"
    "  run [options]      active learning: uniform, margin, adversarial, ... with results\n"
    "                     and plots (see alvk run --help; alvk run --preset demo to try it)\n"
    "\n"
    "options:\n"
    "  -h, --help         show this help\n"
    "  --version          print the alvk version\n"
    "\n"
    "environment:\n"
    "  ALVK_DEVICE=N|name         device by index or name substring\n"
    "  ALVK_LOG=error|warn|info|debug   log to stderr\n"
    "  ALVK_VALIDATION=1          Khronos validation layer; any message is an error\n"
    "  ALVK_PIPELINE_CACHE=0      do not use the pipeline cache in ~/.cache/alvk\n"
    "  ALVK_DATA=DIR              where the IDX files are (default data/mnist)\n"
    "  (the engine's others: README.md, Environment)\n";

/* A usage error of the command line itself: what, the argument (if any),
 * then the usage. */
static int usage_error(const char *what, const char *arg) {
    if (arg) fprintf(stderr, "alvk: %s '%s'\n%s", what, arg, usage);
    else fprintf(stderr, "alvk: %s\n%s", what, usage);
    return EXIT_USAGE;
}

int main(int argc, char **argv) {
    if (argc < 2) return usage_error("no command given", NULL);
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage, stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("alvk %s\n", alvk_version());
        return EXIT_OK;
    }
    cli_command = cmd;
    if (strcmp(cmd, "devices") == 0) return cmd_devices(argc - 1, argv + 1);
    if (strcmp(cmd, "eval") == 0) return cmd_eval(argc - 1, argv + 1);
    if (strcmp(cmd, "train") == 0 || strcmp(cmd, "run") == 0) { /* the commands that use MPI ranks */
        int rc = par_init(&argc, &argv);
        if (rc == EXIT_OK) rc = (cmd[0] == 't' ? cmd_train : cmd_run)(argc - 1, argv + 1);
        par_finalize();
        return rc;
    }
    if (cmd[0] == '-') return usage_error("unknown option", cmd);
    return usage_error("unknown command", cmd);
}
