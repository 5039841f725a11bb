"""Benchmarks: scripts that measure the service (see BENCHMARKS.md)."""
