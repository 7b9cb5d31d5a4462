"""The ingest pipeline: decode → resolve against the registry → batch → store → acknowledge.

Ingest is at-least-once end to end: an MQTT message is acknowledged only after its samples (and dead letters) are
committed; a replay writes nothing twice because samples are keyed by (signal_id, ts).

    decoding     the values that cross from a protocol decoder into the pipeline, and the ``Decoder`` protocol
    validation   checks shared by every decoder (finite values, timestamp window, names) and dead-letter rows
    assemble     a decoded message → points, texts and dead letters, resolving devices and signals
    pipeline     bounded queue, batching by size and time, store writes with retry, acknowledgement after commit
    mqtt_source  paho-mqtt client: MQTT 5, QoS 1, persistent session, manual acknowledgement, shared subscription
    metrics      Prometheus metrics and the ``IngestStatus`` snapshot
    worker       ``run_worker``: the ``zhizao ingest`` process
"""
