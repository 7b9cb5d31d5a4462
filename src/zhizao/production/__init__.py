"""Production: the state ledger, shift calendars and plans, OEE and ISO 22400-2 KPIs, programme KPIs."""
