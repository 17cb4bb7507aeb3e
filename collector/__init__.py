"""The edgebench collector: MQTT ingest, storage, dashboard and JSON API."""
