"""Offline MobileNet TFLite generator: exact architectures with deterministic weights."""
