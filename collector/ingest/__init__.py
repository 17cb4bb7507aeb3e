"""MQTT ingest: subscriber callback, bounded queue and the batch writer thread."""
