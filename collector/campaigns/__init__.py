"""Campaigns: benchmark jobs planned across the fleet and sent one at a time per device.

- ``spec``: the request (a msgspec Struct) and its one-line validation errors;
- ``planner``: pure expansion of a spec into ordered jobs, and the duration estimate;
- ``states``: job and campaign states, and what a run's outcome does to a job;
- ``schedule``: the next daily start in the collector's time zone;
- ``store``: creating, starting and cancelling campaigns (the web process and the
  scheduler both call it);
- ``detail``: what the API shows of campaigns (counts, ETA, jobs, p50 over repetitions);
- ``scheduler``: one reconciliation pass over the database (ingest's dispatcher thread,
  ``collector/ingest/dispatch.py``, runs it after commits and on a tick), with
  ``tracking`` deciding each sent or running job's next state from its run.

The database is the only channel between the web process that creates and cancels
campaigns and the ingest process that schedules them. See ``docs/campaigns.md``.
"""
