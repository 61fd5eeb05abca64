#include "cli.h"
void cmd_verify_usage(FILE *out, const char *prog) { (void)out; (void)prog; }
int cmd_verify(int argc, char **argv, const char *prog) { (void)argc; (void)argv; (void)prog; return 0; }
