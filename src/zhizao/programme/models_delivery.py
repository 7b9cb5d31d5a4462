"""Programme tables of one area (see the module's owner in docs/programme.md)."""
