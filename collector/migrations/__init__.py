"""Alembic migrations for the collector database."""
