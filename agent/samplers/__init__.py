"""Sampler plugins: CPU, frequency, temperature, throttling, memory, power."""
