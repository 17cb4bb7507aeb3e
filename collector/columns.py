"""The ``samples`` table's column names, importable without SQLAlchemy.

The receiver process (``ingest/receiver.py``) builds table rows from telemetry and needs
the column layout, not the ORM; keeping the names here keeps SQLAlchemy out of it.
"""

from __future__ import annotations

# Sample keys from docs/architecture.md stored as their own columns: the dashboard plots
# and filters on these. Anything else (per-core ``cpuN_util_pct``, future keys) goes to
# ``Sample.extra``: their number varies by board and nothing filters on them.
SAMPLE_FLOAT_COLUMNS = (
    "cpu_util_pct",
    "cpu_freq_mhz",
    "temp_c",
    "mem_used_mb",
    "mem_available_mb",
    "proc_rss_mb",
    "power_w",
)
SAMPLE_INT_COLUMNS = (
    "throttled",
    "under_voltage",
    "freq_capped",
    "throttled_now",
    "soft_temp_limit",
)
# Column order of the tuples ``sample_rows.sample_rows`` returns.
SAMPLE_COLUMNS = ("run_id", "t", *SAMPLE_FLOAT_COLUMNS, *SAMPLE_INT_COLUMNS, "extra")
# The row keys that have a column of their own; any other key goes to ``extra``.
SAMPLE_KEYS = frozenset({"t", *SAMPLE_FLOAT_COLUMNS, *SAMPLE_INT_COLUMNS})
