"""Offline TFLite generator (MobileNetV1/V2/V3, EfficientNet-Lite) with deterministic weights."""
