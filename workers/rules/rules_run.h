/*
 * rules_run.h — `alluse-rules run [-c FILE] [-n INSTANCE]`, the rules process
 * (docs/rules-process.md). Returns the process exit code.
 */
#ifndef RULES_RUN_H
#define RULES_RUN_H

int rules_run(int argc, char **argv);

#endif
