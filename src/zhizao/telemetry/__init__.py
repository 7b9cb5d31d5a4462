"""Real-time data acquisition: the ISA-95 asset model, devices and signals, ingest, storage and queries."""
