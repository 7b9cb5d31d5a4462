"""Organisations, users and roles, authentication, tenant scoping and the audit log every context writes to."""
