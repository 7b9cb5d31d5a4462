"""Audited remote commands to equipment, with the owners' consent for platform operators (see docs/commands.md)."""
