"""The JSON API blueprint."""
