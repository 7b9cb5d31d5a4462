"""Equipment health: baselines learned from a normal period, multivariate anomaly scores on the live stream, a
health score 0–100 and a NAMUR NE107 status with the signals that drove it (see docs/maintenance-health.md).

Pure maths in ``baseline``, ``scoring``, ``windows`` and ``actions``; the stream observer in ``observer``; the
services in ``service``; the models in ``zhizao.maintenance.models_health``."""
