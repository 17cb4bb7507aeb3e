"""The edgebench agent: benchmarks models on a board, samples it, and publishes results."""
