"""Benchmark engine: backends, run loop, statistics, verdict, inputs, accuracy, report."""
