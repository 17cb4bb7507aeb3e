"""The HTML dashboard blueprint."""
