"""Shared analyses: what passes and backends read, never a pass themselves (no IR is rewritten
here). Each is a pure function of ops or text:

- ``capability_rules``: evidence rules, prose and code -> requirement/action findings;
- ``dataflow``: reads, writes and effects of ops, the dependence graph, critical path;
- ``shell_words``: the command words of a shell fence (no output lines, heredocs, prompts);
- ``pydeps``: Python import -> PyPI distribution, stdlib and npm package names.
"""
