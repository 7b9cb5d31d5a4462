"""OPC UA: a subscription-based connector (asyncua), with the pure modules it stands on.

- ``settings`` — ``OpcUaSettings``: endpoint, security (None / Basic256Sha256 Sign, SignAndEncrypt), user, the
  client's certificate and key, intervals, batch size, and the mapped nodes (node id → device code and signal).
- ``machinery`` — the node list of an OPC 40001 / 40501 machine, so its states arrive as the simulator's do.
- ``conversions`` — variants and data values ↔ platform values, state codes, timestamps (pure, tested alone).
- ``certificates`` — application instance certificates the platform makes and shows.
- ``client`` — connecting as the settings say, failures in words; ``subscription`` — the running connector;
  ``driver`` — ``DRIVER`` (run, probe, browse, write), what the connector runtime calls.

The simulator serves machines over OPC UA with ``zhizao.simulator.opcua_server``; the user guide is
``docs/opcua.md``; ``zhizao bench opcua`` measures a subscription of thousands of nodes into the store.
"""
