"""Sparkplug B 3.0 over MQTT: topics, payload codec, the primary host's session state machine, an edge-node encoder.

All modules here are pure (no I/O). ``sparkplug_b.proto`` is Eclipse Tahu's payload definition, vendored unmodified;
``sparkplug_b_pb2.py``/``.pyi`` are generated from it by ``scripts/gen-proto`` and never edited by hand.
"""
