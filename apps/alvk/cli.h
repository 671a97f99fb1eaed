/* The alvk program's subcommands and the conventions they share: exit
 * status 0 on success, 1 when the work failed, 2 on a usage error. */
#ifndef ALVK_CLI_H
#define ALVK_CLI_H

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

/* Prints "alvk: message" and the usage hint to stderr; returns EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...);

int cmd_devices(int argc, char **argv);

#endif
