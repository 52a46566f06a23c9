"""skvmc: a multi-pass compiler for LLM agent skills."""

__version__ = "0.1.0"
