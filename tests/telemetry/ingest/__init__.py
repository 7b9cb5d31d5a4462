"""Tests of the ingest pipeline, the registry and HTTP ingest, against real brokers and databases."""
