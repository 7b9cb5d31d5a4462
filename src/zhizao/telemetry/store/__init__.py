"""Telemetry storage behind one interface (``base.TelemetryStore``), with SQLite and PostgreSQL backends."""
