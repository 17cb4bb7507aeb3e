"""MQTT ingest: the receiver process (subscriber and decoding), the writer thread, the service."""
