"""Tests of the MQTT JSON connector."""
