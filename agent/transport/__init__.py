"""Transport: paho client, durable SQLite outbox, and the run listener that publishes."""
