"""Profiler: rates a model+harness pair on the 26 primitive capabilities (see generators/)."""
