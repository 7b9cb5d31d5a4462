"""Equipment health, fault diagnosis, remaining useful life, work orders, remote maintenance and performance
optimisation: the services a vertical industrial-internet platform gives its customers (plan §三(六), §四(八)).

Reads telemetry through its query interface and the state ledger and OEE losses through production's services."""
