/*
 * rules_cli.h — the one-shot subcommands of alluse-rules (atr, bs): cold paths
 * that print to stdout and return a process exit code (0 ok, 1 failed, 2 usage).
 */
#ifndef RULES_CLI_H
#define RULES_CLI_H

int rules_cli_atr(int argc, char **argv);
int rules_cli_bs(int argc, char **argv);

#endif
