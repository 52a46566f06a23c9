"""``skvmc bench``: run a SkillsBench-layout task suite under several conditions, graded by
each task's pytest grader, and report pass rate, tokens, wall time and model calls."""
