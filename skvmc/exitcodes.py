"""Exit codes of every skvmc command (a leaf module: it imports nothing)."""

EXIT_OK = 0  # everything compiled / ran
EXIT_ERROR = 1  # the input has errors (diagnostics were printed)
EXIT_USAGE = 2  # the command line is wrong (argparse's own code for usage errors)
EXIT_INTERRUPTED = 130  # Ctrl-C
