"""Benchmarks: ``zhizao bench ingest`` and ``zhizao bench query``. Commands, never timed tests.

Each benchmark sets up what it measures from scratch (a throwaway database, its own Mosquitto), measures the
pipeline and, in the same run, the ceiling it is compared with, and prints figures and ratios side by side; the
results are recorded in ``docs/benchmarks.md`` with the machine they ran on.

    infra      throwaway PostgreSQL databases, a Mosquitto of the benchmark's own, process CPU and memory
    seed       an enterprise with devices and signals, registered straight as rows
    publisher  ``python -m zhizao.bench.publisher``: synthetic MQTT JSON as fast as the broker takes it, or at a rate
    ingest     simulator-shaped load → Mosquitto → N worker processes → store, against the raw COPY ceiling
    query      24 h of 1 Hz data for 100 signals, downsampled through the store and the HTTP API
    report     tables and JSON lines
    cli        the ``bench`` Typer group
"""
